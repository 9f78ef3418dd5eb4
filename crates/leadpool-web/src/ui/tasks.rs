//! Tasks in the browser (seed 002): a lead's tasks on its page, where whoever may work the
//! lead adds, completes, reassigns and deletes them, and "My tasks", the signed-in person's
//! pending tasks by due time. Times are entered and shown in UTC, as every time in the UI.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::tasks::TaskQuery;
use leadpool_app::{App, AppError, Member};
use leadpool_domain::task::{DueFilter, Task, TaskInput, TaskStatus};
use leadpool_domain::{Lead, Permission, TaskId, Timestamp, UserId};
use serde::Deserialize;

use super::directory::Directory;
use super::error::UiError;
use super::flash::Said;
use super::offers::NoFields;
use super::render;
use super::routing::lead_id;
use super::session::{Posted, Signed};
use super::view::{Choice, Chrome, Row, Zone};
use super::work::answer;
use crate::AppState;

/// One task as a list shows it.
#[derive(Debug)]
pub struct TaskRow {
    /// Its id.
    pub id: i64,
    /// Its lead's id.
    pub lead_id: i64,
    /// What to do.
    pub title: String,
    /// When it is due, in words.
    pub due: String,
    /// Who does it.
    pub assignee: String,
    /// Done already.
    pub done: bool,
    /// Pending and past its due time.
    pub overdue: bool,
}

impl TaskRow {
    fn new(t: &Task, dir: &Directory, now: Timestamp) -> Self {
        Self {
            id: t.id.get(),
            lead_id: t.lead.get(),
            title: t.title.clone(),
            due: dir.zone.when(t.due_at),
            assignee: dir.user(t.assignee),
            done: t.status == TaskStatus::Done,
            overdue: t.is_overdue(now),
        }
    }
}

/// A lead's tasks and, for whoever may work the lead, the forms that change them.
#[derive(Debug)]
pub struct TaskPanel {
    /// The lead's id.
    pub lead_id: i64,
    /// Add and change tasks (whoever may work the lead).
    pub edit: bool,
    /// Pending tasks first, soonest due first; then done ones.
    pub tasks: Vec<TaskRow>,
    /// Who a task may go to, the viewer first; one choice means it is always theirs.
    pub assignees: Vec<Choice>,
    /// The due time a new task starts with: tomorrow at this hour.
    pub due_default: String,
    /// The viewer's time zone, in which the due time is typed.
    pub zone: String,
}

impl TaskPanel {
    /// The panel of `lead` for `m`; `edit` when `m` may work the lead.
    pub async fn load(
        app: &App,
        m: &Member,
        lead: &Lead,
        dir: &Directory,
        edit: bool,
    ) -> Result<Self, AppError> {
        let now = app.now();
        let tasks = app.lead_tasks(m, lead.id).await?;
        Ok(Self {
            lead_id: lead.id.get(),
            edit,
            tasks: tasks.iter().map(|t| TaskRow::new(t, dir, now)).collect(),
            assignees: assignees(m, dir),
            due_default: dir.zone.input(now.plus_millis(24 * 3_600_000)),
            zone: dir.zone.name().to_owned(),
        })
    }
}

/// The people `m` may give a task to, `m` first: others only for staff, within their scope.
fn assignees(m: &Member, dir: &Directory) -> Vec<Choice> {
    let mut out = vec![Choice::new(
        m.user.id,
        format!("{} (me)", m.user.name),
        true,
    )];
    out.extend(
        dir.active()
            .into_iter()
            .filter(|u| u.id != m.user.id)
            .filter(|u| {
                m.may(Permission::UserTasks {
                    what: "give tasks to other users",
                    own: false,
                    team: u.teams.first().copied(),
                })
            })
            .map(|u| Choice::new(u.id, &u.name, false)),
    );
    out
}

/// A `datetime-local` value read on the viewer's clocks.
fn due_at(zone: &Zone, s: &str) -> Result<Timestamp, UiError> {
    zone.read_input(s).ok_or_else(|| {
        UiError::bad_input(format!(
            "Give the due time as a date and a time ({}).",
            zone.name()
        ))
    })
}

/// A user picked in a form.
fn picked_user(s: &str) -> Result<Option<UserId>, UiError> {
    match s.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(|id| Some(UserId::new(id)))
            .map_err(|_| UiError::bad_input("Pick who does the task from the list.")),
    }
}

