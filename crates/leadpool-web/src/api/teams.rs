//! `/api/v1/teams`: an organization's hierarchy of teams. Everyone signed in may read it;
//! admins create, rename and move teams within their scope.

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::models::Team;
use leadpool_domain::TeamId;
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
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, update_team))
}

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDto {
    /// Its id.
    pub id: i64,
    /// Its name, unique in the organization.
    pub name: String,
    /// The team above it; null at the top.
    pub parent_id: Option<i64>,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl From<Team> for TeamDto {
    fn from(t: Team) -> Self {
        Self {
            id: t.id.get(),
            name: t.name,
            parent_id: t.parent_id.map(|p| p.get()),
            created_at: t.created_at.to_string(),
        }
    }
}

/// Every team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamListDto {
    /// The teams, by id.
    pub items: Vec<TeamDto>,
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamBody {
    /// Its name, unique in the organization.
    #[schema(min_length = 1)]
    pub name: String,
    /// The team to put it under; omit for the top level.
    pub parent_id: Option<i64>,
}

/// A change to a team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamBody {
    /// New name.
    pub name: Option<String>,
    /// New parent; null moves it to the top level, absent keeps it where it is.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
}

/// `GET /api/v1/teams`: every team of the organization.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TeamListDto)))]
async fn list_teams(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<TeamListDto>, ApiError> {
    let teams = s.app.list_teams(&m).await?;
    Ok(axum::Json(TeamListDto {
        items: teams.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/teams`: add a team under one the caller administers.
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = CreateTeamBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = TeamDto),
        (status = 404, body = ErrorBody, description = "no such parent team"),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn create_team(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<CreateTeamBody>,
) -> Result<(StatusCode, axum::Json<TeamDto>), ApiError> {
    let team = s
        .app
        .create_team(&m, &b.name, b.parent_id.map(TeamId::new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(team.into())))
}

/// `GET /api/v1/teams/{id}`.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = i64, Path, description = "team id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TeamDto)))]
async fn get_team(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<TeamDto>, ApiError> {
    Ok(axum::Json(
        s.app.get_team(&m, TeamId::new(id)).await?.into(),
    ))
}

/// `PATCH /api/v1/teams/{id}`: rename a team or move it under another (never under itself
/// or its own subteams).
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = i64, Path, description = "team id")), request_body = UpdateTeamBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TeamDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn update_team(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<UpdateTeamBody>,
) -> Result<axum::Json<TeamDto>, ApiError> {
    let parent = b.parent_id.map(|p| p.map(TeamId::new));
    Ok(axum::Json(
        s.app
            .update_team(&m, TeamId::new(id), b.name.as_deref(), parent)
            .await?
            .into(),
    ))
}
