//! Settings → Statuses as a browser posts it: adding, renaming, reordering and making a
//! status the default, its expiry set in a calendar's hours with a task hold, said in
//! words and removed, shark tanks, bad input said on the page, and agents kept out.

use leadpool_domain::Role;
use leadpool_testkit::{TestApp, app_test};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ui::Browser;

/// The organization's statuses as the API lists them, in order.
async fn statuses(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/statuses", &app.admin.token).await.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The status named `name`, as the API shows it.
async fn status(app: &TestApp, name: &str) -> Value {
    statuses(app)
        .await
        .into_iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no status {name}"))
}

/// The names of the statuses of `category`, in order.
async fn names_in(app: &TestApp, category: &str) -> Vec<String> {
    statuses(app)
        .await
        .into_iter()
        .filter(|s| s["category"] == category)
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect()
}

app_test! {
    async fn an_admin_adds_renames_reorders_and_makes_a_status_the_default_from_the_page(app) {
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let hub = admin.get("/settings").await;
        assert!(hub.html.contains(r#"<a href="/settings/statuses">Statuses</a>"#), "{}", hub.html);
        let page = admin.get("/settings/statuses").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        assert!(page.html.contains("<h2>Contacted</h2>") && page.html.contains(r#"New <span class="badge">default</span>"#), "{}", page.html);

        let added = admin.htmx_post("/settings/statuses", &csrf, &[("name", "Hot"), ("category", "new")]).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.html);
        assert!(added.html.trim_start().starts_with(r#"<div id="settings""#), "htmx gets the section alone: {}", added.html);
        assert!(added.html.contains("Status “Hot” added to New."), "{}", added.html);
        assert_eq!(names_in(&app, "new").await, ["New", "Recycled", "Hot"], "added at the end of its category");
        let twice = admin.htmx_post("/settings/statuses", &csrf, &[("name", "Hot"), ("category", "new")]).await;
        assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.html);
        assert!(twice.html.contains(r#"class="outcome refused""#), "said in place: {}", twice.html);

        let id = status(&app, "Hot").await["id"].as_i64().expect("a status id");
        let renamed = admin.htmx_post(&format!("/settings/statuses/{id}"), &csrf, &[("name", "Hot lead"), ("category", "new")]).await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.html);
        assert!(renamed.html.contains("Status “Hot lead” saved."), "{}", renamed.html);

        let way = |to: &'static str| [("to", to)];
        let moved = admin.htmx_post(&format!("/settings/statuses/{id}/move"), &csrf, &way("up")).await;
        assert!(moved.html.contains("Status “Hot lead” moved up."), "{}", moved.html);
        assert_eq!(names_in(&app, "new").await, ["New", "Hot lead", "Recycled"]);
        admin.htmx_post(&format!("/settings/statuses/{id}/move"), &csrf, &way("up")).await;
        let top = admin.htmx_post(&format!("/settings/statuses/{id}/move"), &csrf, &way("up")).await;
        assert_eq!(top.status, StatusCode::OK, "{}", top.html);
        assert!(top.html.contains("That status is already the first of its category."), "{}", top.html);
        assert_eq!(names_in(&app, "new").await, ["Hot lead", "New", "Recycled"]);
        assert!(!top.html.contains(r#"aria-label="Move Hot lead up""#), "the first has no Up: {}", top.html);
        let down = admin.htmx_post(&format!("/settings/statuses/{id}/move"), &csrf, &way("down")).await;
        assert!(down.html.contains("Status “Hot lead” moved down."), "{}", down.html);
        assert_eq!(names_in(&app, "new").await, ["New", "Hot lead", "Recycled"]);

        let default = admin.htmx_post(&format!("/settings/statuses/{id}"), &csrf,
            &[("name", "Hot lead"), ("category", "working"), ("is_default", "yes"), ("shark_tank", "yes")]).await;
        assert_eq!(default.status, StatusCode::OK, "{}", default.html);
        assert!(default.html.contains(r#"Hot lead <span class="badge">default</span> <span class="tag">shark tank</span>"#), "{}", default.html);
        let hot = status(&app, "Hot lead").await;
        assert_eq!((hot["category"].clone(), hot["is_default"].clone(), hot["shark_tank"].clone()),
            (json!("working"), json!(true), json!(true)), "{hot}");
        assert_eq!(status(&app, "New").await["is_default"], false, "one default");
        let off = admin.htmx_post(&format!("/settings/statuses/{id}"), &csrf,
            &[("name", "Hot lead"), ("category", "working"), ("is_default", "yes")]).await;
        assert!(off.html.contains("Status “Hot lead” saved."), "{}", off.html);
        assert_eq!(status(&app, "Hot lead").await["shark_tank"], false);

        // The API may give two statuses one position; a move still changes what people see.
        let (new, recycled) = (status(&app, "New").await, status(&app, "Recycled").await);
        let tied = app.patch(&format!("/api/v1/statuses/{}", recycled["id"]), &app.admin.token, json!({ "position": new["position"] })).await;
        assert_eq!(tied.status, StatusCode::OK, "{}", tied.body);
        let untied = admin.htmx_post(&format!("/settings/statuses/{}/move", recycled["id"]), &csrf, &way("up")).await;
        assert!(untied.html.contains("Status “Recycled” moved up."), "{}", untied.html);
        assert_eq!(names_in(&app, "new").await, ["Recycled", "New"]);
    }
}

app_test! {
    async fn an_admin_sets_an_expiry_counted_in_a_calendars_hours_sees_it_in_words_and_removes_it(app) {
        let calendar = app.post("/api/v1/calendars", &app.admin.token,
            json!({ "name": "Office hours", "time_zone": "UTC", "hours": "mon-fri 09:00-17:00" })).await;
        assert_eq!(calendar.status, StatusCode::CREATED, "{}", calendar.body);
        let calendar = calendar.body["id"].as_i64().expect("a calendar id").to_string();
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let page = admin.get("/settings/statuses").await;
        assert!(page.html.contains("Open hours of Office hours"), "the calendars are offered: {}", page.html);
        let (working, recycled) = (status(&app, "Working").await, status(&app, "Recycled").await);
        let (working, recycled) = (working["id"].as_i64().expect("an id"), recycled["id"].to_string());

        let set = admin.htmx_post(&format!("/settings/statuses/{working}/expiry"), &csrf, &[
            ("after_amount", "3"), ("after_unit", "days"), ("to_status", recycled.as_str()), ("to_pool", "yes"),
            ("hold", "pending"), ("overdue_amount", ""), ("overdue_unit", "hours"), ("calendar", calendar.as_str()),
        ]).await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.html);
        let words = "after 3 days → Recycled, back to the pool, waits while a task is pending, counted in Office hours";
        assert!(set.html.contains(&format!("Status “Working” now expires {words}.")), "{}", set.html);
        assert!(set.html.contains(&format!(r#"<td data-label="Expires">{words}</td>"#)), "{}", set.html);
        assert!(set.html.contains(&format!(r#"hx-post="/settings/statuses/{working}/expiry/remove""#))
            && set.html.contains("hx-confirm=\"Remove the expiry of “Working”?"), "removing asks first: {}", set.html);
        assert_eq!(status(&app, "Working").await["expiry"], json!({
            "after_seconds": 259_200, "to_status_id": recycled.parse::<i64>().expect("an id"), "to_pool": true,
            "hold_while_task_pending": true, "task_overdue_after_seconds": null,
            "calendar_id": calendar.parse::<i64>().expect("an id"),
        }));

        let overdue = admin.htmx_post(&format!("/settings/statuses/{working}/expiry"), &csrf, &[
            ("after_amount", "12"), ("after_unit", "hours"), ("to_status", recycled.as_str()),
            ("hold", "overdue"), ("overdue_amount", "2"), ("overdue_unit", "hours"), ("calendar", ""),
        ]).await;
        assert!(overdue.html.contains("after 12 hours → Recycled, waits until tasks are overdue by 2 hours, counted in wall-clock time"), "{}", overdue.html);

        let removed = admin.htmx_post(&format!("/settings/statuses/{working}/expiry/remove"), &csrf, &[]).await;
        assert_eq!(removed.status, StatusCode::OK, "{}", removed.html);
        assert!(removed.html.contains("Status “Working” no longer expires"), "{}", removed.html);
        assert_eq!(status(&app, "Working").await["expiry"], Value::Null);
        assert!(!removed.html.contains(&format!("/settings/statuses/{working}/expiry/remove")), "nothing left to remove: {}", removed.html);
    }
}

app_test! {
    async fn bad_input_on_the_statuses_page_is_said_on_it_with_422(app) {
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let empty = admin.htmx_post("/settings/statuses", &csrf, &[("name", "  "), ("category", "new")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.html);
        assert!(empty.html.contains("name: must not be empty") && empty.html.contains(r#"id="settings""#), "{}", empty.html);
        let category = admin.htmx_post("/settings/statuses", &csrf, &[("name", "Odd"), ("category", "someday")]).await;
        assert_eq!(category.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", category.html);
        assert!(category.html.contains("Category: pick one from the list."), "{}", category.html);

        let (working, recycled) = (status(&app, "Working").await["id"].to_string(), status(&app, "Recycled").await["id"].to_string());
        let expiry = |amount: &'static str, to: String| {
            vec![("after_amount", amount.to_owned()), ("after_unit", "hours".to_owned()), ("to_status", to), ("hold", "none".to_owned()), ("calendar", String::new())]
        };
        let post = |fields: Vec<(&'static str, String)>| {
            let (admin, csrf, working) = (&admin, &csrf, &working);
            async move {
                let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                admin.htmx_post(&format!("/settings/statuses/{working}/expiry"), csrf, &form).await
            }
        };
        let zero = post(expiry("0", recycled.clone())).await;
        assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", zero.html);
        assert!(zero.html.contains("must be 1 second to 10 years"), "{}", zero.html);
        let missing = post(expiry("", recycled.clone())).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.html);
        assert!(missing.html.contains("Expires after: give how long a lead may stay."), "{}", missing.html);
        let unknown = post(expiry("3", "999999".to_owned())).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.html);
        assert!(unknown.html.contains("no status 999999 in this organization"), "{}", unknown.html);
        let itself = post(expiry("3", working.clone())).await;
        assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", itself.html);
        assert!(itself.html.contains("a status cannot expire into itself"), "{}", itself.html);
        assert_eq!(status(&app, "Working").await["expiry"], Value::Null, "nothing was stored");

        let undefault = admin.htmx_post(&format!("/settings/statuses/{}", status(&app, "New").await["id"]), &csrf,
            &[("name", "New"), ("category", "new")]).await;
        assert_eq!(undefault.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", undefault.html);
        assert!(undefault.html.contains("make another status the default instead"), "{}", undefault.html);
        let gone = admin.htmx_post("/settings/statuses/999999", &csrf, &[("name", "Ghost"), ("category", "new")]).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.html);
        assert!(gone.html.contains("This status does not exist") && gone.html.contains(r#"id="settings""#), "said on the page: {}", gone.html);
    }
}

app_test! {
    async fn agents_and_isas_are_refused_the_statuses_page_politely(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        app.user("isa@acme.test", Role::Isa, &[]).await;
        let working = status(&app, "Working").await["id"].clone();
        for who in ["ana@acme.test", "isa@acme.test"] {
            let b = Browser::new(&app);
            let csrf = b.sign_in(who).await;
            let page = b.get("/settings/statuses").await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{who}: {}", page.html);
            assert!(page.html.contains("Not allowed") && page.html.contains("only an admin of the whole organization may change statuses"), "{}", page.html);
            let add = b.htmx_post("/settings/statuses", &csrf, &[("name", "Mine"), ("category", "new")]).await;
            assert_eq!(add.status, StatusCode::FORBIDDEN, "{who}: {}", add.html);
            let remove = b.htmx_post(&format!("/settings/statuses/{working}/expiry/remove"), &csrf, &[]).await;
            assert_eq!(remove.status, StatusCode::FORBIDDEN, "{who}: {}", remove.html);
        }
        assert!(statuses(&app).await.iter().all(|s| s["name"] != "Mine"), "nothing was added");
    }
}
