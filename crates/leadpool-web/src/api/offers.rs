//! Distribution over HTTP: offers and their answers, calls reported by phone systems,
//! cancelling offers, reassignment groups, the manual queue, dry runs, routing explanations,
//! pausing, and each user's events.

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::distribute::{
    Answer, CallInput, CallKept, CallOutcome, DryRunInput, OfferAnswer, QueueQuery, refusal_code,
};
use leadpool_app::models::{OfferState, QueuePlace, QueueSort, User};
use leadpool_app::pool::ClaimResult;
use leadpool_app::routing_settings::DraftRule;
use leadpool_app::wording::{Asker, call_kept, offer_refusal};
use leadpool_app::{AppError, Member};
use leadpool_domain::contact::ContactOutcome;
use leadpool_domain::routing::{OfferRefusal, Router};
use leadpool_domain::{LeadId, OfferId, ReassignmentId, RuleId, SourceId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::leads::{LeadDto, ids};
use crate::api::routing::RuleBody;
use crate::error::ErrorBody;
use crate::extract::{Auth, Json, Path, Query};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_offers))
        .routes(routes!(get_offer))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(call))
        .routes(routes!(cancel))
        .routes(routes!(reassign))
        .routes(routes!(explain))
        .routes(routes!(dry_run))
        .routes(routes!(queue))
        .routes(routes!(pause_me))
        .routes(routes!(pause_user))
        .routes(routes!(events))
}

/// A refused answer: 409 with the refusal's code, and who took the lead when someone did.
fn refused(refusal: OfferRefusal, by_name: Option<String>) -> ApiError {
    let details = match refusal {
        OfferRefusal::AlreadyTaken { by } => json!({ "owner_id": by, "owner_name": by_name }),
        OfferRefusal::Expired { deadline } => json!({ "deadline": deadline }),
        OfferRefusal::OverCap { max } => json!({ "cap": max }),
        _ => json!({}),
    };
    ApiError::new(
        StatusCode::CONFLICT,
        refusal_code(refusal),
        offer_refusal(refusal, by_name.as_deref()),
    )
    .with_details(details)
}

fn answered(a: OfferAnswer, m: &Member) -> Result<axum::Json<LeadDto>, ApiError> {
    match a {
        OfferAnswer::Done { lead } => Ok(axum::Json(LeadDto::for_member(*lead, m))),
        OfferAnswer::Refused { refusal, by_name } => Err(refused(refusal, by_name)),
    }
}

/// An offer the caller may answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferDto {
    /// The offer.
    pub offer_id: i64,
    /// The rule or reassignment group that made it.
    pub router_name: String,
    /// When the response window closes (RFC 3339).
    pub deadline: String,
    /// The PIN to dial in with to claim it by calling.
    pub pin: String,
    /// Whether it went to every member at once (first to accept wins).
    pub broadcast: bool,
    /// The lead.
    pub lead: LeadDto,
}

/// The caller's open offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct OffersDto {
    /// Oldest first.
    pub offers: Vec<OfferDto>,
}

