//! Statuses: an organization's own stages, their order and default, and their expiry rules
//! (seed 002), including moving the timers of leads already in a status when its rule
//! changes.

use leadpool_domain::timer::TimerKind;
use leadpool_domain::{EventKind, LeadId, OrgId, Permission, StatusCategory, StatusId, Timestamp};
use leadpool_store::Tx;
use leadpool_store::statuses::Status;

use crate::directory::name_field;
use crate::{App, AppError, Member};

/// The permission every change to statuses needs, worded as its refusal names it; the web
/// pages ask it too, to offer the section only to whom it would not refuse.
pub const STATUSES: Permission<'static> = Permission::OrgSetting("statuses");

/// Which way a status moves among the statuses of its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// One place earlier.
    Up,
    /// One place later.
    Down,
}

/// A status's expiry as an admin sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryInput {
    /// How long a lead may stay in the status, in seconds (1 to 10 years).
    pub after_seconds: i64,
    /// The status it then moves to.
    pub to_status: StatusId,
    /// Whether it also returns to the default pool.
    pub to_pool: bool,
    /// Wait while the lead has a pending task.
    pub hold_while_task_pending: bool,
    /// Wait until every pending task is overdue by this many seconds.
    pub task_overdue_after_seconds: Option<i64>,
    /// Count `after_seconds` in this calendar's open hours; `None`: wall-clock time.
    pub calendar_id: Option<i64>,
}

