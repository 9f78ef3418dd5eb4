//! `/api/v1/sources`: where leads come from, each with an intake key. Admins and ISAs read
//! sources; organization admins create, change and deactivate them and rotate their keys.
//! A key is shown only when it is made; afterwards only its last characters (`key_hint`).

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::models::Source;
use leadpool_domain::{SourceId, TeamId};
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
        .routes(routes!(list_sources, create_source))
        .routes(routes!(get_source, update_source))
        .routes(routes!(rotate_key))
}

/// A lead source.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceDto {
    /// Its id.
    pub id: i64,
    /// Its name ("Website", "Zillow").
    pub name: String,
    /// The team its leads belong to; null: the organization level.
    pub team_id: Option<i64>,
    /// The last characters of its intake key, to tell keys apart.
    pub key_hint: String,
    /// Inactive sources refuse intake.
    pub active: bool,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl From<Source> for SourceDto {
    fn from(s: Source) -> Self {
        Self {
            id: s.id.get(),
            name: s.name,
            team_id: s.team_id.map(|t| t.get()),
            key_hint: s.key_hint,
            active: s.active,
            created_at: s.created_at.to_string(),
        }
    }
}

/// Every source.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceListDto {
    /// The sources, by id.
    pub items: Vec<SourceDto>,
}

/// A source with its new intake key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceKeyDto {
    /// The source.
    pub source: SourceDto,
    /// Send as `X-Intake-Key` to `POST /api/v1/intake`.
    pub intake_key: String,
}

impl From<(Source, String)> for SourceKeyDto {
    fn from((source, intake_key): (Source, String)) -> Self {
        Self {
            source: source.into(),
            intake_key,
        }
    }
}

/// A new source.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSourceBody {
    /// Its name, unique in the organization.
    #[schema(min_length = 1)]
    pub name: String,
    /// The team its leads belong to; omit for the organization level.
    pub team_id: Option<i64>,
}

/// A change to a source; absent fields are kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSourceBody {
    /// New name.
    pub name: Option<String>,
    /// New team; null moves it to the organization level.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    /// Turn intake on or off.
    pub active: Option<bool>,
}

/// `GET /api/v1/sources`: every source (admins and ISAs).
#[utoipa::path(get, path = "/api/v1/sources", tag = "sources",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SourceListDto)))]
async fn list_sources(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<SourceListDto>, ApiError> {
    let sources = s.app.list_sources(&m).await?;
    Ok(axum::Json(SourceListDto {
        items: sources.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/sources`: add a source; the answer holds its intake key, shown this once.
#[utoipa::path(post, path = "/api/v1/sources", tag = "sources", request_body = CreateSourceBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = SourceKeyDto),
        (status = 404, body = ErrorBody, description = "no such team"),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn create_source(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<CreateSourceBody>,
) -> Result<(StatusCode, axum::Json<SourceKeyDto>), ApiError> {
    let created = s
        .app
        .create_source(&m, &b.name, b.team_id.map(TeamId::new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(created.into())))
}

/// `GET /api/v1/sources/{id}` (admins and ISAs).
#[utoipa::path(get, path = "/api/v1/sources/{id}", tag = "sources", params(("id" = i64, Path, description = "source id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SourceDto)))]
async fn get_source(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<SourceDto>, ApiError> {
    Ok(axum::Json(
        s.app.get_source(&m, SourceId::new(id)).await?.into(),
    ))
}

/// `PATCH /api/v1/sources/{id}`: rename a source, move it to a team, or turn it on or off.
#[utoipa::path(patch, path = "/api/v1/sources/{id}", tag = "sources", params(("id" = i64, Path, description = "source id")), request_body = UpdateSourceBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SourceDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn update_source(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<UpdateSourceBody>,
) -> Result<axum::Json<SourceDto>, ApiError> {
    let team = b.team_id.map(|t| t.map(TeamId::new));
    Ok(axum::Json(
        s.app
            .update_source(&m, SourceId::new(id), b.name.as_deref(), team, b.active)
            .await?
            .into(),
    ))
}

/// `POST /api/v1/sources/{id}/rotate-key`: replace the intake key; the old one stops
/// working at once.
#[utoipa::path(post, path = "/api/v1/sources/{id}/rotate-key", tag = "sources", params(("id" = i64, Path, description = "source id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SourceKeyDto)))]
async fn rotate_key(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<SourceKeyDto>, ApiError> {
    Ok(axum::Json(
        s.app.rotate_source_key(&m, SourceId::new(id)).await?.into(),
    ))
}
