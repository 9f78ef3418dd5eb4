//! Distribution settings over HTTP: agent groups (`/api/v1/groups`), routing rules in
//! priority order (`/api/v1/rules`) and reassignment groups (`/api/v1/reassignment-groups`).
//! Admins and ISAs read them; organization admins change groups and rules; team admins
//! change reassignment groups available only to teams in their scope.
//!
//! Conditions, plans and group entries travel in the domain's own JSON shapes, so what is
//! stored, what is returned and what the routing trace names are the same thing:
//!
//! - entry: `{"kind": "user", "user_id": 3, "weight": 2}` or `{"kind": "tag", "tag": "spanish"}`
//!   (weight 1 to 100, default 1);
//! - conditions: `{"sources": [1], "fields": [{"field": "price", "op": "range", "min": 1,
//!   "max": 2}], "tags": ["vip"]}`; `op` is `equals` (`value`), `one_of` (`values`), `range`
//!   (`min`, `max`) or `contains` (`text`);
//! - plan: `{"strategy": {"kind": "round_robin"}, "group_id": 1, "window_secs": 300,
//!   "calendar_id": null, "ignore_hours": false, "passes": 1, "fallback": {"kind": "pool",
//!   "pool_id": 2}}`; strategies `round_robin`, `broadcast`, `load_balanced`, `direct_agent`
//!   (`user_id`), `direct_pool` (`pool_id`); fallbacks `agent` (`user_id`), `pool`
//!   (`pool_id`), `queue`.

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::models::{Group, Reassignment, RuleSettings};
use leadpool_app::routing_settings::{GroupInput, ReassignmentInput};
use leadpool_domain::routing::{Conditions, GroupEntry, Plan, Rule};
use leadpool_domain::{GroupId, ReassignmentId, RuleId, TeamId};
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
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(reorder_rules))
        .routes(routes!(update_rule, delete_rule))
        .routes(routes!(list_reassignments, create_reassignment))
        .routes(routes!(
            get_reassignment,
            update_reassignment,
            delete_reassignment
        ))
}

/// A group of agents that rules and reassignment groups pick from.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDto {
    /// Its id.
    pub id: i64,
    /// Its name, unique in the organization.
    pub name: String,
    /// Its entries in line order: `{"kind": "user", "user_id", "weight"}` or
    /// `{"kind": "tag", "tag", "weight"}`.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<GroupEntry>,
}

impl From<Group> for GroupDto {
    fn from(g: Group) -> Self {
        Self {
            id: g.id.get(),
            name: g.name,
            entries: g.entries,
        }
    }
}

/// Every group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupListDto {
    /// By name.
    pub items: Vec<GroupDto>,
}

/// A group as written (a PUT replaces it whole).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    /// 1 to 100 characters, unique in the organization.
    pub name: String,
    /// Up to 500 entries: agents of the organization by `user_id`, or every agent with a
    /// `tag`; `weight` (1 to 100, default 1) is leads per round.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<GroupEntry>,
}

impl From<GroupBody> for GroupInput {
    fn from(b: GroupBody) -> Self {
        Self {
            name: b.name,
            entries: b.entries,
        }
    }
}

