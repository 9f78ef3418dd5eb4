//! Lead sources and their intake keys (stored as SHA-256 digests; shown once).

use leadpool_domain::{OrgId, SourceId, TeamId, Timestamp};

use crate::{Sql, StoreError, Tx};

/// Where leads come from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    /// Its id.
    pub id: SourceId,
    /// Its organization.
    pub org: OrgId,
    /// Its name ("Website", "Zillow").
    pub name: String,
    /// The team its leads belong to; `None`: the organization level.
    pub team_id: Option<TeamId>,
    /// The last characters of its intake key, so people can tell keys apart.
    pub key_hint: String,
    /// Inactive sources refuse intake.
    pub active: bool,
    /// When it was created.
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    name: String,
    team_id: Option<i64>,
    key_hint: String,
    active: bool,
    created_at: i64,
}

impl From<Row> for Source {
    fn from(r: Row) -> Self {
        Self {
            id: SourceId::new(r.id),
            org: OrgId::new(r.org_id),
            name: r.name,
            team_id: r.team_id.map(TeamId::new),
            key_hint: r.key_hint,
            active: r.active,
            created_at: Timestamp::from_millis(r.created_at),
        }
    }
}

const RETURNING: &str = "id, org_id, name, team_id, key_hint, active, created_at";

impl Tx {
    /// Creates a source with the digest and hint of its intake key.
    pub async fn insert_source(
        &mut self,
        org: OrgId,
        name: &str,
        team: Option<TeamId>,
        key_digest: &str,
        key_hint: &str,
        now: Timestamp,
    ) -> Result<Source, StoreError> {
        if let Some(t) = team {
            self.team(org, t).await?;
        }
        let q = Sql::new(&format!(
            "INSERT INTO sources (org_id, name, team_id, key_hash, key_hint, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {RETURNING}"
        ))
        .bind(org)
        .bind(name)
        .bind(team)
        .bind(key_digest)
        .bind(key_hint)
        .bind(true)
        .bind(now);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// The source with this id in this organization.
    pub async fn source(&mut self, org: OrgId, id: SourceId) -> Result<Source, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {RETURNING} FROM sources WHERE org_id = $1 AND id = $2"
        ))
        .bind(org)
        .bind(id);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// The source with this name in this organization.
    pub async fn source_by_name(&mut self, org: OrgId, name: &str) -> Result<Source, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {RETURNING} FROM sources WHERE org_id = $1 AND name = $2"
        ))
        .bind(org)
        .bind(name);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// The source an intake key digest belongs to.
    pub async fn source_by_key(&mut self, key_digest: &str) -> Result<Source, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {RETURNING} FROM sources WHERE key_hash = $1"
        ))
        .bind(key_digest);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// Every source of the organization, by id.
    pub async fn sources(&mut self, org: OrgId) -> Result<Vec<Source>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {RETURNING} FROM sources WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org);
        Ok(self
            .fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Renames a source, moves it to a team, or turns it on or off.
    pub async fn update_source(&mut self, s: &Source) -> Result<Source, StoreError> {
        if let Some(t) = s.team_id {
            self.team(s.org, t).await?;
        }
        let q = Sql::new(&format!(
            "UPDATE sources SET name = $3, team_id = $4, active = $5 WHERE org_id = $1 AND id = $2 RETURNING {RETURNING}"
        ))
        .bind(s.org)
        .bind(s.id)
        .bind(s.name.as_str())
        .bind(s.team_id)
        .bind(s.active);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// Replaces a source's intake key; the old key stops working in the same commit.
    pub async fn rotate_source_key(
        &mut self,
        org: OrgId,
        id: SourceId,
        key_digest: &str,
        key_hint: &str,
    ) -> Result<Source, StoreError> {
        let q = Sql::new(&format!(
            "UPDATE sources SET key_hash = $3, key_hint = $4 WHERE org_id = $1 AND id = $2 RETURNING {RETURNING}"
        ))
        .bind(org)
        .bind(id)
        .bind(key_digest)
        .bind(key_hint);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }
}
