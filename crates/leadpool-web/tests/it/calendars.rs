//! Working-hours calendars over the API: organization admins define them, everyone reads
//! them and previews deadlines, team admins choose their teams' calendars, and nothing of
//! another organization is ever reached.

use axum::http::StatusCode;
use leadpool_domain::Role;
use leadpool_testkit::app::OPERATOR_TOKEN;
use leadpool_testkit::{Answer, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

fn code(a: &Answer) -> &str {
    a.body["error"]["code"].as_str().unwrap_or_default()
}

/// The fields a 422 names, in order.
fn bad_fields(a: &Answer) -> Vec<String> {
    a.body["error"]["details"]["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str().map(str::to_owned))
        .collect()
}

fn id(a: &Answer) -> i64 {
    a.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {}", a.body))
}

/// The issue's example calendar.
fn new_york() -> Value {
    json!({
        "name": "New York Office",
        "time_zone": "America/New_York",
        "hours": "mon-fri 09:00-17:00",
        "holidays": ["2026-12-25"],
    })
}

/// Creates a calendar as the organization admin; returns its id.
async fn calendar(app: &TestApp, body: Value) -> i64 {
    let a = app.post("/api/v1/calendars", &app.admin.token, body).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "creating calendar: {}",
        a.body
    );
    id(&a)
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Answer {
    app.request(Method::DELETE, path, Some(token), None).await
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Answer {
    app.request(Method::PUT, path, Some(token), Some(body))
        .await
}

/// Creates another organization through the operator; returns its admin's token.
async fn other_org_admin(app: &TestApp) -> String {
    let other = app
        .request(
            Method::POST,
            "/api/v1/organizations",
            Some(OPERATOR_TOKEN),
            Some(json!({ "slug": "other", "name": "Other Realty", "admin_email": "admin@other.test", "admin_name": "Other Admin" })),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    other.body["admin_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

leadpool_testkit::app_test! {
    async fn an_admin_creates_a_calendar_and_gets_it_back_normalized(app) {
        let a = app.post("/api/v1/calendars", &app.admin.token, json!({
            "name": "  Paris  ",
            "time_zone": "Europe/Paris",
            "hours": "Monday 13:00-18:00,08:00-12:00; tue-fri 08:00-12:00,13:00-18:00;sat 10:00-11:00; sat 11:00-14:00",
            "holidays": ["2026-12-25", "2026-12-24 13:00-16:00,09:00-12:00"],
        })).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body["name"], "Paris");
        assert_eq!(a.body["time_zone"], "Europe/Paris");
        assert_eq!(a.body["hours"], "mon-fri 08:00-12:00,13:00-18:00; sat 10:00-14:00");
        assert_eq!(a.body["holidays"], json!(["2026-12-24 09:00-12:00,13:00-16:00", "2026-12-25"]));
        assert_eq!(a.body["is_default"], true, "the first calendar is the default");

        let got = app.get(&format!("/api/v1/calendars/{}", id(&a)), &app.admin.token).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.body, a.body);

        let second = calendar(&app, new_york()).await;
        let list = app.get("/api/v1/calendars", &app.admin.token).await;
        let names: Vec<(&str, bool)> = list.body["items"].as_array().into_iter().flatten()
            .map(|c| (c["name"].as_str().unwrap_or_default(), c["is_default"].as_bool().unwrap_or_default()))
            .collect();
        assert_eq!(names, [("Paris", true), ("New York Office", false)]);

        let made_default = app.patch(&format!("/api/v1/calendars/{second}"), &app.admin.token, json!({ "is_default": true, "hours": "mon-fri 08:00-18:00" })).await;
        assert_eq!(made_default.status, StatusCode::OK, "{}", made_default.body);
        assert_eq!((made_default.body["is_default"].clone(), made_default.body["hours"].clone()), (json!(true), json!("mon-fri 08:00-18:00")));
        assert_eq!(made_default.body["holidays"], json!(["2026-12-25"]), "absent fields are kept");
        let old = app.get(&format!("/api/v1/calendars/{}", id(&a)), &app.admin.token).await;
        assert_eq!(old.body["is_default"], false);
        let undefault = app.patch(&format!("/api/v1/calendars/{second}"), &app.admin.token, json!({ "is_default": false })).await;
        assert_eq!((undefault.status, bad_fields(&undefault)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["is_default".to_owned()]));

        let taken = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "Paris", "time_zone": "UTC", "hours": "mon 09:00-10:00" })).await;
        assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);

        let refused = delete(&app, &format!("/api/v1/calendars/{second}"), &app.admin.token).await;
        assert_eq!((refused.status, code(&refused)), (StatusCode::CONFLICT, "calendar_is_default"), "{}", refused.body);
        let gone = delete(&app, &format!("/api/v1/calendars/{}", id(&a)), &app.admin.token).await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
        assert_eq!(app.get(&format!("/api/v1/calendars/{}", id(&a)), &app.admin.token).await.status, StatusCode::NOT_FOUND);
    }
}

