//! `/v1/complaints`: filing, reading, listing, counting, moving, noting.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};

use super::AppState;
use super::access::Authorized;
use super::body;
use super::error::{ApiError, ErrorBody};
use crate::service::{
    ComplaintUpdate, ComplaintView, CountBy, CountRow, EventView, EventsQuery, ListFilter,
    NewComplaint, NewNote, Page, TransitionRequest,
};

/// The answer to a filing: the complaint and, once, the customer's tracking token.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FiledBody {
    pub complaint: ComplaintView,
    /// Give this to the customer: with the reference it opens `/v1/track/{reference}`.
    pub tracking_token: Option<String>,
}

/// File a complaint.
///
/// Send an `Idempotency-Key` header to make retries safe: the same key with the same body
/// answers with the first complaint (status 200, header `Idempotent-Replayed: true`).
#[utoipa::path(
    post, path = "/v1/complaints", tag = "complaints",
    request_body = NewComplaint,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, body = FiledBody, description = "Filed"),
        (status = 200, body = FiledBody, description = "A retry of an earlier filing"),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn file(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewComplaint = body::json(&req, &raw)?;
    let key = match req.headers().get("idempotency-key") {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::bad_request(
                "invalid_header",
                "Idempotency-Key must be visible ASCII",
                Some("Idempotency-Key".into()),
            )
        })?),
    };
    let filed = state
        .complaints
        .file(input, key.map(|k| (k, raw.as_ref())), &auth.caller)
        .await?;
    let status = if filed.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut res = HttpResponse::build(status);
    res.insert_header(("Location", format!("/v1/complaints/{}", filed.complaint.id)));
    if filed.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(FiledBody {
        complaint: filed.complaint,
        tracking_token: filed.tracking_token,
    }))
}

/// List complaints, newest received first, a page at a time.
#[utoipa::path(
    get, path = "/v1/complaints", tag = "complaints", params(ListFilter),
    responses((status = 200, body = Page), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let filter: ListFilter = body::query(&req)?;
    Ok(HttpResponse::Ok().json(state.complaints.list(&filter, &auth.caller).await?))
}

/// Count complaints per product, issue, status, channel, company or region, with the same
/// filters as the list.
#[utoipa::path(
    get, path = "/v1/reports/counts", tag = "reports",
    params(("by" = CountBy, Query, description = "The column to count by"), ListFilter),
    responses((status = 200, body = Vec<CountRow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn counts(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let known: Vec<&str> = std::iter::once("by")
        .chain(body::fields_of::<ListFilter>().iter().copied())
        .collect();
    let (by, rest): (Vec<_>, Vec<_>) = body::query_pairs(req.query_string(), &known)?
        .into_iter()
        .partition(|(name, _)| name == "by");
    let by = match by.as_slice() {
        [] => {
            return Err(unprocessable("required", "by is required", "by"));
        }
        [(_, value)] => value.parse::<CountBy>().map_err(|_| {
            unprocessable(
                "invalid_value",
                &format!(
                    "by must be one of {}",
                    <CountBy as strum::VariantNames>::VARIANTS.join(", ")
                ),
                "by",
            )
        })?,
        _ => return Err(unprocessable("duplicate_field", "by is given twice", "by")),
    };
    let filter: ListFilter = body::from_pairs(&rest)?;
    for (given, name) in [
        (filter.cursor.is_some(), "cursor"),
        (filter.limit.is_some(), "limit"),
    ] {
        if given {
            return Err(unprocessable(
                "not_applicable",
                &format!("counts take no {name}: they cover every match at once"),
                name,
            ));
        }
    }
    Ok(HttpResponse::Ok().json(state.complaints.count(by, &filter, &auth.caller).await?))
}

fn unprocessable(code: &str, message: &str, field: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        code,
        message,
        Some(field.to_owned()),
    )
}

/// One complaint, by internal id or public reference.
#[utoipa::path(
    get, path = "/v1/complaints/{id}", tag = "complaints",
    params(("id" = String, Path, description = "Internal id or reference (RDR-2026-000123)")),
    responses((status = 200, body = ComplaintView), (status = 404, body = ErrorBody))
)]
pub async fn read(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.complaints.view(&id, &auth.caller).await?))
}

/// Assign, route to a department or re-prioritise.
#[utoipa::path(
    patch, path = "/v1/complaints/{id}", tag = "complaints", request_body = ComplaintUpdate,
    params(("id" = String, Path, description = "Internal id or reference")),
    responses((status = 200, body = ComplaintView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn update(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    id: Path<String>,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let change: ComplaintUpdate = body::json(&req, &raw)?;
    Ok(HttpResponse::Ok().json(state.complaints.update(&id, change, &auth.caller).await?))
}

/// Move a complaint through its lifecycle. A move the lifecycle does not allow answers 409
/// with the allowed states in `error.allowed`.
#[utoipa::path(
    post, path = "/v1/complaints/{id}/transitions", tag = "complaints", request_body = TransitionRequest,
    params(("id" = String, Path, description = "Internal id or reference")),
    responses((status = 200, body = ComplaintView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn transition(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    id: Path<String>,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let request: TransitionRequest = body::json(&req, &raw)?;
    Ok(HttpResponse::Ok().json(
        state
            .complaints
            .transition(&id, request, &auth.caller)
            .await?,
    ))
}

/// Add a note; a public note is shown to the customer.
#[utoipa::path(
    post, path = "/v1/complaints/{id}/notes", tag = "complaints", request_body = NewNote,
    params(("id" = String, Path, description = "Internal id or reference")),
    responses((status = 201, body = EventView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn note(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    id: Path<String>,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let note: NewNote = body::json(&req, &raw)?;
    Ok(HttpResponse::Created().json(state.complaints.add_note(&id, note, &auth.caller).await?))
}

/// The complaint's history, oldest first, a page at a time. When more follows, the `Link`
/// header names the next page (`rel="next"`, with `after` set to the last event's id).
#[utoipa::path(
    get, path = "/v1/complaints/{id}/events", tag = "complaints",
    params(("id" = String, Path, description = "Internal id or reference"), EventsQuery),
    responses(
        (status = 200, body = Vec<EventView>, headers(
            ("Link" = String, description = "`<...?after=ID&limit=N>; rel=\"next\"` when more events follow; absent on the last page")
        )),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)
    )
)]
pub async fn events(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let query: EventsQuery = body::query(&req)?;
    let page = state.complaints.events(&id, &query, &auth.caller).await?;
    let mut res = HttpResponse::Ok();
    if let Some(after) = page.next_after {
        res.insert_header((
            actix_web::http::header::LINK,
            format!(
                "<{}?after={after}&limit={}>; rel=\"next\"",
                req.path(),
                page.limit
            ),
        ));
    }
    Ok(res.json(page.items))
}
