//! The lead pool over HTTP: claim, reject, move into a pool, assign, log contacts; pools,
//! the organization's caps and rejection pool, and its rejection reasons.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::Member;
use leadpool_app::models::Pool;
use leadpool_app::models::{OrgPoolSettings, RejectReason};
use leadpool_app::pool::{ClaimAnswer, ClaimResult, PoolChanges, PoolInput, RejectInput};
use leadpool_app::wording::{Asker, claim_refusal};
use leadpool_domain::contact::{ContactInput, ContactKind, ContactOutcome};
use leadpool_domain::pool::{CallOwnership, Caps};
use leadpool_domain::{LeadId, PoolId, TeamId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::leads::LeadDto;
use crate::error::ErrorBody;
use crate::extract::{Auth, Json, Path};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(claim))
        .routes(routes!(reject))
        .routes(routes!(move_to_pool))
        .routes(routes!(assign))
        .routes(routes!(log_contact))
        .routes(routes!(log_note))
        .routes(routes!(list_pools, create_pool))
        .routes(routes!(update_pool))
        .routes(routes!(get_settings, set_settings))
        .routes(routes!(list_reasons, add_reason))
        .routes(routes!(remove_reason))
}

/// What came of one lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadResultDto {
    /// The lead asked for.
    pub lead_id: i64,
    /// `claimed`, `moved`, `unchanged`, `already_claimed`, `over_cap`, `not_visible`,
    /// `not_in_pool`, `not_in_queue` or `cooling_down`.
    pub result: &'static str,
    /// For people: what happened, or why not.
    pub message: String,
    /// The lead as it now is (`claimed`, `moved`, `unchanged`).
    pub lead: Option<LeadDto>,
    /// Who holds it (`already_claimed`).
    pub owner_id: Option<i64>,
    /// Their name (`already_claimed`).
    pub owner_name: Option<String>,
    /// The cap reached (`over_cap`).
    pub cap: Option<u32>,
    /// When the caller may claim it again (`cooling_down`, RFC 3339).
    pub until: Option<String>,
}

impl LeadResultDto {
    fn new(a: ClaimAnswer, m: &Member, asker: Asker<'_>) -> Self {
        let mut dto = Self {
            lead_id: a.lead_id.get(),
            result: a.result.code(),
            message: claim_refusal(&a.result, asker)
                .map(|r| r.0)
                .unwrap_or_default(),
            lead: None,
            owner_id: None,
            owner_name: None,
            cap: None,
            until: None,
        };
        match a.result {
            ClaimResult::Claimed { lead } => {
                dto.lead = Some(LeadDto::for_member(lead, m));
                dto.message = "Claimed: the lead is yours".into();
            }
            ClaimResult::Moved { lead } => {
                dto.lead = Some(LeadDto::for_member(lead, m));
                dto.message = "Moved".into();
            }
            ClaimResult::Unchanged { lead } => {
                dto.lead = Some(LeadDto::for_member(lead, m));
                dto.message = "Already there; nothing changed".into();
            }
            ClaimResult::AlreadyClaimed { by, by_name } => {
                dto.owner_id = Some(by.get());
                dto.owner_name = Some(by_name);
            }
            ClaimResult::OverCap { max } => dto.cap = Some(max),
            ClaimResult::CoolingDown { until } => dto.until = Some(until.to_string()),
            ClaimResult::NotVisible | ClaimResult::NotInPool | ClaimResult::NotInQueue => {}
        }
        dto
    }
}

/// Per-lead answers, in the order asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResultDto {
    /// One per lead.
    pub results: Vec<LeadResultDto>,
}

fn answers(a: Vec<ClaimAnswer>, m: &Member, asker: Asker<'_>) -> axum::Json<BulkResultDto> {
    axum::Json(BulkResultDto {
        results: a
            .into_iter()
            .map(|a| LeadResultDto::new(a, m, asker))
            .collect(),
    })
}

