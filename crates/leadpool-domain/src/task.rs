//! Tasks: to-dos on a lead with a due time and an assignee (seed 002). A task lives in its
//! own row; every change to it is also a line on its lead's timeline, made here, so the
//! lead's history alone says what was planned and done.

use serde::Serialize;
use serde_json::json;

use crate::ids::{LeadId, OrgId, TaskId, UserId};
use crate::lead::{Lead, Transition};
use crate::time::Timestamp;
use crate::timeline::{Actor, EventKind};
use crate::validate::{Errors, Invalid, Lines, text};

const MAX_TITLE: usize = 200;

/// Whether a task is still to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Still to do.
    Pending,
    /// Done.
    Done,
}

impl TaskStatus {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Done => "done",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Done]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A task as a client asks for it, before checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInput {
    /// What to do (1 to 200 characters).
    pub title: String,
    /// When it is due.
    pub due_at: Timestamp,
    /// Who does it; `None`: whoever adds it.
    pub assignee: Option<UserId>,
}

/// A checked new task, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// What to do.
    pub title: String,
    /// When it is due.
    pub due_at: Timestamp,
    /// Who does it.
    pub assignee: UserId,
}

impl NewTask {
    /// Checks a task `adder` asks for; it is theirs unless it names another assignee.
    pub fn parse(input: TaskInput, adder: UserId) -> Result<Self, Invalid> {
        let mut errors = Errors::default();
        let title = errors.take("title", text(&input.title, MAX_TITLE, Lines::One));
        errors.finish(|| Self {
            title: title.unwrap_or_default(),
            due_at: input.due_at,
            assignee: input.assignee.unwrap_or(adder),
        })
    }
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Its id.
    pub id: TaskId,
    /// Its organization.
    pub org: OrgId,
    /// The lead it is about.
    pub lead: LeadId,
    /// What to do.
    pub title: String,
    /// When it is due.
    pub due_at: Timestamp,
    /// Who does it.
    pub assignee: UserId,
    /// Pending or done.
    pub status: TaskStatus,
    /// Who added it.
    pub created_by: UserId,
    /// When it was added.
    pub created_at: Timestamp,
    /// When it was done.
    pub completed_at: Option<Timestamp>,
}

impl Task {
    /// Whether it is pending and past its due time at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status == TaskStatus::Pending && self.due_at < now
    }

    /// The task done at `now`; `None` when it already is (nothing to write, no entry).
    pub fn complete(&self, now: Timestamp) -> Option<Self> {
        (self.status == TaskStatus::Pending).then(|| Self {
            status: TaskStatus::Done,
            completed_at: Some(now),
            ..self.clone()
        })
    }

    /// The task handed to `to`; `None` when they already have it.
    pub fn reassign(&self, to: UserId) -> Option<Self> {
        (self.assignee != to).then(|| Self {
            assignee: to,
            ..self.clone()
        })
    }
}

/// What happened to a task, as its lead's timeline tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskChange {
    /// It was added.
    Added,
    /// It was done.
    Completed,
    /// It went from this assignee to the task's present one.
    Reassigned {
        /// The assignee before.
        from: UserId,
    },
    /// It was deleted.
    Deleted,
}

/// The lead's timeline entry for a change to one of its tasks (the lead itself is unchanged
/// but for its version); the reason is the task's title, the changes name the task.
pub fn record(
    lead: &Lead,
    task: &Task,
    change: TaskChange,
    actor: Actor,
    now: Timestamp,
) -> Transition {
    let mut facts = json!({ "task": {
        "id": task.id,
        "title": task.title,
        "due_at": task.due_at,
        "assignee_id": task.assignee,
    }});
    let kind = match change {
        TaskChange::Added => EventKind::TaskAdded,
        TaskChange::Completed => EventKind::TaskCompleted,
        TaskChange::Reassigned { from } => {
            facts["assignee_id"] = json!({ "from": from, "to": task.assignee });
            EventKind::TaskReassigned
        }
        TaskChange::Deleted => EventKind::TaskDeleted,
    };
    lead.hand_over(
        lead.owner,
        lead.team_id,
        kind,
        actor,
        Some(task.title.clone()),
        facts,
        now,
    )
}

/// Which of someone's pending tasks a list shows, by due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DueFilter {
    /// Past their due time.
    Overdue,
    /// Due today (in the organization's time zone), whether past or not.
    Today,
    /// Every pending task.
    #[default]
    All,
}

