//! `/api/v1/webhooks`: an organization's webhook endpoints, their delivery logs, and
//! resending a delivery (organization admins); `/api/v1/deliveries`: every delivery of the
//! organization, webhooks and email, and retrying one. An endpoint's signing secret is shown only
//! when it is made or rotated. Deliveries are signed as Standard Webhooks: headers
//! `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`; body
//! `{"type", "timestamp", "data": {"organization_id", "lead_id", "user_id", "payload"}}`.

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::models::{Delivery, Webhook};
use leadpool_app::webhooks::{DeliveryLog, LogPage, WebhookInput};
use leadpool_domain::delivery::{DeliveryState, EventType};
use leadpool_domain::{DeliveryId, WebhookId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::extract::{Auth, Json, Path, Query};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(resend_delivery))
        .routes(routes!(list_all_deliveries))
        .routes(routes!(retry_delivery))
}

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    /// Its id.
    pub id: i64,
    /// Where events are posted.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// The event types it receives; empty: every type.
    pub event_types: Vec<String>,
    /// Whether events are delivered to it.
    pub enabled: bool,
    /// Why the engine turned it off: 20 dead deliveries in a row, or deliveries dying for
    /// 24 hours with none delivered. Null when it is on, or an admin turned it off.
    pub disabled_reason: Option<String>,
    /// When the engine turned it off (RFC 3339).
    pub disabled_at: Option<String>,
    /// Dead deliveries since the last delivered one.
    pub dead_in_a_row: u32,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<Webhook> for WebhookDto {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id.get(),
            event_types: w
                .filter
                .types()
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            url: w.url,
            description: w.description,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            disabled_at: w.disabled_at.map(|t| t.to_string()),
            dead_in_a_row: w.health.dead_streak,
            created_at: w.created_at.to_string(),
            updated_at: w.updated_at.to_string(),
        }
    }
}

/// Every endpoint, and the event types there are.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookListDto {
    /// The endpoints, by id.
    pub items: Vec<WebhookDto>,
    /// Every event type an endpoint may filter on.
    pub event_types: Vec<String>,
}

/// An endpoint with its new signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSecretDto {
    /// The endpoint.
    pub webhook: WebhookDto,
    /// `whsec_` and base64: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

impl From<(Webhook, String)> for WebhookSecretDto {
    fn from((w, secret): (Webhook, String)) -> Self {
        Self {
            webhook: w.into(),
            secret,
        }
    }
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookBody {
    /// Where to post events: an http or https URL.
    pub url: String,
    /// What it is for (at most 500 characters).
    pub description: Option<String>,
    /// Event types to receive; omit or leave empty for every type.
    pub event_types: Option<Vec<String>>,
    /// Whether it starts on (default true).
    pub enabled: Option<bool>,
}

/// A change to an endpoint; absent fields are kept. Turning it on clears why the engine
/// turned it off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookBody {
    /// New URL.
    pub url: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New event types; empty for every type.
    pub event_types: Option<Vec<String>>,
    /// Turn it on or off.
    pub enabled: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStateDto {
    /// Waiting for its next attempt, or being attempted.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed.
    Dead,
}

impl From<DeliveryStateDto> for DeliveryState {
    fn from(s: DeliveryStateDto) -> Self {
        match s {
            DeliveryStateDto::Pending => Self::Pending,
            DeliveryStateDto::Delivered => Self::Delivered,
            DeliveryStateDto::Dead => Self::Dead,
        }
    }
}

impl From<DeliveryState> for DeliveryStateDto {
    fn from(s: DeliveryState) -> Self {
        match s {
            DeliveryState::Pending => Self::Pending,
            DeliveryState::Delivered => Self::Delivered,
            DeliveryState::Dead => Self::Dead,
        }
    }
}

/// A delivery of one event to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    /// Its id.
    pub id: i64,
    /// `webhook` or `email`.
    pub channel: String,
    /// The endpoint (webhook deliveries; null for email).
    pub webhook_id: Option<i64>,
    /// Where it goes: the endpoint's URL, or the addressee's email address.
    pub to: String,
    /// The lead the event is about.
    pub lead_id: Option<i64>,
    /// The event's id (`webhook-id` is `evt_` and this).
    pub event_id: i64,
    /// The event's type.
    pub event_type: String,
    /// Where it stands.
    pub state: DeliveryStateDto,
    /// Attempts made.
    pub attempts: u32,
    /// When it is next attempted (RFC 3339; pending deliveries only).
    pub next_attempt_at: Option<String>,
    /// When it was last attempted (RFC 3339).
    pub last_attempt_at: Option<String>,
    /// The receiver's last status code (HTTP, or the SMTP reply code); null when it did not
    /// answer.
    pub last_status: Option<u16>,
    /// How long the receiver took to answer last time, in milliseconds.
    pub last_response_ms: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the event was written (RFC 3339).
    pub created_at: String,
}

impl From<Delivery> for DeliveryDto {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id.get(),
            channel: d.channel.as_str().to_owned(),
            webhook_id: d.endpoint.map(WebhookId::get),
            to: d.to,
            lead_id: d.lead_id.map(leadpool_domain::LeadId::get),
            event_id: d.event_id,
            event_type: d.event_type,
            state: d.state.into(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(|t| t.to_string()),
            last_attempt_at: d.last_attempt_at.map(|t| t.to_string()),
            last_status: d.last_status,
            last_response_ms: d.last_response_ms,
            last_error: d.last_error,
            created_at: d.created_at.to_string(),
        }
    }
}

/// A page of an endpoint's delivery log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryListDto {
    /// The deliveries.
    pub items: Vec<DeliveryDto>,
    /// Pass as `before` for the next (older) page; null on the last.
    pub next_before: Option<i64>,
}

