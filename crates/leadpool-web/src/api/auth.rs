//! `/api/v1/auth` and `/api/v1/me`: password sign-in for the browser (a server-side
//! session in an HttpOnly cookie, plus a CSRF token for unsafe requests), sign-out, and
//! API tokens.

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use leadpool_app::AppError;
use leadpool_domain::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::users::UserDto;
use crate::error::ErrorBody;
use crate::extract::{Auth, Json, Path, require_csrf, session_cookie, set_session_cookie};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(set_time_zone))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Sign-in address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    /// Who signed in.
    pub user: UserDto,
    /// Send this in `X-CSRF-Token` on every POST, PATCH, PUT and DELETE made with the cookie.
    pub csrf_token: String,
    /// When the session ends (RFC 3339).
    pub expires_at: String,
}

/// `POST /api/v1/auth/login`: sign in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = SessionDto),
        (status = 401, body = ErrorBody, description = "`unauthenticated`: the email or password is wrong, or the user is deactivated"),
        (status = 429, body = ErrorBody, description = "too many wrong passwords in a row for this address; see Retry-After")))]
async fn login(
    State(s): State<AppState>,
    parts: Parts,
    Json(b): Json<LoginBody>,
) -> Result<Response, ApiError> {
    let (member, session) = s.app.login(&b.email, &b.password).await?;
    let cookie = set_session_cookie(
        &s.config,
        &parts,
        Some(&session.id),
        s.app.store_session_ttl_secs(),
    );
    let body = SessionDto {
        user: member.user.into(),
        csrf_token: session.csrf,
        expires_at: session.expires_at.to_string(),
    };
    let mut res = axum::Json(body).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

/// `POST /api/v1/auth/logout`: end the session and clear the cookie. A live session needs
/// its CSRF token, so another site cannot sign people out.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security((), ("session" = [])),
    responses((status = 204, description = "signed out (or already signed out)"),
        (status = 403, body = ErrorBody, description = "`csrf_failed`: a live session without its X-CSRF-Token")))]
async fn logout(State(s): State<AppState>, parts: Parts) -> Result<Response, ApiError> {
    if let Some(id) = session_cookie(&parts) {
        match s.app.session(id).await {
            Ok((_, csrf)) => {
                require_csrf(&parts, &csrf)?;
                s.app.logout(id).await?;
            }
            // Already over: nothing to end, just clear the cookie.
            Err(AppError::Unauthenticated(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_session_cookie(&s.config, &parts, None, 0),
    );
    Ok(res)
}

/// `GET /api/v1/me`: the signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UserDto)))]
async fn me(Auth(m): Auth) -> axum::Json<UserDto> {
    axum::Json(m.user.into())
}

/// The time zone a person reads times in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeZoneBody {
    /// An IANA name such as `America/New_York`; null: UTC.
    pub time_zone: Option<String>,
}

/// `PUT /api/v1/me/time-zone`: the signed-in user's time zone, in which pages show them times.
#[utoipa::path(put, path = "/api/v1/me/time-zone", tag = "auth", request_body = TimeZoneBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UserDto)))]
async fn set_time_zone(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<TimeZoneBody>,
) -> Result<axum::Json<UserDto>, ApiError> {
    let user = s
        .app
        .set_time_zone(&m, b.time_zone.as_deref().unwrap_or_default())
        .await?;
    Ok(axum::Json(user.into()))
}

/// A token request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// What the token is for ("Zapier", "CRM sync").
    #[schema(min_length = 1)]
    pub name: String,
}

/// A new API token; the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The secret: send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// `POST /api/v1/users/{id}/tokens`: issue an API token for yourself, or (admins) a user they may edit.
#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "auth", params(("id" = i64, Path, description = "user id")), request_body = TokenBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = TokenDto)))]
async fn create_token(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<TokenBody>,
) -> Result<(StatusCode, axum::Json<TokenDto>), ApiError> {
    let (meta, token) = s.app.create_token(&m, UserId::new(id), &b.name).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenDto {
            id: meta.id,
            name: meta.name,
            token,
        }),
    ))
}

/// An API token as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfoDto {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// When it was issued (RFC 3339).
    pub created_at: String,
}

/// A user's API tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenListDto {
    /// Oldest first.
    pub items: Vec<TokenInfoDto>,
}

/// `GET /api/v1/users/{id}/tokens`: your own tokens, or (admins) those of a user they may edit.
#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "auth", params(("id" = i64, Path, description = "user id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TokenListDto)))]
async fn list_tokens(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<TokenListDto>, ApiError> {
    let tokens = s.app.list_tokens(&m, UserId::new(id)).await?;
    Ok(axum::Json(TokenListDto {
        items: tokens
            .into_iter()
            .map(|t| TokenInfoDto {
                id: t.id,
                name: t.name,
                created_at: t.created_at.to_string(),
            })
            .collect(),
    }))
}

/// `DELETE /api/v1/users/{id}/tokens/{token_id}`: revoke one token; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/users/{id}/tokens/{token_id}", tag = "auth",
    params(("id" = i64, Path, description = "user id"), ("token_id" = i64, Path, description = "token id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "revoked"),
        (status = 404, body = ErrorBody, description = "no such user, or no such token of theirs")))]
async fn revoke_token(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path((id, token_id)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    s.app.revoke_token(&m, UserId::new(id), token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
