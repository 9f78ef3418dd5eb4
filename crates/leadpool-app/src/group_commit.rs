//! Group commit: requests that each write a few rows wait in a queue, and one writer task
//! takes all that are waiting and writes them in one transaction. One commit (and one
//! reading of what they share) serves many requests, which is what lets claims and intake
//! outrun a transaction per request on SQLite's single writer.
//!
//! Each request is still decided on its own, against the state the batch has left. If the
//! batch fails as a whole (a conflict with another instance, a bad row), each request is
//! written again alone, so one bad request cannot fail the others.
//!
//! The queue is bounded: when the writer falls that far behind, a new request is answered
//! `busy` at once (503 with `Retry-After`) rather than waiting in an ever longer line.

use std::future::Future;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use leadpool_store::Backend;
use tokio::sync::{mpsc, oneshot};

use crate::{App, AppError, Inner};

/// A request the group-commit writer may write together with others.
pub(crate) trait Batched: Send + Sync + Sized + 'static {
    /// What the request's caller gets back.
    type Answer: Send + 'static;
    /// The most work (see [`Batched::weight`]) one transaction takes.
    const MAX_WEIGHT: usize;

    /// How much of a batch it takes (the leads it writes).
    fn weight(&self) -> usize;

    /// Writes the requests in one transaction: an answer for each, or an error when the
    /// transaction failed as a whole (nothing was written).
    fn write(
        app: &App,
        batch: &[&Self],
    ) -> impl Future<Output = Result<Vec<Result<Self::Answer, AppError>>, AppError>> + Send;
}

/// How many requests may wait for one writer. A few full batches' worth: a request behind
/// more than that waits seconds for its turn, past the point a client should hold a
/// connection open for a claim; answering `busy` lets it retry shortly (or another
/// instance take it) instead of the line and the memory growing without end.
const QUEUE_CAPACITY: usize = 4_096;

struct Queued<R: Batched> {
    request: R,
    reply: oneshot::Sender<Result<R::Answer, AppError>>,
}

/// A group-commit writer of one kind of request, started on first use; it ends when the
/// app is dropped.
pub(crate) struct Writer<R: Batched> {
    queue: OnceLock<mpsc::Sender<Queued<R>>>,
    capacity: usize,
}

impl<R: Batched> Default for Writer<R> {
    fn default() -> Self {
        Self::with_capacity(QUEUE_CAPACITY)
    }
}

impl<R: Batched> Writer<R> {
    /// A writer whose queue holds at most `capacity` waiting requests (at least one).
    fn with_capacity(capacity: usize) -> Self {
        Self {
            queue: OnceLock::new(),
            capacity: capacity.max(1),
        }
    }

    /// Queues a request and waits for its answer; `Busy` at once when the queue is full.
    pub(crate) async fn submit(&self, app: &App, request: R) -> Result<R::Answer, AppError> {
        let answer = self.enqueue(app, request)?;
        answer
            .await
            .map_err(|_| AppError::Internal("the writer dropped a request".into()))?
    }

    /// Puts a request in the queue without waiting for room; the receiver gets its answer.
    fn enqueue(
        &self,
        app: &App,
        request: R,
    ) -> Result<oneshot::Receiver<Result<R::Answer, AppError>>, AppError> {
        let queue = self.queue.get_or_init(|| {
            start::<R>(
                Arc::downgrade(&app.inner),
                app.store().backend(),
                self.capacity,
            )
        });
        let (reply, answer) = oneshot::channel();
        match queue.try_send(Queued { request, reply }) {
            Ok(()) => Ok(answer),
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("leadpool_writer_busy_total").increment(1);
                Err(AppError::Busy)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                Err(AppError::Internal("the writer has stopped".into()))
            }
        }
    }
}

fn start<R: Batched>(
    inner: Weak<Inner>,
    backend: Backend,
    capacity: usize,
) -> mpsc::Sender<Queued<R>> {
    let (tx, rx) = mpsc::channel::<Queued<R>>(capacity);
    // On SQLite the writer gets a thread and a runtime of its own. It runs one statement
    // after another on the single write connection, and each answer, like the spawned task
    // that hands the connection back to the pool after a commit, would otherwise wait its
    // turn behind every HTTP task; that wait adds to every request in the batch. SQLite's
    // connections are threads and channels, not sockets, so nothing else is bound to that
    // runtime. PostgreSQL's sockets must stay on the app's runtime.
    let own = match backend {
        Backend::Sqlite => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .inspect_err(|e| tracing::warn!(error = %e, "no runtime of its own for a writer"))
            .ok(),
        Backend::Postgres => None,
    };
    let work = serve(inner, rx);
    match own {
        Some(runtime) => {
            let spawned = std::thread::Builder::new()
                .name("leadpool-writer".into())
                .spawn(move || runtime.block_on(work));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a writer thread; its requests fail");
            }
        }
        None => drop(tokio::spawn(work)),
    }
    tx
}

