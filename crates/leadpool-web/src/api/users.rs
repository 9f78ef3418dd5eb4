//! `/api/v1/users`: the people of an organization. Admins and ISAs list their scope's
//! users, everyone else the whole organization's; admins add and change users within
//! their scope. (`/api/v1/users/{id}/tokens` lives with the other credentials in `auth`.)

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::directory::{NewMember, UserChanges};
use leadpool_app::models::User;
use leadpool_domain::{Role, TeamId, UserId};
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
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// Their id.
    pub id: i64,
    /// Their organization.
    pub org_id: i64,
    /// Sign-in address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `admin`, `isa`, `agent` or `all_leads_agent`.
    pub role: &'static str,
    /// Only active users sign in and receive leads.
    pub active: bool,
    /// Paused: routing passes them over until they resume.
    pub paused: bool,
    /// Why they are paused, when they said.
    pub pause_reason: Option<String>,
    /// The IANA time zone their pages show times in; null: UTC.
    pub time_zone: Option<String>,
    /// The team whose subtree their rights reach; null: the whole organization.
    pub scope_team_id: Option<i64>,
    /// Teams they belong to.
    pub team_ids: Vec<i64>,
    /// Their tags.
    pub tags: Vec<String>,
    /// Whether they may see and claim from pools.
    pub pool_access: bool,
    /// Their own cap on open new leads; null: the organization's applies.
    pub max_new_leads: Option<u32>,
    /// Their own minimum of open new leads; null: the organization's applies.
    pub min_new_leads: Option<u32>,
    /// When they were added (RFC 3339).
    pub created_at: String,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.get(),
            org_id: u.org.get(),
            email: u.email,
            name: u.name,
            role: u.role.as_str(),
            active: u.active,
            paused: u.paused,
            pause_reason: u.pause_reason,
            time_zone: u.time_zone,
            scope_team_id: u.scope_team_id.map(|t| t.get()),
            team_ids: u.teams.iter().map(|t| t.get()).collect(),
            tags: u.tags,
            pool_access: u.pool_access,
            max_new_leads: u.max_new_leads,
            min_new_leads: u.min_new_leads,
            created_at: u.created_at.to_string(),
        }
    }
}

/// Parses a role's wire name, naming `field` when it is unknown.
fn parse_role(field: &str, s: &str) -> Result<Role, ApiError> {
    Role::parse(s).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        ApiError::bad_field(
            field,
            format!("`{s}` is not a role; use one of {}", known.join(", ")),
        )
    })
}

/// Every user the caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserListDto {
    /// The users, by id.
    pub items: Vec<UserDto>,
}

/// Filters of a user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Only users with this role: `admin`, `isa`, `agent` or `all_leads_agent`.
    pub role: Option<String>,
    /// Only active (`true`) or inactive (`false`) users.
    pub active: Option<bool>,
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    /// Sign-in address, unique across the installation.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `admin`, `isa`, `agent` or `all_leads_agent`.
    pub role: String,
    /// Password (at least 10 characters); omit for a token-only user.
    pub password: Option<String>,
    /// Teams they belong to (a team admin must name at least one of theirs).
    #[serde(default)]
    pub team_ids: Vec<i64>,
    /// Their tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The team whose subtree their rights reach; omit for the whole organization.
    pub scope_team_id: Option<i64>,
}

/// A change to a user; absent fields are kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserBody {
    /// New display name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<String>,
    /// Activate or deactivate (nobody can deactivate themselves).
    pub active: Option<bool>,
    /// New teams (replacing).
    pub team_ids: Option<Vec<i64>>,
    /// New tags (replacing).
    pub tags: Option<Vec<String>>,
    /// New scope team; null widens it to the whole organization.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<i64>)]
    pub scope_team_id: Option<Option<i64>>,
    /// New password (at least 10 characters).
    pub password: Option<String>,
    /// Turn pool access on or off.
    pub pool_access: Option<bool>,
    /// Their own cap on open new leads (0 to 100000); null falls back to the organization's.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<u32>, maximum = 100000)]
    pub max_new_leads: Option<Option<u32>>,
    /// Their own minimum of open new leads (0 to 100000); null falls back to the organization's.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<u32>, maximum = 100000)]
    pub min_new_leads: Option<Option<u32>>,
    /// Their time zone, an IANA name such as `America/New_York`; null: UTC.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<String>)]
    pub time_zone: Option<Option<String>>,
}

fn team_ids(ids: Vec<i64>) -> Vec<TeamId> {
    ids.into_iter().map(TeamId::new).collect()
}

/// `GET /api/v1/users`: the users the caller may see.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserListParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UserListDto)))]
async fn list_users(
    State(s): State<AppState>,
    Auth(m): Auth,
    Query(p): Query<UserListParams>,
) -> Result<axum::Json<UserListDto>, ApiError> {
    let role = p
        .role
        .as_deref()
        .map(|r| parse_role("role", r))
        .transpose()?;
    let users = s.app.list_users(&m, role, p.active).await?;
    Ok(axum::Json(UserListDto {
        items: users.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/users`: add a user in the caller's scope.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = UserDto),
        (status = 404, body = ErrorBody, description = "no such team"),
        (status = 409, body = ErrorBody, description = "the email is taken")))]
async fn create_user(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<CreateUserBody>,
) -> Result<(StatusCode, axum::Json<UserDto>), ApiError> {
    let new = NewMember {
        email: b.email,
        name: b.name,
        role: parse_role("role", &b.role)?,
        password: b.password,
        teams: team_ids(b.team_ids),
        tags: b.tags,
        scope_team_id: b.scope_team_id.map(TeamId::new),
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(s.app.create_user(&m, new).await?.into()),
    ))
}

/// `GET /api/v1/users/{id}`.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "user id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UserDto)))]
async fn get_user(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<UserDto>, ApiError> {
    Ok(axum::Json(
        s.app.get_user(&m, UserId::new(id)).await?.into(),
    ))
}

/// `PATCH /api/v1/users/{id}`: change a user in the caller's scope.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "user id")), request_body = UpdateUserBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UserDto)))]
async fn update_user(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<UpdateUserBody>,
) -> Result<axum::Json<UserDto>, ApiError> {
    let changes = UserChanges {
        name: b.name,
        role: b
            .role
            .as_deref()
            .map(|r| parse_role("role", r))
            .transpose()?,
        active: b.active,
        teams: b.team_ids.map(team_ids),
        tags: b.tags,
        scope_team_id: b.scope_team_id.map(|t| t.map(TeamId::new)),
        password: b.password,
        pool_access: b.pool_access,
        max_new_leads: b.max_new_leads,
        min_new_leads: b.min_new_leads,
        time_zone: b.time_zone.map(Option::unwrap_or_default),
    };
    Ok(axum::Json(
        s.app
            .update_user(&m, UserId::new(id), changes)
            .await?
            .into(),
    ))
}
