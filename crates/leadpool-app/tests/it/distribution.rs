//! Distribution against a real database with a fake clock: offers that time out, are
//! declined, accepted or taken by a call; the fallback when nobody is eligible; the
//! reassignment lock; the manual queue; dry runs. Rules are set up through the store; every
//! action goes through HTTP as a user would.

use std::time::Duration;

use leadpool_app::import::{ImportOptions, Unowned};
use leadpool_app::timers::Scheduler;
use leadpool_domain::routing::{Conditions, Fallback, Strategy};
use leadpool_domain::{PoolId, Role};
use leadpool_testkit::distribution::plan;
use leadpool_testkit::{TestApp, TestUser, app_test};
use serde_json::{Value, json};

const WINDOW: u64 = 300;

async fn agents(app: &TestApp, n: usize) -> Vec<TestUser> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            app.user(&format!("agent{i}@acme.test"), Role::Agent, &[])
                .await,
        );
    }
    out
}

async fn default_pool(app: &TestApp) -> PoolId {
    let mut tx = app.store().read().await.unwrap_or_else(|e| panic!("{e}"));
    let pools = tx.pools(app.org.id).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    pools
        .into_iter()
        .find(|p| p.is_default)
        .map(|p| p.id)
        .unwrap_or_else(|| panic!("no default pool"))
}

/// Sends a lead in through the source; returns the lead as the intake answered it.
async fn lead_in(app: &TestApp, key: &str, name: &str) -> Value {
    let a = app.intake(key, json!({ "name": name })).await;
    assert_eq!(a.status.as_u16(), 201, "{}", a.body);
    a.body["lead"].clone()
}

async fn lead(app: &TestApp, id: &Value) -> Value {
    app.get(&format!("/api/v1/leads/{id}"), &app.admin.token)
        .await
        .body
}

async fn kinds(app: &TestApp, id: &Value) -> Vec<String> {
    app.timeline_kinds(id.as_i64().expect("a lead id")).await
}

fn offered_to(lead: &Value) -> bool {
    lead["owner"]["kind"] == "offer"
}

app_test! {
    async fn a_round_robin_offer_times_out_to_the_next_agent_then_the_fallback(app) {
        let a = agents(&app, 2).await;
        let g = app.group("line", &[a[0].user.id, a[1].user.id]).await;
        let pool = default_pool(&app).await;
        app.rule("web", Conditions::default(), plan(Strategy::RoundRobin, Some(g), Some(WINDOW), Fallback::Pool { pool_id: pool })).await;
        let (_, key) = app.source("Website").await;
        let l = lead_in(&app, &key, "Ana Lima").await;
        assert!(offered_to(&l), "{l}");
        assert_eq!(app.offers_of(&a[0]).await.len(), 1);
        assert!(app.offers_of(&a[1]).await.is_empty(), "round robin offers one at a time");

        let scheduler = Scheduler::new(app.app.clone(), "s");
        app.clock.advance(Duration::from_secs(WINDOW - 1));
        assert_eq!(scheduler.run_due().await.unwrap_or_else(|e| panic!("{e}")).fired, 0);
        app.clock.advance(Duration::from_secs(2));
        assert_eq!(scheduler.run_due().await.unwrap_or_else(|e| panic!("{e}")).fired, 1);
        assert!(app.offers_of(&a[0]).await.is_empty());
        assert_eq!(app.offers_of(&a[1]).await.len(), 1, "the next agent in line has it now");

        app.clock.advance(Duration::from_secs(WINDOW + 1));
        assert_eq!(scheduler.run_due().await.unwrap_or_else(|e| panic!("{e}")).fired, 1);
        let now = lead(&app, &l["id"]).await;
        assert_eq!(now["owner"]["kind"], "pool", "{now}");
        assert_eq!(now["owner"]["pool_id"], pool.get());
        assert_eq!(kinds(&app, &l["id"]).await, ["created", "routed", "offer_expired", "routed", "offer_expired", "routed"]);
        let why = app.get(&format!("/api/v1/leads/{}/routing", l["id"]), &app.admin.token).await;
        assert_eq!(why.status.as_u16(), 200, "{}", why.body);
        assert_eq!(why.body["trace"]["fallback"], "nobody is eligible");
        let excluded: Vec<&str> = why.body["trace"]["excluded"].as_array().map(|x| x.iter().filter_map(|e| e["why"]["why"].as_str()).collect()).unwrap_or_default();
        assert_eq!(excluded, ["already_offered", "already_offered"]);
        let withdrawn = app.get("/api/v1/events", &a[0].token).await.body["events"].as_array().map(|e| e.iter().filter(|e| e["kind"] == "offer_withdrawn").count()).unwrap_or(0);
        assert_eq!(withdrawn, 1);
    }
}