/// Takes every request waiting (up to the batch's weight) and writes them together, until
/// the app is dropped.
async fn serve<R: Batched>(inner: Weak<Inner>, mut rx: mpsc::Receiver<Queued<R>>) {
    while let Some(first) = rx.recv().await {
        let mut weight = first.request.weight();
        let mut batch = vec![first];
        while weight < R::MAX_WEIGHT {
            match rx.try_recv() {
                Ok(q) => {
                    weight += q.request.weight();
                    batch.push(q);
                }
                Err(_) => break,
            }
        }
        let Some(inner) = inner.upgrade() else { break };
        write_batch(&App { inner }, batch).await;
    }
}

/// A batch that takes longer than this is logged with its size and time: every request in it
/// waited that long, and the queue behind it grew meanwhile.
const SLOW_BATCH: Duration = Duration::from_millis(250);

async fn write_batch<R: Batched>(app: &App, batch: Vec<Queued<R>>) {
    let requests: Vec<&R> = batch.iter().map(|q| &q.request).collect();
    let started = Instant::now();
    let written = R::write(app, &requests).await;
    let took = started.elapsed();
    if took > SLOW_BATCH {
        tracing::warn!(
            kind = std::any::type_name::<R>(),
            requests = requests.len(),
            ms = took.as_millis(),
            "slow group-commit batch"
        );
    }
    match written {
        Ok(answers) => {
            for (q, a) in batch.into_iter().zip(answers) {
                // A client that went away no longer needs its answer.
                let _ = q.reply.send(a);
            }
        }
        Err(e) if batch.len() > 1 => {
            tracing::warn!(error = %e, requests = batch.len(), "a batch failed; writing its requests one by one");
            for q in batch {
                let alone = match R::write(app, &[&q.request]).await {
                    Ok(mut a) => a
                        .pop()
                        .unwrap_or_else(|| Err(AppError::Internal("no answer".into()))),
                    Err(e) => Err(e),
                };
                let _ = q.reply.send(alone);
            }
        }
        Err(e) => {
            if let Some(q) = batch.into_iter().next() {
                let _ = q.reply.send(Err(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use leadpool_testkit::TestStore;
    use tokio::sync::Semaphore;

    use super::*;
    use crate::{Settings, SystemClock};

    /// A request whose write says when it has started and then waits for the gate.
    struct Held {
        started: Mutex<Option<oneshot::Sender<()>>>,
        gate: Arc<Semaphore>,
    }

    impl Held {
        fn new(gate: &Arc<Semaphore>) -> Self {
            Self {
                started: Mutex::new(None),
                gate: Arc::clone(gate),
            }
        }
    }

    impl Batched for Held {
        type Answer = ();
        const MAX_WEIGHT: usize = 1;

        fn weight(&self) -> usize {
            1
        }

        async fn write(
            _app: &App,
            batch: &[&Self],
        ) -> Result<Vec<Result<Self::Answer, AppError>>, AppError> {
            for r in batch {
                let started = r.started.lock().ok().and_then(|mut s| s.take());
                if let Some(started) = started {
                    let _ = started.send(());
                }
                let _permit = r.gate.acquire().await;
            }
            Ok(batch.iter().map(|_| Ok(())).collect())
        }
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once_and_the_queued_requests_are_still_written() {
        let store = TestStore::new(leadpool_store::Backend::Sqlite)
            .await
            .expect("SQLite is always there");
        let app = App::new(
            store.store.clone(),
            Arc::new(SystemClock),
            Settings::default(),
        );
        let writer: Arc<Writer<Held>> = Arc::new(Writer::with_capacity(1));
        let gate = Arc::new(Semaphore::new(0));

        // The first request is taken by the writer, which then waits at the gate.
        let first = Held::new(&gate);
        let (started, writing) = oneshot::channel();
        *first.started.lock().expect("not poisoned") = Some(started);
        let first = writer.enqueue(&app, first).expect("room for the first");
        writing.await.expect("the writer took the first request");

        // The second fills the queue; the third finds it full.
        let second = writer
            .enqueue(&app, Held::new(&gate))
            .expect("room for the second");
        let third = writer.enqueue(&app, Held::new(&gate));
        assert!(matches!(third, Err(AppError::Busy)), "{:?}", third.err());

        gate.add_permits(2);
        first.await.expect("answered").expect("written");
        second.await.expect("answered").expect("written");
    }
}
