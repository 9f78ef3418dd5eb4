//! Settings → Time as a browser posts it: a calendar added from the weekly grid, described
//! in words on its own clocks, given holidays whole and partial, edited, made the default,
//! its deadline previewed against the fake clock, and deleted (or refused while it is the
//! default); bad input said on the page with 422, and agents kept out.

use leadpool_domain::Role;
use leadpool_testkit::{TestApp, app_test};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ui::Browser;

/// The organization's calendars as the API lists them.
async fn calendars(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/calendars", &app.admin.token).await.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The calendar named `name`, as the API shows it.
async fn calendar(app: &TestApp, name: &str) -> Value {
    calendars(app)
        .await
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no calendar {name}"))
}

/// The grid's fields of Monday to Friday.
const WEEKDAYS: [[&str; 3]; 5] = [
    ["mon_open", "mon_from", "mon_to"],
    ["tue_open", "tue_from", "tue_to"],
    ["wed_open", "wed_from", "wed_to"],
    ["thu_open", "thu_from", "thu_to"],
    ["fri_open", "fri_from", "fri_to"],
];

/// A calendar's form: open Monday to Friday from `from` to `to`, plus `extra` fields.
fn weekdays<'a>(
    name: &'a str,
    zone: &'a str,
    from: &'a str,
    to: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("name", name), ("time_zone", zone)];
    for [open, f, t] in WEEKDAYS {
        form.extend([(open, "yes"), (f, from), (t, to)]);
    }
    form.extend_from_slice(extra);
    form
}

