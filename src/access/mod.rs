//! Access control (DESIGN §2 "Access"): who the caller is, what their role may do, which rows
//! they may see, and the audit log of what they saw unmasked and what they changed.
//!
//! - [`token`]: API tokens — created by `paicha token create`, shown once, stored as a hash,
//!   revocable, optionally expiring — and the lookup that turns a presented token into a
//!   [`Principal`].
//! - [`authn`]: the `Authorization: Bearer …` header of HTTP requests and the WebSocket
//!   `connection_init` payload, the access mode (required, or open for tests) and the rate
//!   limit per token.
//! - [`session`]: a WebSocket connection's hold on its token, checked on every operation so
//!   a revoked or expired token stops working on an open connection too.
//! - [`guard`]: what each role may do, in one table ([`Permission`]), enforced by GraphQL field
//!   guards; which township or jurisdiction each object belongs to ([`Scoped`]), and the row
//!   filter list queries apply ([`row_filter`]).
//! - [`submission`]: what a partner may submit — notices sent from within its jurisdiction,
//!   rows that belong to one — checked by the import before it writes a partner's file.
//! - [`audit`]: the append-only audit log, fed through the request's [`audit::AuditTrail`] and
//!   written once per request by [`audit::AuditExtension`].

pub mod audit;
pub mod authn;
pub mod guard;
pub mod session;
pub mod submission;
pub mod token;

use std::fmt;
use std::str::FromStr;

pub use authn::Access;
pub use guard::{Permission, RoleGuard, Scope, Scoped, ScopedEntity, row_filter};
pub use session::Session;

/// What a token may do (DESIGN §2 "Access").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, async_graphql::Enum)]
pub enum Role {
    /// Does everything, unmasked reads and the audit log included.
    Admin,
    /// Reads everything, masked; imports files and decides matches.
    Analyst,
    /// A letter clerk: drafts, issues and tracks the county's letters (and reads their lists,
    /// unmasked and audited, as the letters print them); reads no other personal data.
    Clerk,
    /// A township office: sees and works only on its own township's persons.
    Township,
    /// Another jurisdiction: submits notices and reads only the letters addressed to it.
    Partner,
    /// A dashboard: reads aggregates only, never a person.
    Dashboard,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Self::Admin,
        Self::Analyst,
        Self::Clerk,
        Self::Township,
        Self::Partner,
        Self::Dashboard,
    ];

    /// The stored and displayed name (`ADMIN` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "ADMIN",
            Self::Analyst => "ANALYST",
            Self::Clerk => "CLERK",
            Self::Township => "TOWNSHIP",
            Self::Partner => "PARTNER",
            Self::Dashboard => "DASHBOARD",
        }
    }
}

impl crate::states::Stored for Role {
    const ALL: &'static [Self] = &Self::ALL;

    fn as_str(self) -> &'static str {
        Role::as_str(self)
    }
}

crate::db::stored::stored_as_text!(Role);

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == upper)
            .ok_or_else(|| {
                format!(
                    "未知的角色“{s}”：请使用 ADMIN、ANALYST、CLERK、TOWNSHIP、PARTNER 或 DASHBOARD"
                )
            })
    }
}

/// The caller of a request, as its token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token presented; `None` only when access control is off (see [`Access::open`]).
    pub token_id: Option<i64>,
    /// What the caller may do.
    pub role: Role,
    /// For `TOWNSHIP`: the canonical name of the one township it serves.
    pub township: Option<String>,
    /// For `PARTNER`: the GB/T 2260 code of its jurisdiction.
    pub partner: Option<String>,
}

impl Principal {
    /// The caller of a request without a token while access control is off: an admin without
    /// a token. Only [`Access::open`] hands it out.
    pub fn unrestricted() -> Self {
        Self {
            token_id: None,
            role: Role::Admin,
            township: None,
            partner: None,
        }
    }

    /// Who acted, as the register records it (`token:12`, or `open` without a token):
    /// `ImportRequest::actor`, `decided_by` and resolution events take this.
    pub fn actor(&self) -> String {
        match self.token_id {
            Some(id) => format!("token:{id}"),
            None => "open".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_in_any_case() {
        for role in Role::ALL {
            assert_eq!(role.as_str().to_lowercase().parse::<Role>(), Ok(role));
        }
        let unknown = "root".parse::<Role>().expect_err("no such role");
        assert!(
            unknown.contains("“root”") && unknown.contains("ADMIN"),
            "{unknown}"
        );
    }

    #[test]
    fn the_actor_names_the_token() {
        let mut p = Principal::unrestricted();
        assert_eq!(p.actor(), "open");
        p.token_id = Some(12);
        assert_eq!(p.actor(), "token:12");
    }
}
