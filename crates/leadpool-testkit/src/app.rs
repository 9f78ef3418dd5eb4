//! A running leadpool on a fresh database: the real router on a real port, with helpers
//! that read like the API (`app.get(..)`, `app.login(..)`) and an organization to act in.

use std::sync::Arc;

use leadpool_app::bootstrap::{DEFAULT_STATUSES, NewOrg, UserSpec};
use leadpool_app::{App, Settings};
use leadpool_domain::Role;
use leadpool_store::orgs::Organization;
use leadpool_store::users::User;
use leadpool_web::WebConfig;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::clock::FakeClock;
use crate::{Backend, TestStore};

/// The operator token every test app accepts.
pub const OPERATOR_TOKEN: &str = "operator-token-for-tests-0123456789abcdef";
/// The password every test user gets.
pub const PASSWORD: &str = "test-password-123";

/// A user made for a test, with their API token.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// The stored user.
    pub user: User,
    /// Their bearer token.
    pub token: String,
}

/// A running app.
#[derive(Debug)]
pub struct TestApp {
    /// The use cases, for setting up state directly.
    pub app: App,
    /// The fake clock the app reads.
    pub clock: FakeClock,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// An HTTP client.
    pub http: reqwest::Client,
    /// The organization tests act in (slug `acme`), with the default statuses and pool.
    pub org: Organization,
    /// Its organization-wide admin.
    pub admin: TestUser,
    /// The database, kept alive as long as the app.
    pub db: TestStore,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An HTTP answer: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The body as JSON.
    pub body: Value,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    /// The store behind the app, for checking the database a test drove through the API.
    pub fn store(&self) -> &leadpool_store::Store {
        &self.db.store
    }

    /// Starts an app on `backend`; `None` when that backend is not configured.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let db = TestStore::new(backend).await?;
        Some(Self::spawn_on(db).await)
    }

    /// Starts an app on an existing test database.
    pub async fn spawn_on(db: TestStore) -> Self {
        let clock = FakeClock::new();
        let settings = Settings {
            operator_token_digest: Some(leadpool_app::secret::digest(OPERATOR_TOKEN)),
            ..Settings::default()
        };
        let app = App::new(db.store.clone(), Arc::new(clock.clone()), settings);
        let router = leadpool_web::router(
            app.clone(),
            WebConfig {
                max_body_bytes: 64 * 1024,
                cookie_secure: leadpool_web::CookieSecure::Forwarded,
                body_timeout: std::time::Duration::from_secs(2),
                ..WebConfig::default()
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the test server");
        let addr = listener.local_addr().expect("the test server's address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let org = app
            .create_org(&NewOrg {
                slug: "acme",
                name: "Acme Realty",
                statuses: DEFAULT_STATUSES,
            })
            .await
            .expect("create the test organization");
        let http = reqwest::Client::builder()
            .build()
            .expect("build the HTTP client");
        let mut t = Self {
            app,
            clock,
            base: format!("http://{addr}"),
            http,
            org,
            admin: TestUser {
                user: placeholder(),
                token: String::new(),
            },
            db,
            server,
        };
        t.admin = t.user("admin@acme.test", Role::Admin, &[]).await;
        t
    }

    /// Adds a user to the test organization (teams by name), with a password and token.
    pub async fn user(&self, email: &str, role: Role, teams: &[&str]) -> TestUser {
        let teams: Vec<String> = teams.iter().map(|t| (*t).to_owned()).collect();
        let spec = UserSpec {
            email,
            name: email.split('@').next().unwrap_or(email),
            role,
            password: Some(PASSWORD),
            teams: &teams,
        };
        let (user, token) = self
            .app
            .add_user(&self.org, &spec)
            .await
            .expect("add the test user");
        TestUser { user, token }
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        }
    }

    /// `GET path` as the holder of `token`.
    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.request(Method::GET, path, Some(token), None).await
    }

    /// `POST path` with a JSON body as the holder of `token`.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    /// `PATCH path` with a JSON body as the holder of `token`.
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    /// A lead's timeline entries through the API, oldest first, as the admin reads them.
    pub async fn timeline(&self, lead: i64) -> Vec<Value> {
        self.get(&format!("/api/v1/leads/{lead}/timeline"), &self.admin.token)
            .await
            .body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The kinds of a lead's timeline entries, oldest first.
    pub async fn timeline_kinds(&self, lead: i64) -> Vec<String> {
        self.timeline(lead)
            .await
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Creates a source through the API; returns its id and intake key.
    pub async fn source(&self, name: &str) -> (i64, String) {
        let a = self
            .post(
                "/api/v1/sources",
                &self.admin.token,
                serde_json::json!({ "name": name }),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "creating source: {}", a.body);
        (
            a.body["source"]["id"].as_i64().unwrap_or_default(),
            a.body["intake_key"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Sends a lead to the intake endpoint with a source's key.
    pub async fn intake(&self, key: &str, lead: Value) -> Answer {
        let res = self
            .http
            .post(format!("{}/api/v1/intake", self.base))
            .header("x-intake-key", key)
            .json(&lead)
            .send()
            .await
            .expect("post the intake");
        let status = res.status();
        let headers = res.headers().clone();
        Answer {
            status,
            body: res.json().await.unwrap_or(Value::Null),
            headers,
        }
    }
}

fn placeholder() -> User {
    User {
        id: leadpool_domain::UserId::new(0),
        org: leadpool_domain::OrgId::new(0),
        email: String::new(),
        name: String::new(),
        role: Role::Agent,
        active: false,
        scope_team_id: None,
        teams: Vec::new(),
        tags: Vec::new(),
        pool_access: false,
        max_new_leads: None,
        min_new_leads: None,
        paused: false,
        pause_reason: None,
        time_zone: None,
        created_at: leadpool_domain::Timestamp::from_millis(0),
    }
}
