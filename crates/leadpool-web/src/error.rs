//! The one place errors become HTTP responses: `{"error": {"code", "message", "details"}}`
//! with a stable code. Server errors hide their cause, log it once with the request id,
//! and give the client that id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leadpool_app::AppError;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

tokio::task_local! {
    /// The id of the request being served.
    pub static REQUEST_ID: String;
}

/// How long a client told `busy` waits before retrying: a full writer queue drains in a
/// few batches, well under this.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Value,
    internal: Option<String>,
}

/// The error body (for the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_input`, `not_found`, `already_claimed`.
    pub code: String,
    /// For people.
    pub message: String,
    /// Structured facts: `fields` (each `{field, message}`) for bad input, `request_id`.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: json!({}),
            internal: None,
        }
    }

    /// The same error with these structured facts in `details`.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// What the client is told.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A request that is malformed in `field`.
    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("{field}: {message}"),
        );
        e.details = json!({ "fields": [{ "field": field, "message": message }] });
        e
    }
}

/// The HTTP status of each use-case error: the one table the JSON API and the pages share.
pub(crate) fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// How long to wait before trying again, when the error says (sent as `Retry-After`).
pub(crate) fn retry_after_secs(e: &AppError) -> Option<u64> {
    match e {
        AppError::Throttled { retry_after_secs } => Some(*retry_after_secs),
        AppError::Busy => Some(BUSY_RETRY_AFTER_SECS),
        _ => None,
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let details = match (&e, retry_after_secs(&e)) {
            (AppError::Invalid(i), _) => json!({ "fields": i.0 }),
            (_, Some(secs)) => json!({ "retry_after_secs": secs }),
            _ => json!({}),
        };
        let internal = matches!(e, AppError::Internal(_)).then(|| e.to_string());
        let message = if internal.is_some() {
            "internal error; the request id identifies it in the server log".to_owned()
        } else {
            e.to_string()
        };
        Self {
            status: status_of(&e),
            code: e.code(),
            message,
            details,
            internal,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = REQUEST_ID.try_with(Clone::clone).ok();
        if let Some(cause) = &self.internal {
            tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), code = self.code, %cause, "request failed");
        }
        let retry_after = details_retry_after(&self.details);
        let mut details = self.details;
        if let (Some(obj), Some(id)) = (details.as_object_mut(), request_id) {
            obj.insert("request_id".into(), Value::String(id));
        }
        let body =
            json!({ "error": { "code": self.code, "message": self.message, "details": details } });
        let mut res = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(secs) = retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        res
    }
}

/// The wait a refusal names, for the `Retry-After` header.
fn details_retry_after(details: &Value) -> Option<u64> {
    details.get("retry_after_secs").and_then(Value::as_u64)
}

/// The code and words of an error answer made below the handlers (by the HTTP layer, a
/// time-out or a rejected request line), by its status: the table beside [`status_of`].
pub(crate) fn status_code_words(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "the request could not be read"),
        404 => ("not_found", "no such endpoint; see /api/v1/openapi.json"),
        405 => (
            "method_not_allowed",
            "this endpoint does not accept this method; see /api/v1/openapi.json",
        ),
        408 => (
            "request_timeout",
            "the request body stopped arriving before its stated length; send it whole",
        ),
        413 => (
            "payload_too_large",
            "the request body is larger than this server accepts",
        ),
        414 => (
            "uri_too_long",
            "the address is longer than this server accepts; send long input in a body",
        ),
        415 => (
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ),
        431 => (
            "headers_too_large",
            "the request's headers are larger than this server accepts",
        ),
        s if s >= 500 => (
            "internal",
            "internal error; the request id identifies it in the server log",
        ),
        _ => ("bad_request", "the request was refused"),
    }
}

/// The error for a status from [`status_code_words`].
pub(crate) fn for_status(status: StatusCode) -> ApiError {
    let (code, message) = status_code_words(status);
    ApiError::new(status, code, message)
}

/// Whether reading a request body failed because it stopped arriving (the body time-out).
pub(crate) fn body_timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// A body that stopped arriving: 408, so the client and any proxy know to stop waiting.
pub(crate) fn body_timeout() -> ApiError {
    for_status(StatusCode::REQUEST_TIMEOUT)
}

/// Every answer leaves in the one shape: an error made below the handlers (an empty body,
/// e.g. from a layer) becomes `{"error": ..}` with its code from the table, no answer may
/// be sniffed into another content type, and none may be kept by a cache unless it says so
/// itself (only the fingerprinted assets do). Answers carry tokens, intake keys, CSRF
/// tokens and people's data; marking each one that does would miss the next one added.
pub async fn shape(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let mut res = if (status.is_client_error() || status.is_server_error())
        && !res.headers().contains_key(axum::http::header::CONTENT_TYPE)
    {
        let (parts, _) = res.into_parts();
        let mut shaped = for_status(status).into_response();
        for (name, value) in &parts.headers {
            shaped
                .headers_mut()
                .entry(name)
                .or_insert_with(|| value.clone());
        }
        shaped
    } else {
        res
    };
    let headers = res.headers_mut();
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        axum::http::HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(axum::http::header::CACHE_CONTROL)
        .or_insert(axum::http::HeaderValue::from_static("no-store"));
    res
}

/// No route matches.
pub async fn not_found() -> ApiError {
    for_status(StatusCode::NOT_FOUND)
}

/// The route exists but not with this method.
pub async fn method_not_allowed() -> ApiError {
    for_status(StatusCode::METHOD_NOT_ALLOWED)
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;

    use super::*;

    #[tokio::test]
    async fn an_internal_error_hides_its_cause_and_names_the_request() {
        let res = REQUEST_ID
            .scope("req-42".to_owned(), async {
                ApiError::from(AppError::Internal("disk /var/secret is full".into()))
                    .into_response()
            })
            .await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = to_bytes(res.into_body(), 1 << 16).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("secret"), "the cause leaked: {text}");
        let v: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(v["error"]["code"], "internal");
        assert_eq!(v["error"]["details"]["request_id"], "req-42");
    }

    #[tokio::test]
    async fn busy_is_503_with_retry_after_and_the_json_shape() {
        let res = ApiError::from(AppError::Busy).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            res.headers()
                .get(axum::http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
        let body = to_bytes(res.into_body(), 1 << 16).await.unwrap_or_default();
        let v: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(v["error"]["code"], "busy");
    }

    #[test]
    fn every_error_kind_has_its_status_in_the_one_table() {
        let cases = [
            (AppError::invalid("name", "empty"), 422),
            (AppError::NotFound { what: "lead" }, 404),
            (AppError::Unauthenticated("no token"), 401),
            (AppError::Forbidden("no".into()), 403),
            (
                AppError::Conflict {
                    code: "already_exists",
                    message: "taken".into(),
                },
                409,
            ),
            (
                AppError::Throttled {
                    retry_after_secs: 30,
                },
                429,
            ),
            (AppError::Busy, 503),
            (AppError::Internal("x".into()), 500),
        ];
        for (e, status) in cases {
            assert_eq!(status_of(&e).as_u16(), status, "{e:?}");
            assert_eq!(ApiError::from(e).status.as_u16(), status);
        }
    }
}
