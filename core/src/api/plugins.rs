//! `/v1/admin/plugins`: the same operations as `redress plugin`, for a running server.
//!
//! Installing compiles the component, which takes a moment; it runs on a blocking thread
//! so requests keep flowing, and the new version serves new calls as soon as it is in.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use redress_plugin_host::{HostError, InstallOutcome, PluginHost};
use serde::Deserialize;
use utoipa::ToSchema;

use super::AppState;
use super::access::Authorized;
use super::body;
use super::error::{ApiError, ErrorBody};
use crate::plugins::{self, PluginSummary};

/// A plugin to install.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginUpload {
    /// The text of `plugin.toml`.
    pub manifest: String,
    /// The `.wasm` component, base64 (standard alphabet, padded).
    pub component: String,
    /// Grant the `personal-data` capability the manifest asks for.
    #[serde(default)]
    pub approve_personal_data: bool,
}

fn host(state: &AppState) -> Result<Arc<PluginHost>, ApiError> {
    state
        .complaints
        .compliance()
        .host()
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "plugins_unavailable",
                "this server runs without a plugin host",
                None,
            )
        })
}

fn host_error(e: HostError) -> ApiError {
    match e {
        HostError::UnknownPlugin(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_plugin", e.to_string(), None)
        }
        HostError::Manifest(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_manifest",
            e.to_string(),
            Some("manifest".into()),
        ),
        HostError::HashMismatch { .. }
        | HostError::Signature(_)
        | HostError::WitIncompatible { .. }
        | HostError::ForbiddenImport { .. }
        | HostError::MissingExport { .. }
        | HostError::Compile { .. }
        | HostError::Instantiate { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "component_refused",
            e.to_string(),
            Some("component".into()),
        ),
        HostError::VersionConflict { .. } => ApiError::new(
            StatusCode::CONFLICT,
            "plugin_version_exists",
            e.to_string(),
            Some("manifest".into()),
        ),
        HostError::RegionTaken { .. } => {
            ApiError::new(StatusCode::CONFLICT, "plugin_conflict", e.to_string(), None)
        }
        HostError::Io { .. } | HostError::CorruptState { .. } | HostError::Engine(_) => {
            tracing::error!(error = %e, "plugin store failure");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "plugin_store_unavailable",
                "the plugin store could not complete the request; the failure is logged",
                None,
            )
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, HostError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(f)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "plugin_store_unavailable",
                "the plugin operation was interrupted; retry",
                None,
            )
        })?
        .map_err(host_error)
}

/// Installed plugins, with their state and call counters.
#[utoipa::path(
    get, path = "/v1/admin/plugins", tag = "admin",
    responses((status = 200, body = Vec<PluginSummary>), (status = 503, body = ErrorBody))
)]
pub async fn list(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    let host = host(&state)?;
    Ok(HttpResponse::Ok().json(plugins::summaries(&host)))
}

/// Install a plugin version. The host checks the digest, the WIT version, the imports and
/// the exports; a refusal says which and what to do. A version is stored once: the same
/// name and version with another component or manifest answers 409
/// `plugin_version_exists`; the very same upload again stores nothing and answers 200.
#[utoipa::path(
    post, path = "/v1/admin/plugins", tag = "admin", request_body = PluginUpload,
    responses(
        (status = 201, body = PluginSummary, description = "A new version, now active"),
        (status = 200, body = PluginSummary, description = "This very version was stored already; it is the active one"),
        (status = 409, body = ErrorBody, description = "`plugin_version_exists`: the version is stored with another component or manifest; `plugin_conflict`: another plugin serves a region"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)
    )
)]
pub async fn install(
    state: Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    raw: Bytes,
) -> Result<HttpResponse, ApiError> {
    let upload: PluginUpload = body::json(&req, &raw)?;
    // Granting personal data is a permission of its own (`plugin/approve`), decided by
    // the access middleware with the route's; only admins hold it by default.
    if upload.approve_personal_data && !auth.also {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "granting a plugin personal data needs the plugin/approve permission",
            Some("approve_personal_data".into()),
        ));
    }
    let wasm = STANDARD.decode(upload.component.trim()).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_base64",
            "component must be the .wasm file in standard base64",
            Some("component".into()),
        )
    })?;
    let host = host(&state)?;
    let installer = host.clone();
    let approve = upload.approve_personal_data;
    let installed =
        blocking(move || installer.install_version(&wasm, &upload.manifest, approve)).await?;
    let info = installed.info;
    if installed.outcome == InstallOutcome::Unchanged {
        return Ok(HttpResponse::Ok().json(PluginSummary::new(info, None)));
    }
    let stored = installed.outcome == InstallOutcome::Stored;
    record(
        &state,
        &auth,
        "plugin.install",
        &info.name,
        serde_json::json!({"version": info.version.to_string(), "personal_data": approve, "stored": stored}),
    )
    .await?;
    tracing::info!(plugin = %info.name, version = %info.version, stored, "plugin installed over the admin API");
    announce(&state).await;
    let mut res = if stored {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(res.json(PluginSummary::new(info, None)))
}