fn lead_ids(ids: &[i64]) -> Vec<LeadId> {
    ids.iter().copied().map(LeadId::new).collect()
}

/// Leads to claim.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    /// Up to 500 leads; each is claimed or refused on its own.
    pub lead_ids: Vec<i64>,
}

/// `POST /api/v1/leads/claim`: the caller (an active agent) claims pool leads. Always 200
/// with one answer per lead: a lost race is an answer naming the winner, not an error.
#[utoipa::path(post, path = "/api/v1/leads/claim", tag = "pool", request_body = ClaimBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = BulkResultDto)))]
async fn claim(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<ClaimBody>,
) -> Result<axum::Json<BulkResultDto>, ApiError> {
    let a = s.app.claim(&m, &lead_ids(&b.lead_ids)).await?;
    Ok(answers(a, &m, Asker::Claimer(m.user.id)))
}

/// Why a lead is given back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// One of `GET /api/v1/reject-reasons`.
    pub reason_id: Option<i64>,
    /// The agent's own words (up to 1,000 characters).
    pub note: Option<String>,
}

/// `POST /api/v1/leads/{id}/reject`: the holder gives the lead back to the pool.
#[utoipa::path(post, path = "/api/v1/leads/{id}/reject", tag = "pool", params(("id" = i64, Path, description = "lead id")),
    request_body = RejectBody, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = LeadDto),
        (status = 409, body = ErrorBody, description = super::answers::EDIT_CONFLICT)))]
async fn reject(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<RejectBody>,
) -> Result<axum::Json<LeadDto>, ApiError> {
    let input = RejectInput {
        reason_id: b.reason_id,
        note: b.note,
    };
    let lead = s.app.reject(&m, LeadId::new(id), input).await?;
    Ok(axum::Json(LeadDto::for_member(lead, &m)))
}

/// Leads to move into a pool.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// Up to 500 leads.
    pub lead_ids: Vec<i64>,
    /// The pool; absent: the default pool.
    pub pool_id: Option<i64>,
    /// Why, for the timeline.
    pub reason: Option<String>,
}

/// `POST /api/v1/leads/move-to-pool`: admins and ISAs move leads into a pool.
#[utoipa::path(post, path = "/api/v1/leads/move-to-pool", tag = "pool", request_body = MoveBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = BulkResultDto)))]
async fn move_to_pool(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<MoveBody>,
) -> Result<axum::Json<BulkResultDto>, ApiError> {
    let a = s
        .app
        .move_to_pool(
            &m,
            &lead_ids(&b.lead_ids),
            b.pool_id.map(PoolId::new),
            b.reason,
        )
        .await?;
    Ok(answers(a, &m, Asker::Mover))
}

/// Leads to hand to an agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// Up to 500 leads.
    pub lead_ids: Vec<i64>,
    /// The agent.
    pub agent_id: i64,
    /// Go over the agent's cap (the timeline records it).
    #[serde(default)]
    pub override_cap: bool,
    /// Why, for the timeline.
    pub reason: Option<String>,
    /// Assign only leads still in the manual queue: a lead someone else assigned first is
    /// answered `already_claimed` (naming the agent) or `not_in_queue`, not moved again.
    #[serde(default)]
    pub from_queue: bool,
}

/// `POST /api/v1/leads/assign`: admins and ISAs hand leads to an agent.
#[utoipa::path(post, path = "/api/v1/leads/assign", tag = "pool", request_body = AssignBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = BulkResultDto)))]
async fn assign(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<AssignBody>,
) -> Result<axum::Json<BulkResultDto>, ApiError> {
    let a = s
        .app
        .assign(
            &m,
            &lead_ids(&b.lead_ids),
            UserId::new(b.agent_id),
            b.override_cap,
            b.reason,
            b.from_queue,
        )
        .await?;
    // The API names the agent by id; the answer speaks of them as "the agent".
    Ok(answers(a, &m, Asker::Assigner("The agent")))
}

