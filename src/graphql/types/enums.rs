//! The GraphQL enums. Each stands for the core enum named in its `remote` (async-graphql
//! derives the conversions both ways); the database reads and writes the core enums
//! (`crate::states`), so an unknown stored name is an error before it reaches the API.

use async_graphql::Enum;

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

/// Where a person is, as decided from the evidence.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::LocationStatus")]
pub enum LocationStatus {
    /// Living in the county: home observation applies.
    InCounty,
    /// Elsewhere, in the jurisdiction named: a notification letter goes there.
    OutOfCounty,
    /// Not yet verified on site (for instance known only from a big-data list).
    PendingVerification,
}

/// How a person is linked to Hubei.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::HubeiLink")]
pub enum HubeiLink {
    /// Came from (or through) Wuhan.
    Wuhan,
    /// Came from elsewhere in Hubei province.
    OtherHubei,
    /// No origin recorded yet.
    Unknown,
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
    /// The register was searched by a full ID number or phone (`fields` holds what was
    /// looked for, `idNumber:` or `phone:` and the sha256 of the normalised value).
    Search,
    /// The register was changed (an import, a decision, a merge, a split).
    Mutation,
    /// The register was written out on the command line (`paicha export`): the OS user, the
    /// command and the number of rows are in `operation`.
    Export,
}

/// What a resolution event records.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::EventKind")]
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
    /// The person's location status changed: `detail` gives the old and new status (`from`,
    /// `to`) and the deciding record and rule.
    Location,
}

/// Where a review candidate stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::states::ReviewState")]
pub enum ReviewState {
    /// Waiting for an analyst.
    Pending,
    /// Decided: the two records are one person.
    Same,
    /// Decided: the two records are two persons.
    Different,
    /// Left the queue undecided: no longer proposed (see `closedReason`).
    Withdrawn,
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::resolver_utils::EnumType;

    use crate::states::{self, Stored};

    /// Each GraphQL enum has the core enum's values, each under its stored name.
    fn same_names<C: Stored, G: From<C> + EnumType + PartialEq>() {
        assert_eq!(C::ALL.len(), G::items().len());
        for core in C::ALL {
            let value = G::from(*core);
            let item = G::items().iter().find(|i| i.value == value);
            assert_eq!(item.map(|i| i.name), Some(core.as_str()));
        }
    }

    #[test]
    fn every_graphql_enum_has_its_core_enums_stored_names() {
        same_names::<crate::intake::SourceKind, Source>();
        same_names::<states::LocationStatus, LocationStatus>();
        same_names::<states::HubeiLink, HubeiLink>();
        same_names::<crate::normalize::Sex, Sex>();
        same_names::<crate::normalize::IdClass, IdClass>();
        same_names::<states::EventKind, EventKind>();
        same_names::<states::ReviewState, ReviewState>();
        same_names::<crate::access::audit::AuditKind, AuditKind>();
    }
}
