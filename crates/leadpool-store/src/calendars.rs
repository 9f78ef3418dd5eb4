//! Working-hours calendars: an organization's named calendars, its one default, and which
//! calendar each team works by (its own, else its nearest ancestor's, else the default).
//!
//! Calendars are stored as the texts the domain parses (the hours syntax, holidays as a JSON
//! array of `Holiday::parse` strings); the app writes them only after building the domain
//! [`Calendar`] from them, so reading one back into a `Calendar` fails only on corrupt data.

use leadpool_domain::calendar::{Calendar, Holiday};
use leadpool_domain::{OrgId, TeamId, Timestamp};

use crate::{Sql, StoreError, Tx, from_json, to_json};

/// The constraint a team naming a calendar holds on it: deleting a calendar some team uses
/// is `Conflict` on this name.
pub const IN_USE_BY_TEAM: &str = "teams_calendar_id_fkey";

/// Deleting a calendar a pool counts its reserve time in is `Conflict` on this name (the
/// schema's foreign key, checked first so both backends answer alike).
pub const IN_USE_BY_POOL: &str = "pools_calendar_id_fkey";

/// Deleting the default while other calendars remain is `Conflict` on this name (the
/// organization must keep exactly one default while it has any calendar).
pub const ONE_DEFAULT: &str = "calendars_one_default";

/// A calendar as stored. There is no typed id for calendars in the domain, so its id is a
/// plain `i64`, called `calendar_id` wherever it is passed alone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredCalendar {
    /// Its id.
    pub id: i64,
    /// Its organization.
    pub org: OrgId,
    /// Its name, unique in the organization.
    pub name: String,
    /// The IANA zone its hours and holidays are in, e.g. `America/New_York`.
    pub time_zone: String,
    /// Open hours in the hours syntax, e.g. `mon-fri 09:00-17:00`.
    pub hours: String,
    /// Holidays in `Holiday::parse` syntax: `2026-12-25` or `2026-12-24 09:00-12:00`.
    pub holidays: Vec<String>,
    /// Whether it is the organization's default.
    pub is_default: bool,
    /// When it was created.
    pub created_at: Timestamp,
}

