//! `/api/v1/leads` and `/api/v1/intake`: intake from sources, reading, editing, listing
//! with filters and cursor pagination, and the timeline.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use leadpool_app::leads::{LeadQuery, parse_sort};
use leadpool_app::models::{LeadFilter, TimelineRecord};
use leadpool_domain::lead::{LeadInput, LeadPatchInput};
use leadpool_domain::{Lead, LeadId, Owner, PoolId, SourceId, StatusId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use leadpool_app::Member;

use crate::error::ErrorBody;
use crate::extract::{Auth, Json, Path, Query};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_leads, create_lead))
        .routes(routes!(get_lead, update_lead))
        .routes(routes!(lead_timeline))
        .routes(routes!(intake))
}

/// Who holds a lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerDto {
    /// `agent`, `pool`, `queue` or `offer`.
    pub kind: &'static str,
    /// The agent, when `kind` is `agent`.
    pub user_id: Option<i64>,
    /// The pool, when `kind` is `pool`.
    pub pool_id: Option<i64>,
    /// The offer, when `kind` is `offer`.
    pub offer_id: Option<i64>,
}

impl From<Owner> for OwnerDto {
    fn from(o: Owner) -> Self {
        let c = o.to_columns();
        Self {
            kind: c.kind,
            user_id: c.user_id,
            pool_id: c.pool_id,
            offer_id: c.offer_id,
        }
    }
}

/// A lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadDto {
    /// Its id.
    pub id: i64,
    /// Its source.
    pub source_id: i64,
    /// The source's own id for it.
    pub external_id: Option<String>,
    /// The person's name.
    pub name: Option<String>,
    /// Email addresses, primary first.
    pub emails: Vec<String>,
    /// Phone numbers (digits with a leading +), primary first.
    pub phones: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom fields.
    #[schema(value_type = Object)]
    pub fields: Value,
    /// Its status.
    pub status_id: i64,
    /// Its status's name.
    pub status: String,
    /// Its status's category: new, contacted, working or closed.
    pub status_category: &'static str,
    /// Who holds it.
    pub owner: OwnerDto,
    /// The pool it last sat in (kept after a claim; a lapsed reserve time returns it there).
    pub from_pool_id: Option<i64>,
    /// Phone and email are withheld: the lead sits in a blind pool and the caller has not
    /// claimed it.
    pub contact_hidden: bool,
    /// The team whose scope it is in.
    pub team_id: Option<i64>,
    /// When an agent last got it (RFC 3339): speed to lead counts from here.
    pub assigned_at: Option<String>,
    /// The first contact logged since `assigned_at` (RFC 3339); null until then.
    pub first_contact_at: Option<String>,
    /// When it came in (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
    /// Bumped on every change.
    pub version: i64,
}

impl LeadDto {
    /// The lead as `m` sees it, saying whether its contact details were withheld.
    pub fn for_member(l: Lead, m: &Member) -> Self {
        let hidden = m.viewer.contact_hidden(l.owner);
        Self {
            contact_hidden: hidden,
            ..l.into()
        }
    }
}

impl From<Lead> for LeadDto {
    fn from(l: Lead) -> Self {
        Self {
            id: l.id.get(),
            source_id: l.source_id.get(),
            external_id: l.external_id,
            name: l.name.map(|n| n.as_str().to_owned()),
            emails: l.emails.iter().map(|e| e.as_str().to_owned()).collect(),
            phones: l.phones.iter().map(|p| p.as_str().to_owned()).collect(),
            tags: l.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            fields: serde_json::to_value(l.fields.as_map()).unwrap_or_default(),
            status_id: l.status.id.get(),
            status: l.status.name,
            status_category: l.status.category.as_str(),
            owner: l.owner.into(),
            from_pool_id: l.from_pool.map(|p| p.get()),
            contact_hidden: false,
            team_id: l.team_id.map(|t| t.get()),
            assigned_at: l.assigned_at.map(|t| t.to_string()),
            first_contact_at: l.first_contact_at.map(|t| t.to_string()),
            created_at: l.created_at.to_string(),
            updated_at: l.updated_at.to_string(),
            version: l.version,
        }
    }
}

/// A lead as a source or a user sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadBody {
    /// The person's name.
    pub name: Option<String>,
    /// One email (shorthand for a one-item `emails`).
    pub email: Option<String>,
    /// Email addresses.
    #[serde(default)]
    pub emails: Vec<String>,
    /// One phone number (shorthand for a one-item `phones`).
    pub phone: Option<String>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom fields: text, numbers, booleans.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// The source's own id; a repeat with the same id returns the stored lead.
    pub external_id: Option<String>,
}

