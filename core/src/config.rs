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
    pub nats: NatsSettings,
    pub tasks: TaskSettings,
    pub outbox: OutboxSettings,
    pub telemetry: TelemetrySettings,
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
    /// Publisher key ids and their ed25519 public keys (base64), as `redress plugin keygen`
    /// prints them. When any is set, only plugins signed by one of them install and run.
    #[serde(default)]
    pub trusted_keys: std::collections::BTreeMap<String, String>,
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

    /// The publisher keys these settings trust.
    ///
    /// # Errors
    /// A key id or key that cannot be used, named in the error.
    pub fn trusted_keys(
        &self,
    ) -> Result<redress_plugin_host::TrustedKeys, redress_plugin_host::SignatureError> {
        redress_plugin_host::TrustedKeys::from_base64(
            self.trusted_keys
                .iter()
                .map(|(id, key)| (id.as_str(), key.as_str())),
        )
    }
}

/// The message bus. Without `url` the core runs the in-process bus: the same task and event
/// semantics inside one process, which is what the single-binary quick start needs.
#[derive(Debug, Clone, Deserialize)]
pub struct NatsSettings {
    /// `nats://host:4222` (several servers separated by commas); unset for the in-process bus.
    pub url: Option<String>,
    /// User and password for a server whose `authorization` block lists users.
    pub user: Option<String>,
    pub password: Option<String>,
    /// First token of every subject and, upper-cased, of every stream name. Installations
    /// (and tests) sharing one NATS keep apart by it.
    pub prefix: String,
    /// Copies JetStream keeps of each stream: 1 on a single server, 3 on the cluster example.
    pub replicas: usize,
    /// How long JetStream remembers a `Nats-Msg-Id` to drop a second copy.
    pub duplicate_window_secs: u64,
    /// How long domain events stay on their stream for late readers.
    pub events_max_age_hours: u64,
    /// The results consumer's limits: how long an answer may be processed before it is
    /// delivered again, and how often (-1: until it is applied, so an answer waits out a
    /// database outage instead of being dropped).
    pub results_ack_wait_secs: u64,
    pub results_max_deliver: i64,
}

/// Work handed to other departments.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskSettings {
    /// Departments known to this installation; tasks for others are refused. Empty: any
    /// well-formed name is accepted and its consumer is created on first use.
    #[serde(default)]
    pub departments: Vec<DepartmentSettings>,
    /// Tasks created when a complaint is filed.
    #[serde(default)]
    pub rules: Vec<TaskRule>,
    /// Time given to a department when a task names no due time.
    pub default_due_hours: u32,
    /// How often each replica looks for overdue tasks.
    pub escalation_interval_ms: u64,
    /// The supervisors' queue overdue tasks land in, for departments that name none.
    pub supervisor_queue: String,
}

/// One department's delivery limits.
#[derive(Debug, Clone, Deserialize)]
pub struct DepartmentSettings {
    pub name: String,
    /// Regions this department works in, one consumer each; empty: one consumer for all.
    #[serde(default)]
    pub regions: Vec<String>,
    /// How long a worker may hold a task before it is delivered again.
    #[serde(default = "default_ack_wait")]
    pub ack_wait_secs: u64,
    /// Deliveries before the task goes to the dead-letter subject and the owner is told.
    #[serde(default = "default_max_deliver")]
    pub max_deliver: i64,
    /// The queue this department's overdue tasks land in.
    pub supervisor_queue: Option<String>,
}

impl Default for TaskSettings {
    /// No departments listed, no rules: what a fresh installation runs with.
    fn default() -> Self {
        Self {
            departments: Vec::new(),
            rules: Vec::new(),
            default_due_hours: 72,
            escalation_interval_ms: 5000,
            supervisor_queue: "supervisors".into(),
        }
    }
}

impl TaskSettings {
    /// The settings of a listed department.
    pub fn department(&self, name: &str) -> Option<&DepartmentSettings> {
        self.departments.iter().find(|d| d.name == name)
    }
}

fn default_ack_wait() -> u64 {
    30
}

fn default_max_deliver() -> i64 {
    5
}

/// A task created on filing when every condition given holds (case-insensitive).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRule {
    pub department: String,
    pub question: String,
    /// Time given to the department; `tasks.default_due_hours` when absent.
    pub due_hours: Option<u32>,
    /// The product is exactly this.
    pub product: Option<String>,
    /// The product contains this.
    pub product_contains: Option<String>,
    /// The issue or sub-issue contains this.
    pub issue_contains: Option<String>,
    /// The complaint's region (US, UK, EU, CN, SG).
    pub region: Option<String>,
}

