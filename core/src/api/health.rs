//! Liveness and readiness for load balancers and orchestrators.

use actix_web::HttpResponse;
use actix_web::web::Data;
use serde_json::json;

use super::AppState;
use crate::store;

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Alive")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The store answers and its schema is current.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, description = "Ready"), (status = 503, description = "Not ready")))]
pub async fn readyz(state: Data<AppState>) -> HttpResponse {
    let db = state.complaints.db();
    let reachable = store::ping(db).await.is_ok();
    let migrated = reachable && store::is_migrated(db).await.unwrap_or(false);
    let body = json!({"store_reachable": reachable, "migrations_applied": migrated});
    if migrated {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