/// A contact with a lead.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// `call`, `email`, `text` or `meeting`.
    #[schema(value_type = String)]
    pub kind: ContactKind,
    /// How it went: `connected`, or for calls also `left_voicemail`, `no_answer`, `busy`,
    /// `wrong_number`.
    #[schema(value_type = Option<String>)]
    pub outcome: Option<ContactOutcome>,
    /// What was said (up to 1,000 characters).
    pub note: Option<String>,
}

/// A note on a lead.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// The note (1 to 1,000 characters; line breaks allowed).
    pub text: String,
}

/// `POST /api/v1/leads/{id}/contacts`: log a call, email, text or meeting; it ends the
/// holder's reserve time.
#[utoipa::path(post, path = "/api/v1/leads/{id}/contacts", tag = "pool", params(("id" = i64, Path, description = "lead id")),
    request_body = ContactBody, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = LeadDto),
        (status = 409, body = ErrorBody, description = super::answers::EDIT_CONFLICT)))]
async fn log_contact(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<ContactBody>,
) -> Result<(StatusCode, axum::Json<LeadDto>), ApiError> {
    let lead = s
        .app
        .log_contact(
            &m,
            LeadId::new(id),
            ContactInput {
                kind: b.kind,
                outcome: b.outcome,
                note: b.note,
            },
        )
        .await?;
    Ok(created(lead, &m))
}

/// `POST /api/v1/leads/{id}/notes`: write a note on the lead's timeline; unlike a contact it
/// does not end a reserve time. The holder, or an admin or ISA who may see the lead.
#[utoipa::path(post, path = "/api/v1/leads/{id}/notes", tag = "pool", params(("id" = i64, Path, description = "lead id")),
    request_body = NoteBody, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = LeadDto),
        (status = 409, body = ErrorBody, description = super::answers::EDIT_CONFLICT)))]
async fn log_note(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<NoteBody>,
) -> Result<(StatusCode, axum::Json<LeadDto>), ApiError> {
    let lead = s.app.log_note(&m, LeadId::new(id), &b.text).await?;
    Ok(created(lead, &m))
}

/// The answer to a new entry on a lead's timeline: the lead as it now is.
fn created(lead: leadpool_domain::Lead, m: &Member) -> (StatusCode, axum::Json<LeadDto>) {
    (
        StatusCode::CREATED,
        axum::Json(LeadDto::for_member(lead, m)),
    )
}

/// A pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolDto {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The organization's "Lead Pool".
    pub is_default: bool,
    /// Only this team's members see it; null: every agent with pool access.
    pub team_id: Option<i64>,
    /// Phone and email hidden until claimed.
    pub blind: bool,
    /// Reserve time after a claim, in seconds of open time; null: none.
    pub reserve_seconds: Option<u64>,
    /// The calendar counting the reserve time; null: the organization's default.
    pub calendar_id: Option<i64>,
    /// How long a rejecter waits before claiming the lead back, in seconds.
    pub reject_cooldown_seconds: u64,
}

impl From<Pool> for PoolDto {
    fn from(p: Pool) -> Self {
        Self {
            id: p.id.get(),
            name: p.name,
            is_default: p.is_default,
            team_id: p.team_id.map(|t| t.get()),
            blind: p.blind,
            reserve_seconds: p.reserve.map(|d| d.as_secs()),
            calendar_id: p.calendar_id,
            reject_cooldown_seconds: p.reject_cooldown.as_secs(),
        }
    }
}

/// The pools the caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolListDto {
    /// By id.
    pub items: Vec<PoolDto>,
}

/// A new pool's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolBody {
    /// Its name.
    pub name: String,
    /// Only this team's members see it.
    pub team_id: Option<i64>,
    /// Hide phone and email until claimed.
    #[serde(default)]
    pub blind: bool,
    /// Reserve time after a claim, in seconds of open time.
    pub reserve_seconds: Option<u64>,
    /// The calendar counting the reserve time.
    pub calendar_id: Option<i64>,
    /// Cooldown after a rejection, in seconds (default 86,400).
    pub reject_cooldown_seconds: Option<u64>,
}