app_test! {
    async fn a_decline_moves_the_offer_on_at_once_and_the_next_agent_accepts(app) {
        let a = agents(&app, 2).await;
        let g = app.group("line", &[a[0].user.id, a[1].user.id]).await;
        app.rule("web", Conditions::default(), plan(Strategy::RoundRobin, Some(g), Some(WINDOW), Fallback::Queue)).await;
        let (_, key) = app.source("Website").await;
        let l = lead_in(&app, &key, "Ana Lima").await;
        let (offer, _, _) = app.offers_of(&a[0]).await[0].clone();
        let other = app.post(&format!("/api/v1/offers/{offer}/accept"), &a[1].token, json!({})).await;
        assert_eq!(other.status.as_u16(), 404, "only the offered agent may answer: {}", other.body);
        let declined = app.post(&format!("/api/v1/offers/{offer}/decline"), &a[0].token, json!({})).await;
        assert_eq!(declined.status.as_u16(), 200, "{}", declined.body);
        let (next, _, _) = app.offers_of(&a[1]).await[0].clone();
        let taken = app.post(&format!("/api/v1/offers/{next}/accept"), &a[1].token, json!({})).await;
        assert_eq!(taken.status.as_u16(), 200, "{}", taken.body);
        assert_eq!(taken.body["owner"]["user_id"], a[1].user.id.get());
        let again = app.post(&format!("/api/v1/offers/{offer}/accept"), &a[0].token, json!({})).await;
        assert_eq!(again.status.as_u16(), 409, "{}", again.body);
        assert_eq!(kinds(&app, &l["id"]).await, ["created", "routed", "offer_declined", "routed", "offer_accepted"]);
    }
}

app_test! {
    async fn an_accept_racing_the_window_has_exactly_one_outcome(app) {
        let a = agents(&app, 1).await;
        let g = app.group("line", &[a[0].user.id]).await;
        app.rule("web", Conditions::default(), plan(Strategy::RoundRobin, Some(g), Some(WINDOW), Fallback::Queue)).await;
        let (_, key) = app.source("Website").await;
        let mut leads = Vec::new();
        for i in 0..12 {
            leads.push(lead_in(&app, &key, &format!("Lead {i}")).await);
        }
        let mine = app.offers_of(&a[0]).await;
        assert_eq!(mine.len(), 12);
        // At the deadline itself both the accept and the window's end are allowed: the lock on
        // the lead lets only one happen.
        app.clock.advance(Duration::from_secs(WINDOW));
        let scheduler = Scheduler::new(app.app.clone(), "s");
        let accepts = async {
            let mut out = Vec::new();
            for (offer, lead, _) in &mine {
                let r = app.post(&format!("/api/v1/offers/{offer}/accept"), &a[0].token, json!({})).await;
                out.push((*lead, r.status.as_u16()));
            }
            out
        };
        let fire = async { scheduler.run_due().await.unwrap_or_else(|e| panic!("{e}")) };
        let (answers, _) = tokio::join!(accepts, fire);
        scheduler.run_due().await.unwrap_or_else(|e| panic!("{e}"));
        for (id, status) in answers {
            let k = kinds(&app, &json!(id)).await;
            let accepted = k.iter().filter(|k| *k == "offer_accepted").count();
            let expired = k.iter().filter(|k| *k == "offer_expired").count();
            assert_eq!(accepted + expired, 1, "lead {id}: {k:?}");
            let now = lead(&app, &json!(id)).await;
            if status == 200 {
                assert_eq!(accepted, 1);
                assert_eq!(now["owner"]["user_id"], a[0].user.id.get());
            } else {
                assert_eq!(status, 409);
                assert_eq!(now["owner"]["kind"], "queue", "{now}");
            }
        }
    }
}

