//! The audit log: who read personal data unmasked, or changed the register, and when.

use async_graphql::{ID, Object, Result};
use chrono::{DateTime, Utc};

use super::common::{Read, ids};
use super::enums::AuditKind;
use crate::db::audit_log;

/// One entry of the append-only audit log: who read personal data unmasked, or changed the
/// register, and when.
pub struct AuditEntry(pub audit_log::Model);

impl AuditEntry {
    /// `field` reading this entry's row.
    fn read(&self, field: &'static str) -> Read {
        Read::new(field, "audit_log", self.0.id)
    }
}

/// One entry of the append-only audit log: who read personal data unmasked, or changed the
/// register, and when.
#[Object]
impl AuditEntry {
    /// Entry ID (entries are numbered in the order they were written).
    async fn id(&self) -> ID {
        ID::from(self.0.id)
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The token that acted (null for the command line).
    async fn token_id(&self) -> Option<ID> {
        self.0.token_id.map(ID::from)
    }
    /// Its role (`ADMIN` …; `CLI` for the command line).
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// Why the entry was written.
    async fn kind(&self) -> Option<AuditKind> {
        Some(self.0.kind.into())
    }
    /// The operation: the client's operation name and the root fields that ran
    /// (`GetPerson: person`).
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// IDs of the persons read, found (a search) or changed.
    async fn persons(&self) -> Result<Vec<ID>> {
        let persons: Vec<i64> = self.read("AuditEntry.persons").json(&self.0.persons)?;
        Ok(ids(&persons))
    }
    /// The fields read unmasked (`idNumber`, `phones` …); for a search, what it looked for
    /// (`idNumber:` or `phone:` and the sha256 of the normalised value); empty for changes.
    async fn fields(&self) -> Result<Vec<String>> {
        Ok(self.read("AuditEntry.fields").json(&self.0.fields)?)
    }
}
