//! Hostile input: control characters in any text, and ids and numbers out of their range,
//! are refused with 422 naming the field, never a 500 and never stored.

use leadpool_testkit::app_test;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The field a 422 names, or the whole answer when it is something else.
fn refused_field(status: StatusCode, body: &Value) -> String {
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        body["error"]["details"]["fields"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    } else {
        format!("{status} {body}")
    }
}

app_test! {
    async fn a_control_character_in_any_text_is_refused_naming_its_field(app) {
        let token = app.admin.token.clone();
        let (source, key) = app.source("Website").await;
        let lead = app.intake(&key, json!({ "name": "Ana Lima" })).await;
        assert_eq!(lead.status, StatusCode::CREATED, "{}", lead.body);
        let id = lead.body["lead"]["id"].as_i64().expect("the lead's id");
        let nul = "bad\u{0}text";
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (Method::POST, "/api/v1/leads".into(), json!({ "source_id": source, "name": "Bo", "external_id": nul }), "external_id"),
            (Method::POST, "/api/v1/leads".into(), json!({ "source_id": source, "name": "Bo", "fields": { "notes": nul } }), "fields.notes"),
            (Method::POST, "/api/v1/leads".into(), json!({ "source_id": source, "name": "Bo", "external_id": "two\nlines" }), "external_id"),
            (Method::PATCH, format!("/api/v1/leads/{id}"), json!({ "tags": ["ok"], "reason": nul }), "reason"),
            (Method::POST, format!("/api/v1/leads/{id}/contacts"), json!({ "kind": "call", "note": nul }), "note"),
            (Method::POST, format!("/api/v1/leads/{id}/reject"), json!({ "note": "\u{1b}[31m" }), "note"),
            (Method::POST, "/api/v1/pools".into(), json!({ "name": nul }), "name"),
            (Method::POST, "/api/v1/pools".into(), json!({ "name": "North\nSouth" }), "name"),
            (Method::POST, "/api/v1/reject-reasons".into(), json!({ "label": nul }), "label"),
            (Method::POST, "/api/v1/teams".into(), json!({ "name": nul }), "name"),
            (Method::POST, "/api/v1/sources".into(), json!({ "name": nul }), "name"),
            (Method::POST, "/api/v1/statuses".into(), json!({ "name": nul, "category": "open" }), "name"),
            (Method::POST, "/api/v1/users".into(), json!({ "email": "x@example.com", "name": nul, "role": "agent" }), "name"),
            (Method::POST, format!("/api/v1/users/{}/tokens", app.admin.user.id), json!({ "name": nul }), "name"),
            (Method::POST, "/api/v1/intake".into(), json!({ "name": "Bo", "fields": { "bad\u{0}key": 1 } }), "fields.bad\u{0}key"),
        ];
        for (method, path, body, field) in cases {
            let a = if path == "/api/v1/intake" {
                app.intake(&key, body.clone()).await
            } else {
                app.request(method.clone(), &path, Some(&token), Some(body.clone())).await
            };
            assert_eq!(refused_field(a.status, &a.body), field, "{method} {path} {body}");
        }
        let search = app.get("/api/v1/leads?q=ana%00", &token).await;
        assert_eq!(refused_field(search.status, &search.body), "q");
        let page = app.http.get(format!("{}/leads?q=ana%00", app.base)).send().await.expect("get the lead page");
        assert_ne!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let note = app.post(&format!("/api/v1/leads/{id}/contacts"), &token, json!({ "kind": "call", "note": "first line\nsecond\tline" })).await;
        assert!(note.status.is_success(), "a note may hold line breaks and tabs: {}", note.body);
        let leads = app.get("/api/v1/leads", &token).await;
        assert_eq!(leads.body["items"].as_array().map(Vec::len), Some(1), "nothing refused was stored");
    }
}