/// `GET /api/v1/offers`: the offers the caller may answer now.
#[utoipa::path(get, path = "/api/v1/offers", tag = "distribution",
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = OffersDto)))]
async fn my_offers(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<OffersDto>, ApiError> {
    let offers = s.app.my_offers(&m).await?;
    Ok(axum::Json(OffersDto {
        offers: offers
            .into_iter()
            .map(|o| OfferDto {
                offer_id: o.offer.offer.id.get(),
                router_name: o.offer.router_name,
                deadline: o.offer.offer.deadline.to_string(),
                pin: o.offer.offer.pin,
                broadcast: o.offer.offer.broadcast,
                lead: LeadDto::for_member(o.lead, &m),
            })
            .collect(),
    }))
}

/// One offer, as staff (or an agent it was made to) see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferDetailDto {
    /// The offer.
    pub offer_id: i64,
    /// The lead.
    pub lead_id: i64,
    /// `rule` or `reassignment`.
    pub router_kind: &'static str,
    /// The rule's or reassignment group's name.
    pub router_name: String,
    /// An open offer of a reassignment group: the lead shows "re-assign in progress" and no
    /// other reassignment is possible until it ends.
    pub reassignment_in_progress: bool,
    /// `open`, `accepted`, `moved_on` or `cancelled`.
    pub state: &'static str,
    /// Who may answer it.
    pub offered_to: Vec<i64>,
    /// When the response window closes (RFC 3339).
    pub deadline: String,
    /// Whether it went to every member at once.
    pub broadcast: bool,
    /// Who took it.
    pub winner_id: Option<i64>,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

/// `GET /api/v1/offers/{id}`: one offer, for admins and ISAs who may see its lead and for
/// the agents it was made to.
#[utoipa::path(get, path = "/api/v1/offers/{id}", tag = "distribution",
    params(("id" = i64, Path, description = "offer id")), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OfferDetailDto)))]
async fn get_offer(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<OfferDetailDto>, ApiError> {
    let o = s.app.offer(&m, OfferId::new(id)).await?;
    let reassignment = matches!(o.offer.router, Router::Reassignment { .. });
    Ok(axum::Json(OfferDetailDto {
        offer_id: o.offer.id.get(),
        lead_id: o.offer.lead_id.get(),
        router_kind: if reassignment { "reassignment" } else { "rule" },
        router_name: o.router_name,
        reassignment_in_progress: reassignment && o.state == OfferState::Open,
        state: o.state.as_str(),
        offered_to: o.offer.to.iter().map(|u| u.get()).collect(),
        deadline: o.offer.deadline.to_string(),
        broadcast: o.offer.broadcast,
        winner_id: o.winner_id.map(UserId::get),
        created_at: o.created_at.to_string(),
    }))
}

/// `POST /api/v1/offers/{id}/accept`: the caller takes an offer made to them. 409 when
/// someone else was first (naming them), the window closed, or the caller is at their cap.
#[utoipa::path(post, path = "/api/v1/offers/{id}/accept", tag = "distribution",
    params(("id" = i64, Path, description = "offer id")), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = LeadDto),
        (status = 409, body = ErrorBody,
            description = "refused: `already_taken` (`details` name who took it), `offer_ended`, `offer_expired`, `not_offered` or `over_cap` (`details.cap`)")))]
async fn accept(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<LeadDto>, ApiError> {
    let a = s
        .app
        .answer_offer(&m, OfferId::new(id), Answer::Accept)
        .await?;
    answered(a, &m)
}

/// `POST /api/v1/offers/{id}/decline`: the caller turns an offer down; the lead moves on
/// (a broadcast stays open to the others).
#[utoipa::path(post, path = "/api/v1/offers/{id}/decline", tag = "distribution",
    params(("id" = i64, Path, description = "offer id")), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = LeadDto),
        (status = 409, body = ErrorBody,
            description = "refused: `already_taken` (`details` name who took it), `offer_ended` or `not_offered`")))]
async fn decline(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<LeadDto>, ApiError> {
    let a = s
        .app
        .answer_offer(&m, OfferId::new(id), Answer::Decline)
        .await?;
    answered(a, &m)
}

/// A call, as a phone system reports it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBody {
    /// The agent on the call (for a transfer, the one who received it); absent: the caller.
    pub agent_id: Option<i64>,
    /// The lead.
    pub lead_id: i64,
    /// `outbound` (default), `inbound` (the agent answered the lead's call) or `transfer`
    /// (the agent received the call from `from_agent_id`).
    pub direction: Option<String>,
    /// For a transfer: the agent who passed the call on.
    pub from_agent_id: Option<i64>,
    /// The offer's PIN, when the agent dialled in with one.
    pub pin: Option<String>,
    /// What was said, for the lead's timeline (up to 1,000 characters).
    pub note: Option<String>,
    /// How the call went: `connected`, `left_voicemail`, `no_answer`, `busy` or
    /// `wrong_number`.
    #[schema(value_type = Option<String>)]
    pub outcome: Option<ContactOutcome>,
}