app_test! {
    async fn a_call_with_the_offers_pin_wins_a_broadcast_and_the_others_are_told(app) {
        let a = agents(&app, 3).await;
        let g = app.group("line", &[a[0].user.id, a[1].user.id, a[2].user.id]).await;
        app.rule("shark tank", Conditions::default(), plan(Strategy::Broadcast, Some(g), Some(WINDOW), Fallback::Queue)).await;
        let (_, key) = app.source("Website").await;
        let l = lead_in(&app, &key, "Ana Lima").await;
        let (offer, lead_id, pin) = app.offers_of(&a[1]).await[0].clone();
        assert_eq!(app.offers_of(&a[0]).await.len(), 1, "everyone is offered a broadcast");
        let no_pin = app.post("/api/v1/calls", &a[1].token, json!({ "lead_id": lead_id, "direction": "outbound" })).await;
        assert_eq!(no_pin.status.as_u16(), 409);
        assert_eq!(no_pin.body["error"]["code"], "wrong_pin");
        // Ownership by call takes no lead from an offer: only its offered agents do.
        let outsider = app.user("outsider@acme.test", Role::Agent, &[]).await;
        let not_offered = app.post("/api/v1/calls", &outsider.token, json!({ "lead_id": lead_id })).await;
        assert_eq!(not_offered.status.as_u16(), 200, "{}", not_offered.body);
        assert_eq!(not_offered.body["result"], "not_taken", "{}", not_offered.body);
        assert_eq!(not_offered.body["kept"], "not_in_pool");
        assert_eq!(not_offered.body["message"], "It is being offered to other agents; only they may take it");
        let won = app.post("/api/v1/calls", &app.admin.token, json!({ "agent_id": a[1].user.id.get(), "lead_id": lead_id, "direction": "inbound", "pin": pin })).await;
        assert_eq!(won.status.as_u16(), 200, "{}", won.body);
        assert_eq!(won.body["result"], "claimed");
        assert_eq!(won.body["lead"]["owner"]["user_id"], a[1].user.id.get());
        let late = app.post(&format!("/api/v1/offers/{offer}/accept"), &a[2].token, json!({})).await;
        assert_eq!(late.status.as_u16(), 409);
        assert_eq!(late.body["error"]["code"], "already_taken");
        assert_eq!(late.body["error"]["details"]["owner_name"], "agent1");
        for loser in [&a[0], &a[2]] {
            let events = app.get("/api/v1/events", &loser.token).await.body["events"].clone();
            let withdrawn = events.as_array().and_then(|e| e.iter().find(|e| e["kind"] == "offer_withdrawn").cloned()).unwrap_or_default();
            assert_eq!(withdrawn["payload"]["winner_name"], "agent1", "{events}");
        }
        assert_eq!(kinds(&app, &l["id"]).await.iter().filter(|k| *k == "offer_accepted").count(), 1);
        // A later call on a lead the agent holds is a logged contact.
        let logged = app.post("/api/v1/calls", &a[1].token, json!({ "lead_id": lead_id })).await;
        assert_eq!(logged.body["result"], "logged", "{}", logged.body);
    }
}

app_test! {
    async fn nobody_eligible_sends_the_lead_to_the_fallback_at_once_with_the_reasons(app) {
        let a = agents(&app, 4).await;
        let g = app.group("line", &[a[0].user.id, a[1].user.id, a[2].user.id]).await;
        app.rule("web", Conditions::default(), plan(Strategy::RoundRobin, Some(g), None, Fallback::Agent { user_id: a[3].user.id })).await;
        let paused = app.request(reqwest::Method::PUT, "/api/v1/me/pause", Some(&a[0].token), Some(json!({ "paused": true }))).await;
        assert_eq!(paused.status.as_u16(), 200, "{}", paused.body);
        let mut tx = app.store().write().await.unwrap_or_else(|e| panic!("{e}"));
        let mut off = tx.user(app.org.id, a[1].user.id).await.unwrap_or_else(|e| panic!("{e}"));
        off.active = false;
        tx.update_user(&off).await.unwrap_or_else(|e| panic!("{e}"));
        let mut capped = tx.user(app.org.id, a[2].user.id).await.unwrap_or_else(|e| panic!("{e}"));
        capped.max_new_leads = Some(0);
        tx.update_user(&capped).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

        let (_, key) = app.source("Website").await;
        let l = lead_in(&app, &key, "Ana Lima").await;
        assert_eq!(l["owner"]["user_id"], a[3].user.id.get(), "{l}");
        let why = app.get(&format!("/api/v1/leads/{}/routing", l["id"]), &app.admin.token).await.body;
        let reasons: Vec<&str> = why["trace"]["excluded"].as_array().map(|x| x.iter().filter_map(|e| e["why"]["why"].as_str()).collect()).unwrap_or_default();
        assert_eq!(reasons, ["paused", "inactive", "over_cap"], "{why}");
        assert_eq!(why["trace"]["fallback"], "nobody is eligible");
        assert!(why["summary"].as_str().is_some_and(|s| s.contains("default assignee")), "{why}");
        let assigned = app.get("/api/v1/events", &a[3].token).await.body["events"][0]["kind"].clone();
        assert_eq!(assigned, "lead_assigned");

        // Resuming puts the agent back in line, where they were.
        app.request(reqwest::Method::PUT, "/api/v1/me/pause", Some(&a[0].token), Some(json!({ "paused": false }))).await;
        let next = lead_in(&app, &key, "Bo Diaz").await;
        assert_eq!(next["owner"]["user_id"], a[0].user.id.get(), "{next}");
    }
}

