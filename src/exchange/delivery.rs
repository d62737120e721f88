//! The delivery worker: letters issued electronically to a partner hub are posted from the
//! outbox written in the issue's transaction (see `register::letters::outbox`), signed with
//! the partner's secret (read at each attempt), under the row's `Idempotency-Key`.
//!
//! - every call has a time limit ([`DeliverySettings::timeout`]); at most
//!   [`DeliverySettings::concurrency`] run at once;
//! - a row is claimed with a lease before its call, so several servers on one database never
//!   send it at once (and a server that died mid-call leaves it to another once the lease
//!   ends); the receiver's idempotency makes a second call after a lost answer harmless;
//! - a 2xx delivers it (the letter `DELIVERED`); no answer, a 5xx, 401, 408 or 429 is tried
//!   again after an exponential backoff with jitter, stored as the row's next attempt time;
//!   any other 4xx means the request itself is wrong and is not tried again (`FAILED`);
//! - the worker wakes when a letter is queued (a [`tokio::sync::Notify`]) and polls besides.
//!
//! Logs name the partner, the letter's ID and key (`letter-<our code>-<year>-<serial>`: its
//! number), the attempt and the status, never a person.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng as _;
use tokio::sync::Semaphore;

use super::signing::{self, IDEMPOTENCY_HEADER};
use crate::config::limits::{
    DELIVERY_CONCURRENCY, DELIVERY_POLL, DELIVERY_RETRY_FIRST, DELIVERY_RETRY_MAX,
    DELIVERY_TIMEOUT, EXCHANGE_CONNECT_TIMEOUT,
};
use crate::db::outbox;
use crate::error::AppError;
use crate::register::Register;
use crate::register::letters::outbox::AttemptOutcome;

/// How the worker delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySettings {
    /// The wait after the first failed attempt; it doubles with each failure.
    pub retry_first: Duration,
    /// The longest wait between attempts.
    pub retry_max: Duration,
    /// Longest one call may take, its answer read included.
    pub timeout: Duration,
    /// Calls at once, at most.
    pub concurrency: usize,
    /// How often the worker looks for due rows when nothing wakes it.
    pub poll: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            retry_first: DELIVERY_RETRY_FIRST,
            retry_max: DELIVERY_RETRY_MAX,
            timeout: DELIVERY_TIMEOUT,
            concurrency: DELIVERY_CONCURRENCY,
            poll: DELIVERY_POLL,
        }
    }
}

impl DeliverySettings {
    /// How long a claim holds a row: twice the call's time limit and a margin to record it.
    /// A server killed mid-call leaves its rows to the others (or to itself, restarted) once
    /// this has passed; a record later than this at worst sends the row once more, which the
    /// receiver answers as a replay.
    pub fn lease(&self) -> Duration {
        self.timeout
            .saturating_mul(2)
            .saturating_add(Duration::from_secs(5))
    }

    /// The wait before attempt `attempts + 1` after `attempts` failures: doubling from
    /// `retry_first` up to `retry_max`, less up to a quarter at random, so hubs that failed
    /// together do not all retry at the same moment.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doubled = self
            .retry_first
            .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1).min(30)));
        let wait = doubled.min(self.retry_max);
        let jitter = rand::rng().random_range(0.0..0.25);
        wait.mul_f64(1.0 - jitter)
    }
}

/// The HTTP client of deliveries: a time limit on connecting and on every call.
pub fn client(settings: &DeliverySettings) -> Result<reqwest::Client, AppError> {
    reqwest::Client::builder()
        .connect_timeout(EXCHANGE_CONNECT_TIMEOUT.min(settings.timeout))
        .timeout(settings.timeout)
        .build()
        .map_err(|e| {
            AppError::Internal(anyhow::anyhow!(e).context("Failed to build the HTTP client"))
        })
}

/// Whether an answer with `status` is worth the same request again later.
fn retryable(status: reqwest::StatusCode) -> bool {
    status.is_server_error() || matches!(status.as_u16(), 401 | 408 | 425 | 429)
}

