//! The served OpenAPI document says what every operation can answer: what its shape implies
//! (authentication, a JSON body, path ids, query parameters), in the one error body, and a
//! description on every response as OpenAPI 3.1 requires.

use axum::http::Method;
use leadpool_testkit::app_test;
use serde_json::Value;

/// The methods an OpenAPI path item may hold an operation under.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What is wrong with one operation of `doc`, each as a sentence naming it.
fn problems(doc: &Value, method: &str, path: &str, op: &Value) -> Vec<String> {
    let responses = op["responses"].as_object().cloned().unwrap_or_default();
    let has = |status: &str| responses.contains_key(status);
    let params_in = |place: &str| {
        op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == place))
    };
    let security = op["security"].as_array().cloned().unwrap_or_default();
    let secured = !security.is_empty()
        && security
            .iter()
            .all(|s| s.as_object().is_some_and(|s| !s.is_empty()));
    let mut needed = Vec::new();
    if secured {
        needed.extend(["401", "403"]);
    }
    if op.get("requestBody").is_some() {
        needed.extend(["400", "413", "415", "422"]);
    }
    if params_in("path") {
        needed.extend(["400", "404"]);
    }
    if params_in("query") {
        needed.push("422");
    }
    let mut found: Vec<String> = needed
        .into_iter()
        .filter(|s| !has(s))
        .map(|s| format!("{method} {path} does not document {s}"))
        .collect();
    for (status, response) in &responses {
        let response = match response["$ref"].as_str() {
            Some(r) => {
                &doc["components"]["responses"][r.trim_start_matches("#/components/responses/")]
            }
            None => response,
        };
        if response["description"]
            .as_str()
            .is_none_or(|d| d.trim().is_empty())
        {
            found.push(format!(
                "{method} {path} answers {status} without a description"
            ));
        }
        let schema = &response["content"]["application/json"]["schema"]["$ref"];
        if (status.starts_with('4') || status.starts_with('5'))
            && schema != "#/components/schemas/ErrorBody"
        {
            found.push(format!(
                "{method} {path} answers {status} without the error body"
            ));
        }
    }
    found
}

app_test! {
    async fn every_operation_documents_the_answers_its_shape_can_give(app) {
        let doc = app.request(Method::GET, "/api/v1/openapi.json", None, None).await.body;
        // What `leadpool openapi` prints, which tests/openapi/run validates.
        assert_eq!(doc, serde_json::to_value(leadpool_web::api::openapi()).unwrap_or_default());
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        assert!(paths.len() > 50, "{doc}");
        let mut found = Vec::new();
        for (path, item) in &paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    found.extend(problems(&doc, method, path, op));
                }
            }
        }
        assert!(found.is_empty(), "{} problems:\n{}", found.len(), found.join("\n"));
    }
}
