//! Claim races over real HTTP (PRODUCT.md invariants 1 to 3): many agents, each with their
//! own client, claim the same pool leads at once through two app instances on one database
//! (each with its own group-commit writer); afterwards the whole database is checked, also
//! by `leadpool_testkit::invariants`.

use std::collections::HashMap;
use std::sync::Arc;

use leadpool_app::bootstrap::UserSpec;
use leadpool_app::{App, Member, Principal, Settings};
use leadpool_domain::lead::LeadInput;
use leadpool_domain::{EventKind, LeadId, Owner, Role, UserId};
use leadpool_testkit::invariants::Snapshot;
use leadpool_testkit::{TestApp, app_test};
use leadpool_web::WebConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One answer a racer got: the lead, the result, and the owner it named.
#[derive(Debug, Clone)]
struct Seen {
    agent: UserId,
    lead: i64,
    result: String,
    owner: Option<i64>,
}

/// A second instance of the app on the same database, served on its own port.
pub(crate) async fn second_instance(app: &TestApp) -> String {
    let other = App::new(
        app.db.store.clone(),
        Arc::new(app.clock.clone()),
        Settings::default(),
    );
    let router = leadpool_web::router(other, WebConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the second instance");
    let addr = listener
        .local_addr()
        .expect("the second instance's address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// `n` token-only agents (no password hashing, so hundreds are quick to make).
pub(crate) async fn agents(app: &TestApp, n: usize) -> Vec<(UserId, String)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("racer{i}@acme.test");
        let spec = UserSpec {
            email: &email,
            name: &format!("Racer {i}"),
            role: Role::Agent,
            password: None,
            teams: &[],
        };
        let (user, token) = app
            .app
            .add_user(&app.org, &spec)
            .await
            .expect("add an agent");
        out.push((user.id, token));
    }
    out
}

/// `n` leads in the default pool.
async fn pool_leads(app: &TestApp, n: usize) -> Vec<i64> {
    let (_, key) = app.source("Portal").await;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let input = LeadInput {
            name: Some(format!("Lead {i}")),
            ..LeadInput::default()
        };
        let lead = app
            .app
            .intake(&key, input)
            .await
            .expect("take in a pool lead");
        ids.push(lead.lead.id.get());
    }
    for chunk in ids.chunks(500) {
        let a = app
            .post(
                "/api/v1/leads/move-to-pool",
                &app.admin.token,
                json!({ "lead_ids": chunk }),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }
    ids
}

/// Every racer claims `tries` of the leads in its own random order, `per_request` at a
/// time, all at once; half of them through the second instance.
async fn race(
    bases: [&str; 2],
    racers: &[(UserId, String)],
    leads: &[i64],
    tries: usize,
    per_request: usize,
) -> Vec<Seen> {
    let mut tasks = Vec::new();
    for (i, (agent, token)) in racers.iter().enumerate() {
        let base = bases[i % 2].to_owned();
        let (agent, token) = (*agent, token.clone());
        let mut mine = leads.to_vec();
        let mut rng = fastrand::Rng::with_seed(i as u64);
        rng.shuffle(&mut mine);
        mine.truncate(tries);
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut seen = Vec::new();
            for chunk in mine.chunks(per_request) {
                let res = http
                    .post(format!("{base}/api/v1/leads/claim"))
                    .bearer_auth(&token)
                    .json(&json!({ "lead_ids": chunk }))
                    .send()
                    .await
                    .expect("claim");
                assert_eq!(res.status(), StatusCode::OK, "a claim is never an error");
                let body: Value = res.json().await.unwrap_or(Value::Null);
                for r in body["results"].as_array().into_iter().flatten() {
                    seen.push(Seen {
                        agent,
                        lead: r["lead_id"].as_i64().unwrap_or_default(),
                        result: r["result"].as_str().unwrap_or_default().to_owned(),
                        owner: r["owner_id"].as_i64(),
                    });
                }
            }
            seen
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("join a racer"));
    }
    all
}

async fn admin(app: &TestApp) -> Member {
    match app.app.authenticate_token(&app.admin.token).await {
        Ok(Principal::Member(m)) => *m,
        other => panic!("admin token: {other:?}"),
    }
}