/// `GET /api/v1/groups`: every group (admins and ISAs).
#[utoipa::path(get, path = "/api/v1/groups", tag = "distribution",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = GroupListDto)))]
async fn list_groups(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<GroupListDto>, ApiError> {
    let items = s.app.list_groups(&m).await?;
    Ok(axum::Json(GroupListDto {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/groups`: a new group (organization admins).
#[utoipa::path(post, path = "/api/v1/groups", tag = "distribution", request_body = GroupBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = GroupDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn create_group(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<GroupBody>,
) -> Result<(StatusCode, axum::Json<GroupDto>), ApiError> {
    let g = s.app.create_group(&m, b.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(g.into())))
}

/// `GET /api/v1/groups/{id}` (admins and ISAs).
#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "distribution", params(("id" = i64, Path, description = "group id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = GroupDto)))]
async fn get_group(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<GroupDto>, ApiError> {
    Ok(axum::Json(
        s.app.get_group(&m, GroupId::new(id)).await?.into(),
    ))
}

/// `PUT /api/v1/groups/{id}`: rename a group and replace its entries (organization admins).
#[utoipa::path(put, path = "/api/v1/groups/{id}", tag = "distribution", params(("id" = i64, Path, description = "group id")),
    request_body = GroupBody, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = GroupDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn update_group(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<GroupBody>,
) -> Result<axum::Json<GroupDto>, ApiError> {
    let g = s.app.update_group(&m, GroupId::new(id), b.into()).await?;
    Ok(axum::Json(g.into()))
}

/// `DELETE /api/v1/groups/{id}`: remove a group no rule or reassignment group uses
/// (organization admins).
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "distribution", params(("id" = i64, Path, description = "group id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "deleted"),
        (status = 409, body = ErrorBody, description = "`in_use`: a rule or reassignment group names it")))]
async fn delete_group(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_group(&m, GroupId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A routing rule: which new leads it takes and what it does with them.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    /// Its id.
    pub id: i64,
    /// Its name, unique in the organization.
    pub name: String,
    /// Only enabled rules take leads.
    pub enabled: bool,
    /// `{"sources": [..], "fields": [..], "tags": [..]}`; empty parts match every lead.
    #[schema(value_type = Object)]
    pub conditions: Conditions,
    /// `{"strategy", "group_id", "window_secs", "calendar_id", "ignore_hours", "passes",
    /// "fallback"}`.
    #[schema(value_type = Object)]
    pub plan: Plan,
}

impl From<Rule> for RuleDto {
    fn from(r: Rule) -> Self {
        Self {
            id: r.id.get(),
            name: r.name,
            enabled: r.enabled,
            conditions: r.conditions,
            plan: r.plan,
        }
    }
}

/// Every rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleListDto {
    /// In priority order: the first enabled rule a lead matches routes it.
    pub items: Vec<RuleDto>,
}

fn yes() -> bool {
    true
}

/// A rule as written (a PUT replaces it whole; its place in the order is kept).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// 1 to 100 characters, unique in the organization.
    pub name: String,
    /// Whether it takes leads (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Which leads it takes; absent: every lead.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub conditions: Conditions,
    /// What it does with them.
    #[schema(value_type = Object)]
    pub plan: Plan,
}

impl From<RuleBody> for RuleSettings {
    fn from(b: RuleBody) -> Self {
        Self {
            name: b.name,
            enabled: b.enabled,
            conditions: b.conditions,
            plan: b.plan,
        }
    }
}

/// A new priority order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleOrderBody {
    /// Every rule of the organization, each once, first tried first.
    pub ids: Vec<i64>,
}

fn list_of_rules(rules: Vec<Rule>) -> axum::Json<RuleListDto> {
    axum::Json(RuleListDto {
        items: rules.into_iter().map(Into::into).collect(),
    })
}

/// `GET /api/v1/rules`: every rule in priority order (admins and ISAs).
#[utoipa::path(get, path = "/api/v1/rules", tag = "distribution",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = RuleListDto)))]
async fn list_rules(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<RuleListDto>, ApiError> {
    Ok(list_of_rules(s.app.list_rules(&m).await?))
}

/// `POST /api/v1/rules`: a new rule, tried after the others (organization admins).
#[utoipa::path(post, path = "/api/v1/rules", tag = "distribution", request_body = RuleBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = RuleDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn create_rule(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<RuleBody>,
) -> Result<(StatusCode, axum::Json<RuleDto>), ApiError> {
    let r = s.app.create_rule(&m, b.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(r.into())))
}

/// `PUT /api/v1/rules/{id}`: replace a rule, or turn it on or off (organization admins).
#[utoipa::path(put, path = "/api/v1/rules/{id}", tag = "distribution", params(("id" = i64, Path, description = "rule id")),
    request_body = RuleBody, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = RuleDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn update_rule(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<RuleBody>,
) -> Result<axum::Json<RuleDto>, ApiError> {
    let r = s.app.update_rule(&m, RuleId::new(id), b.into()).await?;
    Ok(axum::Json(r.into()))
}

/// `DELETE /api/v1/rules/{id}` (organization admins).
#[utoipa::path(delete, path = "/api/v1/rules/{id}", tag = "distribution", params(("id" = i64, Path, description = "rule id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "deleted")))]
async fn delete_rule(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_rule(&m, RuleId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/rules/order`: put the rules in a new priority order (organization admins);
/// answers with the rules in that order.
#[utoipa::path(put, path = "/api/v1/rules/order", tag = "distribution", request_body = RuleOrderBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = RuleListDto),
        (status = 422, body = ErrorBody, description = "`ids` does not name every rule exactly once")))]
async fn reorder_rules(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<RuleOrderBody>,
) -> Result<axum::Json<RuleListDto>, ApiError> {
    let ids: Vec<RuleId> = b.ids.into_iter().map(RuleId::new).collect();
    Ok(list_of_rules(s.app.reorder_rules(&m, &ids).await?))
}

/// A reassignment group: members and a strategy for leads already in the system, and the
/// default assignee who gets the lead when nobody takes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReassignmentDto {
    /// Its id.
    pub id: i64,
    /// Its name, unique in the organization.
    pub name: String,
    /// Like a rule's plan; the fallback is `{"kind": "agent", "user_id"}`, the default
    /// assignee.
    #[schema(value_type = Object)]
    pub plan: Plan,
    /// "Available to": the teams whose members may use it; empty: the whole organization.
    pub teams: Vec<i64>,
}

impl From<Reassignment> for ReassignmentDto {
    fn from(r: Reassignment) -> Self {
        Self {
            id: r.id.get(),
            name: r.name,
            plan: r.plan,
            teams: r.teams.into_iter().map(TeamId::get).collect(),
        }
    }
}

/// The reassignment groups the caller may use.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReassignmentListDto {
    /// By name.
    pub items: Vec<ReassignmentDto>,
}

/// A reassignment group as written (a PUT replaces it whole).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignmentBody {
    /// 1 to 100 characters, unique in the organization.
    pub name: String,
    /// Any strategy but `direct_pool`; the fallback must be `{"kind": "agent", "user_id"}`
    /// naming an active agent, the default assignee.
    #[schema(value_type = Object)]
    pub plan: Plan,
    /// The teams whose members may use it; empty or absent: the whole organization. A team
    /// admin must name teams inside their scope.
    #[serde(default)]
    pub teams: Vec<i64>,
}

impl From<ReassignmentBody> for ReassignmentInput {
    fn from(b: ReassignmentBody) -> Self {
        Self {
            name: b.name,
            plan: b.plan,
            teams: b.teams.into_iter().map(TeamId::new).collect(),
        }
    }
}

/// `GET /api/v1/reassignment-groups`: the reassignment groups available to the caller
/// (admins see all; ISAs those for the whole organization or for their teams or scope).
#[utoipa::path(get, path = "/api/v1/reassignment-groups", tag = "distribution",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReassignmentListDto)))]
async fn list_reassignments(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<ReassignmentListDto>, ApiError> {
    let items = s.app.list_reassignment_groups(&m).await?;
    Ok(axum::Json(ReassignmentListDto {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/reassignment-groups`: a new reassignment group (organization admins, or
/// team admins for teams in their scope).
#[utoipa::path(post, path = "/api/v1/reassignment-groups", tag = "distribution", request_body = ReassignmentBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ReassignmentDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn create_reassignment(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<ReassignmentBody>,
) -> Result<(StatusCode, axum::Json<ReassignmentDto>), ApiError> {
    let r = s.app.create_reassignment_group(&m, b.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(r.into())))
}

/// `GET /api/v1/reassignment-groups/{id}`: one the caller may use.
#[utoipa::path(get, path = "/api/v1/reassignment-groups/{id}", tag = "distribution",
    params(("id" = i64, Path, description = "reassignment group id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReassignmentDto)))]
async fn get_reassignment(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<ReassignmentDto>, ApiError> {
    let r = s
        .app
        .get_reassignment_group(&m, ReassignmentId::new(id))
        .await?;
    Ok(axum::Json(r.into()))
}

/// `PUT /api/v1/reassignment-groups/{id}`: replace a reassignment group (organization admins,
/// or team admins for one available only to teams in their scope).
#[utoipa::path(put, path = "/api/v1/reassignment-groups/{id}", tag = "distribution",
    params(("id" = i64, Path, description = "reassignment group id")),
    request_body = ReassignmentBody, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReassignmentDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn update_reassignment(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<ReassignmentBody>,
) -> Result<axum::Json<ReassignmentDto>, ApiError> {
    let r = s
        .app
        .update_reassignment_group(&m, ReassignmentId::new(id), b.into())
        .await?;
    Ok(axum::Json(r.into()))
}

/// `DELETE /api/v1/reassignment-groups/{id}` (organization admins, or team admins for one
/// available only to teams in their scope).
#[utoipa::path(delete, path = "/api/v1/reassignment-groups/{id}", tag = "distribution",
    params(("id" = i64, Path, description = "reassignment group id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "deleted")))]
async fn delete_reassignment(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    s.app
        .delete_reassignment_group(&m, ReassignmentId::new(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
