//! The durable-timer scheduler. Timers are rows (see `leadpool_store::timers`); any
//! instance may fire them. A pass claims due timers under a lease and fires each in its own
//! transaction, which deletes the timer together with its effect, so a timer fires exactly
//! once even across crashes and instances. Between passes the loop sleeps until the next
//! due time, woken early when this process sets a timer (or, on PostgreSQL, another instance
//! does: see `live`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use leadpool_domain::delivery::EventType;
use leadpool_domain::pool::{fire_reserve_expiry, reserve_holder};
use leadpool_domain::timer::{
    ExpiryFiring, PendingTasks, StatusExpiry, TimerFacts, TimerKind, fire_status_expiry,
};
use leadpool_domain::{Lead, LeadId, OrgId, PoolId, StatusId, Timestamp, Visibility};
use leadpool_store::offers::NewEvent;
use leadpool_store::timers::ClaimedTimer;
use leadpool_store::{Backend, StoreError, Tx};
use tokio::sync::watch;

use crate::transitions::Step;
use crate::{App, AppError};

/// A batch of timers that takes longer than this to fire is logged with its size and time:
/// every timer in it fired that much late, and the next due ones waited behind it.
const SLOW_BATCH: Duration = Duration::from_millis(250);

/// What one pass of the scheduler did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FireReport {
    /// Timers whose effect was applied.
    pub fired: usize,
    /// Timers whose lead had moved on: removed, nothing else written.
    pub stale: usize,
    /// Status expiries its pending tasks hold off: set again for later, or removed until a
    /// task closes and re-arms them.
    pub held: usize,
    /// Timers whose lease another instance took over: left to it.
    pub lost: usize,
}

/// What came of firing one timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// The effect was applied.
    Applied,
    /// The lead had moved on; the timer was removed and nothing else written.
    Stale,
    /// A status expiry its lead's pending tasks hold off (see [`FireReport::held`]).
    Held,
    /// Another instance holds the timer now.
    Lost,
}

impl App {
    /// Tells this process's scheduler to look again (after a commit that set a timer).
    pub(crate) fn timers_changed(&self, set: bool) {
        if set {
            self.inner.timer_wake.notify_one();
        }
    }
}

/// Status rules and default pools looked up once per batch rather than once per timer.
#[derive(Debug, Default)]
struct Rules {
    expiries: HashMap<StatusId, Option<StatusExpiry>>,
    pools: HashMap<OrgId, Option<PoolId>>,
}

impl Rules {
    async fn expiry(
        &mut self,
        tx: &mut Tx,
        org: OrgId,
        status: StatusId,
    ) -> Result<Option<StatusExpiry>, AppError> {
        if let Some(r) = self.expiries.get(&status) {
            return Ok(r.clone());
        }
        let r = tx.status_expiry(org, status).await?;
        self.expiries.insert(status, r.clone());
        Ok(r)
    }

    async fn default_pool(&mut self, tx: &mut Tx, org: OrgId) -> Result<Option<PoolId>, AppError> {
        if let Some(p) = self.pools.get(&org) {
            return Ok(*p);
        }
        let p = tx
            .pools(org)
            .await?
            .into_iter()
            .find(|p| p.is_default)
            .map(|p| p.id);
        self.pools.insert(org, p);
        Ok(p)
    }
}

/// The pending tasks of those of `leads` whose expiry rule waits on tasks (none read when
/// no rule does).
/// A due reserve warning: the agent still holding the lead while it is new hears when their
/// reserve time ends. The lead itself does not change. `false` when the reserve already
/// ended (worked, moved, or its timer gone).
async fn warn_reserve(tx: &mut Tx, lead: &Lead, now: Timestamp) -> Result<bool, AppError> {
    let Some(holder) = reserve_holder(lead) else {
        return Ok(false);
    };
    let Some(due) = tx.timer_due(lead.id, TimerKind::ReserveExpiry).await? else {
        return Ok(false);
    };
    let warning = NewEvent {
        user: holder,
        lead: Some(lead.id),
        kind: EventType::ReserveExpiring,
        payload: serde_json::json!({ "due": due, "lead_name": lead.display_name() }),
    };
    tx.push_events(lead.org, &[warning], now).await?;
    Ok(true)
}

async fn pending_tasks<'a>(
    tx: &mut Tx,
    org: OrgId,
    leads: impl IntoIterator<Item = (&'a Lead, &'a StatusExpiry)>,
) -> Result<HashMap<LeadId, PendingTasks>, AppError> {
    let held: Vec<LeadId> = leads
        .into_iter()
        .filter(|(_, rule)| rule.hold.is_some())
        .map(|(lead, _)| lead.id)
        .collect();
    if held.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(tx.pending_tasks(org, &held).await?)
}

