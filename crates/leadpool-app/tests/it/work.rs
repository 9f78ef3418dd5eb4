//! Working a lead (issue 16) against a real database with the fake clock: contacts with
//! their outcome, notes that end no reserve time, speed to lead, and tasks.

use std::time::Duration;

use leadpool_app::timers::Scheduler;
use leadpool_domain::Role;
use leadpool_testkit::{TestApp, TestUser, app_test};
use serde_json::{Value, json};

/// A pool whose claims hold for an hour, and one lead in it; the pool's and the lead's ids.
async fn reserve_pool_lead(app: &TestApp) -> (i64, i64) {
    let pool = app
        .post(
            "/api/v1/pools",
            &app.admin.token,
            json!({ "name": "Hot", "reserve_seconds": 3600 }),
        )
        .await;
    assert_eq!(pool.status.as_u16(), 201, "{}", pool.body);
    let pool = pool.body["id"].as_i64().expect("a pool id");
    let (_, key) = app.source("Portal").await;
    let lead = app.intake(&key, json!({ "name": "Ned Park" })).await;
    assert_eq!(lead.status.as_u16(), 201, "{}", lead.body);
    let lead = lead.body["lead"]["id"].as_i64().expect("a lead id");
    let moved = app
        .post(
            "/api/v1/leads/move-to-pool",
            &app.admin.token,
            json!({ "lead_ids": [lead], "pool_id": pool }),
        )
        .await;
    assert_eq!(moved.status.as_u16(), 200, "{}", moved.body);
    (pool, lead)
}

async fn claim(app: &TestApp, who: &TestUser, lead: i64) {
    let a = claim_result(app, who, lead).await;
    assert_eq!(a["result"], "claimed", "{a}");
}

async fn note(app: &TestApp, who: &TestUser, lead: i64, text: &str) -> (u16, Value) {
    let a = app
        .post(
            &format!("/api/v1/leads/{lead}/notes"),
            &who.token,
            json!({ "text": text }),
        )
        .await;
    (a.status.as_u16(), a.body)
}

async fn contact(app: &TestApp, who: &TestUser, lead: i64, body: Value) -> (u16, Value) {
    let a = app
        .post(&format!("/api/v1/leads/{lead}/contacts"), &who.token, body)
        .await;
    (a.status.as_u16(), a.body)
}

app_test! {
    async fn a_note_keeps_the_reserve_time_and_a_contact_with_its_outcome_ends_it(app) {
        let (_, lead) = reserve_pool_lead(&app).await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        claim(&app, &ana, lead).await;
        let (status, body) = note(&app, &ana, lead, "asked for photos\nsend Monday").await;
        assert_eq!(status, 201, "{body}");
        let scheduler = Scheduler::new(app.app.clone(), "test");
        app.clock.advance(Duration::from_secs(1800));
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 0);
        let (status, body) = contact(&app, &ana, lead, json!({ "kind": "call", "outcome": "left_voicemail", "note": "no pickup" })).await;
        assert_eq!(status, 201, "{body}");
        app.clock.advance(Duration::from_secs(3600));
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 0, "the contact ended the reserve time");
        let owner = app.get(&format!("/api/v1/leads/{lead}"), &ana.token).await.body;
        assert_eq!(owner["owner"]["user_id"], ana.user.id.get());
        let entries = app.timeline(lead).await;
        let noted = entries.iter().find(|e| e["kind"] == "note_added").expect("a note entry");
        assert_eq!(noted["reason"], "asked for photos\nsend Monday");
        assert_eq!(noted["actor"]["user_id"], ana.user.id.get());
        let logged = entries.iter().rfind(|e| e["kind"] == "contact_logged").expect("a contact entry");
        assert_eq!(logged["changes"]["outcome"], "left_voicemail");
        assert_eq!(logged["changes"]["contact"], "call");
        assert_eq!(logged["reason"], "no pickup");
    }
}

