//! Hostile input: control characters in any text, and ids and numbers out of their range,
//! are refused with 422 naming the field, never a 500 and never stored.

use leadpool_testkit::app_test;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The field a 422 names, or the whole answer when it is something else.
fn refused_field(status: StatusCode, body: &Value) -> String {
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        body["error"]["details"]["fields"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    } else {
        format!("{status} {body}")
    }
}

app_test! {
    async fn a_control_character_in_any_text_is_refused_naming_its_field(app) {
        let token = app.admin.token.clone();
        let (source, key) = app.source("Website").await;
        let lead = app.intake(&key, json!({ "name": "Ana Lima" })).await;
        assert_eq!(lead.status, StatusCode::CREATED, "{}", lead.body);
        let id = lead.body["lead"]["id"].as_i64().expect("the lead's id");
        let nul = "bad\u{0}text";
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (Method::POST, "/api/v1/leads".into(), json!({ "source_id": source, "name": "Bo", "external_id": nul }), "external_id"),
            (Method::POST, "/api/v1/leads".into(), json!({ "source_id": source, "name": "Bo", "fields": { "notes": nul } }), "fields.notes"),
            (Method::POST, "/api/v1/leads".into(), json!({ "source_id": source, "name": "Bo", "external_id": "two\nlines" }), "external_id"),
            (Method::PATCH, format!("/api/v1/leads/{id}"), json!({ "tags": ["ok"], "reason": nul }), "reason"),
            (Method::POST, format!("/api/v1/leads/{id}/contacts"), json!({ "kind": "call", "note": nul }), "note"),
            (Method::POST, format!("/api/v1/leads/{id}/reject"), json!({ "note": "\u{1b}[31m" }), "note"),
            (Method::POST, "/api/v1/pools".into(), json!({ "name": nul }), "name"),
            (Method::POST, "/api/v1/pools".into(), json!({ "name": "North\nSouth" }), "name"),
            (Method::POST, "/api/v1/reject-reasons".into(), json!({ "label": nul }), "label"),
            (Method::POST, "/api/v1/teams".into(), json!({ "name": nul }), "name"),
            (Method::POST, "/api/v1/sources".into(), json!({ "name": nul }), "name"),
            (Method::POST, "/api/v1/statuses".into(), json!({ "name": nul, "category": "open" }), "name"),
            (Method::POST, "/api/v1/users".into(), json!({ "email": "x@example.com", "name": nul, "role": "agent" }), "name"),
            (Method::POST, format!("/api/v1/users/{}/tokens", app.admin.user.id), json!({ "name": nul }), "name"),
            (Method::POST, "/api/v1/intake".into(), json!({ "name": "Bo", "fields": { "bad\u{0}key": 1 } }), "fields.bad\u{0}key"),
        ];
        for (method, path, body, field) in cases {
            let a = if path == "/api/v1/intake" {
                app.intake(&key, body.clone()).await
            } else {
                app.request(method.clone(), &path, Some(&token), Some(body.clone())).await
            };
            assert_eq!(refused_field(a.status, &a.body), field, "{method} {path} {body}");
        }
        let search = app.get("/api/v1/leads?q=ana%00", &token).await;
        assert_eq!(refused_field(search.status, &search.body), "q");
        let page = app.http.get(format!("{}/leads?q=ana%00", app.base)).send().await.expect("get the lead page");
        assert_ne!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let note = app.post(&format!("/api/v1/leads/{id}/contacts"), &token, json!({ "kind": "call", "note": "first line\nsecond\tline" })).await;
        assert!(note.status.is_success(), "a note may hold line breaks and tabs: {}", note.body);
        let leads = app.get("/api/v1/leads", &token).await;
        assert_eq!(leads.body["items"].as_array().map(Vec::len), Some(1), "nothing refused was stored");
    }
}

/// Another organization's rows: the ids a hostile admin could name.
struct Foreign {
    team: i64,
    pool: i64,
    calendar: i64,
    status: i64,
    source: i64,
    user: i64,
    group: i64,
    reason: i64,
    rule: i64,
    reassignment: i64,
    lead: i64,
}

