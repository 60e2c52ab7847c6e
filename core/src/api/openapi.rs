//! The OpenAPI document, generated from the handlers and types themselves.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::{complaints, deadlines, health, plugins, tasks, tracking};

#[derive(OpenApi)]
#[openapi(
    info(title = "Redress", description = "Complaint handling for banks, insurers and fintechs."),
    paths(
        complaints::file, complaints::list, complaints::counts, complaints::read, complaints::update,
        complaints::transition, complaints::note, complaints::events, tracking::track,
        health::healthz, health::readyz, deadlines::of_complaint, deadlines::record_clock,
        deadlines::due, plugins::list, plugins::install, plugins::enable, plugins::disable,
        plugins::remove, plugins::metrics, tasks::create, tasks::of_complaint, tasks::list, tasks::read,
        tasks::claim, tasks::answer, tasks::cancel, tasks::escalations, tasks::acknowledge,
    ),
    tags(
        (name = "complaints", description = "Filing and handling complaints"),
        (name = "reports", description = "Figures over complaints"),
        (name = "tracking", description = "The customer's own view"),
        (name = "health", description = "Liveness and readiness"),
        (name = "deadlines", description = "Regulatory deadlines and the clocks behind them"),
        (name = "admin", description = "Plugin administration"),
        (name = "tasks", description = "Work handed to other departments"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI 3.1 document of this API.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
