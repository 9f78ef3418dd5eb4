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

/// The properties of the JSON body `doc` documents for `method path`.
fn body_properties(doc: &Value, method: &str, path: &str) -> Vec<String> {
    let schema =
        &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    let name = schema["$ref"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("#/components/schemas/");
    doc["components"]["schemas"][name]["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

app_test! {
    async fn two_bodies_of_one_name_do_not_document_one_operation_with_the_others(app) {
        let doc = app.request(Method::GET, "/api/v1/openapi.json", None, None).await.body;
        // Both were `ReassignBody`; the document kept one and gave it to both operations.
        assert_eq!(body_properties(&doc, "post", "/api/v1/tasks/{id}/reassign"), ["assignee_id"]);
        assert_eq!(body_properties(&doc, "post", "/api/v1/leads/{id}/reassign"), ["reassignment_group_id"]);
    }
}

app_test! {
    async fn a_call_on_a_lead_nobody_has_answers_a_documented_404(app) {
        let doc = app.request(Method::GET, "/api/v1/openapi.json", None, None).await.body;
        let a = app.post("/api/v1/calls", &app.admin.token, serde_json::json!({ "lead_id": 86_400 })).await;
        assert_eq!(a.status.as_u16(), 404, "{}", a.body);
        assert!(doc["paths"]["/api/v1/calls"]["post"]["responses"].get("404").is_some(), "POST /api/v1/calls does not document its 404");
    }
}

app_test! {
    async fn each_create_links_to_the_operations_on_what_it_made(app) {
        let doc = app.request(Method::GET, "/api/v1/openapi.json", None, None).await.body;
        let links = |path: &str| doc["paths"][path]["post"]["responses"]["201"]["links"].clone();
        let teams = links("/api/v1/teams");
        for op in ["get_team", "update_team", "get_team_calendar", "set_team_calendar"] {
            assert_eq!(teams[op]["parameters"]["id"], "$response.body#/id", "{op}: {teams}");
        }
        // A source is made beside its intake key, a token under its user.
        assert_eq!(links("/api/v1/sources")["update_source"]["parameters"]["id"], "$response.body#/source/id");
        let token = &links("/api/v1/users/{id}/tokens")["revoke_token"]["parameters"];
        assert_eq!((&token["id"], &token["token_id"]), (&"$request.path.id".into(), &"$response.body#/id".into()));
        // Every link names an operation of the document.
        let ids: Vec<Value> = doc["paths"].as_object().into_iter().flatten().flat_map(|(_, item)| METHODS.iter().filter_map(|m| item.get(*m)?.get("operationId").cloned())).collect();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (status, r) in item["post"]["responses"].as_object().into_iter().flatten() {
                for (name, link) in r["links"].as_object().into_iter().flatten() {
                    assert!(ids.contains(&link["operationId"]), "POST {path} {status} links {name} to no operation");
                }
            }
        }
    }
}
