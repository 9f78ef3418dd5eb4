//! `leadpool bench live`: live updates under load. `--clients` browsers hold `GET /live`
//! open over real HTTP (eight per agent, the per-person cap) while leads arrive through
//! intake at a steady `--rate`, each offered to every agent at once; every client times each
//! event from its write to its arrival. In the same run, a bare `tokio::sync::broadcast`
//! fan-out of as many messages to as many receivers is timed alike: the floor any in-process
//! fan-out stands on, so the difference is what the outbox read, SSE and HTTP add.
//!
//! With `--database-url` on PostgreSQL it runs two instances on that database: leads arrive
//! at the first, half the clients listen on the second, which hears of each commit by
//! LISTEN/NOTIFY; the two halves' figures are printed apart.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use leadpool_app::bootstrap::UserSpec;
use leadpool_app::live::MAX_STREAMS_PER_USER;
use leadpool_domain::routing::{Conditions, Fallback, GroupEntry, MemberRef, Plan, Strategy};
use leadpool_domain::{Role, Timestamp, UserId};
use leadpool_store::routing::RuleSettings;
use leadpool_web::WebConfig;
use tokio::sync::{Barrier, broadcast};

use crate::bench::{BenchDb, Figures, agent_email, bench_org, figures, lead_body, print_figures};

/// Every bench agent's password (hashed once each at setup).
const PASSWORD: &str = "bench-password-123";

/// The settings of `leadpool bench live`.
#[derive(Debug, Clone)]
pub struct LiveBench {
    /// Connected SSE clients.
    pub clients: usize,
    /// Leads per second through intake.
    pub rate: u32,
    /// How long leads arrive.
    pub duration: Duration,
    /// A PostgreSQL database to run two instances on; `None`: one instance on a fresh
    /// SQLite file.
    pub database_url: Option<String>,
}

/// The wall clock in milliseconds, as the server stamps events.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs the benchmark and prints its figures.
pub async fn live(b: LiveBench) -> anyhow::Result<()> {
    let clients = b.clients.max(1);
    let agents_n = clients.div_ceil(MAX_STREAMS_PER_USER);
    let db = BenchDb::new(b.database_url.clone())?;
    let (app, store) = db.app("live").await?;
    // On PostgreSQL a second instance opens the same database: its own connections, nothing
    // shared in memory.
    let second = match b.database_url {
        Some(_) => Some(db.app("live").await?.0),
        None => None,
    };
    let org = bench_org(&app).await?;
    println!("setting up {agents_n} agents, each offered every lead at once…");
    let mut agents: Vec<(UserId, String)> = Vec::with_capacity(agents_n);
    for i in 0..agents_n {
        let email = agent_email(&org, i);
        let spec = UserSpec {
            email: &email,
            name: &format!("Agent {i}"),
            role: Role::Agent,
            password: Some(PASSWORD),
            teams: &[],
        };
        agents.push((app.add_user(&org, &spec).await?.0.id, email));
    }
    let (source, key) = app.add_source(&org, "Portal").await?;
    let entries: Vec<GroupEntry> = agents
        .iter()
        .map(|(id, _)| GroupEntry {
            member: MemberRef::User { user_id: *id },
            weight: 1,
        })
        .collect();
    let now = app.now();
    let mut tx = store.write().await?;
    let group = tx.insert_group(org.id, "Everyone", &entries, now).await?;
    tx.insert_rule(
        org.id,
        &RuleSettings {
            name: "Everyone at once".into(),
            enabled: true,
            conditions: Conditions {
                sources: vec![source.id],
                ..Conditions::default()
            },
            plan: Plan {
                strategy: Strategy::Broadcast,
                group_id: Some(group.id),
                // Longer than the run: no offer expires and moves on mid-measurement.
                window_secs: Some(3_600),
                calendar_id: None,
                ignore_hours: true,
                passes: 1,
                fallback: Fallback::Queue,
            },
        },
        now,
    )
    .await?;
    tx.commit().await?;

    let mut servers = Vec::new();
    let mut bases = Vec::new();
    for instance in std::iter::once(&app).chain(second.as_ref()) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        bases.push(format!("http://{}", listener.local_addr()?));
        let served = instance.clone();
        servers.push(tokio::spawn(async move {
            let _ = axum::serve(listener, leadpool_web::router(served, WebConfig::default())).await;
        }));
    }
    let base = bases[0].clone();

    println!("signing in and opening {clients} live streams…");
    let mut sessions = Vec::with_capacity(agents_n);
    for (_, email) in &agents {
        let http = reqwest::Client::builder().cookie_store(true).build()?;
        let res = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
            .send()
            .await?;
        anyhow::ensure!(
            res.status().is_success(),
            "sign-in of {email} answered {}",
            res.status()
        );
        sessions.push(http);
    }
    let end = Arc::new(tokio::sync::Notify::new());
    let ready = Arc::new(Barrier::new(clients + 1));
    let mut readers = Vec::with_capacity(clients);
    for c in 0..clients {
        let http = sessions[c % sessions.len()].clone();
        // Sessions live in the database, so a session made on one instance is good on both.
        let instance = (c / sessions.len()) % bases.len();
        let (url, end, ready) = (
            format!("{}/live", bases[instance]),
            Arc::clone(&end),
            Arc::clone(&ready),
        );
        readers.push(tokio::spawn(async move {
            let res = http.get(url).send().await;
            ready.wait().await;
            let mut res = match res {
                Ok(r) if r.status().is_success() => r,
                _ => return (instance, Vec::new()),
            };
            (instance, read_latencies(&mut res, &end).await)
        }));
    }
    ready.wait().await;

    println!(
        "{} leads/s through intake for {:?}, each offered to all {agents_n} agents…",
        b.rate, b.duration
    );
    let http = reqwest::Client::new();
    let intake_url = format!("{base}/api/v1/intake");
    let mut tick = tokio::time::interval(Duration::from_secs(1) / b.rate.max(1));
    let started = Instant::now();
    let (mut sent, mut failed) = (0u64, 0u64);
    while started.elapsed() < b.duration {
        tick.tick().await;
        let res = http
            .post(&intake_url)
            .header("x-intake-key", &key)
            .json(&lead_body(sent))
            .send()
            .await;
        match res {
            Ok(r) if r.status().as_u16() == 201 => sent += 1,
            _ => failed += 1,
        }
    }
    // The last events are still on their way: let them land before the count.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let elapsed = started.elapsed();
    end.notify_waiters();
    let mut lat = vec![Vec::new(); bases.len()];
    let mut silent = 0;
    for r in readers {
        let (instance, l) = r.await?;
        if l.is_empty() {
            silent += 1;
        }
        lat[instance].extend(l);
    }
    for instance in std::iter::once(&app).chain(second.as_ref()) {
        instance.close_live();
    }
    for server in &servers {
        server.abort();
    }
    println!("leads sent: {sent} ({failed} failed); clients that received nothing: {silent}");
    let mut halves = lat.into_iter().map(|l| figures(l, failed, elapsed));
    let live = halves
        .next()
        .unwrap_or_else(|| figures(Vec::new(), failed, elapsed));
    let (title, other) = match halves.next() {
        Some(other) => (
            "live over HTTP on the instance written to, from write to client",
            Some(other),
        ),
        None => ("live over HTTP, from write to client", None),
    };
    print_figures(title, "events", &live);
    if let Some(other) = &other {
        print_figures(
            "live over HTTP on the other instance (PostgreSQL NOTIFY), from write to client",
            "events",
            other,
        );
    }

    let bare = bare_broadcast(clients, agents_n, b.rate, b.duration).await;
    print_figures("bare tokio::sync::broadcast fan-out", "events", &bare);
    let worst = other.as_ref().map_or(live.p99, |o| o.p99.max(live.p99));
    if live.ops > 0 && silent == 0 && worst < Duration::from_millis(250) {
        println!("goal met: p99 under 250 ms with {clients} connected");
    } else {
        println!(
            "goal missed: every client should receive events, p99 under 250 ms with {clients} connected"
        );
    }
    Ok(())
}

