//! `leadpool bench pool-view`: agents browsing the lead pool over HTTP, with filters and a
//! text search on every request, next to a bare `/healthz` in the same run under the same
//! load. The goal (issue 4) is a pool view p95 of at most three times the healthz p95.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use leadpool_app::bootstrap::UserSpec;
use leadpool_domain::{Role, StatusId, Visibility};
use leadpool_store::bench_pool::{
    AREA_CODES, DOMAINS, FIRST_NAMES, LAST_NAMES, PoolViewSeed, TAGS,
};
use leadpool_store::leads::{LeadFilter, LeadSort};
use leadpool_web::WebConfig;
use reqwest::Url;

use crate::bench::{BenchDb, Figures, agent_email, bench_org, figures};

/// The goal: pool view p95 at most this many times the healthz p95.
const GOAL_RATIO: f64 = 3.0;

/// The settings of `leadpool bench pool-view`.
#[derive(Debug, Clone)]
pub struct PoolViewBench {
    /// How long to drive load.
    pub duration: Duration,
    /// Concurrent clients, each a distinct agent.
    pub clients: usize,
    /// Leads in the database.
    pub leads: i64,
    /// Of which in the default pool.
    pub pool_leads: i64,
    /// A scratch PostgreSQL database, instead of a fresh SQLite file.
    pub database_url: Option<String>,
}

/// Seeds the organization, serves it in-process, drives pool views and health checks from
/// the same clients for `duration`, and prints both latencies and their ratio.
pub async fn pool_view(b: PoolViewBench) -> anyhow::Result<()> {
    let clients = b.clients.max(1);
    let db = BenchDb::new(b.database_url.clone())?;
    let (app, store) = db.app("pool-view").await?;
    let org = bench_org(&app).await?;
    let mut sources = Vec::new();
    for name in ["Website", "Zillow", "Referral", "Open house"] {
        sources.push(app.add_source(&org, name).await?.0.id);
    }
    let mut agents = Vec::with_capacity(clients);
    for i in 0..clients {
        let spec = UserSpec {
            email: &agent_email(&org, i),
            name: &format!("Agent {i}"),
            role: Role::Agent,
            password: None,
            teams: &[],
        };
        agents.push(app.add_user(&org, &spec).await?);
    }
    let mut tx = store.read().await?;
    let statuses: Vec<StatusId> = tx.statuses(org.id).await?.iter().map(|s| s.id).collect();
    let pool = tx
        .pools(org.id)
        .await?
        .into_iter()
        .find(|p| p.is_default)
        .context("the organization has no default pool")?;
    tx.commit().await?;

    println!(
        "seeding {} leads, {} of them in the pool, {clients} agents, on {}…",
        b.leads,
        b.pool_leads,
        db.describe()
    );
    let seeding = Instant::now();
    let agent_ids: Vec<_> = agents.iter().map(|(u, _)| u.id).collect();
    let mut tx = store.write().await?;
    tx.bench_seed_pool_view(&PoolViewSeed {
        org: org.id,
        sources: &sources,
        statuses: &statuses,
        agents: &agent_ids,
        teams: &[],
        pool: pool.id,
        leads: b.leads,
        pool_leads: b.pool_leads,
        now: app.now(),
    })
    .await?;
    tx.commit().await?;
    store.bench_settle().await?;
    println!("seeded in {:.1} s", seeding.elapsed().as_secs_f64());

    // The plan of one typical pool view, as the first agent asks for it.
    let sample = LeadFilter {
        in_pool: Some(true),
        statuses: statuses.iter().take(1).copied().collect(),
        search: Some("silva".into()),
        ..LeadFilter::default()
    };
    let visibility = Visibility::Own {
        user: agent_ids[0],
        pools: vec![pool.id],
    };
    let mut tx = store.read().await?;
    let plan = tx
        .explain_leads(org.id, &visibility, &sample, LeadSort::CreatedDesc, 51)
        .await?;
    tx.commit().await?;
    println!("plan of a pool view (status filter, search \"silva\"):");
    for line in plan {
        println!("  {line}");
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, leadpool_web::router(app, WebConfig::default())).await;
    });
    println!(
        "{clients} agents for {:?}, each alternating a pool view (filters and a search) with GET /healthz…",
        b.duration
    );
    let run = drive(addr, &agents, &statuses.into(), b.duration).await?;
    server.abort();
    store.close().await;

    let total = run.pool.ops + run.health.ops;
    #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
    let rate = total as f64 / run.elapsed.as_secs_f64();
    println!(
        "requests: {total} in {:.1} s ({rate:.0}/s)",
        run.elapsed.as_secs_f64()
    );
    print_latency("pool view", &run.pool);
    #[allow(clippy::cast_precision_loss, reason = "a mean for people to read")]
    let mean_page = run.found as f64 / run.pool.ops.max(1) as f64;
    println!(
        "  pages held {mean_page:.1} leads on average; {} of {} found none",
        run.empty, run.pool.ops
    );
    print_latency("healthz", &run.health);
    let healthz_p95 = run.health.p95.as_secs_f64();
    if healthz_p95 > 0.0 {
        let ratio = run.pool.p95.as_secs_f64() / healthz_p95;
        println!(
            "ratio p95 pool view / p95 healthz: {ratio:.2} (goal: at most {GOAL_RATIO}; {})",
            if ratio <= GOAL_RATIO { "met" } else { "missed" }
        );
    }
    Ok(())
}