impl App {
    /// The organization's statuses, in order.
    #[tracing::instrument(name = "list_statuses", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_statuses(&self, m: &Member) -> Result<Vec<Status>, AppError> {
        let mut tx = self.store().read().await?;
        let s = tx.statuses(m.viewer.org).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Adds a status.
    #[tracing::instrument(name = "create_status", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_status(
        &self,
        m: &Member,
        name: &str,
        category: StatusCategory,
        is_default: bool,
    ) -> Result<Status, AppError> {
        m.require(STATUSES)?;
        let name = name_field("name", name)?;
        let mut tx = self.store().write().await?;
        let s = tx
            .insert_status(m.viewer.org, &name, category, is_default, self.now())
            .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Renames, recategorizes, moves or makes a status the default.
    #[tracing::instrument(name = "update_status", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_status(
        &self,
        m: &Member,
        id: StatusId,
        name: Option<&str>,
        category: Option<StatusCategory>,
        position: Option<i64>,
        is_default: Option<bool>,
    ) -> Result<Status, AppError> {
        let (mut tx, mut s) = self.status_to_change(m, id).await?;
        if let Some(n) = name {
            s.name = name_field("name", n)?;
        }
        if let Some(c) = category {
            s.category = c;
        }
        if let Some(p) = position {
            s.position = p;
        }
        if let Some(d) = is_default {
            if !d && s.is_default {
                return Err(AppError::invalid(
                    "is_default",
                    "make another status the default instead",
                ));
            }
            s.is_default = d;
        }
        let s = tx.update_status(&s).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Moves a status one place up or down among the statuses of its category, and numbers
    /// the whole list afresh, so statuses sharing a position (the API lets a client set
    /// any) no longer hide the order people see. `None` when it already is at that end of
    /// its category.
    #[tracing::instrument(name = "move_status", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn move_status(
        &self,
        m: &Member,
        id: StatusId,
        direction: Direction,
    ) -> Result<Option<Status>, AppError> {
        let (mut tx, s) = self.status_to_change(m, id).await?;
        let mut all = tx.statuses(m.viewer.org).await?;
        let Some(at) = all.iter().position(|x| x.id == id) else {
            return Err(AppError::NotFound { what: "status" });
        };
        let same = |x: &Status| x.category == s.category;
        let neighbour = match direction {
            Direction::Up => all[..at].iter().rposition(same),
            Direction::Down => all[at + 1..].iter().position(same).map(|i| at + 1 + i),
        };
        let Some(neighbour) = neighbour else {
            return Ok(None);
        };
        all.swap(at, neighbour);
        for (position, x) in (1..).zip(all.iter_mut()) {
            if x.position != position {
                x.position = position;
                tx.update_status(x).await?;
            }
        }
        tx.commit().await?;
        Ok(all.into_iter().find(|x| x.id == id))
    }

    /// Makes a status a shark tank (seed 002) or not: an agent's hold on a lead in it stays
    /// open to every agent who sees the lead's pool until the lead's first logged contact.
    #[tracing::instrument(name = "set_shark_tank", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn set_shark_tank(
        &self,
        m: &Member,
        id: StatusId,
        on: bool,
    ) -> Result<Status, AppError> {
        let (mut tx, mut s) = self.status_to_change(m, id).await?;
        s.shark_tank = on;
        let s = tx.update_status(&s).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Sets (or with `None` removes) a status's expiry, optionally held off by the lead's
    /// pending tasks and counted in a calendar's open hours. Leads already in the status
    /// follow the new rule at once: each counted from when it entered the status (a lead
    /// past its new due time expires on the scheduler's next pass).
    #[tracing::instrument(name = "set_status_expiry", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn set_status_expiry(
        &self,
        m: &Member,
        id: StatusId,
        rule: Option<ExpiryInput>,
    ) -> Result<Status, AppError> {
        m.require(STATUSES)?;
        const TEN_YEARS: i64 = 10 * 365 * 86_400;
        if let Some(r) = rule {
            if !(1..=TEN_YEARS).contains(&r.after_seconds) {
                return Err(AppError::invalid(
                    "expiry.after_seconds",
                    "must be 1 second to 10 years",
                ));
            }
            match r.task_overdue_after_seconds {
                Some(_) if r.hold_while_task_pending => {
                    return Err(AppError::invalid(
                        "expiry.task_overdue_after_seconds",
                        "choose one: wait while a task is pending, or until tasks are overdue by a time",
                    ));
                }
                Some(s) if !(0..=TEN_YEARS).contains(&s) => {
                    return Err(AppError::invalid(
                        "expiry.task_overdue_after_seconds",
                        "must be 0 seconds to 10 years",
                    ));
                }
                _ => {}
            }
            if r.to_status == id {
                return Err(AppError::invalid(
                    "expiry.to_status_id",
                    "a status cannot expire into itself",
                ));
            }
        }
        let (mut tx, mut s) = self.status_to_change(m, id).await?;
        if let Some(c) = rule.and_then(|r| r.calendar_id) {
            tx.calendar(m.viewer.org, c).await.map_err(|_| {
                AppError::invalid(
                    "expiry.calendar_id",
                    format!("no calendar {c} in this organization"),
                )
            })?;
        }
        if let Some(ExpiryInput { to_status: to, .. }) = rule {
            tx.status(m.viewer.org, to).await.map_err(|_| {
                AppError::invalid(
                    "expiry.to_status_id",
                    format!("no status {to} in this organization"),
                )
            })?;
        }
        s.expires_after_ms = rule.map(|r| r.after_seconds * 1000);
        s.expires_to_status_id = rule.map(|r| r.to_status);
        s.expires_to_pool = rule.is_some_and(|r| r.to_pool);
        s.expires_hold_while_task_pending = rule.is_some_and(|r| r.hold_while_task_pending);
        s.expires_task_overdue_after_ms = rule
            .and_then(|r| r.task_overdue_after_seconds)
            .map(|secs| secs * 1000);
        s.expires_calendar_id = rule.and_then(|r| r.calendar_id);
        let s = tx.update_status(&s).await?;
        let set = reschedule(&mut tx, m.viewer.org, id, self.now()).await?;
        tx.commit().await?;
        self.timers_changed(set);
        Ok(s)
    }

    /// A write transaction and status `id`, for a member who may change statuses.
    async fn status_to_change(&self, m: &Member, id: StatusId) -> Result<(Tx, Status), AppError> {
        m.require(STATUSES)?;
        let mut tx = self.store().write().await?;
        let s = tx
            .status(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("status"))?;
        Ok((tx, s))
    }
}

/// Moves the status-expiry timers of the leads in status `id` to what its rule now says:
/// each due as counted from when the lead entered the status (its latest status change, or
/// its creation), or removed with the rule. Returns whether a timer was set.
async fn reschedule(
    tx: &mut Tx,
    org: OrgId,
    id: StatusId,
    now: Timestamp,
) -> Result<bool, AppError> {
    let leads = tx.leads_in_status(org, id).await?;
    let Some(rule) = tx.status_expiry(org, id).await? else {
        let cancel: Vec<_> = leads
            .iter()
            .map(|(lead, _, _)| (*lead, TimerKind::StatusExpiry))
            .collect();
        tx.cancel_timers(&cancel).await?;
        return Ok(false);
    };
    let ids: Vec<LeadId> = leads.iter().map(|(lead, _, _)| *lead).collect();
    let entered = tx
        .latest_entries(org, &ids, &[EventKind::StatusChanged])
        .await?;
    let set: Vec<_> = leads
        .iter()
        .map(|(lead, version, created)| {
            let since = entered.get(lead).map_or(*created, |e| e.entry.at);
            (
                *lead,
                TimerKind::StatusExpiry,
                rule.due_from(since),
                *version,
            )
        })
        .collect();
    tx.set_timers(org, &set, now).await?;
    Ok(!set.is_empty())
}