app_test! {
    async fn a_note_without_text_with_control_characters_or_by_someone_else_is_refused(app) {
        let (_, lead) = reserve_pool_lead(&app).await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bo = app.user("bo@acme.test", Role::Agent, &[]).await;
        claim(&app, &ana, lead).await;
        for bad in ["  ", "ring\u{7}", &"x".repeat(1001)] {
            let (status, body) = note(&app, &ana, lead, bad).await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(body["error"]["details"]["fields"][0]["field"], "text", "{body}");
        }
        let (status, body) = note(&app, &bo, lead, "mine now").await;
        assert!(matches!(status, 403 | 404), "another agent's lead: {status} {body}");
        let (status, body) = note(&app, &app.admin, lead, "checked by the office").await;
        assert_eq!(status, 201, "staff who see the lead write notes: {body}");
        let (status, body) = contact(&app, &ana, lead, json!({ "kind": "email", "outcome": "no_answer" })).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "outcome", "{body}");
        let (status, body) = contact(&app, &ana, lead, json!({ "kind": "call", "outcome": "hung_up" })).await;
        assert_eq!(status, 422, "{body}");
        let kinds = app.timeline_kinds(lead).await;
        assert_eq!(kinds.iter().filter(|k| *k == "note_added").count(), 1);
        assert!(!kinds.contains(&"contact_logged".to_owned()));
    }
}

app_test! {
    async fn the_openapi_document_describes_working_a_lead(app) {
        let doc = app.request(reqwest::Method::GET, "/api/v1/openapi.json", None, None).await;
        assert_eq!(doc.status.as_u16(), 200);
        for (path, method) in [
            ("/api/v1/leads/{id}/notes", "post"),
            ("/api/v1/leads/{id}/contacts", "post"),
            ("/api/v1/leads/{id}/tasks", "post"),
            ("/api/v1/tasks/{id}/reassign", "post"),
        ] {
            let op = &doc.body["paths"][path][method];
            assert!(op.is_object(), "{method} {path} is not documented");
            assert!(op["responses"].as_object().is_some_and(|r| r.contains_key("422")), "{method} {path} documents no 422");
        }
        for (path, method) in [
            ("/api/v1/leads/{id}/tasks", "get"),
            ("/api/v1/tasks", "get"),
            ("/api/v1/tasks/{id}/complete", "post"),
            ("/api/v1/tasks/{id}", "delete"),
        ] {
            let op = &doc.body["paths"][path][method];
            assert!(op.is_object(), "{method} {path} is not documented");
            assert!(op["responses"].as_object().is_some_and(|r| r.keys().any(|k| k.starts_with('4'))), "{method} {path} documents no errors");
        }
        let lead = &doc.body["components"]["schemas"]["LeadDto"]["properties"];
        assert!(lead["first_contact_at"].is_object() && lead["assigned_at"].is_object(), "{lead}");
        let contact = &doc.body["components"]["schemas"]["ContactBody"]["properties"];
        assert!(contact["outcome"].is_object(), "{contact}");
    }
}

app_test! {
    async fn speed_to_lead_is_kept_on_the_lead_and_a_new_assignment_resets_it(app) {
        let (_, lead) = reserve_pool_lead(&app).await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bo = app.user("bo@acme.test", Role::Agent, &[]).await;
        let path = format!("/api/v1/leads/{lead}");
        let pooled = app.get(&path, &app.admin.token).await.body;
        assert_eq!((pooled["assigned_at"].clone(), pooled["first_contact_at"].clone()), (Value::Null, Value::Null));
        claim(&app, &ana, lead).await;
        let claimed_at = app.get(&path, &ana.token).await.body["assigned_at"].clone();
        assert!(claimed_at.is_string(), "{claimed_at}");
        app.clock.advance(Duration::from_secs(90));
        let (status, _) = note(&app, &ana, lead, "read the listing first").await;
        assert_eq!(status, 201);
        assert_eq!(app.get(&path, &ana.token).await.body["first_contact_at"], Value::Null, "a note is not a contact");
        let (status, first) = contact(&app, &ana, lead, json!({ "kind": "text" })).await;
        assert_eq!(status, 201, "{first}");
        assert!(first["first_contact_at"].is_string(), "{first}");
        app.clock.advance(Duration::from_secs(60));
        let (_, second) = contact(&app, &ana, lead, json!({ "kind": "call", "outcome": "connected" })).await;
        assert_eq!(second["first_contact_at"], first["first_contact_at"]);
        let logged = app.timeline(lead).await;
        let firsts: Vec<&Value> = logged.iter().filter_map(|e| e["changes"].get("first_contact_after_ms")).collect();
        assert_eq!(firsts, [&json!(90_000)]);
        let moved = app.post("/api/v1/leads/assign", &app.admin.token, json!({ "lead_ids": [lead], "agent_id": bo.user.id.get() })).await;
        assert_eq!(moved.body["results"][0]["result"], "moved", "{}", moved.body);
        let reassigned = app.get(&path, &bo.token).await.body;
        assert_eq!(reassigned["first_contact_at"], Value::Null);
        assert_ne!(reassigned["assigned_at"], claimed_at);
    }
}

