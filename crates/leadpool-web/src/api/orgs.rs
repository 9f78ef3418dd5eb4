//! `/api/v1/organizations`: the operator lists organizations and creates one together with
//! its first admin (who gets an API token, shown once). Only the operator token reaches
//! these routes; a user's token is refused.

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::bootstrap::{DEFAULT_STATUSES, NewOrg, UserSpec};
use leadpool_app::models::Organization;
use leadpool_domain::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::users::UserDto;
use crate::error::ErrorBody;
use crate::extract::{Json, Operator};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_orgs, create_org))
}

/// An organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgDto {
    /// Its id.
    pub id: i64,
    /// Short unique name (`acme-realty`).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl From<Organization> for OrgDto {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id.get(),
            slug: o.slug,
            name: o.name,
            created_at: o.created_at.to_string(),
        }
    }
}

/// Every organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgListDto {
    /// The organizations, oldest first.
    pub items: Vec<OrgDto>,
}

/// A new organization and its first admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgBody {
    /// Short unique name: 2 to 40 of a-z, 0-9 and `-`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The first admin's sign-in address.
    pub admin_email: String,
    /// The first admin's display name.
    pub admin_name: String,
    /// The first admin's password (at least 10 characters); omit for a token-only admin.
    pub admin_password: Option<String>,
}

/// A created organization, its admin, and the admin's API token (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOrgDto {
    /// The organization.
    pub organization: OrgDto,
    /// Its admin, scoped to the whole organization.
    pub admin: UserDto,
    /// The admin's secret: send as `Authorization: Bearer <token>`.
    pub admin_token: String,
}

/// `GET /api/v1/organizations`: every organization (operator only).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations",
    security(("bearer" = [])),
    responses((status = 200, body = OrgListDto)))]
async fn list_orgs(
    State(s): State<AppState>,
    _: Operator,
) -> Result<axum::Json<OrgListDto>, ApiError> {
    let orgs = s.app.list_orgs().await?;
    Ok(axum::Json(OrgListDto {
        items: orgs.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/organizations`: create an organization with the default statuses and
/// pool, and its first admin (operator only).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = CreateOrgBody,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedOrgDto),
        (status = 409, body = ErrorBody, description = "the slug or the admin's email is taken")))]
async fn create_org(
    State(s): State<AppState>,
    _: Operator,
    Json(b): Json<CreateOrgBody>,
) -> Result<(StatusCode, axum::Json<CreatedOrgDto>), ApiError> {
    let spec = UserSpec {
        email: &b.admin_email,
        name: &b.admin_name,
        role: Role::Admin,
        password: b.admin_password.as_deref(),
        teams: &[],
    };
    let new = NewOrg {
        slug: &b.slug,
        name: &b.name,
        statuses: DEFAULT_STATUSES,
    };
    let (org, admin, admin_token) = s.app.create_org_with_admin(&new, &spec).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedOrgDto {
            organization: org.into(),
            admin: admin.into(),
            admin_token,
        }),
    ))
}