/// What a call did, and whether it changed the lead's owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallDto {
    /// `claimed` (the agent on the call owns the lead now), `logged` (recorded as a
    /// contact, owner unchanged) or `not_taken` (nothing written, owner unchanged).
    pub result: &'static str,
    /// Whether the lead's owner changed.
    pub owner_changed: bool,
    /// Why the owner did not change: `already_owner`, `calls_do_not_assign`,
    /// `not_an_active_agent`, or a claim's refusal (`already_claimed`, `over_cap`,
    /// `not_visible`, `not_in_pool` (offered to other agents), `cooling_down`).
    pub kept: Option<&'static str>,
    /// For people: what happened, or why not.
    pub message: String,
    /// Who holds the lead (`already_claimed`).
    pub owner_id: Option<i64>,
    /// Their name (`already_claimed`).
    pub owner_name: Option<String>,
    /// The lead as it now is (`claimed`, `logged`).
    pub lead: Option<LeadDto>,
}

/// `POST /api/v1/calls`: a call by an offered agent takes the offer (a broadcast needs the
/// offer's PIN); any other call makes the agent on it the owner when the organization's
/// ownership by call says so for its direction (through the claim rules), else it is logged
/// on the lead's timeline. The answer says whether the owner changed and why not.
#[utoipa::path(post, path = "/api/v1/calls", tag = "distribution", request_body = CallBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CallDto),
        (status = 404, body = ErrorBody, description = "`not_found`: `lead_id` names no lead the caller may see"),
        (status = 409, body = ErrorBody, description = "the offer was lost (`already_taken` names the winner), its window ended, or the PIN is wrong")))]
async fn call(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<CallBody>,
) -> Result<axum::Json<CallDto>, ApiError> {
    let agent_id = b.agent_id.map(UserId::new);
    let input = CallInput {
        agent_id,
        lead_id: Some(LeadId::new(b.lead_id)),
        direction: b.direction,
        from_agent_id: b.from_agent_id.map(UserId::new),
        pin: b.pin,
        note: b.note,
        outcome: b.outcome,
    };
    // A refusal speaks to the agent when they report their own call; staff reporting an
    // agent's call are answered as for a move (no override of a cap applies to a call).
    let asker = match agent_id {
        Some(a) if a != m.user.id => Asker::Mover,
        _ => Asker::Claimer(m.user.id),
    };
    let (result, lead, kept) = match s.app.record_call(&m, input).await? {
        CallOutcome::Claimed { lead } => ("claimed", Some(lead), None),
        CallOutcome::Refused { refusal, by_name } => return Err(refused(refusal, by_name)),
        CallOutcome::Logged { lead, kept } => ("logged", Some(lead), Some(kept)),
        CallOutcome::NotTaken { kept } => ("not_taken", None, Some(kept)),
    };
    let holder = match &kept {
        Some(CallKept::Refused(r)) => match &**r {
            ClaimResult::AlreadyClaimed { by, by_name } => Some((by.get(), by_name.clone())),
            _ => None,
        },
        _ => None,
    };
    let message = match &kept {
        Some(k) => call_kept(k, asker),
        None => "The agent on the call owns the lead now".to_owned(),
    };
    Ok(axum::Json(CallDto {
        result,
        owner_changed: kept.is_none(),
        kept: kept.as_ref().map(CallKept::code),
        message,
        owner_id: holder.as_ref().map(|h| h.0),
        owner_name: holder.map(|h| h.1),
        lead: lead.map(|l| LeadDto::for_member(*l, &m)),
    }))
}