app_test! {
    async fn a_reassignment_in_progress_refuses_another_until_it_ends(app) {
        let a = agents(&app, 4).await;
        let g = app.group("line", &[a[1].user.id, a[2].user.id]).await;
        let p = plan(Strategy::RoundRobin, Some(g), Some(WINDOW), Fallback::Agent { user_id: a[3].user.id });
        let rg = app.reassignment("Qualified", &p).await;
        let (source, _) = app.source("Website").await;
        let mut ids = Vec::new();
        for name in ["Ana Lima", "Bo Diaz"] {
            let created = app.post("/api/v1/leads", &app.admin.token, json!({ "source_id": source, "assignee_id": a[0].user.id.get(), "name": name })).await;
            ids.push(created.body["id"].clone());
        }
        let body = json!({ "reassignment_group_id": rg.get() });
        let first = app.post(&format!("/api/v1/leads/{}/reassign", ids[0]), &app.admin.token, body.clone()).await;
        assert_eq!(first.status.as_u16(), 200, "{}", first.body);
        assert_eq!(first.body["lead"]["owner"]["kind"], "offer");
        let second = app.post(&format!("/api/v1/leads/{}/reassign", ids[0]), &app.admin.token, body.clone()).await;
        assert_eq!(second.status.as_u16(), 409);
        assert_eq!(second.body["error"]["code"], "reassignment_in_progress");
        let by_hand = app.post("/api/v1/leads/assign", &app.admin.token, json!({ "lead_ids": [ids[0]], "agent_id": a[3].user.id.get() })).await;
        assert_eq!(by_hand.body["results"][0]["result"], "not_in_pool", "{}", by_hand.body);
        // Issue 18, defect 10: the refusal says the lead is on offer, not that it is in no pool.
        assert_eq!(by_hand.body["results"][0]["message"], "It is being offered to agents and cannot be moved now", "{}", by_hand.body);
        let (offer, _, _) = app.offers_of(&a[1]).await[0].clone();
        let seen = app.get(&format!("/api/v1/offers/{offer}"), &app.admin.token).await.body;
        assert_eq!((seen["router_kind"].as_str(), seen["reassignment_in_progress"].as_bool()), (Some("reassignment"), Some(true)), "{seen}");
        assert_eq!(app.get(&format!("/api/v1/offers/{offer}"), &a[3].token).await.status.as_u16(), 404, "not offered to them: as unseen as the lead");
        let taken = app.post(&format!("/api/v1/offers/{offer}/accept"), &a[1].token, json!({})).await;
        assert_eq!(taken.body["owner"]["user_id"], a[1].user.id.get());
        let seen = app.get(&format!("/api/v1/offers/{offer}"), &a[1].token).await.body;
        assert_eq!((seen["state"].as_str(), seen["winner_id"].as_i64(), seen["reassignment_in_progress"].as_bool()), (Some("accepted"), Some(a[1].user.id.get()), Some(false)), "{seen}");
        assert_eq!(kinds(&app, &ids[0]).await, ["created", "routed", "offer_accepted"]);

        // Nobody takes the second lead: after the group's pass the default assignee gets it.
        app.post(&format!("/api/v1/leads/{}/reassign", ids[1]), &app.admin.token, body.clone()).await;
        let scheduler = Scheduler::new(app.app.clone(), "s");
        for _ in 0..2 {
            app.clock.advance(Duration::from_secs(WINDOW + 1));
            scheduler.run_due().await.unwrap_or_else(|e| panic!("{e}"));
        }
        let now = lead(&app, &ids[1]).await;
        assert_eq!(now["owner"]["user_id"], a[3].user.id.get(), "{now}");
        let why = app.get(&format!("/api/v1/leads/{}/routing", ids[1]), &app.admin.token).await.body;
        assert!(why["summary"].as_str().is_some_and(|s| s.starts_with("reassignment group \"Qualified\": assigned to the default assignee")), "{why}");
    }
}

