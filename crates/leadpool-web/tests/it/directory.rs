//! An organization's directory over the API: teams, users, sources and statuses, each
//! managed by admins within their scope.

use axum::http::StatusCode;
use leadpool_domain::Role;
use leadpool_testkit::{Answer, TestApp};
use serde_json::{Value, json};

fn code(a: &Answer) -> &str {
    a.body["error"]["code"].as_str().unwrap_or_default()
}

fn bad_field(a: &Answer) -> &str {
    a.body["error"]["details"]["fields"][0]["field"]
        .as_str()
        .unwrap_or_default()
}

fn id(a: &Answer) -> i64 {
    a.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {}", a.body))
}

/// Creates a team as the organization admin; returns its id.
async fn team(app: &TestApp, name: &str, parent: Option<i64>) -> i64 {
    let a = app
        .post(
            "/api/v1/teams",
            &app.admin.token,
            json!({ "name": name, "parent_id": parent }),
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "creating team {name}: {}",
        a.body
    );
    id(&a)
}

/// Creates a user as `token`'s holder and gives them an API token; returns (id, token).
async fn member(app: &TestApp, token: &str, body: Value) -> (i64, String) {
    let a = app.post("/api/v1/users", token, body).await;
    assert_eq!(a.status, StatusCode::CREATED, "creating user: {}", a.body);
    let t = app
        .post(
            &format!("/api/v1/users/{}/tokens", id(&a)),
            &app.admin.token,
            json!({ "name": "tests" }),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "issuing token: {}", t.body);
    (
        id(&a),
        t.body["token"].as_str().unwrap_or_default().to_owned(),
    )
}

fn names(a: &Answer, key: &str) -> Vec<String> {
    a.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i[key].as_str().map(str::to_owned))
        .collect()
}

// Teams.

leadpool_testkit::app_test! {
    async fn admin_creates_nested_teams_and_renames_one(app) {
        let east = team(&app, "East", None).await;
        let boston = team(&app, "Boston", Some(east)).await;

        let one = app.get(&format!("/api/v1/teams/{boston}"), &app.admin.token).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        assert_eq!(one.body["name"], "Boston");
        assert_eq!(one.body["parent_id"], east);

        let renamed = app.patch(&format!("/api/v1/teams/{boston}"), &app.admin.token, json!({ "name": "Boston Office" })).await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
        assert_eq!(renamed.body["name"], "Boston Office");
        assert_eq!(renamed.body["parent_id"], east, "an absent parent_id keeps the parent");

        let list = app.get("/api/v1/teams", &app.admin.token).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(names(&list, "name"), ["East", "Boston Office"]);

        let top = app.patch(&format!("/api/v1/teams/{boston}"), &app.admin.token, json!({ "parent_id": null })).await;
        assert_eq!(top.status, StatusCode::OK, "{}", top.body);
        assert_eq!(top.body["parent_id"], Value::Null, "a null parent_id moves it to the top");

        let missing = app.get("/api/v1/teams/999999", &app.admin.token).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    }
}

leadpool_testkit::app_test! {
    async fn moving_a_team_under_its_own_child_is_refused(app) {
        let east = team(&app, "East", None).await;
        let boston = team(&app, "Boston", Some(east)).await;
        let a = app.patch(&format!("/api/v1/teams/{east}"), &app.admin.token, json!({ "parent_id": boston })).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(bad_field(&a), "parent_id");
        let itself = app.patch(&format!("/api/v1/teams/{east}"), &app.admin.token, json!({ "parent_id": east })).await;
        assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", itself.body);
        let unchanged = app.get(&format!("/api/v1/teams/{east}"), &app.admin.token).await;
        assert_eq!(unchanged.body["parent_id"], Value::Null);
    }
}

leadpool_testkit::app_test! {
    async fn a_duplicate_team_name_is_a_conflict(app) {
        team(&app, "East", None).await;
        let a = app.post("/api/v1/teams", &app.admin.token, json!({ "name": "East" })).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
        assert_eq!(code(&a), "already_exists");
    }
}

// Users.

