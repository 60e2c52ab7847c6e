//! Shared setup: a fresh store per test on SQLite (a temporary file) or PostgreSQL (a schema
//! of its own in the `test` database), and the API in-process over it.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use redress::Settings;
use redress::api::{self, AppState};
use redress::service::Complaints;
use serde_json::Value;

/// PostgreSQL as this machine and CI run it: trust auth, database `test`.
pub const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestStore {
    pub settings: Settings,
    pub complaints: Complaints,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    pub async fn new(backend: Backend) -> Self {
        Self::with(backend, |_| {}).await
    }

    /// A store whose settings `adjust` may change first.
    pub async fn with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        let (mut settings, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("redress.db").display()
                );
                (Settings::default_for(&url), Some(dir))
            }
            Backend::Postgres => {
                let mut settings = Settings::default_for(POSTGRES_URL);
                settings.database.schema = Some(format!("rt_{}", random_suffix()));
                settings.database.max_connections = 4;
                (settings, None)
            }
        };
        adjust(&mut settings);
        let db = redress::store::connect(&settings.database)
            .await
            .expect("connect to the test database");
        redress::store::migrate(&db).await.expect("migrate");
        let complaints =
            Complaints::new(db, settings.lifecycle.clone()).with_tasks(settings.tasks.clone());
        Self {
            settings,
            complaints,
            _dir: dir,
        }
    }

    /// A store whose complaints ask the plugins in `host` for their compliance rules.
    pub async fn with_plugins(
        backend: Backend,
        host: std::sync::Arc<redress_plugin_host::PluginHost>,
    ) -> Self {
        let mut store = Self::new(backend).await;
        store.complaints = store
            .complaints
            .clone()
            .with_compliance(redress::compliance::Compliance::with_host(host));
        store
    }

    /// Drops the PostgreSQL schema; SQLite files go with the temporary directory.
    pub async fn finish(&self) {
        if let Some(schema) = &self.settings.database.schema {
            use sea_orm::ConnectionTrait;
            self.complaints
                .db()
                .execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .await
                .expect("drop test schema");
        }
    }

    /// The API over this store, in-process.
    pub async fn app(
        &self,
    ) -> impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    > {
        self.app_with(redress::workers::Control::default()).await
    }

    /// The API over this store, announcing changes through `control`.
    pub async fn app_with(
        &self,
        control: redress::workers::Control,
    ) -> impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    > {
        test::init_service(api::app(
            AppState {
                complaints: self.complaints.clone(),
                plugin_upload_limit: 32 << 20,
                control,
            },
            self.settings.http.body_limit,
        ))
        .await
    }

    /// Complaints stored, counted straight from the table.
    pub async fn complaint_rows(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        redress::store::entity::complaint::Entity::find()
            .count(self.complaints.db())
            .await
            .expect("count")
    }

    pub async fn event_rows(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        redress::store::entity::complaint_event::Entity::find()
            .count(self.complaints.db())
            .await
            .expect("count")
    }
}

/// A subject prefix no other test uses, so tests sharing one NATS server never see each
/// other's streams.
pub fn unique_prefix() -> String {
    format!("t{}", random_suffix())
}

fn random_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Sends a request and returns the status and the JSON body (Null when there is none).
pub async fn send<S, B>(app: &S, req: test::TestRequest) -> (u16, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    let bytes = test::read_body(res).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
    };
    (status, body)
}

pub fn post_json(path: &str, body: &Value) -> test::TestRequest {
    test::TestRequest::post().uri(path).set_json(body)
}

pub fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get().uri(path)
}

/// A valid complaint to file; tests change what they test.
pub fn new_complaint() -> Value {
    serde_json::json!({
        "channel": "web",
        "region": "UK",
        "language": "en-GB",
        "product": "Credit card or prepaid card",
        "issue": "Problem with a purchase shown on your statement",
        "narrative": "I was charged twice for a single purchase and the bank ignored my letter.",
        "company": "Example Bank plc",
        "customer": {
            "name": "Jane Q. Customer",
            "email": "jane.customer@example.com",
            "phone": "+44 20 7946 0000",
            "customer_number": "CUST-99812"
        },
        "amount_disputed": {"amount": "125.50", "currency": "GBP"},
        "tags": ["Older American"],
        "customer_time_zone": "Europe/London"
    })
}

/// Files a complaint and returns its id and tracking token.
pub async fn file<S, B>(app: &S, body: &Value) -> (i64, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, body) = send(app, post_json("/v1/complaints", body)).await;
    assert_eq!(status, 201, "{body}");
    (
        body["complaint"]["id"].as_i64().expect("id"),
        body["tracking_token"].as_str().expect("token").to_owned(),
    )
}

pub fn data_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/cfpb")
        .join(name)
}

/// Runs each listed test against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            )*
        }
    };
}
