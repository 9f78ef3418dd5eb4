//! The settings pages as a browser posts them: who may open them, and each form of Pools
//! and caps changing what the API then reads, answering in place with what happened.

use leadpool_domain::Role;
use leadpool_testkit::{TestApp, app_test};
use reqwest::StatusCode;
use serde_json::Value;

use crate::ui::Browser;

async fn pools(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/pools", &app.admin.token).await.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

app_test! {
    async fn only_admins_find_settings_and_agents_are_refused_politely(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        app.user("isa@acme.test", Role::Isa, &[]).await;
        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let list = admin.get("/leads").await;
        assert!(list.html.contains(r#"<a href="/settings">Settings</a>"#), "{}", list.html);
        let hub = admin.get("/settings").await;
        assert_eq!(hub.status, StatusCode::OK);
        assert!(hub.html.contains(r#"<a href="/settings/pools">Pools and caps</a>"#), "{}", hub.html);
        for who in ["ana@acme.test", "isa@acme.test"] {
            let b = Browser::new(&app);
            b.sign_in(who).await;
            assert!(!b.get("/leads").await.html.contains(r#"href="/settings""#), "{who} has no settings to open");
            for path in ["/settings", "/settings/pools"] {
                let page = b.get(path).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{who} {path}");
                assert!(page.html.contains("Not allowed"), "{}", page.html);
            }
            let csrf = b.get("/leads").await.csrf();
            let post = b.htmx_post("/settings/reject-reasons", &csrf, &[("label", "sneaky")]).await;
            assert_eq!(post.status, StatusCode::FORBIDDEN, "{who} cannot add reasons: {}", post.html);
        }
    }
}

app_test! {
    async fn an_admin_adds_and_changes_pools_from_the_page(app) {
        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let page = admin.get("/settings/pools").await;
        assert!(page.html.contains("Lead Pool") && page.html.contains(r#"<span class="badge">default</span>"#), "{}", page.html);
        let csrf = page.csrf();
        let add = [
            ("name", "Hot leads"), ("team", ""), ("blind", "yes"), ("reserve_amount", "2"), ("reserve_unit", "hours"),
            ("calendar", ""), ("cooldown_amount", "10"), ("cooldown_unit", "minutes"),
        ];
        let added = admin.htmx_post("/settings/pools", &csrf, &add).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.html);
        assert!(added.html.trim_start().starts_with(r#"<div id="settings""#), "htmx gets the section alone: {}", added.html);
        assert!(added.html.contains("Pool “Hot leads” added.") && added.html.contains("2 hours") && added.html.contains("10 minutes"), "{}", added.html);
        let hot = pools(&app).await.into_iter().find(|p| p["name"] == "Hot leads").expect("the pool was added");
        assert_eq!((hot["blind"].clone(), hot["reserve_seconds"].clone(), hot["reject_cooldown_seconds"].clone()),
            (Value::Bool(true), Value::from(7200), Value::from(600)));

        let twice = admin.htmx_post("/settings/pools", &csrf, &add).await;
        assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.html);
        assert!(twice.html.contains(r#"class="outcome refused""#) && twice.html.contains(r#"id="settings""#), "said in place: {}", twice.html);
        let unreadable = admin.htmx_post("/settings/pools", &csrf, &[("name", "Other"), ("reserve_amount", "soon"), ("reserve_unit", "hours")]).await;
        assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unreadable.html.contains("Reserve time: give a whole number"), "{}", unreadable.html);

        let id = hot["id"].as_i64().expect("a pool id");
        let changed = admin.htmx_post(&format!("/settings/pools/{id}"), &csrf, &[
            ("name", "Warm leads"), ("team", ""), ("reserve_amount", ""), ("reserve_unit", "minutes"),
            ("calendar", ""), ("cooldown_amount", ""), ("cooldown_unit", "minutes"),
        ]).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.html);
        assert!(changed.html.contains("Pool “Warm leads” saved."), "{}", changed.html);
        let warm = pools(&app).await.into_iter().find(|p| p["id"] == id).expect("the pool is still there");
        assert_eq!((warm["name"].clone(), warm["blind"].clone(), warm["reserve_seconds"].clone(), warm["reject_cooldown_seconds"].clone()),
            (Value::from("Warm leads"), Value::Bool(false), Value::Null, Value::from(0)));
    }
}

app_test! {
    async fn an_admin_sets_caps_call_ownership_and_reasons_from_the_page(app) {
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let page = admin.get("/settings/pools").await;
        assert!(page.html.contains(r#"name="outbound" value="yes" checked"#) && !page.html.contains(r#"name="inbound" value="yes" checked"#),
            "outbound calls take leads by default: {}", page.html);
        let bad = admin.htmx_post("/settings/pool-settings", &csrf, &[("max_new", "5"), ("min_new", "7"), ("reject_pool", "")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("the minimum (7) cannot be above the maximum (5)"), "{}", bad.html);
        let saved = admin.htmx_post("/settings/pool-settings", &csrf, &[
            ("max_new", "10"), ("min_new", "2"), ("reject_pool", ""), ("inbound", "yes"), ("transfer", "yes"),
        ]).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.html);
        assert!(saved.html.contains("Caps and call ownership saved."), "{}", saved.html);
        let stored = app.get("/api/v1/pool-settings", &app.admin.token).await.body;
        assert_eq!(stored["max_new_leads"], 10, "{stored}");
        assert_eq!(stored["min_new_leads"], 2, "{stored}");
        assert_eq!(stored["call_ownership"], serde_json::json!({ "outbound": false, "inbound": true, "transfer": true }), "{stored}");

        let added = admin.htmx_post("/settings/reject-reasons", &csrf, &[("label", "Too far away")]).await;
        assert!(added.html.contains("Reason “Too far away” added."), "{}", added.html);
        let reasons = app.get("/api/v1/reject-reasons", &app.admin.token).await.body;
        let id = reasons["items"].as_array().into_iter().flatten().find(|r| r["label"] == "Too far away")
            .and_then(|r| r["id"].as_i64()).expect("the reason was added");
        assert!(added.html.contains(&format!(r#"hx-post="/settings/reject-reasons/{id}/remove""#)) && added.html.contains("hx-confirm="), "removing asks first: {}", added.html);
        let removed = admin.htmx_post(&format!("/settings/reject-reasons/{id}/remove"), &csrf, &[]).await;
        assert!(removed.html.contains("Reason “Too far away” removed; past rejections keep it."), "{}", removed.html);
        let again = admin.htmx_post(&format!("/settings/reject-reasons/{id}/remove"), &csrf, &[]).await;
        assert!(again.html.contains("That reason was already removed."), "{}", again.html);
    }
}

async fn user_by_email(app: &TestApp, email: &str) -> Value {
    app.get("/api/v1/users", &app.admin.token).await.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["email"] == email)
        .cloned()
        .unwrap_or(Value::Null)
}

app_test! {
    async fn an_admin_builds_teams_and_adds_pauses_and_caps_people_from_the_page(app) {
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let north = admin.htmx_post("/settings/teams", &csrf, &[("name", "North"), ("parent", "")]).await;
        assert_eq!(north.status, StatusCode::OK, "{}", north.html);
        assert!(north.html.contains("Team North added."), "{}", north.html);
        let teams = app.get("/api/v1/teams", &app.admin.token).await.body;
        let north_id = teams["items"].as_array().into_iter().flatten().find(|t| t["name"] == "North")
            .and_then(|t| t["id"].as_i64()).expect("the team was added").to_string();
        let east = admin.htmx_post("/settings/teams", &csrf, &[("name", "North East"), ("parent", north_id.as_str())]).await;
        assert!(east.html.contains(r#"class="depth-1""#) && east.html.contains("— North East"), "the subteam sits under its parent: {}", east.html);
        let cycle = admin.htmx_post(&format!("/settings/teams/{north_id}"), &csrf, &[("name", "North"), ("parent", north_id.as_str())]).await;
        assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", cycle.html);

        let added = admin.htmx_post("/settings/people", &csrf, &[
            ("email", "nora@acme.test"), ("name", "Nora Lima"), ("role", "agent"), ("team", north_id.as_str()),
            ("scope", ""), ("tags", "spanish, condos"), ("password", "a-long-password"),
        ]).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.html);
        assert!(added.html.contains("Nora Lima added as Agent."), "{}", added.html);
        let nora = user_by_email(&app, "nora@acme.test").await;
        assert_eq!(nora["tags"], serde_json::json!(["condos", "spanish"]), "{nora}");
        let dup = admin.htmx_post("/settings/people", &csrf, &[("email", "nora@acme.test"), ("name", "Nora Again"), ("role", "agent")]).await;
        assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.html);

        let id = nora["id"].as_i64().expect("a user id");
        let edit = |max: &'static str, min: &'static str, paused: bool| {
            let mut f = vec![("name", "Nora Lima"), ("role", "agent"), ("team", "NORTH"), ("scope", ""), ("active", "yes"),
                ("pool_access", "yes"), ("max_new", max), ("min_new", min), ("tags", "spanish")];
            if paused { f.push(("paused", "yes")); }
            f
        };
        let mut bad = edit("3", "5", false);
        bad.retain(|(k, _)| *k != "team");
        let refused = admin.htmx_post(&format!("/settings/people/{id}"), &csrf, &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
        assert!(refused.html.contains("the minimum (5) cannot be above the maximum (3)"), "{}", refused.html);
        let unread = admin.htmx_post(&format!("/settings/people/{id}"), &csrf, &edit("3", "1", true)).await;
        assert_eq!(unread.status, StatusCode::UNPROCESSABLE_ENTITY, "a team that is no number: {}", unread.html);
        let mut good = edit("3", "1", true);
        good.retain(|(k, _)| *k != "team");
        let saved = admin.htmx_post(&format!("/settings/people/{id}"), &csrf, &good).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.html);
        assert!(saved.html.contains("Nora Lima saved.") && saved.html.contains(r#"<span class="tag">paused</span>"#), "{}", saved.html);
        let nora = user_by_email(&app, "nora@acme.test").await;
        assert_eq!((nora["paused"].clone(), nora["max_new_leads"].clone(), nora["min_new_leads"].clone(), nora["team_ids"].clone()),
            (Value::Bool(true), Value::from(3), Value::from(1), serde_json::json!([])), "{nora}");

        let nora_browser = Browser::new(&app);
        let signed = nora_browser.post("/login", &[("email", "nora@acme.test"), ("password", "a-long-password")]).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "the new user signs in with the password set: {}", signed.html);
    }
}
