//! Pools: shared buckets of unowned leads. The pool issue adds access, reserve time and
//! blind mode; the foundation needs each organization's default "Lead Pool".

use leadpool_domain::{OrgId, PoolId, Timestamp};

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
    /// Rejected leads go here.
    pub is_default: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    name: String,
    is_default: bool,
}

impl From<Row> for Pool {
    fn from(r: Row) -> Self {
        Self {
            id: PoolId::new(r.id),
            org: OrgId::new(r.org_id),
            name: r.name,
            is_default: r.is_default,
        }
    }
}

impl Tx {
    /// Creates a pool.
    pub async fn insert_pool(
        &mut self,
        org: OrgId,
        name: &str,
        is_default: bool,
        now: Timestamp,
    ) -> Result<Pool, StoreError> {
        let q = Sql::new("INSERT INTO pools (org_id, name, is_default, created_at) VALUES ($1, $2, $3, $4) RETURNING id, org_id, name, is_default")
            .bind(org)
            .bind(name)
            .bind(is_default)
            .bind(now);
        self.fetch_one::<Row>(&q).await.map(Into::into)
    }

    /// Every pool of the organization, by id.
    pub async fn pools(&mut self, org: OrgId) -> Result<Vec<Pool>, StoreError> {
        let q = Sql::new(
            "SELECT id, org_id, name, is_default FROM pools WHERE org_id = $1 ORDER BY id",
        )
        .bind(org);
        Ok(self
            .fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
