//! Which permission each root field of the schema needs, declared once: the fields' guards
//! read it (`#[graphql(guard = "rules::guard(\"persons\")")]`) and the role × operation matrix
//! test (tests/api/access_matrix.rs) checks every role against it. A root field missing here
//! admits nobody, and the matrix test names it.

use async_graphql::{Context, Guard};

use crate::access::guard::{Permission, forbidden, principal};
use crate::access::{Principal, Role};
use crate::error::AppError;

/// Every root query, mutation and subscription field, with the permissions that admit a
/// caller to it (any one of them).
pub const ROOT_FIELDS: &[(&str, &[Permission])] = &[
    // Queries.
    ("persons", &[Permission::ReadPersons]),
    ("searchPersons", &[Permission::ReadPersons]),
    ("person", &[Permission::ReadPersons]),
    ("personByIdNumber", &[Permission::ReadPersons]),
    ("events", &[Permission::ReadHistory]),
    ("aggregates", &[Permission::ReadAggregates]),
    ("stats", &[Permission::ReadAggregates]),
    ("sourceRecords", &[Permission::ReadRecords]),
    ("importBatches", &[Permission::ReadRecords]),
    ("reviewCandidates", &[Permission::ReadReview]),
    ("reviewGroups", &[Permission::ReadReview]),
    ("matchModel", &[Permission::ReadReview]),
    ("auditLog", &[Permission::ReadAudit]),
    // A clerk lists the notices it answers (回函), not their persons (`Notice.records`).
    (
        "notices",
        &[Permission::ReadRecords, Permission::ManageLetters],
    ),
    ("verificationWorklist", &[Permission::ReadPersons]),
    ("alerts", &[Permission::ReadPersons]),
    // Reports with their notes: not for DASHBOARD, which reads `stats.reportsMissingToday`.
    ("dailyReports", &[Permission::ReadPersons]),
    ("briefing", &[Permission::ReadAggregates]),
    ("partners", &[Permission::ManagePartners]),
    ("letters", &[Permission::ReadLetters]),
    ("letter", &[Permission::ReadLetters]),
    ("lettersUnaddressed", &[Permission::ManageLetters]),
    // Every role: who the caller is.
    ("viewer", &Permission::ALL),
    // Mutations.
    (
        "importBatch",
        &[Permission::Import, Permission::SubmitNotice],
    ),
    ("decideCandidate", &[Permission::Resolve]),
    ("mergePersons", &[Permission::Resolve]),
    ("splitPerson", &[Permission::Resolve]),
    (
        "resolveHouseholdLink",
        &[Permission::FieldWork, Permission::Resolve],
    ),
    ("exportPersons", &[Permission::ReadPersons]),
    (
        "updateObservation",
        &[Permission::FieldWork, Permission::Resolve],
    ),
    (
        "recordTemperature",
        &[Permission::FieldWork, Permission::Resolve],
    ),
    (
        "acknowledgeAlert",
        &[Permission::FieldWork, Permission::Resolve],
    ),
    (
        "resolveAlert",
        &[Permission::FieldWork, Permission::Resolve],
    ),
    ("assignTeam", &[Permission::FieldWork, Permission::Resolve]),
    (
        "importTemperatures",
        &[Permission::FieldWork, Permission::Resolve],
    ),
    (
        "fileDailyReport",
        &[Permission::FieldWork, Permission::Resolve],
    ),
    ("recordCase", &[Permission::FieldWork, Permission::Resolve]),
    ("addPartner", &[Permission::ManagePartners]),
    ("removePartner", &[Permission::ManagePartners]),
    ("rotatePartnerSecret", &[Permission::ManagePartners]),
    ("importTeams", &[Permission::FieldWork, Permission::Resolve]),
    ("draftLetters", &[Permission::ManageLetters]),
    ("issueLetter", &[Permission::ManageLetters]),
    ("acknowledgeLetter", &[Permission::ManageLetters]),
    ("cancelLetter", &[Permission::ManageLetters]),
    ("recordLetterReply", &[Permission::ManageLetters]),
    ("replyToNotice", &[Permission::ManageLetters]),
    // Subscriptions.
    ("registerChanges", &[Permission::ReadHistory]),
    ("statsChanged", &[Permission::ReadAggregates]),
    ("alertRaised", &[Permission::ReadPersons]),
];

/// The permissions root field `field` is declared with; none for a field not declared.
pub fn permissions(field: &str) -> &'static [Permission] {
    ROOT_FIELDS
        .iter()
        .find(|(name, _)| *name == field)
        .map_or(&[], |(_, permissions)| *permissions)
}

/// Whether `role` may call root field `field`.
pub fn allows(field: &str, role: Role) -> bool {
    permissions(field).iter().any(|p| p.allows(role))
}

/// The guard of root field `field`: `UNAUTHENTICATED` without a caller, `FORBIDDEN` for a
/// role none of its declared permissions admits.
pub fn guard(field: &'static str) -> DeclaredGuard {
    DeclaredGuard { field }
}

/// The guard [`guard`] makes.
#[derive(Debug, Clone, Copy)]
pub struct DeclaredGuard {
    field: &'static str,
}

impl DeclaredGuard {
    /// The check itself, without async-graphql.
    pub fn admits(&self, caller: &Principal) -> Result<(), AppError> {
        if allows(self.field, caller.role) {
            Ok(())
        } else {
            Err(forbidden(caller.role))
        }
    }
}

impl Guard for DeclaredGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(self.admits(principal(ctx)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_root_field_is_declared_once() {
        let mut names: Vec<&str> = ROOT_FIELDS.iter().map(|(name, _)| *name).collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all, "a root field declared twice");
        assert!(
            ROOT_FIELDS
                .iter()
                .all(|(_, permissions)| !permissions.is_empty())
        );
    }

    #[test]
    fn a_field_not_declared_admits_nobody() {
        assert!(permissions("notAField").is_empty());
        assert!(Role::ALL.iter().all(|role| !allows("notAField", *role)));
        assert!(
            allows("importBatch", Role::Partner),
            "either permission admits"
        );
        assert!(!allows("auditLog", Role::Analyst));
    }
}
