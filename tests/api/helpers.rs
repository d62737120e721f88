//! `spawn_app` and friends: a register on a fresh database, served over real HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

pub use paicha::access::authn::Mode as AccessMode;
use paicha::access::token::TokenSpec;
use paicha::access::{Access, Role};
use paicha::error::AppError;
use paicha::http::Limits;
use paicha::intake::{BatchReport, SourceKind};
use paicha::register::ImportRequest;
use paicha::synth::SynthFiles;
use paicha::{Reference, Register};
use reqwest::StatusCode;
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
    /// The URL of the hub's database, for a second handle or a command beside the hub.
    pub database_url: String,
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
    let conn = &register.db().conn;
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

/// Starts a hub with the given access mode, HTTP limits and per-token rate limit (`None`: the
/// default rate).
pub async fn spawn_app_configured(
    backend: Backend,
    mode: AccessMode,
    limits: Limits,
    rate_per_minute: Option<std::num::NonZeroU32>,
) -> Option<TestApp> {
    let reference = Reference::load(None).expect("demo county");
    spawn_app_with(backend, mode, limits, rate_per_minute, reference).await
}

/// A hub as `paicha serve --demo` starts one: tokens required, the county's today pinned to
/// the demo scenario's last day (the demo itself is not seeded).
pub async fn spawn_demo_app(backend: Backend) -> Option<TestApp> {
    let reference = Reference::load(None)
        .expect("demo county")
        .with_today(paicha::demo::scenario_last_day());
    spawn_app_with(
        backend,
        AccessMode::Required,
        Limits::default(),
        std::num::NonZeroU32::new(TEST_RATE_PER_MINUTE),
        reference,
    )
    .await
}

/// A hub as [`spawn_app_configured`] starts one, for the county and clock of `reference`.
pub async fn spawn_app_with(
    backend: Backend,
    mode: AccessMode,
    limits: Limits,
    rate_per_minute: Option<std::num::NonZeroU32>,
    reference: Reference,
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, &dir).await?;
    let register = paicha::open_register(&url, reference)
        .await
        .expect("open register");
    let mut access = match mode {
        AccessMode::Open => Access::open(register.db().clone()),
        AccessMode::Required => Access::required(register.db().clone()),
    };
    if let Some(rate) = rate_per_minute {
        access = access.with_rate_limit(rate);
    }
    let admin_token = register
        .create_token(
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
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    Some(TestApp {
        register,
        addr,
        client: reqwest::Client::new(),
        admin_token,
        access_required: mode == AccessMode::Required,
        database_url: url,
        _dir: dir,
    })
}

/// Another hub on `app`'s backend, refusing requests without a token, with the given HTTP
/// limits and per-token rate (`None`: the default rate).
pub async fn spawn_like(
    app: &TestApp,
    limits: Limits,
    rate_per_minute: Option<std::num::NonZeroU32>,
) -> Option<TestApp> {
    let backend = match app.register.db().backend() {
        sea_orm::DbBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    spawn_app_configured(backend, AccessMode::Required, limits, rate_per_minute).await
}

/// A big-data list of `rows` distinct persons, each with a name and a phone (CSV).
pub fn phone_list(rows: usize) -> String {
    let mut csv = String::from("record_id,name,phone\n");
    for i in 0..rows {
        csv.push_str(&format!("R{i},测试{i},139{i:08}\n"));
    }
    csv
}

/// Path of a file in `fixtures/samples/`.
pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/samples")
        .join(name)
}

/// Bytes of a file in `fixtures/samples/`.
pub fn sample_bytes(name: &str) -> Vec<u8> {
    std::fs::read(sample(name)).expect("sample file")
}

/// Imports `contents` as file `name` of `source`; the import must succeed.
pub async fn import_file(
    register: &Register,
    source: SourceKind,
    name: &str,
    contents: impl AsRef<[u8]>,
) -> BatchReport {
    register
        .import(ImportRequest::new(
            source,
            name,
            contents.as_ref().to_vec(),
            "test",
        ))
        .await
        .unwrap_or_else(|e| panic!("{name} imports: {e:?}"))
}

/// A request importing `csv` as the big-data list `list.csv` that fails on purpose after
/// writing `records` records.
pub fn list_failing_after(csv: &str, records: usize) -> ImportRequest<'static> {
    ImportRequest {
        fail_after_records: Some(records),
        ..ImportRequest::new(
            SourceKind::Bigdata,
            "list.csv",
            csv.as_bytes().to_vec(),
            "test",
        )
    }
}