/// Creates another organization with a row of every kind a body can name.
async fn foreign_ids(app: &leadpool_testkit::app::TestApp) -> Foreign {
    let other = app.request(Method::POST, "/api/v1/organizations", Some(leadpool_testkit::app::OPERATOR_TOKEN), Some(json!({ "slug": "other", "name": "Other Realty", "admin_email": "admin@other.test", "admin_name": "Other Admin" }))).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    let token = other.body["admin_token"]
        .as_str()
        .expect("the other admin's token")
        .to_owned();
    // Each creates a row through the other admin and returns the id at `at` in the answer.
    let make = |path: &'static str, body: Value, at: &'static str| {
        let token = token.clone();
        async move {
            let a = app.post(path, &token, body).await;
            assert_eq!(a.status, StatusCode::CREATED, "{path}: {}", a.body);
            a.body
                .pointer(at)
                .and_then(Value::as_i64)
                .expect("the new row's id")
        }
    };
    // The first row of one of their lists.
    let first = |path: &'static str| {
        let token = token.clone();
        async move {
            app.get(path, &token).await.body["items"][0]["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("their {path}"))
        }
    };
    let team = make("/api/v1/teams", json!({ "name": "Elsewhere" }), "/id").await;
    let calendar = make(
        "/api/v1/calendars",
        json!({ "name": "Their hours", "time_zone": "UTC", "hours": "Mon-Fri 09:00-17:00" }),
        "/id",
    )
    .await;
    let source = make(
        "/api/v1/sources",
        json!({ "name": "Their site" }),
        "/source/id",
    )
    .await;
    let user = make(
        "/api/v1/users",
        json!({ "email": "them@other.test", "name": "Them", "role": "agent" }),
        "/id",
    )
    .await;
    let group = make(
        "/api/v1/groups",
        json!({ "name": "Theirs", "entries": [{ "kind": "user", "user_id": user }] }),
        "/id",
    )
    .await;
    let plan = json!({ "strategy": { "kind": "round_robin" }, "group_id": group, "window_secs": 300, "fallback": { "kind": "agent", "user_id": user } });
    let rule = make(
        "/api/v1/rules",
        json!({ "name": "Theirs", "plan": plan }),
        "/id",
    )
    .await;
    let reassignment = make(
        "/api/v1/reassignment-groups",
        json!({ "name": "Theirs", "plan": plan }),
        "/id",
    )
    .await;
    let reason = make(
        "/api/v1/reject-reasons",
        json!({ "label": "Theirs" }),
        "/id",
    )
    .await;
    let lead = make(
        "/api/v1/leads",
        json!({ "source_id": source, "name": "Their lead" }),
        "/id",
    )
    .await;
    Foreign {
        team,
        pool: first("/api/v1/pools").await,
        calendar,
        status: first("/api/v1/statuses").await,
        source,
        user,
        group,
        reason,
        rule,
        reassignment,
        lead,
    }
}

