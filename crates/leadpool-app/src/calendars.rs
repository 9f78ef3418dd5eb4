//! Working-hours calendars: everyone reads them, organization admins define them, team
//! admins pick their teams' calendars, and anyone may ask when a deadline would fall.
//!
//! Input is accepted only if it builds a domain [`Calendar`]; what is stored is that
//! calendar printed back (canonical zone name, normalized hours, sorted holidays), so two
//! spellings of the same hours are stored the same way.

use std::time::Duration;

use leadpool_domain::Permission;
use leadpool_domain::calendar::{
    Calendar, CalendarError, Holiday, from_jiff, parse_hours, parse_tz, to_jiff,
};
use leadpool_domain::validate::{Errors, PersonName};
use leadpool_domain::{OrgId, TeamId, Timestamp};
use leadpool_store::StoreError;
use leadpool_store::calendars::{
    IN_USE_BY_POOL, IN_USE_BY_TEAM, NewCalendar, ONE_DEFAULT, StoredCalendar,
};
use leadpool_store::orgs::Organization;

use crate::{App, AppError, Member};

/// Defining calendars is for admins of the whole organization.
pub const CALENDARS: Permission<'static> = Permission::OrgSetting("calendars");

/// The longest open time a deadline preview counts.
pub const MAX_PREVIEW: Duration = Duration::from_secs(10 * 365 * 86_400);

/// A calendar as an admin writes it.
#[derive(Debug, Clone, Default)]
pub struct CalendarInput {
    /// Its name, unique in the organization.
    pub name: String,
    /// IANA zone name, e.g. `America/New_York`.
    pub time_zone: String,
    /// Hours syntax, e.g. `mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00`.
    pub hours: String,
    /// Holidays: `2026-12-25` (closed) or `2026-12-24 09:00-12:00` (open only then).
    pub holidays: Vec<String>,
    /// Make it the default.
    pub is_default: bool,
}

/// Changes to a calendar; `None` keeps a part as it is.
#[derive(Debug, Clone, Default)]
pub struct CalendarChanges {
    /// New name.
    pub name: Option<String>,
    /// New zone.
    pub time_zone: Option<String>,
    /// New hours (replacing the old).
    pub hours: Option<String>,
    /// New holidays (replacing the old).
    pub holidays: Option<Vec<String>>,
    /// `Some(true)` makes it the default; `Some(false)` is refused on the default.
    pub is_default: Option<bool>,
}

/// Which calendar a team works by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamCalendar {
    /// The team.
    pub team: TeamId,
    /// The calendar the team names itself; `None` when it inherits.
    pub own_calendar_id: Option<i64>,
    /// The calendar that applies: its own, its nearest ancestor's, or the default.
    pub effective: Option<StoredCalendar>,
}

/// When a deadline falls on a calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlinePreview {
    /// The calendar's zone.
    pub time_zone: String,
    /// The start, resolved to an instant.
    pub from: Timestamp,
    /// When the open time has passed.
    pub due: Timestamp,
    /// `due` in RFC 3339 with the zone's offset at that instant, e.g. `2026-12-28T10:30:00-05:00`.
    pub due_local: String,
    /// Open time counted between `from` and `due` (the duration asked for).
    pub open: Duration,
    /// Wall-clock time between `from` and `due`.
    pub elapsed: Duration,
}

/// The calendar whose hours a rule or plan counts in: the one it names, else (none named,
/// or one since deleted) the organization's default; `None` when there is no calendar.
pub fn calendar_in_force(
    named: Option<i64>,
    calendars: &[StoredCalendar],
) -> Option<&StoredCalendar> {
    named
        .and_then(|id| calendars.iter().find(|c| c.id == id))
        .or_else(|| calendars.iter().find(|c| c.is_default))
}

/// Store errors of calendar reads and writes: `NotFound` is about a calendar.
fn store_error(e: StoreError) -> AppError {
    AppError::from_store("calendar")(e)
}

