//! Leads over HTTP: intake, visibility, editing with its timeline, lists and sessions.

use leadpool_domain::Role;
use leadpool_testkit::{TestApp, app_test};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn lead_for(app: &TestApp, source: i64, assignee: Option<i64>, name: &str) -> Value {
    let a = app.post("/api/v1/leads", &app.admin.token, json!({ "source_id": source, "assignee_id": assignee, "name": name, "emails": [format!("{}@example.com", name.to_lowercase().replace(' ', "."))] })).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body
}

app_test! {
    async fn intake_is_idempotent_on_the_external_id(app) {
        let (_, key) = app.source("Website").await;
        let lead = json!({ "name": "Ana Lima", "email": "Ana@Example.com", "phone": "+1 (555) 010-2030", "external_id": "web-1", "fields": { "budget": 500000 } });
        let first = app.intake(&key, lead.clone()).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        assert_eq!(first.body["created"], true);
        assert_eq!(first.body["lead"]["emails"], json!(["ana@example.com"]));
        assert_eq!(first.body["lead"]["phones"], json!(["+15550102030"]));
        assert_eq!(first.body["lead"]["owner"]["kind"], "queue");
        let again = app.intake(&key, lead).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.body["created"], false);
        assert_eq!(again.body["lead"]["id"], first.body["lead"]["id"]);
        let timeline = app.get(&format!("/api/v1/leads/{}/timeline", first.body["lead"]["id"]), &app.admin.token).await;
        let kinds: Vec<&str> = timeline.body["items"].as_array().map(|i| i.iter().filter_map(|e| e["kind"].as_str()).collect()).unwrap_or_default();
        assert_eq!(kinds, ["created", "routed"], "a retried intake must not add history");
        assert_eq!(timeline.body["items"][0]["actor"]["kind"], "source");
    }
}

app_test! {
    async fn intake_refuses_a_missing_or_wrong_key(app) {
        let none = app.request(reqwest::Method::POST, "/api/v1/intake", None, Some(json!({ "name": "X" }))).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED);
        assert_eq!(none.body["error"]["code"], "unauthenticated");
        let wrong = app.intake("src_not-a-key", json!({ "name": "X" })).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
}

app_test! {
    async fn a_bad_lead_is_refused_naming_every_bad_field(app) {
        let (_, key) = app.source("Website").await;
        let a = app.intake(&key, json!({ "emails": ["ok@example.com", "nope"], "phones": ["12"], "tags": ["fine", "no/slash"] })).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = a.body["error"]["details"]["fields"].as_array().map(|f| f.iter().filter_map(|x| x["field"].as_str()).collect()).unwrap_or_default();
        assert_eq!(fields, ["emails[1]", "phones[0]", "tags"]);
        let nothing = app.intake(&key, json!({})).await;
        assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(nothing.body["error"]["details"]["fields"][0]["field"], "name");
        let list = app.get("/api/v1/leads", &app.admin.token).await;
        assert_eq!(list.body["items"], json!([]), "a refused lead must leave nothing behind");
    }
}