/// Runs `request`, which fails on purpose (`fail_after_records`), and checks that it failed
/// by that injected failure and nothing else.
pub async fn import_failing_on_purpose(register: &Register, request: ImportRequest<'_>) {
    let failed = register
        .import(request)
        .await
        .expect_err("the injected failure stops the import");
    assert!(
        matches!(&failed, AppError::Internal(cause) if cause.to_string().contains("injected failure")),
        "{failed:?}"
    );
}

/// A father and a son sharing a phone on a township form, and a big-data entry with only that
/// phone: whose phone it is cannot be told (records F1, F2 and P1).
pub async fn import_family_with_a_shared_phone(register: &Register) {
    for (source, name, text) in [
        (
            SourceKind::Township,
            "family.csv",
            "record_id,township,name,id_number,phone\n\
             F1,城关镇,周建军,411599198104300378,13598761234\n\
             F2,城关镇,周明,41159920110914003X,13598761234\n",
        ),
        (
            SourceKind::Bigdata,
            "phone.csv",
            "record_id,phone\nP1,13598761234\n",
        ),
    ] {
        import_file(register, source, name, text).await;
    }
}

/// Imports the three files of a synthetic county (big data, township, external, in that
/// order); returns their reports in that order.
pub async fn import_synthetic(register: &Register, files: &SynthFiles) -> Vec<BatchReport> {
    let mut reports = Vec::new();
    for (source, name, text) in [
        (SourceKind::Bigdata, "bigdata.csv", &files.bigdata_csv),
        (SourceKind::Township, "township.csv", &files.township_csv),
        (SourceKind::External, "external.json", &files.external_json),
    ] {
        reports.push(import_file(register, source, name, text).await);
    }
    reports
}

/// The multipart body of a GraphQL request whose `operations` read one uploaded file from
/// `variables.f`: `bytes`, named `name`.
pub fn upload_form(operations: &Value, name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", r#"{"0":["variables.f"]}"#)
        .part(
            "0",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        )
}

/// A connection of its own to the database at `url`, as another tool would open it: it can
/// write where the register's own readers cannot (a test damaging rows on purpose).
pub async fn raw_connection(url: &str) -> sea_orm::DatabaseConnection {
    Database::connect(url)
        .await
        .expect("a connection of its own")
}

/// The `paicha` command on the database at `db`, for the demo county.
pub fn paicha_command(db: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_paicha"));
    cmd.env("DATABASE_URL", db).env_remove("PAICHA_COUNTY");
    cmd
}

/// Runs `command`, which must succeed, and returns its standard output.
pub fn run_ok(command: &mut std::process::Command) -> String {
    let out = command.output().expect("run paicha");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
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
        let token = self.access_required.then_some(self.admin_token.as_str());
        let (status, body) = self.post_as(token, query, variables).await;
        assert_eq!(status, StatusCode::OK, "GraphQL over HTTP status: {body}");
        body
    }

    /// Sends `request` with `token` as its bearer token (`None`: without a token); returns the
    /// status and the JSON body, whatever the status.
    pub async fn send_as(
        &self,
        token: Option<&str>,
        mut request: reqwest::RequestBuilder,
    ) -> (StatusCode, Value) {
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }

    /// POSTs a GraphQL request as `token` (`None`: without a token); returns the status and
    /// the JSON body, whatever the status.
    pub async fn post_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let request = self
            .client
            .post(self.graphql_url())
            .json(&json!({ "query": query, "variables": variables }));
        self.send_as(token, request).await
    }

    /// POSTs the multipart upload of [`upload_form`] as `token`; returns the status and the
    /// JSON body, whatever the status.
    pub async fn upload_as(
        &self,
        token: Option<&str>,
        operations: &Value,
        name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let request = self
            .client
            .post(self.graphql_url())
            .multipart(upload_form(operations, name, bytes));
        self.send_as(token, request).await
    }

    /// POSTs a GraphQL request that must succeed without errors; returns `data`.
    pub async fn gql_data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Rows in a table of the register (the audit log has a store of its own: see
    /// [`TestApp::audit_entries`]).
    pub async fn count(&self, table: &str) -> i64 {
        count_rows(&self.register, table).await
    }

    /// The whole audit log, oldest first.
    pub async fn audit_entries(&self) -> Vec<paicha::db::audit_log::Model> {
        paicha::access::audit::entries(self.register.db().audit())
            .await
            .expect("the audit log")
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
