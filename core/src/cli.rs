//! The `redress` command line: thin wiring over the service layer.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use redress_plugin_host::InstallOutcome;

use crate::api::{self, AppState};
use crate::audit;
use crate::auth::{Auth, PolicyLine};
use crate::bus::Bus;
use crate::compliance::Compliance;
use crate::config::Settings;
use crate::import::{self, ImportSummary};
use crate::plugins::{self, scaffold, scaffold::SdkSource};
use crate::service::Complaints;
use crate::workers::Runtime;
use crate::workers::control::{PLUGINS_CHANGED, POLICY_CHANGED, TOKENS_REVOKED};
use crate::{store, telemetry};

/// A sample of real complaints from the CFPB's public Consumer Complaint Database.
const DEMO_SAMPLE: &[u8] = include_bytes!("../../tests/data/cfpb/complaints-mixed-2015-2020.csv");

#[derive(Debug, Parser)]
#[command(
    name = "redress",
    version,
    about = "Complaint handling for banks, insurers and fintechs"
)]
pub struct Cli {
    /// Settings file; `redress.toml` in the working directory is read when present.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (on 127.0.0.1:8080 by default).
    Serve,
    /// Load the bundled sample of 6,623 real CFPB complaints, then serve.
    Demo,
    /// Import a CFPB export (CSV, v2 CSV with Event tag, or NDJSON).
    Import {
        file: PathBuf,
        /// No progress bar (for scripts and logs).
        #[arg(long)]
        quiet: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Install and manage plugins (WebAssembly components built with redress-sdk).
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// The first administrator, API tokens and the access policy.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Verify, export, seal and prove the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Work as a department: take its tasks from NATS and answer them.
    #[command(subcommand)]
    Dept(DeptCommand),
}

#[derive(Debug, Subcommand)]
pub enum DeptCommand {
    /// Show the department's tasks and post answers (asks on a terminal; see --answer).
    Work {
        /// The department, as in tasks.departments.
        #[arg(long)]
        department: String,
        /// Only this region's tasks (the department must be set up per region).
        #[arg(long)]
        region: Option<String>,
        /// NATS server; nats.url from the settings when absent.
        #[arg(long, value_name = "URL")]
        nats_url: Option<String>,
        /// Who answers, as recorded on the task.
        #[arg(long = "as", value_name = "NAME", default_value = "dept-worker")]
        name: String,
        /// Answer every task with this text, without asking; one JSON line per task.
        #[arg(long, value_name = "TEXT")]
        answer: Option<String>,
        /// Stop after this many answers.
        #[arg(long, value_name = "N")]
        max: Option<u64>,
        /// Stop when no task came for this many seconds.
        #[arg(long, value_name = "SECONDS")]
        idle_exit: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// On a database without tokens: create an administrator (role `admin` in every
    /// domain) and print its token, once.
    Bootstrap {
        #[arg(long, default_value = "admin")]
        subject: String,
    },
    /// Issue, list and revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// List and change the casbin policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Wrap every data key with the active master key (after a master key rotation).
    RewrapKeys,
    /// Rebuild the narrative search tokens and customer-number fingerprints with the
    /// configured index key (after changing `security.index_key`).
    Reindex,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token for SUBJECT and print it, once.
    Create {
        subject: String,
        #[arg(long, default_value = "")]
        label: String,
        /// Days until it stops working; never when absent.
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// Also grant ROLE@DOMAIN (e.g. agent@acme/UK); may be repeated.
        #[arg(long = "grant", value_name = "ROLE@DOMAIN")]
        grants: Vec<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print every policy line.
    List,
    /// Add a line: `p ROLE DOMAIN OBJECT ACTION`, `g SUBJECT ROLE DOMAIN`, `g2 SUBJECT DEPT`.
    Add { ptype: String, values: Vec<String> },
    /// Remove a line, written as for `add`.
    Remove { ptype: String, values: Vec<String> },
    /// Grant SUBJECT the ROLE in DOMAIN (`acme/UK`, `acme/*`, `*`).
    Grant {
        subject: String,
        role: String,
        domain: String,
    },
    /// Take ROLE in DOMAIN away from SUBJECT.
    Revoke {
        subject: String,
        role: String,
        domain: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain and every checkpoint; exit 1 naming the first bad record.
    Verify,
    /// Seal the records not yet under a checkpoint.
    Checkpoint,
    /// Write records FROM..=TO with their checkpoints as JSON.
    Export {
        #[arg(long)]
        from: i64,
        #[arg(long)]
        to: i64,
        /// File to write; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write the inclusion proof of one complaint's records as JSON.
    Prove {
        /// Internal id or reference.
        complaint: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a proof file offline, against the configured key or `--public-key`.
    CheckProof {
        file: PathBuf,
        /// Hex of the Ed25519 public key checkpoints must be signed with.
        #[arg(long)]
        public_key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Install a component with its manifest; a new version replaces the running one.
    Install {
        /// The component, built with `cargo build --release --target wasm32-wasip2`.
        wasm: PathBuf,
        /// Its manifest (`plugin.toml`).
        #[arg(long)]
        manifest: PathBuf,
        /// Grant the `personal-data` capability the manifest asks for.
        #[arg(long)]
        approve_personal_data: bool,
    },
    /// List installed plugins.
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Let calls go to a plugin again (also lifts a quarantine).
    Enable { name: String },
    /// Stop calls to a plugin; its region falls back to the strictest known deadlines.
    Disable { name: String },
    /// Remove a plugin and every stored version of it.
    Remove { name: String },
    /// Write a component's SHA-256 into its manifest, after each build.
    Seal {
        wasm: PathBuf,
        #[arg(long)]
        manifest: PathBuf,
    },
    /// Create an ed25519 publisher key to sign plugins with; prints the public key
    /// operators add to `plugins.trusted_keys`.
    Keygen {
        /// The name hosts will know the key by, e.g. `acme-2026`.
        #[arg(long)]
        key_id: String,
        /// Where to write the secret key; it must not exist yet.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign a component: writes its SHA-256, and an ed25519 signature over that digest,
    /// the plugin's name and its version, into the manifest.
    Sign {
        wasm: PathBuf,
        #[arg(long)]
        manifest: PathBuf,
        /// The secret key file `keygen` wrote.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Create a plugin crate that builds, tests and installs as it stands.
    New {
        name: String,
        /// The plugin world; `compliance` in this release.
        #[arg(long, default_value = "compliance")]
        kind: String,
        /// The region whose calendar the rules count in: US, UK, EU, CN or SG.
        #[arg(long, default_value = "UK")]
        region: String,
        /// Folder to create the crate in.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Depend on the SDK in this directory (`<redress checkout>/sdk`). The default is
        /// the SDK of the checkout this `redress` was built from, when it is still there.
        #[arg(long, value_name = "PATH", conflicts_with_all = ["sdk_git", "sdk_version"])]
        sdk_path: Option<PathBuf>,
        /// Depend on the SDK in this git repository (the Redress repository).
        #[arg(long, value_name = "URL", conflicts_with = "sdk_version")]
        sdk_git: Option<String>,
        /// With --sdk-git: the tag, branch or commit to build against.
        #[arg(long, value_name = "REV", requires = "sdk_git")]
        sdk_rev: Option<String>,
        /// Depend on a version published on crates.io (not yet available).
        #[arg(long, value_name = "VERSION")]
        sdk_version: Option<String>,
    },
}

/// Runs one command.
///
/// # Errors
/// Settings, database or I/O failures, reported to the operator.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    let _telemetry = telemetry::init(&settings.log, &settings.telemetry);
    let command = match cli.command {
        Command::Dept(command) => return dept_command(&settings, command).await,
        Command::Plugin(command) => {
            let changed = plugin_command(&settings, command).await?;
            if changed {
                announce(&settings, PLUGINS_CHANGED).await;
            }
            return Ok(());
        }
        Command::Audit(AuditCommand::CheckProof { file, public_key }) => {
            return check_proof_file(&settings, &file, public_key.as_deref());
        }
        other => other,
    };
    let db = store::connect(&settings.database)
        .await
        .context("cannot open the database")?;
    store::migrate(&db)
        .await
        .context("cannot apply migrations")?;
    let keys =
        crate::keys::Keyring::load(&settings.security).context("cannot load the data keys")?;
    let mut complaints = Complaints::new(db.clone(), settings.lifecycle.clone())
        .with_default_institution(&settings.tenancy.default_institution)
        .with_keys(keys)
        .with_tasks(settings.tasks.clone());
    if matches!(command, Command::Serve | Command::Demo) {
        let host = plugins::open_host(&settings.plugins).context("cannot open the plugins")?;
        complaints = complaints.with_compliance(Compliance::with_host(host));
    }
    let response_time = chrono::Duration::days(i64::from(settings.lifecycle.default_response_days));

    match command {
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
        Command::Import { file, quiet } => {
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let bar = if quiet {
                ProgressBar::hidden()
            } else {
                progress_bar(input.metadata()?.len())
            };
            let summary = import::import(&complaints, input, response_time, &bar).await?;
            bar.finish_and_clear();
            print_summary(&summary);
            Ok(())
        }
        Command::Demo => {
            let summary = import::import(
                &complaints,
                DEMO_SAMPLE,
                response_time,
                &progress_bar(DEMO_SAMPLE.len() as u64),
            )
            .await?;
            println!(
                "demo data: {} imported, {} already present",
                summary.imported, summary.already_present
            );
            let auth = Auth::new(db.clone(), &settings.auth).await?;
            if auth.tokens.any().await? {
                println!("tokens exist already: use yours (or `redress admin token create`)");
            } else {
                let issued = bootstrap(&auth, "admin").await?;
                println!("administrator token (shown once; send as Authorization: Bearer ...):");
                println!("{}", issued.token);
            }
            serve(&settings, complaints, auth).await
        }
        Command::Serve => {
            let auth = Auth::new(db.clone(), &settings.auth).await?;
            serve(&settings, complaints, auth).await
        }
        Command::Admin(AdminCommand::RewrapKeys) => {
            let done = complaints.rewrap_data_keys().await?;
            println!("{done} data keys rewrapped with the active master key");
            Ok(())
        }
        Command::Admin(AdminCommand::Reindex) => {
            let done = complaints.rebuild_blind_indexes().await?;
            println!(
                "rebuilt with the configured index key: {} complaints' search tokens, {} customers' number fingerprints",
                done.complaints, done.customers
            );
            Ok(())
        }
        Command::Admin(command) => {
            let auth = Auth::new(db.clone(), &settings.auth).await?;
            let policy_changed = matches!(
                command,
                AdminCommand::Bootstrap { .. }
                    | AdminCommand::Policy(PolicyCommand::Add { .. })
                    | AdminCommand::Policy(PolicyCommand::Remove { .. })
                    | AdminCommand::Policy(PolicyCommand::Grant { .. })
                    | AdminCommand::Policy(PolicyCommand::Revoke { .. })
                    | AdminCommand::Token(TokenCommand::Create { .. })
            );
            let revoked = matches!(command, AdminCommand::Token(TokenCommand::Revoke { .. }));
            admin_command(&auth, command).await?;
            if policy_changed {
                announce(&settings, POLICY_CHANGED).await;
            }
            if revoked {
                announce(&settings, TOKENS_REVOKED).await;
            }
            Ok(())
        }
        Command::Audit(command) => audit_command(&settings, &complaints, command).await,
        Command::Plugin(_) | Command::Dept(_) => {
            unreachable!("handled before the database opens")
        }
    }
}

async fn dept_command(settings: &Settings, command: DeptCommand) -> anyhow::Result<()> {
    let DeptCommand::Work {
        department,
        region,
        nats_url,
        name,
        answer,
        max,
        idle_exit,
    } = command;
    if !crate::config::is_department_name(&department) {
        anyhow::bail!("--department must be 1 to 64 letters, digits, _ or -");
    }
    if let Some(r) = &region
        && r.parse::<crate::domain::Region>().is_err()
    {
        anyhow::bail!("--region must be one of US, UK, EU, CN, HK, SG");
    }
    if answer.as_deref().is_some_and(|a| a.trim().is_empty()) {
        anyhow::bail!("--answer must not be empty");
    }
    let url = nats_url
        .or_else(|| settings.nats.url.clone())
        .context("the department worker talks to NATS: set nats.url or pass --nats-url")?;
    let bus = Bus::nats(&url, crate::bus::BusConfig::from_settings(settings))
        .await
        .with_context(|| format!("cannot use {url}"))?;
    let options = crate::dept::WorkOptions {
        department,
        region,
        name,
        answer,
        max,
        idle_exit: idle_exit.map(Duration::from_secs),
    };
    let answered = crate::dept::work(&bus, &options).await?;
    tracing::info!(answered, "department worker stopped");
    Ok(())
}

/// Who the CLI records as actor: the operator at the terminal.
const CLI_ACTOR: &str = crate::service::actors::CLI;

/// Creates the first administrator: a token for `subject` and `g, subject, admin, *`.
async fn bootstrap(auth: &Auth, subject: &str) -> anyhow::Result<crate::auth::IssuedToken> {
    let issued = auth
        .tokens
        .issue(subject, "bootstrap administrator", None, CLI_ACTOR)
        .await?;
    auth.policy
        .add(
            &PolicyLine {
                ptype: "g".into(),
                values: vec![subject.to_owned(), "admin".into(), "*".into()],
            },
            CLI_ACTOR,
        )
        .await?;
    Ok(issued)
}

async fn admin_command(auth: &Auth, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Bootstrap { subject } => {
            anyhow::ensure!(
                !auth.tokens.any().await? && !auth.policy.has_holder("admin"),
                "this database has tokens or an administrator already; use `redress admin token create`"
            );
            let issued = bootstrap(auth, &subject).await?;
            println!("administrator {subject} created; its token (shown once):");
            println!("{}", issued.token);
        }
        AdminCommand::Token(TokenCommand::Create {
            subject,
            label,
            expires_in_days,
            grants,
        }) => {
            let mut lines = Vec::new();
            for grant in &grants {
                let (role, domain) = grant
                    .split_once('@')
                    .with_context(|| format!("--grant {grant}: write ROLE@DOMAIN"))?;
                lines.push(PolicyLine {
                    ptype: "g".into(),
                    values: vec![subject.clone(), role.to_owned(), domain.to_owned()],
                });
            }
            // Every grant is checked before the token exists, so a refused grant leaves no
            // token behind.
            crate::auth::tokens::check_subject(&subject)?;
            for line in &lines {
                auth.policy.check_new(line).await?;
            }
            let expires =
                expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(i64::from(d)));
            let issued = auth
                .tokens
                .issue(&subject, &label, expires, CLI_ACTOR)
                .await?;
            for line in &lines {
                auth.policy.add(line, CLI_ACTOR).await?;
            }
            println!("token {} for {subject} (shown once):", issued.id);
            println!("{}", issued.token);
        }
        AdminCommand::Token(TokenCommand::List) => {
            println!(
                "{:<18} {:<24} {:<26} {:<26} LABEL",
                "ID", "SUBJECT", "EXPIRES", "REVOKED"
            );
            for t in auth.tokens.list().await? {
                let at = |d: Option<chrono::DateTime<chrono::Utc>>| {
                    d.map_or_else(|| "-".to_owned(), |d| d.to_rfc3339())
                };
                println!(
                    "{:<18} {:<24} {:<26} {:<26} {}",
                    t.id,
                    t.subject,
                    at(t.expires_at),
                    at(t.revoked_at),
                    t.label
                );
            }
        }
        AdminCommand::Token(TokenCommand::Revoke { id }) => {
            anyhow::ensure!(
                auth.tokens.revoke(&id, CLI_ACTOR).await?,
                "no active token has the id {id}"
            );
            println!("token {id} revoked");
        }
        AdminCommand::Policy(command) => policy_command(auth, command).await?,
        AdminCommand::RewrapKeys | AdminCommand::Reindex => {
            unreachable!("handled with the complaint service")
        }
    }
    Ok(())
}

async fn policy_command(auth: &Auth, command: PolicyCommand) -> anyhow::Result<()> {
    let (add, line) = match command {
        PolicyCommand::List => {
            for line in auth.policy.lines().await? {
                println!("{}, {}", line.ptype, line.values.join(", "));
            }
            return Ok(());
        }
        PolicyCommand::Add { ptype, values } => (true, PolicyLine { ptype, values }),
        PolicyCommand::Remove { ptype, values } => (false, PolicyLine { ptype, values }),
        PolicyCommand::Grant {
            subject,
            role,
            domain,
        } => (
            true,
            PolicyLine {
                ptype: "g".into(),
                values: vec![subject, role, domain],
            },
        ),
        PolicyCommand::Revoke {
            subject,
            role,
            domain,
        } => (
            false,
            PolicyLine {
                ptype: "g".into(),
                values: vec![subject, role, domain],
            },
        ),
    };
    let text = format!("{}, {}", line.ptype, line.values.join(", "));
    if add {
        let added = auth.policy.add(&line, CLI_ACTOR).await?;
        println!(
            "{} {text}",
            if added { "added" } else { "already present:" }
        );
    } else {
        anyhow::ensure!(
            auth.policy.remove(&line, CLI_ACTOR).await?,
            "no such line: {text}"
        );
        println!("removed {text}");
    }
    Ok(())
}

/// The checkpoint signing key: from settings, else from `audit.key_file`, created with a
/// fresh key on first use.
pub fn audit_signing_key(settings: &Settings) -> anyhow::Result<ed25519_dalek::SigningKey> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    if let Some(text) = &settings.audit.signing_key {
        return Ok(audit::parse_signing_key(text)?);
    }
    let path = &settings.audit.key_file;
    if let Ok(text) = std::fs::read_to_string(path) {
        return audit::parse_signing_key(&text)
            .with_context(|| format!("{} does not hold a signing key", path.display()));
    }
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
    let text = format!("{}\n", STANDARD.encode(seed));
    let kept = crate::keys::create_once(path, &text)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if kept == text {
        tracing::warn!(path = %path.display(), "created a new audit signing key; keep it safe and back it up");
    }
    audit::parse_signing_key(&kept)
        .with_context(|| format!("{} does not hold a signing key", path.display()))
}

/// The public key checkpoints must carry, when this installation has a signing key.
fn trusted_audit_key(settings: &Settings) -> Option<ed25519_dalek::VerifyingKey> {
    let text = match &settings.audit.signing_key {
        Some(text) => text.clone(),
        None => std::fs::read_to_string(&settings.audit.key_file).ok()?,
    };
    audit::parse_signing_key(&text)
        .ok()
        .map(|k| k.verifying_key())
}

async fn audit_command(
    settings: &Settings,
    complaints: &Complaints,
    command: AuditCommand,
) -> anyhow::Result<()> {
    let db = complaints.db();
    let out = |file: Option<PathBuf>, text: String| -> anyhow::Result<()> {
        match file {
            Some(path) => std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display())),
            None => {
                println!("{text}");
                Ok(())
            }
        }
    };
    match command {
        AuditCommand::Verify => {
            let trusted = trusted_audit_key(settings);
            let started = std::time::Instant::now();
            let report = audit::verify(db, trusted.as_ref()).await?;
            let elapsed = started.elapsed().as_secs_f64();
            match &report.problem {
                None => println!(
                    "intact: {} records, {} checkpoints, sealed up to record {} ({elapsed:.2} s)",
                    report.records, report.checkpoints, report.sealed_upto
                ),
                Some(problem) => {
                    println!("TAMPERED: {problem}");
                    anyhow::bail!("the audit trail does not verify");
                }
            }
        }
        AuditCommand::Checkpoint => {
            let key = audit_signing_key(settings)?;
            match audit::seal(db, &key).await? {
                Some(c) => println!(
                    "checkpoint {} seals records {} to {} (root {})",
                    c.id, c.from_seq, c.upto_seq, c.merkle_root
                ),
                None => println!("nothing new to seal"),
            }
        }
        AuditCommand::Export {
            from,
            to,
            out: file,
        } => {
            anyhow::ensure!(
                from >= 1 && to >= from,
                "--from must be at least 1 and not after --to"
            );
            let export = audit::export_range(db, from, to).await?;
            out(file, serde_json::to_string_pretty(&export)?)?;
        }
        AuditCommand::Prove {
            complaint,
            out: file,
        } => {
            let row = complaints
                .find_in_scope(&complaint, &crate::service::Scope::all())
                .await
                .map_err(|_| anyhow::anyhow!("no complaint {complaint}"))?;
            if let Ok(key) = audit_signing_key(settings) {
                audit::seal(db, &key).await?;
            }
            let proof = audit::prove_object(db, &format!("complaint:{}", row.id)).await?;
            out(file, serde_json::to_string_pretty(&proof)?)?;
        }
        AuditCommand::CheckProof { .. } => unreachable!("handled before the database opens"),
    }
    Ok(())
}

fn check_proof_file(
    settings: &Settings,
    file: &std::path::Path,
    public_key: Option<&str>,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let proof: audit::Proof = serde_json::from_str(&text).context("not a proof file")?;
    let trusted = match public_key {
        Some(hex_key) => {
            let bytes: [u8; 32] = hex::decode(hex_key.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .context("--public-key must be 64 hex digits")?;
            Some(ed25519_dalek::VerifyingKey::from_bytes(&bytes).context("not an Ed25519 key")?)
        }
        None => trusted_audit_key(settings),
    };
    if trusted.is_none() {
        println!("warning: no trusted key given; checking against the keys in the proof");
    }
    let proven = audit::check_proof(&proof, trusted.as_ref())?;
    println!(
        "proof holds: {proven} records of {} under {} checkpoints ({} not sealed yet)",
        proof.object,
        proof.checkpoints.len(),
        proof.pending.len()
    );
    Ok(())
}

/// Runs a plugin command; true when it changed the installed set.
async fn plugin_command(settings: &Settings, command: PluginCommand) -> anyhow::Result<bool> {
    match command {
        PluginCommand::New {
            name,
            kind,
            region,
            dir,
            sdk_path,
            sdk_git,
            sdk_rev,
            sdk_version,
        } => {
            let sdk = match (sdk_path, sdk_git, sdk_version) {
                (Some(path), _, _) => SdkSource::Path(
                    std::fs::canonicalize(&path)
                        .with_context(|| format!("cannot find the SDK at {}", path.display()))?,
                ),
                (None, Some(url), _) => SdkSource::Git { url, rev: sdk_rev },
                (None, None, Some(version)) => SdkSource::Version(version),
                (None, None, None) => SdkSource::Path(built_from_sdk()?),
            };
            let created = scaffold::create(&dir, &name, &kind, &region, &sdk)?;
            println!("created {}", created.display());
            println!(
                "next: cd {} && cargo test && cargo build --release --target wasm32-wasip2",
                created.display()
            );
            return Ok(false);
        }
        PluginCommand::Seal { wasm, manifest } => {
            let text = rewrite_manifest(&wasm, &manifest, |text, bytes| {
                redress_plugin_host::signing::seal_manifest(text, bytes)
            })?;
            let digest = redress_plugin_host::Manifest::parse(&text)
                .map(|m| m.sha256)
                .unwrap_or_default();
            println!("{}: sha256 = {digest}", manifest.display());
            return Ok(false);
        }
        PluginCommand::Keygen { key_id, out } => {
            let key = redress_plugin_host::PublisherKey::generate(&key_id)?;
            write_secret(&out, &key.to_file_text())?;
            let public = key.public_key_base64();
            println!("secret key written to {} (keep it private)", out.display());
            println!("public key: {public}");
            println!("operators trust it with, in redress.toml:");
            println!("  [plugins.trusted_keys]");
            println!("  {key_id} = \"{public}\"");
            return Ok(false);
        }
        PluginCommand::Sign {
            wasm,
            manifest,
            key,
        } => {
            let text = std::fs::read_to_string(&key)
                .with_context(|| format!("cannot read {}", key.display()))?;
            let key = redress_plugin_host::PublisherKey::parse(&text)?;
            rewrite_manifest(&wasm, &manifest, |text, bytes| {
                key.sign_manifest(text, bytes)
            })?;
            println!("{} signed with key {}", manifest.display(), key.key_id());
            return Ok(false);
        }
        _ => {}
    }
    let host = plugins::open_host(&settings.plugins).context("cannot open the plugins")?;
    let changed = !matches!(command, PluginCommand::List { .. });
    match command {
        PluginCommand::Install {
            wasm,
            manifest,
            approve_personal_data,
        } => {
            let installed = host.install_files(&wasm, &manifest, approve_personal_data)?;
            let info = &installed.info;
            let done = match installed.outcome {
                InstallOutcome::Stored => "installed",
                InstallOutcome::Reactivated => "stored already; made active again:",
                InstallOutcome::Unchanged => {
                    println!(
                        "{} {} is installed and active already; nothing changed",
                        info.name, info.version
                    );
                    return Ok(false);
                }
            };
            record_plugin_change(
                settings,
                "plugin.install",
                &info.name,
                serde_json::json!({
                    "version": info.version.to_string(),
                    "personal_data": approve_personal_data,
                    "stored": installed.outcome == InstallOutcome::Stored,
                }),
            )
            .await?;
            println!(
                "{done} {} {} for {}",
                info.name,
                info.version,
                info.regions.join(", ")
            );
        }
        PluginCommand::List { json } => {
            let list = plugins::summaries(&host);
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!(
                    "{:<24} {:<10} {:<12} {:<10} STATE",
                    "NAME", "VERSION", "KIND", "REGIONS"
                );
                for p in list {
                    let state = match (&p.quarantined, &p.load_error, p.enabled) {
                        (_, Some(e), _) => format!("not loaded: {e}"),
                        (Some(q), _, _) => format!("quarantined: {q}"),
                        (None, None, true) => "enabled".to_owned(),
                        (None, None, false) => "disabled".to_owned(),
                    };
                    let kind = p.kind.unwrap_or_default();
                    println!(
                        "{:<24} {:<10} {:<12} {:<10} {state}",
                        p.name,
                        p.version,
                        kind,
                        p.regions.join(",")
                    );
                }
            }
        }
        PluginCommand::Enable { name } => {
            host.enable(&name)?;
            record_plugin_change(settings, "plugin.enable", &name, serde_json::json!({})).await?;
            println!("{name} enabled");
        }
        PluginCommand::Disable { name } => {
            host.disable(&name)?;
            record_plugin_change(settings, "plugin.disable", &name, serde_json::json!({})).await?;
            println!("{name} disabled");
        }
        PluginCommand::Remove { name } => {
            host.remove(&name)?;
            record_plugin_change(settings, "plugin.remove", &name, serde_json::json!({})).await?;
            println!("{name} removed");
        }
        PluginCommand::New { .. }
        | PluginCommand::Seal { .. }
        | PluginCommand::Keygen { .. }
        | PluginCommand::Sign { .. } => {}
    }
    Ok(changed)
}

/// Appends a plugin change made from the command line to the audit trail.
async fn record_plugin_change(
    settings: &Settings,
    action: &str,
    name: &str,
    details: serde_json::Value,
) -> anyhow::Result<()> {
    let db = store::connect(&settings.database)
        .await
        .context("cannot open the database to audit the plugin change")?;
    store::migrate(&db)
        .await
        .context("cannot apply migrations")?;
    plugins::record_change(&db, CLI_ACTOR, action, name, details).await?;
    Ok(())
}

/// Tells running replicas over NATS that the plugins or the access policy changed, so they
/// reload within a second instead of at their next periodic look. Without NATS there is
/// nobody to tell.
async fn announce(settings: &Settings, notice: &'static str) {
    let Some(url) = &settings.nats.url else {
        return;
    };
    let announced = async {
        let bus = Bus::nats(url, crate::bus::BusConfig::from_settings(settings)).await?;
        bus.announce(notice).await
    };
    match tokio::time::timeout(Duration::from_secs(5), announced).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!(
            "note: running servers were not told ({e}); they reload on their own schedule"
        ),
        Err(_) => {
            eprintln!("note: NATS did not answer; running servers reload on their own schedule")
        }
    }
}

/// The SDK of the checkout this binary was built from: redress-sdk is not on crates.io
/// yet, so that is the one that matches it.
fn built_from_sdk() -> anyhow::Result<PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    std::fs::canonicalize(&path).map_err(|_| {
        anyhow::anyhow!(
            "redress-sdk is not published on crates.io yet, and the checkout this redress was \
             built from is gone: pass --sdk-path <redress checkout>/sdk or --sdk-git <redress \
             repository URL>"
        )
    })
}

/// Reads the component and its manifest, rewrites the manifest with `change` and writes
/// it back; returns the new text.
fn rewrite_manifest(
    wasm: &std::path::Path,
    manifest: &std::path::Path,
    change: impl FnOnce(&str, &[u8]) -> Result<String, redress_plugin_host::ManifestError>,
) -> anyhow::Result<String> {
    let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let text = change(&text, &bytes)?;
    std::fs::write(manifest, &text)
        .with_context(|| format!("cannot write {}", manifest.display()))?;
    Ok(text)
}

/// Writes a new secret file that only its owner can read; never replaces one.
fn write_secret(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

fn print_summary(summary: &ImportSummary) {
    println!("imported:        {}", summary.imported);
    println!("already present: {}", summary.already_present);
    println!("rejected:        {}", summary.rejected);
    for r in &summary.rejections {
        println!("  line {}: {}", r.line, r.reason);
    }
    if summary.rejected > summary.rejections.len() as u64 {
        println!(
            "  ... and {} more",
            summary.rejected - summary.rejections.len() as u64
        );
    }
}

async fn serve(settings: &Settings, complaints: Complaints, auth: Auth) -> anyhow::Result<()> {
    let audit_key = std::sync::Arc::new(audit_signing_key(settings)?);
    let reloader = auth.policy.clone();
    let every = Duration::from_millis(settings.auth.policy_reload_ms);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = reloader.reload().await {
                tracing::warn!(error = %e, "could not reload the access policy");
            }
        }
    });
    let sealer_db = complaints.db().clone();
    let sealer_key = audit_key.clone();
    let (seal_every, seal_interval) = (
        settings.audit.checkpoint_every,
        Duration::from_secs(settings.audit.checkpoint_interval_secs),
    );
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        let mut last = std::time::Instant::now();
        loop {
            tick.tick().await;
            let due = match audit::unsealed(&sealer_db).await {
                Ok(n) => n >= seal_every || (n > 0 && last.elapsed() >= seal_interval),
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the audit head");
                    false
                }
            };
            if due {
                match audit::seal(&sealer_db, &sealer_key).await {
                    Ok(_) => last = std::time::Instant::now(),
                    Err(e) => tracing::warn!(error = %e, "could not seal an audit checkpoint"),
                }
            }
        }
    });
    let purger = complaints.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = purger.purge_idempotency_keys().await {
                tracing::warn!(error = %e, "could not purge idempotency keys");
            }
        }
    });
    let bus = Bus::from_settings(settings)
        .await
        .context("cannot use nats.url")?;
    let runtime = Runtime::start(complaints.clone(), bus, settings.outbox.clone());
    // A policy changed on another node (or by the CLI) applies here within a second; the
    // periodic reload above catches what was missed while the bus was down.
    let policy = auth.policy.clone();
    let tokens = auth.tokens.clone();
    runtime
        .control()
        .on(TOKENS_REVOKED, move || tokens.forget_all());
    runtime.control().on(POLICY_CHANGED, move || {
        let policy = policy.clone();
        tokio::spawn(async move {
            if let Err(e) = policy.reload().await {
                tracing::warn!(error = %e, "could not reload the access policy");
            }
        });
    });
    if let Some(host) = complaints.compliance().host().cloned() {
        // Another replica (or the CLI) announces installs at once; the periodic look also
        // catches what was missed while the bus was down.
        let announced = host.clone();
        runtime.control().on(PLUGINS_CHANGED, move || {
            let host = announced.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = host.reload() {
                    tracing::warn!(error = %e, "could not reload plugins");
                }
            });
        });
        let every = Duration::from_millis(settings.plugins.reload_interval_ms);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let host = host.clone();
                match tokio::task::spawn_blocking(move || host.reload()).await {
                    Ok(Err(e)) => tracing::warn!(error = %e, "could not reload plugins"),
                    Err(e) => tracing::warn!(error = %e, "plugin reload task failed"),
                    Ok(Ok(_)) => {}
                }
            }
        });
    }
    let state = AppState {
        complaints,
        plugin_upload_limit: settings.plugins.upload_limit,
        control: runtime.control().clone(),
        auth,
        audit_key: Some(audit_key),
    };
    let body_limit = settings.http.body_limit;
    let mut server = actix_web::HttpServer::new(move || api::app(state.clone(), body_limit));
    if let Some(workers) = settings.http.workers {
        server = server.workers(workers);
    }
    let server = server
        .bind(&settings.http.bind)
        .with_context(|| format!("cannot listen on {}", settings.http.bind))?;
    tracing::info!(bind = %settings.http.bind, "serving the API");
    server.run().await?;
    drop(runtime);
    Ok(())
}
