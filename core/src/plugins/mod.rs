//! Operating plugins: opening the plugin host from settings, and the summary of an
//! installed plugin that the CLI prints and the admin API returns.

pub mod scaffold;

use std::sync::Arc;

use redress_plugin_host::{HostError, PluginHost, PluginInfo, PluginMetrics};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::PluginSettings;

/// Opens the plugins directory named in the settings, trusting the publisher keys they
/// list.
///
/// # Errors
/// The directory cannot be created or read, its state file is corrupt, a trusted key is
/// unusable, or the engine cannot start.
pub fn open_host(settings: &PluginSettings) -> Result<Arc<PluginHost>, HostError> {
    let trusted = settings.trusted_keys()?;
    PluginHost::open_trusting(&settings.dir, settings.limits(), trusted).map(Arc::new)
}

/// One installed plugin, as operators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginSummary {
    pub name: String,
    /// The version new calls go to.
    pub version: String,
    /// Every version kept on disk.
    pub installed_versions: Vec<String>,
    pub kind: Option<String>,
    pub regions: Vec<String>,
    pub capabilities: Vec<String>,
    pub personal_data_approved: bool,
    pub enabled: bool,
    /// Why calls stopped going to it after repeated failures; `enable` clears it.
    pub quarantined: Option<String>,
    pub consecutive_failures: u32,
    /// Why the active version could not be loaded.
    pub load_error: Option<String>,
    /// Whether calls go to it now.
    pub serving: bool,
    /// Call counters since this process opened the plugins.
    #[schema(value_type = Option<Object>)]
    pub metrics: Option<PluginMetrics>,
}

impl PluginSummary {
    pub fn new(info: PluginInfo, metrics: Option<PluginMetrics>) -> Self {
        Self {
            serving: info.serving(),
            name: info.name,
            version: info.version.to_string(),
            installed_versions: info
                .installed_versions
                .iter()
                .map(ToString::to_string)
                .collect(),
            kind: info.kind.map(|k| k.as_str().to_owned()),
            regions: info.regions,
            capabilities: info
                .capabilities
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            personal_data_approved: info.personal_data_approved,
            enabled: info.enabled,
            quarantined: info.quarantined,
            consecutive_failures: info.consecutive_failures,
            load_error: info.load_error,
            metrics,
        }
    }
}

/// Every installed plugin with its counters.
pub fn summaries(host: &PluginHost) -> Vec<PluginSummary> {
    let metrics = host.metrics();
    host.list()
        .into_iter()
        .map(|info| {
            let m = metrics.plugins.get(&info.name).copied();
            PluginSummary::new(info, m)
        })
        .collect()
}

/// Appends a plugin change (install, enable, disable, remove) to the audit trail, for the
/// admin API and the CLI alike.
///
/// # Errors
/// The store failed.
pub async fn record_change(
    db: &sea_orm::DatabaseConnection,
    actor: &str,
    action: &str,
    name: &str,
    details: serde_json::Value,
) -> Result<(), sea_orm::DbErr> {
    let txn = crate::store::begin_write(db).await?;
    crate::audit::append(
        &txn,
        crate::audit::Entry::new(actor, action, format!("plugin:{name}")).details(details),
    )
    .await?;
    txn.commit().await
}