app_test! {
    async fn an_agent_sees_only_their_own_leads(app) {
        let (source, _) = app.source("Website").await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let mine = lead_for(&app, source, Some(ana.user.id.get()), "Mine One").await;
        let theirs = lead_for(&app, source, Some(bob.user.id.get()), "Theirs One").await;
        lead_for(&app, source, None, "Queued One").await;
        let list = app.get("/api/v1/leads", &ana.token).await;
        let ids: Vec<i64> = list.body["items"].as_array().map(|i| i.iter().map(id).collect()).unwrap_or_default();
        assert_eq!(ids, [id(&mine)]);
        assert_eq!(app.get(&format!("/api/v1/leads/{}", id(&theirs)), &ana.token).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/api/v1/leads/{}/timeline", id(&theirs)), &ana.token).await.status, StatusCode::NOT_FOUND);
        let all = app.get("/api/v1/leads", &app.admin.token).await;
        assert_eq!(all.body["items"].as_array().map(Vec::len), Some(3));
    }
}

app_test! {
    async fn nobody_sees_another_organizations_leads(app) {
        let (source, _) = app.source("Website").await;
        let lead = lead_for(&app, source, None, "Private Lead").await;
        let other = app.request(reqwest::Method::POST, "/api/v1/organizations", Some(leadpool_testkit::app::OPERATOR_TOKEN),
            Some(json!({ "slug": "other", "name": "Other Realty", "admin_email": "admin@other.test", "admin_name": "Other Admin" }))).await;
        assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
        let token = other.body["admin_token"].as_str().unwrap_or_default();
        assert_eq!(app.get(&format!("/api/v1/leads/{}", id(&lead)), token).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.patch(&format!("/api/v1/leads/{}", id(&lead)), token, json!({ "name": "Stolen" })).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get("/api/v1/leads", token).await.body["items"], json!([]));
    }
}

app_test! {
    async fn an_all_leads_agent_reads_everything_but_edits_only_their_own(app) {
        let (source, _) = app.source("Website").await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let eve = app.user("eve@acme.test", Role::AllLeadsAgent, &[]).await;
        let anas = lead_for(&app, source, Some(ana.user.id.get()), "Anas Lead").await;
        let eves = lead_for(&app, source, Some(eve.user.id.get()), "Eves Lead").await;
        assert_eq!(app.get(&format!("/api/v1/leads/{}", id(&anas)), &eve.token).await.status, StatusCode::OK);
        let denied = app.patch(&format!("/api/v1/leads/{}", id(&anas)), &eve.token, json!({ "tags": ["hot"] })).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let ok = app.patch(&format!("/api/v1/leads/{}", id(&eves)), &eve.token, json!({ "tags": ["hot"] })).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert_eq!(ok.body["tags"], json!(["hot"]));
    }
}

app_test! {
    async fn a_team_admin_sees_only_leads_of_their_subtree(app) {
        let north = app.app.add_team(&app.org, "North", None).await.expect("add team North");
        app.app.add_team(&app.org, "North East", Some("North")).await.expect("add team North East");
        app.app.add_team(&app.org, "South", None).await.expect("add team South");
        let (source, _) = app.source("Website").await;
        let ne = app.user("ne@acme.test", Role::Agent, &["North East"]).await;
        let south = app.user("south@acme.test", Role::Agent, &["South"]).await;
        let in_scope = lead_for(&app, source, Some(ne.user.id.get()), "North East Lead").await;
        let out_of_scope = lead_for(&app, source, Some(south.user.id.get()), "South Lead").await;
        let boss = app.user("boss@acme.test", Role::Admin, &["North"]).await;
        let scoped = app.patch(&format!("/api/v1/users/{}", boss.user.id), &app.admin.token, json!({ "scope_team_id": north.id.get() })).await;
        assert_eq!(scoped.status, StatusCode::OK, "{}", scoped.body);
        let list = app.get("/api/v1/leads", &boss.token).await;
        let ids: Vec<i64> = list.body["items"].as_array().map(|i| i.iter().map(id).collect()).unwrap_or_default();
        assert_eq!(ids, [id(&in_scope)]);
        assert_eq!(app.get(&format!("/api/v1/leads/{}", id(&out_of_scope)), &boss.token).await.status, StatusCode::NOT_FOUND);
    }
}

app_test! {
    async fn every_edit_writes_one_timeline_entry_with_its_reason(app) {
        let (source, _) = app.source("Website").await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let lead = lead_for(&app, source, Some(ana.user.id.get()), "Ana Lead").await;
        let statuses = app.get("/api/v1/statuses", &app.admin.token).await;
        let working = statuses.body["items"].as_array().and_then(|s| s.iter().find(|s| s["name"] == "Working")).map(id).unwrap_or_default();
        let path = format!("/api/v1/leads/{}", id(&lead));
        let changed = app.patch(&path, &ana.token, json!({ "status_id": working, "reason": "called, interested", "fields": { "budget": 400000 } })).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        assert_eq!(changed.body["status"], "Working");
        assert_eq!(changed.body["version"], 2);
        let unchanged = app.patch(&path, &ana.token, json!({ "status_id": working })).await;
        assert_eq!(unchanged.body["version"], 2, "a patch that changes nothing writes nothing");
        let bad_status = app.patch(&path, &ana.token, json!({ "status_id": 999_999 })).await;
        assert_eq!(bad_status.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad_status.body["error"]["details"]["fields"][0]["field"], "status_id");
        let timeline = app.get(&format!("{path}/timeline"), &ana.token).await;
        let items = timeline.body["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 2, "{}", timeline.body);
        assert_eq!(items[1]["kind"], "status_changed");
        assert_eq!(items[1]["reason"], "called, interested");
        assert_eq!(items[1]["changes"]["status"], json!({ "from": "New", "to": "Working" }));
        assert_eq!(items[1]["actor"], json!({ "kind": "user", "user_id": ana.user.id.get() }));
    }
}

app_test! {
    async fn lists_filter_search_and_page_without_losing_a_lead(app) {
        let (source, key) = app.source("Website").await;
        for i in 0..23 {
            let a = app.intake(&key, json!({ "name": format!("Person {i:02}"), "phone": format!("+1 (303) 555-01{i:02}"), "tags": if i % 3 == 0 { vec!["vip"] } else { vec![] } })).await;
            assert_eq!(a.status, StatusCode::CREATED);
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/leads?limit=7&sort=name&cursor={c}"),
                None => "/api/v1/leads?limit=7&sort=name".to_owned(),
            };
            let page = app.get(&path, &app.admin.token).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            seen.extend(page.body["items"].as_array().map(|i| i.iter().filter_map(|l| l["name"].as_str().map(str::to_owned)).collect::<Vec<_>>()).unwrap_or_default());
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let expected: Vec<String> = (0..23).map(|i| format!("Person {i:02}")).collect();
        assert_eq!(seen, expected);
        let vip = app.get(&format!("/api/v1/leads?tags=vip&source={source}"), &app.admin.token).await;
        assert_eq!(vip.body["items"].as_array().map(Vec::len), Some(8));
        let by_phone = app.get("/api/v1/leads?q=(303)%20555-0107", &app.admin.token).await;
        assert_eq!(by_phone.body["items"].as_array().map(|i| i.iter().filter_map(|l| l["name"].as_str()).collect::<Vec<_>>()), Some(vec!["Person 07"]));
        let wrong_sort_cursor = app.get(&format!("/api/v1/leads?cursor={}", cursor.unwrap_or_default()), &app.admin.token).await;
        assert!(matches!(wrong_sort_cursor.status, StatusCode::UNPROCESSABLE_ENTITY | StatusCode::OK));
        let bad_sort = app.get("/api/v1/leads?sort=shoe_size", &app.admin.token).await;
        assert_eq!(bad_sort.body["error"]["details"]["fields"][0]["field"], "sort");
    }
}

app_test! {
    async fn a_browser_session_needs_its_csrf_token_for_changes(app) {
        let (source, _) = app.source("Website").await;
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let lead = lead_for(&app, source, Some(ana.user.id.get()), "Ana Lead").await;
        let client = reqwest::Client::builder().cookie_store(true).build().expect("build the HTTP client");
        let bad = client.post(format!("{}/api/v1/auth/login", app.base)).json(&json!({ "email": "ana@acme.test", "password": "wrong-password" })).send().await.expect("log in with a wrong password");
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
        let login = client.post(format!("{}/api/v1/auth/login", app.base)).json(&json!({ "email": "ANA@acme.test", "password": leadpool_testkit::app::PASSWORD })).send().await.expect("log in");
        assert_eq!(login.status(), StatusCode::OK);
        let cookie = login.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");
        assert_eq!(login.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"), "the answer carries the CSRF token");
        assert_eq!(login.headers().get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
        let body: Value = login.json().await.unwrap_or_default();
        let csrf = body["csrf_token"].as_str().unwrap_or_default().to_owned();
        let me = client.get(format!("{}/api/v1/me", app.base)).send().await.expect("get /me");
        assert_eq!(me.status(), StatusCode::OK);
        let url = format!("{}/api/v1/leads/{}", app.base, id(&lead));
        let forged = client.patch(&url).json(&json!({ "tags": ["x"] })).send().await.expect("patch without a CSRF token");
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let ok = client.patch(&url).header("x-csrf-token", &csrf).json(&json!({ "tags": ["x"] })).send().await.expect("patch with the CSRF token");
        assert_eq!(ok.status(), StatusCode::OK);
        let forged_out = client.post(format!("{}/api/v1/auth/logout", app.base)).send().await.expect("log out without a CSRF token");
        assert_eq!(forged_out.status(), StatusCode::FORBIDDEN, "another site cannot sign people out");
        let out = client.post(format!("{}/api/v1/auth/logout", app.base)).header("x-csrf-token", &csrf).send().await.expect("log out");
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        let after = client.get(format!("{}/api/v1/me", app.base)).send().await.expect("get /me after logging out");
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
        let behind_tls = reqwest::Client::new().post(format!("{}/api/v1/auth/login", app.base)).header("x-forwarded-proto", "https").json(&json!({ "email": "ana@acme.test", "password": leadpool_testkit::app::PASSWORD })).send().await.expect("log in through a TLS proxy");
        let cookie = behind_tls.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(cookie.ends_with("; Secure"), "a proxy's X-Forwarded-Proto: https makes the cookie Secure: {cookie}");
    }
}

app_test! {
    async fn racing_retries_of_one_intake_store_exactly_one_lead(app) {
        let (_, key) = app.source("Portal").await;
        let mut tasks = Vec::new();
        for _ in 0..24 {
            let (http, url, key) = (app.http.clone(), format!("{}/api/v1/intake", app.base), key.clone());
            tasks.push(tokio::spawn(async move {
                let res = http.post(url).header("x-intake-key", key).json(&json!({ "name": "Race Lead", "external_id": "portal-77" })).send().await.expect("post the intake");
                let status = res.status();
                let body: Value = res.json().await.unwrap_or_default();
                (status, body["lead"]["id"].as_i64())
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.expect("join an intake task"));
        }
        let created = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        assert_eq!(created, 1, "{answers:?}");
        assert!(answers.iter().all(|(s, _)| *s == StatusCode::CREATED || *s == StatusCode::OK), "every retry gets a clear answer: {answers:?}");
        let ids: std::collections::BTreeSet<_> = answers.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids.len(), 1, "every answer names the same lead: {answers:?}");
        let all = app.get("/api/v1/leads?q=race", &app.admin.token).await;
        assert_eq!(all.body["items"].as_array().map(Vec::len), Some(1));
        let lead = ids.into_iter().next().flatten().unwrap_or_default();
        let timeline = app.get(&format!("/api/v1/leads/{lead}/timeline"), &app.admin.token).await;
        assert_eq!(timeline.body["items"].as_array().map(Vec::len), Some(2), "created and routed, once");
    }
}

app_test! {
    async fn wrong_passwords_in_a_row_make_the_address_wait_even_for_the_right_one(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let login = |password: &'static str| {
            let app = &app;
            async move {
                app.http
                    .post(format!("{}/api/v1/auth/login", app.base))
                    .json(&json!({ "email": "Ana@acme.test", "password": password }))
                    .send()
                    .await
                    .expect("log in")
            }
        };
        for _ in 0..5 {
            assert_eq!(login("wrong-password").await.status(), StatusCode::UNAUTHORIZED);
        }
        let held = login(leadpool_testkit::app::PASSWORD).await;
        assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(held.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("30"));
        let body: Value = held.json().await.unwrap_or_default();
        assert_eq!(body["error"]["code"], "too_many_attempts", "{body}");
        assert_eq!(body["error"]["details"]["retry_after_secs"], 30, "{body}");
        // Another address is not held back by Ana's.
        assert_eq!(app.http.post(format!("{}/api/v1/auth/login", app.base)).json(&json!({ "email": "bo@acme.test", "password": "x" })).send().await.expect("log in as bo").status(), StatusCode::UNAUTHORIZED);

        app.clock.advance(std::time::Duration::from_secs(30));
        assert_eq!(login(leadpool_testkit::app::PASSWORD).await.status(), StatusCode::OK, "after the wait the right password works");
        assert_eq!(login("wrong-password").await.status(), StatusCode::UNAUTHORIZED, "and a success starts the count afresh");
    }
}

app_test! {
    async fn wrong_passwords_at_one_instance_hold_the_address_at_another_and_after_a_restart(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        for _ in 0..5 {
            let wrong = app.http.post(format!("{}/api/v1/auth/login", app.base))
                .json(&json!({ "email": "ana@acme.test", "password": "wrong-password" }))
                .send().await.expect("log in");
            assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        }
        // A second instance on the same database (or this one restarted) opens it afresh.
        let other = leadpool_app::App::new(
            app.db.reopen().await,
            std::sync::Arc::new(app.clock.clone()),
            leadpool_app::Settings::default(),
        );
        let held = other.login("ana@acme.test", leadpool_testkit::app::PASSWORD).await;
        assert!(
            matches!(held, Err(leadpool_app::AppError::Throttled { retry_after_secs: 30 })),
            "{held:?}"
        );
        app.clock.advance(std::time::Duration::from_secs(30));
        let failed = other.login("ana@acme.test", "wrong-password").await;
        assert!(matches!(failed, Err(leadpool_app::AppError::Unauthenticated(_))), "{failed:?}");
        let held = app.http.post(format!("{}/api/v1/auth/login", app.base))
            .json(&json!({ "email": "ana@acme.test", "password": leadpool_testkit::app::PASSWORD }))
            .send().await.expect("log in");
        assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS, "the sixth failure, made at the other instance, doubles the wait here");
        assert_eq!(held.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("60"));
    }
}