app_test! {
    async fn unmatched_leads_wait_in_the_queue_with_why_and_a_dry_run_changes_nothing(app) {
        let a = agents(&app, 2).await;
        let g = app.group("line", &[a[0].user.id, a[1].user.id]).await;
        let (zillow, zkey) = app.source("Zillow").await;
        let (_, wkey) = app.source("Website").await;
        app.rule("zillow", Conditions { sources: vec![leadpool_domain::SourceId::new(zillow)], ..Conditions::default() }, plan(Strategy::RoundRobin, Some(g), None, Fallback::Queue)).await;
        let stray = lead_in(&app, &wkey, "Ana Lima").await;
        assert_eq!(stray["owner"]["kind"], "queue");
        let q = app.get("/api/v1/queue", &app.admin.token).await;
        assert_eq!(q.status.as_u16(), 200, "{}", q.body);
        assert_eq!(q.body["leads"][0]["lead"]["id"], stray["id"]);
        assert_eq!(q.body["leads"][0]["reason"], "no rule matched: sent to the manual assignment queue");
        assert_eq!(app.get("/api/v1/queue", &a[0].token).await.status.as_u16(), 403);

        for _ in 0..2 {
            let dry = app.post("/api/v1/routing/dry-run", &app.admin.token, json!({ "source_id": zillow })).await;
            assert_eq!(dry.status.as_u16(), 200, "{}", dry.body);
            assert_eq!(dry.body["outcome"]["user_id"], a[0].user.id.get(), "a dry run does not move the line: {}", dry.body);
        }
        let dry = app.post("/api/v1/routing/dry-run", &app.admin.token, json!({ "lead_id": stray["id"] })).await;
        assert_eq!(dry.body["trace"]["skipped_rules"][0]["why"], "source \"Website\" is not one of the rule's");
        assert_eq!(lead(&app, &stray["id"]).await["version"], stray["version"], "a dry run writes nothing");
        let routed = lead_in(&app, &zkey, "Bo Diaz").await;
        assert_eq!(routed["owner"]["user_id"], a[0].user.id.get());

        let from_queue = |agent: &TestUser| json!({ "lead_ids": [stray["id"]], "agent_id": agent.user.id.get(), "from_queue": true });
        let assigned = app.post("/api/v1/leads/assign", &app.admin.token, from_queue(&a[1])).await;
        assert_eq!(assigned.body["results"][0]["result"], "moved", "{}", assigned.body);
        let second = app.post("/api/v1/leads/assign", &app.admin.token, from_queue(&a[0])).await;
        assert_eq!(second.body["results"][0]["result"], "already_claimed", "a second assignment from the queue does not move it again: {}", second.body);
        assert_eq!(second.body["results"][0]["owner_name"], "agent1");
        assert_eq!(app.get("/api/v1/queue", &app.admin.token).await.body["leads"], json!([]));
        let events = app.get("/api/v1/events", &a[1].token).await.body["events"].clone();
        assert_eq!(events[0]["kind"], "lead_assigned", "{events}");
        assert_eq!(events[0]["lead_id"], stray["id"]);
    }
}

