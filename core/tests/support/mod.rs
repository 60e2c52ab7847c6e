//! Real processes for the cluster tests: `redress serve` replicas, a NATS server of the
//! test's own, and the shared PostgreSQL in a schema of the test's own.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redress::bus::{Bus, BusConfig, Queue};
use redress::config::DatabaseSettings;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

pub const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const SHARED_NATS: &str = "nats://127.0.0.1:4222";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn wait_for_port(port: u16, up: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let open = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if open == up {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "port {port} never became {}",
        if up { "open" } else { "closed" }
    );
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}{}_{nanos}", std::process::id())
}

/// A JetStream server of the test's own, on a free port, storing in a temporary folder
/// that survives its restarts.
pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
    /// More command-line options, e.g. `--user` and `--pass`.
    options: Vec<String>,
}

impl NatsServer {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(options: &[&str]) -> Self {
        let mut server = Self {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("/usr/sbin/nats-server")
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.dir.path())
            .args(&self.options)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("/usr/sbin/nats-server runs");
        self.child = Some(child);
        wait_for_port(self.port, true);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            wait_for_port(self.port, false);
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Settings shared by the replicas of one test.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub schema: String,
    pub prefix: String,
    pub nats_url: String,
    pub config: PathBuf,
    /// An administrator's API token, bootstrapped on the cluster's fresh schema.
    pub token: String,
}

impl Cluster {
    pub fn new(nats_url: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let schema = unique("cl_");
        let prefix = unique("c");
        let config = dir.path().join("redress.toml");
        std::fs::write(
            &config,
            format!(
                r#"[database]
url = "{POSTGRES_URL}"
schema = "{schema}"
max_connections = 4

[http]
workers = 2

[log]
filter = "warn,redress=info"

[plugins]
dir = "{plugins}"

[nats]
url = "{nats_url}"
prefix = "{prefix}"

[outbox]
lease_ms = 1000
poll_ms = 50
max_backoff_ms = 1000

[tasks]
escalation_interval_ms = 200

[[tasks.departments]]
name = "fraud"
ack_wait_secs = 5
max_deliver = 5

[[tasks.departments]]
name = "legal"

[[tasks.rules]]
department = "fraud"
question = "Is this card activity fraudulent?"
product_contains = "Credit card"
issue_contains = "fraud"
"#,
                plugins = dir.path().join("plugins").display(),
            ),
        )
        .expect("settings written");
        let mut cluster = Self {
            dir,
            schema,
            prefix,
            nats_url: nats_url.to_owned(),
            config,
            token: String::new(),
        };
        let out = cluster
            .redress(&["admin", "bootstrap"])
            .output()
            .expect("redress runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.token = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find(|l| l.starts_with("rdr_"))
            .expect("bootstrap prints the token")
            .to_owned();
        cluster
    }

    /// The binary with this cluster's settings.
    pub fn redress(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_redress"));
        command
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path());
        command
    }

    pub fn start_core(&self) -> Core {
        let port = free_port();
        let log = std::fs::File::create(self.dir.path().join(format!("core-{port}.log")))
            .expect("log file");
        let child = self
            .redress(&["serve"])
            .env("REDRESS_HTTP__BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("redress serve runs");
        Core {
            child: Some(child),
            port,
            token: self.token.clone(),
        }
    }

    pub fn log_of(&self, core: &Core) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("core-{}.log", core.port)))
            .unwrap_or_default()
    }

    pub async fn db(&self) -> DatabaseConnection {
        redress::store::connect(&DatabaseSettings {
            url: POSTGRES_URL.into(),
            max_connections: 2,
            schema: Some(self.schema.clone()),
        })
        .await
        .expect("PostgreSQL")
    }

    /// A bus client on the cluster's subjects, as a department or a warehouse would be.
    pub async fn bus(&self) -> Bus {
        Bus::nats(&self.nats_url, BusConfig::new(&self.prefix))
            .await
            .expect("NATS client")
    }

    pub async fn finish(&self) {
        self.bus().await.remove_streams().await;
        let db = self.db().await;
        db.execute_unprepared(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema))
            .await
            .expect("drop schema");
    }

    /// A number from the database.
    pub async fn count(&self, sql: &str) -> i64 {
        let db = self.db().await;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                sql.to_owned(),
            ))
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("a number")
    }
}

pub struct Core {
    child: Option<Child>,
    pub port: u16,
    token: String,
}

/// Where a replica's API answers, and the token to show it.
#[derive(Debug, Clone)]
pub struct Api {
    pub url: String,
    pub token: String,
}

impl Core {
    pub fn base(&self) -> Api {
        Api {
            url: format!("http://127.0.0.1:{}", self.port),
            token: self.token.clone(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or_default()
    }

    pub async fn ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(res) = client
                .get(format!("{}/readyz", self.base().url))
                .send()
                .await
                && res.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("replica on {} never became ready", self.port);
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.kill();
    }
}

/// CFPB complaint 3192750 as filed: a card opened through identity theft.
pub fn identity_theft_complaint() -> Value {
    json!({
        "channel": "web",
        "region": "US",
        "product": "Credit card or prepaid card",
        "sub_product": "General-purpose credit card or charge card",
        "issue": "Getting a credit card",
        "sub_issue": "Card opened as result of identity theft or fraud",
        "company": "Example Bank",
        "customer": {"name": "Jane Q. Customer", "email": "jane.customer@example.com"},
        "customer_time_zone": "America/New_York"
    })
}

pub async fn post(api: &Api, path: &str, body: &Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", api.url))
        .bearer_auth(&api.token)
        .json(body)
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn get(api: &Api, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", api.url))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON")
}

/// Files a complaint on `base`; returns its id.
pub async fn file(api: &Api) -> i64 {
    let (status, body) = post(api, "/v1/complaints", &identity_theft_complaint()).await;
    assert_eq!(status, 201, "{body}");
    body["complaint"]["id"].as_i64().expect("id")
}

/// Takes everything from `queue` until `expected` distinct keys were seen and the queue
/// stays quiet for two seconds, acknowledging each; counts how often each key came.
pub async fn drain(
    bus: &Bus,
    queue: &Queue,
    key: &str,
    expected: usize,
    within: Duration,
) -> BTreeMap<i64, u32> {
    let mut seen: BTreeMap<i64, u32> = BTreeMap::new();
    let deadline = Instant::now() + within;
    let mut quiet_since: Option<Instant> = None;
    while Instant::now() < deadline {
        let taken = match bus.fetch(queue, 256, Duration::from_millis(500)).await {
            Ok(taken) => taken,
            Err(_) => continue,
        };
        if taken.is_empty() {
            if seen.len() >= expected {
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= Duration::from_secs(2) {
                    break;
                }
            }
            continue;
        }
        quiet_since = None;
        for delivery in taken {
            let body: Value = serde_json::from_slice(&delivery.payload).expect("JSON message");
            *seen.entry(body[key].as_i64().expect("key")).or_default() += 1;
            delivery.ack().await.expect("ack");
        }
    }
    seen
}

pub fn path_of(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}
