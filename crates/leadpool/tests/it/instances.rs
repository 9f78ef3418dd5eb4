//! Three `leadpool serve` processes on one PostgreSQL database under load: intake, pool
//! claims, round-robin and broadcast offers, reserve times, response windows and webhook
//! deliveries spread over them. One is killed with SIGKILL mid-load; the other two take its
//! leases over. Afterwards the whole database is checked (`leadpool_testkit::invariants`),
//! and so is every answer the clients got.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use leadpool_testkit::invariants::Snapshot;
use leadpool_testkit::receiver::Receiver;
use leadpool_testkit::{Backend, TestStore};
use serde_json::{Value, json};

use crate::server::{Server, after, create_acme, start_with};

/// Short leases, so that the killed instance's work is taken over within the test: timers
/// after 2 s, deliveries after four times the webhook timeout, 8 s.
const TIMER_LEASE: &str = "2s";
const WEBHOOK_TIMEOUT: &str = "2s";
const DELIVERY_LEASE: Duration = Duration::from_secs(8);
/// The receiver answers this late, so that an instance always has deliveries in flight.
const RECEIVER_PAUSE: Duration = Duration::from_millis(200);
/// Response windows and reserve times, in seconds.
const WINDOW: u64 = 1;
const RESERVE: u64 = 2;
const AGENTS: usize = 6;
/// How late a due timer may be when the run has settled.
const GRACE_MS: i64 = 2_000;
/// Nobody is "dead" yet.
const NONE: usize = usize::MAX;

fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(since.as_millis()).expect("a time")
}

/// The instances' addresses, and which one (if any) has been killed.
struct Cluster {
    bases: Vec<String>,
    dead: AtomicUsize,
    stop: AtomicBool,
}

impl Cluster {
    /// The `n`th live instance, counting round the ring.
    fn base(&self, n: usize) -> &str {
        let dead = self.dead.load(Ordering::SeqCst);
        let live: Vec<&String> = (0..self.bases.len())
            .filter(|i| *i != dead)
            .map(|i| &self.bases[i])
            .collect();
        live[n % live.len()]
    }
}

/// What one request came back with; `None` status when no answer came (the instance died
/// while it was in flight, so it may or may not have happened).
#[derive(Debug, Clone)]
struct Reply {
    status: Option<u16>,
    body: Value,
}

async fn send(req: reqwest::RequestBuilder) -> Reply {
    match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            Reply {
                status: Some(status),
                body: res.json().await.unwrap_or(Value::Null),
            }
        }
        Err(_) => Reply {
            status: None,
            body: Value::Null,
        },
    }
}

/// An answer an agent got to a claim, an accept or a decline.
#[derive(Debug, Clone)]
enum Answer {
    Claim {
        agent: i64,
        lead: i64,
        result: String,
        owner: Option<i64>,
    },
    /// A claim request that got no answer: its leads may have been claimed.
    ClaimUnanswered,
    Accept {
        agent: i64,
        offer: i64,
        lead: i64,
        reply: Reply,
    },
    Decline {
        agent: i64,
        lead: i64,
        reply: Reply,
    },
}

/// Everything the clients saw: the answers to check, every status code and every refusal's
/// error code.
#[derive(Debug, Default)]
struct Seen {
    answers: Vec<Answer>,
    statuses: HashMap<Option<u16>, usize>,
    codes: HashMap<String, usize>,
}

impl Seen {
    fn note(&mut self, r: &Reply) {
        *self.statuses.entry(r.status).or_default() += 1;
        if let Some(code) = r.body["error"]["code"].as_str() {
            *self.codes.entry(code.to_owned()).or_default() += 1;
        }
    }
}

/// What the load needs from the set-up.
struct Setup {
    /// The agents' ids and tokens.
    agents: Vec<(i64, String)>,
    /// The sources' intake keys.
    keys: Vec<String>,
    /// A rejection reason.
    reason: i64,
}

struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = send(req).await;
        assert!(
            matches!(r.status, Some(200..=299)),
            "{method} {path}: {:?} {}",
            r.status,
            r.body
        );
        r.body
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }
}