app_test! {
    async fn imported_leads_without_an_owner_are_routed_like_intake_leads(app) {
        let a = agents(&app, 2).await;
        let g = app.group("line", &[a[0].user.id, a[1].user.id]).await;
        let (expo, _) = app.source("Expo").await;
        let (web, _) = app.source("Website").await;
        let only_expo = Conditions { sources: vec![leadpool_domain::SourceId::new(expo)], ..Conditions::default() };
        app.rule("expo", only_expo, plan(Strategy::RoundRobin, Some(g), None, Fallback::Queue)).await;

        let mut tx = app.store().read().await.unwrap_or_else(|e| panic!("{e}"));
        let expo_source = tx.source(app.org.id, leadpool_domain::SourceId::new(expo)).await.unwrap_or_else(|e| panic!("{e}"));
        let web_source = tx.source(app.org.id, leadpool_domain::SourceId::new(web)).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let csv = format!("name,owner_email\nAna Lima,\nBo Diaz,\nCy Park,{}\n", a[1].user.email);
        let import = |source| {
            let app = &app;
            let csv = csv.clone();
            async move {
                let plan = app.app.prepare_import(&app.org, source, &ImportOptions::default(), csv.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
                app.app.commit_import(&app.org, plan, csv.as_bytes(), false, Unowned::Route, "expo list", &|_| {}).await.unwrap_or_else(|e| panic!("{e}"))
            }
        };
        let report = import(&expo_source).await;
        assert_eq!(report.imported, 3);
        assert_eq!((report.routed.to_agents, report.routed.to_queue, report.routed.total()), (2, 0, 2), "{report:?}");
        let leads = app.get("/api/v1/leads?sort=created_at", &app.admin.token).await.body;
        let owners: Vec<(String, i64)> = leads["items"].as_array().cloned().unwrap_or_default().iter().map(|l| (l["name"].as_str().unwrap_or_default().to_owned(), l["owner"]["user_id"].as_i64().unwrap_or_default())).collect();
        let mut expected = vec![("Ana Lima".to_owned(), a[0].user.id.get()), ("Bo Diaz".to_owned(), a[1].user.id.get()), ("Cy Park".to_owned(), a[1].user.id.get())];
        let mut got = owners.clone();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "round robin over the unowned rows; the owned row keeps its owner: {leads}");
        let ana = leads["items"].as_array().and_then(|x| x.iter().find(|l| l["name"] == "Ana Lima")).cloned().unwrap_or_default();
        assert_eq!(kinds(&app, &ana["id"]).await, ["created", "routed"]);

        // A file from a source no rule takes leaves its unowned leads in the queue, saying why.
        let csv = "name\nDee Moss\n".to_owned();
        let plan = app.app.prepare_import(&app.org, &web_source, &ImportOptions::default(), csv.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
        let report = app.app.commit_import(&app.org, plan, csv.as_bytes(), false, Unowned::Route, "web list", &|_| {}).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((report.routed.to_queue, report.routed.total()), (1, 1), "{report:?}");
        let queue = app.get("/api/v1/queue", &app.admin.token).await.body;
        assert!(queue.to_string().contains("Dee Moss") && queue.to_string().contains("no rule"), "{queue}");
    }
}

app_test! {
    async fn a_large_import_is_routed_in_file_order_within_caps(app) {
        let a = agents(&app, 3).await;
        let mut tx = app.write_tx().await;
        let mut capped = tx.user(app.org.id, a[2].user.id).await.unwrap_or_else(|e| panic!("{e}"));
        capped.max_new_leads = Some(5);
        tx.update_user(&capped).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<_> = a.iter().map(|x| x.user.id).collect();
        let g = app.group("line", &ids).await;
        app.rule("all", Conditions::default(), plan(Strategy::RoundRobin, Some(g), None, Fallback::Queue)).await;
        let (web, key) = app.source("Website").await;
        let mut tx = app.store().read().await.unwrap_or_else(|e| panic!("{e}"));
        let source = tx.source(app.org.id, leadpool_domain::SourceId::new(web)).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

        // More rows than one write batch, so later batches must see where earlier ones went.
        let n = 1_203;
        let mut csv = "name,external_id\n".to_owned();
        for i in 0..n {
            csv.push_str(&format!("Lead {i},x-{i}\n"));
        }
        let plan_ = app.app.prepare_import(&app.org, &source, &ImportOptions::default(), csv.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
        let progress = std::sync::Mutex::new(Vec::new());
        let report = app.app.commit_import(&app.org, plan_, csv.as_bytes(), false, Unowned::Route, "big list", &|done| {
            if let Ok(mut p) = progress.lock() { p.push(done); }
        }).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((report.imported, report.routed.total()), (n, n), "{report:?}");
        assert_eq!(report.routed.to_agents, n, "{report:?}");
        let seen = progress.lock().map(|p| p.clone()).unwrap_or_default();
        assert_eq!(seen.last().copied(), Some(u64::try_from(n).unwrap_or(0)), "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0] < w[1]) && seen.len() > 1, "progress rises batch by batch: {seen:?}");

        let mut tx = app.store().read().await.unwrap_or_else(|e| panic!("{e}"));
        let held = tx.open_new_counts(app.org.id, &ids).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let count = |u| held.get(&u).copied().unwrap_or(0);
        assert_eq!(count(ids[2]), 5, "the capped agent stops at the cap: {held:?}");
        let (first, second) = (count(ids[0]), count(ids[1]));
        assert_eq!(first + second + 5, u32::try_from(n).unwrap_or(0), "{held:?}");
        assert!(first.abs_diff(second) <= 1, "round robin over the rest: {held:?}");

        // A row whose external id arrives through intake between check and write stops the
        // whole file, naming its line; nothing of the file is stored.
        let csv = "name,external_id\nLate One,late-1\nLate Two,late-2\n";
        let plan_ = app.app.prepare_import(&app.org, &source, &ImportOptions::default(), csv.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
        let sent = app.http.post(format!("{}/api/v1/intake", app.base)).header("x-intake-key", &key)
            .json(&json!({ "name": "Late Two", "external_id": "late-2" })).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sent.status().as_u16(), 201);
        let refused = app.app.commit_import(&app.org, plan_, csv.as_bytes(), false, Unowned::Route, "late list", &|_| {}).await;
        let message = refused.map(|r| format!("{r:?}")).unwrap_or_else(|e| e.to_string());
        assert!(message.contains("line 3") && message.contains("nothing was imported"), "{message}");
        let leads = app.get("/api/v1/leads?q=Late", &app.admin.token).await.body;
        assert_eq!(leads["items"].as_array().map(Vec::len), Some(1), "only the intake lead: {leads}");
    }
}

app_test! {
    async fn a_burst_of_intakes_is_routed_as_if_one_after_another(app) {
        // New leads expire after an hour into "Recycled": the timer must be for the lead as
        // routed, or it would find the lead moved on and do nothing.
        let capped = agents(&app, 4).await;
        let mut tx = app.write_tx().await;
        let statuses = tx.statuses(app.org.id).await.unwrap_or_else(|e| panic!("{e}"));
        let recycled = statuses.iter().find(|s| s.name == "Recycled").map(|s| s.id);
        let mut new = tx.default_status(app.org.id).await.unwrap_or_else(|e| panic!("{e}"));
        new.expires_after_ms = Some(3_600_000);
        new.expires_to_status_id = recycled;
        tx.update_status(&new).await.unwrap_or_else(|e| panic!("{e}"));
        let mut third = tx.user(app.org.id, capped[2].user.id).await.unwrap_or_else(|e| panic!("{e}"));
        third.max_new_leads = Some(3);
        tx.update_user(&third).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<_> = capped.iter().map(|a| a.user.id).collect();
        let g = app.group("line", &ids).await;
        app.rule("web", Conditions::default(), plan(Strategy::RoundRobin, Some(g), None, Fallback::Queue)).await;
        let (_, key) = app.source("Website").await;

        // 60 clients at once; five of them send the same external id.
        let mut clients = tokio::task::JoinSet::new();
        for i in 0..60 {
            let (http, url, key) = (app.http.clone(), format!("{}/api/v1/intake", app.base), key.clone());
            let body = if i % 12 == 0 {
                json!({ "name": "Dup Licate", "external_id": "dup-1" })
            } else {
                json!({ "name": format!("Lead {i}") })
            };
            clients.spawn(async move {
                let r = http.post(url).header("x-intake-key", key).json(&body).send().await.unwrap_or_else(|e| panic!("{e}"));
                let status = r.status().as_u16();
                (i, status, r.json::<Value>().await.unwrap_or_default())
            });
        }
        let mut dup_ids = Vec::new();
        while let Some(done) = clients.join_next().await {
            let (i, status, body) = done.unwrap_or_else(|e| panic!("{e}"));
            assert!(status == 201 || status == 200, "{status} {body}");
            assert_eq!(body["lead"]["owner"]["kind"], "agent", "{body}");
            if i % 12 == 0 {
                dup_ids.push(body["lead"]["id"].clone());
            }
        }
        dup_ids.dedup();
        assert_eq!(dup_ids.len(), 1, "every retry answers with the one lead: {dup_ids:?}");

        let mut tx = app.store().read().await.unwrap_or_else(|e| panic!("{e}"));
        let held = tx.open_new_counts(app.org.id, &ids).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let counts: Vec<u32> = ids.iter().map(|u| held.get(u).copied().unwrap_or(0)).collect();
        assert_eq!(counts.iter().sum::<u32>(), 56, "{counts:?}");
        assert_eq!(counts[2], 3, "the capped agent stops at the cap: {counts:?}");
        let free = [counts[0], counts[1], counts[3]];
        assert!(free.iter().max().unwrap_or(&0) - free.iter().min().unwrap_or(&0) <= 1, "round robin stays fair: {counts:?}");
        for a in &capped {
            let events = app.get("/api/v1/events", &a.token).await.body["events"].as_array().map_or(0, Vec::len);
            let mine = held.get(&a.user.id).copied().unwrap_or(0);
            assert_eq!(events, mine as usize, "one lead_assigned event per lead");
        }

        app.clock.advance(Duration::from_secs(2 * 3600));
        let fired = Scheduler::new(app.app.clone(), "a").run_due().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fired.fired, 56, "every routed lead's status expires: {fired:?}");
    }
}

app_test! {
    async fn another_instance_routes_by_the_setup_as_changed_through_this_one(app) {
        let a = agents(&app, 2).await;
        let first = app.group("first", &[a[0].user.id]).await;
        let second = app.group("second", &[a[1].user.id]).await;
        app.rule("web", Conditions::default(), plan(Strategy::RoundRobin, Some(first), None, Fallback::Queue)).await;
        let (_, key) = app.source("Website").await;
        // A second process on the same database, which keeps its own copy of the setup.
        let other = leadpool_app::App::new(app.store().clone(), std::sync::Arc::new(app.clock.clone()), leadpool_app::Settings::default());
        let send = |name: &str| leadpool_domain::lead::LeadInput { name: Some(name.to_owned()), ..Default::default() };
        let owner = |i: &leadpool_app::leads::Intake| i.lead.owner;
        let one = other.intake(&key, send("One")).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(owner(&one), leadpool_domain::Owner::Agent { user_id: a[0].user.id });

        // The rule now hands leads to the second group.
        let mut tx = app.write_tx().await;
        let rule = tx.rules(app.org.id).await.unwrap_or_else(|e| panic!("{e}")).remove(0);
        let settings = leadpool_store::routing::RuleSettings {
            name: rule.name.clone(),
            enabled: true,
            conditions: rule.conditions.clone(),
            plan: plan(Strategy::RoundRobin, Some(second), None, Fallback::Queue),
        };
        tx.update_rule(app.org.id, rule.id, &settings, app.app.now()).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let two = other.intake(&key, send("Two")).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(owner(&two), leadpool_domain::Owner::Agent { user_id: a[1].user.id }, "the edited rule");

        // The organization caps everyone at one new lead: the second agent is full.
        let mut tx = app.write_tx().await;
        let mut caps = tx.org_pool_settings(app.org.id).await.unwrap_or_else(|e| panic!("{e}"));
        caps.caps.max_new = Some(1);
        tx.set_org_pool_settings(app.org.id, &caps).await.unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let three = other.intake(&key, send("Three")).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(owner(&three), leadpool_domain::Owner::Queue, "the new cap");
    }
}

app_test! {
    async fn round_robin_tops_up_an_agent_under_their_minimum_first_and_says_so(app) {
        let a = agents(&app, 3).await;
        let g = app.group("line", &[a[0].user.id, a[1].user.id, a[2].user.id]).await;
        app.rule("web", Conditions::default(), plan(Strategy::RoundRobin, Some(g), None, Fallback::Queue)).await;
        let min = app.patch(&format!("/api/v1/users/{}", a[2].user.id), &app.admin.token, json!({ "min_new_leads": 1 })).await;
        assert_eq!(min.status.as_u16(), 200, "{}", min.body);
        let (_, key) = app.source("Website").await;
        let first = lead_in(&app, &key, "Ana Lima").await;
        assert_eq!(first["owner"]["user_id"], a[2].user.id.get(), "the line starts with agent0, the minimum wins: {first}");
        let why = app.get(&format!("/api/v1/leads/{}/routing", first["id"]), &app.admin.token).await;
        let said = why.body["summary"].as_str().unwrap_or_default().to_owned();
        assert!(said.contains("under their minimum: agent2 (0 of a minimum of 1 new leads)"), "{said}");
        // At their minimum, agent2 waits their turn: the line goes on after them.
        let second = lead_in(&app, &key, "Bo Reyes").await;
        assert_eq!(second["owner"]["user_id"], a[0].user.id.get(), "{second}");
        let why = app.get(&format!("/api/v1/leads/{}/routing", second["id"]), &app.admin.token).await;
        assert!(why.body["trace"]["minimum"].is_null(), "{}", why.body);
    }
}