/// The receiver's error (`code: message`) from a JSON error answer, else the status.
fn error_of(status: reqwest::StatusCode, body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    match error {
        Some(e) => format!(
            "HTTP {}: {} {}",
            status.as_u16(),
            e.get("code").and_then(|c| c.as_str()).unwrap_or_default(),
            e.get("message")
                .and_then(|m| m.as_str())
                .unwrap_or_default()
        ),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// One attempt at `row`: posts its body to its partner, signed now.
async fn attempt(
    register: &Register,
    client: &reqwest::Client,
    settings: &DeliverySettings,
    row: &outbox::Model,
) -> AttemptOutcome {
    let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
    let retry = |status: Option<u16>, error: String| AttemptOutcome::Retry {
        status,
        error,
        retry_in: settings.backoff(attempts),
    };
    let partner = match super::partners::find(&register.db().conn, &row.partner_code).await {
        Ok(Some(p)) => p,
        Ok(None) => return retry(None, format!("协作单位 {} 未登记", row.partner_code)),
        Err(e) => return retry(None, format!("读取协作单位失败：{}", e.message())),
    };
    let url = format!("{}{}", partner.base_url.trim_end_matches('/'), row.path);
    let body = row.body.clone().into_bytes();
    let signed = signing::sign(
        &register.reference.gazetteer.code,
        partner.secret.as_bytes(),
        "POST",
        &row.path,
        &body,
        chrono::Utc::now().timestamp(),
    );
    let mut request = client
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(IDEMPOTENCY_HEADER, &row.idempotency_key)
        .body(body);
    for (name, value) in signed.headers() {
        request = request.header(name, value);
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let what = if e.is_timeout() {
                "超时未应答"
            } else if e.is_connect() {
                "无法连接"
            } else {
                "请求失败"
            };
            return retry(None, format!("{what}：{}", without_url(&e)));
        }
    };
    let status = response.status();
    let answer = match response.bytes().await {
        Ok(b) => b,
        Err(e) => {
            return retry(
                Some(status.as_u16()),
                format!("应答未能读完：{}", without_url(&e)),
            );
        }
    };
    if status.is_success() {
        AttemptOutcome::Delivered {
            status: status.as_u16(),
        }
    } else if retryable(status) {
        retry(Some(status.as_u16()), error_of(status, &answer))
    } else {
        AttemptOutcome::Failed {
            status: status.as_u16(),
            error: error_of(status, &answer),
        }
    }
}

/// A transport error without its URL (a letter number in a path is not personal, but keep the
/// record short).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut first = true;
    while let Some(s) = source {
        if !first {
            text.push_str(": ");
        }
        first = false;
        text.push_str(&s.to_string());
        source = s.source();
    }
    match e.url() {
        Some(url) => text.replace(&format!(" ({url})"), ""),
        None => text,
    }
}

/// Attempts `row` and records how it ended.
async fn deliver(
    register: Register,
    client: reqwest::Client,
    settings: DeliverySettings,
    row: outbox::Model,
) {
    let at = chrono::Utc::now();
    let started = Instant::now();
    let outcome = attempt(&register, &client, &settings, &row).await;
    let took = started.elapsed();
    match &outcome {
        AttemptOutcome::Delivered { status } => tracing::info!(
            partner = %row.partner_code,
            letter.id = row.letter_id,
            key = %row.idempotency_key,
            kind = ?row.kind,
            attempt = row.attempts,
            status,
            took.ms = took.as_millis() as u64,
            "letter delivered to a partner hub"
        ),
        AttemptOutcome::Retry {
            status,
            error,
            retry_in,
        } => tracing::warn!(
            partner = %row.partner_code,
            letter.id = row.letter_id,
            key = %row.idempotency_key,
            attempt = row.attempts,
            status = ?status,
            error = %error,
            retry_in.ms = retry_in.as_millis() as u64,
            "letter delivery failed; tried again later"
        ),
        AttemptOutcome::Failed { status, error } => tracing::error!(
            partner = %row.partner_code,
            letter.id = row.letter_id,
            key = %row.idempotency_key,
            attempt = row.attempts,
            status,
            error = %error,
            "letter delivery refused by the partner hub; not tried again"
        ),
    }
    if let Err(e) = register.record_delivery(&row, at, took, &outcome).await {
        // The lease ends and the row is tried again: the receiver answers a replay.
        tracing::warn!(
            partner = %row.partner_code,
            letter.id = row.letter_id,
            key = %row.idempotency_key,
            attempt = row.attempts,
            error = ?e,
            "could not record a delivery attempt"
        );
    }
}