leadpool_testkit::app_test! {
    async fn admin_creates_a_user_with_teams_tags_and_role(app) {
        let east = team(&app, "East", None).await;
        let a = app
            .post("/api/v1/users", &app.admin.token, json!({
                "email": "Ana@Acme.test", "name": "Ana Lima", "role": "all_leads_agent",
                "password": "ana-password-123", "team_ids": [east], "tags": ["spanish", "condos"],
            }))
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body["email"], "ana@acme.test");
        assert_eq!(a.body["role"], "all_leads_agent");
        assert_eq!(a.body["active"], true);
        assert_eq!(a.body["team_ids"], json!([east]));
        assert_eq!(a.body["tags"], json!(["condos", "spanish"]));
        let ana = id(&a);

        let one = app.get(&format!("/api/v1/users/{ana}"), &app.admin.token).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        assert_eq!(one.body, a.body);

        let agents = app.get("/api/v1/users?role=all_leads_agent", &app.admin.token).await;
        assert_eq!(agents.status, StatusCode::OK, "{}", agents.body);
        assert_eq!(names(&agents, "email"), ["ana@acme.test"]);
    }
}

leadpool_testkit::app_test! {
    async fn patching_a_user_changes_only_what_is_sent(app) {
        let east = team(&app, "East", None).await;
        let west = team(&app, "West", None).await;
        let (ana, _) = member(&app, &app.admin.token, json!({ "email": "ana@acme.test", "name": "Ana", "role": "agent", "team_ids": [east], "tags": ["a"] })).await;
        let path = format!("/api/v1/users/{ana}");

        let a = app.patch(&path, &app.admin.token, json!({ "role": "admin", "scope_team_id": west, "team_ids": [west] })).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["role"], "admin");
        assert_eq!(a.body["scope_team_id"], west);
        assert_eq!(a.body["team_ids"], json!([west]));
        assert_eq!(a.body["tags"], json!(["a"]), "absent tags are kept");

        let a = app.patch(&path, &app.admin.token, json!({ "name": "Ana Lima" })).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["scope_team_id"], west, "an absent scope is kept");

        let a = app.patch(&path, &app.admin.token, json!({ "scope_team_id": null, "active": false })).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["scope_team_id"], Value::Null, "a null scope is the whole organization");
        assert_eq!(a.body["active"], false);
        let inactive = app.get("/api/v1/users?active=false", &app.admin.token).await;
        assert_eq!(names(&inactive, "email"), ["ana@acme.test"]);

        let me = app.admin.user.id.get();
        let a = app.patch(&format!("/api/v1/users/{me}"), &app.admin.token, json!({ "active": false })).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(bad_field(&a), "active");
    }
}

