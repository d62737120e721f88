//! The states the register stores, each one Rust enum: the database entities hold these types
//! (stored as their names, see [`crate::db::stored`]) and the GraphQL schema derives its enums
//! from them. No state is written as a string literal anywhere else.
//!
//! The source kind, sex and ID class live with the code that reads them from files
//! ([`crate::intake::SourceKind`], [`crate::normalize::Sex`], [`crate::normalize::IdClass`]);
//! they implement [`Stored`] too.

use serde::{Deserialize, Serialize};

/// An enum stored in the database as its name (`IN_COUNTY`, `PENDING` …).
pub trait Stored: Copy + Sized + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];

    /// The name stored in the database and shown in the API.
    fn as_str(self) -> &'static str;

    /// The value stored as `name`, if any.
    fn from_stored(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == name)
    }
}

/// Declares a stored enum: the variants with their stored names and doc lines.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $stored:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $stored)] $variant, )+
        }

        impl Stored for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $stored,)+
                }
            }
        }
    };
}

stored_enum! {
    /// Where a person is, as the register decides it from the evidence.
    pub enum LocationStatus {
        /// Living in the county: home observation applies.
        InCounty = "IN_COUNTY",
        /// Elsewhere, in the jurisdiction named: a letter goes there.
        OutOfCounty = "OUT_OF_COUNTY",
        /// Not yet verified on site.
        PendingVerification = "PENDING_VERIFICATION",
    }
}

stored_enum! {
    /// How the person is linked to Hubei.
    pub enum HubeiLink {
        /// Came from (or through) Wuhan.
        Wuhan = "WUHAN",
        /// Came from elsewhere in Hubei province.
        OtherHubei = "OTHER_HUBEI",
        /// No origin recorded yet.
        Unknown = "UNKNOWN",
    }
}

stored_enum! {
    /// Where a review candidate stands: waiting for an analyst, decided, or withdrawn.
    pub enum ReviewState {
        /// Waiting for an analyst.
        Pending = "PENDING",
        /// Decided: the two records are the same person.
        Same = "SAME",
        /// Decided: the two records are different people.
        Different = "DIFFERENT",
        /// Left the queue undecided: a later run no longer proposes the pair (its records
        /// were merged, the two persons were decided on through another pair, or they no
        /// longer look alike). A run that proposes it again reopens it under the same ID.
        Withdrawn = "WITHDRAWN",
    }
}

stored_enum! {
    /// What a resolution event records.
    pub enum EventKind {
        /// A record founded a new person.
        Create = "CREATE",
        /// A record was linked to an existing person.
        Link = "LINK",
        /// Two persons were found to be one; the other person redirects here.
        Merge = "MERGE",
        /// Part of a person was split off into a new person.
        Split = "SPLIT",
        /// An analyst decided a review candidate, merged persons or split one.
        Decision = "DECISION",
        /// The person's location status changed (old and new status, the deciding record).
        Location = "LOCATION",
    }
}

// The enums read from files live with their readers (normalize/ and intake/ use no database
// types); they are stored the same way.

impl Stored for crate::intake::SourceKind {
    const ALL: &'static [Self] = &Self::ALL;

    fn as_str(self) -> &'static str {
        self.as_db()
    }
}

impl Stored for crate::normalize::Sex {
    const ALL: &'static [Self] = &Self::ALL;

    fn as_str(self) -> &'static str {
        crate::normalize::Sex::as_str(self)
    }
}

impl Stored for crate::normalize::IdClass {
    const ALL: &'static [Self] = &[
        Self::Valid,
        Self::ChecksumFailed,
        Self::Masked,
        Self::Malformed,
    ];

    fn as_str(self) -> &'static str {
        crate::normalize::IdClass::as_str(self)
    }
}

stored_enum! {
    /// Where a person's home medical observation (居家医学观察) stands.
    pub enum ObservationState {
        /// Within the observation period (14 days from arrival by default).
        UnderObservation = "UNDER_OBSERVATION",
        /// The period is over with no open fever alert.
        Released = "RELEASED",
        /// Moved to concentrated quarantine or a hospital.
        Transferred = "TRANSFERRED",
        /// The team cannot reach the person.
        LostContact = "LOST_CONTACT",
    }
}

stored_enum! {
    /// One of the two daily temperature checks.
    pub enum Slot {
        /// The morning check (due by noon, China time, by default).
        Morning = "MORNING",
        /// The afternoon check (due by 20:00, China time, by default).
        Afternoon = "AFTERNOON",
    }
}

stored_enum! {
    /// What a follow-up alert is about.
    pub enum AlertKind {
        /// A reading at or above the fever threshold (37.3 °C by default).
        Fever = "FEVER",
        /// A check whose hour passed without a reading.
        MissedCheck = "MISSED_CHECK",
        /// A township whose daily report for the day was not filed by the county's due hour
        /// (`[reports] due_hour`); about the township, not a person.
        ReportMissing = "REPORT_MISSING",
    }
}

stored_enum! {
    /// Where a follow-up alert stands.
    pub enum AlertState {
        /// Raised, nobody has answered it yet.
        Open = "OPEN",
        /// Someone has seen it and is on it.
        Acknowledged = "ACKNOWLEDGED",
        /// Dealt with.
        Resolved = "RESOLVED",
    }
}

