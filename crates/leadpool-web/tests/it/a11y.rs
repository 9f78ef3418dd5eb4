//! What the axe-core scan of every page (tests/browser/admin.spec.mjs) found, pinned here so
//! that a template change cannot bring it back without a failing test.

use leadpool_domain::Role;
use leadpool_testkit::app_test;
use reqwest::StatusCode;

use crate::ui::Browser;

app_test! {
    async fn an_error_page_is_titled_by_one_h1_and_its_htmx_fragment_by_an_h2(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;
        for path in ["/leads/999999999", "/settings"] {
            let page = browser.get(path).await;
            assert!(page.status.is_client_error(), "{path}: {}", page.status);
            assert_eq!(page.html.matches("<h1").count(), 1, "{path}: a page has one level-one heading: {}", page.html);
            assert!(!page.html.contains("<h2"), "{path}: its title is not demoted: {}", page.html);
            let fragment = browser.htmx_get(path).await;
            assert_eq!(fragment.status, page.status, "{path}");
            assert!(fragment.html.contains("<h2>") && !fragment.html.contains("<h1"), "{path}: a fragment sits under its page's own h1: {}", fragment.html);
        }
        let unknown = Browser::answer(browser.http.get(format!("{}/no-such-page", app.base)).header("accept", "text/html")).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(unknown.html.contains("<h1>Not found</h1>"), "{}", unknown.html);
    }
}
