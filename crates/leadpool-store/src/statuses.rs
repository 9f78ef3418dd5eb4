//! Statuses: an organization's own stages, each in one category.

use leadpool_domain::lead::StatusRef;
use leadpool_domain::{OrgId, StatusCategory, StatusId, Timestamp};

use crate::{Sql, StoreError, Tx};

/// A status an organization defined.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// Its id.
    pub id: StatusId,
    /// Its organization.
    pub org: OrgId,
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: StatusCategory,
    /// Its place in lists.
    pub position: i64,
    /// New leads start here.
    pub is_default: bool,
    /// How long a lead may stay in this status before it expires (milliseconds).
    pub expires_after_ms: Option<i64>,
    /// The status an expired lead moves to.
    pub expires_to_status_id: Option<StatusId>,
    /// Whether an expired lead also returns to the default pool.
    pub expires_to_pool: bool,
    /// Whether the expiry waits while the lead has a pending task.
    pub expires_hold_while_task_pending: bool,
    /// Whether the expiry waits until every pending task is overdue by this long
    /// (milliseconds).
    pub expires_task_overdue_after_ms: Option<i64>,
    /// The calendar whose open hours count the expiry; `None`: wall-clock time.
    pub expires_calendar_id: Option<i64>,
    /// Whether an agent's hold on a lead in it is open to others until first contact.
    pub shark_tank: bool,
}

impl Status {
    /// How pending tasks hold off its expiry; waiting while any is pending wins over waiting
    /// until they are overdue, as it holds longer.
    pub fn task_hold(&self) -> Option<leadpool_domain::timer::TaskHold> {
        use leadpool_domain::timer::TaskHold;
        match (
            self.expires_hold_while_task_pending,
            self.expires_task_overdue_after_ms,
        ) {
            (true, _) => Some(TaskHold::WhilePending),
            (false, Some(ms)) => Some(TaskHold::UntilOverdueBy(std::time::Duration::from_millis(
                u64::try_from(ms).unwrap_or(0),
            ))),
            (false, None) => None,
        }
    }

    /// The reference a lead carries.
    pub fn to_ref(&self) -> StatusRef {
        StatusRef {
            id: self.id,
            name: self.name.clone(),
            category: self.category,
            shark_tank: self.shark_tank,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    name: String,
    category: String,
    position: i64,
    is_default: bool,
    expires_after_ms: Option<i64>,
    expires_to_status_id: Option<i64>,
    expires_to_pool: bool,
    expires_hold_while_task_pending: bool,
    expires_task_overdue_after_ms: Option<i64>,
    expires_calendar_id: Option<i64>,
    shark_tank: bool,
}

impl TryFrom<Row> for Status {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let category = StatusCategory::parse(&r.category)
            .ok_or_else(|| StoreError::Corrupt(format!("statuses.category `{}`", r.category)))?;
        Ok(Self {
            id: StatusId::new(r.id),
            org: OrgId::new(r.org_id),
            name: r.name,
            category,
            position: r.position,
            is_default: r.is_default,
            expires_after_ms: r.expires_after_ms,
            expires_to_status_id: r.expires_to_status_id.map(StatusId::new),
            expires_to_pool: r.expires_to_pool,
            expires_hold_while_task_pending: r.expires_hold_while_task_pending,
            expires_task_overdue_after_ms: r.expires_task_overdue_after_ms,
            expires_calendar_id: r.expires_calendar_id,
            shark_tank: r.shark_tank,
        })
    }
}

const RETURNING: &str = "id, org_id, name, category, position, is_default, expires_after_ms, expires_to_status_id, expires_to_pool, \
     expires_hold_while_task_pending, expires_task_overdue_after_ms, expires_calendar_id, shark_tank";

impl Tx {
    /// Creates a status; making it the default takes that from any other.
    pub async fn insert_status(
        &mut self,
        org: OrgId,
        name: &str,
        category: StatusCategory,
        is_default: bool,
        now: Timestamp,
    ) -> Result<Status, StoreError> {
        if is_default {
            self.execute(
                &Sql::new("UPDATE statuses SET is_default = $2 WHERE org_id = $1")
                    .bind(org)
                    .bind(false),
            )
            .await?;
        }
        let q = Sql::new(&format!(
            "INSERT INTO statuses (org_id, name, category, position, is_default, created_at) \
             VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM statuses WHERE org_id = $1), $4, $5) RETURNING {RETURNING}"
        ))
        .bind(org)
        .bind(name)
        .bind(category.as_str())
        .bind(is_default)
        .bind(now);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// Every status of the organization, in list order.
    pub async fn statuses(&mut self, org: OrgId) -> Result<Vec<Status>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {RETURNING} FROM statuses WHERE org_id = $1 ORDER BY position, id"
        ))
        .bind(org);
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// The status with this id in this organization.
    pub async fn status(&mut self, org: OrgId, id: StatusId) -> Result<Status, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {RETURNING} FROM statuses WHERE org_id = $1 AND id = $2"
        ))
        .bind(org)
        .bind(id);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// The status new leads start in; `NotFound` if the organization has none.
    pub async fn default_status(&mut self, org: OrgId) -> Result<Status, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {RETURNING} FROM statuses WHERE org_id = $1 ORDER BY is_default DESC, position, id LIMIT 1"
        ))
        .bind(org);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// The expiry rule of a status, resolved to the status it expires into.
    pub async fn status_expiry(
        &mut self,
        org: OrgId,
        id: StatusId,
    ) -> Result<Option<leadpool_domain::timer::StatusExpiry>, StoreError> {
        let s = self.status(org, id).await?;
        let (Some(ms), Some(to)) = (s.expires_after_ms, s.expires_to_status_id) else {
            return Ok(None);
        };
        let to = self.status(org, to).await?;
        Ok(Some(leadpool_domain::timer::StatusExpiry {
            after: std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0)),
            to_status: to.to_ref(),
            to_pool: s.expires_to_pool,
            hold: s.task_hold(),
            calendar: match s.expires_calendar_id {
                Some(c) => Some(self.calendar(org, c).await?.to_calendar()?),
                None => None,
            },
        }))
    }

    /// Renames, recategorizes, moves or makes a status the default.
    pub async fn update_status(&mut self, s: &Status) -> Result<Status, StoreError> {
        if s.is_default {
            self.execute(
                &Sql::new("UPDATE statuses SET is_default = $2 WHERE org_id = $1")
                    .bind(s.org)
                    .bind(false),
            )
            .await?;
        }
        let q = Sql::new(&format!(
            "UPDATE statuses SET name = $3, category = $4, position = $5, is_default = $6, expires_after_ms = $7, \
             expires_to_status_id = $8, expires_to_pool = $9, expires_hold_while_task_pending = $10, \
             expires_task_overdue_after_ms = $11, expires_calendar_id = $12, shark_tank = $13 WHERE org_id = $1 AND id = $2 RETURNING {RETURNING}"
        ))
        .bind(s.org)
        .bind(s.id)
        .bind(s.name.as_str())
        .bind(s.category.as_str())
        .bind(s.position)
        .bind(s.is_default)
        .bind(s.expires_after_ms)
        .bind(s.expires_to_status_id)
        .bind(s.expires_to_pool)
        .bind(s.expires_hold_while_task_pending)
        .bind(s.expires_task_overdue_after_ms)
        .bind(s.expires_calendar_id)
        .bind(s.shark_tank);
        self.fetch_one::<Row>(&q).await?.try_into()
    }
}
