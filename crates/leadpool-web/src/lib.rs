//! leadpool over HTTP: the JSON API under `/api/v1` (with its OpenAPI document), health and
//! metrics. Errors become HTTP responses in exactly one place ([`error`]).

pub mod api;
pub mod error;
pub mod extract;
pub mod ops;
pub mod ui;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use leadpool_app::App;
use tower_http::timeout::RequestBodyTimeoutLayer;

pub use error::ApiError;

/// How the HTTP layer is set up.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// When session cookies are marked `Secure`.
    pub cookie_secure: CookieSecure,
    /// Longest wait for the next part of a request body before answering 408.
    pub body_timeout: Duration,
    /// How often a live stream checks that its session still exists: at most this long
    /// after someone signs out or is deactivated, their open streams end.
    pub live_session_check: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            cookie_secure: CookieSecure::Forwarded,
            body_timeout: Duration::from_secs(30),
            live_session_check: Duration::from_secs(60),
        }
    }
}

/// When the session cookie is marked `Secure` (sent back over HTTPS only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSecure {
    /// Never: plain HTTP with no proxy in front.
    Never,
    /// Always: served over HTTPS.
    Always,
    /// When the proxy in front says the browser used HTTPS (`X-Forwarded-Proto: https`).
    /// A client sending the header itself only marks its own cookie, so trusting it is safe.
    Forwarded,
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// HTTP settings.
    pub config: WebConfig,
}

/// The whole HTTP surface: API, OpenAPI document, health and metrics.
pub fn router(app: App, config: WebConfig) -> Router {
    ops::metrics_handle();
    let limit = config.max_body_bytes;
    let body_timeout = config.body_timeout;
    let state = AppState { app, config };
    let (api, openapi) = api::routes_and_document();
    let openapi_json = serde_json::to_string(&openapi).unwrap_or_default();
    Router::new()
        .merge(api)
        .merge(ui::routes())
        .route(
            "/api/v1/openapi.json",
            get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    openapi_json,
                )
            }),
        )
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(middleware::from_fn(error::shape))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Gives each request an id (kept from `X-Request-Id` when sane), makes it available to
/// error responses, echoes it back, and counts and times the request.
async fn observe(State(_): State<AppState>, req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map_or_else(|| format!("{:016x}", fastrand::u64(..)), str::to_owned);
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let mut res = error::REQUEST_ID.scope(id.clone(), next.run(req)).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    let status = res.status().as_u16().to_string();
    metrics::counter!("leadpool_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("leadpool_http_request_duration_seconds", "method" => method, "route" => route).record(started.elapsed().as_secs_f64());
    res
}