/// `POST /api/v1/leads/{id}/offer/cancel`: an admin stops the lead's offer; it goes to the
/// manual assignment queue.
#[utoipa::path(post, path = "/api/v1/leads/{id}/offer/cancel", tag = "distribution",
    params(("id" = i64, Path, description = "lead id")), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = LeadDto),
        (status = 409, body = ErrorBody, description = "`not_offered`: the lead is not being offered")))]
async fn cancel(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<LeadDto>, ApiError> {
    let lead = s.app.cancel_offer(&m, LeadId::new(id)).await?;
    Ok(axum::Json(LeadDto::for_member(lead, &m)))
}

/// Which reassignment group to send a lead through.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignBody {
    /// One of `GET /api/v1/reassignment-groups`.
    pub reassignment_group_id: i64,
}

/// A routing decision: where the lead went and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoutedDto {
    /// The lead as it now is.
    pub lead: LeadDto,
    /// The decision's trace.
    #[schema(value_type = Object)]
    pub trace: Value,
}

/// `POST /api/v1/leads/{id}/reassign`: admins and ISAs send a lead already in the system
/// through a reassignment group. 409 while a reassignment is in progress.
#[utoipa::path(post, path = "/api/v1/leads/{id}/reassign", tag = "distribution",
    params(("id" = i64, Path, description = "lead id")), request_body = ReassignBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = RoutedDto),
        (status = 409, body = ErrorBody,
            description = "`reassignment_in_progress`: the lead is being offered; or `lead_changed`: it changed meanwhile, try again"),
        (status = 422, body = ErrorBody, description = "`reassignment_group_id` names no reassignment group available to the caller")))]
async fn reassign(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<ReassignBody>,
) -> Result<axum::Json<RoutedDto>, ApiError> {
    let (lead, trace) = s
        .app
        .trigger_reassignment(
            &m,
            LeadId::new(id),
            ReassignmentId::new(b.reassignment_group_id),
        )
        .await?;
    Ok(axum::Json(RoutedDto {
        lead: LeadDto::for_member(lead, &m),
        trace: serde_json::to_value(trace).unwrap_or(Value::Null),
    }))
}

/// The last routing decision of a lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplanationDto {
    /// When it was made (RFC 3339).
    pub at: String,
    /// In one line.
    pub summary: Option<String>,
    /// Everything it considered: the rule matched and those skipped, the eligible and
    /// excluded members with reasons, the tie-break, the pointer, the deadline, the fallback.
    #[schema(value_type = Object)]
    pub trace: Value,
}

/// `GET /api/v1/leads/{id}/routing`: why the lead went where it went, last time.
#[utoipa::path(get, path = "/api/v1/leads/{id}/routing", tag = "distribution",
    params(("id" = i64, Path, description = "lead id")), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ExplanationDto), (status = 404, body = ErrorBody,
        description = "`not_found`: no such lead, or not one the caller may see; or `not_routed`: it has not been through routing")))]
async fn explain(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<ExplanationDto>, ApiError> {
    match s.app.routing_explanation(&m, LeadId::new(id)).await? {
        Some(e) => Ok(axum::Json(ExplanationDto {
            at: e.at.to_string(),
            summary: e.summary,
            trace: e.trace,
        })),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_routed",
            format!("lead {id} has not been through routing"),
        )),
    }
}

/// A lead to try the rules on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunBody {
    /// A stored lead…
    pub lead_id: Option<i64>,
    /// …or a source…
    pub source_id: Option<i64>,
    /// …with these custom fields…
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, Value>,
    /// …and tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A rule not saved yet, tried as if it were (organization admins): it stands in for
    /// the saved rule `rule_id` in that rule's place, or without `rule_id` comes after the last.
    pub rule: Option<RuleBody>,
    /// The saved rule `rule` stands in for.
    pub rule_id: Option<i64>,
}

/// What routing would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunDto {
    /// Where the lead would go: `agent`, `offer`, `pool` or `queue`, with its details.
    #[schema(value_type = Object)]
    pub outcome: Value,
    /// Why.
    #[schema(value_type = Object)]
    pub trace: Value,
}

