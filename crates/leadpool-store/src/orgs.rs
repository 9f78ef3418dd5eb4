//! Organizations: the boundary nothing crosses.

use leadpool_domain::{OrgId, Timestamp};

use crate::{Sql, StoreError, Tx};

/// An organization (one customer).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Organization {
    /// Its id.
    pub id: OrgId,
    /// Short unique name used on the command line (`acme-realty`).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    slug: String,
    name: String,
    created_at: i64,
}

impl From<Row> for Organization {
    fn from(r: Row) -> Self {
        Self {
            id: OrgId::new(r.id),
            slug: r.slug,
            name: r.name,
            created_at: Timestamp::from_millis(r.created_at),
        }
    }
}

const COLUMNS: &str = "SELECT id, slug, name, created_at FROM organizations";

impl Tx {
    /// Creates an organization; a taken slug is `Conflict { organizations_slug_key }`.
    pub async fn insert_org(
        &mut self,
        slug: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<Organization, StoreError> {
        let q = Sql::new("INSERT INTO organizations (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id, slug, name, created_at")
            .bind(slug)
            .bind(name)
            .bind(now);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// The organization with this slug.
    pub async fn org_by_slug(&mut self, slug: &str) -> Result<Organization, StoreError> {
        self.fetch_one::<Row>(&Sql::new(&format!("{COLUMNS} WHERE slug = $1")).bind(slug))
            .await
            .map(Into::into)
    }

    /// The organization with this id.
    pub async fn org(&mut self, id: OrgId) -> Result<Organization, StoreError> {
        self.fetch_one::<Row>(&Sql::new(&format!("{COLUMNS} WHERE id = $1")).bind(id))
            .await
            .map(Into::into)
    }

    /// Every organization, oldest first.
    pub async fn orgs(&mut self) -> Result<Vec<Organization>, StoreError> {
        let rows = self
            .fetch_all::<Row>(&Sql::new(&format!("{COLUMNS} ORDER BY id")))
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The version of the organization's routing setup (rules, groups, statuses, calendars,
    /// caps): every change to it moves the version on, in the changing transaction.
    pub async fn config_version(&mut self, org: OrgId) -> Result<i64, StoreError> {
        let q = Sql::new("SELECT config_version FROM organizations WHERE id = $1").bind(org);
        Ok(self.fetch_one::<VersionRow>(&q).await?.config_version)
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    config_version: i64,
}
