//! Tasks over HTTP: a lead's tasks, adding, completing, reassigning and deleting one, and a
//! user's pending tasks by due time ("my tasks").

use axum::extract::State;
use axum::http::StatusCode;
use leadpool_app::tasks::TaskQuery;
use leadpool_domain::task::{DueFilter, Task, TaskInput};
use leadpool_domain::{LeadId, TaskId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::leads::instant;
use crate::error::ErrorBody;
use crate::extract::{Auth, Json, Path, Query};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(lead_tasks, add_task))
        .routes(routes!(my_tasks))
        .routes(routes!(complete_task))
        .routes(routes!(reassign_task))
        .routes(routes!(delete_task))
}

/// A task on a lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    /// Its id.
    pub id: i64,
    /// The lead it is about.
    pub lead_id: i64,
    /// What to do.
    pub title: String,
    /// When it is due (RFC 3339).
    pub due_at: String,
    /// Who does it.
    pub assignee_id: i64,
    /// `pending` or `done`.
    pub status: &'static str,
    /// Pending and past its due time.
    pub overdue: bool,
    /// Who added it.
    pub created_by: i64,
    /// When it was added (RFC 3339).
    pub created_at: String,
    /// When it was done (RFC 3339); null while pending.
    pub completed_at: Option<String>,
}

impl TaskDto {
    fn at(t: Task, now: leadpool_domain::Timestamp) -> Self {
        Self {
            overdue: t.is_overdue(now),
            id: t.id.get(),
            lead_id: t.lead.get(),
            title: t.title,
            due_at: t.due_at.to_string(),
            assignee_id: t.assignee.get(),
            status: t.status.as_str(),
            created_by: t.created_by.get(),
            created_at: t.created_at.to_string(),
            completed_at: t.completed_at.map(|c| c.to_string()),
        }
    }
}

/// A list of tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskListDto {
    /// The tasks.
    pub items: Vec<TaskDto>,
}

fn list(s: &AppState, tasks: Vec<Task>) -> axum::Json<TaskListDto> {
    let now = s.app.now();
    axum::Json(TaskListDto {
        items: tasks.into_iter().map(|t| TaskDto::at(t, now)).collect(),
    })
}

/// A new task.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskBody {
    /// What to do (1 to 200 characters).
    pub title: String,
    /// When it is due (RFC 3339).
    pub due_at: String,
    /// Who does it; default: the caller. Someone else only for admins and ISAs, within
    /// their scope.
    pub assignee_id: Option<i64>,
}

/// `GET /api/v1/leads/{id}/tasks`: a lead's tasks, pending first, soonest due first.
#[utoipa::path(get, path = "/api/v1/leads/{id}/tasks", tag = "tasks", params(("id" = i64, Path, description = "lead id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TaskListDto)))]
async fn lead_tasks(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<TaskListDto>, ApiError> {
    let tasks = s.app.lead_tasks(&m, LeadId::new(id)).await?;
    Ok(list(&s, tasks))
}

/// `POST /api/v1/leads/{id}/tasks`: add a pending task to a lead the caller may work.
#[utoipa::path(post, path = "/api/v1/leads/{id}/tasks", tag = "tasks", params(("id" = i64, Path, description = "lead id")),
    request_body = TaskBody, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = TaskDto),
        (status = 409, body = ErrorBody, description = super::answers::EDIT_CONFLICT)))]
async fn add_task(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<TaskBody>,
) -> Result<(StatusCode, axum::Json<TaskDto>), ApiError> {
    let due_at = instant("due_at", Some(&b.due_at))?
        .ok_or_else(|| ApiError::bad_field("due_at", "give the due time"))?;
    let input = TaskInput {
        title: b.title,
        due_at,
        assignee: b.assignee_id.map(UserId::new),
    };
    let t = s.app.add_task(&m, LeadId::new(id), input).await?;
    Ok((StatusCode::CREATED, axum::Json(TaskDto::at(t, s.app.now()))))
}

/// Whose tasks and which.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyTasksParams {
    /// `me` (default) or a user id (admins and ISAs, within their scope).
    pub assignee: Option<String>,
    /// `overdue`, `today` (in the organization's default calendar's time zone) or `all`
    /// (default).
    pub due: Option<String>,
}

/// `GET /api/v1/tasks`: a user's pending tasks on leads they may see, soonest due first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(MyTasksParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TaskListDto)))]
async fn my_tasks(
    State(s): State<AppState>,
    Auth(m): Auth,
    Query(p): Query<MyTasksParams>,
) -> Result<axum::Json<TaskListDto>, ApiError> {
    let assignee = match p.assignee.as_deref() {
        None | Some("" | "me") => None,
        Some(x) => Some(x.parse::<i64>().map(UserId::new).map_err(|_| {
            ApiError::bad_field("assignee", format!("`{x}` is not `me` or a user id"))
        })?),
    };
    let due = match p.due.as_deref() {
        None | Some("") => DueFilter::All,
        Some(x) => DueFilter::parse(x).ok_or_else(|| {
            ApiError::bad_field("due", format!("`{x}` is not overdue, today or all"))
        })?,
    };
    let tasks = s.app.tasks(&m, TaskQuery { assignee, due }).await?;
    Ok(list(&s, tasks.into_iter().map(|t| t.task).collect()))
}

/// `POST /api/v1/tasks/{id}/complete`: mark a task done (a done task is answered as it is).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/complete", tag = "tasks", params(("id" = i64, Path, description = "task id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TaskDto),
        (status = 409, body = ErrorBody, description = super::answers::EDIT_CONFLICT)))]
async fn complete_task(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<TaskDto>, ApiError> {
    let t = s.app.complete_task(&m, TaskId::new(id)).await?;
    Ok(axum::Json(TaskDto::at(t, s.app.now())))
}

/// Who a task goes to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskReassignBody {
    /// The new assignee.
    pub assignee_id: i64,
}

/// `POST /api/v1/tasks/{id}/reassign`: give a task to another user.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/reassign", tag = "tasks", params(("id" = i64, Path, description = "task id")),
    request_body = TaskReassignBody, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TaskDto),
        (status = 409, body = ErrorBody, description = super::answers::EDIT_CONFLICT)))]
async fn reassign_task(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
    Json(b): Json<TaskReassignBody>,
) -> Result<axum::Json<TaskDto>, ApiError> {
    let t = s
        .app
        .reassign_task(&m, TaskId::new(id), UserId::new(b.assignee_id))
        .await?;
    Ok(axum::Json(TaskDto::at(t, s.app.now())))
}

/// `DELETE /api/v1/tasks/{id}`: delete a task; its lead's timeline keeps what it was.
#[utoipa::path(delete, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = i64, Path, description = "task id")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "deleted"),
        (status = 409, body = ErrorBody, description = super::answers::EDIT_CONFLICT)))]
async fn delete_task(
    State(s): State<AppState>,
    Auth(m): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_task(&m, TaskId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