fn print_latency(what: &str, f: &Figures) {
    println!(
        "{what}: {} requests ({:.0}/s), p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, {} errors",
        f.ops,
        f.rate,
        f.p50.as_secs_f64() * 1e3,
        f.p95.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.errors
    );
}

/// What the clients measured.
struct Run {
    pool: Figures,
    health: Figures,
    elapsed: Duration,
    /// Leads on all pool pages together.
    found: u64,
    /// Pool pages with no lead.
    empty: u64,
}

/// One client's samples.
#[derive(Default)]
struct Samples {
    pool: Vec<Duration>,
    pool_errors: u64,
    health: Vec<Duration>,
    health_errors: u64,
    found: u64,
    empty: u64,
}

async fn drive(
    addr: std::net::SocketAddr,
    agents: &[(leadpool_store::users::User, String)],
    statuses: &Arc<[StatusId]>,
    duration: Duration,
) -> anyhow::Result<Run> {
    let leads_url = Url::parse(&format!("http://{addr}/api/v1/leads"))?;
    let health_url = format!("http://{addr}/healthz");
    // Warm each client's connection and the server's statement caches before timing.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(agents.len())
        .build()?;
    for (_, token) in agents {
        http.get(leads_url.clone())
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?;
    }
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(agents.len());
    for (i, (_, token)) in agents.iter().enumerate() {
        let (http, token, statuses) = (http.clone(), token.clone(), Arc::clone(statuses));
        let (leads_url, health_url) = (leads_url.clone(), health_url.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(i as u64);
            let mut s = Samples::default();
            // Half the clients start with a health check, so both kinds are in flight at
            // every moment and each sees the load of the other.
            let mut pool_turn = i % 2 == 0;
            while Instant::now() < deadline {
                if pool_turn {
                    let url = pool_view_url(&leads_url, &statuses, &mut rng);
                    let t = Instant::now();
                    match body(http.get(url).bearer_auth(&token)).await {
                        Some(page) => {
                            s.pool.push(t.elapsed());
                            let n = page_size(&page);
                            s.found += n;
                            s.empty += u64::from(n == 0);
                        }
                        None => s.pool_errors += 1,
                    }
                } else {
                    let t = Instant::now();
                    match body(http.get(&health_url)).await {
                        Some(_) => s.health.push(t.elapsed()),
                        None => s.health_errors += 1,
                    }
                }
                pool_turn = !pool_turn;
            }
            s
        }));
    }
    let mut all = Samples::default();
    for t in tasks {
        let s = t.await?;
        all.pool.extend(s.pool);
        all.health.extend(s.health);
        all.pool_errors += s.pool_errors;
        all.health_errors += s.health_errors;
        all.found += s.found;
        all.empty += s.empty;
    }
    let elapsed = started.elapsed();
    Ok(Run {
        pool: figures(all.pool, all.pool_errors, elapsed),
        health: figures(all.health, all.health_errors, elapsed),
        elapsed,
        found: all.found,
        empty: all.empty,
    })
}

/// The whole body of a successful answer; `None` for a failure of any kind.
async fn body(req: reqwest::RequestBuilder) -> Option<Vec<u8>> {
    let r = req.send().await.ok()?.error_for_status().ok()?;
    r.bytes().await.ok().map(Vec::from)
}

/// How many leads a page of the lead list holds.
fn page_size(body: &[u8]) -> u64 {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["items"].as_array().map(Vec::len))
        .map_or(0, |n| u64::try_from(n).unwrap_or(u64::MAX))
}

/// A pool view as an agent asks for it: "Lead pool: yes", a search, and now and then a
/// status or a tag filter.
fn pool_view_url(base: &Url, statuses: &[StatusId], rng: &mut fastrand::Rng) -> Url {
    let mut url = base.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("pool", "yes");
        q.append_pair("q", &search_term(rng));
        if rng.u8(..100) < 40 && !statuses.is_empty() {
            let picked: Vec<String> = (0..rng.usize(1..=2))
                .map(|_| statuses[rng.usize(..statuses.len())].to_string())
                .collect();
            q.append_pair("status", &picked.join(","));
        }
        if rng.u8(..100) < 25 {
            q.append_pair("tags", TAGS[rng.usize(..TAGS.len())]);
        }
    }
    url
}

/// Something a person types in the search box to find a lead they have in mind: a name or
/// part of one, part of an email, or a run of phone digits. Always three characters or more.
fn search_term(rng: &mut fastrand::Rng) -> String {
    let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.usize(..LAST_NAMES.len())];
    match rng.u8(..6) {
        0 => first.0.to_owned(),
        1 => {
            // A stretch of a last name: how people search a name they half remember.
            let chars: Vec<char> = last.1.chars().collect();
            let len = rng.usize(3.min(chars.len())..=chars.len());
            let start = rng.usize(..=chars.len() - len);
            chars[start..start + len].iter().collect()
        }
        2 => format!("{} {}", first.0, last.0),
        3 => format!("{}.{}", first.2, last.2),
        4 => format!("@{}", DOMAINS[rng.usize(..DOMAINS.len())]),
        _ => {
            let area = AREA_CODES[rng.usize(..AREA_CODES.len())];
            let digits: String = (0..rng.usize(4..=7))
                .map(|_| char::from(b'0' + rng.u8(..10)))
                .collect();
            // Half the time with the area code in front, as in "(415) 555-…".
            if rng.bool() {
                format!("({area}) {}", &digits[..digits.len().min(4)])
            } else {
                digits
            }
        }
    }
}
