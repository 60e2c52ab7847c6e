//! The REST API (actix-web, JSON) and its OpenAPI document.

pub mod access;
mod admin;
mod audit;
mod body;
mod complaints;
mod deadlines;
pub mod error;
mod health;
mod openapi;
mod plugins;
mod subject;
mod tasks;
mod tracking;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{ErrorHandlers, Next, from_fn};
use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse};

use crate::auth::Auth;
use crate::service::Complaints;
use crate::workers::Control;

pub use openapi::ApiDoc;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub complaints: Complaints,
    /// Largest plugin upload accepted by the admin API, in bytes.
    pub plugin_upload_limit: usize,
    /// Notices to the other replicas (plugin installs).
    pub control: Control,
    pub auth: Auth,
    /// Signs audit checkpoints; without it checkpoints cannot be sealed.
    pub audit_key: Option<Arc<ed25519_dalek::SigningKey>>,
}

/// Builds the application: routes, body limit, error rendering and request logging.
pub fn app(
    state: AppState,
    body_limit: usize,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let upload_limit = state.plugin_upload_limit;
    App::new()
        .app_data(Data::new(state))
        .app_data(web::PayloadConfig::new(body_limit))
        .wrap(ErrorHandlers::new().default_handler(error::render_framework_error))
        .wrap(from_fn(access::guard))
        .wrap(from_fn(head_as_get))
        .service(resource("/healthz").route(web::get().to(health::healthz)))
        .service(resource("/readyz").route(web::get().to(health::readyz)))
        .service(resource("/openapi.json").route(web::get().to(openapi::document)))
        .service(
            resource("/v1/complaints")
                .route(web::post().to(complaints::file))
                .route(web::get().to(complaints::list)),
        )
        .service(resource("/v1/reports/counts").route(web::get().to(complaints::counts)))
        .service(
            resource("/v1/complaints/{id}")
                .route(web::get().to(complaints::read))
                .route(web::patch().to(complaints::update)),
        )
        .service(
            resource("/v1/complaints/{id}/transitions")
                .route(web::post().to(complaints::transition)),
        )
        .service(resource("/v1/complaints/{id}/notes").route(web::post().to(complaints::note)))
        .service(resource("/v1/complaints/{id}/events").route(web::get().to(complaints::events)))
        .service(resource("/v1/track/{reference}").route(web::get().to(tracking::track)))
        .service(
            resource("/v1/complaints/{id}/deadlines").route(web::get().to(deadlines::of_complaint)),
        )
        .service(
            resource("/v1/complaints/{id}/clock").route(web::post().to(deadlines::record_clock)),
        )
        .service(resource("/v1/deadlines").route(web::get().to(deadlines::due)))
        .service(
            resource("/v1/complaints/{id}/tasks")
                .route(web::post().to(tasks::create))
                .route(web::get().to(tasks::of_complaint)),
        )
        .service(resource("/v1/tasks").route(web::get().to(tasks::list)))
        .service(resource("/v1/tasks/{task_id}").route(web::get().to(tasks::read)))
        .service(resource("/v1/tasks/{task_id}/claim").route(web::post().to(tasks::claim)))
        .service(resource("/v1/tasks/{task_id}/answer").route(web::post().to(tasks::answer)))
        .service(resource("/v1/tasks/{task_id}/cancel").route(web::post().to(tasks::cancel)))
        .service(resource("/v1/escalations").route(web::get().to(tasks::escalations)))
        .service(
            resource("/v1/escalations/{escalation_id}/acknowledge")
                .route(web::post().to(tasks::acknowledge)),
        )
        .service(
            resource("/v1/admin/plugins")
                .app_data(web::PayloadConfig::new(upload_limit))
                .route(web::get().to(plugins::list))
                .route(web::post().to(plugins::install)),
        )
        .service(resource("/v1/admin/metrics").route(web::get().to(plugins::metrics)))
        .service(resource("/v1/admin/plugins/{name}").route(web::delete().to(plugins::remove)))
        .service(resource("/v1/admin/plugins/{name}/enable").route(web::post().to(plugins::enable)))
        .service(
            resource("/v1/admin/plugins/{name}/disable").route(web::post().to(plugins::disable)),
        )
        .service(
            resource("/v1/admin/tokens")
                .route(web::get().to(admin::tokens))
                .route(web::post().to(admin::issue_token)),
        )
        .service(resource("/v1/admin/tokens/{id}").route(web::delete().to(admin::revoke_token)))
        .service(
            resource("/v1/admin/policies")
                .route(web::get().to(admin::policies))
                .route(web::post().to(admin::add_policy))
                .route(web::delete().to(admin::remove_policy)),
        )
        .service(resource("/v1/audit/records").route(web::get().to(audit::records)))
        .service(resource("/v1/audit/verify").route(web::get().to(audit::verify)))
        .service(resource("/v1/audit/export").route(web::get().to(audit::export)))
        .service(resource("/v1/audit/checkpoints").route(web::post().to(audit::seal)))
        .service(resource("/v1/complaints/{id}/audit-proof").route(web::get().to(audit::proof)))
        .service(
            resource("/v1/complaints/{id}/erase").route(web::post().to(subject::erase_complaint)),
        )
        .service(resource("/v1/customers/{id}/export").route(web::get().to(subject::export)))
        .service(
            resource("/v1/customers/{id}/erase").route(web::post().to(subject::erase_customer)),
        )
        .default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
}

/// Answers HEAD as the GET it stands for, so every readable route also answers HEAD
/// (RFC 9110, section 9.3.2) with the same checks and audit. The connection's codec
/// remembers the method on the wire and sends no body back.
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// A resource that answers 405 to methods it has no route for.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        HttpResponse::MethodNotAllowed().finish()
    }))
}