leadpool_testkit::app_test! {
    async fn an_unknown_role_is_refused_naming_the_role_field(app) {
        let a = app.post("/api/v1/users", &app.admin.token, json!({ "email": "b@acme.test", "name": "B", "role": "boss" })).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(code(&a), "invalid_input");
        assert_eq!(bad_field(&a), "role");
        let q = app.get("/api/v1/users?role=boss", &app.admin.token).await;
        assert_eq!(q.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", q.body);
        assert_eq!(bad_field(&q), "role");
        let me = app.admin.user.id.get();
        let p = app.patch(&format!("/api/v1/users/{me}"), &app.admin.token, json!({ "role": "boss" })).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert_eq!(bad_field(&p), "role");
    }
}

leadpool_testkit::app_test! {
    async fn an_unknown_user_field_is_refused_naming_it(app) {
        let a = app
            .post("/api/v1/users", &app.admin.token, json!({ "email": "b@acme.test", "name": "B", "role": "agent", "nickname": "Bee" }))
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(bad_field(&a), "nickname");
        let q = app.get("/api/v1/users?colour=red", &app.admin.token).await;
        assert_eq!(q.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", q.body);
        assert_eq!(bad_field(&q), "colour");
    }
}

leadpool_testkit::app_test! {
    async fn a_duplicate_email_is_a_conflict(app) {
        let a = app.post("/api/v1/users", &app.admin.token, json!({ "email": "ADMIN@acme.test", "name": "Again", "role": "agent" })).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
        assert_eq!(code(&a), "already_exists");
    }
}

leadpool_testkit::app_test! {
    async fn a_team_scoped_admin_adds_users_only_inside_their_subtree(app) {
        let east = team(&app, "East", None).await;
        let boston = team(&app, "Boston", Some(east)).await;
        let west = team(&app, "West", None).await;
        let (_, scoped) = member(&app, &app.admin.token, json!({
            "email": "east-admin@acme.test", "name": "East Admin", "role": "admin", "scope_team_id": east, "team_ids": [east],
        }))
        .await;

        // A team admin places new users in their subtree: the teams and the scope both.
        let outside = app
            .post("/api/v1/users", &scoped, json!({ "email": "w@acme.test", "name": "W", "role": "agent", "scope_team_id": east, "team_ids": [west] }))
            .await;
        assert_eq!(outside.status, StatusCode::FORBIDDEN, "{}", outside.body);
        assert_eq!(code(&outside), "forbidden");
        assert!(outside.body["error"]["message"].as_str().is_some_and(|m| m.contains("outside your scope")), "{}", outside.body);
        let wider = app.post("/api/v1/users", &scoped, json!({ "email": "o@acme.test", "name": "O", "role": "admin", "scope_team_id": null, "team_ids": [boston] })).await;
        assert_eq!(wider.status, StatusCode::CREATED, "{}", wider.body);
        assert_eq!(wider.body["scope_team_id"], east, "with no scope given, a team admin's user gets the admin's own scope, never the whole organization");
        let nowhere = app.post("/api/v1/users", &scoped, json!({ "email": "n@acme.test", "name": "N", "role": "agent", "scope_team_id": east })).await;
        assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nowhere.body);
        assert_eq!(bad_field(&nowhere), "team_ids");

        let inside = app
            .post("/api/v1/users", &scoped, json!({ "email": "b@acme.test", "name": "B", "role": "agent", "scope_team_id": boston, "team_ids": [boston] }))
            .await;
        assert_eq!(inside.status, StatusCode::CREATED, "{}", inside.body);
        assert_eq!(inside.body["team_ids"], json!([boston]));
        assert_eq!(inside.body["scope_team_id"], boston);

        let seen = app.get("/api/v1/users", &scoped).await;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
        assert_eq!(names(&seen, "email"), ["east-admin@acme.test", "o@acme.test", "b@acme.test"], "a scoped admin lists only their subtree's users");
    }
}

leadpool_testkit::app_test! {
    async fn an_agent_cannot_add_users(app) {
        let agent = app.user("agent@acme.test", Role::Agent, &[]).await;
        let a = app.post("/api/v1/users", &agent.token, json!({ "email": "x@acme.test", "name": "X", "role": "agent" })).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        assert_eq!(code(&a), "forbidden");
    }
}

// Sources.

leadpool_testkit::app_test! {
    async fn a_new_source_key_takes_intake(app) {
        let (source, key) = app.source("Website").await;
        let a = app.intake(&key, json!({ "name": "Ana Lima", "email": "ana@example.com" })).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body["lead"]["source_id"], source);

        let list = app.get("/api/v1/sources", &app.admin.token).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(names(&list, "name"), ["Website"]);
        let hint = list.body["items"][0]["key_hint"].as_str().unwrap_or_default().trim_start_matches('…');
        assert!(hint.len() == 4 && key.ends_with(hint), "hint {hint} of {key}");
        assert!(!list.body.to_string().contains(&key), "the key is shown only once");
    }
}

leadpool_testkit::app_test! {
    async fn rotating_a_key_retires_the_old_one(app) {
        let (source, old) = app.source("Website").await;
        let a = app.post(&format!("/api/v1/sources/{source}/rotate-key"), &app.admin.token, json!({})).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["source"]["id"], source);
        let new = a.body["intake_key"].as_str().unwrap_or_default().to_owned();
        assert!(!new.is_empty() && new != old, "{}", a.body);

        let refused = app.intake(&old, json!({ "email": "ana@example.com" })).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
        assert_eq!(refused.body["error"]["code"], "unauthenticated");
        let taken = app.intake(&new, json!({ "email": "ana@example.com" })).await;
        assert_eq!(taken.status, StatusCode::CREATED, "{}", taken.body);
    }
}