app_test! {
    async fn an_admin_adds_describes_edits_defaults_previews_and_deletes_calendars_from_the_page(app) {
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let hub = admin.get("/settings").await;
        assert!(hub.html.contains(r#"<a href="/settings/time">Time</a>"#), "{}", hub.html);
        let empty = admin.get("/settings/time").await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.html);
        assert!(empty.html.contains("No calendars yet") && empty.html.contains("The first calendar added becomes the default"), "{}", empty.html);

        let saturday = [("sat_open", "yes"), ("sat_from", "10:00"), ("sat_to", "14:00")];
        let added = admin.htmx_post("/settings/time", &csrf, &weekdays("New York office", "America/New_York", "09:00", "17:00", &saturday)).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.html);
        assert!(added.html.trim_start().starts_with(r#"<div id="settings""#), "htmx gets the section alone: {}", added.html);
        assert!(added.html.contains("Calendar “New York office” added. It is the organization&#39;s default: rules and pools that name no calendar count"),
            "the first calendar becoming the default is said: {}", added.html);
        assert!(added.html.contains(r#"New York office <span class="badge">default</span>"#), "{}", added.html);
        assert!(added.html.contains("Mon–Fri 09:00–17:00, Sat 10:00–14:00 (America/New_York)"), "{}", added.html);
        let ny = calendar(&app, "New York office").await;
        assert_eq!((ny["hours"].clone(), ny["is_default"].clone()), (json!("mon-fri 09:00-17:00; sat 10:00-14:00"), json!(true)), "{ny}");
        let ny = ny["id"].as_i64().expect("a calendar id");

        // The fake clock stands at Wednesday 2026-11-25 09:00 UTC, 04:00 in New York.
        assert!(added.html.contains("A lead arriving now (Wed 25 Nov 2026, 04:00 EST) with a 15-minute window would have until Wed 25 Nov 2026, 09:15 EST (America/New_York)."), "{}", added.html);

        let thanksgiving = admin.htmx_post(&format!("/settings/time/{ny}/holidays"), &csrf, &[("date", "2026-11-26"), ("closed", "yes")]).await;
        assert_eq!(thanksgiving.status, StatusCode::OK, "{}", thanksgiving.html);
        assert!(thanksgiving.html.contains("Holiday added to “New York office”: Thu 26 Nov 2026, closed all day."), "{}", thanksgiving.html);
        let eve = admin.htmx_post(&format!("/settings/time/{ny}/holidays"), &csrf,
            &[("date", "2026-12-24"), ("closed", "no"), ("from", "09:00"), ("to", "12:00")]).await;
        assert!(eve.html.contains("Thu 24 Dec 2026, open only 09:00–12:00"), "{}", eve.html);
        assert_eq!(calendar(&app, "New York office").await["holidays"], json!(["2026-11-26", "2026-12-24 09:00-12:00"]));

        // Nine open hours from now: Wednesday 09:00-17:00, the Thursday holiday, then Friday 09:00-10:00.
        let preview = admin.htmx_post(&format!("/settings/time/{ny}/preview"), &csrf, &[("window_amount", "9"), ("window_unit", "hours")]).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
        assert!(preview.html.contains("A lead arriving now (Wed 25 Nov 2026, 04:00 EST) with a 9-hour window would have until Fri 27 Nov 2026, 10:00 EST (America/New_York)."), "{}", preview.html);
        app.clock.advance(std::time::Duration::from_secs(6 * 3600));
        let later = admin.get("/settings/time").await;
        assert!(later.html.contains("A lead arriving now (Wed 25 Nov 2026, 10:00 EST) with a 15-minute window would have until Wed 25 Nov 2026, 10:15 EST"), "now is the clock's: {}", later.html);

        let edited = admin.htmx_post(&format!("/settings/time/{ny}"), &csrf,
            &weekdays("New York office", "America/New_York", "08:00", "16:00", &[("is_default", "yes")])).await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.html);
        assert!(edited.html.contains("Calendar “New York office” saved.") && edited.html.contains("Mon–Fri 08:00–16:00 (America/New_York)"), "{}", edited.html);
        let ny_now = calendar(&app, "New York office").await;
        assert_eq!((ny_now["hours"].clone(), ny_now["holidays"].clone()), (json!("mon-fri 08:00-16:00"), json!(["2026-11-26", "2026-12-24 09:00-12:00"])), "holidays are kept");
        let removed = admin.htmx_post(&format!("/settings/time/{ny}/holidays/remove"), &csrf, &[("date", "2026-12-24")]).await;
        assert!(removed.html.contains("2026-12-24 is no longer a holiday of “New York office”"), "{}", removed.html);
        assert_eq!(calendar(&app, "New York office").await["holidays"], json!(["2026-11-26"]));

        // A second range on Monday, set over the API, survives an edit from the grid.
        let split = app.post("/api/v1/calendars", &app.admin.token,
            json!({ "name": "London", "time_zone": "Europe/London", "hours": "mon 09:00-12:00,13:00-18:00; tue-fri 09:00-17:00" })).await;
        assert_eq!(split.status, StatusCode::CREATED, "{}", split.body);
        let london = split.body["id"].as_i64().expect("a calendar id");
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let rule = app.post("/api/v1/rules", &app.admin.token, json!({ "name": "Everything else", "plan": {
            "strategy": { "kind": "direct_agent", "user_id": ana.user.id.get() } } })).await;
        assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
        let page = admin.get("/settings/time").await;
        assert!(page.html.contains(r#"name="mon_more" value="13:00-18:00""#) && page.html.contains("also open 13:00–18:00 (kept"), "{}", page.html);
        assert!(page.html.contains("Mon 09:00–12:00 and 13:00–18:00, Tue–Fri 09:00–17:00 (Europe/London)"), "{}", page.html);
        assert!(page.html.contains("Rules counting in its hours: “Everything else” (names no calendar, so the default)."), "which calendar a rule uses is said: {}", page.html);
        let made_default = admin.htmx_post(&format!("/settings/time/{london}"), &csrf,
            &[("name", "London"), ("time_zone", "Europe/London"), ("mon_open", "yes"), ("mon_from", "09:00"), ("mon_to", "12:00"),
              ("mon_more", "13:00-18:00"), ("tue_open", "yes"), ("tue_from", "09:00"), ("tue_to", "17:00"), ("is_default", "yes")]).await;
        assert_eq!(made_default.status, StatusCode::OK, "{}", made_default.html);
        assert!(made_default.html.contains("Calendar “London” saved. It is the organization&#39;s default"), "{}", made_default.html);
        assert_eq!(calendar(&app, "London").await["hours"], "mon 09:00-12:00,13:00-18:00; tue 09:00-17:00");
        assert_eq!(calendar(&app, "London").await["is_default"], true);
        assert_eq!(calendar(&app, "New York office").await["is_default"], false, "one default");

        let refused = admin.htmx_post(&format!("/settings/time/{london}/delete"), &csrf, &[]).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
        assert!(refused.html.contains("calendar `London` is the organization&#39;s default; make another calendar the default first")
            && refused.html.contains(r#"class="outcome refused""#), "said in place: {}", refused.html);
        assert!(refused.html.contains(&format!(r#"hx-post="/settings/time/{ny}/delete""#))
            && refused.html.contains("hx-confirm=\"Delete the calendar “New York office”?"), "deleting asks first: {}", refused.html);
        let pools = app.get("/api/v1/pools", &app.admin.token).await;
        let pool = pools.body["items"][0]["id"].as_i64().expect("a pool id");
        let named = app.patch(&format!("/api/v1/pools/{pool}"), &app.admin.token, json!({ "calendar_id": ny })).await;
        assert_eq!(named.status, StatusCode::OK, "{}", named.body);
        let in_use = admin.htmx_post(&format!("/settings/time/{ny}/delete"), &csrf, &[]).await;
        assert_eq!(in_use.status, StatusCode::CONFLICT, "{}", in_use.html);
        assert!(in_use.html.contains("calendar `New York office` counts the reserve time of pool(s)"), "{}", in_use.html);
        let unnamed = app.patch(&format!("/api/v1/pools/{pool}"), &app.admin.token, json!({ "calendar_id": null })).await;
        assert_eq!(unnamed.status, StatusCode::OK, "{}", unnamed.body);
        let deleted = admin.htmx_post(&format!("/settings/time/{ny}/delete"), &csrf, &[]).await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.html);
        assert!(deleted.html.contains("Calendar “New York office” deleted."), "{}", deleted.html);
        assert_eq!(calendars(&app).await.len(), 1);
    }
}

app_test! {
    async fn bad_input_on_the_time_page_is_said_on_it_with_422(app) {
        let admin = Browser::new(&app);
        let csrf = admin.sign_in("admin@acme.test").await;
        let cases = [
            (weekdays("Mars", "Mars/Olympus_Mons", "09:00", "17:00", &[]), "`Mars/Olympus_Mons` is not an IANA time zone"),
            (weekdays("Backwards", "UTC", "17:00", "09:00", &[]), "Monday: `17:00-09:00` ends before it starts"),
            (weekdays("  ", "UTC", "09:00", "17:00", &[]), "name: must not be empty"),
            (weekdays("Half", "UTC", "09:00", "", &[]), "Monday: give the time it opens and the time it closes, or untick it."),
            (vec![("name", "Never"), ("time_zone", "UTC")], "opens on no day of the week"),
        ];
        for (form, said) in cases {
            let answer = admin.htmx_post("/settings/time", &csrf, &form).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{said}: {}", answer.html);
            assert!(answer.html.contains(said) && answer.html.contains(r#"id="settings""#), "{said}: {}", answer.html);
        }
        assert!(calendars(&app).await.is_empty(), "nothing was stored");

        let made = app.post("/api/v1/calendars", &app.admin.token, json!({ "name": "Office", "time_zone": "UTC", "hours": "mon-fri 09:00-17:00", "holidays": ["2026-12-25"] })).await;
        let id = made.body["id"].as_i64().expect("a calendar id");
        let holiday = |fields: Vec<(&'static str, &'static str)>| {
            let (admin, csrf) = (&admin, &csrf);
            async move { admin.htmx_post(&format!("/settings/time/{id}/holidays"), csrf, &fields).await }
        };
        let again = holiday(vec![("date", "2026-12-25"), ("closed", "yes")]).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.html);
        assert!(again.html.contains("2026-12-25 is already a holiday of `Office`"), "{}", again.html);
        let bad_date = holiday(vec![("date", "2026-13-40"), ("closed", "yes")]).await;
        assert_eq!(bad_date.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_date.html);
        assert!(bad_date.html.contains("`2026-13-40` is not a holiday"), "{}", bad_date.html);
        let backwards = holiday(vec![("date", "2026-12-24"), ("closed", "no"), ("from", "12:00"), ("to", "09:00")]).await;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", backwards.html);
        assert!(backwards.html.contains("`12:00-09:00` ends before it starts"), "{}", backwards.html);
        let no_hours = holiday(vec![("date", "2026-12-24"), ("closed", "no")]).await;
        assert!(no_hours.html.contains("Open only: give the time it opens and closes that day"), "{}", no_hours.html);
        assert_eq!(calendar(&app, "Office").await["holidays"], json!(["2026-12-25"]), "nothing was stored");

        let window = admin.htmx_post(&format!("/settings/time/{id}/preview"), &csrf, &[("window_amount", ""), ("window_unit", "minutes")]).await;
        assert_eq!(window.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", window.html);
        assert!(window.html.contains("Window: give how long a lead has"), "{}", window.html);
        let undefault = admin.htmx_post(&format!("/settings/time/{id}"), &csrf, &weekdays("Office", "UTC", "09:00", "17:00", &[])).await;
        assert_eq!(undefault.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", undefault.html);
        assert!(undefault.html.contains("make another calendar the default instead"), "{}", undefault.html);
        let gone = admin.htmx_post("/settings/time/999999/delete", &csrf, &[]).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.html);
        assert!(gone.html.contains("This calendar does not exist") && gone.html.contains(r#"id="settings""#), "{}", gone.html);
    }
}

app_test! {
    async fn agents_and_isas_are_refused_the_time_page_politely(app) {
        app.user("ana@acme.test", Role::Agent, &[]).await;
        app.user("isa@acme.test", Role::Isa, &[]).await;
        for who in ["ana@acme.test", "isa@acme.test"] {
            let b = Browser::new(&app);
            let csrf = b.sign_in(who).await;
            let page = b.get("/settings/time").await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{who}: {}", page.html);
            assert!(page.html.contains("Not allowed") && page.html.contains("only an admin of the whole organization may change calendars"), "{}", page.html);
            let add = b.htmx_post("/settings/time", &csrf, &weekdays("Mine", "UTC", "09:00", "17:00", &[])).await;
            assert_eq!(add.status, StatusCode::FORBIDDEN, "{who}: {}", add.html);
        }
        assert!(calendars(&app).await.is_empty(), "nothing was added");
    }
}