leadpool_testkit::app_test! {
    async fn a_bad_zone_overlapping_hours_or_a_malformed_holiday_is_refused_naming_the_field(app) {
        let bad_zone = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "Mars", "time_zone": "Mars/Olympus", "hours": "mon-fri 09:00-17:00" })).await;
        assert_eq!(bad_zone.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_zone.body);
        assert_eq!(bad_fields(&bad_zone), ["time_zone"]);
        assert!(bad_zone.body["error"]["message"].as_str().unwrap_or_default().contains("Mars/Olympus` is not an IANA time zone"), "{}", bad_zone.body);

        let overlap = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "Overlap", "time_zone": "UTC", "hours": "mon 09:00-12:00,11:00-13:00" })).await;
        assert_eq!(overlap.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", overlap.body);
        assert_eq!(bad_fields(&overlap), ["hours"]);
        assert_eq!(overlap.body["error"]["details"]["fields"][0]["message"], "monday: 09:00-12:00 overlaps 11:00-13:00");

        let holiday = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "Holidays", "time_zone": "UTC", "hours": "mon 09:00-17:00", "holidays": ["2026-12-25", "25/12/2026"] })).await;
        assert_eq!(holiday.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", holiday.body);
        assert_eq!(bad_fields(&holiday), ["holidays[1]"]);

        let twice = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "Twice", "time_zone": "UTC", "hours": "mon 09:00-17:00", "holidays": ["2026-12-25", "2026-12-24", "2026-12-25 09:00-10:00"] })).await;
        assert_eq!(bad_fields(&twice), ["holidays[2]"], "{}", twice.body);

        let everything = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "", "time_zone": "Nowhere", "hours": "mon 9:00-17:00", "holidays": ["xmas"] })).await;
        assert_eq!(bad_fields(&everything), ["name", "time_zone", "hours", "holidays[0]"], "every bad field is named at once: {}", everything.body);

        let never = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "Closed", "time_zone": "UTC", "hours": "" })).await;
        assert_eq!(bad_fields(&never), ["hours"], "{}", never.body);
        assert!(never.body["error"]["message"].as_str().unwrap_or_default().contains("opens on no day"), "{}", never.body);

        let unknown = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "X", "time_zone": "UTC", "hours": "mon 09:00-17:00", "zone": "UTC" })).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);

        let id = calendar(&app, new_york()).await;
        let patched = app.patch(&format!("/api/v1/calendars/{id}"), &app.admin.token, json!({ "time_zone": "Atlantis/Capital" })).await;
        assert_eq!(bad_fields(&patched), ["time_zone"], "{}", patched.body);
        assert_eq!(app.get("/api/v1/calendars", &app.admin.token).await.body["items"].as_array().map(Vec::len), Some(1), "nothing bad was stored");
    }
}

leadpool_testkit::app_test! {
    async fn an_agent_lists_calendars_and_previews_deadlines_but_cannot_define_them(app) {
        let id = calendar(&app, new_york()).await;
        let agent = app.user("agent@acme.test", Role::Agent, &[]).await;
        let list = app.get("/api/v1/calendars", &agent.token).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(list.body["items"][0]["name"], "New York Office");
        let preview = app.post(&format!("/api/v1/calendars/{id}/deadline"), &agent.token, json!({ "from": "2026-12-24T16:30:00", "duration_seconds": 7200 })).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);

        let create = app.post("/api/v1/calendars", &agent.token, new_york()).await;
        assert_eq!(create.status, StatusCode::FORBIDDEN, "{}", create.body);
        let patch = app.patch(&format!("/api/v1/calendars/{id}"), &agent.token, json!({ "name": "Mine" })).await;
        assert_eq!(patch.status, StatusCode::FORBIDDEN, "{}", patch.body);
        assert_eq!(delete(&app, &format!("/api/v1/calendars/{id}"), &agent.token).await.status, StatusCode::FORBIDDEN);
    }
}

