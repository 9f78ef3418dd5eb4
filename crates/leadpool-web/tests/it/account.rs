//! My account: a person changes their own password, which signs them out everywhere else,
//! and ends their other sessions without changing it.

use leadpool_app::deliver::Deliverer;
use leadpool_app::mail::{MailConfig, MailTls, Mailer};
use leadpool_domain::Role;
use leadpool_testkit::app::PASSWORD;
use leadpool_testkit::app_test;
use reqwest::StatusCode;

use crate::ui::Browser;

const NEW: &str = "a-new-password-456";

app_test! {
    async fn a_person_changes_their_password_and_their_other_sessions_end(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let desk = Browser::new(&app);
        desk.sign_in("ana@acme.test").await;
        let phone = Browser::new(&app);
        phone.sign_in("ana@acme.test").await;
        let page = desk.get("/account").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        assert!(page.html.contains("ana@acme.test") && page.html.contains("Change your password"), "{}", page.html);
        assert!(page.html.contains(r#"href="/account""#), "the header links the account page: {}", page.html);
        let csrf = page.csrf();

        let wrong = desk
            .htmx_post("/account/password", &csrf, &[("current_password", "guess-guess-1"), ("new_password", NEW), ("repeat_password", NEW)])
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.html);
        assert!(wrong.html.contains("is not your current password") && wrong.html.contains(r#"id="account""#), "{}", wrong.html);
        let differ = desk
            .htmx_post("/account/password", &csrf, &[("current_password", PASSWORD), ("new_password", NEW), ("repeat_password", "something-else")])
            .await;
        assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(differ.html.contains("differ"), "{}", differ.html);
        let short = desk
            .htmx_post("/account/password", &csrf, &[("current_password", PASSWORD), ("new_password", "short"), ("repeat_password", "short")])
            .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.html.contains("at least 10 characters"), "{}", short.html);
        assert_eq!(phone.get("/leads").await.status, StatusCode::OK, "refused changes end nothing");

        let changed = desk
            .htmx_post("/account/password", &csrf, &[("current_password", PASSWORD), ("new_password", NEW), ("repeat_password", NEW)])
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.html);
        assert!(changed.html.contains("Password changed. Your one other session was signed out."), "{}", changed.html);
        assert_eq!(phone.get("/leads").await.status, StatusCode::SEE_OTHER, "the other session ended");
        assert_eq!(desk.get("/leads").await.status, StatusCode::OK, "this session goes on");
        let old = Browser::new(&app).post("/login", &[("email", "ana@acme.test"), ("password", PASSWORD), ("next", "/leads")]).await;
        assert_ne!(old.status, StatusCode::SEE_OTHER, "the old password no longer signs in");
        let new = Browser::new(&app).post("/login", &[("email", "ana@acme.test"), ("password", NEW), ("next", "/leads")]).await;
        assert_eq!(new.status, StatusCode::SEE_OTHER, "{}", new.html);
    }
}

app_test! {
    async fn a_person_signs_out_everywhere_else_and_stays_signed_in_here(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let here = Browser::new(&app);
        let csrf = here.sign_in("ana@acme.test").await;
        let others = [Browser::new(&app), Browser::new(&app)];
        for b in &others {
            b.sign_in("ana@acme.test").await;
        }
        let someone_else = Browser::new(&app);
        someone_else.sign_in("admin@acme.test").await;
        let ended = here.htmx_post("/account/sign-out-others", &csrf, &[]).await;
        assert_eq!(ended.status, StatusCode::OK, "{}", ended.html);
        assert!(ended.html.contains("Your 2 other sessions were signed out."), "{}", ended.html);
        for b in &others {
            assert_eq!(b.get("/leads").await.status, StatusCode::SEE_OTHER);
        }
        assert_eq!(here.get("/leads").await.status, StatusCode::OK);
        assert_eq!(someone_else.get("/leads").await.status, StatusCode::OK, "other people's sessions are theirs");
        let again = here.htmx_post("/account/sign-out-others", &csrf, &[]).await;
        assert!(again.html.contains("You were not signed in anywhere else."), "{}", again.html);
        let forged = here.post("/account/sign-out-others", &[]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "without the CSRF token nothing ends");
    }
}

app_test! {
    async fn a_person_chooses_what_they_are_emailed_about_and_admins_see_failed_deliveries(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let ana = Browser::new(&app);
        ana.sign_in("ana@acme.test").await;
        let page = ana.get("/account").await;
        assert!(page.html.contains("Email me when") && page.html.contains("This server sends no email"), "{}", page.html);
        assert_eq!(page.html.matches(r#"name="email_events""#).count(), 6, "{}", page.html);
        assert_eq!(page.html.matches(" checked>").count(), 5, "everything but the digest by default: {}", page.html);
        let csrf = page.csrf();

        let saved = ana.htmx_post("/account/email", &csrf, &[("email_events", "offer_made"), ("email_events", "lead_returned")]).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.html);
        assert!(saved.html.contains("Saved. This server sends no email yet"), "{}", saved.html);
        assert_eq!(saved.html.matches(" checked>").count(), 2, "{}", saved.html);
        let none = ana.htmx_post("/account/email", &csrf, &[]).await;
        assert_eq!(none.html.matches(" checked>").count(), 0, "nothing ticked: nothing emailed: {}", none.html);
        let bad = ana.htmx_post("/account/email", &csrf, &[("email_events", "lead_claimed")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
        assert!(bad.html.contains("not an email choice"), "{}", bad.html);

        app.db.store.set_mail(true);
        let on = ana.get("/account").await;
        assert!(!on.html.contains("This server sends no email"), "{}", on.html);
        assert_eq!(ana.get("/settings/deliveries").await.status, StatusCode::FORBIDDEN);

        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let hub = admin.get("/settings").await;
        assert!(hub.html.contains(r#"href="/settings/deliveries""#), "{}", hub.html);
        let deliveries = admin.get("/settings/deliveries").await;
        assert_eq!(deliveries.status, StatusCode::OK, "{}", deliveries.html);
        assert!(deliveries.html.contains("No delivery is in trouble.") && deliveries.html.contains("This server sends email."), "{}", deliveries.html);
        assert!(admin.get("/settings/deliveries?all=yes").await.html.contains("Nothing was delivered yet."));

        // A mail the SMTP server cannot take shows with its error and is retried from here.
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let (_, key) = app.source("Website").await;
        let lead = app.intake(&key, serde_json::json!({ "name": "Kim Lee" })).await;
        let id = lead.body["lead"]["id"].as_i64().expect("a lead id");
        let assigned = app.post("/api/v1/leads/assign", &app.admin.token,
            serde_json::json!({ "lead_ids": [id], "agent_id": bob.user.id.get(), "from_queue": true })).await;
        assert_eq!(assigned.body["results"][0]["result"], "moved", "{}", assigned.body);
        let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let mailer = Mailer::new(&MailConfig {
            host: "127.0.0.1".to_owned(), port: closed, tls: MailTls::None, credentials: None,
            from: "leads@acme.test".to_owned(), public_url: app.base.clone(),
        }).expect("a mailer");
        let worker = Deliverer::new(app.app.clone(), "test").expect("a worker").with_mailer(mailer);
        assert_eq!(worker.run_due().await.expect("send").retrying, 1);
        let failing = admin.get("/settings/deliveries").await;
        assert!(failing.html.contains("Email: bob@acme.test") && failing.html.contains("Retrying at"), "{}", failing.html);
        let row = failing.html.split("/settings/deliveries/").nth(1).and_then(|r| r.split('/').next()).expect("a retry form").to_owned();
        let retried = admin.htmx_post(&format!("/settings/deliveries/{row}/retry"), &admin.get("/settings").await.csrf(), &[]).await;
        assert_eq!(retried.status, StatusCode::OK, "{}", retried.html);
        assert!(retried.html.contains("The lead assigned email to bob@acme.test is being sent again now"), "{}", retried.html);
    }
}

app_test! {
    async fn a_person_reads_every_time_in_the_zone_they_chose(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        app.clock.set(leadpool_domain::Timestamp::parse_rfc3339("2026-11-25T14:03:00Z").unwrap_or(leadpool_domain::Timestamp::from_millis(0)));
        let source = crate::ui::source(&app).await;
        let lead = crate::ui::lead(&app, source, Some(ana.user.id.get()), "Zoe Zone").await;
        let desk = Browser::new(&app);
        let csrf = desk.sign_in("ana@acme.test").await;
        let before = desk.get(&format!("/leads/{lead}")).await;
        assert!(before.html.contains("2026-11-25 14:03 UTC"), "UTC until a zone is chosen: {}", before.html);

        let unknown = desk.htmx_post("/account/time-zone", &csrf, &[("time_zone", "Mars/Olympus_Mons")]).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.html);
        assert!(unknown.html.contains("is not a time zone") && unknown.html.contains(r#"id="account""#), "{}", unknown.html);

        let saved = desk.htmx_post("/account/time-zone", &csrf, &[("time_zone", "America/New_York")]).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.html);
        assert!(
            saved.html.contains("Saved. Times are shown in America/New_York; it is now 2026-11-25 09:03 EST."),
            "{}",
            saved.html
        );
        assert!(saved.html.contains(r#"value="America/New_York""#), "the field keeps the choice: {}", saved.html);
        let after = desk.get(&format!("/leads/{lead}")).await;
        assert!(after.html.contains("2026-11-25 09:03 EST"), "{}", after.html);
        assert!(!after.html.contains("14:03 UTC"), "{}", after.html);
        let tasks = after.html.find(r#"id="task-due""#).map(|i| &after.html[i..]).unwrap_or_default();
        assert!(tasks.contains(r#"value="2026-11-26T09:03""#), "a new task's due time starts on her clocks: {tasks}");
        assert!(after.html.contains("Due <small>(America/New_York)</small>"), "{}", after.html);

        let added = desk
            .htmx_post(&format!("/leads/{lead}/tasks"), &csrf, &[("title", "Call back"), ("due", "2026-11-26T10:00"), ("assignee_id", "")])
            .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.html);
        assert!(added.html.contains("Task added, due 2026-11-26 10:00 EST."), "{}", added.html);
        let tasks = app.get(&format!("/api/v1/leads/{lead}/tasks"), &ana.token).await;
        assert_eq!(tasks.body["items"][0]["due_at"], "2026-11-26T15:00:00Z", "typed on her clocks, stored as the instant: {}", tasks.body);

        let back = desk.htmx_post("/account/time-zone", &csrf, &[("time_zone", "")]).await;
        assert!(back.html.contains("Times are shown in UTC"), "{}", back.html);
    }
}

app_test! {
    async fn the_api_sets_a_time_zone_for_oneself_and_admins_for_their_people(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let put = |token: String, body: serde_json::Value| {
            let app = &app;
            async move { app.request(reqwest::Method::PUT, "/api/v1/me/time-zone", Some(&token), Some(body)).await }
        };
        let mine = put(ana.token.clone(), serde_json::json!({ "time_zone": "Europe/Lisbon" })).await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
        assert_eq!(mine.body["time_zone"], "Europe/Lisbon");
        assert_eq!(app.get("/api/v1/me", &ana.token).await.body["time_zone"], "Europe/Lisbon");
        let bad = put(ana.token.clone(), serde_json::json!({ "time_zone": "Lisbon" })).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert_eq!(bad.body["error"]["details"]["fields"][0]["field"], "time_zone", "{}", bad.body);
        let cleared = put(ana.token.clone(), serde_json::json!({ "time_zone": null })).await;
        assert_eq!(cleared.body["time_zone"], serde_json::Value::Null, "{}", cleared.body);

        let id = ana.user.id.get();
        let by_admin = app.patch(&format!("/api/v1/users/{id}"), &app.admin.token, serde_json::json!({ "time_zone": "Asia/Tokyo" })).await;
        assert_eq!(by_admin.status, StatusCode::OK, "{}", by_admin.body);
        assert_eq!(by_admin.body["time_zone"], "Asia/Tokyo");
        let by_agent = app.patch(&format!("/api/v1/users/{id}"), &ana.token, serde_json::json!({ "time_zone": "UTC" })).await;
        assert_eq!(by_agent.status, StatusCode::FORBIDDEN, "{}", by_agent.body);
    }
}

app_test! {
    async fn a_pause_carries_its_reason_to_whoever_assigns_leads_until_resuming(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let agent = Browser::new(&app);
        let csrf = agent.sign_in("ana@acme.test").await;
        let paused = agent.post("/offers/pause", &[("csrf", csrf.as_str()), ("paused", "yes"), ("reason", "At a showing until 3")]).await;
        assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.html);
        let offers = agent.get("/offers").await;
        assert!(offers.html.contains("paused</strong> (At a showing until 3)"), "{}", offers.html);

        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let people = admin.get("/settings/people").await;
        assert!(people.html.contains(r#"<span class="tag">paused</span> At a showing until 3"#), "{}", people.html);
        let queue = admin.get("/queue").await;
        assert!(queue.html.contains("ana — paused (At a showing until 3)"), "the agent picker says why: {}", queue.html);
        let api = app.get(&format!("/api/v1/users/{}", ana.user.id.get()), &app.admin.token).await;
        assert_eq!(api.body["pause_reason"], "At a showing until 3", "{}", api.body);

        let nul = app
            .request(reqwest::Method::PUT, "/api/v1/me/pause", Some(&ana.token), Some(serde_json::json!({ "paused": true, "reason": "a\u{0}b" })))
            .await;
        assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nul.body);
        assert_eq!(nul.body["error"]["details"]["fields"][0]["field"], "reason", "{}", nul.body);

        let resumed = app
            .request(reqwest::Method::PUT, "/api/v1/me/pause", Some(&ana.token), Some(serde_json::json!({ "paused": false, "reason": "ignored" })))
            .await;
        assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.body);
        assert_eq!(resumed.body, serde_json::json!({ "user_id": ana.user.id.get(), "paused": false, "reason": null }));
        let people = admin.get("/settings/people").await;
        assert!(!people.html.contains("At a showing"), "resuming clears the reason: {}", people.html);
    }
}

/// The token a page shows once.
fn shown_token(html: &str) -> String {
    let at = r#"id="new-token-value" class="secret" value=""#;
    let start = html
        .find(at)
        .unwrap_or_else(|| panic!("no token shown: {html}"))
        + at.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

app_test! {
    async fn api_tokens_are_made_shown_once_and_revoked_from_the_browser(app) {
        for team in ["North", "South"] {
            app.app.add_team(&app.org, team, None).await.expect("add team");
        }
        let ana = app.user("ana@acme.test", Role::Agent, &["North"]).await;
        app.user("bob@acme.test", Role::Agent, &["South"]).await;

        // An agent makes a token of their own on My account: shown once, and it works.
        let desk = Browser::new(&app);
        let csrf = desk.sign_in("ana@acme.test").await;
        let before = desk.get("/account").await;
        assert!(before.html.contains("API tokens") && !before.html.contains("CRM sync"), "{}", before.html);
        let made = desk.htmx_post("/account/tokens", &csrf, &[("name", "CRM sync")]).await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.html);
        assert!(made.html.contains("Token “CRM sync” made for you. Copy it now: it is not shown again."), "{}", made.html);
        let own = shown_token(&made.html);
        assert_eq!(app.get("/api/v1/leads", &own).await.status, StatusCode::OK, "the token works at once");
        let again = desk.get("/account").await;
        assert!(!again.html.contains(&own) && again.html.contains("CRM sync"), "listed by name, never shown twice: {}", again.html);
        let nameless = desk.htmx_post("/account/tokens", &csrf, &[("name", " ")]).await;
        assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nameless.html);
        let id = app.get(&format!("/api/v1/users/{}/tokens", ana.user.id), &ana.token).await.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|t| t["name"] == "CRM sync"))
            .and_then(|t| t["id"].as_i64())
            .unwrap_or_default();
        let revoked = desk.htmx_post(&format!("/account/tokens/{id}/revoke"), &csrf, &[]).await;
        assert!(revoked.html.contains("Token “CRM sync” revoked: whatever used it is refused from now on."), "{}", revoked.html);
        assert_eq!(app.get("/api/v1/leads", &own).await.status, StatusCode::UNAUTHORIZED, "a revoked token is refused");
        let twice = desk.htmx_post(&format!("/account/tokens/{id}/revoke"), &csrf, &[]).await;
        assert!(twice.html.contains("That token was already revoked."), "{}", twice.html);
        let not_for_agents = desk.htmx_post("/settings/tokens", &csrf, &[("user", &ana.user.id.to_string()), ("name", "x")]).await;
        assert_eq!(not_for_agents.status, StatusCode::FORBIDDEN, "{}", not_for_agents.html);

        // An admin makes one for an agent on People, sees everyone's, and revokes it.
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let ana_id = ana.user.id.to_string();
        let for_ana = admin.htmx_post("/settings/tokens", &csrf, &[("user", &ana_id), ("name", "Zapier")]).await;
        assert_eq!(for_ana.status, StatusCode::OK, "{}", for_ana.html);
        assert!(for_ana.html.contains("Token “Zapier” made for ana."), "{}", for_ana.html);
        let zapier = shown_token(&for_ana.html);
        let listed = app.get(&format!("/api/v1/users/{}", ana.user.id), &zapier).await;
        assert_eq!(listed.body["email"], "ana@acme.test", "the token acts as ana: {}", listed.body);
        let page = admin.get("/settings/people").await;
        assert!(page.html.contains(r#"<td data-label="Holder">ana</td>"#) && page.html.contains("Zapier"), "{}", page.html);
        let no_one = admin.htmx_post("/settings/tokens", &csrf, &[("user", ""), ("name", "x")]).await;
        assert_eq!(no_one.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_one.html);
        assert!(no_one.html.contains("For: pick a person."), "{}", no_one.html);
        let zapier_id = app.get(&format!("/api/v1/users/{}/tokens", ana.user.id), &app.admin.token).await.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|t| t["name"] == "Zapier"))
            .and_then(|t| t["id"].as_i64())
            .unwrap_or_default();
        let gone = admin.htmx_post(&format!("/settings/tokens/{zapier_id}/revoke"), &csrf, &[("user", &ana_id)]).await;
        assert!(gone.html.contains("Token “Zapier” revoked"), "{}", gone.html);
        assert_eq!(app.get("/api/v1/leads", &zapier).await.status, StatusCode::UNAUTHORIZED);

        // A team admin of South sees and makes no token for North's agent.
        let boss = app.user("boss@acme.test", Role::Admin, &["South"]).await;
        let south = boss.user.teams[0].get();
        let scoped = app.patch(&format!("/api/v1/users/{}", boss.user.id), &app.admin.token, serde_json::json!({ "scope_team_id": south })).await;
        assert_eq!(scoped.status, StatusCode::OK, "{}", scoped.body);
        desk.htmx_post("/account/tokens", &desk.get("/account").await.csrf(), &[("name", "Kept")]).await;
        let south_admin = Browser::new(&app);
        let csrf = south_admin.sign_in("boss@acme.test").await;
        let theirs = south_admin.get("/settings/people").await;
        assert!(!theirs.html.contains("Kept") && !theirs.html.contains(r#"<option value="{ana_id}">ana"#), "{}", theirs.html);
        let refused = south_admin.htmx_post("/settings/tokens", &csrf, &[("user", &ana_id), ("name", "Sneaky")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    }
}