/// An organization with `AGENTS` agents, a pool with a reserve time, a round-robin rule
/// over three agents and a broadcast rule over all, both with a short window falling back
/// to the pool, a rule sending a third source's leads straight to the pool, and a webhook
/// endpoint taking every event.
async fn set_up(admin: &Admin, hook: &str) -> Setup {
    // Every event from here on has its delivery: the endpoint comes first.
    admin.post("/api/v1/webhooks", json!({ "url": hook })).await;
    let calendars = admin.get("/api/v1/calendars").await;
    assert_eq!(
        calendars["items"].as_array().map(Vec::len),
        Some(0),
        "no calendar: always open, so windows and reserve times run now: {calendars}"
    );
    let mut agents = Vec::new();
    for i in 0..AGENTS {
        let user = admin
            .post(
                "/api/v1/users",
                json!({ "email": format!("agent{i}@acme.test"), "name": format!("Agent {i}"), "role": "agent" }),
            )
            .await;
        let id = user["id"].as_i64().expect("the user's id");
        let token = admin
            .post(
                &format!("/api/v1/users/{id}/tokens"),
                json!({ "name": "load" }),
            )
            .await;
        agents.push((id, token["token"].as_str().expect("a token").to_owned()));
    }
    let pools = admin.get("/api/v1/pools").await;
    let pool = pools["items"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["is_default"] == true))
        .and_then(|p| p["id"].as_i64())
        .expect("the default pool");
    admin
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/pools/{pool}"),
            Some(json!({ "reserve_seconds": RESERVE })),
        )
        .await;
    let entries = |ids: &[(i64, String)]| -> Vec<Value> {
        ids.iter()
            .map(|(id, _)| json!({ "kind": "user", "user_id": id, "weight": 1 }))
            .collect()
    };
    let line = admin
        .post(
            "/api/v1/groups",
            json!({ "name": "line", "entries": entries(&agents[..3]) }),
        )
        .await["id"]
        .clone();
    let tank = admin
        .post(
            "/api/v1/groups",
            json!({ "name": "tank", "entries": entries(&agents) }),
        )
        .await["id"]
        .clone();
    let offer = |strategy: &str, group: &Value| {
        json!({
            "strategy": { "kind": strategy },
            "group_id": group,
            "window_secs": WINDOW,
            "passes": 1,
            "fallback": { "kind": "pool", "pool_id": pool },
        })
    };
    let mut keys = Vec::new();
    for (source, plan) in [
        ("Portal", offer("round_robin", &line)),
        ("Website", offer("broadcast", &tank)),
        (
            "Listing",
            json!({ "strategy": { "kind": "direct_pool", "pool_id": pool } }),
        ),
    ] {
        let made = admin
            .post("/api/v1/sources", json!({ "name": source }))
            .await;
        admin
            .post(
                "/api/v1/rules",
                json!({ "name": source, "conditions": { "sources": [made["source"]["id"]] }, "plan": plan }),
            )
            .await;
        keys.push(made["intake_key"].as_str().expect("a key").to_owned());
    }
    let reasons = admin.get("/api/v1/reject-reasons").await;
    Setup {
        agents,
        keys,
        reason: reasons["items"][0]["id"].as_i64().expect("a reason"),
    }
}

