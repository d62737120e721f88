//! A WebSocket connection's hold on its token: checked on every operation, and watched
//! while the connection is open, so a revoked or expired token stops working on an open
//! connection as it does over HTTP.
//!
//! Checking is cheap: the expiry is compared locally every time; the token is read again
//! only when this process has committed a revocation since the last read (the generation of
//! [`token::revocations`]) or when the last read is older than [`RECHECK`]. A revocation made
//! by this server is therefore seen at once; one made by another process (`paicha token
//! revoke`) within [`RECHECK`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;

use super::token::{self, Standing};
use super::{Access, Principal};
use crate::error::AppError;

/// How long a connection trusts its token without reading it again: the longest a
/// revocation by another process goes unnoticed.
pub const RECHECK: Duration = Duration::from_secs(5);

/// The caller of one WebSocket connection, and when its token was last read.
pub struct Session {
    access: Access,
    standing: Standing,
    revocations: watch::Receiver<u64>,
    /// The revocation generation and the instant of the last read.
    read: Mutex<(u64, Instant)>,
}

impl Session {
    /// A session of `standing`, read from the database just now.
    pub(super) fn new(access: Access, standing: Standing) -> Self {
        let revocations = token::revocations();
        let generation = *revocations.borrow();
        Self {
            access,
            standing,
            revocations,
            read: Mutex::new((generation, Instant::now())),
        }
    }

    /// The caller.
    pub fn principal(&self) -> &Principal {
        &self.standing.principal
    }

    /// `Ok` while the token still works; `UNAUTHENTICATED` once it is revoked or expired
    /// (other errors: the token could not be read).
    pub async fn check(&self) -> Result<(), AppError> {
        let Some(id) = self.standing.principal.token_id else {
            // Access control is off and no token was given: nothing to lose.
            return Ok(());
        };
        let now = Utc::now();
        if self.standing.expires_at.is_some_and(|at| at <= now) {
            return Err(token::expired());
        }
        // The generation is taken before the read: a revocation committed during it bumps
        // the generation again and is read next time.
        let generation = *self.revocations.borrow();
        let fresh = self
            .read
            .lock()
            .map(|read| read.0 == generation && read.1.elapsed() < RECHECK)
            .unwrap_or(false);
        if fresh {
            return Ok(());
        }
        token::recheck(&self.access.db.conn, id, now).await?;
        if let Ok(mut read) = self.read.lock() {
            *read = (generation, Instant::now());
        }
        Ok(())
    }

    /// Resolves once the token stops working (revoked or expired), with the reason; never
    /// without a token. A read that fails is logged and tried again later.
    pub async fn lapsed(&self) -> AppError {
        if self.standing.principal.token_id.is_none() {
            return std::future::pending().await;
        }
        let mut revocations = self.revocations.clone();
        loop {
            let expiry = async {
                match self.standing.expires_at.map(|at| at - Utc::now()) {
                    Some(left) => tokio::time::sleep(left.to_std().unwrap_or_default()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = revocations.changed() => {
                    if changed.is_err() {
                        // The sender lives as long as the process; this is never reached.
                        std::future::pending::<()>().await;
                    }
                }
                () = tokio::time::sleep(RECHECK) => {}
                () = expiry => {}
            }
            match self.check().await {
                Ok(()) => {}
                Err(err @ AppError::Unauthenticated(_)) => return err,
                Err(err) => {
                    if let AppError::Internal(cause) = &err {
                        tracing::error!(error = format!("{cause:#}"), "token re-read failed");
                    }
                }
            }
        }
    }
}