/// Called after each timer's firing has committed (benchmarks measure lag with it).
pub type Observer = Arc<dyn Fn(&ClaimedTimer, Fired) + Send + Sync>;

/// Fires due timers for one instance.
#[derive(Clone)]
pub struct Scheduler {
    app: App,
    owner: String,
    lease: Duration,
    batch: u32,
    max_idle: Duration,
    observer: Option<Observer>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("owner", &self.owner)
            .field("lease", &self.lease)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl Scheduler {
    /// A scheduler that claims timers under the name `owner` (unique per running instance).
    pub fn new(app: App, owner: impl Into<String>) -> Self {
        // On PostgreSQL another instance may set an earlier timer without waking us, so look
        // at least every second; on SQLite this process is the only writer.
        let max_idle = match app.store().backend() {
            Backend::Postgres => Duration::from_secs(1),
            Backend::Sqlite => Duration::from_secs(60),
        };
        Self {
            app,
            owner: owner.into(),
            lease: Duration::from_secs(30),
            batch: 500,
            max_idle,
            observer: None,
        }
    }

    /// How long a claim holds before another instance may take the timer over.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Calls `observer` after each firing commits.
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// How many timers one claim takes.
    pub fn with_batch(mut self, batch: u32) -> Self {
        self.batch = batch.max(1);
        self
    }

    fn lease_until(&self, now: Timestamp) -> Timestamp {
        now.plus_millis(i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX))
    }

