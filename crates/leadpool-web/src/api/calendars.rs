//! `/api/v1/calendars`: working-hours calendars (an IANA zone, open hours per weekday,
//! holidays). Everyone signed in reads them and may preview a deadline; organization admins
//! define them; admins of a team choose its calendar at `/api/v1/teams/{id}/calendar`.
//!
//! Hours use the syntax `mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00` (days not listed
//! are closed, `24:00` ends a day); holidays are `2026-12-25` (closed all day) or
//! `2026-12-24 09:00-12:00` (open only then). Both come back normalized.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::calendars::{CalendarChanges, CalendarInput, DeadlinePreview, TeamCalendar};
use leadpool_app::models::StoredCalendar;
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
        .routes(routes!(list_calendars, create_calendar))
        .routes(routes!(get_calendar, update_calendar, delete_calendar))
        .routes(routes!(preview_deadline))
        .routes(routes!(get_team_calendar, set_team_calendar))
}

/// A calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDto {
    /// Its id.
    pub id: i64,
    /// Its name, unique in the organization.
    pub name: String,
    /// IANA time zone of its hours and holidays, e.g. `America/New_York`.
    pub time_zone: String,
    /// Open hours, normalized: `mon-fri 09:00-17:00; sat 10:00-14:00`.
    pub hours: String,
    /// Holidays by date: `2026-12-25` (closed) or `2026-12-24 09:00-12:00` (open only then).
    pub holidays: Vec<String>,
    /// Whether it is the organization's default (teams without one of their own use it).
    pub is_default: bool,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl From<StoredCalendar> for CalendarDto {
    fn from(c: StoredCalendar) -> Self {
        Self {
            id: c.id,
            name: c.name,
            time_zone: c.time_zone,
            hours: c.hours,
            holidays: c.holidays,
            is_default: c.is_default,
            created_at: c.created_at.to_string(),
        }
    }
}

/// Every calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarListDto {
    /// The calendars, by id.
    pub items: Vec<CalendarDto>,
}

/// A new calendar.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCalendarBody {
    /// Its name, unique in the organization.
    pub name: String,
    /// IANA time zone, e.g. `America/New_York`.
    pub time_zone: String,
    /// Open hours: `;`-separated `DAYS HH:MM-HH:MM[,HH:MM-HH:MM]`, e.g. `mon-fri 09:00-17:00`.
    pub hours: String,
    /// Holidays: `2026-12-25` (closed) or `2026-12-24 09:00-12:00` (open only then).
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Make it the default (the previous default stops being one). The first calendar is
    /// always the default.
    #[serde(default)]
    pub is_default: bool,
}

/// A change to a calendar; absent fields are kept, `hours` and `holidays` are replaced whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCalendarBody {
    /// New name.
    pub name: Option<String>,
    /// New time zone.
    pub time_zone: Option<String>,
    /// New open hours.
    pub hours: Option<String>,
    /// New holidays.
    pub holidays: Option<Vec<String>>,
    /// `true` makes it the default; to stop being the default, make another calendar the default.
    pub is_default: Option<bool>,
}

/// A deadline to preview.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlineBody {
    /// The start: an RFC 3339 instant (`2026-12-24T21:30:00Z`) or a local date-time in the
    /// calendar's zone (`2026-12-24T16:30:00`).
    pub from: String,
    /// Open time to count, in whole seconds (0 gives the next opening; at most 10 years).
    pub duration_seconds: i64,
}

/// When a deadline falls.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineDto {
    /// The start as an instant (UTC, RFC 3339).
    pub from_at: String,
    /// The due instant (UTC, RFC 3339), e.g. `2026-12-28T15:30:00Z`.
    pub due_at: String,
    /// The due instant with the calendar zone's offset (RFC 3339), e.g. `2026-12-28T10:30:00-05:00`.
    pub due_local: String,
    /// The calendar's time zone.
    pub time_zone: String,
    /// Open time counted, in seconds (the duration asked for).
    pub open_seconds: u64,
    /// Wall-clock time from start to due, in seconds.
    pub elapsed_seconds: u64,
}

impl From<DeadlinePreview> for DeadlineDto {
    fn from(p: DeadlinePreview) -> Self {
        Self {
            from_at: p.from.to_string(),
            due_at: p.due.to_string(),
            due_local: p.due_local,
            time_zone: p.time_zone,
            open_seconds: p.open.as_secs(),
            elapsed_seconds: p.elapsed.as_secs(),
        }
    }
}

/// The calendar a team works by.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamCalendarDto {
    /// The team.
    pub team_id: i64,
    /// The calendar the team names itself; null when it inherits.
    pub calendar_id: Option<i64>,
    /// The calendar that applies: its own, else its nearest ancestor's, else the
    /// organization default; null when the organization has no calendar.
    pub effective: Option<CalendarDto>,
}

impl From<TeamCalendar> for TeamCalendarDto {
    fn from(t: TeamCalendar) -> Self {
        Self {
            team_id: t.team.get(),
            calendar_id: t.own_calendar_id,
            effective: t.effective.map(Into::into),
        }
    }
}