impl From<PoolBody> for PoolInput {
    fn from(b: PoolBody) -> Self {
        Self {
            name: b.name,
            team_id: b.team_id.map(TeamId::new),
            blind: b.blind,
            reserve: b.reserve_seconds.map(Duration::from_secs),
            calendar_id: b.calendar_id,
            reject_cooldown: b.reject_cooldown_seconds.map(Duration::from_secs),
        }
    }
}

/// Changes to a pool's settings: each field given replaces that setting, the others stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolPatchBody {
    /// A new name.
    pub name: Option<String>,
    /// Only this team's members see it; null: every agent with pool access.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    /// Hide phone and email until claimed.
    pub blind: Option<bool>,
    /// Reserve time after a claim, in seconds of open time; null: none.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<u64>)]
    pub reserve_seconds: Option<Option<u64>>,
    /// The calendar counting the reserve time; null: the organization's default.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<i64>)]
    pub calendar_id: Option<Option<i64>>,
    /// Cooldown after a rejection, in seconds.
    pub reject_cooldown_seconds: Option<u64>,
}

impl From<PoolPatchBody> for PoolChanges {
    fn from(b: PoolPatchBody) -> Self {
        Self {
            name: b.name,
            team_id: b.team_id.map(|t| t.map(TeamId::new)),
            blind: b.blind,
            reserve: b.reserve_seconds.map(|r| r.map(Duration::from_secs)),
            calendar_id: b.calendar_id,
            reject_cooldown: b.reject_cooldown_seconds.map(Duration::from_secs),
        }
    }
}