/// Adds a task through the API as `who`; the answer's status and body.
async fn add_task(app: &TestApp, who: &TestUser, lead: i64, body: Value) -> (u16, Value) {
    let a = app
        .post(&format!("/api/v1/leads/{lead}/tasks"), &who.token, body)
        .await;
    (a.status.as_u16(), a.body)
}

fn titles(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["title"].as_str())
        .collect()
}

app_test! {
    async fn tasks_are_added_completed_reassigned_and_deleted_each_with_its_timeline_entry(app) {
        let (_, lead) = reserve_pool_lead(&app).await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let isa = app.user("isa@acme.test", Role::Isa, &[]).await;
        claim(&app, &ana, lead).await;
        let (status, call) = add_task(&app, &ana, lead, json!({ "title": "Call back", "due_at": "2026-11-25T15:00:00Z" })).await;
        assert_eq!(status, 201, "{call}");
        assert_eq!((call["assignee_id"].clone(), call["status"].clone()), (json!(ana.user.id.get()), json!("pending")));
        let (status, photos) = add_task(&app, &ana, lead, json!({ "title": "Send photos", "due_at": "2026-11-24T09:00:00Z" })).await;
        assert_eq!(status, 201, "{photos}");
        let listed = app.get(&format!("/api/v1/leads/{lead}/tasks"), &ana.token).await.body;
        assert_eq!(titles(&listed), ["Send photos", "Call back"], "soonest first");

        let (status, body) = add_task(&app, &ana, lead, json!({ "title": "Yours", "due_at": "2026-11-25T15:00:00Z", "assignee_id": isa.user.id.get() })).await;
        assert_eq!(status, 403, "an agent gives tasks only to themselves: {body}");
        let (status, body) = add_task(&app, &ana, lead, json!({ "title": "", "due_at": "tomorrow" })).await;
        assert_eq!(status, 422, "{body}");

        let done = app.post(&format!("/api/v1/tasks/{}/complete", photos["id"]), &ana.token, json!({})).await;
        assert_eq!((done.status.as_u16(), done.body["status"].clone()), (200, json!("done")), "{}", done.body);
        assert!(done.body["completed_at"].is_string());
        let again = app.post(&format!("/api/v1/tasks/{}/complete", photos["id"]), &ana.token, json!({})).await;
        assert_eq!(again.body["completed_at"], done.body["completed_at"], "completing twice changes nothing");

        let moved = app.post(&format!("/api/v1/tasks/{}/reassign", call["id"]), &isa.token, json!({ "assignee_id": isa.user.id.get() })).await;
        assert_eq!(moved.status.as_u16(), 200, "{}", moved.body);
        assert_eq!(moved.body["assignee_id"], isa.user.id.get());
        let gone = app.request(reqwest::Method::DELETE, &format!("/api/v1/tasks/{}", call["id"]), Some(&ana.token), None).await;
        assert_eq!(gone.status.as_u16(), 204);
        let missing = app.post(&format!("/api/v1/tasks/{}/complete", call["id"]), &ana.token, json!({})).await;
        assert_eq!(missing.status.as_u16(), 404);

        let kinds: Vec<String> = app.timeline_kinds(lead).await.into_iter().filter(|k| k.starts_with("task_")).collect();
        assert_eq!(kinds, ["task_added", "task_added", "task_completed", "task_reassigned", "task_deleted"]);
        let entries = app.timeline(lead).await;
        let reassigned = entries.iter().find(|e| e["kind"] == "task_reassigned").expect("a reassignment entry");
        assert_eq!(reassigned["changes"]["assignee_id"], json!({ "from": ana.user.id.get(), "to": isa.user.id.get() }));
        assert_eq!(reassigned["reason"], "Call back");
        assert_eq!(titles(&app.get(&format!("/api/v1/leads/{lead}/tasks"), &ana.token).await.body), ["Send photos"]);
    }
}

