//! The manual assignment queue's order, filters and count (issue 18): the leads in the order
//! they entered the queue, as "Waiting since" says, filtered by source, reason and waiting
//! time in the store, with paging that follows the same order.

use std::time::Duration;

use leadpool_domain::Role;
use leadpool_domain::SourceId;
use leadpool_domain::routing::{Conditions, Fallback, Strategy};
use leadpool_testkit::distribution::plan;
use leadpool_testkit::{TestApp, app_test};
use reqwest::StatusCode;
use serde_json::json;

use crate::ui::Browser;

const HOUR: Duration = Duration::from_secs(3600);

async fn arrives(app: &TestApp, key: &str, name: &str) -> i64 {
    let a = app.intake(key, json!({ "name": name })).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["lead"]["id"].as_i64().unwrap_or_default()
}

/// Where each lead's row starts on the page, in `ids`' order.
fn positions(html: &str, ids: &[i64]) -> Vec<Option<usize>> {
    ids.iter()
        .map(|id| html.find(&format!(r#"id="queued-{id}""#)))
        .collect()
}

/// A queue whose lead order and arrival order differ: Ada arrives first on the Website and
/// is offered to ana; Ben arrives an hour later from Zillow, which no rule routes, and waits
/// in the queue; an hour after that Ada's offer is cancelled and she joins the queue. The
/// clock then stands half an hour later.
async fn ada_and_ben(app: &TestApp) -> (i64, i64, i64) {
    let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
    let (website, web_key) = app.source("Website").await;
    let (zillow, zillow_key) = app.source("Zillow").await;
    let g = app.group("line", &[ana.user.id]).await;
    let web_only = Conditions {
        sources: vec![SourceId::new(website)],
        ..Conditions::default()
    };
    app.rule(
        "web",
        web_only,
        plan(
            Strategy::RoundRobin,
            Some(g),
            Some(3 * 3600),
            Fallback::Queue,
        ),
    )
    .await;
    let ada = arrives(app, &web_key, "Ada Lima").await;
    app.clock.advance(HOUR);
    let ben = arrives(app, &zillow_key, "Ben Costa").await;
    app.clock.advance(HOUR);
    let cancelled = app
        .post(
            &format!("/api/v1/leads/{ada}/offer/cancel"),
            &app.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    app.clock.advance(HOUR / 2);
    (ada, ben, zillow)
}

app_test! {
    async fn the_queue_is_in_the_order_leads_entered_it_as_waiting_since_says(app) {
        let (ada, ben, _) = ada_and_ben(&app).await;
        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;
        let page = admin.get("/queue").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        let html = &page.html;
        assert!(html.contains("2 leads waiting, the longest waiting first."), "{html}");
        assert!(html.contains(r#"<th scope="col">Waiting since</th>"#), "{html}");
        let at = positions(html, &[ben, ada]);
        assert!(at[0].is_some() && at[0] < at[1], "Ben has waited longer though Ada came in first: {html}");
        let ada_row = html.split_once(&format!(r#"id="queued-{ada}""#)).map(|(_, r)| r).unwrap_or_default();
        assert!(ada_row.contains(r#"<td data-label="Waiting since">2026-11-25 11:00 UTC</td>"#), "{ada_row}");
        assert!(ada_row.contains("offer cancelled; sent to the manual assignment queue"), "{ada_row}");

        let newest = admin.get("/queue?sort=newest").await.html;
        let at = positions(&newest, &[ada, ben]);
        assert!(at[0].is_some() && at[0] < at[1], "{newest}");
        assert!(newest.contains("the latest to arrive in the queue first") && newest.contains(r#"<option value="newest" selected>"#), "{newest}");
    }
}

app_test! {
    async fn the_queue_filters_by_source_reason_and_waiting_time_and_counts_the_matches(app) {
        let (ada, ben, zillow) = ada_and_ben(&app).await;
        let admin = Browser::new(&app);
        admin.sign_in("admin@acme.test").await;

        let by_source = admin.get(&format!("/queue?source={zillow}")).await.html;
        assert!(by_source.contains(&format!(r#"id="queued-{ben}""#)) && !by_source.contains(&format!(r#"id="queued-{ada}""#)), "{by_source}");
        assert!(by_source.contains("2 leads waiting; 1 matches these filters"), "{by_source}");
        assert!(by_source.contains(&format!(r#"<input type="checkbox" name="source" value="{zillow}" checked>"#)), "{by_source}");

        let reason = "offer cancelled; sent to the manual assignment queue";
        let page = admin.get("/queue").await.html;
        assert!(page.contains(&format!(r#"<option value="{reason}">{reason}</option>"#)), "the reasons waiting leads have are offered: {page}");
        let by_reason = admin.get(&format!("/queue?reason={}", reason.replace(' ', "+").replace(';', "%3B"))).await.html;
        assert!(by_reason.contains(&format!(r#"id="queued-{ada}""#)) && !by_reason.contains(&format!(r#"id="queued-{ben}""#)), "{by_reason}");

        // Ben has waited an hour and a half, Ada half an hour.
        let by_age = admin.get("/queue?age=1h").await.html;
        assert!(by_age.contains(&format!(r#"id="queued-{ben}""#)) && !by_age.contains(&format!(r#"id="queued-{ada}""#)), "{by_age}");
        let none = admin.get("/queue?age=1d").await.html;
        assert!(none.contains("No lead in the queue matches these filters.") && none.contains("2 leads waiting; 0 match these filters"), "{none}");

        assert_eq!(admin.get("/queue?age=soon").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(admin.get("/queue?sort=random").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

app_test! {
    async fn the_api_pages_the_queue_in_its_own_order(app) {
        let (ada, ben, _) = ada_and_ben(&app).await;
        let first = app.get("/api/v1/queue?limit=1", &app.admin.token).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(first.body["leads"][0]["lead"]["id"], ben, "{}", first.body);
        let cursor = first.body["next_cursor"].as_str().unwrap_or_default().to_owned();
        let second = app.get(&format!("/api/v1/queue?limit=1&cursor={cursor}"), &app.admin.token).await;
        assert_eq!(second.body["leads"][0]["lead"]["id"], ada, "{}", second.body);
        assert_eq!(second.body["leads"][0]["since"], "2026-11-25T11:00:00Z", "{}", second.body);
        let bad = app.get("/api/v1/queue?cursor=7", &app.admin.token).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    }
}

app_test! {
    async fn the_api_filters_and_orders_the_queue_as_the_page_does(app) {
        let (ada, ben, zillow) = ada_and_ben(&app).await;
        let only = |body: &serde_json::Value| -> Vec<i64> {
            body["leads"].as_array().map(|l| l.iter().filter_map(|q| q["lead"]["id"].as_i64()).collect()).unwrap_or_default()
        };
        let newest = app.get("/api/v1/queue?sort=newest", &app.admin.token).await;
        assert_eq!(only(&newest.body), [ada, ben], "{}", newest.body);
        let by_source = app.get(&format!("/api/v1/queue?source={zillow}"), &app.admin.token).await;
        assert_eq!(only(&by_source.body), [ben], "{}", by_source.body);
        let by_reason = app.get("/api/v1/queue?reason=offer+cancelled%3B+sent+to+the+manual+assignment+queue", &app.admin.token).await;
        assert_eq!(only(&by_reason.body), [ada], "{}", by_reason.body);
        // Ben has waited an hour and a half, Ada half an hour.
        let by_age = app.get("/api/v1/queue?waiting_over=3600", &app.admin.token).await;
        assert_eq!(only(&by_age.body), [ben], "{}", by_age.body);
        for (bad, field) in [("sort=random", "sort"), ("source=zillow", "source"), ("waiting_over=-1", "")] {
            let refused = app.get(&format!("/api/v1/queue?{bad}"), &app.admin.token).await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", refused.body);
            assert!(refused.body["error"]["message"].as_str().unwrap_or_default().contains(field), "{bad}: {}", refused.body);
        }
    }
}
