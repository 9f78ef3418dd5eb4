//! The web pages as a browser without JavaScript and htmx see them: sign-in and sign-out,
//! CSRF, the lead list with its filter panel, htmx fragments, Move actions answering per
//! lead, the lead's timeline, and distribution's pages (offers, the queue, why a lead is
//! where it is).

use leadpool_domain::Role;
use leadpool_domain::routing::{Conditions, Fallback, Strategy};
use leadpool_testkit::app::PASSWORD;
use leadpool_testkit::distribution::plan;
use leadpool_testkit::{TestApp, app_test};
use reqwest::header::{CONTENT_TYPE, HeaderMap, SET_COOKIE};
use reqwest::{Client, StatusCode, redirect};
use serde_json::{Value, json};

/// A browser's view of one answer.
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) html: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the first hidden `csrf` field.
    pub(crate) fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        self.html
            .split_once(marker)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(token, _)| token.to_owned())
            .unwrap_or_else(|| panic!("no csrf field in {}", self.html))
    }
}

/// A request carrying `form` as a browser posts a form.
fn with_form(req: reqwest::RequestBuilder, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
    req.header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(form).expect("encode the form"))
}

/// A cookie-keeping client that does not follow redirects, so tests see them.
pub(crate) struct Browser {
    pub(crate) http: Client,
    base: String,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        let http = Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .build()
            .expect("build the browser's HTTP client");
        Self {
            http,
            base: app.base.clone(),
        }
    }

    pub(crate) async fn answer(req: reqwest::RequestBuilder) -> Page {
        let res = req.send().await.expect("send the browser's request");
        Page {
            status: res.status(),
            headers: res.headers().clone(),
            html: res.text().await.unwrap_or_default(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        Self::answer(self.http.get(format!("{}{path}", self.base))).await
    }

    /// An htmx request, as the filter panel and "Load more" send them.
    pub(crate) async fn htmx_get(&self, path: &str) -> Page {
        Self::answer(
            self.http
                .get(format!("{}{path}", self.base))
                .header("hx-request", "true")
                .header("hx-request-type", "partial"),
        )
        .await
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::answer(with_form(
            self.http.post(format!("{}{path}", self.base)),
            form,
        ))
        .await
    }

    /// An htmx form post, carrying the CSRF token as htmx does: in the header.
    pub(crate) async fn htmx_post(&self, path: &str, csrf: &str, form: &[(&str, &str)]) -> Page {
        Self::answer(with_form(
            self.http
                .post(format!("{}{path}", self.base))
                .header("hx-request", "true")
                .header("x-csrf-token", csrf),
            form,
        ))
        .await
    }

    /// Signs in through the form and returns the list page's CSRF token.
    pub(crate) async fn sign_in(&self, email: &str) -> String {
        let res = self
            .post(
                "/login",
                &[("email", email), ("password", PASSWORD), ("next", "/leads")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.html);
        self.get("/leads").await.csrf()
    }
}

pub(crate) async fn source(app: &TestApp) -> i64 {
    app.source("Website").await.0
}

pub(crate) async fn lead(app: &TestApp, source: i64, assignee: Option<i64>, name: &str) -> i64 {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let a = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            json!({ "source_id": source, "assignee_id": assignee, "name": name, "emails": [email] }),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_i64().unwrap_or_default()
}

/// Puts leads into the default pool through the admin's Move menu.
pub(crate) async fn into_pool(app: &TestApp, ids: &[i64]) {
    let admin = Browser::new(app);
    let csrf = admin.sign_in("admin@acme.test").await;
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let mut form = vec![("action", "pool"), ("reason", "for the pool")];
    form.extend(ids.iter().map(|i| ("id", i.as_str())));
    let moved = admin.htmx_post("/leads/move", &csrf, &form).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.html);
    assert!(
        moved
            .html
            .contains(&format!("Moved {} of {}", ids.len(), ids.len())),
        "{}",
        moved.html
    );
}

app_test! {
    async fn a_wrong_password_is_refused_in_the_same_words_as_an_unknown_address(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let browser = Browser::new(&app);
        let wrong = browser.post("/login", &[("email", "ana@acme.test"), ("password", "not-it")]).await;
        let unknown = browser.post("/login", &[("email", "nobody@acme.test"), ("password", "not-it")]).await;
        for page in [&wrong, &unknown] {
            assert_eq!(page.status, StatusCode::UNAUTHORIZED);
            assert!(page.html.contains("That email and password do not match an active account."), "{}", page.html);
            assert!(page.headers.get(SET_COOKIE).is_none());
        }
        assert!(wrong.html.contains(r#"value="ana@acme.test""#), "the address typed stays in the form");
        assert_eq!(browser.get("/leads").await.status, StatusCode::SEE_OTHER, "no session was opened");

        // Guessing on: after five misses in a row the form says how long to wait.
        for _ in 0..4 {
            browser.post("/login", &[("email", "ana@acme.test"), ("password", "not-it")]).await;
        }
        let held = browser.post("/login", &[("email", "ana@acme.test"), ("password", "not-it")]).await;
        assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(held.html.contains("Too many failed sign-ins for this address. Try again in 30 seconds."), "{}", held.html);
        assert!(held.html.contains(r#"value="ana@acme.test""#), "the form is still there to try again");
    }
}

app_test! {
    async fn signing_in_sets_a_session_cookie_and_returns_to_the_page_asked_for(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let browser = Browser::new(&app);
        let asked = browser.get("/leads?pool=yes").await;
        assert_eq!(asked.status, StatusCode::SEE_OTHER);
        assert_eq!(asked.header("location"), "/login?next=%2Fleads%3Fpool%3Dyes");
        let form = browser.get("/login?next=%2Fleads%3Fpool%3Dyes").await;
        assert!(form.html.contains(r#"name="next" value="/leads?pool=yes""#), "{}", form.html);
        let ok = browser.post("/login", &[("email", "Ana@Acme.test"), ("password", PASSWORD), ("next", "/leads?pool=yes")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        assert_eq!(ok.header("location"), "/leads?pool=yes");
        let cookie = ok.header("set-cookie");
        assert!(cookie.starts_with("leadpool_session=lps_") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        let list = browser.get("/leads?pool=yes").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.html.contains("ana") && list.html.contains(">Agent<"), "the header names who is signed in");
        assert_eq!(browser.get("/").await.header("location"), "/leads");
    }
}

app_test! {
    async fn sign_in_goes_only_to_pages_of_this_site(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let browser = Browser::new(&app);
        for next in ["//evil.test/x", "/%09/evil.example/", "/\t/evil.example/", "/\\evil.example", "/%5Cevil.example", "/%2F/evil.example", "/leads\nLocation: //evil.example", "https://evil.example", "/São"] {
            let ok = browser.post("/login", &[("email", "ana@acme.test"), ("password", PASSWORD), ("next", next)]).await;
            assert_eq!(ok.header("location"), "/leads", "{next:?}");
            let form = Browser::new(&app).get(&format!("/login?next={}", next.replace('%', "%25").replace('\t', "%09").replace('\n', "%0A").replace('/', "%2F"))).await;
            assert!(form.html.contains(r#"name="next" value="/leads""#), "the sign-in page's hidden field keeps {next:?}: {}", form.html);
        }
        let ok = browser.post("/login", &[("email", "ana@acme.test"), ("password", PASSWORD), ("next", "/leads?pool=yes&q=a%20b")]).await;
        assert_eq!(ok.header("location"), "/leads?pool=yes&q=a%20b");
    }
}

app_test! {
    async fn a_sign_in_posted_from_another_site_is_refused(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        let browser = Browser::new(&app);
        let forged = Browser::answer(with_form(
            browser.http.post(format!("{}/login", app.base)).header("origin", "https://evil.test"),
            &[("email", "ana@acme.test"), ("password", PASSWORD)],
        )).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(forged.html.contains("another site"), "{}", forged.html);
        assert!(forged.headers.get(SET_COOKIE).is_none());
        let fetched = Browser::answer(with_form(
            browser.http.post(format!("{}/login", app.base)).header("sec-fetch-site", "cross-site"),
            &[("email", "ana@acme.test"), ("password", PASSWORD)],
        )).await;
        assert_eq!(fetched.status, StatusCode::FORBIDDEN);
        let own = Browser::answer(with_form(
            browser.http.post(format!("{}/login", app.base)).header("sec-fetch-site", "same-origin").header("origin", "https://leadpool.example"),
            &[("email", "ana@acme.test"), ("password", PASSWORD)],
        )).await;
        assert_eq!(own.status, StatusCode::SEE_OTHER, "behind a proxy the browser's word counts: {}", own.html);
    }
}

app_test! {
    async fn strangers_are_sent_to_sign_in_and_htmx_is_told_to_go_there(app) {
        let browser = Browser::new(&app);
        assert_eq!(browser.get("/").await.header("location"), "/login");
        let page = browser.get("/leads").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.header("location"), "/login?next=%2Fleads");
        let fragment = browser.htmx_get("/leads?pool=yes").await;
        assert_eq!(fragment.status, StatusCode::UNAUTHORIZED);
        assert_eq!(fragment.header("hx-redirect"), "/login");
        let login = browser.get("/login").await;
        assert_eq!(login.status, StatusCode::OK);
        assert!(login.html.contains(r#"<input id="email" name="email" type="email""#), "{}", login.html);
        assert!(login.html.contains(r#"<label for="password">Password</label>"#));
    }
}

app_test! {
    async fn a_post_without_this_sessions_csrf_token_is_refused(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let mine = lead(&app, s, Some(ana.user.id.get()), "Mine One").await.to_string();
        let browser = Browser::new(&app);
        let csrf = browser.sign_in("ana@acme.test").await;
        let form = [("action", "claim"), ("id", mine.as_str())];
        let none = browser.post("/leads/move", &form).await;
        assert_eq!(none.status, StatusCode::FORBIDDEN);
        assert!(none.html.contains("This form has expired"), "{}", none.html);
        let wrong = browser.htmx_post("/leads/move", "not-the-token", &form).await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        assert!(!wrong.html.contains("<html"), "htmx gets the message alone: {}", wrong.html);
        let in_field = browser.post("/leads/move", &[("action", "claim"), ("id", mine.as_str()), ("csrf", csrf.as_str())]).await;
        assert_eq!(in_field.status, StatusCode::OK, "{}", in_field.html);
        assert!(in_field.html.contains("Claimed 0 of 1 lead."), "a lead of one's own is no pool lead: {}", in_field.html);
        let out_forged = browser.post("/logout", &[]).await;
        assert_eq!(out_forged.status, StatusCode::FORBIDDEN, "another site cannot sign people out");
        let out = browser.post("/logout", &[("csrf", csrf.as_str())]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(out.header("set-cookie").contains("Max-Age=0"));
        assert_eq!(browser.get("/leads").await.status, StatusCode::SEE_OTHER, "the session is over");
    }
}

app_test! {
    async fn the_list_shows_the_filter_panel_and_only_the_agents_own_leads(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        lead(&app, s, Some(ana.user.id.get()), "Carla Mendes").await;
        lead(&app, s, Some(bob.user.id.get()), "Bruno Costa").await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;
        let page = browser.get("/leads").await;
        assert_eq!(page.status, StatusCode::OK);
        let html = &page.html;
        assert!(html.contains("<h1>My leads</h1>"), "{html}");
        assert!(html.contains("<legend>Lead pool</legend>"));
        assert!(html.contains(r#"<input type="radio" name="pool" value="yes">"#), "{html}");
        assert!(html.contains(r#"<input type="radio" name="pool" value="no" checked>"#));
        assert!(html.contains("<legend>Status</legend>") && html.contains("> New</label>"));
        assert!(html.contains(r#"type="search" name="q""#) && html.contains(r#"type="date" name="from""#) && html.contains(r#"name="tags""#));
        assert!(html.contains("Carla Mendes") && html.contains("carla.mendes@example.com"));
        assert!(!html.contains("Bruno Costa"), "another agent's lead is not listed");
        assert!(!html.contains(r#"<option value="claim">Claim</option>"#) && html.contains(r#"<option value="reject">Reject</option>"#));
        assert!(!html.contains("Assign to…"), "agents do not assign");
        assert!(html.contains(r#"hx-headers:inherited="{&#34;X-CSRF-Token&#34;"#), "htmx sends the token: {html}");
        assert!(page.header("content-security-policy").contains("script-src 'self'"));
        assert_eq!(page.header("cache-control"), "no-store");
        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let staff = admin.get("/leads").await.html;
        assert!(staff.contains("Assign to…") && staff.contains("Move to pool") && !staff.contains(r#"value="claim""#));
        assert!(staff.contains("<legend>Source</legend>") && staff.contains("> Website</label>"));
    }
}

app_test! {
    async fn an_htmx_filter_request_gets_just_the_results(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        lead(&app, s, Some(ana.user.id.get()), "Carla Mendes").await;
        lead(&app, s, Some(ana.user.id.get()), "Diego Alves").await;
        let pooled = lead(&app, s, None, "Pool Person").await;
        into_pool(&app, &[pooled]).await;
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;
        let searched = browser.htmx_get("/leads?pool=no&q=diego").await;
        assert_eq!(searched.status, StatusCode::OK);
        assert!(!searched.html.contains("<html") && !searched.html.contains(r#"id="filters""#), "only the fragment: {}", searched.html);
        assert!(searched.html.contains(r#"<option value="reject">Reject</option>"#) && !searched.html.contains(r#"value="claim""#),
            "the Move menu comes with the rows, offering what applies outside the pool: {}", searched.html);
        assert!(searched.html.contains("Diego Alves") && !searched.html.contains("Carla Mendes"), "{}", searched.html);
        assert!(searched.headers.get_all("vary").iter().any(|v| v.to_str().unwrap_or_default().contains("HX-Request")));
        let pool = browser.htmx_get("/leads?pool=yes").await;
        assert!(pool.html.contains("<h1>Lead pool</h1>") && pool.html.contains("Pool Person"), "{}", pool.html);
        assert!(pool.html.contains(r#"<span class="badge">Lead Pool</span>"#), "the owner is the pool, by name: {}", pool.html);
        assert!(pool.html.contains(r#"<option value="claim">Claim</option>"#) && !pool.html.contains(r#"value="reject""#),
            "in the pool an agent claims; giving back applies to their own leads: {}", pool.html);
        assert!(!pool.html.contains("Diego Alves"));
        let restore = Browser::answer(
            browser.http.get(format!("{}/leads?pool=yes", app.base))
                .header("hx-request", "true")
                .header("hx-history-restore-request", "true"),
        ).await;
        assert!(restore.html.contains("<html"), "going back in history gets the whole page");
        let bad = browser.htmx_get("/leads?from=yesterday").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("is not a day like 2026-11-25") && !bad.html.contains("<html"), "{}", bad.html);
    }
}

app_test! {
    async fn load_more_brings_the_next_rows_of_the_same_filters(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        for i in 0..52 {
            lead(&app, s, Some(ana.user.id.get()), &format!("Person {i:02}")).await;
        }
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;
        let first = browser.get("/leads?sort=name").await.html;
        assert_eq!(first.matches(r#"name="id""#).count(), 50);
        assert!(first.contains("Person 49") && !first.contains("Person 50"));
        let more = first
            .split_once(r#"hx-get="/leads/rows?"#)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(q, _)| format!("/leads/rows?{}", q.replace("&#38;", "&")))
            .unwrap_or_else(|| panic!("no Load more in {first}"));
        assert!(more.contains("sort=name&cursor="), "{more}");
        let rest = browser.htmx_get(&more).await.html;
        assert!(rest.contains("Person 50") && rest.contains("Person 51") && !rest.contains("Person 49"), "{rest}");
        assert!(!rest.contains("Load more"), "that was the last page");
    }
}

app_test! {
    async fn claiming_answers_per_lead_and_a_lost_race_names_the_winner(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        app.user("bob@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let (one, two) = (lead(&app, s, None, "Pool One").await, lead(&app, s, None, "Pool Two").await);
        into_pool(&app, &[one, two]).await;
        let (ana, bob) = (Browser::new(&app), Browser::new(&app));
        let ana_csrf = ana.sign_in("ana@acme.test").await;
        let bob_csrf = bob.sign_in("bob@acme.test").await;
        let (one, two) = (one.to_string(), two.to_string());
        let won = ana.htmx_post("/leads/move", &ana_csrf, &[("action", "claim"), ("id", &one), ("id", &two), ("pool", "yes")]).await;
        assert_eq!(won.status, StatusCode::OK, "{}", won.html);
        assert!(won.html.contains("Claimed 2 of 2 leads."), "{}", won.html);
        assert!(won.html.contains(&format!(r##"<hx-partial hx-target="#lead-{one}" hx-swap="outerHTML"><tr id="lead-{one}" class="leaving">"##)), "a claimed row leaves the pool view: {}", won.html);
        assert!(won.html.contains("✓ Claimed — it is in your leads now"));
        let mine = ana.get("/leads").await.html;
        assert!(mine.contains("Pool One") && mine.contains("Pool Two"), "both are in her own list now");
        let lost = bob.htmx_post("/leads/move", &bob_csrf, &[("action", "claim"), ("id", &one), ("pool", "yes")]).await;
        assert_eq!(lost.status, StatusCode::OK);
        assert!(lost.html.contains("Claimed 0 of 1 lead."), "{}", lost.html);
        assert!(lost.html.contains(&format!(r##"<hx-partial hx-target="#lead-{one} > td.result" hx-swap="innerHTML"><span class="outcome refused">Already claimed by ana</span>"##)), "{}", lost.html);
        let pool = bob.get("/leads?pool=yes").await.html;
        assert!(!pool.contains("Pool One") && !pool.contains("Pool Two"), "gone from everyone else's pool: {pool}");
        let nothing = bob.htmx_post("/leads/move", &bob_csrf, &[("action", "claim")]).await;
        assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nothing.html.contains("Tick the leads first"));
    }
}

app_test! {
    async fn without_htmx_a_move_answers_with_a_page_of_results(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let pooled = lead(&app, s, None, "Pool One").await;
        into_pool(&app, &[pooled]).await;
        let browser = Browser::new(&app);
        let csrf = browser.sign_in("ana@acme.test").await;
        let id = pooled.to_string();
        let page = browser.post("/leads/move", &[("action", "claim"), ("id", &id), ("csrf", &csrf)]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("<html") && !page.html.contains("<hx-partial"), "{}", page.html);
        assert!(page.html.contains("Pool One") && page.html.contains("✓ Claimed"));
        assert!(page.html.contains(&format!("<td data-label=\"Owner\">{}</td>", ana.user.name)), "{}", page.html);
    }
}

app_test! {
    async fn the_detail_page_shows_the_lead_and_its_timeline_newest_first(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let id = lead(&app, s, Some(ana.user.id.get()), "Carla Mendes").await;
        let statuses = app.get("/api/v1/statuses", &app.admin.token).await;
        let working = statuses.body["items"].as_array().and_then(|i| i.iter().find(|s| s["name"] == "Working")).map(|s| s["id"].clone()).unwrap_or(Value::Null);
        let changed = app.patch(&format!("/api/v1/leads/{id}"), &ana.token, json!({ "status_id": working, "reason": "called back, wants a viewing", "tags": ["vip"] })).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        let browser = Browser::new(&app);
        browser.sign_in("ana@acme.test").await;
        let page = browser.get(&format!("/leads/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = &page.html;
        assert!(html.contains("<h1>Carla Mendes</h1>") && html.contains("mailto:carla.mendes@example.com"), "{html}");
        assert!(html.contains("<dt>Status</dt><dd>Working</dd>") && html.contains(r#"<span class="tag">vip</span>"#), "{html}");
        let updated = html.find("<div class=\"what\">Status changed</div>").unwrap_or(usize::MAX);
        let created = html.find("<div class=\"what\">Created</div>").unwrap_or(0);
        assert!(updated < created, "newest first: {html}");
        assert!(html.contains("called back, wants a viewing") && html.contains("status: New → Working") && html.contains("tags: — → vip"), "{html}");
        assert!(html.contains("· ana</div>"), "the actor by name: {html}");
        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let staff = admin.get(&format!("/leads/{id}")).await.html;
        assert!(staff.contains("<li>source: Website</li>"), "ids on the timeline read as names: {staff}");
        let other = browser.get("/leads/999999").await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        assert!(other.html.contains("does not exist, or it is not yours to see") && other.html.contains("Request id"), "{}", other.html);
        assert_eq!(browser.get("/leads/not-a-number").await.status, StatusCode::NOT_FOUND);
    }
}

app_test! {
    async fn assets_are_embedded_and_cached_for_a_year(app) {
        let browser = Browser::new(&app);
        let login = browser.get("/login").await.html;
        let css = login
            .split_once(r#"<link rel="stylesheet" href=""#)
            .and_then(|(_, r)| r.split_once('"'))
            .map(|(u, _)| u.to_owned())
            .unwrap_or_default();
        assert!(css.starts_with("/assets/app.") && css.ends_with(".css"), "{css}");
        let res = browser.http.get(format!("{}{css}", app.base)).send().await.expect("get the stylesheet");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("public, max-age=31536000, immutable"));
        assert!(res.text().await.unwrap_or_default().contains("@media"));
        let htmx = login.split_once(r#"<script src="/assets/htmx."#).map(|(_, r)| r.split_once('"').map(|(u, _)| format!("/assets/htmx.{u}")).unwrap_or_default()).unwrap_or_default();
        let js = browser.get(&htmx).await;
        assert_eq!(js.status, StatusCode::OK);
        assert!(js.html.contains("version=\"4.0.1\""), "htmx 4 is served");
        assert_eq!(browser.get("/assets/app.0000000000000000.css").await.status, StatusCode::NOT_FOUND);
    }
}

app_test! {
    async fn an_agent_rejects_with_a_reason_and_an_admin_assigns_the_lead_on(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let id = lead(&app, s, Some(ana.user.id.get()), "Carla Mendes").await.to_string();
        let browser = Browser::new(&app);
        let csrf = browser.sign_in("ana@acme.test").await;
        let list = browser.get("/leads").await.html;
        let reason = list
            .split_once(r#"<select id="reject-reason" name="reason_id"><option value=""#)
            .and_then(|(_, r)| r.split_once('"'))
            .map(|(v, _)| v.to_owned())
            .unwrap_or_else(|| panic!("no rejection reasons offered: {list}"));
        let no_reason = browser.htmx_post("/leads/move", &csrf, &[("action", "reject"), ("id", &id), ("reason_id", "")]).await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_reason.html);
        let given = browser.htmx_post("/leads/move", &csrf, &[("action", "reject"), ("id", &id), ("reason_id", &reason), ("note", "wrong area"), ("pool", "no")]).await;
        assert_eq!(given.status, StatusCode::OK, "{}", given.html);
        assert!(given.html.contains("Gave back 1 of 1 lead."), "{}", given.html);
        assert!(given.html.contains(&format!(r#"<tr id="lead-{id}" class="leaving">"#)) && given.html.contains("✓ Given back to the pool"), "it leaves her own list: {}", given.html);
        assert!(given.html.contains(r#"<span class="badge">Lead Pool</span>"#));
        let again = browser.htmx_post("/leads/move", &csrf, &[("action", "claim"), ("id", &id), ("pool", "yes")]).await;
        assert!(again.html.contains("You gave this lead back; you may claim it again from"), "{}", again.html);
        let admin = Browser::new(&app);
        let admin_csrf = admin.sign_in("admin@acme.test").await;
        let timeline = admin.get(&format!("/leads/{id}")).await.html;
        assert!(timeline.contains(r#"<div class="what">Rejected</div>"#) && timeline.contains("wrong area"), "{timeline}");
        let bob_id = bob.user.id.to_string();
        let assigned = admin.htmx_post("/leads/move", &admin_csrf, &[("action", "assign"), ("id", &id), ("agent", &bob_id), ("reason", "bob covers that area"), ("pool", "yes")]).await;
        assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.html);
        assert!(assigned.html.contains("✓ Assigned to bob") && assigned.html.contains(r#"<td data-label="Owner">bob</td>"#), "{}", assigned.html);
        assert!(assigned.html.contains("class=\"leaving\""), "it leaves the pool view it was assigned from");
    }
}

/// Sends a lead in through the source's intake key; returns its id.
async fn arrives(app: &TestApp, key: &str, name: &str) -> i64 {
    let a = app.intake(key, json!({ "name": name })).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["lead"]["id"].as_i64().unwrap_or_default()
}

async fn owner_of(app: &TestApp, lead: i64) -> Value {
    app.get(&format!("/api/v1/leads/{lead}"), &app.admin.token)
        .await
        .body["owner"]
        .clone()
}

app_test! {
    async fn the_offers_page_is_for_agents_and_the_queue_for_admins_and_isas(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        app.user("isa@acme.test", Role::Isa, &[]).await;
        let stranger = Browser::new(&app);
        assert_eq!(stranger.get("/offers").await.header("location"), "/login?next=%2Foffers");
        assert_eq!(stranger.get("/queue").await.header("location"), "/login?next=%2Fqueue");

        let ana = Browser::new(&app);
        ana.sign_in("ana@acme.test").await;
        let offers = ana.get("/offers").await;
        assert_eq!(offers.status, StatusCode::OK, "{}", offers.html);
        assert!(offers.html.contains("<h1>Offers</h1>") && offers.html.contains("No offers right now"), "{}", offers.html);
        assert!(offers.html.contains(r#"<a href="/offers">Offers<span id="offer-count""#) && !offers.html.contains(r#"href="/queue""#), "the nav leads agents to their offers, with the open count: {}", offers.html);
        assert!(offers.html.contains(r#"data-live="/live""#) && offers.html.contains("/assets/live."), "signed-in pages listen to the live stream: {}", offers.html);
        let queue = ana.get("/queue").await;
        assert_eq!(queue.status, StatusCode::FORBIDDEN);
        assert!(queue.html.contains("only admins and ISAs may work the manual assignment queue"), "{}", queue.html);

        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let queue = admin.get("/queue").await;
        assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
        assert!(queue.html.contains("<h1>Assignment queue</h1>") && queue.html.contains("The queue is empty"), "{}", queue.html);
        assert!(queue.html.contains(r#"<a href="/queue">Queue</a>"#) && !queue.html.contains(r#"href="/offers""#));
        let offers = admin.get("/offers").await;
        assert_eq!(offers.status, StatusCode::FORBIDDEN);
        assert!(offers.html.contains("Offers are for agents"), "{}", offers.html);
        let isa = Browser::new(&app);
        isa.sign_in("isa@acme.test").await;
        assert_eq!(isa.get("/queue").await.status, StatusCode::OK);
        assert_eq!(isa.get("/offers").await.status, StatusCode::FORBIDDEN);
    }
}

app_test! {
    async fn the_queue_counts_its_leads_and_its_picker_says_who_is_paused_or_at_cap(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let capped = app.patch(&format!("/api/v1/users/{}", ana.user.id), &app.admin.token, json!({ "max_new_leads": 1 })).await;
        assert_eq!(capped.status, StatusCode::OK, "{}", capped.body);
        let paused = app.request(reqwest::Method::PUT, &format!("/api/v1/users/{}/pause", bob.user.id), Some(&app.admin.token), Some(json!({ "paused": true }))).await;
        assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
        let (_, key) = app.source("Website").await;
        let (first, second, third) = (arrives(&app, &key, "Ada").await, arrives(&app, &key, "Ben").await, arrives(&app, &key, "Cal").await);
        let assigned = app.post("/api/v1/leads/assign", &app.admin.token, json!({ "lead_ids": [first], "agent_id": ana.user.id.get() })).await;
        assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);

        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let queue = admin.get("/queue").await;
        assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
        assert!(queue.html.contains("2 leads waiting, the longest waiting first."), "{}", queue.html);
        assert!(queue.html.contains(r#"<select id="assign-agent" name="agent" required><option value="" selected>Pick an agent</option>"#), "nobody is preselected: {}", queue.html);
        assert!(queue.html.contains(&format!(r#"<option value="{}">ana — 1 open lead, at cap: 1 of 1 new</option>"#, ana.user.id)), "{}", queue.html);
        assert!(queue.html.contains(&format!(r#"<option value="{}">bob — paused, 0 open leads</option>"#, bob.user.id)), "{}", queue.html);
        let (at_second, at_third) = (queue.html.find(&format!(r#"id="queued-{second}""#)), queue.html.find(&format!(r#"id="queued-{third}""#)));
        assert!(at_second.is_some() && at_second < at_third, "the longest waiting first, as the Waiting since column says: {}", queue.html);
        assert!(queue.html.contains("<th scope=\"col\">Waiting since</th>"), "{}", queue.html);
    }
}

app_test! {
    async fn an_agent_accepts_an_offer_on_the_page_and_the_loser_of_the_race_is_told_who_won(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let g = app.group("buyers", &[ana.user.id, bob.user.id]).await;
        app.rule("Website broadcast", Conditions::default(), plan(Strategy::Broadcast, Some(g), Some(300), Fallback::Queue)).await;
        let (_, key) = app.source("Website").await;
        let lead = arrives(&app, &key, "Carla Mendes").await;
        let (offer, _, pin) = app.offers_of(&ana).await.first().cloned().expect("an offer for ana");

        let (ana_browser, bob_browser) = (Browser::new(&app), Browser::new(&app));
        ana_browser.sign_in("ana@acme.test").await;
        let bob_csrf = bob_browser.sign_in("bob@acme.test").await;
        let page = ana_browser.get("/offers").await;
        assert_eq!(page.status, StatusCode::OK);
        let row = page.html.split_once(&format!(r#"<tr id="offer-{offer}">"#)).map(|(_, r)| r).unwrap_or_else(|| panic!("no row: {}", page.html));
        assert!(row.contains("<strong>Carla Mendes</strong>") && row.contains("<td data-label=\"Rule\">Website broadcast</td>"), "{row}");
        assert!(row.contains(&format!("<code>{pin}</code>")) && row.contains("Everyone at once") && row.contains("5 min left"), "{row}");
        assert!(row.contains(&format!(r#"hx-post="/offers/{offer}/accept""#)) && row.contains(&format!(r#"hx-post="/offers/{offer}/decline""#)), "{row}");

        let won = bob_browser.htmx_post(&format!("/offers/{offer}/accept"), &bob_csrf, &[]).await;
        assert_eq!(won.status, StatusCode::OK, "{}", won.html);
        assert!(!won.html.contains("<html") && won.html.contains("Carla Mendes is yours now."), "{}", won.html);
        assert!(won.html.contains(&format!(r##"<hx-partial hx-target="#offer-{offer}" hx-swap="outerHTML"><tr id="offer-{offer}" class="leaving">"##)), "the answered row leaves the page: {}", won.html);
        assert!(won.html.contains(&format!(r#"<a href="/leads/{lead}">Carla Mendes</a>"#)) && won.html.contains("✓ Accepted — it is in your leads now"), "{}", won.html);
        assert_eq!(owner_of(&app, lead).await["user_id"], bob.user.id.get());
        let why = bob_browser.get(&format!("/leads/{lead}")).await.html;
        assert!(why.contains("<h2>Why here?</h2>") && !why.contains("<dt>Answer by</dt>") && why.contains("Over: the timeline says") && !why.contains("being offered"),
            "an accepted offer is not shown as still running (issue 18, defect 3): {why}");

        let ana_csrf = ana_browser.get("/offers").await.csrf();
        let lost = ana_browser.htmx_post(&format!("/offers/{offer}/accept"), &ana_csrf, &[]).await;
        assert_eq!(lost.status, StatusCode::OK, "a lost race is an answer, not an error page: {}", lost.html);
        assert!(lost.html.contains(&format!(r##"<hx-partial hx-target="#offer-{offer} > td.result" hx-swap="innerHTML"><span class="outcome refused">bob took this lead first</span>"##)), "{}", lost.html);
        assert!(lost.html.contains(&format!(r##"<hx-partial hx-target="#offer-{offer} > td.actions" hx-swap="innerHTML">"##)), "the buttons go: {}", lost.html);
        assert!(lost.html.contains("bob took this lead first.") && !lost.html.contains(&format!("Offer #{offer}")), "no internal id (issue 18, defect 4): {}", lost.html);
        assert!(!ana_browser.get("/offers").await.html.contains("Carla Mendes"), "the offer is gone from her page");

        // Without htmx a decline answers with a page; a broadcast stays open to the others.
        let next = arrives(&app, &key, "Diego Alves").await;
        let (offer, _, _) = app.offers_of(&ana).await.into_iter().find(|o| o.1 == next).unwrap_or_else(|| panic!("no offer of {next}"));
        let declined = ana_browser.post(&format!("/offers/{offer}/decline"), &[("csrf", &ana_csrf)]).await;
        assert_eq!(declined.status, StatusCode::OK, "{}", declined.html);
        assert!(declined.html.contains("<html") && declined.html.contains("You declined Diego Alves.") && declined.html.contains("Declined — it moves on without you"), "{}", declined.html);
        assert!(bob_browser.get("/offers").await.html.contains("Diego Alves"), "bob may still take it");
        let forged = ana_browser.post(&format!("/offers/{offer}/accept"), &[]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "answers need the session's token");
    }
}

app_test! {
    async fn a_paused_agent_is_passed_over_until_they_resume_from_the_offers_page(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let g = app.group("line", &[ana.user.id, bob.user.id]).await;
        app.rule("Zillow rotation", Conditions::default(), plan(Strategy::RoundRobin, Some(g), Some(300), Fallback::Queue)).await;
        let (_, key) = app.source("Zillow").await;
        let browser = Browser::new(&app);
        let csrf = browser.sign_in("ana@acme.test").await;
        assert!(browser.get("/offers").await.html.contains(r#"<input type="hidden" name="paused" value="yes">"#));
        let paused = browser.post("/offers/pause", &[("paused", "yes"), ("csrf", &csrf)]).await;
        assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.html);
        assert_eq!(paused.header("location"), "/offers");
        let page = browser.get("/offers").await.html;
        assert!(page.contains("You are <strong>paused</strong>") && page.contains("Resume taking leads"), "{page}");

        let lead = arrives(&app, &key, "Carla Mendes").await;
        assert!(app.offers_of(&ana).await.is_empty(), "a paused agent is passed over");
        assert_eq!(app.offers_of(&bob).await.first().map(|o| o.1), Some(lead));
        browser.post("/offers/pause", &[("paused", "no"), ("csrf", &csrf)]).await;
        assert!(browser.get("/offers").await.html.contains("You are taking leads"));
        let next = arrives(&app, &key, "Diego Alves").await;
        assert_eq!(app.offers_of(&ana).await.first().map(|o| o.1), Some(next), "back in line");
    }
}

app_test! {
    async fn the_queue_says_why_each_lead_waits_and_assigns_them_answering_per_row(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let (_, key) = app.source("Website").await;
        let mut ids = Vec::new();
        for name in ["Carla Mendes", "Diego Alves", "Eva Braun"] {
            ids.push(arrives(&app, &key, name).await);
        }
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let page = admin.get("/queue").await.html;
        for id in &ids {
            assert!(page.contains(&format!(r#"<input type="checkbox" name="id" value="{id}" form="assign""#)), "{page}");
        }
        assert!(page.contains("<td data-label=\"Why here\">no rule matched: sent to the manual assignment queue</td>"), "{page}");
        assert!(page.contains(&format!(r#"<option value="{}">ana — 0 open leads</option>"#, ana.user.id)), "{page}");
        assert!(!page.contains("Load more"), "one page holds them all");

        let agent = ana.user.id.to_string();
        let (one, two) = (ids[0].to_string(), ids[1].to_string());
        let form = [("id", one.as_str()), ("id", two.as_str()), ("id", "999999"), ("agent", agent.as_str()), ("reason", "ana covers the west side")];
        let assigned = admin.htmx_post("/queue/assign", &csrf, &form).await;
        assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.html);
        assert!(assigned.html.contains("Assigned 2 of 3 leads to ana. Each lead that was not says why in its row."), "{}", assigned.html);
        assert!(assigned.html.contains(&format!(r##"<hx-partial hx-target="#queued-{one}" hx-swap="outerHTML"><tr id="queued-{one}" class="leaving">"##)), "{}", assigned.html);
        assert!(assigned.html.contains("✓ Assigned to ana"));
        assert!(assigned.html.contains(r##"<hx-partial hx-target="#queue-size" hx-swap="innerHTML">1 lead waiting, the longest waiting first.</hx-partial>"##), "the count over the queue is recounted: {}", assigned.html);
        assert!(assigned.html.contains(r##"<hx-partial hx-target="#queued-999999 > td.result" hx-swap="innerHTML"><span class="outcome refused">No such lead, or you can no longer see it</span>"##), "{}", assigned.html);
        assert_eq!(owner_of(&app, ids[0]).await["user_id"], ana.user.id.get());
        assert_eq!(owner_of(&app, ids[1]).await["user_id"], ana.user.id.get());
        let timeline = admin.get(&format!("/leads/{one}")).await.html;
        assert!(timeline.contains("ana covers the west side"), "the reason is on the timeline: {timeline}");

        let left = admin.get("/queue").await.html;
        assert!(!left.contains("Carla Mendes") && !left.contains("Diego Alves") && left.contains("Eva Braun"), "{left}");
        let nothing = admin.htmx_post("/queue/assign", &csrf, &[("agent", agent.as_str())]).await;
        assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nothing.html.contains("Tick the leads first"), "{}", nothing.html);

        // Without scripts the answer is a page of its own: refused leads are named where the
        // viewer still sees them (issue 18, defect 4: it said "Lead #12").
        let eva = ids[2].to_string();
        let form = [("csrf", csrf.as_str()), ("id", one.as_str()), ("id", eva.as_str()), ("id", "999999"), ("agent", agent.as_str())];
        let plain = admin.post("/queue/assign", &form).await;
        assert_eq!(plain.status, StatusCode::OK, "{}", plain.html);
        assert!(plain.html.contains("Assigned 1 of 3 leads to ana."), "{}", plain.html);
        assert!(plain.html.contains(&format!(r#"<a href="/leads/{one}">Carla Mendes</a>"#)), "a refused lead the admin sees is named: {}", plain.html);
        assert!(plain.html.contains("A lead you can no longer see") && !plain.html.contains("Lead #"), "{}", plain.html);
    }
}

app_test! {
    async fn the_queue_pages_oldest_first_with_load_more(app) {
        let (_, key) = app.source("Website").await;
        for i in 0..51 {
            arrives(&app, &key, &format!("Queued {i:02}")).await;
        }
        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let first = admin.get("/queue").await.html;
        assert_eq!(first.matches(r#"name="id""#).count(), 50);
        assert!(first.contains("Queued 00") && first.contains("Queued 49") && !first.contains("Queued 50"));
        let (page, rows) = first
            .split_once(r#"<a class="button" href=""#)
            .and_then(|(_, r)| r.split_once(r#"" hx-get=""#))
            .and_then(|(page, r)| r.split_once('"').map(|(rows, _)| (page.to_owned(), rows.to_owned())))
            .unwrap_or_else(|| panic!("no Load more in {first}"));
        let rest = admin.htmx_get(&rows).await;
        assert_eq!(rest.status, StatusCode::OK);
        assert!(rest.html.contains("Queued 50") && !rest.html.contains("Queued 49") && !rest.html.contains("Load more"), "{}", rest.html);
        let next = admin.get(&page).await.html;
        assert!(next.contains("<html") && next.contains("Queued 50") && next.contains(r#"<a href="/queue">First page</a>"#), "{next}");
        assert_eq!(admin.get("/queue?after=soon").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

app_test! {
    async fn the_lead_page_explains_its_routing_and_staff_reassign_it_or_cancel_its_offer(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let carl = app.user("carl@acme.test", Role::Agent, &[]).await;
        app.user("isa@acme.test", Role::Isa, &[]).await;
        let g = app.group("line", &[ana.user.id, bob.user.id]).await;
        app.rule("web", Conditions::default(), plan(Strategy::RoundRobin, Some(g), Some(300), Fallback::Queue)).await;
        let closers = app.group("closers", &[carl.user.id]).await;
        app.reassignment("Second look", &plan(Strategy::RoundRobin, Some(closers), Some(300), Fallback::Agent { user_id: carl.user.id })).await;
        let paused = app.request(reqwest::Method::PUT, "/api/v1/me/pause", Some(&ana.token), Some(json!({ "paused": true }))).await;
        assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
        let (_, key) = app.source("Website").await;
        let lead = arrives(&app, &key, "Carla Mendes").await;
        // The lead's own page carries the panel (and /routing shows it alone).
        let path = format!("/leads/{lead}");

        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let page = admin.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        let html = &page.html;
        assert!(html.contains("<h1>Carla Mendes</h1>") && html.contains("being offered to agents by web"), "{html}");
        assert!(!html.contains("Re-assign in progress"), "a rule's offer is no reassignment: {html}");
        assert!(html.contains("<h2>Why here?</h2>") && html.contains("<p class=\"summary\">rule &#34;web&#34;: "), "{html}");
        assert!(html.contains("offered to bob until 2026-11-25 09:05 UTC") && !html.contains("09:05:00Z"), "times read alike (issue 18, defect 5): {html}");
        assert!(html.contains("<dt>Could get it</dt><dd>bob</dd>") && html.contains("<li>ana: paused</li>"), "the excluded member and why: {html}");
        assert!(html.contains(&format!(r#"action="/leads/{lead}/cancel-offer""#)) && !html.contains("Send to a reassignment group"), "{html}");
        let isa = Browser::new(&app);
        isa.sign_in("isa@acme.test").await;
        let isa_page = isa.get(&path).await.html;
        assert!(isa_page.contains("being offered to agents by web") && !isa_page.contains("Cancel offer"), "only admins cancel: {isa_page}");

        let cancelled = admin.post(&format!("/leads/{lead}/cancel-offer"), &[("csrf", &csrf)]).await;
        assert_eq!(cancelled.status, StatusCode::SEE_OTHER, "{}", cancelled.html);
        assert_eq!(cancelled.header("location"), path);
        assert_eq!(owner_of(&app, lead).await["kind"], "queue");
        let page = admin.get(&path).await.html;
        assert!(!page.contains("being offered") && page.contains(">Second look</option>"), "{page}");
        assert!(!page.contains("<dt>Answer by</dt>") && page.contains("Over: the timeline says"), "the cancelled offer's deadline is not shown as running: {page}");
        let group = page
            .split_once(r#"<select id="reassign-group" name="group"><option value=""#)
            .and_then(|(_, r)| r.split_once('"'))
            .map(|(v, _)| v.to_owned())
            .unwrap_or_else(|| panic!("no reassignment groups offered: {page}"));

        let sent = admin.post(&format!("/leads/{lead}/reassign"), &[("group", &group), ("csrf", &csrf)]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
        assert_eq!(owner_of(&app, lead).await["kind"], "offer");
        assert_eq!(app.offers_of(&carl).await.first().map(|o| o.1), Some(lead));
        let page = admin.get(&path).await.html;
        assert!(page.contains("Re-assign in progress") && page.contains("reassignment group &#34;Second look&#34;: "), "{page}");
        let again = admin.post(&format!("/leads/{lead}/reassign"), &[("group", &group), ("csrf", &csrf)]).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.html.contains("re-assign in progress"), "{}", again.html);

        let bob_browser = Browser::new(&app);
        bob_browser.sign_in("bob@acme.test").await;
        assert_eq!(bob_browser.get(&path).await.status, StatusCode::NOT_FOUND, "not his lead");
        let bobs = arrives(&app, &key, "Diego Alves").await;
        let (offer, _, _) = app.offers_of(&bob).await.into_iter().find(|o| o.1 == bobs).expect("an offer of bob's lead");
        app.post(&format!("/api/v1/offers/{offer}/accept"), &bob.token, json!({})).await;
        let own = bob_browser.get(&format!("/leads/{bobs}/routing")).await.html;
        assert!(own.contains("<h2>Why here?</h2>") && !own.contains("Send to a reassignment group") && !own.contains("Cancel offer"), "agents read why, without the staff's actions: {own}");
    }
}

app_test! {
    async fn an_all_leads_agents_list_is_not_called_theirs_and_unknown_pages_are_friendly(app) {
        app.user("all@acme.test", Role::AllLeadsAgent, &[]).await;
        let browser = Browser::new(&app);
        browser.sign_in("all@acme.test").await;
        let list = browser.get("/leads").await;
        assert!(list.html.contains("<h1>Leads</h1>"), "{}", list.html);

        let html = Browser::answer(browser.http.get(format!("{}/admin", app.base)).header("accept", "text/html,application/xhtml+xml")).await;
        assert_eq!(html.status, StatusCode::NOT_FOUND);
        assert!(html.html.contains("<html") && html.html.contains("There is no page at this address"), "{}", html.html);
        assert!(html.header("content-security-policy").contains("script-src 'self'"), "the page carries the UI's headers");
        assert!(html.html.contains(r#"<nav class="crumbs""#) && html.html.contains("Sign out"), "a signed-in person keeps their header and navigation: {}", html.html);
        let refused = Browser::answer(browser.http.get(format!("{}/settings/people", app.base)).header("accept", "text/html")).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.html.contains("<h1>Not allowed</h1>") && refused.html.contains(r#"<nav class="crumbs""#), "a refusal keeps them too: {}", refused.html);
        let stranger = Browser::new(&app);
        let signed_out = Browser::answer(stranger.http.get(format!("{}/admin", app.base)).header("accept", "text/html")).await;
        assert_eq!(signed_out.status, StatusCode::NOT_FOUND);
        assert!(signed_out.html.contains("There is no page at this address") && !signed_out.html.contains("Sign out"), "nobody signed in, no navigation: {}", signed_out.html);
        let api = Browser::answer(browser.http.get(format!("{}/api/v1/admin", app.base)).header("accept", "text/html")).await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        let body: Value = serde_json::from_str(&api.html).expect("the API answers JSON");
        assert_eq!(body["error"]["code"], "not_found");
        let client = Browser::answer(browser.http.get(format!("{}/admin", app.base))).await;
        assert_eq!(client.status, StatusCode::NOT_FOUND);
        assert!(client.html.starts_with('{'), "a client not asking for HTML gets JSON: {}", client.html);
    }
}

app_test! {
    async fn claiming_a_lead_one_holds_says_so_and_keeps_its_row_usable(app) {
        // Issue 18, defect 1: a lead of one's own that never was in a pool read "You can no
        // longer see this lead" and lost its checkbox.
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let s = source(&app).await;
        let mine = lead(&app, s, Some(ana.user.id.get()), "Own Lead").await.to_string();
        let browser = Browser::new(&app);
        let csrf = browser.sign_in("ana@acme.test").await;
        let again = browser.htmx_post("/leads/move", &csrf, &[("action", "claim"), ("id", &mine)]).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.html);
        assert!(again.html.contains(&format!(r##"<hx-partial hx-target="#lead-{mine} > td.result" hx-swap="innerHTML"><span class="outcome refused">You already hold this lead</span>"##)), "{}", again.html);
        assert!(!again.html.contains(&format!("#lead-{mine} > td.pick")), "the row keeps its checkbox: {}", again.html);
    }
}