    /// Claims up to one batch of timers due now.
    pub async fn claim(&self) -> Result<Vec<ClaimedTimer>, AppError> {
        let now = self.app.now();
        let mut tx = self.app.store().write().await?;
        let claimed = tx
            .claim_due_timers(&self.owner, now, self.lease_until(now), self.batch)
            .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Fires every timer due now, batch after batch, until none is left.
    #[tracing::instrument(name = "fire_due_timers", skip_all, fields(owner = %self.owner), err(level = "debug"))]
    pub async fn run_due(&self) -> Result<FireReport, AppError> {
        let mut report = FireReport::default();
        loop {
            let claimed = self.claim().await?;
            let full = claimed.len() >= self.batch as usize;
            let started = Instant::now();
            let batch = self.fire_batch(&claimed).await?;
            let took = started.elapsed();
            if took > SLOW_BATCH {
                tracing::warn!(
                    timers = claimed.len(),
                    ms = took.as_millis(),
                    "slow timer batch"
                );
            }
            for fired in batch {
                match fired {
                    Fired::Applied => report.fired += 1,
                    Fired::Stale => report.stale += 1,
                    Fired::Held => report.held += 1,
                    Fired::Lost => report.lost += 1,
                }
            }
            if !full {
                return Ok(report);
            }
        }
    }

    /// Fires claimed timers together in one transaction (one commit for the batch, each
    /// timer still removed with its own effect). If the batch fails, each is retried alone
    /// so one bad timer cannot hold back the others.
    pub async fn fire_batch(&self, timers: &[ClaimedTimer]) -> Result<Vec<Fired>, AppError> {
        if timers.is_empty() {
            return Ok(Vec::new());
        }
        // Reserve times are rare next to status expiries: they fire one by one.
        if timers.iter().any(|t| t.kind != TimerKind::StatusExpiry) {
            let mut out = Vec::with_capacity(timers.len());
            let expiries: Vec<ClaimedTimer> = timers
                .iter()
                .filter(|t| t.kind == TimerKind::StatusExpiry)
                .cloned()
                .collect();
            let mut fired = Box::pin(self.fire_batch(&expiries)).await?.into_iter();
            for t in timers {
                out.push(if t.kind == TimerKind::StatusExpiry {
                    fired.next().unwrap_or(Fired::Lost)
                } else {
                    self.fire(t).await?
                });
            }
            return Ok(out);
        }
        let together = self.fire_together(timers).await;
        match together {
            Ok(out) => {
                for (t, f) in timers.iter().zip(&out) {
                    self.observe(t, *f);
                }
                Ok(out)
            }
            Err(e) => {
                tracing::warn!(error = %e, timers = timers.len(), "firing a batch failed; firing its timers one by one");
                let mut out = Vec::with_capacity(timers.len());
                for t in timers {
                    out.push(self.fire(t).await?);
                }
                Ok(out)
            }
        }
    }

    /// Fires a batch in one transaction with a few statements for the whole batch: lock the
    /// leads, take the timers, let the domain decide each lead's transitions, write them all.
    async fn fire_together(&self, timers: &[ClaimedTimer]) -> Result<Vec<Fired>, AppError> {
        let now = self.app.now();
        let mut cache = Rules::default();
        let mut tx = self.app.store().write().await?;
        let mut out = vec![Fired::Lost; timers.len()];
        let mut orgs: Vec<OrgId> = timers.iter().map(|t| t.org).collect();
        orgs.sort_unstable();
        orgs.dedup();
        for org in orgs {
            let group: Vec<usize> = (0..timers.len())
                .filter(|&i| timers[i].org == org)
                .collect();
            let lead_ids: Vec<LeadId> = group.iter().map(|&i| timers[i].lead_id).collect();
            // Leads before timers: the order a lead edit takes its locks in.
            let leads: HashMap<LeadId, Lead> = tx
                .leads_by_ids(org, &lead_ids, true)
                .await?
                .into_iter()
                .map(|l| (l.id, l))
                .collect();
            let timer_ids: Vec<i64> = group.iter().map(|&i| timers[i].id).collect();
            let taken: HashMap<i64, i64> = tx
                .take_claimed_timers(&timer_ids, &self.owner)
                .await?
                .into_iter()
                .collect();
            let mut due = Vec::new();
            for &i in &group {
                let t = &timers[i];
                let Some(&version) = taken.get(&t.id) else {
                    continue;
                };
                out[i] = Fired::Stale;
                let Some(lead) = leads.get(&t.lead_id) else {
                    continue;
                };
                let Some(rule) = cache.expiry(&mut tx, org, lead.status.id).await? else {
                    continue;
                };
                due.push((i, version, lead, rule));
            }
            let tasks = pending_tasks(&mut tx, org, due.iter().map(|(_, _, l, r)| (*l, r))).await?;
            let (mut first, mut second, mut again) = (Vec::new(), Vec::new(), Vec::new());
            for (i, version, lead, rule) in due {
                let pool = cache.default_pool(&mut tx, org).await?;
                let pending = tasks.get(&lead.id).copied().unwrap_or_default();
                let mut transitions =
                    match fire_status_expiry(lead, version, &rule, pending, pool, now) {
                        ExpiryFiring::Stale => continue,
                        ExpiryFiring::Held(later) => {
                            out[i] = Fired::Held;
                            again
                                .extend(later.map(|at| {
                                    (lead.id, TimerKind::StatusExpiry, at, lead.version)
                                }));
                            continue;
                        }
                        ExpiryFiring::Expired(ts) => ts.into_iter(),
                    };
                let Some(step) = transitions.next() else {
                    continue;
                };
                out[i] = Fired::Applied;
                let next_rule = cache.expiry(&mut tx, org, step.lead.status.id).await?;
                if let Some(again) = transitions.next() {
                    second.push((step.lead.clone(), again, None));
                }
                first.push((lead.clone(), step, next_rule));
            }
            // Each round's leads are distinct; the second moves some of the first's on.
            for round in [&first, &second] {
                let steps: Vec<Step> = round
                    .iter()
                    .map(|(l, t, rule)| Step {
                        facts: TimerFacts {
                            status_rule: rule.as_ref(),
                            ..TimerFacts::default()
                        },
                        ..Step::plain(l, t)
                    })
                    .collect();
                self.app.write_locked(&mut tx, org, &steps, now).await?;
            }
            tx.set_timers(org, &again, now).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Fires one claimed timer: its removal and its effect commit together.
    pub async fn fire(&self, t: &ClaimedTimer) -> Result<Fired, AppError> {
        let now = self.app.now();
        let mut tx = self.app.store().write().await?;
        let fired = self.fire_in(&mut tx, t, now, &mut Rules::default()).await?;
        tx.commit().await?;
        self.observe(t, fired);
        Ok(fired)
    }

    fn observe(&self, t: &ClaimedTimer, fired: Fired) {
        let counter = if fired == Fired::Applied {
            "leadpool_timers_fired_total"
        } else {
            "leadpool_timers_skipped_total"
        };
        metrics::counter!(counter, "kind" => t.kind.as_str()).increment(1);
        if let Some(observe) = &self.observer {
            observe(t, fired);
        }
    }

    /// Fires one timer inside `tx`; the caller commits.
    async fn fire_in(
        &self,
        tx: &mut Tx,
        t: &ClaimedTimer,
        now: Timestamp,
        cache: &mut Rules,
    ) -> Result<Fired, AppError> {
        // Lock the lead before the timer, the same order a lead edit takes them in.
        match tx.lock_lead(t.org, t.lead_id).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => {
                let taken = tx.take_claimed_timer(t.id, &self.owner).await?;
                return Ok(if taken.is_some() {
                    Fired::Stale
                } else {
                    Fired::Lost
                });
            }
            Err(e) => return Err(e.into()),
        }
        // The row's version, not the claimed copy's: an edit since the claim may have moved
        // the timer on to the lead's new version (a kept timer).
        let Some(version) = tx.take_claimed_timer(t.id, &self.owner).await? else {
            return Ok(Fired::Lost);
        };
        let lead = match tx.lead(t.org, t.lead_id, &Visibility::Organization).await {
            Ok(lead) => lead,
            Err(StoreError::NotFound) => return Ok(Fired::Stale),
            Err(e) => return Err(e.into()),
        };
        let applied = match t.kind {
            TimerKind::StatusExpiry => {
                return self.expire_status(tx, &lead, version, now, cache).await;
            }
            TimerKind::ReserveExpiry => self.expire_reserve(tx, &lead, now, cache).await?,
            TimerKind::ReserveWarning => warn_reserve(tx, &lead, now).await?,
            TimerKind::OfferWindow => self.app.fire_offer_window(tx, &lead, now).await?,
        };
        Ok(if applied {
            Fired::Applied
        } else {
            Fired::Stale
        })
    }

    async fn expire_reserve(
        &self,
        tx: &mut Tx,
        lead: &Lead,
        now: Timestamp,
        cache: &mut Rules,
    ) -> Result<bool, AppError> {
        let Some(fallback) = cache.default_pool(tx, lead.org).await? else {
            return Ok(false);
        };
        let Some(t) = fire_reserve_expiry(lead, fallback, now) else {
            return Ok(false);
        };
        self.app
            .write_locked(tx, lead.org, &[Step::plain(lead, &t)], now)
            .await?;
        Ok(true)
    }

    async fn expire_status(
        &self,
        tx: &mut Tx,
        lead: &Lead,
        timer_version: i64,
        now: Timestamp,
        cache: &mut Rules,
    ) -> Result<Fired, AppError> {
        let Some(rule) = cache.expiry(tx, lead.org, lead.status.id).await? else {
            return Ok(Fired::Stale);
        };
        let pool = cache.default_pool(tx, lead.org).await?;
        let tasks = pending_tasks(tx, lead.org, [(lead, &rule)]).await?;
        let pending = tasks.get(&lead.id).copied().unwrap_or_default();
        let transitions = match fire_status_expiry(lead, timer_version, &rule, pending, pool, now) {
            ExpiryFiring::Expired(ts) if !ts.is_empty() => ts,
            ExpiryFiring::Expired(_) | ExpiryFiring::Stale => return Ok(Fired::Stale),
            ExpiryFiring::Held(later) => {
                let again: Vec<_> = later
                    .map(|at| (lead.id, TimerKind::StatusExpiry, at, lead.version))
                    .into_iter()
                    .collect();
                tx.set_timers(lead.org, &again, now).await?;
                return Ok(Fired::Held);
            }
        };
        let mut before = lead;
        for tr in &transitions {
            let rule = match tr.lead.status.id {
                s if s == before.status.id => None,
                s => cache.expiry(tx, lead.org, s).await?,
            };
            let step = Step {
                facts: TimerFacts {
                    status_rule: rule.as_ref(),
                    ..TimerFacts::default()
                },
                ..Step::plain(before, tr)
            };
            self.app.write_locked(tx, lead.org, &[step], now).await?;
            before = &tr.lead;
        }
        Ok(Fired::Applied)
    }

    /// Fires timers as they fall due until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, "timer scheduler started");
        // The live listener also hears other instances set timers, and wakes this loop.
        if let Err(e) = self.app.start_live().await {
            tracing::warn!(error = %e, "cannot listen for other instances' timers; polling");
        }
        loop {
            let wait = match self.run_due().await {
                Ok(r) => {
                    if r.fired + r.stale + r.lost > 0 {
                        tracing::debug!(
                            fired = r.fired,
                            stale = r.stale,
                            lost = r.lost,
                            "timers fired"
                        );
                    }
                    self.until_next_due().await
                }
                Err(e) => {
                    tracing::warn!(error = %e, "firing timers failed; retrying shortly");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.app.inner.timer_wake.notified() => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
        tracing::info!(owner = %self.owner, "timer scheduler stopped");
    }

    async fn until_next_due(&self) -> Duration {
        let now = self.app.now();
        let next = async {
            let mut tx = self.app.store().read().await?;
            let next = tx.next_timer_due(now).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(next)
        }
        .await;
        match next {
            Ok(Some(due)) => Duration::from_millis(
                u64::try_from(due.as_millis().saturating_sub(now.as_millis())).unwrap_or(0),
            )
            .min(self.max_idle),
            Ok(None) => self.max_idle,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the next due timer");
                Duration::from_secs(1)
            }
        }
    }
}
