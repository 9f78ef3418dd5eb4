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