/// `POST /api/v1/routing/dry-run`: the decision and its trace for a lead, changing nothing.
#[utoipa::path(post, path = "/api/v1/routing/dry-run", tag = "distribution", request_body = DryRunBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = DryRunDto),
        (status = 404, body = ErrorBody, description = "`not_found`: no such `lead_id`, or not one the caller may see")))]
async fn dry_run(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<DryRunBody>,
) -> Result<axum::Json<DryRunDto>, ApiError> {
    if b.rule_id.is_some() && b.rule.is_none() {
        return Err(AppError::invalid(
            "rule_id",
            "give `rule`, the draft to try in place of rule `rule_id`",
        )
        .into());
    }
    let r = s
        .app
        .dry_run(
            &m,
            DryRunInput {
                lead_id: b.lead_id.map(LeadId::new),
                source_id: b.source_id.map(SourceId::new),
                fields: b.fields,
                tags: b.tags,
                rule: b.rule.map(|r| DraftRule {
                    replaces: b.rule_id.map(RuleId::new),
                    settings: r.into(),
                }),
            },
        )
        .await?;
    Ok(axum::Json(DryRunDto {
        outcome: serde_json::to_value(r.outcome).unwrap_or(Value::Null),
        trace: serde_json::to_value(r.trace).unwrap_or(Value::Null),
    }))
}

/// Paging of events.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// Only items after this id (`next_after` of the previous page).
    pub after: Option<i64>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// A lead in the manual queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedDto {
    /// The lead.
    pub lead: LeadDto,
    /// Why it is in the queue.
    pub reason: Option<String>,
    /// Since when (RFC 3339).
    pub since: Option<String>,
}

/// A page of the manual queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueDto {
    /// In the order they entered the queue, the longest waiting first.
    pub leads: Vec<QueuedDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Filters, order and paging of the queue (the queue page's filters).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    /// Source ids, comma-separated: only leads from these sources.
    pub source: Option<String>,
    /// Only leads that entered the queue with exactly this reason (as `reason` reads).
    pub reason: Option<String>,
    /// Only leads that have waited at least this many seconds.
    // Written as u64 with u32's own range: utoipa writes a u32 as int32, whose range ends at
    // half of what the parameter takes.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 4_294_967_295_u64)]
    pub waiting_over: Option<u32>,
    /// `oldest` (the longest waiting first, the default) or `newest`.
    pub sort: Option<String>,
    /// Where the previous page ended (`next_cursor` of that page, in the same filters).
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// `GET /api/v1/queue`: the manual assignment queue (admins and ISAs), each lead with why
/// and since when it is there, the longest waiting first unless `sort` says otherwise,
/// narrowed by source, reason and waiting time. Assign from it with
/// `POST /api/v1/leads/assign`.
#[utoipa::path(get, path = "/api/v1/queue", tag = "distribution", params(QueueParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = QueueDto)))]
async fn queue(
    State(s): State<AppState>,
    Auth(m): Auth,
    Query(p): Query<QueueParams>,
) -> Result<axum::Json<QueueDto>, ApiError> {
    let limit = p.limit.unwrap_or(50);
    let after = p
        .cursor
        .as_deref()
        .map(|c| {
            QueuePlace::parse_cursor(c).ok_or_else(|| {
                AppError::invalid(
                    "cursor",
                    "pass the next_cursor of the previous page unchanged",
                )
            })
        })
        .transpose()?;
    let sort = match p.sort.as_deref() {
        None | Some("" | "oldest") => QueueSort::OldestFirst,
        Some("newest") => QueueSort::NewestFirst,
        Some(other) => {
            return Err(ApiError::bad_field(
                "sort",
                format!("`{other}` is not an order of the queue; use oldest or newest"),
            ));
        }
    };
    let q = QueueQuery {
        sources: ids("source", p.source.as_deref(), SourceId::new)?,
        reason: p.reason.filter(|r| !r.is_empty()),
        waiting_over_ms: p.waiting_over.map(|secs| i64::from(secs) * 1000),
        sort,
        after,
        limit: Some(limit),
    };
    let leads = s.app.queue(&m, &q).await?;
    let full = leads.len() >= usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = leads.last().filter(|_| full).map(|q| q.place().cursor());
    Ok(axum::Json(QueueDto {
        leads: leads
            .into_iter()
            .map(|q| QueuedDto {
                lead: LeadDto::for_member(q.lead, &m),
                reason: q.reason,
                since: Some(q.since.to_string()),
            })
            .collect(),
        next_cursor,
    }))
}

/// Pause or resume.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseBody {
    /// `true` to be passed over by distribution (keeping one's place in line).
    pub paused: bool,
    /// Why ("at a showing until 3"), shown to whoever assigns leads; ignored on resuming.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Whether a user is paused now.
#[derive(Debug, Serialize, ToSchema)]
pub struct PausedDto {
    /// The user.
    pub user_id: i64,
    /// Whether they are paused.
    pub paused: bool,
    /// Why, when they said.
    pub reason: Option<String>,
}

impl From<User> for PausedDto {
    fn from(u: User) -> Self {
        Self {
            user_id: u.id.get(),
            paused: u.paused,
            reason: u.pause_reason,
        }
    }
}

/// `PUT /api/v1/me/pause`: the caller pauses or resumes themselves.
#[utoipa::path(put, path = "/api/v1/me/pause", tag = "distribution", request_body = PauseBody,
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = PausedDto)))]
async fn pause_me(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<PauseBody>,
) -> Result<axum::Json<PausedDto>, ApiError> {
    let u = s.app.set_paused(&m, None, b.paused, b.reason).await?;
    Ok(axum::Json(PausedDto::from(u)))
}

