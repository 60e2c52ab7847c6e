//! `/v1/track/{reference}`: the customer's view, opened with the token given at filing.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::service::TrackingView;

/// Status, dates and public messages of one complaint. The token goes in the
/// `X-Tracking-Token` header, never in the URL, so it stays out of access logs.
#[utoipa::path(
    get, path = "/v1/track/{reference}", tag = "tracking",
    params(
        ("reference" = String, Path, description = "The complaint's reference"),
        ("X-Tracking-Token" = String, Header, description = "The token given at filing"),
    ),
    responses((status = 200, body = TrackingView), (status = 404, body = ErrorBody, description = "Unknown reference or wrong token: the same answer for both"))
)]
pub async fn track(
    state: Data<AppState>,
    req: HttpRequest,
    reference: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = req
        .headers()
        .get("x-tracking-token")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::not_found)?;
    let view = state.complaints.track(&reference, token).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}