/// Which deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryParams {
    /// Only deliveries in this state.
    pub state: Option<DeliveryStateDto>,
    /// Only deliveries in trouble: dead, or pending after a failed attempt.
    pub failed: Option<bool>,
    /// Only deliveries older than this id (`next_before` of the previous page).
    pub before: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// `GET /api/v1/webhooks`: every endpoint of the organization (organization admins).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = WebhookListDto)))]
async fn list_webhooks(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<WebhookListDto>, ApiError> {
    let all = s.app.list_webhooks(&m).await?;
    Ok(axum::Json(WebhookListDto {
        items: all.into_iter().map(Into::into).collect(),
        event_types: EventType::ALL
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
    }))
}

/// `POST /api/v1/webhooks`: add an endpoint; the answer holds its signing secret, shown
/// this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhookBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = WebhookSecretDto)))]
async fn create_webhook(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<CreateWebhookBody>,
) -> Result<(StatusCode, axum::Json<WebhookSecretDto>), ApiError> {
    let created = s
        .app
        .create_webhook(
            &m,
            &WebhookInput {
                url: Some(b.url),
                description: b.description,
                event_types: b.event_types,
                enabled: b.enabled,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(created.into())))
}

/// `GET /api/v1/webhooks/{id}`: one endpoint, with why the engine turned it off if it did.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path, description = "webhook id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = WebhookDto)))]
async fn get_webhook(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<WebhookDto>, ApiError> {
    Ok(axum::Json(
        s.app.get_webhook(&m, WebhookId::new(id)).await?.into(),
    ))
}

/// `PATCH /api/v1/webhooks/{id}`: change the URL, description or event types, or turn the
/// endpoint on or off.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path, description = "webhook id")), request_body = UpdateWebhookBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = WebhookDto)))]
async fn update_webhook(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<UpdateWebhookBody>,
) -> Result<axum::Json<WebhookDto>, ApiError> {
    let changes = WebhookInput {
        url: b.url,
        description: b.description,
        event_types: b.event_types,
        enabled: b.enabled,
    };
    Ok(axum::Json(
        s.app
            .update_webhook(&m, WebhookId::new(id), &changes)
            .await?
            .into(),
    ))
}

/// `DELETE /api/v1/webhooks/{id}`: remove an endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path, description = "webhook id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "deleted")))]
async fn delete_webhook(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_webhook(&m, WebhookId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/webhooks/{id}/rotate-secret`: replace the signing secret; the answer
/// holds the new one, shown this once. Every delivery from now on, retries included, is
/// signed with it.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = i64, Path, description = "webhook id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = WebhookSecretDto)))]
async fn rotate_secret(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<WebhookSecretDto>, ApiError> {
    Ok(axum::Json(
        s.app
            .rotate_webhook_secret(&m, WebhookId::new(id))
            .await?
            .into(),
    ))
}

/// `GET /api/v1/webhooks/{id}/deliveries`: the endpoint's delivery log, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "webhook id"), DeliveryParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = DeliveryListDto)))]
async fn list_deliveries(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Query(p): Query<DeliveryParams>,
) -> Result<axum::Json<DeliveryListDto>, ApiError> {
    let log = s
        .app
        .webhook_deliveries(&m, WebhookId::new(id), p.page())
        .await?;
    Ok(axum::Json(log.into()))
}

impl DeliveryParams {
    fn page(&self) -> LogPage {
        LogPage {
            state: self.state.map(Into::into),
            failed: self.failed.unwrap_or(false),
            before: self.before.map(DeliveryId::new),
            limit: self.limit,
        }
    }
}

impl From<DeliveryLog> for DeliveryListDto {
    fn from(log: DeliveryLog) -> Self {
        Self {
            items: log.items.into_iter().map(Into::into).collect(),
            next_before: log.next_before.map(|d| d.get()),
        }
    }
}

/// `GET /api/v1/deliveries`: every delivery of the organization, webhooks and email,
/// newest first (`failed=true`: the dead ones and those failing and retrying).
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "webhooks", params(DeliveryParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = DeliveryListDto)))]
async fn list_all_deliveries(
    State(s): State<AppState>,
    Auth(m): Auth,
    Query(p): Query<DeliveryParams>,
) -> Result<axum::Json<DeliveryListDto>, ApiError> {
    Ok(axum::Json(s.app.deliveries(&m, p.page()).await?.into()))
}

/// `POST /api/v1/deliveries/{id}/retry`: send a delivery (webhook or email) again now with
/// a fresh round of attempts.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "webhooks", params(("id" = i64, Path, description = "delivery id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = DeliveryDto),
        (status = 409, body = ErrorBody, description = "its endpoint is turned off, or this server sends no email")))]
async fn retry_delivery(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<DeliveryDto>, ApiError> {
    Ok(axum::Json(
        s.app.resend_delivery(&m, DeliveryId::new(id)).await?.into(),
    ))
}

/// `POST /api/v1/webhook-deliveries/{id}/retry`: the same as
/// `POST /api/v1/deliveries/{id}/retry`, kept at the path CRMs were first given.
#[utoipa::path(post, path = "/api/v1/webhook-deliveries/{id}/retry", tag = "webhooks", params(("id" = i64, Path, description = "delivery id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = DeliveryDto),
        (status = 409, body = ErrorBody, description = "the endpoint is turned off")))]
async fn resend_delivery(
    state: State<AppState>,
    auth: Auth,
    id: Path<i64>,
) -> Result<axum::Json<DeliveryDto>, ApiError> {
    retry_delivery(state, auth, id).await
}