/// Traces for an OpenTelemetry collector.
#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// OTLP/HTTP endpoint (`http://collector:4318`); traces are not exported when unset.
    pub otlp_endpoint: Option<String>,
    /// `service.name` on every span.
    pub service_name: String,
}

/// The outbox relay.
#[derive(Debug, Clone, Deserialize)]
pub struct OutboxSettings {
    /// Rows published per round.
    pub batch: usize,
    /// How often the relay looks for rows other replicas wrote.
    pub poll_ms: u64,
    /// How long the relay's lease lasts; another replica takes over after it runs out.
    pub lease_ms: u64,
    /// Longest wait between attempts while the bus is down.
    pub max_backoff_ms: u64,
}

/// A department name as it appears in subjects and consumer names.
pub fn is_department_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A setting that could not be read or makes no sense.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The reason is in the message and not chained as a source as well: printed with its
    /// chain, it would read twice.
    #[error("cannot read settings: {0}")]
    Read(config::ConfigError),
    #[error("setting {key} is invalid: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl From<config::ConfigError> for SettingsError {
    fn from(e: config::ConfigError) -> Self {
        Self::Read(e)
    }
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
            .set_default("nats.prefix", "redress")?
            .set_default("nats.replicas", 1)?
            .set_default("nats.duplicate_window_secs", 120)?
            .set_default("nats.events_max_age_hours", 24 * 7)?
            .set_default("nats.results_ack_wait_secs", 30)?
            .set_default("nats.results_max_deliver", -1)?
            .set_default("tasks.default_due_hours", 72)?
            .set_default("tasks.escalation_interval_ms", 5000)?
            .set_default("tasks.supervisor_queue", "supervisors")?
            .set_default("outbox.batch", 256)?
            .set_default("outbox.poll_ms", 250)?
            .set_default("outbox.lease_ms", 5000)?
            .set_default("outbox.max_backoff_ms", 10_000)?
            .set_default("telemetry.service_name", "redress")?
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
        if let Err(e) = self.plugins.trusted_keys() {
            return Err(invalid("plugins.trusted_keys", &e.to_string()));
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
        self.validate_bus()?;
        self.validate_tasks()
    }

    fn validate_bus(&self) -> Result<(), SettingsError> {
        let invalid = |key, reason: &str| SettingsError::Invalid {
            key,
            reason: reason.to_owned(),
        };
        let prefix = &self.nats.prefix;
        if prefix.is_empty()
            || prefix.len() > 32
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(invalid(
                "nats.prefix",
                "must be 1 to 32 letters, digits, _ or -",
            ));
        }
        match (&self.nats.user, &self.nats.password) {
            (Some(_), None) => {
                return Err(invalid("nats.password", "must be set with nats.user"));
            }
            (None, Some(_)) => {
                return Err(invalid("nats.user", "must be set with nats.password"));
            }
            _ => {}
        }
        if !(1..=5).contains(&self.nats.replicas) {
            return Err(invalid("nats.replicas", "must be between 1 and 5"));
        }
        if self.nats.duplicate_window_secs == 0 {
            return Err(invalid("nats.duplicate_window_secs", "must be at least 1"));
        }
        if self.nats.results_ack_wait_secs == 0 {
            return Err(invalid("nats.results_ack_wait_secs", "must be at least 1"));
        }
        if self.nats.results_max_deliver == 0 || self.nats.results_max_deliver < -1 {
            return Err(invalid(
                "nats.results_max_deliver",
                "must be -1 (no limit) or at least 1",
            ));
        }
        if self.outbox.batch == 0 || self.outbox.batch > 10_000 {
            return Err(invalid("outbox.batch", "must be between 1 and 10000"));
        }
        if self.outbox.poll_ms < 10 {
            return Err(invalid("outbox.poll_ms", "must be at least 10"));
        }
        if self.outbox.lease_ms < 500 {
            return Err(invalid("outbox.lease_ms", "must be at least 500"));
        }
        if self.outbox.max_backoff_ms < self.outbox.poll_ms {
            return Err(invalid(
                "outbox.max_backoff_ms",
                "must be at least outbox.poll_ms",
            ));
        }
        Ok(())
    }

    fn validate_tasks(&self) -> Result<(), SettingsError> {
        let invalid = |key, reason: String| SettingsError::Invalid { key, reason };
        let tasks = &self.tasks;
        if tasks.default_due_hours == 0 {
            return Err(invalid(
                "tasks.default_due_hours",
                "must be at least 1".into(),
            ));
        }
        if tasks.escalation_interval_ms < 100 {
            return Err(invalid(
                "tasks.escalation_interval_ms",
                "must be at least 100".into(),
            ));
        }
        if tasks.supervisor_queue.trim().is_empty() {
            return Err(invalid(
                "tasks.supervisor_queue",
                "must not be empty".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, d) in tasks.departments.iter().enumerate() {
            if !is_department_name(&d.name) {
                return Err(invalid(
                    "tasks.departments",
                    format!("department {i}: the name must be 1 to 64 letters, digits, _ or -"),
                ));
            }
            if !seen.insert(d.name.as_str()) {
                return Err(invalid(
                    "tasks.departments",
                    format!("department {} is listed twice", d.name),
                ));
            }
            if let Some(bad) = d
                .regions
                .iter()
                .find(|r| r.parse::<crate::domain::Region>().is_err())
            {
                return Err(invalid(
                    "tasks.departments",
                    format!("department {}: unknown region {bad}", d.name),
                ));
            }
            if d.ack_wait_secs == 0 || d.max_deliver < 1 {
                return Err(invalid(
                    "tasks.departments",
                    format!(
                        "department {}: ack_wait_secs and max_deliver must be at least 1",
                        d.name
                    ),
                ));
            }
        }
        for (i, rule) in tasks.rules.iter().enumerate() {
            let fail = |reason: &str| invalid("tasks.rules", format!("rule {i}: {reason}"));
            if !is_department_name(&rule.department) {
                return Err(fail(
                    "the department must be 1 to 64 letters, digits, _ or -",
                ));
            }
            if !tasks.departments.is_empty() && !seen.contains(rule.department.as_str()) {
                return Err(fail("the department is not in tasks.departments"));
            }
            if rule.question.trim().is_empty() || rule.question.chars().count() > 2_000 {
                return Err(fail("the question must be 1 to 2000 characters"));
            }
            if rule.due_hours == Some(0) {
                return Err(fail("due_hours must be at least 1"));
            }
            let conditions = [
                &rule.product,
                &rule.product_contains,
                &rule.issue_contains,
                &rule.region,
            ];
            if conditions
                .iter()
                .all(|c| c.as_deref().is_none_or(|v| v.trim().is_empty()))
            {
                return Err(fail("a rule needs at least one condition"));
            }
            if let Some(region) = &rule.region
                && region.parse::<crate::domain::Region>().is_err()
            {
                return Err(fail("unknown region"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> TaskRule {
        TaskRule {
            department: "fraud".into(),
            question: "Is this card activity fraudulent?".into(),
            due_hours: Some(48),
            product: None,
            product_contains: Some("Credit card".into()),
            issue_contains: Some("fraud".into()),
            region: None,
        }
    }

    fn refusal(settings: &Settings) -> (String, String) {
        match settings.validate() {
            Err(SettingsError::Invalid { key, reason }) => (key.to_owned(), reason),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn task_rules_are_checked_at_start() {
        let mut settings = Settings::default_for("sqlite://x.db");
        settings.tasks.rules = vec![rule()];
        assert!(settings.validate().is_ok());

        settings.tasks.rules[0].product_contains = None;
        settings.tasks.rules[0].issue_contains = Some("  ".into());
        let (key, reason) = refusal(&settings);
        assert_eq!(key, "tasks.rules");
        assert_eq!(reason, "rule 0: a rule needs at least one condition");

        settings.tasks.rules = vec![rule()];
        settings.tasks.departments = vec![DepartmentSettings {
            name: "legal".into(),
            regions: Vec::new(),
            ack_wait_secs: 30,
            max_deliver: 5,
            supervisor_queue: None,
        }];
        let (_, reason) = refusal(&settings);
        assert_eq!(reason, "rule 0: the department is not in tasks.departments");

        settings.tasks.departments.clear();
        settings.tasks.rules[0].region = Some("Atlantis".into());
        assert_eq!(refusal(&settings).1, "rule 0: unknown region");
        settings.tasks.rules[0].region = None;
        settings.tasks.rules[0].department = "fraud.uk".into();
        assert_eq!(refusal(&settings).0, "tasks.rules");
    }

    #[test]
    fn bus_names_are_checked_at_start() {
        let mut settings = Settings::default_for("sqlite://x.db");
        settings.nats.prefix = "acme.bank".into();
        assert_eq!(refusal(&settings).0, "nats.prefix");
        settings.nats.prefix = "acme-bank".into();
        settings.nats.results_max_deliver = 0;
        assert_eq!(refusal(&settings).0, "nats.results_max_deliver");
        settings.nats.results_max_deliver = -1;
        assert!(settings.validate().is_ok());
    }
}
