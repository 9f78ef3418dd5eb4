//! `leadpool bench route`: lead intake over HTTP through 50 routing rules, each handing its
//! source's leads round robin to a group of 20 agents, next to the raw rate of what routing
//! a lead stands on (the bare lead INSERT and one round-robin position UPDATE, one pair per
//! transaction) on the same database in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use leadpool_app::bootstrap::UserSpec;
use leadpool_app::{Clock, SystemClock};
use leadpool_domain::lead::{LeadDraft, LeadInput};
use leadpool_domain::routing::{
    Conditions, Cursor, Fallback, GroupEntry, MemberRef, Plan, Router, Strategy,
};
use leadpool_domain::{Actor, Owner, Role, RuleId};
use leadpool_store::routing::RuleSettings;
use leadpool_web::WebConfig;

use crate::bench::{BenchDb, Figures, agent_email, bench_org, figures, lead_body, print_figures};

/// The settings of `leadpool bench route`.
#[derive(Debug, Clone)]
pub struct RouteBench {
    /// How long each phase runs.
    pub duration: Duration,
    /// Concurrent HTTP clients (and raw writers).
    pub clients: usize,
    /// Routing rules, one source each.
    pub rules: usize,
    /// Agents in each rule's round-robin group.
    pub group_size: usize,
    /// A scratch PostgreSQL database, instead of a fresh SQLite file.
    pub database_url: Option<String>,
}

/// Runs the benchmark and prints its figures.
pub async fn route(b: RouteBench) -> anyhow::Result<()> {
    let clients = b.clients.max(1);
    let db = BenchDb::new(b.database_url.clone())?;
    let (app, store) = db.app("route").await?;
    let org = bench_org(&app).await?;
    let agents_total = (b.rules * b.group_size / 4).max(b.group_size);
    println!(
        "setting up {} rules with round-robin groups of {} over {agents_total} agents…",
        b.rules, b.group_size
    );
    let mut agents = Vec::with_capacity(agents_total);
    for i in 0..agents_total {
        let spec = UserSpec {
            email: &agent_email(&org, i),
            name: &format!("Agent {i}"),
            role: Role::Agent,
            password: None,
            teams: &[],
        };
        agents.push(app.add_user(&org, &spec).await?.0.id);
    }
    let mut keys = Vec::with_capacity(b.rules);
    let mut rules = Vec::with_capacity(b.rules);
    let now = app.now();
    for r in 0..b.rules {
        let (source, key) = app.add_source(&org, &format!("Source {r}")).await?;
        keys.push(key);
        // Overlapping groups: every agent is in several, as on a real team.
        let entries: Vec<GroupEntry> = (0..b.group_size)
            .map(|k| GroupEntry {
                member: MemberRef::User {
                    user_id: agents[(r * 4 + k) % agents.len()],
                },
                weight: 1,
            })
            .collect();
        let mut tx = store.write().await?;
        let group = tx
            .insert_group(org.id, &format!("Group {r}"), &entries, now)
            .await?;
        let rule = tx
            .insert_rule(
                org.id,
                &RuleSettings {
                    name: format!("Rule {r}"),
                    enabled: true,
                    conditions: Conditions {
                        sources: vec![source.id],
                        ..Conditions::default()
                    },
                    plan: Plan {
                        strategy: Strategy::RoundRobin,
                        group_id: Some(group.id),
                        window_secs: None,
                        calendar_id: None,
                        ignore_hours: false,
                        passes: 1,
                        fallback: Fallback::Queue,
                    },
                },
                now,
            )
            .await?;
        tx.commit().await?;
        rules.push(rule.id);
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, leadpool_web::router(app, WebConfig::default())).await;
    });
    let url = format!("http://{addr}/api/v1/intake");
    println!(
        "routed intake over HTTP: {clients} clients for {:?}, leads spread over the {} sources…",
        b.duration, b.rules
    );
    let (http_figures, routed) = http_phase(&url, &keys, clients, b.duration).await?;
    server.abort();
    print_figures("routed intake over HTTP", "leads", &http_figures);
    println!("  of which assigned to an agent by their rule: {routed}");

    let raw = raw_phase(&store, org.id, &rules, clients, b.duration).await?;
    print_figures(
        "bare lead INSERT + round-robin position UPDATE, one pair per transaction",
        "leads",
        &raw,
    );
    if raw.rate > 0.0 {
        println!(
            "ratio routed intake / bare INSERT + UPDATE: {:.2} (goal: at least 1.0)",
            http_figures.rate / raw.rate
        );
    }
    Ok(())
}

async fn http_phase(
    url: &str,
    keys: &[String],
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(Figures, u64)> {
    let keys: Arc<[String]> = keys.into();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let (url, keys) = (url.to_owned(), Arc::clone(&keys));
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut rng = fastrand::Rng::with_seed(c as u64);
            let (mut lat, mut errors, mut routed, mut n) = (Vec::new(), 0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                let id = (u64::try_from(c).unwrap_or(0) << 40) | n;
                n += 1;
                let key = &keys[rng.usize(..keys.len())];
                let t = Instant::now();
                let res = http
                    .post(&url)
                    .header("x-intake-key", key)
                    .json(&lead_body(id))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        lat.push(t.elapsed());
                        if body["lead"]["owner"]["kind"] == "agent" {
                            routed += 1;
                        }
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors, routed)
        }));
    }
    let (mut lat, mut errors, mut routed) = (Vec::new(), 0, 0);
    for t in tasks {
        let (l, e, r) = t.await?;
        lat.extend(l);
        errors += e;
        routed += r;
    }
    Ok((figures(lat, errors, started.elapsed()), routed))
}

async fn raw_phase(
    store: &leadpool_store::Store,
    org: leadpool_domain::OrgId,
    rules: &[RuleId],
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Figures> {
    let mut tx = store.read().await?;
    let status = tx.default_status(org).await?.to_ref();
    let sources = tx.sources(org).await?;
    tx.commit().await?;
    let pairs: Arc<[_]> = rules
        .iter()
        .zip(sources.iter().map(|s| s.id))
        .map(|(r, s)| (*r, s))
        .collect::<Vec<_>>()
        .into();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let (store, status, pairs) = (store.clone(), status.clone(), Arc::clone(&pairs));
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(1_000 + c as u64);
            let (mut lat, mut errors, mut n) = (Vec::new(), 0u64, 0u64);
            while Instant::now() < deadline {
                let id = (1u64 << 62) | (u64::try_from(c).unwrap_or(0) << 40) | n;
                n += 1;
                let (rule, source) = pairs[rng.usize(..pairs.len())];
                let body = lead_body(id);
                let text = |k: &str| body[k].as_str().map(str::to_owned);
                let input = LeadInput {
                    name: text("name"),
                    emails: text("email").into_iter().collect(),
                    phones: text("phone").into_iter().collect(),
                    external_id: text("external_id"),
                    ..LeadInput::default()
                };
                let now = SystemClock.now();
                let new = LeadDraft::parse(input)?.create(
                    org,
                    source,
                    status.clone(),
                    Owner::Queue,
                    None,
                    Actor::System,
                    None,
                    now,
                );
                let cursor = Cursor {
                    round: n,
                    ..Cursor::default()
                };
                let t = Instant::now();
                let done = async {
                    let mut tx = store.write().await?;
                    tx.bench_bare_lead_insert(&new).await?;
                    tx.save_cursors(org, &[(Router::Rule { rule_id: rule }, cursor)])
                        .await?;
                    tx.commit().await
                }
                .await;
                match done {
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