leadpool_testkit::app_test! {
    async fn the_issue_example_is_due_monday_morning_in_new_york(app) {
        let id = calendar(&app, new_york()).await;
        let a = app.post(&format!("/api/v1/calendars/{id}/deadline"), &app.admin.token, json!({ "from": "2026-12-24T16:30:00", "duration_seconds": 7200 })).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body, json!({
            "from_at": "2026-12-24T21:30:00Z",
            "due_at": "2026-12-28T15:30:00Z",
            "due_local": "2026-12-28T10:30:00-05:00",
            "time_zone": "America/New_York",
            "open_seconds": 7200,
            "elapsed_seconds": 90 * 3600,
        }));
        let instant = app.post(&format!("/api/v1/calendars/{id}/deadline"), &app.admin.token, json!({ "from": "2026-12-24T21:30:00Z", "duration_seconds": 7200 })).await;
        assert_eq!(instant.body["due_at"], "2026-12-28T15:30:00Z", "{}", instant.body);
        let next_opening = app.post(&format!("/api/v1/calendars/{id}/deadline"), &app.admin.token, json!({ "from": "2026-12-26T12:00:00+01:00", "duration_seconds": 0 })).await;
        assert_eq!(next_opening.body["due_local"], "2026-12-28T09:00:00-05:00", "{}", next_opening.body);
    }
}

leadpool_testkit::app_test! {
    async fn a_bad_preview_is_refused_naming_the_field(app) {
        let id = calendar(&app, new_york()).await;
        let path = format!("/api/v1/calendars/{id}/deadline");
        let from = app.post(&path, &app.admin.token, json!({ "from": "next tuesday", "duration_seconds": 60 })).await;
        assert_eq!((from.status, bad_fields(&from)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["from".to_owned()]), "{}", from.body);
        let negative = app.post(&path, &app.admin.token, json!({ "from": "2026-12-24T16:30:00", "duration_seconds": -1 })).await;
        assert_eq!((negative.status, bad_fields(&negative)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["duration_seconds".to_owned()]), "{}", negative.body);
        let huge = app.post(&path, &app.admin.token, json!({ "from": "2026-12-24T16:30:00", "duration_seconds": 400_000_000_i64 })).await;
        assert_eq!(bad_fields(&huge), ["duration_seconds"], "{}", huge.body);
        let text = app.post(&path, &app.admin.token, json!({ "from": "2026-12-24T16:30:00", "duration": "2h" })).await;
        assert_eq!(text.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", text.body);
    }
}

leadpool_testkit::app_test! {
    async fn a_calendar_that_never_opens_again_is_a_clear_422_not_a_hang(app) {
        // Closed every weekday; its one opening was a special day long past.
        let id = calendar(&app, json!({ "name": "Shut", "time_zone": "UTC", "hours": "", "holidays": ["2020-01-06 09:00-17:00"] })).await;
        let a = app.post(&format!("/api/v1/calendars/{id}/deadline"), &app.admin.token, json!({ "from": "2026-12-24T16:30:00", "duration_seconds": 7200 })).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(bad_fields(&a), ["from"]);
        let message = a.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("calendar `Shut` does not open within 400 days"), "{message}");
    }
}

leadpool_testkit::app_test! {
    async fn another_organizations_calendar_is_not_found(app) {
        let id = calendar(&app, new_york()).await;
        let token = other_org_admin(&app).await;
        let path = format!("/api/v1/calendars/{id}");
        assert_eq!(app.get(&path, &token).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.patch(&path, &token, json!({ "name": "Stolen" })).await.status, StatusCode::NOT_FOUND);
        assert_eq!(delete(&app, &path, &token).await.status, StatusCode::NOT_FOUND);
        let preview = app.post(&format!("{path}/deadline"), &token, json!({ "from": "2026-12-24T16:30:00", "duration_seconds": 60 })).await;
        assert_eq!((preview.status, code(&preview)), (StatusCode::NOT_FOUND, "not_found"));
        assert_eq!(app.get("/api/v1/calendars", &token).await.body["items"], json!([]));
        let mine = app.get(&path, &app.admin.token).await;
        assert_eq!(mine.body["name"], "New York Office", "unchanged: {}", mine.body);
    }
}