app_test! {
    async fn my_tasks_are_pending_ones_on_leads_i_see_by_due_time(app) {
        let (_, lead) = reserve_pool_lead(&app).await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bo = app.user("bo@acme.test", Role::Agent, &[]).await;
        claim(&app, &ana, lead).await;
        // Tasks due earlier today, later today and tomorrow (in UTC and in any American zone).
        app.clock.set(leadpool_domain::Timestamp::parse_rfc3339("2026-11-25T12:00:00Z").expect("a time"));
        for (title, due) in [("late", "2026-11-25T09:00:00Z"), ("soon", "2026-11-25T15:00:00Z"), ("tomorrow", "2026-11-26T12:00:00Z")] {
            let (status, body) = add_task(&app, &ana, lead, json!({ "title": title, "due_at": due })).await;
            assert_eq!(status, 201, "{body}");
        }
        let (_, done) = add_task(&app, &ana, lead, json!({ "title": "finished", "due_at": "2026-11-25T08:00:00Z" })).await;
        app.post(&format!("/api/v1/tasks/{}/complete", done["id"]), &ana.token, json!({})).await;
        let mine = |due: &'static str| {
            let (app, ana) = (&app, &ana);
            async move { app.get(&format!("/api/v1/tasks?assignee=me&due={due}"), &ana.token).await.body }
        };
        assert_eq!(titles(&mine("all").await), ["late", "soon", "tomorrow"]);
        assert_eq!(titles(&mine("overdue").await), ["late"]);
        assert_eq!(titles(&mine("today").await), ["late", "soon"]);
        assert_eq!(mine("all").await["items"][0]["overdue"], true);

        let theirs = app.get(&format!("/api/v1/tasks?assignee={}", ana.user.id.get()), &bo.token).await;
        assert_eq!(theirs.status.as_u16(), 403, "{}", theirs.body);
        let by_staff = app.get(&format!("/api/v1/tasks?assignee={}&due=overdue", ana.user.id.get()), &app.admin.token).await;
        assert_eq!(titles(&by_staff.body), ["late"]);
        let bad = app.get("/api/v1/tasks?due=soon", &ana.token).await;
        assert_eq!(bad.status.as_u16(), 422);
        // A lead that is no longer theirs takes its tasks off their list.
        let moved = app.post("/api/v1/leads/assign", &app.admin.token, json!({ "lead_ids": [lead], "agent_id": bo.user.id.get() })).await;
        assert_eq!(moved.body["results"][0]["result"], "moved", "{}", moved.body);
        assert_eq!(titles(&mine("all").await), Vec::<&str>::new());
    }
}

const HOUR: Duration = Duration::from_secs(3600);

/// Makes "Working" expire after 10 h into "Recycled" with `hold` added to the rule, through
/// the API; a new lead of a new agent in "Working", with that agent.
async fn working_lead_held_by(app: &TestApp, hold: Value) -> (i64, TestUser) {
    set_working_expiry(app, 36_000, hold).await;
    let (source, _) = app.source("Website").await;
    let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
    let created = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            json!({ "source_id": source, "assignee_id": ana.user.id.get(), "name": "Ana Lima" }),
        )
        .await;
    let lead = created.body["id"].as_i64().expect("a lead id");
    let working = status_id(app, "Working").await;
    let moved = app
        .patch(
            &format!("/api/v1/leads/{lead}"),
            &ana.token,
            json!({ "status_id": working }),
        )
        .await;
    assert_eq!(moved.status.as_u16(), 200, "{}", moved.body);
    (lead, ana)
}