/// Reads a stream until told to stop; returns each event's latency from its write.
async fn read_latencies(res: &mut reqwest::Response, end: &tokio::sync::Notify) -> Vec<Duration> {
    let mut lat = Vec::new();
    let mut buf = String::new();
    let stop = end.notified();
    tokio::pin!(stop);
    loop {
        let chunk = tokio::select! {
            () = &mut stop => break,
            c = res.chunk() => c,
        };
        let Ok(Some(bytes)) = chunk else { break };
        let arrived = now_ms();
        buf.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let at = block
                .lines()
                .find_map(|l| l.strip_prefix("data:"))
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d.trim()).ok())
                // Stamped as RFC 3339 with its milliseconds.
                .and_then(|v| serde_json::from_value::<Timestamp>(v["at"].clone()).ok())
                .map(Timestamp::as_millis);
            if let Some(at) = at {
                lat.push(Duration::from_millis(
                    u64::try_from(arrived.saturating_sub(at)).unwrap_or(0),
                ));
            }
        }
    }
    lat
}

/// The same fan-out with nothing but a broadcast channel: per lead, one message per agent,
/// sent to every receiver, each keeping its own agent's.
async fn bare_broadcast(clients: usize, agents: usize, rate: u32, duration: Duration) -> Figures {
    let (tx, _) = broadcast::channel::<(usize, Instant)>(65_536);
    let mut receivers = Vec::with_capacity(clients);
    for c in 0..clients {
        let mut rx = tx.subscribe();
        let me = c % agents;
        receivers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                match rx.recv().await {
                    Ok((to, sent)) if to == me => lat.push(sent.elapsed()),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
            lat
        }));
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    let started = Instant::now();
    while started.elapsed() < duration {
        tick.tick().await;
        let now = Instant::now();
        for a in 0..agents {
            let _ = tx.send((a, now));
        }
    }
    let elapsed = started.elapsed();
    drop(tx);
    let mut lat = Vec::new();
    for r in receivers {
        lat.extend(r.await.unwrap_or_default());
    }
    figures(lat, 0, elapsed)
}
