//! Ownership by call (seed 002) against a real database: an outbound call on a pool or
//! queue lead takes it through the claim rules, with one winner when agents call at once;
//! answered inbound calls and received transfers take it only when the organization says
//! so; every answer says whether the owner changed and why not.

use leadpool_domain::Role;
use leadpool_testkit::{TestApp, TestUser, app_test};
use serde_json::{Value, json};

/// `n` new leads in the manual queue (no rule routes them) from a new source of this
/// name; their ids.
async fn queued_from(app: &TestApp, source: &str, n: usize) -> Vec<i64> {
    let (_, key) = app.source(source).await;
    let mut ids = Vec::new();
    for i in 0..n {
        let a = app
            .intake(&key, json!({ "name": format!("Lead {i}") }))
            .await;
        assert_eq!(a.status.as_u16(), 201, "{}", a.body);
        assert_eq!(a.body["lead"]["owner"]["kind"], "queue", "{}", a.body);
        ids.push(a.body["lead"]["id"].as_i64().expect("a lead id"));
    }
    ids
}

/// `n` new leads in the manual queue; their ids.
async fn queued(app: &TestApp, n: usize) -> Vec<i64> {
    queued_from(app, "Website", n).await
}

/// `n` leads in the default pool; their ids.
async fn pooled(app: &TestApp, n: usize) -> Vec<i64> {
    let ids = queued_from(app, "Portal", n).await;
    let moved = app
        .post(
            "/api/v1/leads/move-to-pool",
            &app.admin.token,
            json!({ "lead_ids": ids }),
        )
        .await;
    assert_eq!(moved.status.as_u16(), 200, "{}", moved.body);
    ids
}

async fn call(app: &TestApp, who: &TestUser, lead: i64, body: Value) -> Value {
    let mut body = body;
    body["lead_id"] = json!(lead);
    let a = app.post("/api/v1/calls", &who.token, body).await;
    assert_eq!(a.status.as_u16(), 200, "{}", a.body);
    a.body
}

async fn owner(app: &TestApp, lead: i64) -> Value {
    app.get(&format!("/api/v1/leads/{lead}"), &app.admin.token)
        .await
        .body["owner"]
        .clone()
}

async fn set_calls(app: &TestApp, outbound: bool, inbound: bool, transfer: bool) {
    let set = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/pool-settings",
            Some(&app.admin.token),
            Some(json!({ "call_ownership": { "outbound": outbound, "inbound": inbound, "transfer": transfer } })),
        )
        .await;
    assert_eq!(set.status.as_u16(), 200, "{}", set.body);
    assert_eq!(set.body["call_ownership"]["inbound"], inbound);
}

/// Reports `who`'s outbound call on each of `leads` at once, from tasks on the runtime's
/// worker threads; each task ends with its lead and the answer.
async fn calls_at_once(
    app: &TestApp,
    who: &TestUser,
    leads: &[i64],
) -> Vec<tokio::task::JoinHandle<(i64, Value)>> {
    leads
        .iter()
        .map(|&id| {
            let (http, base, token) = (app.http.clone(), app.base.clone(), who.token.clone());
            tokio::spawn(async move {
                let r = http
                    .post(format!("{base}/api/v1/calls"))
                    .bearer_auth(token)
                    .json(&json!({ "lead_id": id, "direction": "outbound" }))
                    .send()
                    .await
                    .expect("the call is reported");
                assert_eq!(r.status().as_u16(), 200);
                (id, r.json::<Value>().await.expect("a JSON answer"))
            })
        })
        .collect()
}

async fn answers(racing: Vec<tokio::task::JoinHandle<(i64, Value)>>) -> Vec<(i64, Value)> {
    let mut out = Vec::new();
    for r in racing {
        out.push(r.await.expect("the reporting task ends"));
    }
    out
}

/// Every lead has exactly one claim entry on its timeline: nobody took it twice.
async fn one_claim_each(app: &TestApp, ids: &[i64]) {
    for id in ids {
        let k = app.timeline_kinds(*id).await;
        assert_eq!(
            k.iter().filter(|k| *k == "claimed").count(),
            1,
            "lead {id}: {k:?}"
        );
    }
}

