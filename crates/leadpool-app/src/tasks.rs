//! Tasks on leads (seed 002): adding, completing, reassigning and deleting them, each in one
//! transaction with its lead's timeline entry, and the lists a lead page and a "my tasks"
//! page show. Whoever may work the lead (see [`crate::leads`]'s `lead_to_work`) may change
//! its tasks; giving a task to someone else is [`Permission::UserTasks`].

use std::collections::HashMap;

use leadpool_domain::task::{self, DueFilter, NewTask, Task, TaskChange, TaskInput};
use leadpool_domain::timer::{PendingTasks, TimerFacts, TimerKind};
use leadpool_domain::{Actor, Lead, LeadId, Permission, TaskId, UserId};
use leadpool_store::Tx;
use leadpool_store::users::User;

use crate::leads::lead_to_work;
use crate::transitions::Step;
use crate::{App, AppError, Member};

/// Most tasks one "my tasks" list holds.
pub const MAX_TASKS: u32 = 500;

/// A "my tasks" request.
#[derive(Debug, Clone, Copy, Default)]
pub struct TaskQuery {
    /// Whose tasks; `None`: the asker's own. Another user's only for admins and ISAs whose
    /// scope covers them.
    pub assignee: Option<UserId>,
    /// Which pending tasks, by due time.
    pub due: DueFilter,
}

/// A pending task with the lead it is about, as a "my tasks" list shows it.
#[derive(Debug, Clone)]
pub struct TaskOnLead {
    /// The task.
    pub task: Task,
    /// Its lead, which the asker may see.
    pub lead: Lead,
}

/// One change to a task, as [`App::change_task`] makes it.
enum TaskOp<'a> {
    /// Add this task.
    Add(&'a NewTask),
    /// Mark this task done.
    Complete(TaskId),
    /// Give this task to this user.
    Reassign(TaskId, UserId),
    /// Delete this task.
    Delete(TaskId),
}

impl TaskOp<'_> {
    /// What the member does, as a refusal names it.
    const fn what(&self) -> &'static str {
        match self {
            Self::Add(_) => "add tasks to this lead",
            Self::Complete(_) => "complete tasks on this lead",
            Self::Reassign(..) => "reassign tasks on this lead",
            Self::Delete(_) => "delete tasks on this lead",
        }
    }
}