/// Delivers due outbox rows for as long as the task runs.
pub async fn deliver_forever(
    register: Register,
    client: reqwest::Client,
    settings: DeliverySettings,
) {
    let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let woken = register.deliveries_woken();
    loop {
        let free = permits.available_permits() as u64;
        match register.claim_deliveries(free, settings.lease()).await {
            Ok(rows) => {
                for row in rows {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    let (register, client) = (register.clone(), client.clone());
                    let woken = woken.clone();
                    tokio::spawn(async move {
                        deliver(register, client, settings, row).await;
                        drop(permit);
                        // A place is free: look for more work.
                        woken.notify_one();
                    });
                }
            }
            Err(e) => tracing::warn!(error = ?e, "could not claim deliveries"),
        }
        let wait = match register.next_delivery_due().await {
            Ok(Some(due)) => (due - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(settings.poll),
            _ => settings.poll,
        };
        // Due now but no place free: wait for a call to end.
        let wait = if permits.available_permits() == 0 {
            settings.poll
        } else {
            wait.max(Duration::from_millis(20))
        };
        tokio::select! {
            () = woken.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Starts the delivery worker of `register`; abort it to stop.
pub fn spawn_delivery(
    register: &Register,
    settings: DeliverySettings,
) -> Result<tokio::task::JoinHandle<()>, AppError> {
    let client = client(&settings)?;
    tracing::info!(
        concurrency = settings.concurrency,
        timeout.ms = settings.timeout.as_millis() as u64,
        retry_first.ms = settings.retry_first.as_millis() as u64,
        "delivering letters to partner hubs"
    );
    Ok(tokio::spawn(deliver_forever(
        register.clone(),
        client,
        settings,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_with_jitter_up_to_the_bound() {
        let s = DeliverySettings {
            retry_first: Duration::from_secs(2),
            retry_max: Duration::from_secs(60),
            ..DeliverySettings::default()
        };
        let first = s.backoff(1);
        assert!(first <= Duration::from_secs(2) && first >= Duration::from_millis(1500));
        let third = s.backoff(3);
        assert!(third <= Duration::from_secs(8) && third >= Duration::from_secs(6));
        assert!(s.backoff(40) <= Duration::from_secs(60));
        assert!(s.backoff(u32::MAX) <= Duration::from_secs(60));
        // Two hubs failing together rarely wait exactly as long.
        let waits: std::collections::HashSet<_> = (0..20).map(|_| s.backoff(5)).collect();
        assert!(waits.len() > 1);
    }

    #[test]
    fn only_errors_of_the_request_itself_are_final() {
        for code in [500u16, 502, 503, 401, 408, 429] {
            assert!(retryable(
                reqwest::StatusCode::from_u16(code).expect("status")
            ));
        }
        for code in [400u16, 404, 409, 413, 422] {
            assert!(!retryable(
                reqwest::StatusCode::from_u16(code).expect("status")
            ));
        }
        assert_eq!(
            error_of(
                reqwest::StatusCode::CONFLICT,
                br#"{"error":{"code":"CONFLICT","message":"x"}}"#
            ),
            "HTTP 409: CONFLICT x"
        );
    }
}
