//! `leadpool bench claim`: agents claiming pool leads over HTTP, through the group-commit
//! claim writer, next to the raw rate of the bare conditional UPDATE a claim stands on, one
//! per transaction, on the same database in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use leadpool_app::bootstrap::UserSpec;
use leadpool_domain::{LeadId, Role, UserId};
use leadpool_web::WebConfig;

use crate::bench::{BenchDb, Figures, agent_email, bench_org, figures, print_figures};

/// The settings of `leadpool bench claim`.
#[derive(Debug, Clone)]
pub struct ClaimBench {
    /// How long each phase runs.
    pub duration: Duration,
    /// Concurrent clients, each a distinct agent.
    pub clients: usize,
    /// Leads in the database.
    pub leads: i64,
    /// Of which in the pool.
    pub pool_leads: i64,
    /// A scratch PostgreSQL database, instead of a fresh SQLite file.
    pub database_url: Option<String>,
}

/// Runs the benchmark and prints its figures.
pub async fn claim(b: ClaimBench) -> anyhow::Result<()> {
    let clients = b.clients.max(1);
    let db = BenchDb::new(b.database_url.clone())?;
    let (app, store) = db.app("claim").await?;
    let org = bench_org(&app).await?;
    let (source, _) = app.add_source(&org, "Portal").await?;
    println!(
        "seeding {} leads, {} of them in the pool, on {}…",
        b.leads,
        b.pool_leads,
        db.describe()
    );
    let seeded = Instant::now();
    let mut tx = store.write().await?;
    let status = tx.default_status(org.id).await?;
    let pool = tx
        .pools(org.id)
        .await?
        .into_iter()
        .find(|p| p.is_default)
        .ok_or_else(|| anyhow::anyhow!("the organization has no default pool"))?;
    tx.bench_seed_pool_leads(
        org.id,
        source.id,
        status.id,
        pool.id,
        b.leads,
        b.pool_leads,
        app.now(),
    )
    .await?;
    let pooled = tx.bench_pool_lead_ids(org.id, pool.id).await?;
    tx.commit().await?;
    println!(
        "seeded in {:.1} s; {} pool leads",
        seeded.elapsed().as_secs_f64(),
        pooled.len()
    );
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
    // Each phase claims from its own half of the pool, so both start from the same state.
    let (for_http, for_raw) = pooled.split_at(pooled.len() / 2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, leadpool_web::router(app, WebConfig::default())).await;
    });
    let url = format!("http://{addr}/api/v1/leads/claim");
    println!(
        "claims over HTTP: {clients} agents for {:?}, one lead per request…",
        b.duration
    );
    let (http_figures, won) = http_phase(&url, &agents, for_http, b.duration).await?;
    server.abort();
    print_figures("claims over HTTP", "claims", &http_figures);
    println!("  of which won: {won}; the rest were lost races, answered with the winner's name");

    let users: Vec<UserId> = agents.iter().map(|(u, _)| u.id).collect();
    let raw = raw_phase(&store, org.id, &users, for_raw, b.duration).await?;
    print_figures(
        "bare conditional UPDATE, one per transaction",
        "claims",
        &raw,
    );
    if raw.rate > 0.0 {
        println!(
            "ratio HTTP claims / bare UPDATE: {:.2} (goal: at least 1.5)",
            http_figures.rate / raw.rate
        );
    }
    Ok(())
}

async fn http_phase(
    url: &str,
    agents: &[(leadpool_store::users::User, String)],
    leads: &[LeadId],
    duration: Duration,
) -> anyhow::Result<(Figures, u64)> {
    let leads: Arc<[LeadId]> = leads.into();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(agents.len());
    for (i, (_, token)) in agents.iter().enumerate() {
        let (url, token, leads) = (url.to_owned(), token.clone(), Arc::clone(&leads));
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut rng = fastrand::Rng::with_seed(i as u64);
            let (mut lat, mut errors, mut won) = (Vec::new(), 0u64, 0u64);
            while Instant::now() < deadline {
                let id = leads[rng.usize(..leads.len())];
                let t = Instant::now();
                let res = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&serde_json::json!({ "lead_ids": [id] }))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        lat.push(t.elapsed());
                        if body["results"][0]["result"] == "claimed" {
                            won += 1;
                        }
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors, won)
        }));
    }
    let (mut lat, mut errors, mut won) = (Vec::new(), 0, 0);
    for t in tasks {
        let (l, e, w) = t.await?;
        lat.extend(l);
        errors += e;
        won += w;
    }
    Ok((figures(lat, errors, started.elapsed()), won))
}

async fn raw_phase(
    store: &leadpool_store::Store,
    org: leadpool_domain::OrgId,
    users: &[UserId],
    leads: &[LeadId],
    duration: Duration,
) -> anyhow::Result<Figures> {
    let leads: Arc<[LeadId]> = leads.into();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(users.len());
    for (i, user) in users.iter().enumerate() {
        let (store, leads, user) = (store.clone(), Arc::clone(&leads), *user);
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(1_000 + i as u64);
            let (mut lat, mut errors) = (Vec::new(), 0u64);
            while Instant::now() < deadline {
                let id = leads[rng.usize(..leads.len())];
                let now = leadpool_app::Clock::now(&leadpool_app::SystemClock);
                let t = Instant::now();
                let done = async {
                    let mut tx = store.write().await?;
                    tx.bench_bare_claim(org, id, user, now).await?;
                    tx.commit().await
                }
                .await;
                match done {
                    Ok(()) => lat.push(t.elapsed()),
                    Err(_) => errors += 1,
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
    Ok(figures(lat, errors, started.elapsed()))
}