/// A task id from the path; a mangled one finds no task.
fn task_id(s: &str) -> TaskId {
    TaskId::new(s.parse().unwrap_or(0))
}

/// The new-task form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TaskForm {
    title: String,
    due: String,
    assignee_id: String,
}

/// `POST /leads/{id}/tasks`: adds a task to the lead.
pub async fn add(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<TaskForm>,
) -> Result<Response, UiError> {
    let id = lead_id(&id);
    let zone = Zone::of(&signed.member);
    let input = TaskInput {
        title: form.title,
        due_at: due_at(&zone, &form.due)?,
        assignee: picked_user(&form.assignee_id)?,
    };
    let said = Said::of(
        s.app
            .add_task(&signed.member, id, input)
            .await
            .map(|t| format!("Task added, due {}.", zone.when(t.due_at))),
    )?;
    answer(&s, &signed, id, said).await
}

/// `POST /leads/{id}/tasks/{task}/complete`: marks a task done.
pub async fn complete(
    State(s): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let said = Said::of(
        s.app
            .complete_task(&signed.member, task_id(&task))
            .await
            .map(|t| format!("Done: {}.", t.title)),
    )?;
    answer(&s, &signed, lead_id(&id), said).await
}

/// The reassign form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReassignForm {
    assignee_id: String,
}

/// `POST /leads/{id}/tasks/{task}/reassign`: gives a task to someone else.
pub async fn reassign(
    State(s): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    Posted { signed, form }: Posted<ReassignForm>,
) -> Result<Response, UiError> {
    let Some(to) = picked_user(&form.assignee_id)? else {
        return Err(UiError::bad_input("Pick who does the task from the list."));
    };
    let said = Said::of(
        s.app
            .reassign_task(&signed.member, task_id(&task), to)
            .await
            .map(|t| format!("Task “{}” reassigned.", t.title)),
    )?;
    answer(&s, &signed, lead_id(&id), said).await
}

/// `POST /leads/{id}/tasks/{task}/delete`: deletes a task; the timeline keeps what it was.
pub async fn delete(
    State(s): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let said = Said::of(
        s.app
            .delete_task(&signed.member, task_id(&task))
            .await
            .map(|()| "Task deleted.".to_owned()),
    )?;
    answer(&s, &signed, lead_id(&id), said).await
}

/// The "My tasks" page's filters, from the query string.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TaskFilters {
    due: String,
    assignee_id: String,
}

/// "My tasks": pending tasks by due time, for the signed-in person or (staff) someone in
/// their scope.
#[derive(Template)]
#[template(path = "tasks.html")]
pub struct TasksPage {
    chrome: Chrome,
    /// Which tasks: `overdue`, `today` or `all`.
    due: &'static str,
    /// Whose tasks may be shown; one choice hides the picker.
    people: Vec<Choice>,
    tasks: Vec<(TaskRow, String)>,
    /// The list stopped at the most one page holds.
    full: bool,
}

/// `GET /tasks`: the signed-in person's pending tasks, overdue first.
pub async fn page(
    State(s): State<AppState>,
    signed: Signed,
    Query(f): Query<TaskFilters>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let (due, filter) = match f.due.as_str() {
        "overdue" => ("overdue", DueFilter::Overdue),
        "today" => ("today", DueFilter::Today),
        _ => ("all", DueFilter::All),
    };
    let assignee = picked_user(&f.assignee_id)?;
    let tasks = s
        .app
        .tasks(
            m,
            TaskQuery {
                assignee,
                due: filter,
            },
        )
        .await?;
    let dir = Directory::load(&s.app, m).await?;
    let now = s.app.now();
    let mut people = assignees(m, &dir);
    for p in &mut people {
        p.checked = assignee.map_or(p.value == m.user.id.to_string(), |a| {
            p.value == a.to_string()
        });
    }
    let page = TasksPage {
        chrome: Chrome::signed_in("My tasks", m, &signed.csrf),
        due,
        people,
        full: tasks.len() >= leadpool_app::tasks::MAX_TASKS as usize,
        tasks: tasks
            .iter()
            .map(|t| {
                (
                    TaskRow::new(&t.task, &dir, now),
                    Row::new(&t.lead, &dir).name,
                )
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
}
