//! Upstream pulls: a big-data list fetched over HTTP and imported as a batch, as `paicha
//! import bigdata` would. The `ETag` and `Last-Modified` of the last list pulled from each URL
//! are kept (`pull_state`, written in the import's own transaction), so an unchanged list —
//! `304 Not Modified`, or the same bytes — writes nothing. A failed pull is logged and tried
//! again after a growing wait; the import is one transaction, so a list is never half
//! imported.

use std::time::Duration;

use rand::Rng as _;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use sea_orm::QueryFilter as _;
use sea_orm::{ActiveValue::Set, ColumnTrait as _, DatabaseTransaction, EntityTrait as _};
use sha2::{Digest as _, Sha256};

use crate::config::limits::{
    EXCHANGE_CONNECT_TIMEOUT, MAX_PULL_BYTES, PULL_RETRY_FIRST, PULL_RETRY_MAX, PULL_TIMEOUT,
};
use crate::config::pull::PullSpec;
use crate::db::pull_state;
use crate::error::AppError;
use crate::intake::BatchReport;
use crate::register::{Hooked, ImportHook, ImportRequest, Register};

/// What one pull did.
#[derive(Debug, Clone, PartialEq)]
pub enum Pulled {
    /// The list had not changed (`304`, or the same bytes as last time): nothing imported.
    Unchanged,
    /// The list was imported as this batch.
    Imported(BatchReport),
}

/// The HTTP client of pulls: a time limit on connecting and on every call.
pub fn client() -> Result<reqwest::Client, AppError> {
    reqwest::Client::builder()
        .connect_timeout(EXCHANGE_CONNECT_TIMEOUT)
        .timeout(PULL_TIMEOUT)
        .build()
        .map_err(|e| {
            AppError::Internal(anyhow::anyhow!(e).context("Failed to build the HTTP client"))
        })
}

/// The file name a pulled list is imported under: the URL's last segment when it names a
/// format intake reads, else one made from the media type (intake reads by extension).
fn file_name(url: &str, content_type: Option<&str>) -> String {
    let last = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.path_segments()?.next_back().map(str::to_owned))
        .unwrap_or_default();
    let known = [".csv", ".xlsx", ".json", ".ndjson"];
    if known
        .iter()
        .any(|ext| last.to_ascii_lowercase().ends_with(ext))
    {
        return last;
    }
    let ext = match content_type.unwrap_or_default() {
        t if t.contains("spreadsheetml") => "xlsx",
        t if t.contains("ndjson") => "ndjson",
        t if t.contains("json") => "json",
        _ => "csv",
    };
    format!("pull.{ext}")
}

/// Stores what was pulled from a URL in the import's transaction.
struct State<'a> {
    url: &'a str,
    etag: Option<String>,
    last_modified: Option<String>,
    sha256: String,
}