leadpool_testkit::app_test! {
    async fn a_deactivated_source_refuses_intake(app) {
        let (source, key) = app.source("Website").await;
        let path = format!("/api/v1/sources/{source}");
        let off = app.patch(&path, &app.admin.token, json!({ "active": false })).await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.body);
        assert_eq!(off.body["active"], false);
        assert_eq!(off.body["name"], "Website", "an absent name is kept");
        let refused = app.intake(&key, json!({ "email": "ana@example.com" })).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

        let on = app.patch(&path, &app.admin.token, json!({ "active": true })).await;
        assert_eq!(on.body["active"], true, "{}", on.body);
        let taken = app.intake(&key, json!({ "email": "ana@example.com" })).await;
        assert_eq!(taken.status, StatusCode::CREATED, "{}", taken.body);
    }
}

leadpool_testkit::app_test! {
    async fn a_source_moves_to_a_team_and_back(app) {
        let east = team(&app, "East", None).await;
        let (source, _) = app.source("Website").await;
        let path = format!("/api/v1/sources/{source}");
        let a = app.patch(&path, &app.admin.token, json!({ "team_id": east, "name": "Web form" })).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["team_id"], east);
        assert_eq!(a.body["name"], "Web form");
        let a = app.patch(&path, &app.admin.token, json!({ "team_id": null })).await;
        assert_eq!(a.body["team_id"], Value::Null, "{}", a.body);
        let one = app.get(&path, &app.admin.token).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        assert_eq!(one.body["team_id"], Value::Null);

        let dup = app.post("/api/v1/sources", &app.admin.token, json!({ "name": "Web form" })).await;
        assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    }
}

leadpool_testkit::app_test! {
    async fn agents_cannot_see_sources_and_isas_cannot_change_them(app) {
        let (source, _) = app.source("Website").await;
        let agent = app.user("agent@acme.test", Role::Agent, &[]).await;
        let a = app.get("/api/v1/sources", &agent.token).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        let a = app.get(&format!("/api/v1/sources/{source}"), &agent.token).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);

        let isa = app.user("isa@acme.test", Role::Isa, &[]).await;
        let a = app.get("/api/v1/sources", &isa.token).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let a = app.post("/api/v1/sources", &isa.token, json!({ "name": "Zillow" })).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        let a = app.post(&format!("/api/v1/sources/{source}/rotate-key"), &isa.token, json!({})).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
}

// Statuses.

leadpool_testkit::app_test! {
    async fn admin_creates_renames_and_makes_a_status_the_default(app) {
        let a = app.post("/api/v1/statuses", &app.admin.token, json!({ "name": "Qualified", "category": "working" })).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body["category"], "working");
        assert_eq!(a.body["is_default"], false);
        assert_eq!(a.body["position"], 6, "it goes after the five default statuses");
        let path = format!("/api/v1/statuses/{}", id(&a));

        let a = app.patch(&path, &app.admin.token, json!({ "name": "Hot", "category": "new" })).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!((a.body["name"].as_str(), a.body["category"].as_str()), (Some("Hot"), Some("new")));

        let a = app.patch(&path, &app.admin.token, json!({ "is_default": true })).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["is_default"], true);
        let list = app.get("/api/v1/statuses", &app.admin.token).await;
        let defaults: Vec<&str> = list.body["items"].as_array().into_iter().flatten().filter(|s| s["is_default"] == true).filter_map(|s| s["name"].as_str()).collect();
        assert_eq!(defaults, ["Hot"], "the previous default lost it");

        let a = app.patch(&path, &app.admin.token, json!({ "is_default": false })).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(bad_field(&a), "is_default");

        let dup = app.post("/api/v1/statuses", &app.admin.token, json!({ "name": "Hot", "category": "new" })).await;
        assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    }
}