/// Builds the domain calendar from an admin's texts, naming every bad field (`name`,
/// `time_zone`, `hours`, `holidays[i]`); returns the normalized texts to store.
fn parse_calendar(input: &CalendarInput) -> Result<NewCalendar, AppError> {
    let mut errors = Errors::default();
    let name = errors.take("name", PersonName::parse(&input.name));
    let zone = errors.take(
        "time_zone",
        parse_tz(&input.time_zone).map_err(|e| e.to_string()),
    );
    let week = errors.take(
        "hours",
        parse_hours(&input.hours).map_err(|e| e.to_string()),
    );
    let holidays: Vec<Option<Holiday>> = input
        .holidays
        .iter()
        .enumerate()
        .map(|(i, h)| {
            errors.take(
                &format!("holidays[{i}]"),
                Holiday::parse(h).map_err(|e| e.to_string()),
            )
        })
        .collect();
    if let Some(week) = &week
        && week.is_always_closed()
        && holidays.iter().flatten().all(|h| h.open().is_empty())
    {
        errors.push(
            "hours",
            "opens on no day of the week, so no deadline could ever fall due; \
             give hours such as `mon-fri 09:00-17:00`",
        );
    }
    if let Some((first, second)) = first_duplicate(&holidays) {
        errors.push(
            format!("holidays[{second}]"),
            format!("repeats the date of holidays[{first}]; give each date once"),
        );
    }
    let (name, zone, week) = match errors.finish(|| (name, zone, week))? {
        (Some(n), Some(z), Some(w)) => (n, z, w),
        // `finish` succeeds only when every `take` kept its value.
        _ => return Err(AppError::Internal("calendar input half parsed".into())),
    };
    let holidays: Vec<Holiday> = holidays.into_iter().flatten().collect();
    let calendar = Calendar::from_parts(name.as_str(), zone, week, holidays)
        .map_err(|e| AppError::invalid("holidays", e.to_string()))?;
    Ok(NewCalendar {
        name: name.as_str().to_owned(),
        time_zone: calendar
            .time_zone()
            .iana_name()
            .unwrap_or(input.time_zone.trim())
            .to_owned(),
        hours: calendar.week().to_string(),
        holidays: calendar
            .holidays()
            .iter()
            .map(ToString::to_string)
            .collect(),
        is_default: input.is_default,
    })
}

/// The indexes of the first holiday whose date an earlier one already has.
fn first_duplicate(holidays: &[Option<Holiday>]) -> Option<(usize, usize)> {
    holidays.iter().enumerate().find_map(|(j, b)| {
        let b = b.as_ref()?;
        holidays[..j]
            .iter()
            .position(|a| a.as_ref().is_some_and(|a| a.date() == b.date()))
            .map(|i| (i, j))
    })
}

/// The instant `text` names: an RFC 3339 instant with an offset, or a wall-clock date-time in
/// the calendar's zone (a time a DST change skips or repeats is read as jiff's `Compatible`
/// rule reads it, as `leadpool calendar deadline --from` does).
fn resolve_start(calendar: &Calendar, text: &str) -> Result<Timestamp, AppError> {
    let text = text.trim();
    if let Some(t) = Timestamp::parse_rfc3339(text) {
        return Ok(t);
    }
    // The civil date-time type is inferred from `to_timestamp`: this crate reaches jiff only
    // through the domain's calendar types.
    text.parse()
        .ok()
        .and_then(|civil| calendar.time_zone().to_timestamp(civil).ok())
        .map(from_jiff)
        .ok_or_else(|| {
            AppError::invalid(
                "from",
                format!(
                    "`{text}` is not a date-time; use a local time in the calendar's zone such as \
                     2026-12-24T16:30:00, or an instant such as 2026-12-24T21:30:00Z"
                ),
            )
        })
}

