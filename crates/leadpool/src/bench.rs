//! `leadpool bench`: whole-system figures, each next to the raw rate of the bare statement
//! it stands on, measured side by side in the same run on the same machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use leadpool_app::bootstrap::{DEFAULT_STATUSES, NewOrg};
use leadpool_app::{App, Settings, SystemClock};
use leadpool_domain::lead::{LeadDraft, LeadInput};
use leadpool_domain::{Actor, Owner};
use leadpool_store::{ConnectOptions, Store};
use leadpool_web::WebConfig;

/// Latency figures of one run.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Operations completed.
    pub ops: u64,
    /// Operations that failed.
    pub errors: u64,
    /// Operations per second.
    pub rate: f64,
    /// Median latency.
    pub p50: Duration,
    /// 95th percentile latency.
    pub p95: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

pub(crate) fn figures(mut lat: Vec<Duration>, errors: u64, elapsed: Duration) -> Figures {
    lat.sort_unstable();
    let pick = |q: f64| {
        if lat.is_empty() {
            return Duration::ZERO;
        }
        let max = lat.len() - 1;
        // Truncation is the nearest-rank method's floor; the index stays within the sample.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a sample of at most millions"
        )]
        let i = ((max as f64) * q).round() as usize;
        lat[i.min(max)]
    };
    let ops = u64::try_from(lat.len()).unwrap_or(u64::MAX);
    #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
    let rate = ops as f64 / elapsed.as_secs_f64();
    Figures {
        ops,
        errors,
        rate,
        p50: pick(0.50),
        p95: pick(0.95),
        p99: pick(0.99),
    }
}

/// Where a benchmark writes: fresh SQLite files in a temporary directory, or the scratch
/// PostgreSQL database `--database-url` names, whose data is kept (each run makes its own
/// organization there, so earlier runs are in no one's way).
pub(crate) struct BenchDb {
    dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl BenchDb {
    /// SQLite files in a new temporary directory, or `database_url` when given.
    pub(crate) fn new(database_url: Option<String>) -> anyhow::Result<Self> {
        Ok(Self {
            dir: tempfile::tempdir()?,
            database_url,
        })
    }

    /// The database of the phase `name`: a file of its own on SQLite, the one scratch
    /// database on PostgreSQL.
    pub(crate) fn url(&self, name: &str) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.dir.path().join(format!("{name}.db")).display()
            )
        })
    }

    /// The phase `name`'s database, opened and migrated.
    pub(crate) async fn store(&self, name: &str) -> anyhow::Result<Store> {
        let store = Store::connect(&self.url(name), &ConnectOptions::default()).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The phase `name`'s database with an app on the system clock.
    pub(crate) async fn app(&self, name: &str) -> anyhow::Result<(App, Store)> {
        let store = self.store(name).await?;
        Ok((
            App::new(store.clone(), Arc::new(SystemClock), Settings::default()),
            store,
        ))
    }

    /// The database as the output names it.
    pub(crate) fn describe(&self) -> String {
        match &self.database_url {
            Some(url) => leadpool_store::redact(url),
            None => "a fresh SQLite database".to_owned(),
        }
    }
}

/// A new organization for one run, with a slug no earlier run on the database took.
pub(crate) async fn bench_org(app: &App) -> anyhow::Result<leadpool_store::orgs::Organization> {
    Ok(app
        .create_org(&NewOrg {
            slug: &format!("bench-{}", fastrand::u32(..)),
            name: "Bench",
            statuses: DEFAULT_STATUSES,
        })
        .await?)
}

/// The email of the benchmark's agent `i` in `org`, distinct across runs on one database.
pub(crate) fn agent_email(org: &leadpool_store::orgs::Organization, i: usize) -> String {
    format!("agent{i}@{}.test", org.slug)
}