/// Posts leads to every source through every live instance in turn until told to stop.
async fn intake(cluster: Arc<Cluster>, keys: Vec<String>, who: usize) -> Seen {
    let http = reqwest::Client::new();
    let mut seen = Seen::default();
    let mut n = who;
    while !cluster.stop.load(Ordering::SeqCst) {
        let r = send(
            http.post(format!("{}/api/v1/intake", cluster.base(n)))
                .header("x-intake-key", &keys[n % keys.len()])
                .json(&json!({ "name": format!("Lead {who}-{n}") })),
        )
        .await;
        seen.note(&r);
        n += 2;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
}

/// One agent: accepts half its offers and declines the others, claims pool leads, and works some of
/// what it claimed (a call ends the reserve time, a rejection sends the lead back), leaving
/// the rest for the reserve time to take back. Each round goes through another instance.
async fn agent(cluster: Arc<Cluster>, me: i64, token: String, reason: i64, seed: u64) -> Seen {
    let http = reqwest::Client::new();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut seen = Seen::default();
    let mut round = usize::try_from(seed).unwrap_or_default();
    while !cluster.stop.load(Ordering::SeqCst) {
        round += 1;
        let base = cluster.base(round).to_owned();
        let offers = send(
            http.get(format!("{base}/api/v1/offers"))
                .bearer_auth(&token),
        )
        .await;
        seen.note(&offers);
        for o in offers.body["offers"].as_array().into_iter().flatten() {
            let offer = o["offer_id"].as_i64().unwrap_or_default();
            let lead = o["lead"]["id"].as_i64().unwrap_or_default();
            let accept = rng.bool();
            let verb = if accept { "accept" } else { "decline" };
            let reply = send(
                http.post(format!("{base}/api/v1/offers/{offer}/{verb}"))
                    .bearer_auth(&token),
            )
            .await;
            seen.note(&reply);
            seen.answers.push(if accept {
                Answer::Accept {
                    agent: me,
                    offer,
                    lead,
                    reply,
                }
            } else {
                Answer::Decline {
                    agent: me,
                    lead,
                    reply,
                }
            });
        }
        let pool = send(
            http.get(format!("{base}/api/v1/leads?pool=yes&limit=20"))
                .bearer_auth(&token),
        )
        .await;
        seen.note(&pool);
        let mut ids: Vec<i64> = pool.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["id"].as_i64())
            .collect();
        rng.shuffle(&mut ids);
        ids.truncate(2);
        if !ids.is_empty() {
            let claim = send(
                http.post(format!("{base}/api/v1/leads/claim"))
                    .bearer_auth(&token)
                    .json(&json!({ "lead_ids": ids })),
            )
            .await;
            seen.note(&claim);
            if claim.status.is_none() {
                seen.answers.push(Answer::ClaimUnanswered);
            }
            for r in claim.body["results"].as_array().into_iter().flatten() {
                let lead = r["lead_id"].as_i64().unwrap_or_default();
                let result = r["result"].as_str().unwrap_or_default().to_owned();
                if result == "claimed" {
                    let work = match rng.u8(..10) {
                        0..=2 => Some((
                            "contacts",
                            json!({ "kind": "call", "outcome": "connected" }),
                        )),
                        3..=4 => Some((
                            "reject",
                            json!({ "reason_id": reason, "note": "not for me" }),
                        )),
                        _ => None,
                    };
                    if let Some((what, body)) = work {
                        let r = send(
                            http.post(format!("{base}/api/v1/leads/{lead}/{what}"))
                                .bearer_auth(&token)
                                .json(&body),
                        )
                        .await;
                        seen.note(&r);
                    }
                }
                seen.answers.push(Answer::Claim {
                    agent: me,
                    lead,
                    result,
                    owner: r["owner_id"].as_i64(),
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
}

/// The leases held now, by the process id of the instance holding them: the events of its
/// deliveries in flight, and how many due timers it has taken and not yet fired.
fn leases(s: &Snapshot) -> HashMap<u32, (Vec<i64>, usize)> {
    let pid = |owner: &Option<String>| -> Option<u32> {
        owner.as_deref()?.split(':').next()?.parse().ok()
    };
    let mut out: HashMap<u32, (Vec<i64>, usize)> = HashMap::new();
    for d in s.deliveries.iter().filter(|d| d.state == "pending") {
        if let Some(p) = pid(&d.lease_owner) {
            out.entry(p).or_default().0.push(d.event);
        }
    }
    for t in &s.timers {
        if let Some(p) = pid(&t.lease_owner).filter(|_| t.due_at <= now_ms()) {
            out.entry(p).or_default().1 += 1;
        }
    }
    out
}

/// Whether the run has settled: no timer due, no offer open, no delivery pending.
fn settled(s: &Snapshot) -> bool {
    let now = now_ms();
    s.timers.iter().all(|t| t.due_at > now)
        && s.offers.values().all(|o| o.state != "open")
        && s.deliveries.iter().all(|d| d.state != "pending")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_under_load_lose_one_to_sigkill_and_leave_every_invariant_whole() {
    let began = Instant::now();
    let Some(db) = TestStore::new(Backend::Postgres).await else {
        return;
    };
    let token = create_acme(&["--database-url", &db.url]);
    let dir = tempfile::tempdir().expect("make a temporary directory");
    let env = [
        ("LEADPOOL_TIMER_LEASE", TIMER_LEASE),
        ("LEADPOOL_WEBHOOK_TIMEOUT", WEBHOOK_TIMEOUT),
    ];
    let mut servers: Vec<Option<Server>> = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..3 {
        let (server, banner) =
            start_with(&["--database-url", &db.url], &env, dir.path(), "Database:");
        bases.push(after(&banner, "leadpool is running at").to_owned());
        servers.push(Some(server));
    }
    let hook = Receiver::slow(RECEIVER_PAUSE).await;
    let admin = Admin {
        http: reqwest::Client::new(),
        base: bases[0].clone(),
        token,
    };
    let Setup {
        agents,
        keys,
        reason,
    } = set_up(&admin, &hook.url).await;

    let cluster = Arc::new(Cluster {
        bases,
        dead: AtomicUsize::new(NONE),
        stop: AtomicBool::new(false),
    });
    let mut load = Vec::new();
    for who in 0..2 {
        load.push(tokio::spawn(intake(cluster.clone(), keys.clone(), who)));
    }
    for (i, (id, token)) in agents.iter().enumerate() {
        let seed = u64::try_from(i).unwrap_or_default();
        load.push(tokio::spawn(agent(
            cluster.clone(),
            *id,
            token.clone(),
            reason,
            seed,
        )));
    }

    // Mid-load, kill the instance holding the most deliveries in flight.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pids: Vec<u32> = servers.iter().flatten().map(Server::pid).collect();
    let victim = loop {
        let held = leases(&Snapshot::read(&db.url).await);
        let busiest =
            (0..pids.len()).max_by_key(|i| held.get(&pids[*i]).map_or(0, |h| h.0.len() + h.1));
        if let Some(i) = busiest.filter(|i| held.contains_key(&pids[*i])) {
            break i;
        }
        assert!(
            began.elapsed() < Duration::from_secs(40),
            "no instance ever held a lease"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    cluster.dead.store(victim, Ordering::SeqCst);
    drop(servers[victim].take());
    let killed_at = Instant::now();
    let dead_pid = pids[victim];
    let (held_events, held_timers) = leases(&Snapshot::read(&db.url).await)
        .remove(&dead_pid)
        .unwrap_or_default();
    assert!(
        !held_events.is_empty(),
        "the killed instance held deliveries in flight (and {held_timers} timers)"
    );

    // Keep loading the two survivors past the longest lease, then let the run settle.
    tokio::time::sleep(DELIVERY_LEASE + Duration::from_secs(1)).await;
    cluster.stop.store(true, Ordering::SeqCst);
    let mut seen = Seen::default();
    for task in load {
        let s = task.await.expect("join a client");
        seen.answers.extend(s.answers);
        for (status, n) in s.statuses {
            *seen.statuses.entry(status).or_default() += n;
        }
        for (code, n) in s.codes {
            *seen.codes.entry(code).or_default() += n;
        }
    }
    let snapshot = loop {
        let s = Snapshot::read(&db.url).await;
        if settled(&s) || began.elapsed() > Duration::from_secs(55) {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let after_kill = killed_at.elapsed();

    // No server error anywhere; unanswered requests only from the killed instance.
    let errors: usize = seen
        .statuses
        .iter()
        .filter(|(s, _)| s.is_some_and(|s| s >= 500))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        errors, 0,
        "server errors: {:?} {:?}",
        seen.statuses, seen.codes
    );

    // The whole database.
    let broken = snapshot.violations(now_ms(), GRACE_MS);
    assert!(
        broken.is_empty(),
        "{} broken:\n{}",
        broken.len(),
        broken.join("\n")
    );

    let leads = snapshot.owners.len();
    assert!(
        leads > 100,
        "only {leads} leads came in: {:?}",
        seen.statuses
    );

    // Every answer matches what the database says happened.
    let mut claimed: HashMap<(i64, i64), usize> = HashMap::new();
    let mut unanswered_claims = 0;
    let mut accepted = 0;
    for a in &seen.answers {
        match a {
            Answer::Claim {
                agent,
                lead,
                result,
                owner,
            } => match result.as_str() {
                "claimed" => *claimed.entry((*lead, *agent)).or_default() += 1,
                "already_claimed" => {
                    let winner = owner.unwrap_or_default();
                    assert!(
                        winner != *agent && snapshot.holders(*lead).contains(&winner),
                        "a lost claim on lead {lead} names {owner:?}, who never held it"
                    );
                }
                _ => {}
            },
            Answer::ClaimUnanswered => unanswered_claims += 2,
            Answer::Accept {
                agent,
                offer,
                lead,
                reply,
            } => match reply.status {
                Some(200) => {
                    accepted += 1;
                    assert_eq!(reply.body["owner"]["user_id"], *agent, "{reply:?}");
                    let o = &snapshot.offers[offer];
                    assert_eq!(
                        (o.state.as_str(), o.winner),
                        ("accepted", Some(*agent)),
                        "offer {offer} was accepted by agent {agent}, the database says otherwise"
                    );
                }
                Some(409) if reply.body["error"]["code"] == "already_taken" => {
                    let winner = reply.body["error"]["details"]["owner_id"]
                        .as_i64()
                        .unwrap_or_default();
                    assert!(
                        winner != *agent && snapshot.holders(*lead).contains(&winner),
                        "a lost accept of offer {offer} names {winner}, who never held lead {lead}: {reply:?}"
                    );
                }
                _ => {}
            },
            Answer::Decline { agent, lead, reply } => {
                if reply.status == Some(200) {
                    assert!(
                        snapshot.entries_by(*lead, "offer_declined", *agent) > 0,
                        "agent {agent} declined lead {lead}; its timeline does not say so"
                    );
                }
            }
        }
    }
    for ((lead, agent), n) in &claimed {
        assert!(
            snapshot.entries_by(*lead, "claimed", *agent) >= *n,
            "agent {agent} was told {n} times it claimed lead {lead}; the timeline has fewer"
        );
    }
    let told: usize = claimed.values().sum();
    let happened = snapshot.count("claimed");
    assert!(
        happened >= told && happened - told <= unanswered_claims,
        "{happened} claims on timelines, {told} answered `claimed`, {unanswered_claims} leads in unanswered claims"
    );
    assert!(
        told > 10 && accepted > 10,
        "the load claimed {told} and accepted {accepted}"
    );

    // The outbox: every event has its one delivery, delivered; the receiver got each at
    // least once, and more than once only those the killed instance had in flight.
    let delivered: HashMap<i64, i64> = snapshot
        .deliveries
        .iter()
        .map(|d| (d.event, d.attempts))
        .collect();
    assert_eq!(snapshot.deliveries.len(), snapshot.events.len());
    let events: HashSet<i64> = snapshot.events.iter().copied().collect();
    assert_eq!(delivered.keys().copied().collect::<HashSet<_>>(), events);
    let mut received: HashMap<String, usize> = HashMap::new();
    for r in hook.got() {
        *received
            .entry(r.header("webhook-id").to_owned())
            .or_default() += 1;
    }
    for (event, attempts) in &delivered {
        let got = received.get(&format!("evt_{event}")).copied().unwrap_or(0);
        let in_flight = held_events.contains(event);
        assert!(got >= 1, "event {event} never reached the receiver");
        assert!(
            in_flight || (got == 1 && *attempts == 1),
            "event {event}, not held by the killed instance, was received {got} times in {attempts} attempts"
        );
        if in_flight {
            assert!(
                *attempts >= 2,
                "event {event} was in flight at the kill, so another instance sent it again"
            );
        }
    }

    // The killed instance's leases were all taken over: nothing is left in its name.
    let dead = format!("{dead_pid}:");
    assert!(
        snapshot
            .timers
            .iter()
            .all(|t| !t.lease_owner.as_deref().unwrap_or("").starts_with(&dead))
            && snapshot.deliveries.iter().all(|d| !d
                .lease_owner
                .as_deref()
                .unwrap_or("")
                .starts_with(&dead)),
        "rows still leased to the killed instance"
    );
    // Shown with --nocapture: what the run did.
    eprintln!(
        "{leads} leads, {told} claims and {accepted} accepts answered, {} deliveries; the killed instance held {} deliveries and {held_timers} due timers; answers {:?}, refusals {:?}; {:?} in all",
        snapshot.deliveries.len(),
        held_events.len(),
        seen.statuses,
        seen.codes,
        began.elapsed()
    );
    assert!(
        began.elapsed() < Duration::from_secs(60),
        "the test took {:?} ({after_kill:?} after the kill); keep it under a minute",
        began.elapsed()
    );
}