/// Every lead's final owner, read from the store.
async fn owners(app: &TestApp, m: &Member, leads: &[i64]) -> HashMap<i64, Owner> {
    let mut out = HashMap::new();
    for id in leads {
        let lead = app
            .app
            .get_lead(m, LeadId::new(*id))
            .await
            .expect("read the lead");
        out.insert(*id, lead.owner);
    }
    out
}

async fn claims_on_timeline(app: &TestApp, m: &Member, lead: i64) -> usize {
    app.app
        .lead_timeline(m, LeadId::new(lead))
        .await
        .expect("read the lead's timeline")
        .iter()
        .filter(|r| r.entry.kind == EventKind::Claimed)
        .count()
}

app_test! {
    async fn two_hundred_agents_racing_for_a_thousand_leads_leave_exactly_one_owner_each(app) {
        let racers = agents(&app, 200).await;
        let leads = pool_leads(&app, 1_000).await;
        let other = second_instance(&app).await;
        let seen = race([&app.base, &other], &racers, &leads, 40, 5).await;
        assert_eq!(seen.len(), 200 * 40, "every racer got an answer for every lead it tried");

        let m = admin(&app).await;
        let owners = owners(&app, &m, &leads).await;
        let mut claimed_by: HashMap<i64, Vec<UserId>> = HashMap::new();
        for s in &seen {
            match s.result.as_str() {
                "claimed" => claimed_by.entry(s.lead).or_default().push(s.agent),
                "already_claimed" => {
                    let owner = owners[&s.lead].agent().map(UserId::get);
                    assert_eq!(s.owner, owner, "a lost race names the final owner: {s:?}");
                }
                other => panic!("unexpected answer {other}: {s:?}"),
            }
        }
        for id in &leads {
            let winners = claimed_by.get(id).cloned().unwrap_or_default();
            match owners[id] {
                Owner::Agent { user_id } => assert_eq!(winners, vec![user_id], "lead {id}"),
                Owner::Pool { .. } => assert!(winners.is_empty(), "lead {id} was claimed yet sits in the pool"),
                other => panic!("lead {id} ended with {other:?}"),
            }
            assert_eq!(claims_on_timeline(&app, &m, *id).await, winners.len(), "lead {id}");
        }
        assert!(claimed_by.len() > 900, "nearly every lead was tried: {}", claimed_by.len());
        let broken = Snapshot::read(&app.db.url).await.violations(app.app.now().as_millis(), 0);
        assert!(broken.is_empty(), "{}", broken.join("\n"));
    }
}

app_test! {
    async fn fifty_agents_racing_with_a_cap_of_five_never_go_over_it(app) {
        let set = app.request(reqwest::Method::PUT, "/api/v1/pool-settings", Some(&app.admin.token), Some(json!({ "max_new_leads": 5 }))).await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
        let racers = agents(&app, 50).await;
        let leads = pool_leads(&app, 300).await;
        let other = second_instance(&app).await;
        let seen = race([&app.base, &other], &racers, &leads, 30, 3).await;

        let m = admin(&app).await;
        let owners = owners(&app, &m, &leads).await;
        let mut held: HashMap<UserId, usize> = HashMap::new();
        for owner in owners.values() {
            if let Owner::Agent { user_id } = owner {
                *held.entry(*user_id).or_default() += 1;
            }
        }
        let mut claimed: HashMap<UserId, usize> = HashMap::new();
        for s in seen.iter().filter(|s| s.result == "claimed") {
            *claimed.entry(s.agent).or_default() += 1;
        }
        for (agent, _) in &racers {
            let h = held.get(agent).copied().unwrap_or(0);
            assert!(h <= 5, "agent {agent} holds {h} new leads over a cap of 5");
            assert_eq!(claimed.get(agent).copied().unwrap_or(0), h, "agent {agent}'s answers match what they hold");
        }
        let over: usize = seen.iter().filter(|s| s.result == "over_cap").count();
        assert!(over > 0, "the cap was reached and refused claims");
        assert!(held.values().sum::<usize>() >= 200, "most agents filled their cap: {held:?}");
    }
}
