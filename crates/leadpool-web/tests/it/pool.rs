//! The lead pool over HTTP: claim, reject with cooldown, caps and overrides, pool access,
//! blind pools, reserve time, and who may move and assign.

use std::time::Duration;

use leadpool_app::timers::Scheduler;
use leadpool_domain::Role;
use leadpool_testkit::{TestApp, TestUser, app_test};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Puts `names.len()` new leads into a pool (the default pool when `pool` is `None`) and
/// returns their ids in order.
async fn pool_leads(app: &TestApp, pool: Option<i64>, names: &[&str]) -> Vec<i64> {
    let (_, key) = app.source(&format!("Portal {}", names.join(" "))).await;
    let mut ids = Vec::new();
    for n in names {
        let email = format!("{}@example.com", n.to_lowercase());
        let a = app
            .intake(
                &key,
                json!({ "name": n, "email": email, "phone": "+1 555 010 2030" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        ids.push(a.body["lead"]["id"].as_i64().unwrap_or_default());
    }
    let moved = app
        .post(
            "/api/v1/leads/move-to-pool",
            &app.admin.token,
            json!({ "lead_ids": ids, "pool_id": pool, "reason": "stocking the pool" }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    for r in moved.body["results"].as_array().into_iter().flatten() {
        assert_eq!(r["result"], "moved", "{r}");
    }
    ids
}

fn results(a: &Value) -> Vec<(i64, String)> {
    a["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["lead_id"].as_i64().unwrap_or_default(),
                r["result"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn ids_of(list: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["id"].as_i64())
        .collect();
    ids.sort_unstable();
    ids
}

async fn claim(app: &TestApp, who: &TestUser, ids: &[i64]) -> Value {
    let a = app
        .post(
            "/api/v1/leads/claim",
            &who.token,
            json!({ "lead_ids": ids }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.body
}

async fn timeline_kinds(app: &TestApp, lead: i64) -> Vec<String> {
    let t = app
        .get(&format!("/api/v1/leads/{lead}/timeline"), &app.admin.token)
        .await;
    t.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str().map(str::to_owned))
        .collect()
}

app_test! {
    async fn an_agent_claims_pool_leads_and_the_loser_learns_who_won(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let ids = pool_leads(&app, None, &["Carla", "Dario", "Edna"]).await;

        let own = app.get("/api/v1/leads", &ana.token).await;
        assert_eq!(ids_of(&own.body), Vec::<i64>::new(), "an agent's own list starts empty");
        let pool = app.get("/api/v1/leads?pool=yes", &ana.token).await;
        assert_eq!(ids_of(&pool.body), ids, "every agent sees the pool");

        let won = claim(&app, &ana, &ids[..2]).await;
        assert_eq!(results(&won), vec![(ids[0], "claimed".into()), (ids[1], "claimed".into())]);
        assert_eq!(won["results"][0]["lead"]["owner"]["user_id"], ana.user.id.get());

        assert_eq!(ids_of(&app.get("/api/v1/leads", &ana.token).await.body), ids[..2].to_vec());
        assert_eq!(ids_of(&app.get("/api/v1/leads?pool=yes", &bob.token).await.body), vec![ids[2]]);

        let lost = claim(&app, &bob, &[ids[0], ids[2]]).await;
        assert_eq!(results(&lost), vec![(ids[0], "already_claimed".into()), (ids[2], "claimed".into())]);
        assert_eq!(lost["results"][0]["owner_name"], "ana");
        assert_eq!(lost["results"][0]["message"], "Already claimed by ana");

        assert_eq!(timeline_kinds(&app, ids[0]).await, ["created", "routed", "owner_changed", "claimed"]);
        let detail = app.get(&format!("/api/v1/leads/{}", ids[0]), &bob.token).await;
        assert_eq!(detail.status, StatusCode::NOT_FOUND, "a claimed lead leaves everyone else's view");
        let unknown = claim(&app, &bob, &[999_999]).await;
        assert_eq!(results(&unknown), vec![(999_999, "not_visible".into())]);
    }
}

app_test! {
    async fn only_active_agents_claim_and_bad_requests_are_refused(app) {
        let ids = pool_leads(&app, None, &["Fay"]).await;
        let isa = app.user("isa@acme.test", Role::Isa, &[]).await;
        let a = app.post("/api/v1/leads/claim", &isa.token, json!({ "lead_ids": ids })).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let empty = app.post("/api/v1/leads/claim", &ana.token, json!({ "lead_ids": [] })).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.body);
        let too_many: Vec<i64> = (1..=501).collect();
        let big = app.post("/api/v1/leads/claim", &ana.token, json!({ "lead_ids": too_many })).await;
        assert_eq!(big.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", big.body);
        let off = app.patch(&format!("/api/v1/users/{}", ana.user.id), &app.admin.token, json!({ "active": false })).await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.body);
        let inactive = app.post("/api/v1/leads/claim", &ana.token, json!({ "lead_ids": ids })).await;
        assert!(inactive.status.is_client_error(), "an inactive agent may not claim: {}", inactive.body);
    }
}

app_test! {
    async fn a_rejected_lead_returns_to_the_pool_and_its_rejecter_waits_out_the_cooldown(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let ids = pool_leads(&app, None, &["Gus"]).await;
        claim(&app, &ana, &ids).await;
        let reasons = app.get("/api/v1/reject-reasons", &ana.token).await;
        let reason = reasons.body["items"][0]["id"].as_i64().unwrap_or_default();
        assert_eq!(reasons.body["items"][0]["label"], "Outside my area");

        let path = format!("/api/v1/leads/{}/reject", ids[0]);
        let no_reason = app.post(&path, &ana.token, json!({ "note": "nah" })).await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(no_reason.body["error"]["details"]["fields"][0]["field"], "reason_id");
        let not_his = app.post(&path, &bob.token, json!({ "reason_id": reason })).await;
        assert_eq!(not_his.status, StatusCode::NOT_FOUND, "{}", not_his.body);

        let r = app.post(&path, &ana.token, json!({ "reason_id": reason, "note": "lives in another state" })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["owner"]["kind"], "pool");
        let t = app.get(&format!("/api/v1/leads/{}/timeline", ids[0]), &app.admin.token).await;
        let last = t.body["items"].as_array().and_then(|i| i.last().cloned()).unwrap_or_default();
        assert_eq!(last["kind"], "rejected");
        assert_eq!(last["reason"], "rejected: Outside my area: lives in another state");

        let again = claim(&app, &ana, &ids).await;
        assert_eq!(results(&again), vec![(ids[0], "cooling_down".into())]);
        app.clock.advance(Duration::from_secs(24 * 3600 + 1));
        let later = claim(&app, &ana, &ids).await;
        assert_eq!(results(&later), vec![(ids[0], "claimed".into())]);
    }
}

app_test! {
    async fn caps_refuse_claims_and_assignments_unless_overridden(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let ids = pool_leads(&app, None, &["Hal", "Ida", "Jon"]).await;
        let set = app.request(reqwest::Method::PUT, "/api/v1/pool-settings", Some(&app.admin.token), Some(json!({ "max_new_leads": 1, "min_new_leads": 0 }))).await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);

        let a = claim(&app, &ana, &ids[..2]).await;
        assert_eq!(results(&a), vec![(ids[0], "claimed".into()), (ids[1], "over_cap".into())]);
        assert_eq!(a["results"][1]["cap"], 1);

        let refused = app.post("/api/v1/leads/assign", &app.admin.token, json!({ "lead_ids": [ids[1]], "agent_id": ana.user.id.get() })).await;
        assert_eq!(results(&refused.body), vec![(ids[1], "over_cap".into())]);
        let forced = app.post("/api/v1/leads/assign", &app.admin.token, json!({ "lead_ids": [ids[1]], "agent_id": ana.user.id.get(), "override_cap": true, "reason": "she asked" })).await;
        assert_eq!(results(&forced.body), vec![(ids[1], "moved".into())]);
        let t = app.get(&format!("/api/v1/leads/{}/timeline", ids[1]), &app.admin.token).await;
        let last = t.body["items"].as_array().and_then(|i| i.last().cloned()).unwrap_or_default();
        assert_eq!(last["changes"]["cap_override"], json!({ "max": 1, "open_new": 1 }));

        // A user's own cap wins over the organization's.
        let raised = app.patch(&format!("/api/v1/users/{}", ana.user.id), &app.admin.token, json!({ "max_new_leads": 3, "min_new_leads": 1 })).await;
        assert_eq!(raised.body["max_new_leads"], 3);
        assert_eq!(raised.body["min_new_leads"], 1);
        assert_eq!(results(&claim(&app, &ana, &[ids[2]]).await), vec![(ids[2], "claimed".into())]);
        let bad = app.patch(&format!("/api/v1/users/{}", ana.user.id), &app.admin.token, json!({ "min_new_leads": 9 })).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    }
}

app_test! {
    async fn pool_access_and_team_pools_decide_who_sees_a_pool(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let ids = pool_leads(&app, None, &["Kim"]).await;
        let off = app.patch(&format!("/api/v1/users/{}", ana.user.id), &app.admin.token, json!({ "pool_access": false })).await;
        assert_eq!(off.body["pool_access"], false);
        assert_eq!(ids_of(&app.get("/api/v1/leads?pool=yes", &ana.token).await.body), Vec::<i64>::new());
        assert_eq!(results(&claim(&app, &ana, &ids).await), vec![(ids[0], "not_visible".into())]);
        assert_eq!(app.get("/api/v1/pools", &ana.token).await.body["items"], json!([]));

        let team = app.post("/api/v1/teams", &app.admin.token, json!({ "name": "North" })).await;
        let team_id = team.body["id"].as_i64().unwrap_or_default();
        let north = app.post("/api/v1/pools", &app.admin.token, json!({ "name": "North pool", "team_id": team_id })).await;
        assert_eq!(north.status, StatusCode::CREATED, "{}", north.body);
        let north_id = north.body["id"].as_i64().unwrap_or_default();
        let north_leads = pool_leads(&app, Some(north_id), &["Lou"]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let nora = app.user("nora@acme.test", Role::Agent, &["North"]).await;
        assert_eq!(ids_of(&app.get("/api/v1/leads?pool=yes", &bob.token).await.body), ids);
        assert_eq!(results(&claim(&app, &bob, &north_leads).await), vec![(north_leads[0], "not_visible".into())]);
        let mut both = ids.clone();
        both.extend(&north_leads);
        assert_eq!(ids_of(&app.get("/api/v1/leads?pool=yes", &nora.token).await.body), both);
        assert_eq!(results(&claim(&app, &nora, &north_leads).await), vec![(north_leads[0], "claimed".into())]);
    }
}

app_test! {
    async fn a_blind_pool_hides_phone_and_email_until_claimed(app) {
        let blind = app.post("/api/v1/pools", &app.admin.token, json!({ "name": "Blind", "blind": true })).await;
        assert_eq!(blind.body["blind"], true);
        let ids = pool_leads(&app, blind.body["id"].as_i64(), &["Mia"]).await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let listed = app.get("/api/v1/leads?pool=yes", &ana.token).await;
        assert_eq!(listed.body["items"][0]["contact_hidden"], true);
        assert_eq!(listed.body["items"][0]["emails"], json!([]));
        assert_eq!(listed.body["items"][0]["phones"], json!([]));
        assert_eq!(listed.body["items"][0]["name"], "Mia");
        let admin_view = app.get(&format!("/api/v1/leads/{}", ids[0]), &app.admin.token).await;
        assert_eq!(admin_view.body["emails"], json!(["mia@example.com"]));
        let won = claim(&app, &ana, &ids).await;
        assert_eq!(won["results"][0]["lead"]["emails"], json!(["mia@example.com"]));
        assert_eq!(won["results"][0]["lead"]["contact_hidden"], false);
    }
}

app_test! {
    async fn a_lapsed_reserve_time_sends_the_lead_back_and_a_contact_keeps_it(app) {
        let pool = app.post("/api/v1/pools", &app.admin.token, json!({ "name": "Hot", "reserve_seconds": 3600 })).await;
        assert_eq!(pool.body["reserve_seconds"], 3600);
        let ids = pool_leads(&app, pool.body["id"].as_i64(), &["Ned", "Ola"]).await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        claim(&app, &ana, &ids).await;
        let call = app.post(&format!("/api/v1/leads/{}/contacts", ids[1]), &ana.token, json!({ "kind": "call", "note": "left a voicemail" })).await;
        assert_eq!(call.status, StatusCode::CREATED, "{}", call.body);
        let bad = app.post(&format!("/api/v1/leads/{}/contacts", ids[1]), &ana.token, json!({ "kind": "fax" })).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);

        // A quarter of an hour before the reserve ends, Ana is warned about the lead she
        // has not worked (the one she called has no reserve time left to warn of).
        let scheduler = Scheduler::new(app.app.clone(), "test");
        app.clock.advance(Duration::from_secs(2699));
        assert_eq!(scheduler.run_due().await.map(|r| r.fired).ok(), Some(0));
        app.clock.advance(Duration::from_secs(1));
        assert_eq!(scheduler.run_due().await.map(|r| r.fired).ok(), Some(1), "the warning");
        app.clock.advance(Duration::from_secs(899));
        assert_eq!(scheduler.run_due().await.map(|r| r.fired).ok(), Some(0));
        app.clock.advance(Duration::from_secs(2));
        assert_eq!(scheduler.run_due().await.map(|r| r.fired).ok(), Some(1));

        let back = app.get(&format!("/api/v1/leads/{}", ids[0]), &app.admin.token).await;
        assert_eq!(back.body["owner"]["kind"], "pool");
        assert_eq!(back.body["owner"]["pool_id"], pool.body["id"]);
        assert_eq!(timeline_kinds(&app, ids[0]).await.last().map(String::as_str), Some("reserve_expired"));
        // Ana hears that the lead left her, with the pool and why; her own claims are events
        // too (for CRMs), her own contact is not.
        let events = app.get("/api/v1/events", &ana.token).await;
        let told: Vec<(String, Value)> = events.body["events"].as_array().into_iter().flatten()
            .map(|e| (e["kind"].as_str().unwrap_or_default().to_owned(), e["lead_id"].clone()))
            .collect();
        assert_eq!(told, [
            ("lead_claimed".to_owned(), json!(ids[0])),
            ("lead_claimed".to_owned(), json!(ids[1])),
            ("reserve_expiring".to_owned(), json!(ids[0])),
            ("lead_returned".to_owned(), json!(ids[0])),
        ], "{}", events.body);
        let warned = &events.body["events"][2]["payload"];
        assert_eq!(warned["lead_name"], "Ned");
        assert!(warned["due"].as_str().is_some_and(|d| d.ends_with("Z")), "{warned}");
        let returned = &events.body["events"][3]["payload"];
        assert_eq!((&returned["pool_id"], &returned["why"]), (&pool.body["id"], &json!("reserve_expired")));
        let kept = app.get(&format!("/api/v1/leads/{}", ids[1]), &ana.token).await;
        assert_eq!(kept.body["owner"]["user_id"], ana.user.id.get());
        assert_eq!(timeline_kinds(&app, ids[1]).await.last().map(String::as_str), Some("contact_logged"));
    }
}

app_test! {
    async fn only_admins_and_isas_move_and_assign_and_only_admins_edit_pools(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let isa = app.user("isa@acme.test", Role::Isa, &[]).await;
        let ids = pool_leads(&app, None, &["Pia"]).await;
        let by_agent = app.post("/api/v1/leads/assign", &ana.token, json!({ "lead_ids": ids, "agent_id": ana.user.id.get() })).await;
        assert_eq!(by_agent.status, StatusCode::FORBIDDEN);
        let by_isa = app.post("/api/v1/leads/assign", &isa.token, json!({ "lead_ids": ids, "agent_id": ana.user.id.get() })).await;
        assert_eq!(results(&by_isa.body), vec![(ids[0], "moved".into())]);
        let to_isa = app.post("/api/v1/leads/assign", &isa.token, json!({ "lead_ids": ids, "agent_id": isa.user.id.get() })).await;
        assert_eq!(to_isa.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", to_isa.body);
        let back = app.post("/api/v1/leads/move-to-pool", &isa.token, json!({ "lead_ids": ids })).await;
        assert_eq!(results(&back.body), vec![(ids[0], "moved".into())]);
        let same = app.post("/api/v1/leads/move-to-pool", &isa.token, json!({ "lead_ids": ids })).await;
        assert_eq!(results(&same.body), vec![(ids[0], "unchanged".into())]);
        let pool = app.post("/api/v1/pools", &isa.token, json!({ "name": "Mine" })).await;
        assert_eq!(pool.status, StatusCode::FORBIDDEN);
        let dup = app.post("/api/v1/pools", &app.admin.token, json!({ "name": "Lead Pool" })).await;
        assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
        let nameless = app.post("/api/v1/pools", &app.admin.token, json!({ "name": " ", "reserve_seconds": 0 })).await;
        assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(nameless.body["error"]["details"]["fields"].as_array().map(Vec::len), Some(2));
    }
}

app_test! {
    async fn a_claim_reads_its_agent_afresh_even_when_another_instance_deactivated_them(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let ids = pool_leads(&app, None, &["Quin", "Rita"]).await;
        assert_eq!(results(&claim(&app, &ana, &ids[..1]).await), vec![(ids[0], "claimed".into())]);
        // Another instance on the same database: its changes do not reach this one's cache.
        let other = leadpool_app::App::new(
            app.db.store.clone(),
            std::sync::Arc::new(app.clock.clone()),
            leadpool_app::Settings::default(),
        );
        let admin = match other.authenticate_token(&app.admin.token).await {
            Ok(leadpool_app::Principal::Member(m)) => *m,
            other => panic!("admin token: {other:?}"),
        };
        let off = leadpool_app::directory::UserChanges {
            active: Some(false),
            ..Default::default()
        };
        other.update_user(&admin, ana.user.id, off).await.expect("deactivate ana");
        let refused = app.post("/api/v1/leads/claim", &ana.token, json!({ "lead_ids": [ids[1]] })).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        let lead = app.get(&format!("/api/v1/leads/{}", ids[1]), &app.admin.token).await;
        assert_eq!(lead.body["owner"]["kind"], "pool");
    }
}

app_test! {
    async fn a_pool_patch_changes_only_the_fields_it_names(app) {
        let made = app.post("/api/v1/pools", &app.admin.token, json!({ "name": "Hot", "blind": true, "reserve_seconds": 3600, "reject_cooldown_seconds": 60 })).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let path = format!("/api/v1/pools/{}", made.body["id"]);
        let renamed = app.patch(&path, &app.admin.token, json!({ "name": "Warm" })).await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
        assert_eq!(renamed.body["name"], "Warm");
        assert_eq!(renamed.body["blind"], true, "an absent field keeps its setting");
        assert_eq!(renamed.body["reserve_seconds"], 3600);
        assert_eq!(renamed.body["reject_cooldown_seconds"], 60);
        let cleared = app.patch(&path, &app.admin.token, json!({ "reserve_seconds": null, "blind": false })).await;
        assert_eq!(cleared.body["reserve_seconds"], Value::Null, "null clears a setting");
        assert_eq!(cleared.body["blind"], false);
        assert_eq!(cleared.body["name"], "Warm");
        let bad = app.patch(&path, &app.admin.token, json!({ "name": " " })).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        let unknown = app.patch(&path, &app.admin.token, json!({ "colour": "red" })).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);
        let missing = app.patch("/api/v1/pools/999999", &app.admin.token, json!({ "name": "X" })).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    }
}
