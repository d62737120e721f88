//! `GET /exports/{id}.{csv|xlsx}`: the files `exportPersons` makes, until they expire.
//!
//! A file is kept in memory for [`EXPORT_TTL`] after it is made, all files together at most
//! [`MAX_EXPORT_STORE_BYTES`]. Its ID is 128 random bits, and only the token that made it
//! may fetch it (`Authorization: Bearer …`, the same token): a URL that leaks into a log or a
//! chat is no use without that token, and a revoked or expired token fetches nothing. Any
//! other caller, an expired file and an unknown ID all answer 404 alike.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use rand::{RngCore as _, SeedableRng as _};

use super::{AppState, MediaType, error_response};
use crate::access::Principal;
use crate::config::limits::{EXPORT_TTL, MAX_EXPORT_STORE_BYTES};
use crate::error::{AppError, code};
use crate::register::query::ExportFormat;

/// One file waiting to be downloaded.
struct Stored {
    /// The token that made it (`None`: access control off).
    owner: Option<i64>,
    format: ExportFormat,
    bytes: Bytes,
    expires: Instant,
}

/// The export files of one server, shared by the GraphQL requests that make them and the
/// route that serves them.
#[derive(Clone)]
pub struct ExportStore {
    files: Arc<Mutex<HashMap<String, Stored>>>,
    capacity: usize,
}

impl Default for ExportStore {
    fn default() -> Self {
        Self::new(MAX_EXPORT_STORE_BYTES)
    }
}

/// A file kept: where to fetch it and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The path of the file on this server (`/exports/{id}.csv`).
    pub path: String,
    /// When it is deleted.
    pub expires_at: DateTime<Utc>,
}

impl ExportStore {
    /// A store holding at most `capacity` bytes of files at once.
    pub fn new(capacity: usize) -> Self {
        Self {
            files: Arc::default(),
            capacity,
        }
    }

    fn files(&self) -> std::sync::MutexGuard<'_, HashMap<String, Stored>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `BUSY` unless `bytes` more fit beside the files not yet expired.
    pub fn check_room(&self, bytes: usize) -> Result<(), AppError> {
        self.room(&mut self.files(), bytes)
    }

    /// [`ExportStore::check_room`] under the lock already held on `files`, expired files
    /// dropped first.
    fn room(&self, files: &mut HashMap<String, Stored>, bytes: usize) -> Result<(), AppError> {
        let now = Instant::now();
        files.retain(|_, f| f.expires > now);
        let held: usize = files.values().map(|f| f.bytes.len()).sum();
        if held.saturating_add(bytes) > self.capacity {
            return Err(AppError::Busy(format!(
                "导出文件暂存空间已满（上限 {} MiB，文件 {} 分钟后过期删除），本次未导出，请稍后再试",
                self.capacity / (1024 * 1024),
                EXPORT_TTL.as_secs() / 60
            )));
        }
        Ok(())
    }

    /// Keeps `bytes` for `owner` until [`EXPORT_TTL`] from now; `BUSY` when they do not fit.
    pub fn keep(
        &self,
        owner: Option<i64>,
        format: ExportFormat,
        bytes: Vec<u8>,
    ) -> Result<Kept, AppError> {
        let mut files = self.files();
        self.room(&mut files, bytes.len())?;
        let mut id = [0u8; 16];
        rand::rngs::StdRng::from_os_rng().fill_bytes(&mut id);
        let id = hex::encode(id);
        let expires_at = Utc::now()
            + chrono::Duration::from_std(EXPORT_TTL).unwrap_or(chrono::Duration::hours(1));
        let path = format!("/exports/{id}.{}", format.extension());
        files.insert(
            id,
            Stored {
                owner,
                format,
                bytes: Bytes::from(bytes),
                expires: Instant::now() + EXPORT_TTL,
            },
        );
        Ok(Kept { path, expires_at })
    }

    /// The file `name` (`{id}.{extension}`) if `owner` made it and it has not expired.
    fn fetch(&self, name: &str, owner: Option<i64>) -> Option<(ExportFormat, Bytes)> {
        let (id, extension) = name.rsplit_once('.')?;
        let mut files = self.files();
        let now = Instant::now();
        files.retain(|_, f| f.expires > now);
        let file = files.get(id)?;
        (file.owner == owner && file.format.extension() == extension)
            .then(|| (file.format, file.bytes.clone()))
    }
}

/// Serves an export file to the token that made it (the route is behind [`super::admit`]).
pub(super) async fn download(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    Path(name): Path<String>,
) -> Response {
    let Some(Extension(principal)) = principal else {
        let mut response = error_response(
            StatusCode::UNAUTHORIZED,
            MediaType::Json,
            code::UNAUTHENTICATED,
            "需要令牌：请在 Authorization 头中提供生成该文件的 Bearer 令牌",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    };
    let Some((format, bytes)) = state.exports.fetch(&name, principal.token_id) else {
        return error_response(
            StatusCode::NOT_FOUND,
            MediaType::Json,
            code::NOT_FOUND,
            "没有该导出文件：文件已过期（生成 1 小时后删除），或不是由当前令牌生成的",
        );
    };
    let disposition = format!(
        "attachment; filename=\"persons.{ext}\"; filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%AF%BC%E5%87%BA.{ext}",
        ext = format.extension()
    );
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_fetched_by_its_owner_only_and_the_store_is_capped() {
        let store = ExportStore::new(10);
        let kept = store
            .keep(Some(4), ExportFormat::Csv, b"abcdef".to_vec())
            .expect("kept");
        let name = kept.path.trim_start_matches("/exports/");
        assert_eq!(name.len(), 32 + ".csv".len());
        assert!(store.fetch(name, Some(4)).is_some());
        assert!(store.fetch(name, Some(5)).is_none(), "another token");
        assert!(store.fetch(name, None).is_none());
        let xlsx = name.replace(".csv", ".xlsx");
        assert!(store.fetch(&xlsx, Some(4)).is_none(), "another extension");
        let full = store.keep(Some(4), ExportFormat::Csv, b"abcdef".to_vec());
        assert!(matches!(full, Err(AppError::Busy(_))), "{full:?}");
    }
}
