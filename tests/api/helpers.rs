//! `spawn_app` and friends: a register on a fresh database, served over real HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

pub use paicha::access::authn::Mode as AccessMode;
use paicha::access::token::{self, TokenSpec};
use paicha::access::{Access, Role};
use paicha::error::AppError;
use paicha::http::Limits;
use paicha::intake::{BatchReport, SourceKind};
use paicha::register::ImportRequest;
use paicha::{Reference, Register};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running hub on its own database.
pub struct TestApp {
    pub register: Register,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// An ADMIN token of this hub; `gql` sends it when access control is on.
    pub admin_token: String,
    /// Whether the hub refuses requests without a token (`Access::required`).
    pub access_required: bool,
    _dir: tempfile::TempDir,
}

/// Runs the named async test functions (each taking a `TestApp`) once per backend.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) =
                        $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await
                    else {
                        eprintln!("PAICHA_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
                        return;
                    };
                    super::$name(app).await;
                }
            )*
        }
    };
}

/// Runs the named async test functions (each taking a [`Backend`], for tests that open their
/// own registers) once per backend; PostgreSQL only when `PAICHA_TEST_POSTGRES_URL` is set.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if std::env::var_os("PAICHA_TEST_POSTGRES_URL").is_none() {
                        eprintln!("PAICHA_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// A register on a fresh database of `backend` (which must be configured), for the demo
/// county, matching with `profile`; the directory holds an SQLite file while it lives.
pub async fn open_register(
    backend: Backend,
    profile: paicha::resolve::profile::Profile,
) -> (Register, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, &dir)
        .await
        .expect("the backend is configured");
    let reference = Reference::load(None).expect("demo county");
    let register = paicha::open_register_with(&url, reference, profile)
        .await
        .expect("open register");
    (register, dir)
}

/// Rows in `table` of the register's database.
pub async fn count_rows(register: &Register, table: &str) -> i64 {
    let conn = &register.db.conn;
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count query")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("count")
}

static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// A database URL for a fresh, empty database; `None` for PostgreSQL when it is not configured.
pub async fn fresh_database(backend: Backend, dir: &tempfile::TempDir) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("paicha.db").display()
        )),
        Backend::Postgres => {
            let base = std::env::var("PAICHA_TEST_POSTGRES_URL").ok()?;
            let name = format!(
                "paicha_t_{}_{}_{}",
                std::process::id(),
                NEXT_DB.fetch_add(1, Ordering::SeqCst),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0)
            );
            let admin = Database::connect(&base)
                .await
                .expect("PAICHA_TEST_POSTGRES_URL must be reachable");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
            Some(format!("{prefix}/{name}"))
        }
    }
}

/// Requests a minute each token of a test hub may send: tests fire requests far faster than
/// people do, and the rate limit has tests of its own.
pub const TEST_RATE_PER_MINUTE: u32 = 600_000;

/// Starts a hub on a fresh database (migrated) and an ephemeral port that refuses every request
/// without a valid token, as `paicha serve` does; `gql` sends the hub's admin token.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_configured(
        backend,
        AccessMode::Required,
        Limits::default(),
        std::num::NonZeroU32::new(TEST_RATE_PER_MINUTE),
    )
    .await
}

/// Starts a hub that refuses every request without a valid token, as `paicha serve` does.
pub async fn spawn_secured_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, AccessMode::Required, Limits::default()).await
}

/// Starts a hub with the given access mode and HTTP limits (rate limit: the default).
pub async fn spawn_app_with(backend: Backend, mode: AccessMode, limits: Limits) -> Option<TestApp> {
    spawn_app_configured(backend, mode, limits, None).await
}

/// Starts a hub with the given access mode, HTTP limits and per-token rate limit.
pub async fn spawn_app_configured(
    backend: Backend,
    mode: AccessMode,
    limits: Limits,
    rate_per_minute: Option<std::num::NonZeroU32>,
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, &dir).await?;
    let reference = Reference::load(None).expect("demo county");
    let register = paicha::open_register(&url, reference)
        .await
        .expect("open register");
    let mut access = match mode {
        AccessMode::Open => Access::open(register.db.clone()),
        AccessMode::Required => Access::required(register.db.clone()),
    };
    if let Some(rate) = rate_per_minute {
        access = access.with_rate_limit(rate);
    }
    let admin_token = token::create(
        &register.db.conn,
        TokenSpec::parse(Role::Admin, None, None, &register.reference).expect("admin spec"),
    )
    .await
    .expect("admin token")
    .token;
    let app =
        paicha::http::router_with_limits(paicha::graphql::schema(register.clone()), access, limits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Some(TestApp {
        register,
        addr,
        client: reqwest::Client::new(),
        admin_token,
        access_required: mode == AccessMode::Required,
        _dir: dir,
    })
}

/// Path of a file in `fixtures/samples/`.
/// A big-data list of `rows` distinct persons, each with a name and a phone (CSV).
pub fn phone_list(rows: usize) -> String {
    let mut csv = String::from("record_id,name,phone\n");
    for i in 0..rows {
        csv.push_str(&format!("R{i},测试{i},139{i:08}\n"));
    }
    csv
}

pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/samples")
        .join(name)
}

/// Bytes of a file in `fixtures/samples/`.
pub fn sample_bytes(name: &str) -> Vec<u8> {
    std::fs::read(sample(name)).expect("sample file")
}

impl TestApp {
    /// The `/graphql` URL.
    pub fn graphql_url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// Imports a sample file.
    pub async fn import(&self, source: SourceKind, name: &str) -> Result<BatchReport, AppError> {
        let bytes = sample_bytes(name);
        self.register
            .import(ImportRequest::new(source, name, bytes.clone(), "test"))
            .await
    }

    /// Imports a sample file that must import.
    pub async fn import_ok(&self, source: SourceKind, name: &str) -> BatchReport {
        self.import(source, name).await.expect("import succeeds")
    }

    /// Imports every sample file of every source (the readable ones).
    pub async fn import_all_samples(&self) {
        for (source, name) in [
            (SourceKind::Township, "township.csv"),
            (SourceKind::Township, "township_trad.csv"),
            (SourceKind::Township, "township_gb18030.csv"),
            (SourceKind::Township, "township.xlsx"),
            (SourceKind::Bigdata, "bigdata.ndjson"),
            (SourceKind::Bigdata, "bigdata.json"),
            (SourceKind::External, "external.json"),
        ] {
            self.import_ok(source, name).await;
        }
    }

    /// POSTs a GraphQL request and returns the JSON body (status must be 200); with access
    /// control on, as the hub's admin.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(self.graphql_url())
            .json(&json!({ "query": query, "variables": variables }));
        if self.access_required {
            request = request.bearer_auth(&self.admin_token);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 200, "GraphQL over HTTP status");
        response.json().await.expect("JSON body")
    }

    /// POSTs a GraphQL request that must succeed without errors; returns `data`.
    pub async fn gql_data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Rows in a table.
    pub async fn count(&self, table: &str) -> i64 {
        count_rows(&self.register, table).await
    }

    /// The person ID a current source record is linked to.
    pub async fn person_of(&self, source: SourceKind, record_id: &str) -> i64 {
        let rows = self.register.export_records().await.expect("export");
        rows.into_iter()
            .find(|(s, r, _)| s == source.as_db() && r == record_id)
            .map(|(_, _, p)| p)
            .unwrap_or_else(|| panic!("record {source}/{record_id} not found"))
    }
}
