//! What an operator does to the register beside its data: tokens, the audit log, and closing
//! a command's connection. The CLI and the server reach the database only through these and
//! the register's other methods.

use super::Register;
use crate::access::Access;
use crate::access::audit;
use crate::access::token::{self, Issued, TokenSpec};
use crate::db::{api_token, audit_log};
use crate::error::AppError;

impl Register {
    /// Access control over this register's tokens: every request needs a valid one.
    pub fn access_required(&self) -> Access {
        Access::required(self.db.clone())
    }

    /// Creates a token as `spec` says; its secret is in the answer, shown this once.
    #[tracing::instrument(skip_all, err(level = "debug", Debug))]
    pub async fn create_token(&self, spec: TokenSpec) -> Result<Issued, AppError> {
        let write = self.db.write("a new token").await?;
        let issued = token::create(&write.txn, spec).await?;
        write.commit().await?;
        Ok(issued)
    }

    /// A new demo ADMIN token, revoking the one a previous `serve --demo` made.
    #[tracing::instrument(skip_all, err(level = "debug", Debug))]
    pub async fn demo_admin_token(&self) -> Result<String, AppError> {
        let write = self.db.write("the demo token").await?;
        let token = token::demo_admin(&write.txn).await?;
        write.commit().await?;
        Ok(token)
    }

    /// Every token, oldest first (hashes only: no secret is stored).
    #[tracing::instrument(skip_all, err(level = "debug", Debug))]
    pub async fn tokens(&self) -> Result<Vec<api_token::Model>, AppError> {
        token::list(&self.db.conn).await
    }

    /// Revokes token `id`; false when it was revoked already.
    #[tracing::instrument(skip_all, fields(token.id = id), err(level = "debug", Debug))]
    pub async fn revoke_token(&self, id: i64) -> Result<bool, AppError> {
        let write = self.db.write("a token revocation").await?;
        let revoked = token::revoke(&write.txn, id).await?;
        write.commit().await?;
        if revoked {
            token::announce_revocation();
        }
        Ok(revoked)
    }

    /// The whole audit log, oldest first.
    #[tracing::instrument(skip_all, err(level = "debug", Debug))]
    pub async fn audit_entries(&self) -> Result<Vec<audit_log::Model>, AppError> {
        audit::entries(self.db.audit()).await
    }

    /// Ends a command's use of the database: what it wrote leaves the write-ahead log, and a
    /// database a command opened alone goes back to its write-ahead log. Failures are logged
    /// (the command's work is committed already).
    pub async fn close_command(&self) {
        if let Err(e) = self.db.checkpoint().await {
            tracing::warn!(error = %e, "final checkpoint failed");
        }
        if let Err(e) = self.db.release().await {
            tracing::warn!(error = %e, "the database could not go back to its write-ahead log");
        }
    }
}
