//! Data-subject rights: exporting everything held on a customer, and erasing a customer or
//! one complaint's personal data once the rules allow.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};

use super::AppState;
use super::access::Authorized;
use super::error::{ApiError, ErrorBody};
use crate::error::ServiceError;
use crate::service::{Erasure, SubjectExport};

fn customer_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::from(ServiceError::Missing { what: "customer" }))
}

/// Everything held on a customer, decrypted: their details, complaints, histories and
/// deadlines. The export is recorded in the audit trail.
#[utoipa::path(
    get, path = "/v1/customers/{id}/export", tag = "subjects",
    params(("id" = i64, Path, description = "The customer's id")),
    responses((status = 200, body = SubjectExport), (status = 404, body = ErrorBody))
)]
pub async fn export(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let export = state
        .complaints
        .export_customer(customer_id(&id)?, &auth.caller)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(export))
}

/// Erase a customer: their data keys are destroyed and personal fields emptied; the
/// complaints' facts stay. Refused (409) while a complaint is open or within its
/// retention period.
#[utoipa::path(
    post, path = "/v1/customers/{id}/erase", tag = "subjects",
    params(("id" = i64, Path, description = "The customer's id")),
    responses((status = 200, body = Erasure), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn erase_customer(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let done = state
        .complaints
        .erase_customer(customer_id(&id)?, &auth.caller)
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Erase one complaint's own personal data (narrative, notes, messages), as for an
/// imported complaint, which has no customer record.
#[utoipa::path(
    post, path = "/v1/complaints/{id}/erase", tag = "subjects",
    params(("id" = String, Path, description = "Internal id or reference")),
    responses((status = 200, body = Erasure), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn erase_complaint(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.complaints.erase_complaint(&id, &auth.caller).await?))
}