/// A request naming an id: method, path, a body naming `id`, the field the refusal must
/// name, and another organization's row to name.
type Case = (Method, String, Box<dyn Fn(i64) -> Value>, &'static str, i64);

/// The cases, sent by the holder of `token` with an id naming nothing and with the other
/// organization's id, that were not refused with 422 naming their field (a lead, which
/// is also a path's resource, may be answered 404 instead).
async fn not_refused(
    app: &leadpool_testkit::app::TestApp,
    token: &str,
    cases: &[Case],
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (method, path, body, field, foreign) in cases {
        for id in [987_654, *foreign] {
            let a = app
                .request(method.clone(), path, Some(token), Some(body(id)))
                .await;
            let named = refused_field(a.status, &a.body);
            let lead_missing = *field == "lead_id" && a.status == StatusCode::NOT_FOUND;
            if named != *field && !lead_missing {
                wrong.push(format!("{method} {path} {}: {named}", body(id)));
            }
        }
    }
    wrong
}

app_test! {
    async fn an_id_naming_nothing_or_another_organizations_row_is_refused_naming_its_field(app) {
        let token = app.admin.token.clone();
        let Foreign { team, pool, calendar, status, source, user, group, .. } = foreign_ids(&app).await;
        let (own_source, key) = app.source("Website").await;
        let lead = app.intake(&key, json!({ "name": "Ana Lima" })).await;
        let lead = lead.body["lead"]["id"].as_i64().expect("the lead's id");
        let agent = app.user("agent@acme.test", leadpool_domain::Role::Agent, &[]).await;
        let agent = agent.user.id.get();
        let own_group = app.post("/api/v1/groups", &token, json!({ "name": "Ours", "entries": [{ "kind": "user", "user_id": agent }] })).await.body["id"].as_i64().expect("our group");
        let own_team = app.post("/api/v1/teams", &token, json!({ "name": "Ours" })).await.body["id"].as_i64().expect("our team");
        let plan = |group: i64, calendar: Option<i64>, fallback: Value| json!({ "strategy": { "kind": "round_robin" }, "group_id": group, "window_secs": 300, "calendar_id": calendar, "fallback": fallback });
        let cases: Vec<Case> = vec![
            (Method::POST, "/api/v1/users".into(), Box::new(|id| json!({ "email": format!("admin{id}@acme.test"), "name": "New", "role": "admin", "scope_team_id": id })), "scope_team_id", team),
            (Method::PATCH, format!("/api/v1/users/{agent}"), Box::new(|id| json!({ "scope_team_id": id })), "scope_team_id", team),
            (Method::POST, "/api/v1/users".into(), Box::new(|id| json!({ "email": format!("new{id}@acme.test"), "name": "New", "role": "agent", "team_ids": [id] })), "team_ids", team),
            (Method::PATCH, format!("/api/v1/users/{agent}"), Box::new(|id| json!({ "team_ids": [id] })), "team_ids", team),
            (Method::POST, "/api/v1/teams".into(), Box::new(|id| json!({ "name": "Sub", "parent_id": id })), "parent_id", team),
            (Method::POST, "/api/v1/sources".into(), Box::new(|id| json!({ "name": "Portal", "team_id": id })), "team_id", team),
            (Method::POST, "/api/v1/pools".into(), Box::new(|id| json!({ "name": "North", "team_id": id })), "team_id", team),
            (Method::POST, "/api/v1/pools".into(), Box::new(|id| json!({ "name": "North", "calendar_id": id })), "calendar_id", calendar),
            (Method::PUT, "/api/v1/pool-settings".into(), Box::new(|id| json!({ "min_new_leads": 0, "reject_pool_id": id, "call_ownership": { "outbound": false, "inbound": false, "transfer": false } })), "reject_pool_id", pool),
            (Method::POST, "/api/v1/leads".into(), Box::new(|id| json!({ "source_id": id, "name": "Bo" })), "source_id", source),
            (Method::POST, "/api/v1/leads".into(), Box::new(move |id| json!({ "source_id": own_source, "name": "Bo", "assignee_id": id })), "assignee_id", user),
            (Method::PATCH, format!("/api/v1/leads/{lead}"), Box::new(|id| json!({ "status_id": id })), "status_id", status),
            (Method::POST, "/api/v1/leads/assign".into(), Box::new(move |id| json!({ "lead_ids": [lead], "agent_id": id })), "agent_id", user),
            (Method::POST, "/api/v1/leads/move-to-pool".into(), Box::new(move |id| json!({ "lead_ids": [lead], "pool_id": id })), "pool_id", pool),
            (Method::POST, "/api/v1/groups".into(), Box::new(|id| json!({ "name": "G", "entries": [{ "kind": "user", "user_id": id }] })), "entries[0].user_id", user),
            (Method::POST, "/api/v1/rules".into(), Box::new(move |id| json!({ "name": "R", "enabled": true, "conditions": {}, "plan": plan(id, None, json!({ "kind": "queue" })) })), "plan.group_id", group),
            (Method::POST, "/api/v1/rules".into(), Box::new(move |id| json!({ "name": "R", "enabled": true, "conditions": {}, "plan": plan(own_group, Some(id), json!({ "kind": "queue" })) })), "plan.calendar_id", calendar),
            (Method::POST, "/api/v1/rules".into(), Box::new(move |id| json!({ "name": "R", "enabled": true, "conditions": {}, "plan": plan(own_group, None, json!({ "kind": "pool", "pool_id": id })) })), "plan.fallback.pool_id", pool),
            (Method::POST, "/api/v1/reassignment-groups".into(), Box::new(move |id| json!({ "name": "RG", "plan": plan(own_group, None, json!({ "kind": "agent", "user_id": agent })), "teams": [id] })), "teams[0]", team),
            (Method::PUT, format!("/api/v1/teams/{own_team}/calendar"), Box::new(|id| json!({ "calendar_id": id })), "calendar_id", calendar),
        ];
        let wrong = not_refused(&app, &token, &cases).await;
        assert!(wrong.is_empty(), "not refused naming the field:\n{}", wrong.join("\n"));
    }
}

app_test! {
    async fn every_other_id_a_body_names_is_checked_in_the_callers_organization(app) {
        let token = app.admin.token.clone();
        let f = foreign_ids(&app).await;
        let (own_source, key) = app.source("Website").await;
        let lead = app.intake(&key, json!({ "name": "Ana Lima" })).await;
        let lead = lead.body["lead"]["id"].as_i64().expect("the lead's id");
        let agent = app.user("agent@acme.test", leadpool_domain::Role::Agent, &[]).await;
        let (agent, agent_token) = (agent.user.id.get(), agent.token);
        let held = app.post("/api/v1/leads/assign", &token, json!({ "lead_ids": [lead], "agent_id": agent })).await;
        assert_eq!(held.status, StatusCode::OK, "{}", held.body);
        let id_at = |a: leadpool_testkit::app::Answer, what: &str| a.body["id"].as_i64().unwrap_or_else(|| panic!("our {what}: {}", a.body));
        let own_team = id_at(app.post("/api/v1/teams", &token, json!({ "name": "Ours" })).await, "team");
        let own_pool = id_at(app.post("/api/v1/pools", &token, json!({ "name": "North" })).await, "pool");
        let own_group = id_at(app.post("/api/v1/groups", &token, json!({ "name": "Ours", "entries": [{ "kind": "user", "user_id": agent }] })).await, "group");
        let plan = move |strategy: Value, fallback: Value| json!({ "strategy": strategy, "group_id": own_group, "window_secs": 300, "fallback": fallback });
        let direct = |strategy: Value| json!({ "strategy": strategy, "fallback": { "kind": "queue" } });
        let round_robin = json!({ "kind": "round_robin" });
        let queue = json!({ "kind": "queue" });
        let own_rule = id_at(app.post("/api/v1/rules", &token, json!({ "name": "Ours", "plan": plan(round_robin.clone(), queue.clone()) })).await, "rule");
        let own_rg = id_at(app.post("/api/v1/reassignment-groups", &token, json!({ "name": "Ours", "plan": plan(round_robin.clone(), json!({ "kind": "agent", "user_id": agent })) })).await, "reassignment group");
        let statuses = app.get("/api/v1/statuses", &token).await.body["items"].clone();
        let status_at = |i: usize| statuses[i]["id"].as_i64().expect("our status");
        let (own_status, other_status) = (status_at(0), status_at(1));
        let task = id_at(app.post(&format!("/api/v1/leads/{lead}/tasks"), &token, json!({ "title": "Call back", "due_at": "2030-01-01T10:00:00Z", "assignee_id": agent })).await, "task");
        let expiry = move |to: i64, calendar: Option<i64>| json!({ "expiry": { "after_seconds": 3600, "to_status_id": to, "calendar_id": calendar } });
        let rule = move |conditions: Value, plan: Value| json!({ "name": "Ours", "conditions": conditions, "plan": plan });
        let (rr, q) = (round_robin.clone(), queue);
        let cases: Vec<Case> = vec![
            (Method::PATCH, format!("/api/v1/teams/{own_team}"), Box::new(|id| json!({ "parent_id": id })), "parent_id", f.team),
            (Method::PATCH, format!("/api/v1/sources/{own_source}"), Box::new(|id| json!({ "team_id": id })), "team_id", f.team),
            (Method::PATCH, format!("/api/v1/pools/{own_pool}"), Box::new(|id| json!({ "team_id": id })), "team_id", f.team),
            (Method::PATCH, format!("/api/v1/pools/{own_pool}"), Box::new(|id| json!({ "calendar_id": id })), "calendar_id", f.calendar),
            (Method::PATCH, format!("/api/v1/statuses/{own_status}"), Box::new(move |id| expiry(id, None)), "expiry.to_status_id", f.status),
            (Method::PATCH, format!("/api/v1/statuses/{own_status}"), Box::new(move |id| expiry(other_status, Some(id))), "expiry.calendar_id", f.calendar),
            (Method::POST, format!("/api/v1/leads/{lead}/tasks"), Box::new(|id| json!({ "title": "Call", "due_at": "2030-01-01T10:00:00Z", "assignee_id": id })), "assignee_id", f.user),
            (Method::POST, format!("/api/v1/tasks/{task}/reassign"), Box::new(|id| json!({ "assignee_id": id })), "assignee_id", f.user),
            (Method::POST, format!("/api/v1/leads/{lead}/reassign"), Box::new(|id| json!({ "reassignment_group_id": id })), "reassignment_group_id", f.reassignment),
            (Method::POST, "/api/v1/routing/dry-run".into(), Box::new(|id| json!({ "source_id": id })), "source_id", f.source),
            (Method::POST, "/api/v1/routing/dry-run".into(), Box::new(|id| json!({ "lead_id": id })), "lead_id", f.lead),
            (Method::POST, "/api/v1/calls".into(), Box::new(move |id| json!({ "lead_id": id, "agent_id": agent })), "lead_id", f.lead),
            (Method::POST, "/api/v1/calls".into(), Box::new(move |id| json!({ "lead_id": lead, "agent_id": id })), "agent_id", f.user),
            (Method::POST, "/api/v1/calls".into(), Box::new(move |id| json!({ "lead_id": lead, "agent_id": agent, "direction": "transfer", "from_agent_id": id })), "from_agent_id", f.user),
            (Method::PUT, format!("/api/v1/groups/{own_group}"), Box::new(|id| json!({ "name": "Ours", "entries": [{ "kind": "user", "user_id": id }] })), "entries[0].user_id", f.user),
            (Method::PUT, format!("/api/v1/rules/{own_rule}"), Box::new(move |id| rule(json!({ "sources": [id] }), plan(rr.clone(), q.clone()))), "conditions.sources[0]", f.source),
            (Method::PUT, format!("/api/v1/rules/{own_rule}"), Box::new(move |id| rule(json!({}), direct(json!({ "kind": "direct_agent", "user_id": id })))), "plan.strategy.user_id", f.user),
            (Method::PUT, format!("/api/v1/rules/{own_rule}"), Box::new(move |id| rule(json!({}), direct(json!({ "kind": "direct_pool", "pool_id": id })))), "plan.strategy.pool_id", f.pool),
            (Method::PUT, format!("/api/v1/rules/{own_rule}"), Box::new(move |id| rule(json!({}), plan(round_robin.clone(), json!({ "kind": "agent", "user_id": id })))), "plan.fallback.user_id", f.user),
            (Method::PUT, "/api/v1/rules/order".into(), Box::new(move |id| json!({ "ids": [own_rule, id] })), "ids[1]", f.rule),
            (Method::PUT, format!("/api/v1/reassignment-groups/{own_rg}"), Box::new(move |id| json!({ "name": "Ours", "plan": plan(json!({ "kind": "round_robin" }), json!({ "kind": "agent", "user_id": agent })), "teams": [id] })), "teams[0]", f.team),
        ];
        let mut wrong = not_refused(&app, &token, &cases).await;
        let agent_cases: Vec<Case> = vec![
            (Method::POST, format!("/api/v1/leads/{lead}/reject"), Box::new(|id| json!({ "reason_id": id })), "reason_id", f.reason),
        ];
        wrong.extend(not_refused(&app, &agent_token, &agent_cases).await);
        for id in [987_654, f.user] {
            let listed = app.get(&format!("/api/v1/tasks?assignee={id}"), &token).await;
            let named = refused_field(listed.status, &listed.body);
            if named != "assignee" {
                wrong.push(format!("GET /api/v1/tasks?assignee={id}: {named}"));
            }
        }
        assert!(wrong.is_empty(), "not refused naming the field:\n{}", wrong.join("\n"));
    }
}

app_test! {
    async fn a_number_outside_its_documented_range_is_refused_naming_its_field(app) {
        let token = app.admin.token.clone();
        let agent = app.user("agent@acme.test", leadpool_domain::Role::Agent, &[]).await.user.id.get();
        let group = app.post("/api/v1/groups", &token, json!({ "name": "Ours", "entries": [{ "kind": "user", "user_id": agent }] })).await.body["id"].as_i64().expect("our group");
        let status = app.get("/api/v1/statuses", &token).await.body["items"][0]["id"].as_i64().expect("a status");
        let calendar = app.post("/api/v1/calendars", &token, json!({ "name": "Office", "time_zone": "UTC", "hours": "Mon-Fri 09:00-17:00" })).await.body["id"].as_i64().expect("a calendar");
        let rule = |window: Value, passes: Value| json!({ "name": "R", "enabled": true, "conditions": {}, "plan": { "strategy": { "kind": "round_robin" }, "group_id": group, "window_secs": window, "passes": passes } });
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (Method::POST, "/api/v1/rules".into(), rule(json!(0), json!(1)), "plan.window_secs"),
            (Method::POST, "/api/v1/rules".into(), rule(json!(u64::MAX), json!(1)), "plan.window_secs"),
            (Method::POST, "/api/v1/rules".into(), rule(json!(300), json!(u32::MAX)), "plan.passes"),
            (Method::PATCH, format!("/api/v1/statuses/{status}"), json!({ "expiry": { "after_seconds": -1, "to_status_id": status, "to_pool": false } }), "expiry.after_seconds"),
            (Method::PATCH, format!("/api/v1/statuses/{status}"), json!({ "expiry": { "after_seconds": i64::MAX, "to_status_id": status, "to_pool": false } }), "expiry.after_seconds"),
            (Method::POST, format!("/api/v1/calendars/{calendar}/deadline"), json!({ "from": "2026-12-01T10:00:00Z", "duration_seconds": -5 }), "duration_seconds"),
            (Method::POST, format!("/api/v1/calendars/{calendar}/deadline"), json!({ "from": "2026-12-01T10:00:00Z", "duration_seconds": i64::MAX }), "duration_seconds"),
            (Method::PATCH, format!("/api/v1/users/{agent}"), json!({ "max_new_leads": u32::MAX }), "max_new_leads"),
            (Method::POST, "/api/v1/pools".into(), json!({ "name": "North", "reserve_seconds": u64::MAX }), "reserve_seconds"),
        ];
        let mut wrong = Vec::new();
        for (method, path, body, field) in cases {
            let a = app.request(method.clone(), &path, Some(&token), Some(body.clone())).await;
            let named = refused_field(a.status, &a.body);
            if named != field {
                wrong.push(format!("{method} {path} {body}: {named}"));
            }
        }
        for query in ["limit=0", "limit=1001", "limit=99999999999"] {
            let a = app.get(&format!("/api/v1/leads?{query}"), &token).await;
            let named = refused_field(a.status, &a.body);
            if named != "limit" {
                wrong.push(format!("GET /api/v1/leads?{query}: {named}"));
            }
        }
        assert!(wrong.is_empty(), "not refused naming the field:\n{}", wrong.join("\n"));
    }
}

