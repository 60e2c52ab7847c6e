//! Shared setup: a fresh store per test on SQLite (a temporary file) or PostgreSQL (a schema
//! of its own in the `test` database), and the API in-process over it.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use base64::Engine;
use redress::Settings;
use redress::api::{self, AppState};
use redress::auth::{Auth, PolicyLine};
use redress::service::Complaints;
use serde_json::Value;
use sha2::{Digest, Sha256};

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
    pub auth: Auth,
    pub audit_key: Arc<ed25519_dalek::SigningKey>,
    /// An administrator's token (role `admin` in every domain); [`TestStore::app`] sends it.
    pub admin_token: String,
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
        let b64 = |seed: &str| {
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(seed.as_bytes()))
        };
        settings.audit.signing_key = Some(b64(&random_suffix()));
        settings
            .security
            .master_keys
            .insert("m1".into(), b64(&random_suffix()));
        settings.security.index_key = Some(b64(&random_suffix()));
        adjust(&mut settings);
        let db = redress::store::connect(&settings.database)
            .await
            .expect("connect to the test database");
        redress::store::migrate(&db).await.expect("migrate");
        let complaints = Complaints::new(db.clone(), settings.lifecycle.clone())
            .with_default_institution(&settings.tenancy.default_institution)
            .with_keys(redress::keys::Keyring::load(&settings.security).expect("test keys"))
            .with_tasks(settings.tasks.clone());
        let auth = Auth::new(db, &settings.auth).await.expect("auth set-up");
        let audit_key = Arc::new(
            redress::audit::parse_signing_key(settings.audit.signing_key.as_deref().unwrap())
                .expect("signing key"),
        );
        let mut store = Self {
            settings,
            complaints,
            auth,
            audit_key,
            admin_token: String::new(),
            _dir: dir,
        };
        store.admin_token = store.token_for("test-admin", &[("admin", "*")]).await;
        store
    }

    /// Issues a token for `subject` holding each (role, domain).
    pub async fn token_for(&self, subject: &str, roles: &[(&str, &str)]) -> String {
        for (role, domain) in roles {
            self.grant(&["g", subject, role, domain]).await;
        }
        self.auth
            .tokens
            .issue(subject, "test", None, "test")
            .await
            .expect("token issued")
            .token
    }

    /// Adds a policy line, given as its type and values.
    pub async fn grant(&self, line: &[&str]) {
        self.auth
            .policy
            .add(
                &PolicyLine {
                    ptype: line[0].to_owned(),
                    values: line[1..].iter().map(|v| (*v).to_owned()).collect(),
                },
                "test",
            )
            .await
            .expect("policy line added");
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

    /// The API over this store, in-process, sending the administrator's token with every
    /// request that carries no `Authorization` of its own.
    pub async fn app(
        &self,
    ) -> impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    > {
        self.app_with(Some(self.admin_token.clone())).await
    }

    /// The API sending `token` by default, or nothing at all when None.
    pub async fn app_with(
        &self,
        token: Option<String>,
    ) -> impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    > {
        self.app_announcing(token, redress::workers::Control::default())
            .await
    }

    /// The API sending `token` by default and announcing changes through `control`.
    pub async fn app_announcing(
        &self,
        token: Option<String>,
        control: redress::workers::Control,
    ) -> impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    > {
        let inner = test::init_service(api::app(
            AppState {
                complaints: self.complaints.clone(),
                plugin_upload_limit: 32 << 20,
                auth: self.auth.clone(),
                audit_key: Some(self.audit_key.clone()),
                control,
            },
            self.settings.http.body_limit,
        ))
        .await;
        WithToken { inner, token }
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

/// Adds `Authorization: Bearer <token>` to requests that have none.
pub struct WithToken<S> {
    inner: S,
    token: Option<String>,
}

impl<S, B> Service<actix_http::Request> for WithToken<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = S::Future;

    actix_web::dev::forward_ready!(inner);

    fn call(&self, mut req: actix_http::Request) -> Self::Future {
        use actix_web::HttpMessage;
        use actix_web::http::header::{AUTHORIZATION, HeaderValue};
        if let Some(token) = &self.token
            && !req.headers().contains_key(AUTHORIZATION)
        {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("header value");
            req.headers_mut().insert(AUTHORIZATION, value);
        }
        self.inner.call(req)
    }
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
