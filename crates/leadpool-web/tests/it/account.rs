//! My account: a person changes their own password, which signs them out everywhere else,
//! and ends their other sessions without changing it.

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