/// Plugin metrics in the Prometheus text format (version 0.0.4), for a scraper: per
/// plugin, calls, failures by kind, quarantines and a call latency histogram; install
/// refusals by reason. Empty when the server runs without a plugin host.
#[utoipa::path(
    get, path = "/v1/admin/metrics", tag = "admin",
    responses((status = 200, content_type = "text/plain", body = String))
)]
pub async fn metrics(state: Data<AppState>) -> HttpResponse {
    let text = state
        .complaints
        .compliance()
        .host()
        .map(|host| host.prometheus_text())
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type(redress_plugin_host::PROMETHEUS_CONTENT_TYPE)
        .body(text)
}

/// Let calls go to the plugin again; lifts a quarantine.
#[utoipa::path(
    post, path = "/v1/admin/plugins/{name}/enable", tag = "admin",
    params(("name" = String, Path)),
    responses((status = 200, body = PluginSummary), (status = 404, body = ErrorBody))
)]
pub async fn enable(
    state: Data<AppState>,
    auth: Authorized,
    name: Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(&state, &auth, "plugin.enable", name.into_inner(), |h, n| {
        h.enable(n)
    })
    .await
}

/// Stop calls to the plugin; its region gets the fallback deadlines.
#[utoipa::path(
    post, path = "/v1/admin/plugins/{name}/disable", tag = "admin",
    params(("name" = String, Path)),
    responses((status = 200, body = PluginSummary), (status = 404, body = ErrorBody))
)]
pub async fn disable(
    state: Data<AppState>,
    auth: Authorized,
    name: Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(
        &state,
        &auth,
        "plugin.disable",
        name.into_inner(),
        |h, n| h.disable(n),
    )
    .await
}

/// Remove the plugin and its stored versions.
#[utoipa::path(
    delete, path = "/v1/admin/plugins/{name}", tag = "admin",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody))
)]
pub async fn remove(
    state: Data<AppState>,
    auth: Authorized,
    name: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let host = host(&state)?;
    let name = name.into_inner();
    let removed = name.clone();
    blocking(move || host.remove(&removed)).await?;
    record(&state, &auth, "plugin.remove", &name, serde_json::json!({})).await?;
    announce(&state).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Appends the plugin change to the audit trail.
async fn record(
    state: &AppState,
    auth: &Authorized,
    action: &str,
    name: &str,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    crate::plugins::record_change(
        state.complaints.db(),
        &auth.caller.actor.0,
        action,
        name,
        details,
    )
    .await
    .map_err(|e| ApiError::from(crate::error::ServiceError::from(e)))
}

async fn change(
    state: &AppState,
    auth: &Authorized,
    action: &str,
    name: String,
    op: impl FnOnce(&PluginHost, &str) -> Result<(), HostError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let host = host(state)?;
    let changed = name.clone();
    let info = blocking(move || {
        op(&host, &name)?;
        let metrics = host.metrics().plugins.get(&name).copied();
        host.info(&name)
            .map(|i| PluginSummary::new(i, metrics))
            .ok_or(HostError::UnknownPlugin(name))
    })
    .await?;
    record(state, auth, action, &changed, serde_json::json!({})).await?;
    announce(state).await;
    Ok(HttpResponse::Ok().json(info))
}

/// Tells the other replicas to reload their plugins; they reload on their own schedule
/// when the bus is down.
async fn announce(state: &AppState) {
    if let Err(e) = state
        .control
        .announce(crate::workers::control::PLUGINS_CHANGED)
        .await
    {
        tracing::warn!(error = %e, "could not announce the plugin change to other replicas");
    }
}
