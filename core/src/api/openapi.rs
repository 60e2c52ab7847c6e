//! The OpenAPI document, generated from the handlers and types themselves.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::{admin, audit, complaints, deadlines, health, plugins, subject, tasks, tracking};

#[derive(OpenApi)]
#[openapi(
    info(title = "Redress", description = "Complaint handling for banks, insurers and fintechs."),
    paths(
        complaints::file, complaints::list, complaints::counts, complaints::read, complaints::update,
        complaints::transition, complaints::note, complaints::events, tracking::track,
        health::healthz, health::readyz, deadlines::of_complaint, deadlines::record_clock,
        deadlines::due, plugins::list, plugins::install, plugins::enable, plugins::disable,
        plugins::remove, plugins::metrics, tasks::create, tasks::of_complaint, tasks::list,
        tasks::read, tasks::claim, tasks::answer, tasks::cancel, tasks::escalations,
        tasks::acknowledge, admin::tokens, admin::issue_token, admin::revoke_token,
        admin::policies, admin::add_policy, admin::remove_policy, audit::records, audit::verify,
        audit::export, audit::seal, audit::proof, subject::export, subject::erase_customer,
        subject::erase_complaint,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "complaints", description = "Filing and handling complaints"),
        (name = "reports", description = "Figures over complaints"),
        (name = "tracking", description = "The customer's own view"),
        (name = "health", description = "Liveness and readiness"),
        (name = "deadlines", description = "Regulatory deadlines and the clocks behind them"),
        (name = "admin", description = "Plugins, API tokens and the access policy"),
        (name = "audit", description = "The tamper-evident audit trail"),
        (name = "subjects", description = "Data-subject rights: export and erasure"),
        (name = "tasks", description = "Work handed to other departments"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer token every route but health and tracking needs.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (rdr_...) or a JWT from the identity provider",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI 3.1 document of this API.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