leadpool_testkit::app_test! {
    async fn a_team_inherits_its_calendar_until_its_admin_gives_it_another(app) {
        let north = app.app.add_team(&app.org, "North", None).await.expect("add team North");
        let east = app.app.add_team(&app.org, "North East", Some("North")).await.expect("add team North East");
        let south = app.app.add_team(&app.org, "South", None).await.expect("add team South");
        let main = calendar(&app, json!({ "name": "Main", "time_zone": "UTC", "hours": "mon-fri 09:00-17:00" })).await;
        let ny = calendar(&app, new_york()).await;

        let inherited = app.get(&format!("/api/v1/teams/{}/calendar", east.id), &app.admin.token).await;
        assert_eq!(inherited.status, StatusCode::OK, "{}", inherited.body);
        assert_eq!((inherited.body["calendar_id"].clone(), inherited.body["effective"]["id"].clone()), (Value::Null, json!(main)));

        let set = put(&app, &format!("/api/v1/teams/{}/calendar", north.id), &app.admin.token, json!({ "calendar_id": ny })).await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
        assert_eq!(set.body["calendar_id"], ny);
        let below = app.get(&format!("/api/v1/teams/{}/calendar", east.id), &app.admin.token).await;
        assert_eq!(below.body["effective"]["name"], "New York Office", "{}", below.body);

        let in_use = delete(&app, &format!("/api/v1/calendars/{ny}"), &app.admin.token).await;
        assert_eq!((in_use.status, code(&in_use)), (StatusCode::CONFLICT, "calendar_in_use"), "{}", in_use.body);
        assert!(in_use.body["error"]["message"].as_str().unwrap_or_default().contains("North"), "{}", in_use.body);

        // A team admin of North chooses for North's subtree only.
        let boss = app.user("boss@acme.test", Role::Admin, &["North"]).await;
        let scoped = app.patch(&format!("/api/v1/users/{}", boss.user.id), &app.admin.token, json!({ "scope_team_id": north.id.get() })).await;
        assert_eq!(scoped.status, StatusCode::OK, "{}", scoped.body);
        let own = put(&app, &format!("/api/v1/teams/{}/calendar", east.id), &boss.token, json!({ "calendar_id": main })).await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.body);
        assert_eq!(own.body["effective"]["name"], "Main");
        let outside = put(&app, &format!("/api/v1/teams/{}/calendar", south.id), &boss.token, json!({ "calendar_id": ny })).await;
        assert_eq!(outside.status, StatusCode::FORBIDDEN, "{}", outside.body);
        let unknown = put(&app, &format!("/api/v1/teams/{}/calendar", east.id), &boss.token, json!({ "calendar_id": 999_999 })).await;
        assert_eq!(bad_fields(&unknown), ["calendar_id"], "{}", unknown.body);

        let back = put(&app, &format!("/api/v1/teams/{}/calendar", east.id), &boss.token, json!({ "calendar_id": null })).await;
        assert_eq!((back.body["calendar_id"].clone(), back.body["effective"]["name"].clone()), (Value::Null, json!("New York Office")));
    }
}

leadpool_testkit::app_test! {
    async fn the_openapi_document_describes_every_calendar_endpoint(app) {
        let doc = app.request(Method::GET, "/api/v1/openapi.json", None, None).await;
        assert_eq!(doc.status, StatusCode::OK);
        for (path, method) in [
            ("/api/v1/calendars", "get"),
            ("/api/v1/calendars", "post"),
            ("/api/v1/calendars/{id}", "get"),
            ("/api/v1/calendars/{id}", "patch"),
            ("/api/v1/calendars/{id}", "delete"),
            ("/api/v1/calendars/{id}/deadline", "post"),
            ("/api/v1/teams/{id}/calendar", "get"),
            ("/api/v1/teams/{id}/calendar", "put"),
        ] {
            let op = &doc.body["paths"][path][method];
            assert!(op.is_object(), "{method} {path} is not documented");
            assert!(op["responses"].as_object().is_some_and(|r| r.keys().any(|k| k.starts_with('4'))), "{method} {path} documents no errors");
        }
        let body = &doc.body["components"]["schemas"]["DeadlineBody"]["properties"];
        assert!(body["duration_seconds"].is_object(), "{body}");
    }
}