async fn status_id(app: &TestApp, name: &str) -> i64 {
    let statuses = app.get("/api/v1/statuses", &app.admin.token).await.body;
    statuses["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == name)
        .and_then(|s| s["id"].as_i64())
        .expect("a default status")
}

/// Makes "Working" expire after `secs` into "Recycled", with `extra` added to the rule
/// (`null`: removes the expiry), through the API.
async fn set_working_expiry(app: &TestApp, secs: i64, extra: Value) {
    let mut expiry =
        json!({ "after_seconds": secs, "to_status_id": status_id(app, "Recycled").await });
    for (k, v) in extra.as_object().into_iter().flatten() {
        expiry[k] = v.clone();
    }
    if extra.is_null() {
        expiry = Value::Null;
    }
    let working = status_id(app, "Working").await;
    let set = app
        .patch(
            &format!("/api/v1/statuses/{working}"),
            &app.admin.token,
            json!({ "expiry": expiry }),
        )
        .await;
    assert_eq!(set.status.as_u16(), 200, "{}", set.body);
}

async fn pending_timers(app: &TestApp) -> i64 {
    let mut tx = app.store().read().await.expect("a read transaction");
    tx.count_timers().await.expect("count timers")
}

async fn status_of(app: &TestApp, lead: i64) -> Value {
    app.get(&format!("/api/v1/leads/{lead}"), &app.admin.token)
        .await
        .body["status"]
        .clone()
}

app_test! {
    async fn a_pending_task_holds_a_status_expiry_and_completing_it_re_arms_it(app) {
        let (lead, ana) = working_lead_held_by(&app, json!({ "hold_while_task_pending": true })).await;
        let due = app.app.now().plus_millis(2 * 3_600_000).to_string();
        let (status, task) = add_task(&app, &ana, lead, json!({ "title": "Call back", "due_at": due })).await;
        assert_eq!(status, 201, "{task}");
        let scheduler = Scheduler::new(app.app.clone(), "test");
        app.clock.advance(11 * HOUR);
        let report = scheduler.run_due().await.expect("run timers");
        assert_eq!((report.fired, report.held), (0, 1));
        assert_eq!(status_of(&app, lead).await, "Working", "held while the task is pending");
        app.clock.advance(100 * HOUR);
        assert_eq!(scheduler.run_due().await.expect("run timers").held, 0, "held until a task closes, with no timer meanwhile");

        let done = app.post(&format!("/api/v1/tasks/{}/complete", task["id"]), &ana.token, json!({})).await;
        assert_eq!(done.status.as_u16(), 200, "{}", done.body);
        app.clock.advance(9 * HOUR);
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 0, "re-armed for a full 10 h");
        app.clock.advance(2 * HOUR);
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 1);
        assert_eq!(status_of(&app, lead).await, "Recycled");
    }
}

app_test! {
    async fn an_expiry_waiting_for_overdue_tasks_fires_once_they_are_overdue_by_the_time_set(app) {
        let (lead, ana) = working_lead_held_by(&app, json!({ "task_overdue_after_seconds": 3600 })).await;
        let due = app.app.now().plus_millis(12 * 3_600_000).to_string();
        let (status, _) = add_task(&app, &ana, lead, json!({ "title": "Viewing", "due_at": due })).await;
        assert_eq!(status, 201);
        let scheduler = Scheduler::new(app.app.clone(), "test");
        app.clock.advance(10 * HOUR + Duration::from_secs(1));
        assert_eq!(scheduler.run_due().await.expect("run timers").held, 1, "the task is not even due");
        app.clock.advance(2 * HOUR);
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 0, "due, but overdue by less than an hour");
        app.clock.advance(HOUR);
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 1);
        assert_eq!(status_of(&app, lead).await, "Recycled");
        let both = app.patch("/api/v1/statuses/1", &app.admin.token, json!({ "expiry": { "after_seconds": 60, "to_status_id": 2, "hold_while_task_pending": true, "task_overdue_after_seconds": 60 } })).await;
        assert_eq!(both.status.as_u16(), 422, "{}", both.body);
    }
}