impl StoredCalendar {
    /// The domain calendar, for arithmetic; `Corrupt` if the stored texts no longer parse
    /// (say a zone vanished from the time-zone database).
    pub fn to_calendar(&self) -> Result<Calendar, StoreError> {
        let corrupt = |e: leadpool_domain::calendar::CalendarError| {
            StoreError::Corrupt(format!("calendar {} (`{}`): {e}", self.id, self.name))
        };
        let holidays = self
            .holidays
            .iter()
            .map(|h| Holiday::parse(h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(corrupt)?;
        Calendar::new(self.name.clone(), &self.time_zone, &self.hours, holidays).map_err(corrupt)
    }
}

/// A calendar to create; its texts are already validated and normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCalendar {
    /// Its name.
    pub name: String,
    /// IANA zone name.
    pub time_zone: String,
    /// Hours syntax.
    pub hours: String,
    /// Holidays in `Holiday::parse` syntax.
    pub holidays: Vec<String>,
    /// Make it the default (the organization's first calendar always is).
    pub is_default: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    name: String,
    time_zone: String,
    hours: String,
    holidays: String,
    is_default: bool,
    created_at: i64,
}

impl TryFrom<Row> for StoredCalendar {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Self {
            holidays: from_json("calendars.holidays", &r.holidays)?,
            id: r.id,
            org: OrgId::new(r.org_id),
            name: r.name,
            time_zone: r.time_zone,
            hours: r.hours,
            is_default: r.is_default,
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct TeamCalendarRow {
    calendar_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct NameRow {
    name: String,
}

const COLUMNS: &str = "id, org_id, name, time_zone, hours, holidays, is_default, created_at";

impl Tx {
    /// Creates a calendar; a taken name is `Conflict { calendars_name_key }`. Making it the
    /// default takes that from the previous one; the organization's first is always the default.
    pub async fn insert_calendar(
        &mut self,
        org: OrgId,
        new: &NewCalendar,
        now: Timestamp,
    ) -> Result<StoredCalendar, StoreError> {
        let is_default = new.is_default || self.default_calendar(org).await?.is_none();
        let q = Sql::new(&format!(
            "INSERT INTO calendars (org_id, name, time_zone, hours, holidays, is_default, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(org)
        .bind(new.name.as_str())
        .bind(new.time_zone.as_str())
        .bind(new.hours.as_str())
        .bind(to_json(&new.holidays))
        .bind(false)
        .bind(now);
        let calendar: StoredCalendar = self.fetch_one::<Row>(&q).await?.try_into()?;
        if is_default {
            return self.set_default_calendar(org, calendar.id).await;
        }
        Ok(calendar)
    }

    /// The calendar with this id in this organization.
    pub async fn calendar(
        &mut self,
        org: OrgId,
        calendar_id: i64,
    ) -> Result<StoredCalendar, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM calendars WHERE org_id = $1 AND id = $2"
        ))
        .bind(org)
        .bind(calendar_id);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// The calendar with this name in this organization.
    pub async fn calendar_by_name(
        &mut self,
        org: OrgId,
        name: &str,
    ) -> Result<StoredCalendar, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM calendars WHERE org_id = $1 AND name = $2"
        ))
        .bind(org)
        .bind(name);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// Every calendar of the organization, by id.
    pub async fn calendars(&mut self, org: OrgId) -> Result<Vec<StoredCalendar>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM calendars WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org);
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// The organization's default calendar; `None` while it has no calendar.
    pub async fn default_calendar(
        &mut self,
        org: OrgId,
    ) -> Result<Option<StoredCalendar>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM calendars WHERE org_id = $1 AND is_default"
        ))
        .bind(org);
        self.fetch_optional::<Row>(&q)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    /// Renames a calendar or replaces its zone, hours or holidays (not its default flag:
    /// see [`Tx::set_default_calendar`]).
    pub async fn update_calendar(
        &mut self,
        c: &StoredCalendar,
    ) -> Result<StoredCalendar, StoreError> {
        let q = Sql::new(&format!(
            "UPDATE calendars SET name = $3, time_zone = $4, hours = $5, holidays = $6 \
             WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}"
        ))
        .bind(c.org)
        .bind(c.id)
        .bind(c.name.as_str())
        .bind(c.time_zone.as_str())
        .bind(c.hours.as_str())
        .bind(to_json(&c.holidays));
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// Makes a calendar the organization's one default.
    pub async fn set_default_calendar(
        &mut self,
        org: OrgId,
        calendar_id: i64,
    ) -> Result<StoredCalendar, StoreError> {
        self.calendar(org, calendar_id).await?;
        // Two statements, old default off first: PostgreSQL checks the one-default index row
        // by row, so a single UPDATE flipping both could see two defaults midway.
        self.execute(
            &Sql::new("UPDATE calendars SET is_default = $3 WHERE org_id = $1 AND id <> $2 AND is_default")
                .bind(org)
                .bind(calendar_id)
                .bind(false),
        )
        .await?;
        let q = Sql::new(&format!(
            "UPDATE calendars SET is_default = $3 WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}"
        ))
        .bind(org)
        .bind(calendar_id)
        .bind(true);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// The names of the teams that name this calendar as their own, by name.
    pub async fn calendar_team_names(
        &mut self,
        org: OrgId,
        calendar_id: i64,
    ) -> Result<Vec<String>, StoreError> {
        self.names_naming("teams", org, calendar_id).await
    }

    /// The names of the pools that count their reserve time in this calendar, by name.
    pub async fn calendar_pool_names(
        &mut self,
        org: OrgId,
        calendar_id: i64,
    ) -> Result<Vec<String>, StoreError> {
        self.names_naming("pools", org, calendar_id).await
    }

    /// The names, by name, of the rows of `table` (a table of this crate with `org_id`,
    /// `name` and `calendar_id`) that name this calendar.
    async fn names_naming(
        &mut self,
        table: &'static str,
        org: OrgId,
        calendar_id: i64,
    ) -> Result<Vec<String>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT name FROM {table} WHERE org_id = $1 AND calendar_id = $2 ORDER BY name"
        ))
        .bind(org)
        .bind(calendar_id);
        Ok(self
            .fetch_all::<NameRow>(&q)
            .await?
            .into_iter()
            .map(|r| r.name)
            .collect())
    }

    /// Deletes a calendar. Refused with `Conflict` on [`IN_USE_BY_TEAM`] while a team names
    /// it, on [`IN_USE_BY_POOL`] while a pool does, and on [`ONE_DEFAULT`] when it is the
    /// default and other calendars remain.
    pub async fn delete_calendar(
        &mut self,
        org: OrgId,
        calendar_id: i64,
    ) -> Result<(), StoreError> {
        let calendar = self.calendar(org, calendar_id).await?;
        if !self.calendar_team_names(org, calendar_id).await?.is_empty() {
            return Err(StoreError::Conflict {
                constraint: IN_USE_BY_TEAM.to_owned(),
            });
        }
        if !self.calendar_pool_names(org, calendar_id).await?.is_empty() {
            return Err(StoreError::Conflict {
                constraint: IN_USE_BY_POOL.to_owned(),
            });
        }
        if calendar.is_default && self.calendars(org).await?.len() > 1 {
            return Err(StoreError::Conflict {
                constraint: ONE_DEFAULT.to_owned(),
            });
        }
        self.execute(
            &Sql::new("DELETE FROM calendars WHERE org_id = $1 AND id = $2")
                .bind(org)
                .bind(calendar_id),
        )
        .await?;
        Ok(())
    }

    /// Gives a team its own calendar, or with `None` lets it inherit again. Both must be of
    /// this organization (`NotFound` otherwise).
    pub async fn set_team_calendar(
        &mut self,
        org: OrgId,
        team: TeamId,
        calendar_id: Option<i64>,
    ) -> Result<(), StoreError> {
        if let Some(c) = calendar_id {
            self.calendar(org, c).await?;
        }
        let n = self
            .execute(
                &Sql::new("UPDATE teams SET calendar_id = $3 WHERE org_id = $1 AND id = $2")
                    .bind(org)
                    .bind(team)
                    .bind(calendar_id),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The calendar a team names as its own (not inherited); `NotFound` for no such team.
    pub async fn team_calendar_id(
        &mut self,
        org: OrgId,
        team: TeamId,
    ) -> Result<Option<i64>, StoreError> {
        let q = Sql::new("SELECT calendar_id FROM teams WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(team);
        Ok(self.fetch_one::<TeamCalendarRow>(&q).await?.calendar_id)
    }

    /// The calendar a team works by: its own, else its nearest ancestor's, else the
    /// organization default; `None` when none of those exists. `NotFound` for no such team.
    pub async fn calendar_for_team(
        &mut self,
        org: OrgId,
        team: TeamId,
    ) -> Result<Option<StoredCalendar>, StoreError> {
        self.team(org, team).await?;
        // Walk up the hierarchy in one query; the app refuses moves that would make a cycle,
        // and `depth` keeps the nearest calendar first.
        let q = Sql::new(&format!(
            "WITH RECURSIVE chain (id, parent_id, calendar_id, depth) AS ( \
                 SELECT id, parent_id, calendar_id, 0 FROM teams WHERE org_id = $1 AND id = $2 \
                 UNION ALL \
                 SELECT t.id, t.parent_id, t.calendar_id, chain.depth + 1 \
                 FROM teams t JOIN chain ON t.id = chain.parent_id WHERE t.org_id = $1 \
             ) \
             SELECT {COLUMNS} FROM calendars WHERE org_id = $1 AND id = COALESCE( \
                 (SELECT calendar_id FROM chain WHERE calendar_id IS NOT NULL ORDER BY depth LIMIT 1), \
                 (SELECT id FROM calendars WHERE org_id = $1 AND is_default))"
        ))
        .bind(org)
        .bind(team);
        self.fetch_optional::<Row>(&q)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }
}