impl App {
    /// Adds a pending task to a lead the member may work; it is theirs unless `input` names
    /// another active user of the organization (admins and ISAs, within their scope).
    #[tracing::instrument(name = "add_task", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn add_task(
        &self,
        m: &Member,
        lead_id: LeadId,
        input: TaskInput,
    ) -> Result<Task, AppError> {
        let new = NewTask::parse(input, m.user.id)?;
        self.reaches(m, lead_id, new.assignee).await?;
        self.change_task(m, lead_id, TaskOp::Add(&new)).await
    }

    /// The tasks of a lead the member may see: pending ones first, soonest due first.
    #[tracing::instrument(name = "lead_tasks", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn lead_tasks(&self, m: &Member, lead_id: LeadId) -> Result<Vec<Task>, AppError> {
        let mut tx = self.store().read().await?;
        tx.lead(m.viewer.org, lead_id, &m.viewer.lead_visibility())
            .await
            .map_err(AppError::from_store("lead"))?;
        let tasks = tx.lead_tasks(m.viewer.org, lead_id).await?;
        tx.commit().await?;
        Ok(tasks)
    }

    /// Marks a task done (a task already done is answered as it is).
    #[tracing::instrument(name = "complete_task", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn complete_task(&self, m: &Member, id: TaskId) -> Result<Task, AppError> {
        let lead_id = self.task_lead(m, id).await?;
        self.change_task(m, lead_id, TaskOp::Complete(id)).await
    }

    /// Gives a task to another active user of the organization (to someone else than
    /// oneself: admins and ISAs, within their scope).
    #[tracing::instrument(name = "reassign_task", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn reassign_task(
        &self,
        m: &Member,
        id: TaskId,
        to: UserId,
    ) -> Result<Task, AppError> {
        let lead_id = self.task_lead(m, id).await?;
        self.reaches(m, lead_id, to).await?;
        self.change_task(m, lead_id, TaskOp::Reassign(id, to)).await
    }

    /// Deletes a task; its lead's timeline keeps what it was.
    #[tracing::instrument(name = "delete_task", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn delete_task(&self, m: &Member, id: TaskId) -> Result<(), AppError> {
        let lead_id = self.task_lead(m, id).await?;
        self.change_task(m, lead_id, TaskOp::Delete(id))
            .await
            .map(|_| ())
    }

    /// A user's pending tasks on leads they may see, soonest due first (at most
    /// [`MAX_TASKS`]), each with its lead; "today" is the day in the organization's default
    /// calendar's time zone (UTC without one).
    #[tracing::instrument(name = "tasks", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn tasks(&self, m: &Member, q: TaskQuery) -> Result<Vec<TaskOnLead>, AppError> {
        let mut tx = self.store().read().await?;
        let other = match q.assignee {
            Some(u) if u != m.user.id => Some(may_give_task(&mut tx, m, u, "assignee").await?),
            _ => None,
        };
        let calendar = tx
            .default_calendar(m.viewer.org)
            .await?
            .map(|c| c.to_calendar())
            .transpose()?;
        tx.commit().await?;
        let window = q
            .due
            .window(calendar.as_ref(), self.now())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        // The assignee's own view of leads: a task on a lead they may no longer see is not
        // theirs to do.
        let (assignee, visibility) = match other {
            None => (m.user.id, m.viewer.lead_visibility()),
            Some(u) => (u.id, self.member(u).await?.viewer.lead_visibility()),
        };
        let mut tx = self.store().read().await?;
        let tasks = tx
            .pending_tasks_of(m.viewer.org, assignee, &visibility, window, MAX_TASKS)
            .await?;
        let ids: Vec<LeadId> = tasks.iter().map(|t| t.lead).collect();
        let leads: HashMap<LeadId, Lead> = tx
            .leads_by_ids(m.viewer.org, &ids, false)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        tx.commit().await?;
        // The list and its leads are read in one transaction, so every task has its lead.
        Ok(tasks
            .into_iter()
            .filter_map(|task| {
                let lead = leads.get(&task.lead)?.clone();
                Some(TaskOnLead { task, lead })
            })
            .collect())
    }

    /// Refuses a task for someone `m` may not give tasks to, or on a lead its assignee
    /// cannot see: it would never be on their list.
    async fn reaches(&self, m: &Member, lead_id: LeadId, to: UserId) -> Result<(), AppError> {
        if to == m.user.id {
            return Ok(());
        }
        let mut tx = self.store().read().await?;
        let user = may_give_task(&mut tx, m, to, "assignee_id").await?;
        let lead = tx
            .lead(m.viewer.org, lead_id, &m.viewer.lead_visibility())
            .await
            .map_err(AppError::from_store("lead"))?;
        tx.commit().await?;
        let name = user.name.clone();
        if self
            .member(user)
            .await?
            .viewer
            .can_see_lead(lead.org, lead.team_id, lead.owner)
        {
            Ok(())
        } else {
            Err(AppError::invalid(
                "assignee_id",
                format!("{name} cannot see this lead, so the task would never reach them"),
            ))
        }
    }

    /// The lead of a task in the member's organization.
    async fn task_lead(&self, m: &Member, id: TaskId) -> Result<LeadId, AppError> {
        let mut tx = self.store().read().await?;
        let t = tx
            .task(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("task"))?;
        tx.commit().await?;
        Ok(t.lead)
    }

    /// Makes one change to a task of a lead the member may work (the refusal naming what
    /// they tried) and writes the lead's timeline entry with it, in one transaction; retried
    /// when the lead moves under it.
    async fn change_task(
        &self,
        m: &Member,
        lead_id: LeadId,
        op: TaskOp<'_>,
    ) -> Result<Task, AppError> {
        for _ in 0..3 {
            let mut tx = self.store().write().await?;
            let lead = lead_to_work(&mut tx, m, lead_id, op.what()).await?;
            let (t, happened) =
                apply(&mut tx, m, &lead, &op, self.now())
                    .await
                    .map_err(|e| match e {
                        AppError::NotFound { .. } => AppError::NotFound { what: "task" },
                        e => e,
                    })?;
            let Some(happened) = happened else {
                return Ok(t);
            };
            let entry = task::record(
                &lead,
                &t,
                happened,
                Actor::User { user_id: m.user.id },
                self.now(),
            );
            // What the domain needs to decide whether the change re-arms a status expiry
            // that the lead's tasks held off.
            let org = m.viewer.org;
            let rule = tx.status_expiry(org, lead.status.id).await?;
            let (pending_tasks, expiry_armed) = match &rule {
                Some(r) if r.hold.is_some() => (
                    tx.pending_tasks(org, &[lead.id])
                        .await?
                        .remove(&lead.id)
                        .unwrap_or_default(),
                    tx.has_timer(lead.id, TimerKind::StatusExpiry).await?,
                ),
                _ => (PendingTasks::default(), true),
            };
            let step = Step {
                facts: TimerFacts {
                    status_rule: rule.as_ref(),
                    pending_tasks,
                    expiry_armed,
                    ..TimerFacts::default()
                },
                ..Step::plain(&lead, &entry)
            };
            if let Some(set) = self
                .write_steps(&mut tx, org, &[step], entry.entry.at)
                .await?
            {
                tx.commit().await?;
                self.timers_changed(set);
                return Ok(t);
            }
        }
        Err(AppError::edit_conflict())
    }
}

