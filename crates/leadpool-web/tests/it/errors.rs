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
