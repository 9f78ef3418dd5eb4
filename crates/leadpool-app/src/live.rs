//! Live updates: what the engine decides reaches the browser as it commits.
//!
//! Each instance runs one outbox reader. Woken after a commit that wrote events (by this
//! process, or by another instance through PostgreSQL's NOTIFY), it reads the rows after
//! the last it saw and sends each once through a broadcast channel; every open stream keeps
//! the events addressed to its person. Who may see an event was decided when it was written:
//! the outbox is per person (an offer's event goes to each offered agent, an assignment to the
//! assignee), the same rows `GET /api/v1/events` serves, so a stream applies that one rule,
//! [`addressed_to`], and nothing crosses organizations.
//!
//! A stream that resumes (`Last-Event-ID`) first replays the person's events after that id
//! from the store (with those just before it that may have committed late), then continues
//! live; ids it replayed are not sent twice.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use leadpool_domain::{OrgId, UserId};
use leadpool_store::Signal;
use leadpool_store::live::AddressedEvent;
use leadpool_store::offers::AgentEvent;
use tokio::sync::{OnceCell, broadcast, watch};

use crate::{App, AppError, Inner, Member};

/// Most live streams one person may hold open on one instance (tabs, devices): enough for
/// anyone, and a runaway script cannot hold a thousand connections.
pub const MAX_STREAMS_PER_USER: usize = 8;

/// Rows the reader takes per read; a longer backlog is read in several.
const READ_BATCH: u32 = 1_000;

/// Events a stream may fall behind the reader before it must re-read from the store.
const CHANNEL_CAPACITY: usize = 4_096;

/// How often the reader reads even without a wake: a backstop for a wake lost with a
/// dropped PostgreSQL connection, never the way events normally arrive.
const BACKSTOP: Duration = Duration::from_secs(1);

/// How long a missing id is waited for. On PostgreSQL a transaction may take an outbox id
/// and commit after a later id is already read; the reader re-reads from the gap until it
/// fills or this passes (a rolled-back transaction leaves a gap for good).
const GAP_PATIENCE: Duration = Duration::from_secs(5);

/// Most events one replay sends; an older position than that starts from the newest ones.
const REPLAY_LIMIT: u32 = 1_000;

/// Whether `event` is for this person: the outbox's one addressee rule, as `Tx::events` applies it.
fn addressed_to(event: &AddressedEvent, org: OrgId, user: UserId) -> bool {
    event.org == org && event.user == user
}

/// The instance's live hub: the reader's channel, the open streams per person, the switch
/// that ends them all at shutdown.
pub(crate) struct Hub {
    events: broadcast::Sender<Arc<AddressedEvent>>,
    streams: Mutex<HashMap<UserId, usize>>,
    closed: watch::Sender<bool>,
    reader: OnceCell<()>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            events: broadcast::Sender::new(CHANNEL_CAPACITY),
            streams: Mutex::default(),
            closed: watch::Sender::new(false),
            reader: OnceCell::new(),
        }
    }
}

/// One open live stream of one person; dropping it frees its place under the cap.
pub struct LiveStream {
    app: App,
    org: OrgId,
    user: UserId,
    events: broadcast::Receiver<Arc<AddressedEvent>>,
    closed: watch::Receiver<bool>,
    replay: VecDeque<AgentEvent>,
    /// Ids replayed that may still come from the reader (not sent twice); each is dropped
    /// when it does, as the reader sends an id once.
    replayed: BTreeSet<i64>,
    /// The newest id sent: where a stream that fell behind re-reads from.
    last_sent: i64,
}