/// Drives lead intake over HTTP from `clients` concurrent clients for `duration`, then runs
/// the store's bare lead INSERT (one per transaction, same concurrency) on another fresh
/// database for as long, and prints both and their ratio.
pub async fn intake(
    duration: Duration,
    clients: usize,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    let clients = clients.max(1);
    let db = BenchDb::new(database_url)?;
    let (app, _store) = db.app("http").await?;
    let org = bench_org(&app).await?;
    let (_, key) = app.add_source(&org, "Website").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, leadpool_web::router(app, WebConfig::default())).await;
    });
    let url = format!("http://{addr}/api/v1/intake");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    // Warm the connection pool and the statement caches before timing.
    for i in 0..clients {
        http.post(&url)
            .header("x-intake-key", &key)
            .json(&lead_body(u64::MAX - u64::try_from(i).unwrap_or(0)))
            .send()
            .await?
            .error_for_status()?;
    }
    println!(
        "intake over HTTP: {clients} clients for {duration:?} on {}…",
        db.describe()
    );
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let (http, url, key) = (http.clone(), url.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                let id = (u64::try_from(c).unwrap_or(0) << 40) | n;
                n += 1;
                let t = Instant::now();
                match http
                    .post(&url)
                    .header("x-intake-key", &key)
                    .json(&lead_body(id))
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 201 => lat.push(t.elapsed()),
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let (mut lat, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await?;
        lat.extend(l);
        errors += e;
    }
    let http_figures = figures(lat, errors, started.elapsed());
    server.abort();
    print_figures("intake over HTTP", "leads", &http_figures);

    let raw = bare_insert(&db, duration, clients).await?;
    print_figures("bare lead INSERT, one per transaction", "rows", &raw);
    if raw.rate > 0.0 {
        println!(
            "ratio HTTP intake / bare INSERT: {:.2}",
            http_figures.rate / raw.rate
        );
    }
    Ok(())
}

pub(crate) fn print_figures(what: &str, unit: &str, f: &Figures) {
    println!(
        "{what}: {} {unit} ({:.0} {unit}/s), p50 {:.2} ms, p99 {:.2} ms, {} errors",
        f.ops,
        f.rate,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.errors
    );
}

/// The body of one benchmark lead, distinct by `id`.
pub(crate) fn lead_body(id: u64) -> serde_json::Value {
    serde_json::json!({
        "name": format!("Bench Lead {id}"),
        "email": format!("lead{id}@example.com"),
        "phone": format!("+1555{:07}", id % 10_000_000),
        "external_id": format!("bench-{id}"),
        "fields": { "budget": 450_000 }
    })
}

async fn bare_insert(db: &BenchDb, duration: Duration, clients: usize) -> anyhow::Result<Figures> {
    let (app, store) = db.app("raw").await?;
    let org = bench_org(&app).await?;
    let (source, _) = app.add_source(&org, "Website").await?;
    let mut tx = store.read().await?;
    let status = tx.default_status(org.id).await?.to_ref();
    tx.commit().await?;
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let (store, status) = (store.clone(), status.clone());
        let (org_id, source_id) = (org.id, source.id);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                let id = (u64::try_from(c).unwrap_or(0) << 40) | n;
                n += 1;
                let input: LeadInput = serde_json::from_value(serde_json::json!({
                    "name": format!("Bench Lead {id}"), "emails": [format!("lead{id}@example.com")],
                    "phones": [format!("+1555{:07}", id % 10_000_000)], "tags": [], "fields": {"budget": 450_000},
                    "external_id": format!("bench-{id}")
                }))
                .context("bench lead")?;
                let draft = LeadDraft::parse(input)?;
                let now = leadpool_app::Clock::now(&SystemClock);
                let new = draft.create(org_id, source_id, status.clone(), Owner::Queue, None, Actor::System, None, now);
                let t = Instant::now();
                let ok = async {
                    let mut tx = store.write().await?;
                    tx.bench_bare_lead_insert(&new).await?;
                    tx.commit().await
                }
                .await;
                match ok {
                    Ok(()) => lat.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            anyhow::Ok((lat, errors))
        }));
    }
    let (mut lat, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await??;
        lat.extend(l);
        errors += e;
    }
    Ok(figures(lat, errors, started.elapsed()))
}

/// The settings of `leadpool bench timers`.
#[derive(Debug, Clone)]
pub struct TimerBench {
    /// Timers pending at the start.
    pub pending: i64,
    /// Timers falling due per second.
    pub rate: i64,
    /// How long to measure lag at that rate.
    pub duration: Duration,
    /// Timers fired as fast as possible in the backlog phase.
    pub backlog: i64,
    /// A scratch PostgreSQL database, instead of a fresh SQLite file.
    pub database_url: Option<String>,
}

/// The system clock shifted by an offset, until the benchmark stops it at an instant of its
/// choosing: seeding a million timers takes a while, so they are seeded ahead and the clock is
/// moved to meet them; a backlog is made due without waiting for it.
#[derive(Debug, Default)]
struct BenchClock {
    shift: std::sync::atomic::AtomicI64,
    stopped: std::sync::atomic::AtomicI64,
}

