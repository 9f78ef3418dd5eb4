//! Tasks on leads: their rows and the reads a lead page, a "my tasks" list and a status
//! expiry waiting on tasks need. Every write is made inside the caller's transaction, with
//! the lead's timeline entry the app writes beside it.

use std::collections::HashMap;

use leadpool_domain::task::{NewTask, Task, TaskStatus};
use leadpool_domain::timer::PendingTasks;
use leadpool_domain::{LeadId, OrgId, TaskId, Timestamp, UserId, Visibility};

use crate::leads::push_visibility;
use crate::{Sql, StoreError, Tx};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    lead_id: i64,
    title: String,
    due_at: i64,
    assignee_id: i64,
    status: String,
    created_by: i64,
    created_at: i64,
    completed_at: Option<i64>,
}

impl TryFrom<Row> for Task {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let status = TaskStatus::parse(&r.status)
            .ok_or_else(|| StoreError::Corrupt(format!("tasks.status `{}`", r.status)))?;
        Ok(Self {
            id: TaskId::new(r.id),
            org: OrgId::new(r.org_id),
            lead: LeadId::new(r.lead_id),
            title: r.title,
            due_at: Timestamp::from_millis(r.due_at),
            assignee: UserId::new(r.assignee_id),
            status,
            created_by: UserId::new(r.created_by),
            created_at: Timestamp::from_millis(r.created_at),
            completed_at: r.completed_at.map(Timestamp::from_millis),
        })
    }
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    lead_id: i64,
    n: i64,
    latest: Option<i64>,
}

const COLUMNS: &str =
    "id, org_id, lead_id, title, due_at, assignee_id, status, created_by, created_at, completed_at";

impl Tx {
    /// Stores a new pending task on `lead`, added by `by`; returns it with its id.
    pub async fn insert_task(
        &mut self,
        org: OrgId,
        lead: LeadId,
        new: &NewTask,
        by: UserId,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        let q = Sql::new(&format!(
            "INSERT INTO tasks (org_id, lead_id, title, due_at, assignee_id, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
        ))
        .bind(org)
        .bind(lead)
        .bind(new.title.as_str())
        .bind(new.due_at)
        .bind(new.assignee)
        .bind(TaskStatus::Pending.as_str())
        .bind(by)
        .bind(now);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// The task with this id in this organization.
    pub async fn task(&mut self, org: OrgId, id: TaskId) -> Result<Task, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE org_id = $1 AND id = $2"
        ))
        .bind(org)
        .bind(id);
        self.fetch_one::<Row>(&q).await?.try_into()
    }

    /// A lead's tasks: pending ones first, soonest due first.
    pub async fn lead_tasks(&mut self, org: OrgId, lead: LeadId) -> Result<Vec<Task>, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE org_id = $1 AND lead_id = $2 \
             ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, due_at, id"
        ))
        .bind(org)
        .bind(lead);
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// The pending tasks of `assignee` on leads `visibility` lets them see, due in
    /// `[from, until)` (either end open when `None`), soonest first; at most `limit`.
    pub async fn pending_tasks_of(
        &mut self,
        org: OrgId,
        assignee: UserId,
        visibility: &Visibility,
        (from, until): (Option<Timestamp>, Option<Timestamp>),
        limit: u32,
    ) -> Result<Vec<Task>, StoreError> {
        // The lead's visibility is a condition on `leads l`; the task columns come from
        // the outer query so they are named once.
        let mut q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE id IN (SELECT t.id FROM tasks t JOIN leads l ON l.id = t.lead_id \
             WHERE t.org_id = $1 AND t.assignee_id = $2 AND t.status = $3"
        ))
        .bind(org)
        .bind(assignee)
        .bind(TaskStatus::Pending.as_str());
        if let Some(from) = from {
            q.push(" AND t.due_at >= ").push_bind(from);
        }
        if let Some(until) = until {
            q.push(" AND t.due_at < ").push_bind(until);
        }
        push_visibility(&mut q, visibility, None);
        q.push(" ORDER BY t.due_at, t.id LIMIT ")
            .push_bind(i64::from(limit))
            .push(") ORDER BY due_at, id");
        self.fetch_all::<Row>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// The pending tasks of each of these leads that has any: how many, and the latest due.
    pub async fn pending_tasks(
        &mut self,
        org: OrgId,
        leads: &[LeadId],
    ) -> Result<HashMap<LeadId, PendingTasks>, StoreError> {
        let mut out = HashMap::new();
        for chunk in leads.chunks(crate::bulk::CHUNK) {
            let mut q = Sql::new(
                "SELECT lead_id, COUNT(*) AS n, MAX(due_at) AS latest FROM tasks WHERE org_id = ",
            );
            q.push_bind(org)
                .push(" AND status = ")
                .push_bind(TaskStatus::Pending.as_str())
                .push(" AND lead_id IN ")
                .push_list(chunk.iter().copied())
                .push(" GROUP BY lead_id");
            for r in self.fetch_all::<PendingRow>(&q).await? {
                out.insert(
                    LeadId::new(r.lead_id),
                    PendingTasks {
                        count: u32::try_from(r.n).unwrap_or(u32::MAX),
                        latest_due: r.latest.map(Timestamp::from_millis),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Writes a task's status, assignee and completion time.
    pub async fn update_task(&mut self, t: &Task) -> Result<(), StoreError> {
        let q = Sql::new(
            "UPDATE tasks SET status = $3, assignee_id = $4, completed_at = $5 WHERE org_id = $1 AND id = $2",
        )
        .bind(t.org)
        .bind(t.id)
        .bind(t.status.as_str())
        .bind(t.assignee)
        .bind(t.completed_at);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// Removes a task.
    pub async fn delete_task(&mut self, org: OrgId, id: TaskId) -> Result<(), StoreError> {
        let q = Sql::new("DELETE FROM tasks WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }
}