app_test! {
    async fn a_status_expiry_in_open_hours_waits_out_the_weekend(app) {
        let cal = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "Office", "time_zone": "UTC", "hours": "mon-fri 09:00-17:00" })).await;
        assert_eq!(cal.status.as_u16(), 201, "{}", cal.body);
        let friday = leadpool_domain::Timestamp::parse_rfc3339("2026-11-27T16:00:00Z").expect("a time");
        app.clock.set(friday);
        let (lead, _) = working_lead_held_by(&app, json!({ "calendar_id": cal.body["id"] })).await;
        let scheduler = Scheduler::new(app.app.clone(), "test");
        // 10 open hours from Friday 16:00: Friday 1 h, Monday 8 h, Tuesday 1 h.
        app.clock.set(leadpool_domain::Timestamp::parse_rfc3339("2026-12-01T09:59:00Z").expect("a time"));
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 0);
        app.clock.advance(Duration::from_secs(60));
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 1);
        assert_eq!(status_of(&app, lead).await, "Recycled");
        let entries = app.timeline(lead).await;
        assert!(entries.iter().any(|e| e["reason"].as_str().is_some_and(|r| r.contains("10.0 open h"))), "{entries:?}");
    }
}

app_test! {
    async fn changing_a_status_expiry_reschedules_the_leads_already_in_it(app) {
        let (early, _) = working_lead_held_by(&app, json!({})).await;
        assert_eq!(pending_timers(&app).await, 1);
        set_working_expiry(&app, 336 * 3600, json!({})).await;
        app.clock.advance(5 * HOUR);
        let (source, _) = app.source("Portal").await;
        let bo = app.user("bo@acme.test", Role::Agent, &[]).await;
        let later = app.post("/api/v1/leads", &app.admin.token, json!({ "source_id": source, "assignee_id": bo.user.id.get(), "name": "Bo Lead" })).await.body["id"].as_i64().expect("a lead id");
        let moved = app.patch(&format!("/api/v1/leads/{later}"), &bo.token, json!({ "status_id": status_id(&app, "Working").await })).await;
        assert_eq!(moved.status.as_u16(), 200);
        let scheduler = Scheduler::new(app.app.clone(), "test");
        app.clock.advance(6 * HOUR);
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 0, "336 h now");

        // Back to 10 h: each lead counts from when it entered "Working" (11 h and 6 h ago).
        set_working_expiry(&app, 36_000, json!({})).await;
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 1);
        assert_eq!(status_of(&app, early).await, "Recycled");
        assert_eq!(status_of(&app, later).await, "Working");
        app.clock.advance(4 * HOUR);
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 1);
        assert_eq!(status_of(&app, later).await, "Recycled");

        // Removing the rule removes the timers of leads in the status.
        let (third, _) = {
            let carl = app.user("carl@acme.test", Role::Agent, &[]).await;
            let id = app.post("/api/v1/leads", &app.admin.token, json!({ "source_id": source, "assignee_id": carl.user.id.get(), "name": "Cy" })).await.body["id"].as_i64().expect("a lead id");
            let moved = app.patch(&format!("/api/v1/leads/{id}"), &carl.token, json!({ "status_id": status_id(&app, "Working").await })).await;
            assert_eq!(moved.status.as_u16(), 200);
            (id, carl)
        };
        assert_eq!(pending_timers(&app).await, 1);
        set_working_expiry(&app, 0, Value::Null).await;
        assert_eq!(pending_timers(&app).await, 0);
        app.clock.advance(1000 * HOUR);
        assert_eq!(scheduler.run_due().await.expect("run timers").fired, 0);
        assert_eq!(status_of(&app, third).await, "Working");
    }
}

