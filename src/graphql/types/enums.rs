//! The GraphQL enums. Each stands for the core enum named in its `remote` (async-graphql
//! derives the conversions both ways) and reads stored names with that enum's own parser.

use async_graphql::Enum;

use crate::access::audit;
use crate::intake::SourceKind;
use crate::normalize;
use crate::register;

/// Where a record came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::intake::SourceKind")]
pub enum Source {
    /// 大数据核查: lists pushed by the province (telecom roaming, rail and air manifests).
    Bigdata,
    /// 镇办实地核查: door-to-door checks by township and street offices.
    Township,
    /// 外地通报协查: notices from other jurisdictions.
    External,
}

impl Source {
    /// Reads the stored name (`SourceKind::from_db`).
    pub fn from_stored(s: &str) -> Option<Self> {
        SourceKind::from_db(s).map(Self::from)
    }
}

/// Where a person is, as decided from the evidence.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::LocationStatus")]
pub enum LocationStatus {
    /// Living in the county: home observation applies.
    InCounty,
    /// Elsewhere, in the jurisdiction named: a notification letter goes there.
    OutOfCounty,
    /// Not yet verified on site (for instance known only from a big-data list).
    PendingVerification,
}

impl LocationStatus {
    /// Reads the stored name (`register::LocationStatus::from_str_opt`).
    pub fn from_stored(s: &str) -> Option<Self> {
        register::LocationStatus::from_str_opt(s).map(Self::from)
    }
}

/// How a person is linked to Hubei.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::HubeiLink")]
pub enum HubeiLink {
    /// Came from (or through) Wuhan.
    Wuhan,
    /// Came from elsewhere in Hubei province.
    OtherHubei,
    /// No origin recorded yet.
    Unknown,
}

impl HubeiLink {
    /// Reads the stored name (`register::HubeiLink::as_str`).
    pub fn from_stored(s: &str) -> Option<Self> {
        register::HubeiLink::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .map(Self::from)
    }
}

/// Sex, from the record or decoded from the ID number.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::normalize::Sex")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// Reads the stored name (`normalize::Sex::from_str_opt`).
    pub fn from_stored(s: &str) -> Option<Self> {
        normalize::Sex::from_str_opt(s).map(Self::from)
    }
}

/// How an ID number was classified.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::normalize::IdClass")]
pub enum IdClass {
    /// An 18-character number whose check digit is right.
    Valid,
    /// 18 characters, but the check digit is wrong: a typo somewhere.
    ChecksumFailed,
    /// Partly hidden with `*`: only the known prefix and suffix can be compared.
    Masked,
    /// Not an ID number.
    Malformed,
}

/// Why an audit-log entry was written.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::access::audit::AuditKind")]
pub enum AuditKind {
    /// ID numbers, phones or addresses were returned unmasked.
    UnmaskedRead,
    /// The register was changed (an import, a decision, a merge, a split).
    Mutation,
}

impl AuditKind {
    /// Reads the stored name (`audit::AuditKind::from_str_opt`).
    pub fn from_stored(s: &str) -> Option<Self> {
        audit::AuditKind::from_str_opt(s).map(Self::from)
    }

    /// The name stored in the database.
    pub fn as_stored(self) -> &'static str {
        audit::AuditKind::from(self).as_str()
    }
}

// The only definition of the kinds until the register has an enum of its own: the register
// writes these names as text (`src/register/`); the API reads and filters by them here.
/// What a resolution event records.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EventKind {
    /// A person entered the register with its founding record.
    Create,
    /// A record joined an existing person.
    Link,
    /// Two persons became one (the other person redirects to this one).
    Merge,
    /// Records were split off into a new person.
    Split,
    /// An analyst decided: same, different, merge or split.
    Decision,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 5] = [
        Self::Create,
        Self::Link,
        Self::Merge,
        Self::Split,
        Self::Decision,
    ];

    /// The name stored in the database.
    pub fn as_stored(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Link => "LINK",
            Self::Merge => "MERGE",
            Self::Split => "SPLIT",
            Self::Decision => "DECISION",
        }
    }

    /// Reads the stored name.
    pub fn from_stored(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_stored() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_name_reads_back_as_its_graphql_value() {
        for kind in SourceKind::ALL {
            assert_eq!(Source::from_stored(kind.as_db()), Some(kind.into()));
        }
        for status in register::LocationStatus::ALL {
            assert_eq!(
                LocationStatus::from_stored(status.as_str()),
                Some(status.into())
            );
        }
        for link in register::HubeiLink::ALL {
            assert_eq!(HubeiLink::from_stored(link.as_str()), Some(link.into()));
        }
        for sex in normalize::Sex::ALL {
            assert_eq!(Sex::from_stored(sex.as_str()), Some(sex.into()));
        }
        for kind in audit::AuditKind::ALL {
            assert_eq!(AuditKind::from_stored(kind.as_str()), Some(kind.into()));
        }
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_stored(kind.as_stored()), Some(kind));
        }
        assert_eq!(HubeiLink::from_stored("NONE"), None);
    }
}