async fn save_state(
    txn: &impl sea_orm::ConnectionTrait,
    state: &State<'_>,
    batch_id: Option<i64>,
) -> Result<(), AppError> {
    pull_state::Entity::delete_many()
        .filter(pull_state::Column::Url.eq(state.url))
        .exec(txn)
        .await?;
    pull_state::Entity::insert(pull_state::ActiveModel {
        url: Set(state.url.to_owned()),
        etag: Set(state.etag.clone()),
        last_modified: Set(state.last_modified.clone()),
        content_sha256: Set(Some(state.sha256.clone())),
        batch_id: Set(batch_id),
        pulled_at: Set(chrono::Utc::now()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl ImportHook for State<'_> {
    async fn before(
        &self,
        _txn: &DatabaseTransaction,
    ) -> Result<Option<serde_json::Value>, AppError> {
        Ok(None)
    }

    async fn after(
        &self,
        txn: &DatabaseTransaction,
        reports: &[BatchReport],
    ) -> Result<serde_json::Value, AppError> {
        save_state(txn, self, reports.first().map(|r| r.batch_id)).await?;
        Ok(serde_json::Value::Null)
    }
}

fn fetch_failed(url: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("Failed to pull {url}: {e}"))
}

/// Pulls the list `spec` names once: asks with the stored `ETag` / `Last-Modified`, and
/// imports it unless it is unchanged.
#[tracing::instrument(skip_all, fields(url = %spec.url), err(level = "debug", Debug))]
pub async fn pull_once(
    register: &Register,
    client: &reqwest::Client,
    spec: &PullSpec,
) -> Result<Pulled, AppError> {
    let url = spec.url.as_str();
    let stored = pull_state::Entity::find_by_id(url.to_owned())
        .one(&register.db().conn)
        .await?;
    let mut request = client.get(url);
    if let Some(state) = &stored {
        if let Some(etag) = &state.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &state.last_modified {
            request = request.header(IF_MODIFIED_SINCE, modified);
        }
    }
    let mut response = request.send().await.map_err(|e| fetch_failed(url, e))?;
    if response.status() == StatusCode::NOT_MODIFIED {
        tracing::info!(url, status = 304, "upstream list unchanged");
        return Ok(Pulled::Unchanged);
    }
    if !response.status().is_success() {
        return Err(fetch_failed(url, format!("HTTP {}", response.status())));
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let (etag, last_modified, content_type) =
        (header(ETAG), header(LAST_MODIFIED), header(CONTENT_TYPE));
    if response
        .content_length()
        .is_some_and(|n| n > MAX_PULL_BYTES as u64)
    {
        return Err(fetch_failed(url, "the list is larger than the limit"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fetch_failed(url, e))? {
        if body.len() + chunk.len() > MAX_PULL_BYTES {
            return Err(fetch_failed(url, "the list is larger than the limit"));
        }
        body.extend_from_slice(&chunk);
    }
    let state = State {
        url,
        etag,
        last_modified,
        sha256: hex::encode(Sha256::digest(&body)),
    };
    if stored.as_ref().and_then(|s| s.content_sha256.as_deref()) == Some(state.sha256.as_str()) {
        // The same bytes under a new ETag: remember it, so the next pull is a 304.
        let unchanged_headers = stored
            .as_ref()
            .is_some_and(|s| s.etag == state.etag && s.last_modified == state.last_modified);
        if !unchanged_headers {
            let write = register.db().write("an upstream pull's state").await?;
            save_state(&write.txn, &state, stored.as_ref().and_then(|s| s.batch_id)).await?;
            write.commit().await?;
        }
        tracing::info!(url, status = 200, "upstream list unchanged");
        return Ok(Pulled::Unchanged);
    }
    let name = file_name(url, content_type.as_deref());
    let import = ImportRequest::new(spec.source, &name, body, "pull");
    let reports = match register.import_hooked(import, &state).await? {
        Hooked::Imported { reports, .. } => reports,
        Hooked::Answered(_) => Vec::new(),
    };
    let report = reports
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a pull's import made no report")))?;
    tracing::info!(
        url,
        batch.id = report.batch_id,
        rows.accepted = report.rows_accepted,
        rows.rejected = report.rows_rejected,
        already_imported = report.already_imported,
        "upstream list pulled"
    );
    Ok(if report.already_imported {
        Pulled::Unchanged
    } else {
        Pulled::Imported(report)
    })
}

/// The wait before trying a pull again after `failures` failures in a row: doubling from
/// [`PULL_RETRY_FIRST`] up to [`PULL_RETRY_MAX`] and the pull's own interval, less up to a
/// quarter at random (so hubs that failed together do not retry together).
pub fn backoff(failures: u32, every: Duration) -> Duration {
    let doubled = PULL_RETRY_FIRST.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1)));
    let wait = doubled.min(PULL_RETRY_MAX).min(every);
    let jitter = rand::rng().random_range(0.0..0.25);
    wait.mul_f64(1.0 - jitter)
}

/// Pulls `spec` now and then every `spec.every`, for as long as the task runs; a failure is
/// logged and tried again after [`backoff`].
pub async fn pull_forever(register: Register, client: reqwest::Client, spec: PullSpec) {
    let mut failures = 0u32;
    loop {
        let wait = match pull_once(&register, &client, &spec).await {
            Ok(_) => {
                failures = 0;
                spec.every
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let wait = backoff(failures, spec.every);
                tracing::warn!(
                    url = %spec.url,
                    attempt = failures,
                    retry_in.s = wait.as_secs(),
                    error = %describe(&e),
                    "upstream pull failed; nothing of it was imported"
                );
                wait
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// A failure for the log: the cause of an internal one, the message of the others.
fn describe(e: &AppError) -> String {
    match e {
        AppError::Internal(cause) => format!("{cause:#}"),
        other => other.message().to_owned(),
    }
}

/// Starts a task per pull of the county file (`[[pull]]`); abort them to stop.
pub fn spawn_pulls(register: &Register) -> Result<Vec<tokio::task::JoinHandle<()>>, AppError> {
    let specs = register.reference.pulls.clone();
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let client = client()?;
    Ok(specs
        .iter()
        .cloned()
        .map(|spec| {
            tracing::info!(url = %spec.url, every.s = spec.every.as_secs(), "pulling an upstream list");
            tokio::spawn(pull_forever(register.clone(), client.clone(), spec))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pulled_list_is_named_for_its_format() {
        assert_eq!(file_name("http://h/a/list.xlsx?x=1", None), "list.xlsx");
        assert_eq!(
            file_name("http://h/api/list", Some("application/json")),
            "pull.json"
        );
        assert_eq!(file_name("http://h/", Some("text/csv")), "pull.csv");
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_a_bound() {
        let hour = Duration::from_secs(3600);
        let first = backoff(1, hour);
        assert!(first <= PULL_RETRY_FIRST && first >= PULL_RETRY_FIRST.mul_f64(0.75));
        assert!(backoff(3, hour) > PULL_RETRY_FIRST.mul_f64(2.9));
        assert!(backoff(40, hour) <= PULL_RETRY_MAX);
        assert!(backoff(40, Duration::from_secs(60)) <= Duration::from_secs(60));
    }
}
