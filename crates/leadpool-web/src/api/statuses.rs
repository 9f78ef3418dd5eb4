//! `/api/v1/statuses`: an organization's own lead stages, each in one of the fixed
//! categories. Everyone signed in reads them; organization admins define them. Exactly one
//! is the default, where new leads start.

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::models::Status;
use leadpool_app::statuses::ExpiryInput;
use leadpool_domain::{StatusCategory, StatusId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::extract::{Auth, Json, Path};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_statuses, create_status))
        .routes(routes!(update_status))
}

/// A status.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusDto {
    /// Its id.
    pub id: i64,
    /// Its name, unique in the organization.
    pub name: String,
    /// `new`, `contacted`, `working` or `closed`.
    pub category: &'static str,
    /// Its place in lists.
    pub position: i64,
    /// New leads start here.
    pub is_default: bool,
    /// When set, a lead left in this status that long moves on by itself.
    pub expiry: Option<ExpiryDto>,
    /// Shark tank (seed 002): an agent's hold on a lead in this status is open to every
    /// agent who sees the lead's pool, by a claim or a call, until its first logged contact.
    pub shark_tank: bool,
}

/// A status's expiry: "Working" for 336 h becomes "Recycled" (and optionally returns to the pool).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpiryDto {
    /// How long a lead may stay in the status, in seconds (1 to 10 years).
    pub after_seconds: i64,
    /// The status it then moves to.
    pub to_status_id: i64,
    /// Whether it also returns to the default pool.
    #[serde(default)]
    pub to_pool: bool,
    /// Wait while the lead has a pending task; a task closing re-arms the expiry.
    #[serde(default)]
    pub hold_while_task_pending: bool,
    /// Wait until every pending task is overdue by this many seconds.
    #[serde(default)]
    pub task_overdue_after_seconds: Option<i64>,
    /// Count `after_seconds` in this calendar's open hours; null: wall-clock time.
    #[serde(default)]
    pub calendar_id: Option<i64>,
}

impl From<Status> for StatusDto {
    fn from(s: Status) -> Self {
        Self {
            id: s.id.get(),
            name: s.name,
            category: s.category.as_str(),
            position: s.position,
            is_default: s.is_default,
            expiry: match (s.expires_after_ms, s.expires_to_status_id) {
                (Some(ms), Some(to)) => Some(ExpiryDto {
                    after_seconds: ms / 1000,
                    to_status_id: to.get(),
                    to_pool: s.expires_to_pool,
                    hold_while_task_pending: s.expires_hold_while_task_pending,
                    task_overdue_after_seconds: s.expires_task_overdue_after_ms.map(|ms| ms / 1000),
                    calendar_id: s.expires_calendar_id,
                }),
                _ => None,
            },
            shark_tank: s.shark_tank,
        }
    }
}

/// Every status.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusListDto {
    /// The statuses, in list order.
    pub items: Vec<StatusDto>,
}

/// A new status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStatusBody {
    /// Its name, unique in the organization.
    #[schema(min_length = 1)]
    pub name: String,
    /// `new`, `contacted`, `working` or `closed`.
    pub category: String,
    /// Make it the default (the previous default stops being one).
    #[serde(default)]
    pub is_default: bool,
}

/// A change to a status; absent fields are kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStatusBody {
    /// New name.
    pub name: Option<String>,
    /// New category.
    pub category: Option<String>,
    /// New place in lists.
    pub position: Option<i64>,
    /// `true` makes it the default (the previous default stops being one); to stop being
    /// the default, make another status the default.
    pub is_default: Option<bool>,
    /// Set the expiry, or `null` to remove it. Leads already in the status follow the new
    /// rule at once, each counted from when it entered the status (one already past its
    /// new due time expires within moments).
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<ExpiryDto>)]
    pub expiry: Option<Option<ExpiryDto>>,
    /// Make it a shark tank or not (see [`StatusDto::shark_tank`]).
    pub shark_tank: Option<bool>,
}

/// Parses a category's wire name, naming the `category` field when it is unknown.
fn parse_category(s: &str) -> Result<StatusCategory, ApiError> {
    StatusCategory::parse(s).ok_or_else(|| {
        let known: Vec<&str> = StatusCategory::ALL.iter().map(|c| c.as_str()).collect();
        ApiError::bad_field(
            "category",
            format!("`{s}` is not a category; use one of {}", known.join(", ")),
        )
    })
}

/// `GET /api/v1/statuses`: the organization's statuses, in list order.
#[utoipa::path(get, path = "/api/v1/statuses", tag = "statuses",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = StatusListDto)))]
async fn list_statuses(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<StatusListDto>, ApiError> {
    let statuses = s.app.list_statuses(&m).await?;
    Ok(axum::Json(StatusListDto {
        items: statuses.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/statuses`: add a status at the end of the list.
#[utoipa::path(post, path = "/api/v1/statuses", tag = "statuses", request_body = CreateStatusBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = StatusDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn create_status(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<CreateStatusBody>,
) -> Result<(StatusCode, axum::Json<StatusDto>), ApiError> {
    let category = parse_category(&b.category)?;
    let status = s
        .app
        .create_status(&m, &b.name, category, b.is_default)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(status.into())))
}

/// `PATCH /api/v1/statuses/{id}`: rename, recategorize, move, or make the default.
#[utoipa::path(patch, path = "/api/v1/statuses/{id}", tag = "statuses", params(("id" = i64, Path, description = "status id")), request_body = UpdateStatusBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = StatusDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn update_status(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<UpdateStatusBody>,
) -> Result<axum::Json<StatusDto>, ApiError> {
    let category = b.category.as_deref().map(parse_category).transpose()?;
    let status = s
        .app
        .update_status(
            &m,
            StatusId::new(id),
            b.name.as_deref(),
            category,
            b.position,
            b.is_default,
        )
        .await?;
    let status = match b.expiry {
        None => status,
        Some(e) => {
            let rule = e.map(|e| ExpiryInput {
                after_seconds: e.after_seconds,
                to_status: StatusId::new(e.to_status_id),
                to_pool: e.to_pool,
                hold_while_task_pending: e.hold_while_task_pending,
                task_overdue_after_seconds: e.task_overdue_after_seconds,
                calendar_id: e.calendar_id,
            });
            s.app.set_status_expiry(&m, StatusId::new(id), rule).await?
        }
    };
    let status = match b.shark_tank {
        None => status,
        Some(on) => s.app.set_shark_tank(&m, StatusId::new(id), on).await?,
    };
    Ok(axum::Json(status.into()))
}
