//! Pools: shared buckets of unowned leads, each with who may see it, blind mode, the reserve
//! time a claim starts (counted in a calendar's open hours) and the rejection cooldown.

use std::time::Duration;

use leadpool_domain::pool::PoolRules;
use leadpool_domain::{OrgId, PoolId, TeamId, Timestamp};

use crate::{Sql, StoreError, Tx};

/// A shared bucket of leads.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pool {
    /// Its id.
    pub id: PoolId,
    /// Its organization.
    pub org: OrgId,
    /// Its name.
    pub name: String,
    /// The organization's "Lead Pool".
    pub is_default: bool,
    /// Only members of this team see it; `None`: every agent.
    pub team_id: Option<TeamId>,
    /// Phone and email stay hidden until a lead is claimed.
    pub blind: bool,
    /// How long a claimer has to work a lead, in open hours; `None`: no limit.
    pub reserve: Option<Duration>,
    /// The calendar whose open hours count the reserve time; `None`: the organization's.
    pub calendar_id: Option<i64>,
    /// How long a rejecter may not claim the lead back.
    pub reject_cooldown: Duration,
}

impl Pool {
    /// The rules claims and visibility need.
    pub fn rules(&self) -> PoolRules {
        PoolRules {
            id: self.id,
            team: self.team_id,
            blind: self.blind,
        }
    }
}

/// A pool's settings, for creating or changing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// Its name.
    pub name: String,
    /// See [`Pool::team_id`].
    pub team_id: Option<TeamId>,
    /// See [`Pool::blind`].
    pub blind: bool,
    /// See [`Pool::reserve`].
    pub reserve: Option<Duration>,
    /// See [`Pool::calendar_id`].
    pub calendar_id: Option<i64>,
    /// See [`Pool::reject_cooldown`].
    pub reject_cooldown: Duration,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    name: String,
    is_default: bool,
    team_id: Option<i64>,
    blind: bool,
    reserve_ms: Option<i64>,
    calendar_id: Option<i64>,
    reject_cooldown_ms: i64,
}

const COLUMNS: &str =
    "id, org_id, name, is_default, team_id, blind, reserve_ms, calendar_id, reject_cooldown_ms";

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn duration(column: &str, ms: i64) -> Result<Duration, StoreError> {
    u64::try_from(ms)
        .map(Duration::from_millis)
        .map_err(|_| StoreError::Corrupt(format!("pools.{column} {ms}")))
}

impl TryFrom<Row> for Pool {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Self {
            id: PoolId::new(r.id),
            org: OrgId::new(r.org_id),
            name: r.name,
            is_default: r.is_default,
            team_id: r.team_id.map(TeamId::new),
            blind: r.blind,
            reserve: r
                .reserve_ms
                .map(|ms| duration("reserve_ms", ms))
                .transpose()?,
            calendar_id: r.calendar_id,
            reject_cooldown: duration("reject_cooldown_ms", r.reject_cooldown_ms)?,
        })
    }
}

impl Tx {
    /// Creates a pool.
    pub async fn insert_pool(
        &mut self,
        org: OrgId,
        s: &PoolSettings,
        is_default: bool,
        now: Timestamp,
    ) -> Result<Pool, StoreError> {
        let q = Sql::new(&format!(
            "INSERT INTO pools (org_id, name, is_default, team_id, blind, reserve_ms, calendar_id, reject_cooldown_ms, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
        ))
        .bind(org)
        .bind(s.name.as_str())
        .bind(is_default)
        .bind(s.team_id)
        .bind(s.blind)
        .bind(s.reserve.map(millis))
        .bind(s.calendar_id)
        .bind(millis(s.reject_cooldown))
        .bind(now);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// Changes a pool's settings.
    pub async fn update_pool(
        &mut self,
        org: OrgId,
        id: PoolId,
        s: &PoolSettings,
    ) -> Result<Pool, StoreError> {
        let q = Sql::new(&format!(
            "UPDATE pools SET name = $3, team_id = $4, blind = $5, reserve_ms = $6, calendar_id = $7, reject_cooldown_ms = $8 \
             WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}"
        ))
        .bind(org)
        .bind(id)
        .bind(s.name.as_str())
        .bind(s.team_id)
        .bind(s.blind)
        .bind(s.reserve.map(millis))
        .bind(s.calendar_id)
        .bind(millis(s.reject_cooldown));
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// The pool with this id in this organization.
    pub async fn pool(&mut self, org: OrgId, id: PoolId) -> Result<Pool, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM pools WHERE org_id = $1 AND id = $2"
        ))
        .bind(org)
        .bind(id);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// Every pool of the organization, by id.
    pub async fn pools(&mut self, org: OrgId) -> Result<Vec<Pool>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM pools WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org);
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }
}
