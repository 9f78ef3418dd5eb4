//! Teams: an organization's hierarchy.

use leadpool_domain::{OrgId, TeamId, Timestamp};

use crate::{Sql, StoreError, Tx};

/// A team in an organization's hierarchy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Team {
    /// Its id.
    pub id: TeamId,
    /// Its organization.
    pub org: OrgId,
    /// The team above it; `None` at the top.
    pub parent_id: Option<TeamId>,
    /// Its name, unique in the organization.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    parent_id: Option<i64>,
    name: String,
    created_at: i64,
}

impl From<Row> for Team {
    fn from(r: Row) -> Self {
        Self {
            id: TeamId::new(r.id),
            org: OrgId::new(r.org_id),
            parent_id: r.parent_id.map(TeamId::new),
            name: r.name,
            created_at: Timestamp::from_millis(r.created_at),
        }
    }
}

const COLUMNS: &str = "SELECT id, org_id, parent_id, name, created_at FROM teams";

impl Tx {
    /// Creates a team under `parent` (which must be of the same organization).
    pub async fn insert_team(
        &mut self,
        org: OrgId,
        parent: Option<TeamId>,
        name: &str,
        now: Timestamp,
    ) -> Result<Team, StoreError> {
        if let Some(p) = parent {
            self.team(org, p).await?;
        }
        let q = Sql::new(
            "INSERT INTO teams (org_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, org_id, parent_id, name, created_at",
        )
        .bind(org)
        .bind(parent)
        .bind(name)
        .bind(now);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// The team with this id in this organization.
    pub async fn team(&mut self, org: OrgId, id: TeamId) -> Result<Team, StoreError> {
        let q = Sql::new(&format!("{COLUMNS} WHERE org_id = $1 AND id = $2"))
            .bind(org)
            .bind(id);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// The team with this name in this organization.
    pub async fn team_by_name(&mut self, org: OrgId, name: &str) -> Result<Team, StoreError> {
        let q = Sql::new(&format!("{COLUMNS} WHERE org_id = $1 AND name = $2"))
            .bind(org)
            .bind(name);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// Every team of the organization, by id.
    pub async fn teams(&mut self, org: OrgId) -> Result<Vec<Team>, StoreError> {
        let rows = self
            .fetch_all::<Row>(
                &Sql::new(&format!("{COLUMNS} WHERE org_id = $1 ORDER BY id")).bind(org),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Renames or moves a team. The caller has checked the move makes no cycle.
    pub async fn update_team(
        &mut self,
        org: OrgId,
        id: TeamId,
        name: &str,
        parent: Option<TeamId>,
    ) -> Result<Team, StoreError> {
        if let Some(p) = parent {
            self.team(org, p).await?;
        }
        let q = Sql::new(
            "UPDATE teams SET name = $3, parent_id = $4 WHERE org_id = $1 AND id = $2 \
             RETURNING id, org_id, parent_id, name, created_at",
        )
        .bind(org)
        .bind(id)
        .bind(name)
        .bind(parent);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }
}