impl App {
    /// Every calendar of the organization (any member).
    #[tracing::instrument(name = "list_calendars", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_calendars(&self, m: &Member) -> Result<Vec<StoredCalendar>, AppError> {
        let mut tx = self.store().read().await?;
        let calendars = tx.calendars(m.viewer.org).await?;
        tx.commit().await?;
        Ok(calendars)
    }

    /// One calendar (any member).
    #[tracing::instrument(name = "get_calendar", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn get_calendar(
        &self,
        m: &Member,
        calendar_id: i64,
    ) -> Result<StoredCalendar, AppError> {
        let mut tx = self.store().read().await?;
        let c = tx
            .calendar(m.viewer.org, calendar_id)
            .await
            .map_err(store_error)?;
        tx.commit().await?;
        Ok(c)
    }

    /// Creates a calendar (organization admins); the organization's first becomes the default.
    #[tracing::instrument(name = "create_calendar", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_calendar(
        &self,
        m: &Member,
        input: &CalendarInput,
    ) -> Result<StoredCalendar, AppError> {
        m.require(CALENDARS)?;
        let new = parse_calendar(input)?;
        let mut tx = self.store().write().await?;
        let c = tx
            .insert_calendar(m.viewer.org, &new, self.now())
            .await
            .map_err(store_error)?;
        tx.commit().await?;
        Ok(c)
    }

    /// Renames a calendar, replaces its zone, hours or holidays, or makes it the default
    /// (organization admins).
    #[tracing::instrument(name = "update_calendar", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_calendar(
        &self,
        m: &Member,
        calendar_id: i64,
        changes: CalendarChanges,
    ) -> Result<StoredCalendar, AppError> {
        self.change_calendar(m, calendar_id, |_| Ok(changes)).await
    }

    /// Adds a holiday (`2026-12-25`, or `2026-12-24 09:00-12:00` open only then) to a
    /// calendar (organization admins); a date that is already a holiday is refused rather
    /// than silently given new hours.
    #[tracing::instrument(name = "add_holiday", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn add_holiday(
        &self,
        m: &Member,
        calendar_id: i64,
        holiday: &str,
    ) -> Result<StoredCalendar, AppError> {
        let new =
            Holiday::parse(holiday).map_err(|e| AppError::invalid("holiday", e.to_string()))?;
        self.change_calendar(m, calendar_id, |c| {
            let taken = c
                .holidays
                .iter()
                .filter_map(|h| Holiday::parse(h).ok())
                .any(|h| h.date() == new.date());
            if taken {
                return Err(AppError::invalid(
                    "holiday",
                    format!(
                        "{} is already a holiday of `{}`; remove it first to give it other hours",
                        new.date(),
                        c.name
                    ),
                ));
            }
            let mut holidays = c.holidays.clone();
            holidays.push(new.to_string());
            Ok(CalendarChanges {
                holidays: Some(holidays),
                ..CalendarChanges::default()
            })
        })
        .await
    }

    /// Removes the holiday on `date` (`YYYY-MM-DD`) from a calendar (organization admins).
    #[tracing::instrument(name = "remove_holiday", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn remove_holiday(
        &self,
        m: &Member,
        calendar_id: i64,
        date: &str,
    ) -> Result<StoredCalendar, AppError> {
        let date = date.trim();
        self.change_calendar(m, calendar_id, |c| {
            let holidays: Vec<String> = c
                .holidays
                .iter()
                .filter(|h| h.split_whitespace().next() != Some(date))
                .cloned()
                .collect();
            if holidays.len() == c.holidays.len() {
                return Err(AppError::invalid(
                    "date",
                    format!("`{}` has no holiday on {date}", c.name),
                ));
            }
            Ok(CalendarChanges {
                holidays: Some(holidays),
                ..CalendarChanges::default()
            })
        })
        .await
    }

    /// Applies the changes `change` asks of the calendar as stored, in one transaction, so
    /// a change built from its holidays cannot lose another admin's edit.
    async fn change_calendar(
        &self,
        m: &Member,
        calendar_id: i64,
        change: impl FnOnce(&StoredCalendar) -> Result<CalendarChanges, AppError>,
    ) -> Result<StoredCalendar, AppError> {
        m.require(CALENDARS)?;
        let mut tx = self.store().write().await?;
        let mut c = tx
            .calendar(m.viewer.org, calendar_id)
            .await
            .map_err(store_error)?;
        let changes = change(&c)?;
        if changes.is_default == Some(false) && c.is_default {
            return Err(AppError::invalid(
                "is_default",
                "make another calendar the default instead",
            ));
        }
        let new = parse_calendar(&CalendarInput {
            name: changes.name.unwrap_or(c.name),
            time_zone: changes.time_zone.unwrap_or(c.time_zone),
            hours: changes.hours.unwrap_or(c.hours),
            holidays: changes.holidays.unwrap_or(c.holidays),
            is_default: false,
        })?;
        c = StoredCalendar {
            name: new.name,
            time_zone: new.time_zone,
            hours: new.hours,
            holidays: new.holidays,
            ..c
        };
        let mut c = tx.update_calendar(&c).await.map_err(store_error)?;
        if changes.is_default == Some(true) && !c.is_default {
            c = tx
                .set_default_calendar(m.viewer.org, calendar_id)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await?;
        Ok(c)
    }

    /// Deletes a calendar no team or pool names (organization admins). The default goes only
    /// as the last calendar.
    #[tracing::instrument(name = "delete_calendar", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn delete_calendar(&self, m: &Member, calendar_id: i64) -> Result<(), AppError> {
        m.require(CALENDARS)?;
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        let c = tx.calendar(org, calendar_id).await.map_err(store_error)?;
        match tx.delete_calendar(org, calendar_id).await {
            Ok(()) => {}
            Err(StoreError::Conflict { constraint })
                if constraint == IN_USE_BY_TEAM || constraint == IN_USE_BY_POOL =>
            {
                let in_use = if constraint == IN_USE_BY_TEAM {
                    let teams = tx.calendar_team_names(org, calendar_id).await?;
                    format!("is the calendar of team(s) {}", teams.join(", "))
                } else {
                    let pools = tx.calendar_pool_names(org, calendar_id).await?;
                    format!("counts the reserve time of pool(s) {}", pools.join(", "))
                };
                return Err(AppError::Conflict {
                    code: "calendar_in_use",
                    message: format!(
                        "calendar `{}` {in_use}; give them another calendar first",
                        c.name
                    ),
                });
            }
            Err(StoreError::Conflict { constraint }) if constraint == ONE_DEFAULT => {
                return Err(AppError::Conflict {
                    code: "calendar_is_default",
                    message: format!(
                        "calendar `{}` is the organization's default; make another calendar the default first",
                        c.name
                    ),
                });
            }
            Err(e) => return Err(store_error(e)),
        }
        tx.commit().await?;
        Ok(())
    }

    /// Which calendar a team works by (any member).
    #[tracing::instrument(name = "team_calendar", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn team_calendar(&self, m: &Member, team: TeamId) -> Result<TeamCalendar, AppError> {
        let mut tx = self.store().read().await?;
        let tc = Self::read_team_calendar(&mut tx, m.viewer.org, team).await?;
        tx.commit().await?;
        Ok(tc)
    }

    /// Gives a team its own calendar, or with `None` lets it inherit again (admins of the team).
    #[tracing::instrument(name = "set_team_calendar", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn set_team_calendar(
        &self,
        m: &Member,
        team: TeamId,
        calendar_id: Option<i64>,
    ) -> Result<TeamCalendar, AppError> {
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        tx.team(org, team)
            .await
            .map_err(AppError::from_store("team"))?;
        if !m.viewer.administers(Some(team)) {
            return Err(AppError::Forbidden(
                "you may only choose calendars for teams inside your scope".into(),
            ));
        }
        if let Some(c) = calendar_id {
            tx.calendar(org, c)
                .await
                .map_err(AppError::absent("calendar_id", "calendar"))?;
        }
        tx.set_team_calendar(org, team, calendar_id)
            .await
            .map_err(AppError::from_store("team"))?;
        let tc = Self::read_team_calendar(&mut tx, org, team).await?;
        tx.commit().await?;
        Ok(tc)
    }

    async fn read_team_calendar(
        tx: &mut leadpool_store::Tx,
        org: OrgId,
        team: TeamId,
    ) -> Result<TeamCalendar, AppError> {
        let own_calendar_id = tx
            .team_calendar_id(org, team)
            .await
            .map_err(AppError::from_store("team"))?;
        let effective = tx
            .calendar_for_team(org, team)
            .await
            .map_err(AppError::from_store("team"))?;
        Ok(TeamCalendar {
            team,
            own_calendar_id,
            effective,
        })
    }

    /// When `open` of open time after `from` falls on a calendar, without creating anything
    /// (any member). `from` is an RFC 3339 instant or a wall-clock time in the calendar's
    /// zone. A calendar that does not open within 400 days is refused, never looped on.
    #[tracing::instrument(name = "deadline_preview", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn deadline_preview(
        &self,
        m: &Member,
        calendar_id: i64,
        from: &str,
        open: Duration,
    ) -> Result<DeadlinePreview, AppError> {
        if open > MAX_PREVIEW {
            return Err(AppError::invalid(
                "duration_seconds",
                "must be at most 10 years of open time",
            ));
        }
        let stored = self.get_calendar(m, calendar_id).await?;
        let calendar = stored
            .to_calendar()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let start = resolve_start(&calendar, from)?;
        let refused = |e: CalendarError| AppError::invalid("from", e.to_string());
        let start_j = to_jiff(start).map_err(refused)?;
        let due_j = calendar.deadline(start_j, open).map_err(|e| match e {
            CalendarError::NoOpeningWithin { days, .. } => AppError::invalid(
                "from",
                format!(
                    "calendar `{}` does not open within {days} days of {from}: every one of them \
                     is closed or a holiday, so no deadline can fall due",
                    stored.name
                ),
            ),
            CalendarError::NeverOpen => AppError::invalid(
                "from",
                format!(
                    "calendar `{}` has no open hours on any day, so no deadline can fall due",
                    stored.name
                ),
            ),
            other => refused(other),
        })?;
        let zone = calendar.time_zone();
        Ok(DeadlinePreview {
            time_zone: stored.time_zone.clone(),
            from: start,
            due: from_jiff(due_j),
            due_local: due_j.display_with_offset(zone.to_offset(due_j)).to_string(),
            open: calendar.open_time_between(start_j, due_j),
            elapsed: Duration::try_from(start_j.duration_until(due_j)).unwrap_or_default(),
        })
    }

    /// The calendar of an organization with this name, for the command line (operator).
    #[tracing::instrument(name = "calendar_by_name", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn calendar_by_name(
        &self,
        org: &Organization,
        name: &str,
    ) -> Result<StoredCalendar, AppError> {
        let mut tx = self.store().read().await?;
        let found = tx.calendar_by_name(org.id, name).await;
        let c = match found {
            Ok(c) => c,
            Err(StoreError::NotFound) => {
                let names: Vec<String> = tx
                    .calendars(org.id)
                    .await?
                    .into_iter()
                    .map(|c| c.name)
                    .collect();
                let known = if names.is_empty() {
                    "it has no calendars yet".to_owned()
                } else {
                    format!("its calendars are: {}", names.join(", "))
                };
                return Err(AppError::invalid(
                    "calendar",
                    format!("{} has no calendar named `{name}`; {known}", org.slug),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        Ok(c)
    }
}