async fn claim_result(app: &TestApp, who: &TestUser, lead: i64) -> Value {
    let a = app
        .post(
            "/api/v1/leads/claim",
            &who.token,
            json!({ "lead_ids": [lead] }),
        )
        .await;
    assert_eq!(a.status.as_u16(), 200, "{}", a.body);
    a.body["results"][0].clone()
}

app_test! {
    async fn a_shark_tank_lead_changes_hands_until_its_first_contact_makes_it_owned(app) {
        let new = status_id(&app, "New").await;
        let set = app.patch(&format!("/api/v1/statuses/{new}"), &app.admin.token, json!({ "shark_tank": true })).await;
        assert_eq!((set.status.as_u16(), set.body["shark_tank"].clone()), (200, json!(true)), "{}", set.body);
        let (_, lead) = reserve_pool_lead(&app).await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bo = app.user("bo@acme.test", Role::Agent, &[]).await;
        claim(&app, &ana, lead).await;
        app.clock.advance(Duration::from_secs(60));
        let taken = claim_result(&app, &bo, lead).await;
        assert_eq!(taken["result"], "claimed", "not contacted yet: anyone who sees the pool may take it: {taken}");
        app.clock.advance(Duration::from_secs(60));
        let called = app.post("/api/v1/calls", &ana.token, json!({ "lead_id": lead, "direction": "outbound" })).await;
        assert_eq!(called.status.as_u16(), 200, "{}", called.body);
        let owner = app.get(&format!("/api/v1/leads/{lead}"), &app.admin.token).await.body;
        assert_eq!(owner["owner"]["user_id"], ana.user.id.get(), "a call takes it back and is its first contact: {owner}");
        assert!(owner["first_contact_at"].is_string(), "{owner}");
        let refused = claim_result(&app, &bo, lead).await;
        assert_eq!(refused["result"], "already_claimed", "{refused}");
        assert_eq!(refused["owner_id"], ana.user.id.get());
        let reasons: Vec<String> = app.timeline(lead).await.iter().filter_map(|e| e["reason"].as_str().map(str::to_owned)).collect();
        assert!(reasons.iter().any(|r| r.contains("shark tank")), "{reasons:?}");
    }
}

app_test! {
    async fn agents_racing_for_a_shark_tank_lead_leave_one_owner(app) {
        let new = status_id(&app, "New").await;
        app.patch(&format!("/api/v1/statuses/{new}"), &app.admin.token, json!({ "shark_tank": true })).await;
        let (_, lead) = reserve_pool_lead(&app).await;
        let holder = app.user("ana@acme.test", Role::Agent, &[]).await;
        claim(&app, &holder, lead).await;
        app.clock.advance(Duration::from_secs(60));
        let mut racers = Vec::new();
        for i in 0..6 {
            racers.push(app.user(&format!("racer{i}@acme.test"), Role::Agent, &[]).await);
        }
        let answers = futures_join(&app, &racers, lead).await;
        let winners = answers.iter().filter(|a| a["result"] == "claimed").count();
        assert_eq!(winners, 1, "{answers:?}");
        let owner = app.get(&format!("/api/v1/leads/{lead}"), &app.admin.token).await.body["owner"]["user_id"].clone();
        for a in answers.iter().filter(|a| a["result"] != "claimed") {
            assert_eq!(a["result"], "already_claimed", "{a}");
            assert_eq!(a["owner_id"], owner, "losers are told who won");
        }
    }
}

/// Every racer claims `lead` at once; their answers.
async fn futures_join(app: &TestApp, racers: &[TestUser], lead: i64) -> Vec<Value> {
    let tasks: Vec<_> = racers
        .iter()
        .map(|r| {
            let (http, base, token) = (app.http.clone(), app.base.clone(), r.token.clone());
            tokio::spawn(async move {
                let res = http
                    .post(format!("{base}/api/v1/leads/claim"))
                    .bearer_auth(token)
                    .json(&json!({ "lead_ids": [lead] }))
                    .send()
                    .await
                    .expect("claim");
                let body: Value = res.json().await.expect("a JSON answer");
                body["results"][0].clone()
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("a racer"));
    }
    out
}