/// Writes `op` to the task rows: the task as it now is (as it was, for a deletion) and what
/// happened to it (`None`: nothing, so no entry).
async fn apply(
    tx: &mut Tx,
    m: &Member,
    lead: &Lead,
    op: &TaskOp<'_>,
    now: leadpool_domain::Timestamp,
) -> Result<(Task, Option<TaskChange>), AppError> {
    let org = m.viewer.org;
    match *op {
        TaskOp::Add(new) => {
            may_give_task(tx, m, new.assignee, "assignee_id").await?;
            let t = tx.insert_task(org, lead.id, new, m.user.id, now).await?;
            Ok((t, Some(TaskChange::Added)))
        }
        TaskOp::Complete(id) => {
            let t = tx.task(org, id).await?;
            match t.complete(now) {
                None => Ok((t, None)),
                Some(done) => {
                    tx.update_task(&done).await?;
                    Ok((done, Some(TaskChange::Completed)))
                }
            }
        }
        TaskOp::Reassign(id, to) => {
            let t = tx.task(org, id).await?;
            match t.reassign(to) {
                None => Ok((t, None)),
                Some(moved) => {
                    may_give_task(tx, m, to, "assignee_id").await?;
                    tx.update_task(&moved).await?;
                    let from = t.assignee;
                    Ok((moved, Some(TaskChange::Reassigned { from })))
                }
            }
        }
        TaskOp::Delete(id) => {
            let t = tx.task(org, id).await?;
            tx.delete_task(org, id).await?;
            Ok((t, Some(TaskChange::Deleted)))
        }
    }
}

/// Whether `m` may give a task to `user` (or list theirs): an active user of the
/// organization, and someone else only as [`Permission::UserTasks`] allows. `field` is
/// where the request named the user, for the refusal.
async fn may_give_task(
    tx: &mut Tx,
    m: &Member,
    user: UserId,
    field: &'static str,
) -> Result<User, AppError> {
    let u = tx
        .user(m.viewer.org, user)
        .await
        .map_err(AppError::absent(field, "user"))?;
    if !u.active {
        return Err(AppError::invalid(
            field,
            format!("{} is not active", u.name),
        ));
    }
    m.require(Permission::UserTasks {
        what: "give tasks to or list the tasks of other users",
        own: user == m.user.id,
        team: u.teams.first().copied(),
    })?;
    Ok(u)
}