impl From<LeadBody> for LeadInput {
    fn from(b: LeadBody) -> Self {
        let mut emails = b.email.into_iter().collect::<Vec<_>>();
        emails.extend(b.emails);
        let mut phones = b.phone.into_iter().collect::<Vec<_>>();
        phones.extend(b.phones);
        Self {
            name: b.name,
            emails,
            phones,
            tags: b.tags,
            fields: b.fields,
            external_id: b.external_id,
        }
    }
}

/// A lead added by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeadBody {
    /// Its source.
    pub source_id: i64,
    /// The agent to give it to (admins and ISAs); otherwise the manual queue, or the agent themselves.
    pub assignee_id: Option<i64>,
    /// The person's name.
    pub name: Option<String>,
    /// Email addresses.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom fields.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// An id from another system, unique per source.
    pub external_id: Option<String>,
}

/// What came of an intake.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeDto {
    /// `false` when this external id was already received (nothing changed).
    pub created: bool,
    /// The lead.
    pub lead: LeadDto,
}

/// `POST /api/v1/intake`: a source sends a lead.
#[utoipa::path(post, path = "/api/v1/intake", tag = "leads", request_body = LeadBody,
    security(("intake_key" = [])),
    responses((status = 201, body = IntakeDto, description = "stored"),
        (status = 200, body = IntakeDto, description = "already received")))]
async fn intake(
    State(s): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<LeadBody>,
) -> Result<(StatusCode, axum::Json<IntakeDto>), ApiError> {
    let key = headers
        .get("x-intake-key")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send the source's intake key in the X-Intake-Key header",
            )
        })?;
    let r = s.app.intake(key, body.into()).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(IntakeDto {
            created: r.created,
            lead: r.lead.into(),
        }),
    ))
}

/// `POST /api/v1/leads`: add a lead by hand.
#[utoipa::path(post, path = "/api/v1/leads", tag = "leads", request_body = CreateLeadBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = LeadDto),
        (status = 409, body = ErrorBody, description = "`already_exists`: the source already sent a lead with this `external_id`")))]
async fn create_lead(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(body): Json<CreateLeadBody>,
) -> Result<(StatusCode, axum::Json<LeadDto>), ApiError> {
    let input = LeadInput {
        name: body.name,
        emails: body.emails,
        phones: body.phones,
        tags: body.tags,
        fields: body.fields,
        external_id: body.external_id,
    };
    let lead = s
        .app
        .create_lead(
            &m,
            SourceId::new(body.source_id),
            input,
            body.assignee_id.map(UserId::new),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(lead.into())))
}

/// `GET /api/v1/leads/{id}`.
#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads", params(("id" = i64, Path, description = "lead id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = LeadDto)))]
async fn get_lead(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<LeadDto>, ApiError> {
    let lead = s.app.get_lead(&m, LeadId::new(id)).await?;
    Ok(axum::Json(LeadDto::for_member(lead, &m)))
}

/// A change to a lead.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLeadBody {
    /// New name ("" clears it).
    pub name: Option<String>,
    /// New emails (replacing).
    pub emails: Option<Vec<String>>,
    /// New phones (replacing).
    pub phones: Option<Vec<String>>,
    /// New tags (replacing).
    pub tags: Option<Vec<String>>,
    /// Custom fields to set; null removes one.
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Map<String, Value>>,
    /// New status.
    pub status_id: Option<i64>,
    /// Why, for the timeline.
    pub reason: Option<String>,
}

/// `PATCH /api/v1/leads/{id}`: change contact details, tags, fields or status.
#[utoipa::path(patch, path = "/api/v1/leads/{id}", tag = "leads", params(("id" = i64, Path, description = "lead id")), request_body = UpdateLeadBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = LeadDto),
        (status = 409, body = ErrorBody, description = super::answers::EDIT_CONFLICT)))]
async fn update_lead(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<UpdateLeadBody>,
) -> Result<axum::Json<LeadDto>, ApiError> {
    let input = LeadPatchInput {
        name: b.name,
        emails: b.emails,
        phones: b.phones,
        tags: b.tags,
        fields: b.fields,
    };
    let lead = s
        .app
        .update_lead(
            &m,
            LeadId::new(id),
            input,
            b.status_id.map(StatusId::new),
            b.reason,
        )
        .await?;
    Ok(axum::Json(lead.into()))
}

/// Filters, order and page of a lead list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only leads held by this agent.
    pub owner_id: Option<i64>,
    /// `yes`: only pool leads; `no`: only leads in no pool.
    pub pool: Option<String>,
    /// Only leads in this pool.
    pub pool_id: Option<i64>,
    /// Status ids, comma-separated.
    pub status: Option<String>,
    /// Source ids, comma-separated.
    pub source: Option<String>,
    /// Tags, comma-separated; a lead must carry all.
    pub tags: Option<String>,
    /// Created at or after (RFC 3339).
    pub created_from: Option<String>,
    /// Created before (RFC 3339).
    pub created_to: Option<String>,
    /// Text in the name, an email or a phone number.
    pub q: Option<String>,
    /// `-created_at` (default), `created_at`, `-updated_at` or `name`.
    pub sort: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// A page of leads.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadPageDto {
    /// The leads.
    pub items: Vec<LeadDto>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Ids given separated by commas in the query parameter `field`.
