//! `/v1/admin/tokens` and `/v1/admin/policies`: the same management as `redress admin
//! token` and `redress admin policy`, for a running server. Every change is audited.

use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::AppState;
use super::access::Authorized;
use super::body;
use super::error::{ApiError, ErrorBody};
use crate::auth::{IssuedToken, PolicyLine, TokenView};

/// A token to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Whom the token speaks for; grant it roles with `g` policy lines.
    pub subject: String,
    /// What the token is for.
    #[serde(default)]
    pub label: String,
    /// When it stops working; never when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Every token, newest first; secrets are never shown.
#[utoipa::path(
    get, path = "/v1/admin/tokens", tag = "admin",
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn tokens(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.auth.tokens.list().await?))
}

/// Issue a token. The answer holds the token itself, shown this once.
#[utoipa::path(
    post, path = "/v1/admin/tokens", tag = "admin", request_body = NewToken,
    responses((status = 201, body = IssuedToken), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn issue_token(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let new: NewToken = body::json(&req, &raw)?;
    let issued = state
        .auth
        .tokens
        .issue(
            &new.subject,
            &new.label,
            new.expires_at,
            &auth.caller.actor.0,
        )
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(issued))
}

/// Revoke a token. This server refuses it at once; other replicas within
/// `auth.token_cache_secs`.
#[utoipa::path(
    delete, path = "/v1/admin/tokens/{id}", tag = "admin",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody))
)]
pub async fn revoke_token(
    state: Data<AppState>,
    auth: Authorized,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    if state.auth.tokens.revoke(&id, &auth.caller.actor.0).await? {
        announce(&state, crate::workers::control::TOKENS_REVOKED).await;
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "not_found",
            "no active token has that id",
            None,
        ))
    }
}

/// Every policy line: role permissions (`p`), role grants (`g`), departments (`g2`).
#[utoipa::path(
    get, path = "/v1/admin/policies", tag = "admin",
    responses((status = 200, body = Vec<PolicyLine>), (status = 403, body = ErrorBody))
)]
pub async fn policies(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.auth.policy.lines().await?))
}

/// Add a policy line; it takes effect on this node at once, on others within
/// `auth.policy_reload_ms`. 201 when added, 200 when it was there already.
#[utoipa::path(
    post, path = "/v1/admin/policies", tag = "admin", request_body = PolicyLine,
    responses((status = 201, body = PolicyLine), (status = 200, body = PolicyLine), (status = 422, body = ErrorBody))
)]
pub async fn add_policy(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let line: PolicyLine = body::json(&req, &raw)?;
    let added = state.auth.policy.add(&line, &auth.caller.actor.0).await?;
    if added {
        announce(&state, crate::workers::control::POLICY_CHANGED).await;
    }
    Ok(if added {
        HttpResponse::Created().json(line)
    } else {
        HttpResponse::Ok().json(line)
    })
}

/// Remove a policy line (the line in the body).
#[utoipa::path(
    delete, path = "/v1/admin/policies", tag = "admin", request_body = PolicyLine,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn remove_policy(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let line: PolicyLine = body::json(&req, &raw)?;
    if state
        .auth
        .policy
        .remove(&line, &auth.caller.actor.0)
        .await?
    {
        announce(&state, crate::workers::control::POLICY_CHANGED).await;
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "not_found",
            "no such policy line",
            None,
        ))
    }
}

/// Tells the other replicas; without the bus they catch up on their own schedule
/// (`auth.policy_reload_ms`, `auth.token_cache_secs`).
async fn announce(state: &AppState, notice: &'static str) {
    if let Err(e) = state.control.announce(notice).await {
        tracing::warn!(error = %e, notice, "could not announce the change to other replicas");
    }
}