app_test! {
    async fn two_agents_calling_the_same_pool_and_queue_leads_at_once_leave_one_owner_each(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bo = app.user("bo@acme.test", Role::Agent, &[]).await;
        let mut ids = pooled(&app, 8).await;
        ids.extend(queued(&app, 8).await);
        let mut racing = calls_at_once(&app, &ana, &ids).await;
        racing.extend(calls_at_once(&app, &bo, &ids).await);
        let answers = answers(racing).await;
        for id in &ids {
            let mine: Vec<&Value> = answers.iter().filter(|(l, _)| l == id).map(|(_, a)| a).collect();
            let won: Vec<&&Value> = mine.iter().filter(|a| a["result"] == "claimed").collect();
            assert_eq!(won.len(), 1, "lead {id}: {mine:?}");
            assert_eq!(won[0]["owner_changed"], true);
            let winner = won[0]["lead"]["owner"]["user_id"].clone();
            let lost = mine.iter().find(|a| a["result"] != "claimed").expect("a loser");
            // The loser may not work the winner's lead, so nothing is written for them.
            assert_eq!(lost["result"], "not_taken", "{lost}");
            assert_eq!(lost["owner_changed"], false);
            assert_eq!(lost["kept"], "already_claimed");
            assert_eq!(lost["owner_id"], winner);
            let name = if winner == json!(ana.user.id.get()) { "ana" } else { "bo" };
            assert_eq!(lost["message"], format!("Already claimed by {name}"));
            assert_eq!(owner(&app, *id).await["user_id"], winner);
            let k = app.timeline_kinds(*id).await;
            assert_eq!(k.iter().filter(|k| *k == "contact_logged").count(), 1, "{k:?}");
        }
        one_claim_each(&app, &ids).await;
    }
}

app_test! {
    async fn a_claim_from_the_list_and_calls_racing_for_the_same_pool_leads_have_one_winner_each(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bo = app.user("bo@acme.test", Role::Agent, &[]).await;
        let ids = pooled(&app, 10).await;
        let calls = calls_at_once(&app, &bo, &ids).await;
        let claim = app.post("/api/v1/leads/claim", &ana.token, json!({ "lead_ids": ids })).await;
        assert_eq!(claim.status.as_u16(), 200, "{}", claim.body);
        let calls = answers(calls).await;
        for (id, by_call) in &calls {
            let by_claim = claim.body["results"]
                .as_array()
                .and_then(|r| r.iter().find(|r| r["lead_id"] == *id))
                .expect("an answer per lead")
                .clone();
            let owner = owner(&app, *id).await["user_id"].clone();
            if by_call["result"] == "claimed" {
                assert_eq!(owner, bo.user.id.get());
                assert_eq!(by_claim["result"], "already_claimed", "{by_claim}");
                assert_eq!(by_claim["owner_name"], "bo", "{by_claim}");
            } else {
                assert_eq!(owner, ana.user.id.get());
                assert_eq!(by_claim["result"], "claimed", "{by_claim}");
                assert_eq!(by_call["kept"], "already_claimed", "{by_call}");
                assert_eq!(by_call["owner_name"], "ana", "{by_call}");
            }
        }
        one_claim_each(&app, &ids).await;
    }
}

app_test! {
    async fn calls_at_once_never_take_an_agent_over_their_cap(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let capped = app.patch(&format!("/api/v1/users/{}", ana.user.id.get()), &app.admin.token, json!({ "max_new_leads": 2 })).await;
        assert_eq!(capped.status.as_u16(), 200, "{}", capped.body);
        let ids = queued(&app, 6).await;
        let answers = answers(calls_at_once(&app, &ana, &ids).await).await;
        let taken = answers.iter().filter(|(_, a)| a["result"] == "claimed").count();
        assert_eq!(taken, 2, "{answers:?}");
        for (_, a) in answers.iter().filter(|(_, a)| a["result"] != "claimed") {
            assert_eq!(a["kept"], "over_cap", "{a}");
            assert_eq!(a["message"], "You are at your cap of 2 new leads; work or give back some first");
        }
        let mut held = 0;
        for id in &ids {
            if owner(&app, *id).await["user_id"] == ana.user.id.get() {
                held += 1;
            } else {
                assert_eq!(owner(&app, *id).await["kind"], "queue");
            }
        }
        assert_eq!(held, 2);
    }
}

app_test! {
    async fn an_outbound_call_takes_a_queue_lead_and_says_why_when_the_option_is_off(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let ids = queued(&app, 2).await;
        let took = call(&app, &ana, ids[0], json!({})).await;
        assert_eq!(took["result"], "claimed", "{took}");
        assert_eq!(owner(&app, ids[0]).await["user_id"], ana.user.id.get());
        let again = call(&app, &ana, ids[0], json!({})).await;
        assert_eq!(again["result"], "logged");
        assert_eq!(again["kept"], "already_owner");
        set_calls(&app, false, false, false).await;
        let off = call(&app, &ana, ids[1], json!({ "direction": "outbound" })).await;
        assert_eq!(off["result"], "not_taken", "{off}");
        assert_eq!(off["kept"], "calls_do_not_assign");
        assert_eq!(off["message"], "The organization does not give leads to agents for calling a lead");
        assert_eq!(owner(&app, ids[1]).await["kind"], "queue");
        // Staff may log a call on a lead in their scope; the owner stays.
        let by_admin = call(&app, &app.admin, ids[1], json!({ "agent_id": ana.user.id.get() })).await;
        assert_eq!(by_admin["result"], "logged", "{by_admin}");
        assert_eq!(owner(&app, ids[1]).await["kind"], "queue");
        let entries = app.timeline(ids[0]).await;
        let claimed = entries.iter().find(|e| e["kind"] == "claimed").expect("a claim entry");
        assert_eq!(claimed["reason"], "taken by a call (outbound) from the manual queue");
    }
}