/// `PUT /api/v1/users/{id}/pause`: an admin pauses or resumes a user they may edit.
#[utoipa::path(put, path = "/api/v1/users/{id}/pause", tag = "distribution",
    params(("id" = i64, Path, description = "user id")), request_body = PauseBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PausedDto)))]
async fn pause_user(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<PauseBody>,
) -> Result<axum::Json<PausedDto>, ApiError> {
    let u = s
        .app
        .set_paused(&m, Some(UserId::new(id)), b.paused, b.reason)
        .await?;
    Ok(axum::Json(PausedDto::from(u)))
}

/// An event for the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    /// Its id.
    pub id: i64,
    /// `offer_made`, `offer_withdrawn` (naming the winner when someone took it),
    /// `lead_assigned`, `lead_claimed`, `lead_returned` (to a pool, by a timer or someone
    /// else) or `webhook_disabled` (to admins).
    pub kind: String,
    /// The lead.
    pub lead_id: Option<i64>,
    /// Details.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// When (RFC 3339).
    pub at: String,
}

/// A page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsDto {
    /// Oldest first.
    pub events: Vec<EventDto>,
    /// Pass as `after` for the next page.
    pub next_after: Option<i64>,
}

/// `GET /api/v1/events`: the caller's events (offers made and withdrawn, leads assigned,
/// claimed and returned to a pool).
#[utoipa::path(get, path = "/api/v1/events", tag = "distribution", params(PageParams),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = EventsDto)))]
async fn events(
    State(s): State<AppState>,
    Auth(m): Auth,
    Query(p): Query<PageParams>,
) -> Result<axum::Json<EventsDto>, ApiError> {
    let events = s.app.events(&m, p.after.unwrap_or(0), p.limit).await?;
    let next_after = events.last().map(|e| e.id);
    Ok(axum::Json(EventsDto {
        events: events
            .into_iter()
            .map(|e| EventDto {
                id: e.id,
                kind: e.kind,
                lead_id: e.lead_id.map(LeadId::get),
                payload: e.payload,
                at: e.at.to_string(),
            })
            .collect(),
        next_after,
    }))
}