impl std::fmt::Debug for LiveStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveStream")
            .field("org", &self.org)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        let mut streams = lock(&self.app.inner.live.streams);
        if let Some(n) = streams.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                streams.remove(&self.user);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while counting streams leaves a count that is still a count.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LiveStream {
    /// The next event for this person; `None` when the instance shuts down.
    pub async fn next(&mut self) -> Option<Result<AgentEvent, AppError>> {
        loop {
            if let Some(e) = self.replay.pop_front() {
                self.last_sent = self.last_sent.max(e.id);
                return Some(Ok(e));
            }
            let received = tokio::select! {
                _ = self.closed.wait_for(|c| *c) => return None,
                r = self.events.recv() => r,
            };
            match received {
                Ok(e)
                    if addressed_to(&e, self.org, self.user)
                        && !self.replayed.remove(&e.event.id) =>
                {
                    self.last_sent = self.last_sent.max(e.event.id);
                    return Some(Ok(e.event.clone()));
                }
                Ok(_) => {}
                // Fallen behind the reader: what was skipped is still in the store.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if let Err(e) = self.load_replay(self.last_sent).await {
                        return Some(Err(e));
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// Queues the person's events after `after` (and any that committed late just before
    /// it, see `Tx::events_resuming`) to be sent before live ones.
    async fn load_replay(&mut self, after: i64) -> Result<(), AppError> {
        let late_ms = i64::try_from(GAP_PATIENCE.as_millis()).unwrap_or(i64::MAX);
        let mut tx = self.app.store().read().await?;
        let events = tx
            .events_resuming(self.org, self.user, after, late_ms, REPLAY_LIMIT)
            .await?;
        tx.commit().await?;
        self.replayed.extend(events.iter().map(|e| e.id));
        self.replay.extend(events);
        Ok(())
    }
}

impl App {
    /// Opens a live stream for the signed-in person, replaying their events after
    /// `last_event_id` first when given. Refused with `too_many_streams` past
    /// [`MAX_STREAMS_PER_USER`] streams on this instance.
    #[tracing::instrument(name = "live_stream", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn live_stream(
        &self,
        m: &Member,
        last_event_id: Option<i64>,
    ) -> Result<LiveStream, AppError> {
        self.start_live().await?;
        let hub = &self.inner.live;
        {
            let mut streams = lock(&hub.streams);
            let n = streams.entry(m.user.id).or_default();
            if *n >= MAX_STREAMS_PER_USER {
                return Err(AppError::Conflict {
                    code: "too_many_streams",
                    message: format!(
                        "at most {MAX_STREAMS_PER_USER} live streams per person; close a tab or window first"
                    ),
                });
            }
            *n += 1;
        }
        // Subscribed before the replay is read: an event committed in between comes both
        // ways, and the replay's last id keeps it from being sent twice.
        let mut stream = LiveStream {
            app: self.clone(),
            org: m.viewer.org,
            user: m.user.id,
            events: hub.events.subscribe(),
            closed: hub.closed.subscribe(),
            replay: VecDeque::new(),
            replayed: BTreeSet::new(),
            last_sent: 0,
        };
        if let Some(after) = last_event_id {
            stream.load_replay(after.max(0)).await?;
        }
        Ok(stream)
    }

    /// Ends every live stream of this instance (at shutdown, so they do not hold it up).
    pub fn close_live(&self) {
        self.inner.live.closed.send_replace(true);
    }

    /// Starts this instance's outbox reader (and, on PostgreSQL, its listener, which also
    /// wakes the timer scheduler when another instance sets a timer), once.
    pub(crate) async fn start_live(&self) -> Result<(), AppError> {
        self.inner
            .live
            .reader
            .get_or_try_init(|| async {
                let mut tx = self.store().read().await?;
                let from = tx.last_event_id().await?;
                tx.commit().await?;
                let listener = self.store().listen().await?;
                let reader = Reader {
                    app: Arc::downgrade(&self.inner),
                    low: from,
                    seen: BTreeSet::new(),
                    gap_since: None,
                };
                tokio::spawn(reader.run(self.store().event_commits(), listener));
                Ok::<_, AppError>(())
            })
            .await
            .map(|_| ())
    }
}

/// The outbox reader: sends each committed event once, in id order as far as commits allow.
struct Reader {
    /// The app, not kept alive by its own reader: the reader ends when the app is gone.
    app: Weak<Inner>,
    /// Every id up to here was sent (or given up on).
    low: i64,
    /// Ids above `low` already sent: what a re-read from a gap skips.
    seen: BTreeSet<i64>,
    /// Since when the id after `low` has been missing while later ones were read.
    gap_since: Option<Instant>,
}

impl Reader {
    async fn run(
        mut self,
        mut commits: watch::Receiver<u64>,
        mut listener: Option<leadpool_store::Listener>,
    ) {
        tracing::debug!(from = self.low, "live outbox reader started");
        let mut relisten = false;
        loop {
            let Some(inner) = self.app.upgrade() else {
                break;
            };
            let app = App { inner };
            if *app.inner.live.closed.borrow() {
                break;
            }
            if relisten {
                // The backstop read kept events flowing meanwhile; timers of other instances
                // waited for their own poll.
                if let Ok(l) = app.store().listen().await {
                    listener = l;
                    relisten = false;
                }
            }
            if let Err(e) = self.read(&app).await {
                tracing::warn!(error = %e, "reading the outbox for live streams failed; retrying");
            }
            let mut closed = app.inner.live.closed.subscribe();
            // The reader must not keep the app alive while it waits.
            let timer_wake = Arc::downgrade(&app.inner);
            drop(app);
            let heard = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(Some),
                    None => std::future::pending().await,
                }
            };
            let heard = tokio::select! {
                _ = commits.changed() => None,
                _ = closed.wait_for(|c| *c) => break,
                () = tokio::time::sleep(BACKSTOP) => None,
                heard = heard => Some(heard),
            };
            match heard {
                Some(Ok(Some(Signal::Timers))) => wake_timers(&timer_wake),
                Some(Ok(Some(Signal::Reconnected))) => {
                    tracing::info!("live listener reconnected to PostgreSQL");
                    wake_timers(&timer_wake);
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "listening to PostgreSQL failed; reading by the backstop until it listens again");
                    listener = None;
                    relisten = true;
                }
                Some(Ok(_)) | None => {}
            }
        }
        tracing::debug!("live outbox reader stopped");
    }

    /// Reads and sends everything committed since the last read.
    async fn read(&mut self, app: &App) -> Result<(), AppError> {
        loop {
            let mut tx = app.store().read().await?;
            let rows = tx.outbox_after(self.low, READ_BATCH).await?;
            tx.commit().await?;
            let full = rows.len() == READ_BATCH as usize;
            for row in rows {
                if row.event.id > self.low && self.seen.insert(row.event.id) {
                    // No receiver is no error: nobody is watching right now.
                    let _ = app.inner.live.events.send(Arc::new(row));
                }
            }
            self.advance();
            if !full {
                return Ok(());
            }
        }
    }

    /// Moves `low` over ids sent without a gap; past a gap once it has waited long enough.
    fn advance(&mut self) {
        self.skip_sent();
        let Some(&first) = self.seen.first() else {
            self.gap_since = None;
            return;
        };
        let since = *self.gap_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= GAP_PATIENCE {
            tracing::debug!(
                from = self.low + 1,
                to = first - 1,
                "outbox ids never committed"
            );
            self.low = first - 1;
            self.gap_since = None;
            self.skip_sent();
        }
    }

    fn skip_sent(&mut self) {
        while self.seen.remove(&(self.low + 1)) {
            self.low += 1;
        }
    }
}

fn wake_timers(app: &Weak<Inner>) {
    if let Some(inner) = app.upgrade() {
        inner.timer_wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(low: i64) -> Reader {
        Reader {
            app: Weak::new(),
            low,
            seen: BTreeSet::new(),
            gap_since: None,
        }
    }

    #[test]
    fn the_position_moves_over_ids_sent_without_a_gap() {
        let mut r = reader(10);
        r.seen.extend([11, 12, 13]);
        r.advance();
        assert_eq!((r.low, r.seen.len(), r.gap_since), (13, 0, None));
    }

    #[test]
    fn a_gap_holds_the_position_until_it_is_given_up_on() {
        let mut r = reader(10);
        r.seen.extend([12, 13]);
        r.advance();
        assert_eq!(r.low, 10, "id 11 may still commit");
        r.gap_since = Some(Instant::now() - GAP_PATIENCE);
        r.advance();
        assert_eq!((r.low, r.seen.len(), r.gap_since), (13, 0, None));
    }
}