pub(crate) fn ids<T>(field: &str, s: Option<&str>, make: fn(i64) -> T) -> Result<Vec<T>, ApiError> {
    s.map_or(Ok(Vec::new()), |s| {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| {
                x.parse::<i64>().map(make).map_err(|_| {
                    ApiError::bad_field(
                        field,
                        format!("`{x}` is not an id; give ids separated by commas"),
                    )
                })
            })
            .collect()
    })
}

pub(crate) fn instant(field: &str, s: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    s.map(|s| {
        Timestamp::parse_rfc3339(s).ok_or_else(|| {
            ApiError::bad_field(
                field,
                format!("`{s}` is not an RFC 3339 time like 2026-11-25T00:00:00Z"),
            )
        })
    })
    .transpose()
}

impl ListParams {
    fn into_query(self) -> Result<LeadQuery, ApiError> {
        let in_pool = match self.pool.as_deref() {
            None | Some("") => None,
            Some("yes" | "true") => Some(true),
            Some("no" | "false") => Some(false),
            Some(other) => {
                return Err(ApiError::bad_field(
                    "pool",
                    format!("`{other}` is not yes or no"),
                ));
            }
        };
        Ok(LeadQuery {
            filter: LeadFilter {
                owner: self.owner_id.map(UserId::new),
                in_pool,
                pool: self.pool_id.map(PoolId::new),
                statuses: ids("status", self.status.as_deref(), StatusId::new)?,
                sources: ids("source", self.source.as_deref(), SourceId::new)?,
                tags: self
                    .tags
                    .map(|t| {
                        t.split(',')
                            .map(str::trim)
                            .filter(|t| !t.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                created_from: instant("created_from", self.created_from.as_deref())?,
                created_to: instant("created_to", self.created_to.as_deref())?,
                search: self.q.filter(|q| !q.trim().is_empty()),
            },
            sort: self
                .sort
                .as_deref()
                .map(parse_sort)
                .transpose()?
                .unwrap_or_default(),
            cursor: self.cursor.filter(|c| !c.is_empty()),
            limit: self.limit,
        })
    }
}

/// `GET /api/v1/leads`: the leads the caller may see, filtered, sorted, a page at a time.
#[utoipa::path(get, path = "/api/v1/leads", tag = "leads", params(ListParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = LeadPageDto)))]
async fn list_leads(
    State(s): State<AppState>,
    Auth(m): Auth,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<LeadPageDto>, ApiError> {
    let page = s.app.list_leads(&m, &p.into_query()?).await?;
    Ok(axum::Json(LeadPageDto {
        items: page
            .leads
            .into_iter()
            .map(|l| LeadDto::for_member(l, &m))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One line of a lead's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryDto {
    /// Its id (entries are in id order).
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who: `{"kind": "user", "user_id": 3}`, `{"kind": "source", "source_id": 1}` or `{"kind": "system"}`.
    #[schema(value_type = Object)]
    pub actor: Value,
    /// `created`, `updated`, `status_changed`, `owner_changed`, `claimed`, `rejected`,
    /// `reserve_expired` or `contact_logged`.
    pub kind: &'static str,
    /// Why.
    pub reason: Option<String>,
    /// What changed: `{field: {from, to}}`, or the initial values.
    #[schema(value_type = Object)]
    pub changes: Value,
}

impl From<TimelineRecord> for TimelineEntryDto {
    fn from(r: TimelineRecord) -> Self {
        Self {
            id: r.id,
            at: r.entry.at.to_string(),
            actor: serde_json::to_value(r.entry.actor).unwrap_or_default(),
            kind: r.entry.kind.as_str(),
            reason: r.entry.reason,
            changes: r.entry.changes,
        }
    }
}

/// A lead's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineDto {
    /// Entries, oldest first.
    pub items: Vec<TimelineEntryDto>,
}

/// `GET /api/v1/leads/{id}/timeline`.
#[utoipa::path(get, path = "/api/v1/leads/{id}/timeline", tag = "leads", params(("id" = i64, Path, description = "lead id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TimelineDto)))]
async fn lead_timeline(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<TimelineDto>, ApiError> {
    let items = s.app.lead_timeline(&m, LeadId::new(id)).await?;
    Ok(axum::Json(TimelineDto {
        items: items.into_iter().map(Into::into).collect(),
    }))
}
