//! `/api/v1/organizations`: only the operator token manages organizations, and an
//! organization made through the API comes with a working admin.

use axum::http::{Method, StatusCode};
use leadpool_testkit::app::OPERATOR_TOKEN;
use serde_json::{Value, json};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

fn globex() -> Value {
    json!({
        "slug": "globex",
        "name": "Globex Motors",
        "admin_email": "Hank@Globex.test",
        "admin_name": "Hank Scorpio",
        "admin_password": "a-long-enough-password",
    })
}

leadpool_testkit::app_test! {
    async fn operator_creates_an_organization_whose_admin_token_works(app) {
        let a = app.post("/api/v1/organizations", OPERATOR_TOKEN, globex()).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let org = &a.body["organization"];
        assert_eq!(org["slug"], "globex");
        assert_eq!(org["name"], "Globex Motors");
        assert!(org["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{org}");
        let admin = &a.body["admin"];
        assert_eq!(admin["email"], "hank@globex.test");
        assert_eq!(admin["role"], "admin");
        assert_eq!(admin["scope_team_id"], Value::Null);
        assert_eq!(admin["org_id"], org["id"]);
        let token = a.body["admin_token"].as_str().unwrap_or_default().to_owned();
        assert!(token.starts_with("lp_"), "{}", a.body);

        let me = app.get("/api/v1/me", &token).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        assert_eq!(me.body["id"], admin["id"]);
        assert_eq!(me.body["org_id"], org["id"]);

        // It starts with the default statuses, "New" being where leads start.
        let statuses = app.get("/api/v1/statuses", &token).await;
        assert_eq!(statuses.status, StatusCode::OK, "{}", statuses.body);
        let names: Vec<&str> = statuses.body["items"].as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
        assert_eq!(names, ["New", "Contacted", "Working", "Recycled", "Closed"]);
        assert_eq!(statuses.body["items"][0]["is_default"], true);

        // The password works for signing in too.
        let login = app
            .request(Method::POST, "/api/v1/auth/login", None, Some(json!({ "email": "hank@globex.test", "password": "a-long-enough-password" })))
            .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);

        let list = app.get("/api/v1/organizations", OPERATOR_TOKEN).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let slugs: Vec<&str> = list.body["items"].as_array().into_iter().flatten().filter_map(|o| o["slug"].as_str()).collect();
        assert_eq!(slugs, ["acme", "globex"]);
    }
}

leadpool_testkit::app_test! {
    async fn a_new_organizations_admin_sees_nothing_of_another_organization(app) {
        let a = app.post("/api/v1/organizations", OPERATOR_TOKEN, globex()).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let token = a.body["admin_token"].as_str().unwrap_or_default();
        let acme_admin = app.admin.user.id.get();

        let users = app.get("/api/v1/users", token).await;
        assert_eq!(users.status, StatusCode::OK, "{}", users.body);
        let ids: Vec<&Value> = users.body["items"].as_array().into_iter().flatten().map(|u| &u["id"]).collect();
        assert_eq!(ids, [&a.body["admin"]["id"]]);
        let other = app.get(&format!("/api/v1/users/{acme_admin}"), token).await;
        assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.body);
    }
}

leadpool_testkit::app_test! {
    async fn a_user_token_is_forbidden_from_managing_organizations(app) {
        let list = app.get("/api/v1/organizations", &app.admin.token).await;
        assert_eq!(list.status, StatusCode::FORBIDDEN, "{}", list.body);
        assert_eq!(code(&list.body), "forbidden");
        let create = app.post("/api/v1/organizations", &app.admin.token, globex()).await;
        assert_eq!(create.status, StatusCode::FORBIDDEN, "{}", create.body);
        let orgs = app.app.list_orgs().await.expect("list the organizations");
        assert_eq!(orgs.len(), 1, "nothing was created");
    }
}

leadpool_testkit::app_test! {
    async fn the_operator_token_is_forbidden_inside_an_organization(app) {
        let a = app.get("/api/v1/teams", OPERATOR_TOKEN).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        assert_eq!(code(&a.body), "forbidden");
    }
}

leadpool_testkit::app_test! {
    async fn no_token_is_unauthenticated(app) {
        let a = app.request(Method::GET, "/api/v1/organizations", None, None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
        assert_eq!(code(&a.body), "unauthenticated");
        assert_eq!(a.headers.get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
        let bad = app.get("/api/v1/organizations", "lp_not-a-real-token").await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "{}", bad.body);
        assert_eq!(code(&bad.body), "unauthenticated");
    }
}

leadpool_testkit::app_test! {
    async fn a_taken_slug_is_a_conflict(app) {
        let mut body = globex();
        body["slug"] = json!("acme");
        let a = app.post("/api/v1/organizations", OPERATOR_TOKEN, body).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
        assert_eq!(code(&a.body), "already_exists");
    }
}

leadpool_testkit::app_test! {
    async fn a_bad_admin_email_is_refused_before_any_organization_is_made(app) {
        let mut body = globex();
        body["admin_email"] = json!("not an email");
        let a = app.post("/api/v1/organizations", OPERATOR_TOKEN, body).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(a.body["error"]["details"]["fields"][0]["field"], "admin_email");
        let orgs = app.app.list_orgs().await.expect("list the organizations");
        assert_eq!(orgs.iter().map(|o| o.slug.as_str()).collect::<Vec<_>>(), ["acme"]);
    }
}

leadpool_testkit::app_test! {
    async fn a_bad_slug_or_an_unknown_field_is_refused_naming_it(app) {
        let mut body = globex();
        body["slug"] = json!("Not A Slug");
        let a = app.post("/api/v1/organizations", OPERATOR_TOKEN, body).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(a.body["error"]["details"]["fields"][0]["field"], "slug");

        let mut body = globex();
        body["plan"] = json!("gold");
        let a = app.post("/api/v1/organizations", OPERATOR_TOKEN, body).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(a.body["error"]["details"]["fields"][0]["field"], "plan");
    }
}