stored_enum! {
    /// A member's role in a person's responsible team (五包一).
    pub enum TeamRole {
        /// 乡镇干部.
        TownshipCadre = "TOWNSHIP_CADRE",
        /// 村干部.
        VillageCadre = "VILLAGE_CADRE",
        /// 村医.
        VillageDoctor = "VILLAGE_DOCTOR",
        /// 民警.
        PoliceOfficer = "POLICE_OFFICER",
        /// 网格员.
        GridWorker = "GRID_WORKER",
    }
}

stored_enum! {
    /// A person's case status, as recorded by `recordCase`.
    pub enum CaseStatus {
        /// 疑似病例.
        Suspected = "SUSPECTED",
        /// 确诊病例.
        Confirmed = "CONFIRMED",
        /// 排除.
        RuledOut = "RULED_OUT",
        /// 治愈.
        Recovered = "RECOVERED",
    }
}

stored_enum! {
    /// Which document a letter is.
    pub enum LetterKind {
        /// 协查函: the county asks a jurisdiction to put its persons there under observation.
        Request = "REQUEST",
        /// 回函: the county's answer to a notice it received.
        Reply = "REPLY",
    }
}

stored_enum! {
    /// Where a letter stands: `DRAFT` → `ISSUED` (numbered) → `DELIVERED` (a partner hub
    /// took it) → `ACKNOWLEDGED` → `REPLIED`, or `CANCELLED` while a draft.
    pub enum LetterState {
        /// Being put together: persons may still join it; no number yet.
        Draft = "DRAFT",
        /// Sent, with its number and channel; no longer editable.
        Issued = "ISSUED",
        /// Sent electronically and taken by the addressee's hub (it answered 2xx).
        Delivered = "DELIVERED",
        /// The addressee confirmed receipt.
        Acknowledged = "ACKNOWLEDGED",
        /// The addressee answered for every person of the letter.
        Replied = "REPLIED",
        /// Dropped while a draft; its persons are free for another letter.
        Cancelled = "CANCELLED",
    }
}

stored_enum! {
    /// How an issued letter was sent.
    pub enum LetterChannel {
        /// By post.
        Post = "POST",
        /// By fax.
        Fax = "FAX",
        /// Electronically (e-mail, a partner hub, the provincial platform).
        Electronic = "ELECTRONIC",
        /// By hand.
        Hand = "HAND",
    }
}

stored_enum! {
    /// What the addressee answered of one person.
    pub enum ReplyOutcome {
        /// Found and under home medical observation there.
        Observed = "OBSERVED",
        /// Not found there.
        NotFound = "NOT_FOUND",
        /// Moved on to another place: the person is open for a letter there.
        MovedOn = "MOVED_ON",
        /// Came back to our county: location evidence, the person enters follow-up here.
        ReturnedToCounty = "RETURNED_TO_COUNTY",
    }
}

stored_enum! {
    /// What an outbox row delivers to a partner hub.
    pub enum OutboxKind {
        /// A request letter, posted as an external notice to `/api/v1/notices`.
        Notice = "NOTICE",
        /// A reply to a partner's notice, posted to its `/api/v1/letters/{number}/replies`.
        Reply = "REPLY",
    }
}

stored_enum! {
    /// Where an outbox row stands.
    pub enum OutboxState {
        /// Still to deliver: tried at `next_attempt_at`.
        Pending = "PENDING",
        /// The receiver answered 2xx.
        Delivered = "DELIVERED",
        /// The receiver refused the request itself (400, 404, 409, 413, 422): sending the same
        /// bytes again cannot help; never tried again.
        Failed = "FAILED",
    }
}

stored_enum! {
    /// Where a person stands on one letter's list.
    pub enum LetterPersonStatus {
        /// On an open letter (draft, issued or acknowledged), not yet answered.
        Open = "OPEN",
        /// Answered by the addressee.
        Answered = "ANSWERED",
        /// Left the letter: came back into the county, merged into another person, or the
        /// draft was cancelled.
        Left = "LEFT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Stored + PartialEq + std::fmt::Debug>() {
        assert!(!T::ALL.is_empty());
        for v in T::ALL {
            assert_eq!(T::from_stored(v.as_str()), Some(*v));
        }
        assert_eq!(T::from_stored("NOT A STATE"), None);
    }

    #[test]
    fn every_stored_state_reads_back_from_its_name() {
        round_trips::<LocationStatus>();
        round_trips::<HubeiLink>();
        round_trips::<ReviewState>();
        round_trips::<EventKind>();
        round_trips::<ObservationState>();
        round_trips::<Slot>();
        round_trips::<AlertKind>();
        round_trips::<AlertState>();
        round_trips::<TeamRole>();
        round_trips::<CaseStatus>();
        round_trips::<LetterKind>();
        round_trips::<LetterState>();
        round_trips::<LetterChannel>();
        round_trips::<ReplyOutcome>();
        round_trips::<LetterPersonStatus>();
        round_trips::<OutboxKind>();
        round_trips::<OutboxState>();
        round_trips::<crate::intake::SourceKind>();
        round_trips::<crate::normalize::Sex>();
        round_trips::<crate::normalize::IdClass>();
    }

    #[test]
    fn serde_names_are_the_stored_names() {
        for v in EventKind::ALL {
            assert_eq!(
                serde_json::to_string(v).ok(),
                Some(format!("\"{}\"", v.as_str()))
            );
        }
        assert_eq!(
            serde_json::to_string(&LocationStatus::PendingVerification).ok(),
            Some("\"PENDING_VERIFICATION\"".to_owned())
        );
    }
}