/// `GET /api/v1/pools`: the pools the caller may see.
#[utoipa::path(get, path = "/api/v1/pools", tag = "pool",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PoolListDto)))]
async fn list_pools(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<PoolListDto>, ApiError> {
    let items = s.app.list_pools(&m).await?;
    Ok(axum::Json(PoolListDto {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/pools`: a new pool (organization admins).
#[utoipa::path(post, path = "/api/v1/pools", tag = "pool", request_body = PoolBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = PoolDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn create_pool(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<PoolBody>,
) -> Result<(StatusCode, axum::Json<PoolDto>), ApiError> {
    let pool = s.app.create_pool(&m, b.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(pool.into())))
}

/// `PATCH /api/v1/pools/{id}`: change the settings given, keep the others (organization
/// admins).
#[utoipa::path(patch, path = "/api/v1/pools/{id}", tag = "pool", params(("id" = i64, Path, description = "pool id")),
    request_body = PoolPatchBody, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PoolDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn update_pool(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<PoolPatchBody>,
) -> Result<axum::Json<PoolDto>, ApiError> {
    let pool = s.app.update_pool(&m, PoolId::new(id), b.into()).await?;
    Ok(axum::Json(pool.into()))
}

/// The organization's caps and rejection pool.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolSettingsDto {
    /// Most open new leads an agent may hold, 0 to 100000 (a user's own value wins); null: no cap.
    #[schema(maximum = 100000)]
    pub max_new_leads: Option<u32>,
    /// Distribution tops agents up to this many open new leads first (0 to 100000).
    #[serde(default)]
    #[schema(maximum = 100000)]
    pub min_new_leads: u32,
    /// Where rejected leads go; null: the default pool.
    pub reject_pool_id: Option<i64>,
    /// Which reported calls make the agent on them the lead's owner (seed 002); absent:
    /// outbound calls only.
    #[serde(default)]
    pub call_ownership: CallOwnershipDto,
}

/// Which reported calls make the agent on them the lead's owner, through the claim rules.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallOwnershipDto {
    /// An outbound call on a pool lead the agent may see, a queue lead or one with no
    /// personal owner (default true).
    pub outbound: bool,
    /// An answered inbound call (default false).
    pub inbound: bool,
    /// A call transferred to the agent by the agent holding the lead (default false).
    pub transfer: bool,
}

impl Default for CallOwnershipDto {
    fn default() -> Self {
        CallOwnership::default().into()
    }
}

impl From<CallOwnership> for CallOwnershipDto {
    fn from(c: CallOwnership) -> Self {
        Self {
            outbound: c.outbound,
            inbound: c.inbound,
            transfer: c.transfer,
        }
    }
}

impl From<OrgPoolSettings> for PoolSettingsDto {
    fn from(s: OrgPoolSettings) -> Self {
        Self {
            max_new_leads: s.caps.max_new,
            min_new_leads: s.caps.min_new,
            reject_pool_id: s.reject_pool.map(|p| p.get()),
            call_ownership: s.calls.into(),
        }
    }
}

/// `GET /api/v1/pool-settings`.
#[utoipa::path(get, path = "/api/v1/pool-settings", tag = "pool",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PoolSettingsDto)))]
async fn get_settings(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<PoolSettingsDto>, ApiError> {
    Ok(axum::Json(s.app.pool_settings(&m).await?.into()))
}

/// `PUT /api/v1/pool-settings`: replace the caps, rejection pool and ownership by call
/// (organization admins).
#[utoipa::path(put, path = "/api/v1/pool-settings", tag = "pool", request_body = PoolSettingsDto,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PoolSettingsDto)))]
async fn set_settings(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<PoolSettingsDto>,
) -> Result<axum::Json<PoolSettingsDto>, ApiError> {
    let settings = OrgPoolSettings {
        caps: Caps {
            max_new: b.max_new_leads,
            min_new: b.min_new_leads,
        },
        reject_pool: b.reject_pool_id.map(PoolId::new),
        calls: CallOwnership {
            outbound: b.call_ownership.outbound,
            inbound: b.call_ownership.inbound,
            transfer: b.call_ownership.transfer,
        },
    };
    Ok(axum::Json(
        s.app.set_pool_settings(&m, settings).await?.into(),
    ))
}

/// A rejection reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonDto {
    /// Its id (send it as `reason_id`).
    pub id: i64,
    /// What the agent reads.
    pub label: String,
}

impl From<RejectReason> for ReasonDto {
    fn from(r: RejectReason) -> Self {
        Self {
            id: r.id,
            label: r.label,
        }
    }
}

/// The organization's rejection reasons.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonListDto {
    /// In the order they were added.
    pub items: Vec<ReasonDto>,
}

/// A new rejection reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// What the agent reads (1 to 100 characters).
    #[schema(min_length = 1)]
    pub label: String,
}

/// `GET /api/v1/reject-reasons`.
#[utoipa::path(get, path = "/api/v1/reject-reasons", tag = "pool",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReasonListDto)))]
async fn list_reasons(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<ReasonListDto>, ApiError> {
    let items = s.app.reject_reasons(&m).await?;
    Ok(axum::Json(ReasonListDto {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/reject-reasons` (organization admins).
#[utoipa::path(post, path = "/api/v1/reject-reasons", tag = "pool", request_body = ReasonBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ReasonDto),
        (status = 409, body = ErrorBody, description = "the reason is already listed")))]
async fn add_reason(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<ReasonBody>,
) -> Result<(StatusCode, axum::Json<ReasonDto>), ApiError> {
    let r = s.app.add_reject_reason(&m, &b.label).await?;
    Ok((StatusCode::CREATED, axum::Json(r.into())))
}

/// `DELETE /api/v1/reject-reasons/{id}` (organization admins).
#[utoipa::path(delete, path = "/api/v1/reject-reasons/{id}", tag = "pool", params(("id" = i64, Path, description = "reason id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "removed")))]
async fn remove_reason(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    s.app.remove_reject_reason(&m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
