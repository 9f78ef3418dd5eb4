//! Bad requests get a clear error in the one shape, naming what is wrong.

use leadpool_testkit::app_test;
use reqwest::StatusCode;
use serde_json::json;

app_test! {
    async fn every_kind_of_bad_request_gets_the_one_error_shape(app) {
        let token = app.admin.token.clone();
        let url = |p: &str| format!("{}{p}", app.base);
        let huge = "x".repeat(100 * 1024);
        let too_big = app.http.post(url("/api/v1/leads")).bearer_auth(&token).header("content-type", "application/json").body(format!("{{\"name\":\"{huge}\"}}")).send().await.expect("post an oversized lead");
        assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let malformed = app.http.post(url("/api/v1/leads")).bearer_auth(&token).header("content-type", "application/json").body("{\"name\":").send().await.expect("post malformed JSON");
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
        let no_type = app.http.post(url("/api/v1/leads")).bearer_auth(&token).body("{}").send().await.expect("post without a content type");
        assert_eq!(no_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        for (res, code) in [(too_big, "payload_too_large"), (malformed, "malformed_json"), (no_type, "unsupported_media_type")] {
            let request_id = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            assert_eq!(body["error"]["code"], code);
            assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
            assert_eq!(body["error"]["details"]["request_id"], request_id.as_str());
        }
        let wrong_type = app.post("/api/v1/leads", &token, json!({ "source_id": "one" })).await;
        assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong_type.body["error"]["details"]["fields"][0]["field"], "source_id");
        let unknown = app.post("/api/v1/leads", &token, json!({ "source_id": 1, "nmae": "typo" })).await;
        assert_eq!(unknown.body["error"]["details"]["fields"][0]["field"], "nmae");
        let bad_id = app.get("/api/v1/leads/abc", &token).await;
        assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad_id.body["error"]["code"], "invalid_path");
        let missing = app.get("/api/v1/leads/424242", &token).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.body["error"]["code"], "not_found");
        let nowhere = app.get("/api/v1/nowhere", &token).await;
        assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
        assert_eq!(nowhere.body["error"]["code"], "not_found");
        let bad_token = app.get("/api/v1/leads", "lp_nope").await;
        assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);
        assert_eq!(bad_token.body["error"]["code"], "unauthenticated");
        let bad_query = app.get("/api/v1/leads?limit=0", &token).await;
        assert_eq!(bad_query.body["error"]["details"]["fields"][0]["field"], "limit");
        let unknown_param = app.get("/api/v1/leads?colour=red", &token).await;
        assert_eq!(unknown_param.body["error"]["details"]["fields"][0]["field"], "colour");
    }
}

app_test! {
    async fn health_metrics_and_the_openapi_document_are_served(app) {
        let health = app.http.get(format!("{}/healthz", app.base)).send().await.expect("get /healthz");
        assert_eq!(health.status(), StatusCode::OK);
        let doc = app.http.get(format!("{}/api/v1/openapi.json", app.base)).send().await.expect("get the OpenAPI document");
        let doc: serde_json::Value = doc.json().await.unwrap_or_default();
        for path in ["/api/v1/leads", "/api/v1/leads/{id}", "/api/v1/leads/{id}/timeline", "/api/v1/intake", "/api/v1/auth/login", "/api/v1/users", "/api/v1/teams", "/api/v1/sources", "/api/v1/statuses", "/api/v1/organizations"] {
            assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
        }
        let metrics = app.http.get(format!("{}/metrics", app.base)).send().await.expect("get /metrics");
        let text = metrics.text().await.unwrap_or_default();
        assert!(text.contains("leadpool_http_requests_total"), "{text}");
    }
}

app_test! {
    async fn a_body_shorter_than_its_content_length_ends_with_408_in_the_error_shape(app) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.base.trim_start_matches("http://").to_owned();
        let mut conn = tokio::net::TcpStream::connect(&addr).await.expect("connect to the server");
        let head = format!("POST /api/v1/leads HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":", app.admin.token);
        conn.write_all(head.as_bytes()).await.expect("send a request whose body stops short");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(20), conn.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the server must answer a stalled body, not wait forever");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(body).expect("a JSON error body");
        assert_eq!(v["error"]["code"], "request_timeout");
        assert!(v["error"]["details"]["request_id"].is_string(), "{v}");
    }
}

app_test! {
    async fn json_answers_may_not_be_sniffed_and_errors_below_the_handlers_keep_the_shape(app) {
        let ok = app.get("/api/v1/me", &app.admin.token).await;
        assert_eq!(ok.headers.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
        let wrong_method = app.request(reqwest::Method::DELETE, "/api/v1/leads", Some(&app.admin.token), None).await;
        assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(wrong_method.body["error"]["code"], "method_not_allowed");
        assert_eq!(wrong_method.headers.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
    }
}

app_test! {
    async fn no_answer_carrying_a_secret_or_personal_data_may_be_kept_by_a_cache(app) {
        let token = app.admin.token.clone();
        let source = app.post("/api/v1/sources", &token, json!({ "name": "Website" })).await;
        let source_id = source.body["source"]["id"].as_i64().expect("the source's id");
        let answers = [
            ("a new API token", app.post(&format!("/api/v1/users/{}/tokens", app.admin.user.id), &token, json!({ "name": "crm" })).await),
            ("a new intake key", source),
            ("a rotated intake key", app.post(&format!("/api/v1/sources/{source_id}/rotate-key"), &token, json!({})).await),
            ("an organization's admin token", app.request(reqwest::Method::POST, "/api/v1/organizations", Some(leadpool_testkit::app::OPERATOR_TOKEN), Some(json!({ "slug": "other", "name": "Other", "admin_email": "a@other.test", "admin_name": "A" }))).await),
            ("the caller", app.get("/api/v1/me", &token).await),
            ("an error", app.get("/api/v1/leads/424242", &token).await),
        ];
        for (what, a) in answers {
            assert!(a.status.is_success() || a.status == StatusCode::NOT_FOUND, "{what}: {}", a.body);
            assert_eq!(a.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"), "{what}");
            assert_eq!(a.headers.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"), "{what}");
        }
    }
}
