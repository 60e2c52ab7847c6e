//! Settings: built-in defaults, then `redress.toml` (or the file named on the command line),
//! then `REDRESS_*` environment variables (`REDRESS_DATABASE__URL`, `REDRESS_HTTP__BIND`, ...).

use std::path::Path;

use serde::Deserialize;

/// Everything an operator can set.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub lifecycle: LifecycleSettings,
    pub log: LogSettings,
    pub plugins: PluginSettings,
    pub auth: AuthSettings,
    pub audit: AuditSettings,
    pub tenancy: TenancySettings,
    pub security: SecuritySettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecuritySettings {
    /// Master keys by id (32 bytes, standard base64) that wrap the per-subject data keys.
    /// Keep old ones listed after a rotation until `redress admin rewrap-keys` has run.
    #[serde(default)]
    pub master_keys: std::collections::HashMap<String, String>,
    /// The master key new data keys are wrapped with; the only one when unset.
    pub active_master_key: Option<String>,
    /// The key of the blind search index (32 bytes, base64).
    pub index_key: Option<String>,
    /// Where generated keys are kept when `master_keys` is empty; created on first use.
    pub key_file: std::path::PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// How long a verified API token is remembered, so argon2 runs once per token and not
    /// once per request (at most 60). A token revoked on another replica is still accepted
    /// here for up to this long.
    pub token_cache_secs: u64,
    /// How often a server reads the policy again, for changes made on other nodes.
    pub policy_reload_ms: u64,
    /// JWTs from the institution's identity provider; absent: API tokens only.
    pub jwt: Option<JwtSettings>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JwtSettings {
    pub issuer: String,
    pub audience: String,
    /// `HS256`, `RS256` or `ES256`.
    pub algorithm: String,
    /// The shared secret for HS256 (at least 32 bytes).
    pub secret: Option<String>,
    /// The identity provider's public key (PEM) for RS256 or ES256.
    pub public_key_pem: Option<String>,
    /// A claim listing `role@domain` strings the token's subject holds.
    pub roles_claim: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuditSettings {
    /// Ed25519 seed (32 bytes, standard base64) that signs checkpoints. When unset, the
    /// key is read from `key_file`, which `redress` creates on first start.
    pub signing_key: Option<String>,
    /// Where the generated signing key is kept when `signing_key` is unset.
    pub key_file: std::path::PathBuf,
    /// A running server seals a checkpoint once this many records are unsealed...
    pub checkpoint_every: u64,
    /// ...or this long after the last one, whichever comes first.
    pub checkpoint_interval_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TenancySettings {
    /// The institution of complaints filed without one, and of imported complaints.
    pub default_institution: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://redress.db?mode=rwc` (the embedded default) or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
    /// PostgreSQL schema to work in; lets several installations (or tests) share a database.
    pub schema: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    pub bind: String,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Worker threads; the number of cores when unset.
    pub workers: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LifecycleSettings {
    /// How long after resolution a complaint may still be reopened.
    pub reopen_window_days: u32,
    /// Response time used for the due date until a region's compliance rules give one.
    /// 15 calendar days is the CFPB's (Company Portal Manual, section 8.1).
    pub default_response_days: u32,
    /// How long an `Idempotency-Key` (and the tracking token it replays) is kept.
    pub idempotency_hours: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// A `tracing` filter such as `info` or `redress=debug,sqlx=warn`.
    pub filter: String,
    /// `text` for people, `json` for log collectors.
    pub format: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PluginSettings {
    /// Where installed plugins live; created when missing. The CLI and a running server
    /// share it: the server picks up what the CLI installs within `reload_interval_ms`.
    pub dir: std::path::PathBuf,
    /// Longest one plugin call may run before it is stopped.
    pub call_timeout_ms: u64,
    /// Largest memory one plugin instance may use.
    pub max_memory_mib: usize,
    /// Fuel per call (roughly, WebAssembly instructions); unset relies on the timeout.
    pub fuel: Option<u64>,
    /// Consecutive failed calls after which a plugin is quarantined.
    pub quarantine_after: u32,
    /// How often a running server looks for plugins installed by another process.
    pub reload_interval_ms: u64,
    /// Largest plugin upload the admin API accepts, in bytes.
    pub upload_limit: usize,
}

impl PluginSettings {
    /// The sandbox limits these settings describe.
    pub fn limits(&self) -> redress_plugin_host::SandboxLimits {
        redress_plugin_host::SandboxLimits {
            call_timeout: std::time::Duration::from_millis(self.call_timeout_ms),
            max_memory_bytes: self.max_memory_mib << 20,
            fuel: self.fuel,
            quarantine_after: self.quarantine_after,
            ..Default::default()
        }
    }
}

/// A setting that could not be read or makes no sense.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read settings: {0}")]
    Read(#[from] config::ConfigError),
    #[error("setting {key} is invalid: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl Settings {
    /// Loads the settings; `file` replaces the default `redress.toml` lookup.
    ///
    /// # Errors
    /// A malformed file, a variable of the wrong type, or a value out of range.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut builder = Self::defaults()?;
        builder = match file {
            Some(path) => builder.add_source(config::File::from(path).required(true)),
            None => builder.add_source(config::File::with_name("redress").required(false)),
        };
        let settings: Settings = builder
            .add_source(
                config::Environment::with_prefix("REDRESS")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The defaults alone, for tests and tools that build settings in code.
    pub fn default_for(database_url: &str) -> Self {
        let mut settings: Settings = Self::defaults()
            .and_then(|b| b.build().map_err(Into::into))
            .and_then(|c| c.try_deserialize().map_err(Into::into))
            .expect("built-in defaults deserialize");
        settings.database.url = database_url.to_owned();
        settings
    }

    fn defaults() -> Result<config::ConfigBuilder<config::builder::DefaultState>, SettingsError> {
        Ok(config::Config::builder()
            .set_default("database.url", "sqlite://redress.db?mode=rwc")?
            .set_default("database.max_connections", 8)?
            .set_default("http.bind", "127.0.0.1:8080")?
            .set_default("http.body_limit", 1024 * 1024)?
            .set_default("lifecycle.reopen_window_days", 56)?
            .set_default("lifecycle.default_response_days", 15)?
            .set_default("lifecycle.idempotency_hours", 24)?
            .set_default("log.filter", "info")?
            .set_default("log.format", "text")?
            .set_default("plugins.dir", "redress-plugins")?
            .set_default("plugins.call_timeout_ms", 50)?
            .set_default("plugins.max_memory_mib", 64)?
            .set_default("plugins.quarantine_after", 5)?
            .set_default("plugins.reload_interval_ms", 2000)?
            .set_default("plugins.upload_limit", 32 * 1024 * 1024)?
            .set_default("auth.token_cache_secs", 30)?
            .set_default("auth.policy_reload_ms", 5000)?
            .set_default("audit.key_file", "redress-audit-key")?
            .set_default("audit.checkpoint_every", 1000)?
            .set_default("audit.checkpoint_interval_secs", 300)?
            .set_default("tenancy.default_institution", "default")?
            .set_default("security.key_file", "redress-keys.json")?)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |key, reason: &str| SettingsError::Invalid {
            key,
            reason: reason.to_owned(),
        };
        if !(self.database.url.starts_with("sqlite:") || self.database.url.starts_with("postgres"))
        {
            return Err(invalid(
                "database.url",
                "must start with sqlite: or postgres://",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.http.body_limit < 1024 {
            return Err(invalid("http.body_limit", "must be at least 1024 bytes"));
        }
        if self.lifecycle.default_response_days == 0 {
            return Err(invalid(
                "lifecycle.default_response_days",
                "must be at least 1",
            ));
        }
        if !(1..=10_000).contains(&self.plugins.call_timeout_ms) {
            return Err(invalid(
                "plugins.call_timeout_ms",
                "must be between 1 and 10000",
            ));
        }
        if !(1..=4096).contains(&self.plugins.max_memory_mib) {
            return Err(invalid(
                "plugins.max_memory_mib",
                "must be between 1 and 4096",
            ));
        }
        if self.plugins.quarantine_after == 0 {
            return Err(invalid("plugins.quarantine_after", "must be at least 1"));
        }
        if self.plugins.reload_interval_ms < 100 {
            return Err(invalid(
                "plugins.reload_interval_ms",
                "must be at least 100",
            ));
        }
        if self.auth.token_cache_secs > 60 {
            return Err(invalid("auth.token_cache_secs", "must be at most 60"));
        }
        if self.auth.policy_reload_ms < 100 {
            return Err(invalid("auth.policy_reload_ms", "must be at least 100"));
        }
        if self.audit.checkpoint_every == 0 || self.audit.checkpoint_interval_secs == 0 {
            return Err(invalid(
                "audit.checkpoint_every",
                "checkpoint_every and checkpoint_interval_secs must be at least 1",
            ));
        }
        if let Some(key) = &self.audit.signing_key {
            crate::audit::parse_signing_key(key)
                .map_err(|e| invalid("audit.signing_key", &e.to_string()))?;
        }
        if crate::service::validate::institution(
            "tenancy.default_institution",
            &self.tenancy.default_institution,
        )
        .is_err()
        {
            return Err(invalid(
                "tenancy.default_institution",
                "must be 1 to 64 of a-z 0-9 -",
            ));
        }
        if let Some(jwt) = &self.auth.jwt {
            crate::auth::JwtVerifier::new(jwt).map_err(|e| invalid("auth.jwt", &e.to_string()))?;
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(invalid("log.format", "must be text or json"));
        }
        Ok(())
    }
}
