//! The OpenAPI document, generated from the handlers and types themselves.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::{complaints, health, tracking};

#[derive(OpenApi)]
#[openapi(
    info(title = "Redress", description = "Complaint handling for banks, insurers and fintechs."),
    paths(
        complaints::file, complaints::list, complaints::counts, complaints::read, complaints::update,
        complaints::transition, complaints::note, complaints::events, tracking::track,
        health::healthz, health::readyz,
    ),
    tags(
        (name = "complaints", description = "Filing and handling complaints"),
        (name = "reports", description = "Figures over complaints"),
        (name = "tracking", description = "The customer's own view"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI 3.1 document of this API.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
