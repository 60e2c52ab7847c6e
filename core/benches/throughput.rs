//! Throughput benchmark: prints figures next to a baseline measured in the same run.
//!
//! 1. Import: the 6,623-row CFPB sample through `redress import` against a bare loop of
//!    prepared INSERTs of the same rows (complaint and history event) in batched
//!    transactions, both into the same tables of the same database file. The baseline runs
//!    first, so the import works on the larger tables: the ratio errs against Redress.
//! 2. Filing: `POST /v1/complaints` from 32 concurrent clients for 10 s against the real
//!    `redress serve` process holding 100,000 complaints, against bare single-row
//!    transactions on the same database file.
//! 3. The server's peak resident memory (VmHWM) after both.
//! 4. Access control and audit: filing through the service with the token check, the
//!    policy check and the audit appends, against the same filings with all three off.
//! 5. `audit verify` over 1,000,000 records.
//!
//! Run with `cargo bench -p redress --bench throughput`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use redress::import::{self, Silent};
use redress::{Settings, store};
use sea_orm::sqlx::{self, Connection, SqliteConnection};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/data/cfpb/complaints-mixed-2015-2020.csv"
);
const STORED: usize = 100_000;
const CLIENTS: usize = 32;
const LOAD_SECONDS: u64 = 10;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    println!("redress throughput benchmark (SQLite, WAL)\n");
    import_benchmark(dir.path()).await?;
    filing_benchmark(dir.path()).await?;
    access_and_audit_benchmark(dir.path()).await?;
    verify_benchmark(dir.path()).await?;
    Ok(())
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

async fn import_benchmark(dir: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(SAMPLE)?;
    let file = dir.join("import.db");
    let settings = Settings::default_for(&sqlite_url(&file));
    let db = store::connect(&settings.database).await?;
    store::migrate(&db).await?;
    db.close().await?;

    // The baseline's rows carry their own references and external ids (`b` + the CFPB id),
    // so the import that follows finds none of its own already present.
    let rows = parsed_rows(&bytes);
    let mut conn = bare_connection(&file).await?;
    let started = Instant::now();
    for (batch_no, batch) in rows.chunks(300).enumerate() {
        let mut txn = conn.begin().await?;
        for (i, row) in batch.iter().enumerate() {
            insert_bare(
                &mut txn,
                &format!("RDR-2000-{:06}", batch_no * 300 + i + 1),
                &format!("b{}", row.external_id),
                row,
            )
            .await?;
        }
        txn.commit().await?;
    }
    let bare_rate = rows.len() as f64 / started.elapsed().as_secs_f64();
    conn.close().await?;

    let db = store::connect(&settings.database).await?;
    let complaints = redress::service::Complaints::new(db.clone(), settings.lifecycle.clone());
    let started = Instant::now();
    let summary = import::import(
        &complaints,
        bytes.as_slice(),
        chrono::Duration::days(15),
        &Silent,
    )
    .await?;
    let import_rate = summary.imported as f64 / started.elapsed().as_secs_f64();
    db.close().await?;
    anyhow::ensure!(
        summary.imported as usize == rows.len(),
        "the import stored {} rows, the baseline {}",
        summary.imported,
        rows.len()
    );

    println!("import of {} rows (one database file)", summary.imported);
    println!("  redress import        {import_rate:>10.0} rows/s");
    println!("  bare prepared INSERTs {bare_rate:>10.0} rows/s  (the limit)");
    println!(
        "  ratio                 {:>10.1} %  (goal >= 50 %)\n",
        100.0 * import_rate / bare_rate
    );
    Ok(())
}

/// The sample's rows as the importer would store them, parsed before the clock starts.
fn parsed_rows(bytes: &[u8]) -> Vec<import::ImportRow> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<Option<import::Field>> = reader
        .headers()
        .unwrap()
        .iter()
        .map(import::Field::from_name)
        .collect();
    reader
        .records()
        .filter_map(|r| {
            let r = r.ok()?;
            let mut record = import::Record::default();
            for (field, value) in header.iter().zip(r.iter()) {
                if let Some(field) = field {
                    record.set(*field, value);
                }
            }
            record.into_row(Utc::now(), chrono::Duration::days(15)).ok()
        })
        .collect()
}