leadpool_testkit::app_test! {
    async fn an_unknown_category_is_refused_naming_the_field(app) {
        let a = app.post("/api/v1/statuses", &app.admin.token, json!({ "name": "Won", "category": "won" })).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(bad_field(&a), "category");
        let first = app.get("/api/v1/statuses", &app.admin.token).await.body["items"][0]["id"].as_i64().unwrap_or_default();
        let p = app.patch(&format!("/api/v1/statuses/{first}"), &app.admin.token, json!({ "category": "won" })).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert_eq!(bad_field(&p), "category");
    }
}

leadpool_testkit::app_test! {
    async fn agents_read_statuses_but_cannot_define_them(app) {
        let agent = app.user("agent@acme.test", Role::Agent, &[]).await;
        let list = app.get("/api/v1/statuses", &agent.token).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(names(&list, "name").len(), 5);
        let a = app.post("/api/v1/statuses", &agent.token, json!({ "name": "Mine", "category": "new" })).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
}

// The document.

leadpool_testkit::app_test! {
    async fn the_openapi_document_describes_every_directory_endpoint(app) {
        let doc = app.request(axum::http::Method::GET, "/api/v1/openapi.json", None, None).await;
        assert_eq!(doc.status, StatusCode::OK);
        let expected = [
            ("/api/v1/organizations", "get"),
            ("/api/v1/organizations", "post"),
            ("/api/v1/teams", "post"),
            ("/api/v1/teams/{id}", "patch"),
            ("/api/v1/users", "get"),
            ("/api/v1/users/{id}", "patch"),
            ("/api/v1/sources/{id}", "patch"),
            ("/api/v1/sources/{id}/rotate-key", "post"),
            ("/api/v1/statuses", "post"),
            ("/api/v1/statuses/{id}", "patch"),
        ];
        for (path, method) in expected {
            let op = &doc.body["paths"][path][method];
            assert!(op.is_object(), "{method} {path} is not documented");
            assert!(op["responses"].as_object().is_some_and(|r| r.keys().any(|k| k.starts_with('4'))), "{method} {path} documents no errors");
        }
        let patch_team = &doc.body["components"]["schemas"]["UpdateTeamBody"]["properties"]["parent_id"];
        assert!(patch_team.is_object(), "{}", doc.body["components"]["schemas"]["UpdateTeamBody"]);
    }
}

leadpool_testkit::app_test! {
    async fn a_team_scoped_admin_edits_an_agent_of_their_team_whose_scope_is_empty(app) {
        let east = team(&app, "East", None).await;
        let west = team(&app, "West", None).await;
        let (_, scoped) = member(&app, &app.admin.token, json!({
            "email": "east-admin@acme.test", "name": "East Admin", "role": "admin", "scope_team_id": east, "team_ids": [east],
        }))
        .await;
        let (agent, _) = member(&app, &app.admin.token, json!({ "email": "ana@acme.test", "name": "Ana", "role": "agent", "team_ids": [east] })).await;
        let edited = app.patch(&format!("/api/v1/users/{agent}"), &scoped, json!({ "name": "Ana Lima", "max_new_leads": 5 })).await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
        assert_eq!(edited.body["scope_team_id"], Value::Null);
        let (all_leads, _) = member(&app, &app.admin.token, json!({ "email": "bo@acme.test", "name": "Bo", "role": "all_leads_agent", "team_ids": [east] })).await;
        let wider = app.patch(&format!("/api/v1/users/{all_leads}"), &scoped, json!({ "name": "Bo B" })).await;
        assert_eq!(wider.status, StatusCode::FORBIDDEN, "an empty scope lets an all-leads agent see the whole organization: {}", wider.body);
        let (other, _) = member(&app, &app.admin.token, json!({ "email": "cy@acme.test", "name": "Cy", "role": "agent", "team_ids": [west] })).await;
        let outside = app.patch(&format!("/api/v1/users/{other}"), &scoped, json!({ "name": "Cy D" })).await;
        assert_eq!(outside.status, StatusCode::FORBIDDEN, "{}", outside.body);
    }
}

leadpool_testkit::app_test! {
    async fn api_tokens_are_listed_without_their_secrets_and_revoked_one_by_one(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let path = format!("/api/v1/users/{}/tokens", ana.user.id.get());
        let crm = app.post(&path, &ana.token, json!({ "name": "CRM sync" })).await;
        assert_eq!(crm.status, StatusCode::CREATED, "{}", crm.body);
        let crm_token = crm.body["token"].as_str().expect("the new secret").to_owned();
        let listed = app.get(&path, &ana.token).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        assert_eq!(names(&listed, "name"), ["created with the user", "CRM sync"], "{}", listed.body);
        assert!(!listed.body.to_string().contains(&crm_token), "a secret is never shown again");
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let theirs = app.get(&path, &bob.token).await;
        assert_eq!(theirs.status, StatusCode::FORBIDDEN, "{}", theirs.body);
        let revoked = app.request(reqwest::Method::DELETE, &format!("{path}/{}", id(&crm)), Some(&app.admin.token), None).await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
        assert_eq!(app.get("/api/v1/me", &crm_token).await.status, StatusCode::UNAUTHORIZED, "a revoked token stops working");
        assert_eq!(app.get("/api/v1/me", &ana.token).await.status, StatusCode::OK, "the others keep working");
        let again = app.request(reqwest::Method::DELETE, &format!("{path}/{}", id(&crm)), Some(&app.admin.token), None).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        let not_hers = app.request(reqwest::Method::DELETE, &format!("/api/v1/users/{}/tokens/{}", bob.user.id.get(), id(&crm)), Some(&app.admin.token), None).await;
        assert_eq!(not_hers.status, StatusCode::NOT_FOUND, "a token is revoked through its own user only");
    }
}

leadpool_testkit::app_test! {
    async fn a_team_admin_acts_for_a_user_of_their_team_only_when_they_could_edit_them(app) {
        let east = team(&app, "East", None).await;
        let west = team(&app, "West", None).await;
        let (_, scoped) = member(&app, &app.admin.token, json!({
            "email": "east-admin@acme.test", "name": "East Admin", "role": "admin", "scope_team_id": east, "team_ids": [east],
        }))
        .await;
        // An admin of the whole organization who sits in East: a token in their name would
        // carry their rights, so an East admin may neither issue, list nor revoke theirs,
        // nor pause or edit them.
        let (boss, _) = member(&app, &app.admin.token, json!({ "email": "boss@acme.test", "name": "Boss", "role": "admin", "team_ids": [east] })).await;
        let (both, _) = member(&app, &app.admin.token, json!({ "email": "cy@acme.test", "name": "Cy", "role": "agent", "team_ids": [west, east] })).await;
        let (ana, _) = member(&app, &app.admin.token, json!({ "email": "ana@acme.test", "name": "Ana", "role": "agent", "team_ids": [east] })).await;
        for user in [boss, both] {
            let tokens = format!("/api/v1/users/{user}/tokens");
            let issued = app.post(&tokens, &scoped, json!({ "name": "mine now" })).await;
            assert_eq!(issued.status, StatusCode::FORBIDDEN, "issuing a token for {user}: {}", issued.body);
            let listed = app.get(&tokens, &scoped).await;
            assert_eq!(listed.status, StatusCode::FORBIDDEN, "listing {user}'s tokens: {}", listed.body);
            let paused = app.request(reqwest::Method::PUT, &format!("/api/v1/users/{user}/pause"), Some(&scoped), Some(json!({ "paused": true }))).await;
            assert_eq!(paused.status, StatusCode::FORBIDDEN, "pausing {user}: {}", paused.body);
            let edited = app.patch(&format!("/api/v1/users/{user}"), &scoped, json!({ "name": "Renamed" })).await;
            assert_eq!(edited.status, StatusCode::FORBIDDEN, "editing {user}: {}", edited.body);
        }
        let issued = app.post(&format!("/api/v1/users/{ana}/tokens"), &scoped, json!({ "name": "crm" })).await;
        assert_eq!(issued.status, StatusCode::CREATED, "an agent of East: {}", issued.body);
        let paused = app.request(reqwest::Method::PUT, &format!("/api/v1/users/{ana}/pause"), Some(&scoped), Some(json!({ "paused": true }))).await;
        assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    }
}