app_test! {
    async fn a_control_character_in_a_pages_form_or_query_is_refused_and_nothing_is_stored(app) {
        let (_, key) = app.source("Website").await;
        let lead = app.intake(&key, json!({ "name": "Ana Lima" })).await;
        let id = lead.body["lead"]["id"].as_i64().expect("the lead's id");
        let browser = crate::ui::Browser::new(&app);
        let csrf = browser.sign_in("admin@acme.test").await;
        for path in ["/leads?q=ana%00", "/leads/rows?q=%1B", "/queue?after=%00", "/queue/rows?after=%00"] {
            let page = browser.get(path).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", page.html);
        }
        let posts: [(String, Vec<(&str, &str)>); 5] = [
            (format!("/leads/{id}/note"), vec![("note", "bad\u{0}note")]),
            (format!("/leads/{id}/contact"), vec![("kind", "call"), ("outcome", "connected"), ("note", "a\u{7}")]),
            (format!("/leads/{id}/edit"), vec![("name", "Ana\u{0}Lima")]),
            ("/settings/teams".to_owned(), vec![("name", "East\u{0}")]),
            ("/settings/reject-reasons".to_owned(), vec![("label", "\u{1b}[31mRed")]),
        ];
        for (path, form) in &posts {
            let page = browser.htmx_post(path, &csrf, form).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", page.html);
        }
        let timeline = app.timeline(id).await;
        assert!(!timeline.iter().any(|e| e.to_string().contains("\\u0000") || e.to_string().contains("\\u0007")), "{timeline:?}");
        let teams = app.get("/api/v1/teams", &app.admin.token).await;
        assert_eq!(teams.body["items"].as_array().map(Vec::len), Some(0), "{}", teams.body);
    }
}