/// A team's own calendar.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTeamCalendarBody {
    /// The calendar; null to inherit from the team above (or the organization default).
    pub calendar_id: Option<i64>,
}

/// `GET /api/v1/calendars`: the organization's calendars.
#[utoipa::path(get, path = "/api/v1/calendars", tag = "calendars",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CalendarListDto)))]
async fn list_calendars(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<CalendarListDto>, ApiError> {
    let calendars = s.app.list_calendars(&m).await?;
    Ok(axum::Json(CalendarListDto {
        items: calendars.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/calendars`: add a calendar (organization admins).
#[utoipa::path(post, path = "/api/v1/calendars", tag = "calendars", request_body = CreateCalendarBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CalendarDto),
        (status = 409, body = ErrorBody, description = "the name is taken"),
        (status = 422, body = ErrorBody, description = "a bad name, time_zone, hours or holidays[i]")))]
async fn create_calendar(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<CreateCalendarBody>,
) -> Result<(StatusCode, axum::Json<CalendarDto>), ApiError> {
    let input = CalendarInput {
        name: b.name,
        time_zone: b.time_zone,
        hours: b.hours,
        holidays: b.holidays,
        is_default: b.is_default,
    };
    let c = s.app.create_calendar(&m, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(c.into())))
}

/// `GET /api/v1/calendars/{id}`.
#[utoipa::path(get, path = "/api/v1/calendars/{id}", tag = "calendars", params(("id" = i64, Path, description = "calendar id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CalendarDto)))]
async fn get_calendar(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<CalendarDto>, ApiError> {
    Ok(axum::Json(s.app.get_calendar(&m, id).await?.into()))
}

/// `PATCH /api/v1/calendars/{id}`: rename, change zone, hours or holidays, or make the default.
#[utoipa::path(patch, path = "/api/v1/calendars/{id}", tag = "calendars", params(("id" = i64, Path, description = "calendar id")), request_body = UpdateCalendarBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CalendarDto),
        (status = 409, body = ErrorBody, description = "the name is taken")))]
async fn update_calendar(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<UpdateCalendarBody>,
) -> Result<axum::Json<CalendarDto>, ApiError> {
    let changes = CalendarChanges {
        name: b.name,
        time_zone: b.time_zone,
        hours: b.hours,
        holidays: b.holidays,
        is_default: b.is_default,
    };
    Ok(axum::Json(
        s.app.update_calendar(&m, id, changes).await?.into(),
    ))
}

/// `DELETE /api/v1/calendars/{id}`: remove a calendar no team or pool names; the default only as the
/// last calendar.
#[utoipa::path(delete, path = "/api/v1/calendars/{id}", tag = "calendars", params(("id" = i64, Path, description = "calendar id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "deleted"),
        (status = 409, body = ErrorBody, description = "`calendar_in_use` by a team or a pool, or `calendar_is_default` while others remain")))]
async fn delete_calendar(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_calendar(&m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/calendars/{id}/deadline`: when `duration_seconds` of open time after `from`
/// falls on this calendar, without creating anything. Only open time counts: a start outside
/// the hours counts from the next opening; weekends, holidays and DST changes are respected.
#[utoipa::path(post, path = "/api/v1/calendars/{id}/deadline", tag = "calendars", params(("id" = i64, Path, description = "calendar id")), request_body = DeadlineBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = DeadlineDto),
        (status = 422, body = ErrorBody, description = "a bad `from` or `duration_seconds`, or a calendar that does not open within 400 days")))]
async fn preview_deadline(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<DeadlineBody>,
) -> Result<axum::Json<DeadlineDto>, ApiError> {
    let secs = u64::try_from(b.duration_seconds).map_err(|_| {
        ApiError::bad_field(
            "duration_seconds",
            "must not be negative; give the open time to count in seconds, e.g. 7200",
        )
    })?;
    let preview = s
        .app
        .deadline_preview(&m, id, &b.from, Duration::from_secs(secs))
        .await?;
    Ok(axum::Json(preview.into()))
}

/// `GET /api/v1/teams/{id}/calendar`: the calendar a team works by.
#[utoipa::path(get, path = "/api/v1/teams/{id}/calendar", tag = "calendars", params(("id" = i64, Path, description = "team id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TeamCalendarDto)))]
async fn get_team_calendar(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<TeamCalendarDto>, ApiError> {
    Ok(axum::Json(
        s.app.team_calendar(&m, TeamId::new(id)).await?.into(),
    ))
}

/// `PUT /api/v1/teams/{id}/calendar`: give a team its own calendar, or (null) let it inherit
/// (admins of the team).
#[utoipa::path(put, path = "/api/v1/teams/{id}/calendar", tag = "calendars", params(("id" = i64, Path, description = "team id")), request_body = SetTeamCalendarBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TeamCalendarDto),
        (status = 422, body = ErrorBody, description = "no such calendar in this organization")))]
async fn set_team_calendar(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<SetTeamCalendarBody>,
) -> Result<axum::Json<TeamCalendarDto>, ApiError> {
    Ok(axum::Json(
        s.app
            .set_team_calendar(&m, TeamId::new(id), b.calendar_id)
            .await?
            .into(),
    ))
}