impl BenchClock {
    fn shift_to(&self, now: leadpool_domain::Timestamp) {
        let real = leadpool_app::Clock::now(&SystemClock).as_millis();
        self.shift
            .store(now.as_millis() - real, std::sync::atomic::Ordering::SeqCst);
    }

    fn stop_at(&self, t: leadpool_domain::Timestamp) {
        self.stopped
            .store(t.as_millis(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl leadpool_app::Clock for BenchClock {
    fn now(&self) -> leadpool_domain::Timestamp {
        match self.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            0 => leadpool_app::Clock::now(&SystemClock)
                .plus_millis(self.shift.load(std::sync::atomic::Ordering::SeqCst)),
            stopped => leadpool_domain::Timestamp::from_millis(stopped),
        }
    }
}

/// Seeds pending timers, measures firing lag at a steady due rate with the real scheduler
/// loop, then backlog firing throughput, then the bare claim statement's rate, and prints
/// them with the ratio of the last two.
pub async fn timers(b: TimerBench) -> anyhow::Result<()> {
    use leadpool_app::timers::{Fired, Scheduler};

    let db = BenchDb::new(b.database_url.clone())?;
    let store = db.store("timers").await?;
    let clock = Arc::new(BenchClock::default());
    let app = App::new(store.clone(), clock.clone(), Settings::default());
    let org = bench_org(&app).await?;
    let (source, _) = app.add_source(&org, "Bench").await?;
    let mut tx = store.write().await?;
    let statuses = tx.statuses(org.id).await?;
    let mut working = statuses
        .iter()
        .find(|s| s.name == "Working")
        .cloned()
        .context("no Working status")?;
    let recycled = statuses
        .iter()
        .find(|s| s.name == "Recycled")
        .context("no Recycled status")?
        .clone();
    working.expires_after_ms = Some(3_600_000);
    working.expires_to_status_id = Some(recycled.id);
    tx.update_status(&working).await?;
    tx.commit().await?;

    println!(
        "seeding {} pending timers due at {}/s on {}…",
        b.pending,
        b.rate,
        db.describe()
    );
    let bar = indicatif::ProgressBar::new(u64::try_from(b.pending).unwrap_or(0));
    // Seeded a day ahead; the clock is moved to just before the first due time once seeding ends.
    let start_due = app.now().plus_millis(86_400_000);
    let chunk = 100_000;
    let (mut seeded, mut first_lead) = (0, None);
    while seeded < b.pending {
        let n = chunk.min(b.pending - seeded);
        let first_due = start_due.plus_millis(seeded * 1000 / b.rate);
        let mut tx = store.write().await?;
        let first = tx
            .bench_seed_expiring_leads(
                org.id,
                source.id,
                working.id,
                n,
                first_due,
                b.rate,
                app.now(),
            )
            .await?;
        tx.commit().await?;
        first_lead.get_or_insert(leadpool_domain::LeadId::new(first));
        seeded += n;
        bar.set_position(u64::try_from(seeded).unwrap_or(0));
    }
    bar.finish_and_clear();

    // Phase 1: the real scheduler loop, timers falling due at a steady rate.
    clock.shift_to(start_due.plus_millis(-500));
    let lags = Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let observer = {
        let (lags, clock) = (lags.clone(), clock.clone());
        Arc::new(move |t: &leadpool_store::timers::ClaimedTimer, f: Fired| {
            if f == Fired::Applied {
                let lag =
                    leadpool_app::Clock::now(clock.as_ref()).as_millis() - t.due_at.as_millis();
                if let Ok(mut l) = lags.lock() {
                    l.push(Duration::from_millis(
                        u64::try_from(lag.max(0)).unwrap_or(0),
                    ));
                }
            }
        })
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = Scheduler::new(app.clone(), "bench-steady").with_observer(observer);
    let started = Instant::now();
    let running = tokio::spawn(scheduler.run(stopped));
    tokio::time::sleep(b.duration).await;
    let _ = stop.send(true);
    running.await?;
    let steady = figures(
        std::mem::take(
            &mut *lags
                .lock()
                .map_err(|_| anyhow::anyhow!("lag samples poisoned"))?,
        ),
        0,
        started.elapsed(),
    );
    println!(
        "steady: {} timers fired in {:.1} s ({:.0}/s at {}/s due, {} pending at the start); lag due→committed p50 {:.1} ms, p99 {:.1} ms",
        steady.ops,
        started.elapsed().as_secs_f64(),
        steady.rate,
        b.rate,
        b.pending,
        steady.p50.as_secs_f64() * 1e3,
        steady.p99.as_secs_f64() * 1e3
    );

    // Phase 2: a backlog made due at once, fired as fast as the scheduler can.
    let mut tx = store.read().await?;
    let frontier = tx
        .next_timer_due(app.now())
        .await?
        .context("no timers left for the backlog phase; lower --duration or raise --pending")?;
    tx.commit().await?;
    // Everything due up to here is the backlog: about `backlog` timers at the seeded spacing.
    let backlog_end = frontier.plus_millis(b.backlog * 1000 / b.rate - 1);
    clock.stop_at(backlog_end);
    let burst = Instant::now();
    let report = Scheduler::new(app.clone(), "bench-backlog")
        .run_due()
        .await?;
    let burst_elapsed = burst.elapsed();
    #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
    let fire_rate = report.fired as f64 / burst_elapsed.as_secs_f64();
    println!(
        "backlog: {} timers fired in {:.2} s ({fire_rate:.0}/s)",
        report.fired,
        burst_elapsed.as_secs_f64()
    );

    // Phase 3: the rows a firing writes, written by set-based SQL alone, on a backlog as large.
    let first_lead = first_lead.context("no timers seeded; raise --pending")?;
    let floor_rate =
        set_based_floor(&app, &store, &clock, &b, (org.id, first_lead), recycled.id).await?;
    println!(
        "set-based floor (the same rows written by three plain statements, 500 timers per transaction): {floor_rate:.0}/s"
    );

    // Phase 4: the bare claim statement alone, one batch per transaction, on what is left.
    // Firing deletes what it claims; so does this loop, off the clock, so that each claim
    // meets the table as the scheduler's does, not behind an ever longer run of leased rows.
    clock.stop_at(leadpool_domain::Timestamp::from_millis(i64::MAX / 4));
    let raw_started = Instant::now();
    let (mut claimed, mut timed) = (0usize, Duration::ZERO);
    while raw_started.elapsed() < Duration::from_secs(5) {
        let now = app.now();
        let t = Instant::now();
        let mut tx = store.write().await?;
        let ids: Vec<i64> = tx
            .claim_due_timers("bench-raw", now, now.plus_millis(3_600_000), 500)
            .await?
            .iter()
            .map(|c| c.id)
            .collect();
        tx.commit().await?;
        timed += t.elapsed();
        if ids.is_empty() {
            break;
        }
        claimed += ids.len();
        let mut tx = store.write().await?;
        tx.take_claimed_timers(&ids, "bench-raw").await?;
        tx.commit().await?;
    }
    #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
    let raw_rate = claimed as f64 / timed.as_secs_f64();
    println!(
        "bare claim-due-timers statement (500 per transaction): {claimed} claimed ({raw_rate:.0}/s)"
    );
    if raw_rate > 0.0 && floor_rate > 0.0 {
        println!(
            "ratio firing / bare claim: {:.2} (firing / set-based floor {:.2}; floor / bare claim {:.2}, above what any firing can reach, as it must claim too)",
            fire_rate / raw_rate,
            fire_rate / floor_rate,
            floor_rate / raw_rate
        );
    }
    store.close().await;
    Ok(())
}

/// Writes what firing `--backlog` status expiries writes (lead to `to`, the timeline entry
/// firing wrote for `fired`, the timer gone) with set-based SQL and nothing read back, and
/// returns timers per second: the store's own cost of a firing, which bounds what any
/// scheduler on this schema can reach.
async fn set_based_floor(
    app: &App,
    store: &Store,
    clock: &BenchClock,
    b: &TimerBench,
    (org, fired): (leadpool_domain::OrgId, leadpool_domain::LeadId),
    to: leadpool_domain::StatusId,
) -> anyhow::Result<f64> {
    let mut tx = store.read().await?;
    let entry = tx
        .timeline(org, fired)
        .await?
        .pop()
        .context("the first timer to fall due left no timeline entry")?
        .entry;
    let Some(frontier) = tx.next_timer_due(app.now()).await? else {
        return Ok(0.0);
    };
    tx.commit().await?;
    clock.stop_at(frontier.plus_millis(b.backlog * 1000 / b.rate - 1));
    let started = Instant::now();
    let mut written = 0u64;
    loop {
        let mut tx = store.write().await?;
        let n = tx.bench_fire_set_based(app.now(), 500, to, &entry).await?;
        tx.commit().await?;
        written += n;
        if n < 500 {
            break;
        }
    }
    #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
    Ok(written as f64 / started.elapsed().as_secs_f64())
}