app_test! {
    async fn a_body_that_is_not_a_json_object_is_refused_and_changes_nothing(app) {
        let token = app.admin.token.clone();
        let team = app.post("/api/v1/teams", &token, json!({ "name": "North" })).await;
        let id = team.body["id"].as_i64().expect("the team's id");
        // serde fills a struct from an array by position: these made a team and renamed one.
        let made = app.post("/api/v1/teams", &token, json!(["South", null])).await;
        assert_eq!(refused_field(made.status, &made.body), "body");
        let renamed = app.patch(&format!("/api/v1/teams/{id}"), &token, json!(["Renamed", null])).await;
        assert_eq!(refused_field(renamed.status, &renamed.body), "body");
        let scalar = app.post("/api/v1/reject-reasons", &token, json!("Spam")).await;
        assert_eq!(refused_field(scalar.status, &scalar.body), "body");
        let teams = app.get("/api/v1/teams", &token).await;
        let names: Vec<&str> = teams.body["items"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
        assert_eq!(names, ["North"], "{}", teams.body);
    }
}

app_test! {
    async fn a_page_size_outside_the_documented_range_is_refused_on_every_list(app) {
        let token = app.admin.token.clone();
        let hook = app.post("/api/v1/webhooks", &token, json!({ "url": "https://hooks.example.com/in" })).await;
        let hook = hook.body["webhook"]["id"].as_i64().expect("the webhook's id");
        let doc = app.get("/api/v1/openapi.json", &token).await.body;
        for path in ["/api/v1/leads", "/api/v1/queue", "/api/v1/events", "/api/v1/deliveries", "/api/v1/webhooks/{id}/deliveries"] {
            let limit = doc["paths"][path]["get"]["parameters"].as_array().into_iter().flatten().find(|p| p["name"] == "limit").map(|p| p["schema"].clone()).unwrap_or_default();
            let max = limit["maximum"].as_u64().unwrap_or_else(|| panic!("{path} documents no maximum page size: {limit}"));
            assert_eq!(limit["minimum"], 1, "{path}");
            let url = path.replace("{id}", &hook.to_string());
            for (size, ok) in [(0, false), (1, true), (max, true), (max + 1, false), (u64::from(u32::MAX) + 1, false)] {
                let a = app.get(&format!("{url}?limit={size}"), &token).await;
                if ok {
                    assert_eq!(a.status, StatusCode::OK, "{url}?limit={size}: {}", a.body);
                } else {
                    assert_eq!(refused_field(a.status, &a.body), "limit", "{url}?limit={size}");
                }
            }
        }
    }
}