impl DueFilter {
    /// Parses a wire name: `overdue`, `today` or `all`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "overdue" => Some(Self::Overdue),
            "today" => Some(Self::Today),
            "all" => Some(Self::All),
            _ => None,
        }
    }

    /// The due times the filter keeps, `[from, until)`, at `now`; the calendar's time zone
    /// (UTC without one) says where a day starts and ends.
    pub fn window(
        self,
        calendar: Option<&crate::calendar::Calendar>,
        now: Timestamp,
    ) -> Result<(Option<Timestamp>, Option<Timestamp>), crate::calendar::CalendarError> {
        use crate::calendar::{CalendarError, from_jiff, to_jiff};
        let zone = calendar.map_or(jiff::tz::TimeZone::UTC, |c| c.time_zone().clone());
        Ok(match self {
            Self::All => (None, None),
            Self::Overdue => (None, Some(now)),
            Self::Today => {
                let day = zone.to_datetime(to_jiff(now)?).date();
                // A midnight that a clock change skips starts the day when the clocks
                // jump over it.
                let midnight = |d: jiff::civil::Date| {
                    zone.to_ambiguous_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                        .compatible()
                        .map_err(|_| CalendarError::OutOfRange)
                };
                let start = midnight(day)?;
                let end = midnight(day.tomorrow().map_err(|_| CalendarError::OutOfRange)?)?;
                (Some(from_jiff(start)), Some(from_jiff(end)))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(due: i64) -> Task {
        Task {
            id: TaskId::new(1),
            org: OrgId::new(1),
            lead: LeadId::new(1),
            title: "Call back".into(),
            due_at: Timestamp::from_millis(due),
            assignee: UserId::new(7),
            status: TaskStatus::Pending,
            created_by: UserId::new(7),
            created_at: Timestamp::from_millis(0),
            completed_at: None,
        }
    }

    #[test]
    fn a_task_is_checked_and_defaults_to_its_adder() {
        let input = |title: &str| TaskInput {
            title: title.into(),
            due_at: Timestamp::from_millis(5),
            assignee: None,
        };
        let t = NewTask::parse(input("  Send photos "), UserId::new(3));
        assert_eq!(
            t.map(|t| (t.title, t.assignee)),
            Ok(("Send photos".to_owned(), UserId::new(3)))
        );
        for bad in ["", "tab\tbed", &"x".repeat(201)] {
            let e = NewTask::parse(input(bad), UserId::new(3)).err();
            assert_eq!(
                e.map(|e| e.0[0].field.clone()).as_deref(),
                Some("title"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn completing_and_reassigning_change_only_what_they_say_once() {
        let t = task(10);
        assert!(t.is_overdue(Timestamp::from_millis(11)));
        assert!(!t.is_overdue(Timestamp::from_millis(10)));
        let done = t.complete(Timestamp::from_millis(20));
        assert_eq!(
            done.as_ref().map(|d| (d.status, d.completed_at)),
            Some((TaskStatus::Done, Some(Timestamp::from_millis(20))))
        );
        assert!(
            done.as_ref()
                .is_some_and(|d| !d.is_overdue(Timestamp::from_millis(99)))
        );
        assert_eq!(
            done.and_then(|d| d.complete(Timestamp::from_millis(30))),
            None
        );
        assert_eq!(t.reassign(UserId::new(7)), None);
        assert_eq!(
            t.reassign(UserId::new(8)).map(|r| r.assignee),
            Some(UserId::new(8))
        );
    }

    #[test]
    fn today_runs_from_local_midnight_to_the_next() {
        let cal = crate::calendar::Calendar::new(
            "office",
            "America/New_York",
            "mon-fri 09:00-17:00",
            Vec::new(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let zone = Some(&cal);
        // 2026-03-08 is a 23-hour day in New York (clocks go forward).
        let now = Timestamp::parse_rfc3339("2026-03-08T15:00:00Z").unwrap_or_else(|| panic!());
        let (from, until) = DueFilter::Today
            .window(zone, now)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            from.map(|t| t.to_string()).as_deref(),
            Some("2026-03-08T05:00:00Z")
        );
        assert_eq!(
            until.map(|t| t.to_string()).as_deref(),
            Some("2026-03-09T04:00:00Z")
        );
        assert_eq!(
            DueFilter::Overdue.window(None, now).ok(),
            Some((None, Some(now)))
        );
        assert_eq!(DueFilter::parse("soon"), None);
    }
}