async fn bare_connection(path: &Path) -> anyhow::Result<SqliteConnection> {
    use sqlx::ConnectOptions;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await?)
}

/// The complaint row and its history event, as prepared statements: what the store must
/// write at the very least.
async fn insert_bare(
    conn: &mut SqliteConnection,
    reference: &str,
    external_id: &str,
    row: &import::ImportRow,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO complaints (reference, external_id, source, status, channel, region, language, product, \
         sub_product, issue, sub_issue, narrative, company, consumer_state, consumer_zip, tags, priority, \
         received_at, sent_to_company_at, due_at, response_category, company_public_response, timely_response, \
         consumer_disputed, consumer_consent, event_tag, reopened_count, version, created_at, updated_at) \
         VALUES (?, ?, 'cfpb', ?, 'web', 'US', 'en', ?, ?, ?, ?, ?, ?, ?, ?, '[]', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1, ?, ?) \
         RETURNING id",
    )
    .bind(reference)
    .bind(external_id)
    .bind(row.status.as_str())
    .bind(&row.product)
    .bind(&row.sub_product)
    .bind(&row.issue)
    .bind(&row.sub_issue)
    .bind(&row.narrative)
    .bind(&row.company)
    .bind(&row.consumer_state)
    .bind(&row.consumer_zip)
    .bind(row.received_at)
    .bind(row.sent_to_company_at)
    .bind(row.due_at)
    .bind(row.response_category.map(<&str>::from))
    .bind(&row.company_public_response)
    .bind(row.timely_response)
    .bind(row.consumer_disputed)
    .bind(&row.consumer_consent)
    .bind(&row.event_tag)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO complaint_events (complaint_id, kind, to_status, actor, public, at) VALUES (?, 'imported', ?, 'bench', false, ?)")
        .bind(id)
        .bind(row.status.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A CSV of `rows` complaints: the sample repeated with fresh Complaint IDs.
fn synthetic_export(path: &Path, rows: usize) -> anyhow::Result<()> {
    let mut reader = csv::Reader::from_path(SAMPLE)?;
    let header = reader.headers()?.clone();
    let id_col = header
        .iter()
        .position(|h| h == "Complaint ID")
        .expect("Complaint ID column");
    let sample: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let mut writer = csv::Writer::from_path(path)?;
    writer.write_record(&header)?;
    for i in 0..rows {
        let mut row: Vec<String> = sample[i % sample.len()].iter().map(str::to_owned).collect();
        row[id_col] = (50_000_000 + i).to_string();
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redress(db: &Path, args: &[&str], port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redress"));
    cmd.args(args)
        .env("REDRESS_DATABASE__URL", sqlite_url(db))
        .env("REDRESS_HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("REDRESS_LOG__FILTER", "warn")
        .env("REDRESS_AUDIT__KEY_FILE", db.with_extension("audit-key"))
        .env("REDRESS_SECURITY__KEY_FILE", db.with_extension("keys.json"))
        .env("REDRESS_PLUGINS__DIR", db.with_extension("plugins"));
    cmd
}

async fn filing_benchmark(dir: &Path) -> anyhow::Result<()> {
    let db = dir.join("serve.db");
    let export = dir.join("stored.csv");
    synthetic_export(&export, STORED)?;
    let status = redress(&db, &["import", "--quiet", export.to_str().unwrap()], 0)
        .stdout(Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "import of {STORED} complaints failed");
    let bootstrap = redress(&db, &["admin", "bootstrap"], 0).output()?;
    anyhow::ensure!(bootstrap.status.success(), "admin bootstrap failed");
    let token = String::from_utf8(bootstrap.stdout)?
        .lines()
        .find(|l| l.starts_with("rdr_"))
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("admin bootstrap printed no token"))?;

    let port = free_port()?;
    let server = Server(
        redress(&db, &["serve"], port)
            .stdout(Stdio::null())
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    wait_ready(&client, &base).await?;

    let body = serde_json::json!({
        "channel": "web", "region": "US", "product": "Checking or savings account",
        "issue": "Managing an account", "narrative": "The bank charged an overdraft fee twice for one payment.",
        "customer": {"name": "Benchmark Customer", "email": "bench@example.com"},
        "amount_disputed": {"amount": "35.00", "currency": "USD"}
    });
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
    let started = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let client = client.clone();
            let url = format!("{base}/v1/complaints");
            let body = body.clone();
            let token = token.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures: BTreeMap<String, u64> = BTreeMap::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let failure = match client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    {
                        Ok(res) if res.status().as_u16() == 201 => {
                            latencies.push(sent.elapsed());
                            continue;
                        }
                        Ok(res) => format!("status {}", res.status().as_u16()),
                        Err(e) if e.is_timeout() => "timeout".to_owned(),
                        Err(e) if e.is_connect() => "connection refused or reset".to_owned(),
                        Err(_) => "transport error".to_owned(),
                    };
                    *failures.entry(failure).or_default() += 1;
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for worker in workers {
        let (l, f) = worker.await?;
        latencies.extend(l);
        for (kind, n) in f {
            *failures.entry(kind).or_default() += n;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let rate = latencies.len() as f64 / elapsed;
    let peak_rss = peak_rss_kib(server.0.id())?;
    drop(server);

    let mut conn = bare_connection(&db).await?;
    let rows = parsed_rows(&std::fs::read(SAMPLE)?);
    let started = Instant::now();
    let mut done = 0usize;
    while started.elapsed() < Duration::from_secs(LOAD_SECONDS) {
        let mut txn = conn.begin().await?;
        insert_bare(
            &mut txn,
            &format!("RDR-1999-{done:07}"),
            &format!("f{done}"),
            &rows[done % rows.len()],
        )
        .await?;
        txn.commit().await?;
        done += 1;
    }
    let bare_rate = done as f64 / started.elapsed().as_secs_f64();

    println!(
        "filing with {CLIENTS} concurrent clients for {LOAD_SECONDS} s, {STORED} complaints stored"
    );
    println!("  POST /v1/complaints       {rate:>10.0} complaints/s  (goal >= 2,000)");
    match (percentile(&latencies, 0.50), percentile(&latencies, 0.99)) {
        (Some(p50), Some(p99)) => {
            println!(
                "  latency p50               {:>10.2} ms",
                p50.as_secs_f64() * 1000.0
            );
            println!(
                "  latency p99               {:>10.2} ms  (goal <= 25 ms)",
                p99.as_secs_f64() * 1000.0
            );
        }
        _ => println!("  latency                   no request succeeded"),
    }
    let failed: u64 = failures.values().sum();
    println!("  failed requests           {failed:>10}");
    for (kind, n) in &failures {
        println!("    {kind:<24}{n:>10}");
    }
    println!(
        "  bare single-row txns      {bare_rate:>10.0} rows/s  (one connection, same database)"
    );
    println!(
        "  ratio                     {:>10.1} %\n",
        100.0 * rate / bare_rate
    );
    println!(
        "server peak RSS (VmHWM)     {:>10.1} MB  (goal <= 150 MB)",
        peak_rss as f64 / 1024.0
    );
    std::io::stdout().flush()?;
    Ok(())
}

/// The latency below which a share `p` of the sorted latencies fall; none for no latencies.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let last = sorted.len().checked_sub(1)?;
    let at = ((sorted.len() as f64 * p) as usize).min(last);
    Some(sorted[at])
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..100 {
        if let Ok(res) = client.get(format!("{base}/readyz")).send().await
            && res.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not become ready")
}

fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/{pid}/status"))
}

const ACCESS_CLIENTS: usize = 16;
const ACCESS_SECONDS: u64 = 5;
const VERIFY_RECORDS: i64 = 1_000_000;

/// Filings per second through the service from [`ACCESS_CLIENTS`] tasks, each first
/// authenticating and asking the policy when `guarded`.
async fn filings_per_second(
    complaints: &redress::service::Complaints,
    auth: &redress::auth::Auth,
    token: &str,
    guarded: bool,
) -> anyhow::Result<f64> {
    use redress::service::{Actor, Caller, NewComplaint};
    let body = serde_json::json!({
        "channel": "web", "region": "US", "product": "Checking or savings account",
        "issue": "Managing an account", "narrative": "The bank charged an overdraft fee twice for one payment.",
        "customer": {"name": "Benchmark Customer", "email": "bench@example.com"}
    });
    redress::audit::set_recording_for_benchmark(guarded);
    let deadline = Instant::now() + Duration::from_secs(ACCESS_SECONDS);
    let started = Instant::now();
    let workers: Vec<_> = (0..ACCESS_CLIENTS)
        .map(|_| {
            let complaints = complaints.clone();
            let auth = auth.clone();
            let token = token.to_owned();
            let body = body.clone();
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    let caller = if guarded {
                        let principal = auth.authenticate(&token).await?.expect("valid token");
                        let scope = auth.policy.scope(
                            &principal.subject,
                            &principal.roles,
                            "complaint",
                            "create",
                        );
                        let pii =
                            auth.policy
                                .scope(&principal.subject, &principal.roles, "pii", "read");
                        anyhow::ensure!(!scope.is_empty(), "the bench token may not file");
                        Caller {
                            actor: Actor(principal.subject),
                            scope,
                            pii,
                        }
                    } else {
                        Caller::system("bench")
                    };
                    let input: NewComplaint = serde_json::from_value(body.clone())?;
                    complaints.file(input, None, &caller).await?;
                    done += 1;
                }
                Ok::<u64, anyhow::Error>(done)
            })
        })
        .collect();
    let mut total = 0;
    for w in workers {
        total += w.await??;
    }
    redress::audit::set_recording_for_benchmark(true);
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

async fn access_and_audit_benchmark(dir: &Path) -> anyhow::Result<()> {
    let settings = Settings::default_for(&sqlite_url(&dir.join("access.db")));
    let db = store::connect(&settings.database).await?;
    store::migrate(&db).await?;
    let complaints = redress::service::Complaints::new(db.clone(), settings.lifecycle.clone());
    let auth = redress::auth::Auth::new(db.clone(), &settings.auth).await?;
    let token = auth
        .tokens
        .issue("bench-agent", "bench", None, "bench")
        .await?
        .token;
    auth.policy
        .add(
            &redress::auth::PolicyLine {
                ptype: "g".into(),
                values: vec!["bench-agent".into(), "agent".into(), "default/US".into()],
            },
            "bench",
        )
        .await?;
    // Warm up once each way, then alternate so drift hits both alike.
    filings_per_second(&complaints, &auth, &token, false).await?;
    let mut off = Vec::new();
    let mut on = Vec::new();
    for _ in 0..2 {
        off.push(filings_per_second(&complaints, &auth, &token, false).await?);
        on.push(filings_per_second(&complaints, &auth, &token, true).await?);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (off, on) = (mean(&off), mean(&on));
    println!("filing through the service, {ACCESS_CLIENTS} tasks, SQLite");
    println!("  without token, policy and audit  {off:>10.0} complaints/s");
    println!("  with token, policy and audit     {on:>10.0} complaints/s");
    println!(
        "  throughput lost                  {:>10.1} %  (goal <= 15 %)\n",
        100.0 * (1.0 - on / off)
    );
    db.close().await?;
    Ok(())
}

async fn verify_benchmark(dir: &Path) -> anyhow::Result<()> {
    use sea_orm::TransactionTrait;
    let settings = Settings::default_for(&sqlite_url(&dir.join("audit.db")));
    let db = store::connect(&settings.database).await?;
    store::migrate(&db).await?;
    let batch = 10_000;
    for start in (0..VERIFY_RECORDS).step_by(batch as usize) {
        let txn = db.begin().await?;
        let entries = (start..start + batch)
            .map(|i| {
                redress::audit::Entry::new("bench", "complaint.filed", format!("complaint:{i}"))
                    .domain("default/US")
                    .details(serde_json::json!({"event_id": i, "to": "received"}))
            })
            .collect();
        redress::audit::append_many(&txn, entries).await?;
        txn.commit().await?;
    }
    let key = redress::audit::parse_signing_key(&format!("{}=", "A".repeat(43)))?;
    redress::audit::seal(&db, &key).await?;
    let started = Instant::now();
    let report = redress::audit::verify(&db, Some(&key.verifying_key())).await?;
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(report.is_intact(), "the generated trail does not verify");
    println!(
        "audit verify over {} records and {} checkpoint(s)",
        report.records, report.checkpoints
    );
    println!("  time                             {elapsed:>10.2} s  (goal <= 10 s)");
    db.close().await?;
    Ok(())
}
