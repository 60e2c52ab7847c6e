//! Deadlines: a complaint's own, the clock behind them, and the team's queue of what is
//! nearly or already late.

use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};

use super::AppState;
use super::access::Authorized;
use super::body;
use super::error::{ApiError, ErrorBody};
use crate::service::{ClockRequest, DeadlineView, DueDeadline, DueFilter};

/// The complaint's deadlines, soonest first, with the rule and source of each.
#[utoipa::path(
    get, path = "/v1/complaints/{id}/deadlines", tag = "deadlines",
    params(("id" = String, Path, description = "Internal id or reference")),
    responses((status = 200, body = Vec<DeadlineView>), (status = 404, body = ErrorBody))
)]
pub async fn of_complaint(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.complaints.deadlines(&id, &auth.caller.scope).await?))
}

/// Record a pause, resumption, extension or new facts on the complaint's clock; the
/// answer is the recomputed deadlines. Moving to `waiting_on_customer` and back pauses
/// and resumes the clock by itself.
#[utoipa::path(
    post, path = "/v1/complaints/{id}/clock", tag = "deadlines", request_body = ClockRequest,
    params(("id" = String, Path, description = "Internal id or reference")),
    responses(
        (status = 200, body = Vec<DeadlineView>), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The clock is already in that state, or the complaint is finished"),
        (status = 422, body = ErrorBody)
    )
)]
pub async fn record_clock(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    id: Path<String>,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let request: ClockRequest = body::json(&req, &raw)?;
    let change = request.into_change().map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(
        state
            .complaints
            .record_clock(&id, change, &auth.caller)
            .await?,
    ))
}

/// Deadlines not yet met that fall before `before` (default: two days from now), soonest
/// first, across all complaints.
#[utoipa::path(
    get, path = "/v1/deadlines", tag = "deadlines", params(DueFilter),
    responses((status = 200, body = Vec<DueDeadline>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn due(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let filter: DueFilter = body::query(&req)?;
    Ok(HttpResponse::Ok().json(state.complaints.due(&filter, &auth.caller.scope).await?))
}
