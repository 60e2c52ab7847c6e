//! The REST API (actix-web, JSON) and its OpenAPI document.

mod body;
mod complaints;
mod deadlines;
pub mod error;
mod health;
mod openapi;
mod plugins;
mod tasks;
mod tracking;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::ErrorHandlers;
use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse};
use rand::RngCore;
use tracing::Instrument;

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
        .wrap_fn(|req, srv| {
            // The route pattern, not the path: paths carry references and ids.
            let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
            let method = req.method().to_string();
            let request_id = request_id();
            let started = Instant::now();
            let span = tracing::info_span!(
                "http.request",
                otel.kind = "server",
                http.method = %method,
                http.route = %route,
            );
            // A caller's trace continues here.
            crate::telemetry::continue_trace(
                &span,
                req.headers()
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
            );
            let fut = span.in_scope(|| srv.call(req));
            async move {
                let mut res = fut.await?;
                let status = res.status().as_u16();
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                if status >= 500 {
                    tracing::warn!(%method, %route, status, elapsed_ms, %request_id, "request failed");
                } else {
                    tracing::debug!(%method, %route, status, elapsed_ms, %request_id, "request");
                }
                if let Ok(value) = request_id.parse() {
                    res.headers_mut().insert(actix_web::http::header::HeaderName::from_static("x-request-id"), value);
                }
                Ok(res)
            }
            .instrument(span)
        })
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
        .service(resource("/v1/complaints/{id}/transitions").route(web::post().to(complaints::transition)))
        .service(resource("/v1/complaints/{id}/notes").route(web::post().to(complaints::note)))
        .service(resource("/v1/complaints/{id}/events").route(web::get().to(complaints::events)))
        .service(resource("/v1/track/{reference}").route(web::get().to(tracking::track)))
        .service(resource("/v1/complaints/{id}/deadlines").route(web::get().to(deadlines::of_complaint)))
        .service(resource("/v1/complaints/{id}/clock").route(web::post().to(deadlines::record_clock)))
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
        .service(resource("/v1/escalations/{escalation_id}/acknowledge").route(web::post().to(tasks::acknowledge)))
        .service(
            resource("/v1/admin/plugins")
                .app_data(web::PayloadConfig::new(upload_limit))
                .route(web::get().to(plugins::list))
                .route(web::post().to(plugins::install)),
        )
        .service(resource("/v1/admin/metrics").route(web::get().to(plugins::metrics)))
        .service(resource("/v1/admin/plugins/{name}").route(web::delete().to(plugins::remove)))
        .service(resource("/v1/admin/plugins/{name}/enable").route(web::post().to(plugins::enable)))
        .service(resource("/v1/admin/plugins/{name}/disable").route(web::post().to(plugins::disable)))
        .default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
}

/// A resource that answers 405 to methods it has no route for.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        HttpResponse::MethodNotAllowed().finish()
    }))
}

fn request_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
