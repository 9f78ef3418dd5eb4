//! Working a lead from its page, as a browser posts the forms: claim it from a pool, log a
//! call (which keeps it past its reserve time, or takes a pool lead), change its status,
//! edit its details and give it back. Each answer redraws the lead in place and says what
//! happened; a lost race names the winner.

use std::time::Duration;

use leadpool_app::timers::Scheduler;
use leadpool_domain::Role;
use leadpool_testkit::{TestApp, app_test};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ui::{Browser, into_pool, lead, source};

/// Gives the organization's default pool a reserve time of an hour.
async fn reserve_an_hour(app: &TestApp) {
    let pools = app.get("/api/v1/pools", &app.admin.token).await;
    let id = pools.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["is_default"] == true)
        .and_then(|p| p["id"].as_i64())
        .expect("the organization has a default pool");
    let set = app
        .patch(
            &format!("/api/v1/pools/{id}"),
            &app.admin.token,
            json!({ "reserve_seconds": 3600 }),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
}

async fn owner(app: &TestApp, lead: i64) -> Value {
    app.get(&format!("/api/v1/leads/{lead}"), &app.admin.token)
        .await
        .body["owner"]
        .clone()
}

/// A status's id by name.
async fn status_id(app: &TestApp, name: &str) -> String {
    let all = app.get("/api/v1/statuses", &app.admin.token).await;
    all.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == name)
        .and_then(|s| s["id"].as_i64())
        .map(|id| id.to_string())
        .expect("the organization has the status")
}

