//! `/v1/complaints/{id}/tasks`, `/v1/tasks` and `/v1/escalations`: work handed to other
//! departments, and what went wrong with it.

use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};

use super::AppState;
use super::access::Authorized;
use super::body;
use super::error::{ApiError, ErrorBody};
use crate::error::ServiceError;
use crate::service::{
    EscalationFilter, EscalationView, NewTask, TaskAnswer, TaskCancel, TaskFilter, TaskPage,
    TaskView,
};

/// Ids in paths: anything but a positive number names nothing.
fn id_of(raw: &str, what: &'static str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ServiceError::Missing { what }.into())
}

/// Ask a department something about a complaint. A complaint in progress then waits on the
/// department until every task is answered or cancelled.
#[utoipa::path(
    post, path = "/v1/complaints/{id}/tasks", tag = "tasks", request_body = NewTask,
    params(("id" = String, Path, description = "Internal id or reference")),
    responses(
        (status = 201, body = TaskView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)
    )
)]
pub async fn create(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    id: Path<String>,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewTask = body::json(&req, &raw)?;
    let task = state
        .complaints
        .create_task(&id, input, &auth.caller)
        .await?
        // What the caller has just written is not a read to audit.
        .as_seen_by(&auth.caller);
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/tasks/{}", task.id)))
        .json(task))
}

/// A complaint's tasks, oldest first.
#[utoipa::path(
    get, path = "/v1/complaints/{id}/tasks", tag = "tasks",
    params(("id" = String, Path, description = "Internal id or reference")),
    responses((status = 200, body = Vec<TaskView>), (status = 404, body = ErrorBody))
)]
pub async fn of_complaint(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tasks = state.complaints.tasks_of(&id, &auth.caller).await?;
    Ok(HttpResponse::Ok().json(state.complaints.present_tasks(tasks, &auth.caller).await?))
}

/// Tasks by department, state and region, oldest first.
#[utoipa::path(
    get, path = "/v1/tasks", tag = "tasks", params(TaskFilter),
    responses((status = 200, body = TaskPage), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let filter: TaskFilter = body::query(&req)?;
    let mut page = state
        .complaints
        .list_tasks(&filter, &auth.caller.scope)
        .await?;
    page.items = state
        .complaints
        .present_tasks(page.items, &auth.caller)
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One task.
#[utoipa::path(
    get, path = "/v1/tasks/{task_id}", tag = "tasks",
    params(("task_id" = i64, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = ErrorBody))
)]
pub async fn read(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id, "task")?;
    let task = state.complaints.task_for(id, &auth.caller.scope).await?;
    Ok(HttpResponse::Ok().json(state.complaints.present_task(task, &auth.caller).await?))
}

/// Take a task on.
#[utoipa::path(
    post, path = "/v1/tasks/{task_id}/claim", tag = "tasks",
    params(("task_id" = i64, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn claim(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id, "task")?;
    let task = state.complaints.claim_task(id, &auth.caller).await?;
    Ok(HttpResponse::Ok().json(state.complaints.present_task(task, &auth.caller).await?))
}

/// Answer a task (departments without a bus worker answer here).
#[utoipa::path(
    post, path = "/v1/tasks/{task_id}/answer", tag = "tasks", request_body = TaskAnswer,
    params(("task_id" = i64, Path)),
    responses(
        (status = 200, body = TaskView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)
    )
)]
pub async fn answer(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    id: Path<String>,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id, "task")?;
    let input: TaskAnswer = body::json(&req, &raw)?;
    let task = state
        .complaints
        .answer_task(id, input, &auth.caller)
        .await?;
    Ok(HttpResponse::Ok().json(state.complaints.present_task(task, &auth.caller).await?))
}

/// Withdraw a task nobody needs any more. The body (`{"reason": ...}`) may be left out.
#[utoipa::path(
    post, path = "/v1/tasks/{task_id}/cancel", tag = "tasks", request_body = Option<TaskCancel>,
    params(("task_id" = i64, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn cancel(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    id: Path<String>,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id, "task")?;
    let input: TaskCancel = if raw.iter().all(u8::is_ascii_whitespace) {
        TaskCancel::default()
    } else {
        body::json(&req, &raw)?
    };
    let task = state
        .complaints
        .cancel_task(id, input, &auth.caller)
        .await?;
    Ok(HttpResponse::Ok().json(state.complaints.present_task(task, &auth.caller).await?))
}

/// Escalated tasks: overdue ones in supervisors' queues, given-up ones in owners' queues.
#[utoipa::path(
    get, path = "/v1/escalations", tag = "tasks", params(EscalationFilter),
    responses((status = 200, body = Vec<EscalationView>), (status = 400, body = ErrorBody))
)]
pub async fn escalations(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let filter: EscalationFilter = body::query(&req)?;
    Ok(HttpResponse::Ok().json(
        state
            .complaints
            .escalations(&filter, &auth.caller.scope)
            .await?,
    ))
}

/// Mark an escalation seen by whoever acts on it.
#[utoipa::path(
    post, path = "/v1/escalations/{escalation_id}/acknowledge", tag = "tasks",
    params(("escalation_id" = i64, Path)),
    responses((status = 200, body = EscalationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn acknowledge(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id, "escalation")?;
    Ok(HttpResponse::Ok().json(
        state
            .complaints
            .acknowledge_escalation(id, &auth.caller)
            .await?,
    ))
}
