//! `/v1/audit/...`: reading, verifying, exporting and sealing the audit trail, and the
//! inclusion proof of one complaint's records.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::access::Authorized;
use super::body;
use super::error::{ApiError, ErrorBody};
use crate::audit::{self, CheckpointView, Export, Proof, RecordView, Report};
use crate::error::ServiceError;
use crate::store::entity::audit_record;

/// Which records to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordFilter {
    /// Records after this sequence number.
    pub after: Option<i64>,
    /// Only records about this object (`complaint:42`, `token:<id>`...).
    pub object: Option<String>,
    /// 1 to 1000; 100 when absent.
    pub limit: Option<u64>,
}

/// Which range to export.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Range {
    pub from: i64,
    pub to: i64,
}

fn store(e: sea_orm::DbErr) -> ApiError {
    ApiError::from(ServiceError::from(e))
}

/// Audit records in the caller's domains, oldest first. Records without a domain (policy,
/// tokens, plugins) are listed only to callers who reach every domain.
#[utoipa::path(
    get, path = "/v1/audit/records", tag = "audit", params(RecordFilter),
    responses((status = 200, body = Vec<RecordView>), (status = 403, body = ErrorBody))
)]
pub async fn records(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let filter: RecordFilter = body::query(&req)?;
    let limit = filter.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "out_of_range",
            "limit must be between 1 and 1000",
            Some("limit".into()),
        ));
    }
    let after = filter.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "out_of_range",
            "after is a record's sequence number, never negative",
            Some("after".into()),
        ));
    }
    let mut query = audit_record::Entity::find()
        .filter(audit_record::Column::Seq.gt(after))
        .order_by_asc(audit_record::Column::Seq)
        .limit(limit);
    if let Some(object) = filter.object {
        crate::service::validate::parameter_text("object", &object, 200)?;
        query = query.filter(audit_record::Column::Object.eq(object));
    }
    if !auth.caller.scope.is_all() {
        let mut any = Condition::any().add(audit_record::Column::Seq.lt(0));
        for g in auth.caller.scope.grants() {
            if g.departments.is_some() {
                continue;
            }
            let d = &g.domain;
            any = any.add(match &d.region {
                _ if d.is_everything() => audit_record::Column::Domain.is_not_null(),
                Some(region) => {
                    audit_record::Column::Domain.eq(format!("{}/{region}", d.institution))
                }
                None => audit_record::Column::Domain.like(format!("{}/%", d.institution)),
            });
        }
        query = query.filter(any);
    }
    let rows = query.all(state.complaints.db()).await.map_err(store)?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(RecordView::from).collect::<Vec<_>>()))
}

/// Walk the whole chain and every checkpoint; `problem` names the first record altered,
/// removed or reordered.
#[utoipa::path(
    get, path = "/v1/audit/verify", tag = "audit",
    responses((status = 200, body = Report), (status = 403, body = ErrorBody))
)]
pub async fn verify(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    let trusted = state.audit_key.as_ref().map(|k| k.verifying_key());
    let report = audit::verify(state.complaints.db(), trusted.as_ref())
        .await
        .map_err(store)?;
    Ok(HttpResponse::Ok().json(report))
}

/// Records `from..=to` (at most 100,000) with the checkpoints that seal them.
#[utoipa::path(
    get, path = "/v1/audit/export", tag = "audit", params(Range),
    responses((status = 200, body = Export), (status = 422, body = ErrorBody))
)]
pub async fn export(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let range: Range = body::query(&req)?;
    if range.from < 1 || range.to < range.from {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_range",
            "from must be at least 1 and not after to",
            Some("from".into()),
        ));
    }
    let export = audit::export_range(state.complaints.db(), range.from, range.to)
        .await
        .map_err(store)?;
    Ok(HttpResponse::Ok().json(export))
}

/// Seal the records not yet under a checkpoint now. 201 with the checkpoint, 204 when
/// there was nothing to seal.
#[utoipa::path(
    post, path = "/v1/audit/checkpoints", tag = "audit",
    responses((status = 201, body = CheckpointView), (status = 204), (status = 503, body = ErrorBody))
)]
pub async fn seal(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    let key = state.audit_key.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_signing_key",
            "this server has no audit signing key",
            None,
        )
    })?;
    match audit::seal(state.complaints.db(), key)
        .await
        .map_err(store)?
    {
        Some(c) => Ok(HttpResponse::Created().json(c)),
        None => Ok(HttpResponse::NoContent().finish()),
    }
}

/// The complaint's audit records with Merkle inclusion proofs to signed checkpoints,
/// checkable offline (`redress audit check-proof`). Records not sealed yet are sealed
/// first when this server holds the signing key.
#[utoipa::path(
    get, path = "/v1/complaints/{id}/audit-proof", tag = "audit",
    params(("id" = String, Path, description = "Internal id or reference")),
    responses((status = 200, body = Proof), (status = 404, body = ErrorBody))
)]
pub async fn proof(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = state
        .complaints
        .find_in_scope(&id, &auth.caller.scope)
        .await?;
    let db = state.complaints.db();
    if let Some(key) = &state.audit_key {
        audit::seal(db, key).await.map_err(store)?;
    }
    let proof = audit::prove_object(db, &format!("complaint:{}", row.id))
        .await
        .map_err(store)?;
    Ok(HttpResponse::Ok().json(proof))
}