app_test! {
    async fn an_agent_claims_a_pool_lead_from_its_page_and_a_logged_call_keeps_it_past_the_reserve_time(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        reserve_an_hour(&app).await;
        let s = source(&app).await;
        let kept = lead(&app, s, None, "Kept Lead").await;
        let lapsed = lead(&app, s, None, "Lapsed Lead").await;
        into_pool(&app, &[kept, lapsed]).await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;

        let page = browser.get(&format!("/leads/{kept}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("Claim this lead") && page.html.contains("I called this lead"), "{}", page.html);
        assert!(!page.html.contains("Change status"), "a pool lead is not the agent's to work yet: {}", page.html);
        let csrf = page.csrf();
        for id in [kept, lapsed] {
            let claimed = browser.htmx_post(&format!("/leads/{id}/claim"), &csrf, &[]).await;
            assert_eq!(claimed.status, StatusCode::OK, "{}", claimed.html);
            assert!(claimed.html.trim_start().starts_with(r#"<div id="lead">"#), "htmx gets the lead alone: {}", claimed.html);
            assert!(claimed.html.contains("Claimed: the lead is yours now."), "{}", claimed.html);
            assert!(claimed.html.contains("Change status") && !claimed.html.contains("Claim this lead"), "{}", claimed.html);
        }
        let again = browser.htmx_post(&format!("/leads/{kept}/claim"), &csrf, &[]).await;
        assert_eq!(again.status, StatusCode::OK, "a refused claim is an answer, as in the Move menu");
        assert!(again.html.contains("You already hold this lead"), "{}", again.html);

        let called = browser
            .htmx_post(&format!("/leads/{kept}/contact"), &csrf, &[("kind", "call"), ("outcome", "connected"), ("note", "wants a viewing on Friday")])
            .await;
        assert_eq!(called.status, StatusCode::OK, "{}", called.html);
        assert!(called.html.contains("Call logged."), "{}", called.html);
        // The timeline speaks in names and words, not ids (issue 18, item 4).
        for said in ["claimed from the pool", "contact: call", "outcome: connected", "first contact after: "] {
            assert!(called.html.contains(said), "{said} missing: {}", called.html);
        }
        assert!(!called.html.contains("pool #") && !called.html.contains("user #"), "{}", called.html);
        let logged = app.timeline(kept).await;
        assert_eq!(logged.last().map(|e| e["changes"]["outcome"].clone()), Some(serde_json::json!("connected")), "{logged:?}");
        assert!(called.html.contains("wants a viewing on Friday"), "the note is on the timeline: {}", called.html);

        let scheduler = Scheduler::new(app.app.clone(), "test");
        app.clock.advance(Duration::from_secs(3601));
        assert_eq!(scheduler.run_due().await.map(|r| r.fired).ok(), Some(2),
            "only the uncalled lead's reserve time runs out, after its warning");
        assert_eq!(owner(&app, kept).await["user_id"], ana.user.id.get());
        assert_eq!(owner(&app, lapsed).await["kind"], "pool");
    }
}

app_test! {
    async fn an_agent_moves_their_lead_to_working_and_logs_an_email_and_staff_see_the_forms_too(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let id = lead(&app, s, Some(ana.user.id.get()), "Work Me").await;
        let working = status_id(&app, "Working").await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;
        let page = browser.get(&format!("/leads/{id}")).await;
        assert!(page.html.contains(r#"<optgroup label="Working">"#) && page.html.contains(">Working</option>"), "{}", page.html);
        assert!(page.html.contains("Give back to the pool") && page.html.contains("Outside my area"), "{}", page.html);
        let csrf = page.csrf();

        let moved = browser
            .htmx_post(&format!("/leads/{id}/status"), &csrf, &[("status", working.as_str()), ("reason", "first call went well")])
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.html);
        assert!(moved.html.contains("Status changed to Working."), "{}", moved.html);
        assert!(moved.html.contains("<dt>Status</dt><dd>Working</dd>"), "{}", moved.html);
        assert!(moved.html.contains("first call went well"), "the reason is on the timeline: {}", moved.html);
        let same = browser.htmx_post(&format!("/leads/{id}/status"), &csrf, &[("status", working.as_str())]).await;
        assert!(same.html.contains("The status was already Working."), "{}", same.html);
        let unknown = browser.htmx_post(&format!("/leads/{id}/status"), &csrf, &[("status", "999999")]).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.html.contains("no status 999999") && unknown.html.contains(r#"id="lead""#), "{}", unknown.html);

        let emailed = browser.htmx_post(&format!("/leads/{id}/contact"), &csrf, &[("kind", "email"), ("note", "sent the brochure")]).await;
        assert_eq!(emailed.status, StatusCode::OK, "{}", emailed.html);
        assert!(emailed.html.contains("Email logged."), "{}", emailed.html);
        let fax = browser.htmx_post(&format!("/leads/{id}/contact"), &csrf, &[("kind", "fax")]).await;
        assert_eq!(fax.status, StatusCode::UNPROCESSABLE_ENTITY);
        let busy_email = browser.htmx_post(&format!("/leads/{id}/contact"), &csrf, &[("kind", "email"), ("outcome", "busy")]).await;
        assert!(busy_email.html.contains("an outcome of calls only"), "{}", busy_email.html);
        let kinds = app.timeline_kinds(id).await;
        assert_eq!(kinds.iter().filter(|k| *k == "status_changed").count(), 1, "{kinds:?}");
        assert_eq!(kinds.last().map(String::as_str), Some("contact_logged"), "{kinds:?}");

        // Staff in scope work any lead; without JavaScript the whole page comes back.
        let admin = Browser::new(&app);
        let staff_csrf = admin.sign_in("admin@acme.test").await;
        let closed = status_id(&app, "Closed").await;
        let done = admin
            .post(&format!("/leads/{id}/status"), &[("csrf", staff_csrf.as_str()), ("status", closed.as_str())])
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.html);
        assert!(done.html.contains("<html") && done.html.contains("Status changed to Closed."), "{}", done.html);
        assert!(!done.html.contains("Give back to the pool"), "only the holding agent gives a lead back");
    }
}

app_test! {
    async fn a_second_agents_call_on_a_pool_lead_someone_claimed_is_told_who_holds_it(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let id = lead(&app, s, None, "Raced Lead").await;
        let other = lead(&app, s, None, "Called Lead").await;
        into_pool(&app, &[id, other]).await;
        let ana = Browser::new(&app);
        ana.sign_in("ana@acme.test").await;
        let bruno = Browser::new(&app);
        bruno.sign_in("bob@acme.test").await;
        // Bob opens the page first; Ana's claim makes it stale.
        let stale = bruno.get(&format!("/leads/{id}")).await;
        let bob_csrf = stale.csrf();
        let ana_csrf = ana.get(&format!("/leads/{id}")).await.csrf();
        let won = ana.htmx_post(&format!("/leads/{id}/claim"), &ana_csrf, &[]).await;
        assert_eq!(won.status, StatusCode::OK, "{}", won.html);

        let lost = bruno.htmx_post(&format!("/leads/{id}/contact"), &bob_csrf, &[("kind", "call")]).await;
        assert_eq!(lost.status, StatusCode::OK, "{}", lost.html);
        assert!(lost.html.contains("Your call did not take this lead: Already claimed by ana."), "{}", lost.html);
        assert!(lost.html.contains("<h1>You can no longer see this lead</h1>"), "it heads the page in the lead's place: {}", lost.html);
        let lost_claim = bruno.htmx_post(&format!("/leads/{id}/claim"), &bob_csrf, &[]).await;
        assert_eq!(lost_claim.status, StatusCode::OK);
        assert!(lost_claim.html.contains("Already claimed by ana"), "{}", lost_claim.html);

        // A call on a pool lead nobody holds takes it, as the organization's default says.
        let taken = bruno.htmx_post(&format!("/leads/{other}/contact"), &bob_csrf, &[("kind", "call"), ("note", "picked up")]).await;
        assert_eq!(taken.status, StatusCode::OK, "{}", taken.html);
        assert!(taken.html.contains("Call logged: the lead is yours now."), "{}", taken.html);
        assert_eq!(owner(&app, other).await["user_id"], bob.user.id.get());
    }
}

app_test! {
    async fn editing_details_saves_only_what_changed_and_bad_input_is_said_on_the_lead(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let id = lead(&app, s, Some(ana.user.id.get()), "Edit Me").await;
        let set = app
            .patch(&format!("/api/v1/leads/{id}"), &app.admin.token, json!({ "fields": { "budget": 400000, "zip": "02134" } }))
            .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;
        let page = browser.get(&format!("/leads/{id}")).await;
        assert!(page.html.contains(r#"name="field_value" value="400000""#), "{}", page.html);
        let csrf = page.csrf();
        let form = |emails: &'static str| {
            vec![
                ("name", "Edit Me"),
                ("emails", emails),
                ("phones", "+15550100, +15550101"),
                ("tags", "buyer, vip"),
                ("field_name", "budget"),
                ("field_value", "450000"),
                ("field_name", "zip"),
                ("field_value", ""),
                ("new_field_name", "town"),
                ("new_field_value", "Boston"),
            ]
        };
        let bad = browser.htmx_post(&format!("/leads/{id}/edit"), &csrf, &form("not-an-email")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
        assert!(bad.html.contains(r#"class="outcome refused""#) && bad.html.contains("email"), "{}", bad.html);
        let saved = browser.htmx_post(&format!("/leads/{id}/edit"), &csrf, &form("edit.me@example.com")).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.html);
        assert!(saved.html.contains("Details saved."), "{}", saved.html);
        let stored = app.get(&format!("/api/v1/leads/{id}"), &app.admin.token).await.body;
        assert_eq!(stored["fields"], json!({ "budget": 450000, "town": "Boston" }), "a number stays a number; cleared goes");
        assert_eq!(stored["tags"], json!(["buyer", "vip"]));
        assert_eq!(stored["phones"], json!(["+15550100", "+15550101"]));
        assert_eq!(stored["name"], "Edit Me");
        let timeline = app.timeline(id).await;
        let last = timeline.last().expect("the edit is on the timeline");
        assert!(last["changes"].get("name").is_none() && last["changes"].get("emails").is_none(), "only what changed: {last}");
        let unchanged = browser.htmx_post(&format!("/leads/{id}/edit"), &csrf, &[("name", "Edit Me"), ("emails", "edit.me@example.com"),
            ("phones", "+15550100,+15550101"), ("tags", "buyer,vip"), ("field_name", "budget"), ("field_value", "450000"),
            ("field_name", "town"), ("field_value", "Boston")]).await;
        assert!(unchanged.html.contains("Nothing to save"), "{}", unchanged.html);
        assert_eq!(app.timeline(id).await.len(), timeline.len());
    }
}

app_test! {
    async fn the_holding_agent_gives_a_lead_back_to_the_pool_from_its_page(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let id = lead(&app, s, None, "Give Back").await;
        into_pool(&app, &[id]).await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;
        let csrf = browser.get(&format!("/leads/{id}")).await.csrf();
        browser.htmx_post(&format!("/leads/{id}/claim"), &csrf, &[]).await;
        let reasons = app.get("/api/v1/reject-reasons", &app.admin.token).await;
        let reason = reasons.body["items"][0]["id"].as_i64().expect("a reject reason").to_string();
        let given = browser
            .htmx_post(&format!("/leads/{id}/give-back"), &csrf, &[("reason_id", reason.as_str()), ("note", "not my area")])
            .await;
        assert_eq!(given.status, StatusCode::OK, "{}", given.html);
        assert!(given.html.contains("Given back to the pool."), "{}", given.html);
        assert!(given.html.contains("Claim this lead"), "the agent still sees it in the pool: {}", given.html);
        assert_eq!(owner(&app, id).await["kind"], "pool");
        let no_reason = browser.htmx_post(&format!("/leads/{id}/give-back"), &csrf, &[("reason_id", "x")]).await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// A due time `hours` from the app's clock, as a `datetime-local` input sends it (UTC).
fn due_in(app: &TestApp, hours: i64) -> String {
    app.app
        .now()
        .plus_millis(hours * 3_600_000)
        .to_minute_utc()
        .trim_end_matches(" UTC")
        .replacen(' ', "T", 1)
}

/// The id of the lead's first task.
async fn first_task(app: &TestApp, lead: i64) -> String {
    let tasks = app
        .get(&format!("/api/v1/leads/{lead}/tasks"), &app.admin.token)
        .await;
    tasks.body["items"][0]["id"]
        .as_i64()
        .expect("the lead has a task")
        .to_string()
}

app_test! {
    async fn an_agent_writes_a_note_and_plans_tasks_that_staff_reassign_and_my_tasks_lists(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let isa = app.user("isa@acme.test", Role::Isa, &[]).await;
        let s = source(&app).await;
        let id = lead(&app, s, Some(ana.user.id.get()), "Plan Me").await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;
        let page = browser.get(&format!("/leads/{id}")).await;
        assert!(page.html.contains("Add a task") && page.html.contains("Write a note"), "{}", page.html);
        assert!(!page.html.contains(r#"id="task-assignee""#), "an agent's new tasks are their own: {}", page.html);
        let csrf = page.csrf();

        let noted = browser.htmx_post(&format!("/leads/{id}/note"), &csrf, &[("text", "prefers evenings")]).await;
        assert_eq!(noted.status, StatusCode::OK, "{}", noted.html);
        assert!(noted.html.contains("Note added.") && noted.html.contains("prefers evenings"), "{}", noted.html);
        let blank = browser.htmx_post(&format!("/leads/{id}/note"), &csrf, &[("text", "  ")]).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", blank.html);

        let due = due_in(&app, 1);
        let added = browser
            .htmx_post(&format!("/leads/{id}/tasks"), &csrf, &[("title", "Call back about the viewing"), ("due", due.as_str())])
            .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.html);
        assert!(added.html.contains("Task added, due"), "{}", added.html);
        assert!(added.html.contains("Call back about the viewing") && added.html.contains("Mark done"), "{}", added.html);
        let bad_due = browser.htmx_post(&format!("/leads/{id}/tasks"), &csrf, &[("title", "x"), ("due", "soon")]).await;
        assert_eq!(bad_due.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_due.html.contains("Give the due time"), "{}", bad_due.html);
        let no_title = browser.htmx_post(&format!("/leads/{id}/tasks"), &csrf, &[("title", " "), ("due", due.as_str())]).await;
        assert_eq!(no_title.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_title.html);
        let for_bob = bob.user.id.get().to_string();
        let not_staff = browser
            .htmx_post(&format!("/leads/{id}/tasks"), &csrf, &[("title", "Bob calls"), ("due", due.as_str()), ("assignee_id", for_bob.as_str())])
            .await;
        assert_eq!(not_staff.status, StatusCode::FORBIDDEN, "{}", not_staff.html);

        // Past due, it is on the agent's list of overdue tasks, with its lead's name.
        let task = first_task(&app, id).await;
        assert!(browser.get("/tasks?due=overdue").await.html.contains("No pending tasks overdue."));
        app.clock.advance(Duration::from_secs(2 * 3600));
        let mine = browser.get("/tasks?due=overdue").await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.html);
        assert!(mine.html.contains("Call back about the viewing") && mine.html.contains("Plan Me") && mine.html.contains("Overdue"), "{}", mine.html);

        // Staff give it to someone who sees the lead: it leaves Ana's list for theirs.
        let admin = Browser::new(&app);
        let staff_csrf = admin.sign_in("admin@acme.test").await;
        let staff_page = admin.get(&format!("/leads/{id}")).await;
        assert!(staff_page.html.contains(r#"id="task-assignee""#), "staff pick who does a task: {}", staff_page.html);
        let blind = admin
            .htmx_post(&format!("/leads/{id}/tasks/{task}/reassign"), &staff_csrf, &[("assignee_id", for_bob.as_str())])
            .await;
        assert_eq!(blind.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", blind.html);
        assert!(blind.html.contains("bob cannot see this lead"), "{}", blind.html);
        let for_isa = isa.user.id.get().to_string();
        let moved = admin
            .htmx_post(&format!("/leads/{id}/tasks/{task}/reassign"), &staff_csrf, &[("assignee_id", for_isa.as_str())])
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.html);
        assert!(moved.html.contains("reassigned.") && moved.html.contains(" · isa</div>"), "{}", moved.html);
        assert!(browser.get("/tasks").await.html.contains("No pending tasks."));
        let theirs = admin.get(&format!("/tasks?assignee_id={for_isa}")).await;
        assert!(theirs.html.contains("Call back about the viewing"), "{}", theirs.html);

        let done = admin.htmx_post(&format!("/leads/{id}/tasks/{task}/complete"), &staff_csrf, &[]).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.html);
        assert!(done.html.contains("Done: Call back about the viewing."), "{}", done.html);
        assert!(!done.html.contains("Mark done"), "a done task has nothing left to do: {}", done.html);
        let gone = admin.htmx_post(&format!("/leads/{id}/tasks/{task}/delete"), &staff_csrf, &[]).await;
        assert!(gone.html.contains("Task deleted.") && gone.html.contains("No tasks yet."), "{}", gone.html);
        let kinds = app.timeline_kinds(id).await;
        for k in ["note_added", "task_added", "task_reassigned", "task_completed", "task_deleted"] {
            assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
        }
        let unknown = admin.htmx_post(&format!("/leads/{id}/tasks/999999/complete"), &staff_csrf, &[]).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.html);
    }
}
