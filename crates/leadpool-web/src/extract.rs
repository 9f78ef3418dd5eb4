//! Extractors: JSON, query and path input whose rejections come out in the one error shape,
//! and the acting user from a bearer token or a session cookie (with CSRF on unsafe methods).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use leadpool_app::{Member, Principal};
use leadpool_domain::validate::{self, FieldError};
use serde::de::DeserializeOwned;

use crate::{ApiError, AppState, CookieSecure, WebConfig, error};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "leadpool_session";
/// The header unsafe requests from a browser session must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON body; unknown fields, wrong types, control characters in text and oversize bodies
/// are refused naming the problem.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // Read as a JSON value first so every text of every body passes the one
        // control-character rule before any field is typed; then type it, naming the field.
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        validate::check_json_text(&value).map_err(field_error)?;
        // Every body is an object of named fields. serde's derived structs also take an array,
        // filling fields by position, so `[null, null]` would otherwise pass as a PATCH.
        if !value.is_object() {
            return Err(ApiError::bad_field("body", "must be a JSON object"));
        }
        serde_path_to_error::deserialize(value)
            .map(Self)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { "body" } else { path.as_str() };
                ApiError::bad_field(field, e.into_inner().to_string())
            })
    }
}

/// A problem with one field, as a 422.
pub(crate) fn field_error(e: FieldError) -> ApiError {
    ApiError::bad_field(&e.field, e.message)
}

/// Why a body is not JSON at all (any JSON is a `Value`, so typing errors come later).
fn json_rejection(e: JsonRejection) -> ApiError {
    match e {
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text())
        }
        JsonRejection::MissingJsonContentType(_) => {
            error::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        }
        JsonRejection::BytesRejection(e) if error::body_timed_out(&e) => error::body_timeout(),
        e if e.status() == StatusCode::PAYLOAD_TOO_LARGE => error::for_status(e.status()),
        e => ApiError::new(e.status(), "bad_request", e.body_text()),
    }
}

/// Splits serde's `path.to.field: message` into its parts; `whole` names input with no path.
fn field_and_message<'a>(detail: &'a str, whole: &'a str) -> (&'a str, &'a str) {
    detail
        .split_once(": ")
        .filter(|(f, _)| !f.is_empty() && !f.contains(' '))
        .unwrap_or((whole, detail))
}

/// Query-string parameters; unknown or malformed ones, and control characters in any value,
/// are refused naming them.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        check_urlencoded_text(parts.uri.query().unwrap_or_default().as_bytes())?;
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| {
                let text = e.body_text();
                let detail = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                let (field, message) = field_and_message(detail, "query");
                ApiError::bad_field(field, message)
            })
    }
}

/// Refuses a query string or form body any of whose texts breaks the one control-character
/// rule, naming the field.
pub(crate) fn check_urlencoded_text(bytes: &[u8]) -> Result<(), ApiError> {
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(bytes).unwrap_or_default();
    validate::check_pairs_text(&pairs).map_err(field_error)
}

/// Path parameters; a malformed id is refused naming it.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path",
                    format!("{}; ids are whole numbers", e.body_text()),
                )
            })
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v)
}

async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(token) = bearer(parts) {
        return Ok(state.app.authenticate_token(token).await?);
    }
    if let Some(id) = session_cookie(parts) {
        let (member, csrf) = state.app.session(id).await?;
        require_csrf(parts, &csrf)?;
        return Ok(Principal::Member(Box::new(member)));
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "sign in, or send Authorization: Bearer <API token>",
    ))
}

/// Refuses an unsafe request made with a session cookie that does not carry the session's
/// CSRF token in its header: another site's page can make the browser send the cookie, but
/// cannot read the token.
pub(crate) fn require_csrf(parts: &Parts, csrf: &str) -> Result<(), ApiError> {
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if safe || sent.is_some_and(|s| leadpool_app::secret::constant_time_eq(s, csrf)) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "send the csrf_token from sign-in in the X-CSRF-Token header",
        ))
    }
}

/// The `Set-Cookie` value giving the session cookie `id` for `max_age` seconds, or with
/// `None` clearing it; `Secure` as [`CookieSecure`] says.
pub fn set_session_cookie(
    config: &WebConfig,
    parts: &Parts,
    id: Option<&str>,
    max_age: u64,
) -> HeaderValue {
    let https = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    let secure = match config.cookie_secure {
        CookieSecure::Never => false,
        CookieSecure::Always => true,
        CookieSecure::Forwarded => https,
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        id.unwrap_or_default(),
        if secure { "; Secure" } else { "" }
    );
    // Session ids are our own letters and digits, so the value is always a valid header; a
    // cleared cookie is the harmless answer were it ever not.
    HeaderValue::from_str(&cookie)
        .unwrap_or_else(|_| HeaderValue::from_static("leadpool_session=; Path=/; Max-Age=0"))
}

/// A signed-in user of an organization.
#[derive(Debug)]
pub struct Auth(pub Member);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match principal(parts, state).await? {
            Principal::Member(m) => Ok(Self(*m)),
            Principal::Operator => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "the operator token manages organizations only; use a user's token",
            )),
        }
    }
}

/// The installation's operator.
#[derive(Debug)]
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match principal(parts, state).await? {
            Principal::Operator => Ok(Self),
            Principal::Member(_) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "only the operator token may manage organizations",
            )),
        }
    }
}
