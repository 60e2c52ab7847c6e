//! The `redress` command line: thin wiring over the service layer.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::api::{self, AppState};
use crate::config::Settings;
use crate::import::{self, ImportSummary};
use crate::service::Complaints;
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
}

/// Runs one command.
///
/// # Errors
/// Settings, database or I/O failures, reported to the operator.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init(&settings.log);
    let db = store::connect(&settings.database)
        .await
        .context("cannot open the database")?;
    store::migrate(&db)
        .await
        .context("cannot apply migrations")?;
    let complaints = Complaints::new(db.clone(), settings.lifecycle.clone());
    let response_time = chrono::Duration::days(i64::from(settings.lifecycle.default_response_days));

    match cli.command {
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
            let summary = import::import(&db, input, response_time, &bar).await?;
            bar.finish_and_clear();
            print_summary(&summary);
            Ok(())
        }
        Command::Demo => {
            let summary = import::import(
                &db,
                DEMO_SAMPLE,
                response_time,
                &progress_bar(DEMO_SAMPLE.len() as u64),
            )
            .await?;
            println!(
                "demo data: {} imported, {} already present",
                summary.imported, summary.already_present
            );
            serve(&settings, complaints).await
        }
        Command::Serve => serve(&settings, complaints).await,
    }
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

async fn serve(settings: &Settings, complaints: Complaints) -> anyhow::Result<()> {
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
    let state = AppState { complaints };
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
    Ok(())
}