app_test! {
    async fn a_call_by_someone_who_is_not_an_agent_is_logged_and_says_why_it_took_nothing(app) {
        let ids = queued(&app, 1).await;
        let own = call(&app, &app.admin, ids[0], json!({})).await;
        assert_eq!(own["result"], "logged", "{own}");
        assert_eq!(own["owner_changed"], false);
        assert_eq!(own["kept"], "not_an_active_agent");
        assert_eq!(own["message"], "Only active agents are given leads by their calls");
        assert_eq!(owner(&app, ids[0]).await["kind"], "queue");
        assert!(app.timeline_kinds(ids[0]).await.contains(&"contact_logged".to_owned()));
    }
}

app_test! {
    async fn an_answered_inbound_call_takes_a_pool_lead_only_when_the_organization_says_so(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let ids = pooled(&app, 1).await;
        let off = call(&app, &ana, ids[0], json!({ "direction": "inbound" })).await;
        assert_eq!(off["result"], "not_taken", "{off}");
        assert_eq!(off["kept"], "calls_do_not_assign");
        assert_eq!(owner(&app, ids[0]).await["kind"], "pool");
        assert!(!app.timeline_kinds(ids[0]).await.contains(&"contact_logged".to_owned()));
        set_calls(&app, true, true, false).await;
        let on = call(&app, &ana, ids[0], json!({ "direction": "inbound" })).await;
        assert_eq!(on["result"], "claimed", "{on}");
        assert_eq!(owner(&app, ids[0]).await["user_id"], ana.user.id.get());
        let bad = app.post("/api/v1/calls", &ana.token, json!({ "lead_id": ids[0], "direction": "sideways" })).await;
        assert_eq!(bad.status.as_u16(), 422, "{}", bad.body);
    }
}

app_test! {
    async fn a_transfer_hands_the_lead_from_its_holder_to_the_receiver_when_turned_on(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bo = app.user("bo@acme.test", Role::Agent, &[]).await;
        let ids = pooled(&app, 1).await;
        let claimed = app.post("/api/v1/leads/claim", &ana.token, json!({ "lead_ids": ids })).await;
        assert_eq!(claimed.body["results"][0]["result"], "claimed", "{}", claimed.body);
        let transfer = json!({ "direction": "transfer", "from_agent_id": ana.user.id.get() });
        let off = call(&app, &bo, ids[0], transfer.clone()).await;
        assert_eq!(off["kept"], "calls_do_not_assign", "{off}");
        assert_eq!(owner(&app, ids[0]).await["user_id"], ana.user.id.get());
        set_calls(&app, true, false, true).await;
        let nameless = app.post("/api/v1/calls", &bo.token, json!({ "lead_id": ids[0], "direction": "transfer" })).await;
        assert_eq!(nameless.status.as_u16(), 422, "{}", nameless.body);
        // The phone system reports it for Bo, the receiving agent.
        let mut by_admin = transfer.clone();
        by_admin["agent_id"] = json!(bo.user.id.get());
        let on = call(&app, &app.admin, ids[0], by_admin).await;
        assert_eq!(on["result"], "claimed", "{on}");
        assert_eq!(owner(&app, ids[0]).await["user_id"], bo.user.id.get());
        let entries = app.timeline(ids[0]).await;
        let passed = entries.iter().rev().find(|e| e["kind"] == "claimed").expect("a claim entry");
        assert_eq!(passed["reason"], "taken by a call (transfer) from the agent who passed the call on");
        // A transfer "from" someone who no longer holds the lead moves nothing.
        let stale = call(&app, &ana, ids[0], json!({ "direction": "transfer", "from_agent_id": ana.user.id.get() })).await;
        assert_eq!(stale["result"], "not_taken", "{stale}");
        assert_eq!(stale["kept"], "already_claimed");
        assert_eq!(stale["owner_name"], "bo");
        assert_eq!(owner(&app, ids[0]).await["user_id"], bo.user.id.get());
    }
}

app_test! {
    async fn the_openapi_document_describes_calls_and_ownership_by_call(app) {
        let doc = app.get("/api/v1/openapi.json", &app.admin.token).await.body;
        let schemas = &doc["components"]["schemas"];
        assert!(schemas["CallBody"]["properties"].get("from_agent_id").is_some(), "{}", schemas["CallBody"]);
        for field in ["owner_changed", "kept", "message", "owner_name"] {
            assert!(schemas["CallDto"]["properties"].get(field).is_some(), "{field}: {}", schemas["CallDto"]);
        }
        assert!(schemas["PoolSettingsDto"]["properties"].get("call_ownership").is_some());
        assert!(schemas["CallOwnershipDto"]["properties"].get("transfer").is_some());
        let defaults = app.get("/api/v1/pool-settings", &app.admin.token).await.body;
        assert_eq!(defaults["call_ownership"], json!({ "outbound": true, "inbound": false, "transfer": false }));
    }
}
