//! Where a person is, decided from the evidence of their records.
//!
//! Every current record that says something of where the person is gives one piece of
//! evidence: its source, its report date, what it says (in the county, outside it, or away with
//! no place), and the rule that read it. The strongest piece decides: an on-site check by a
//! township beats an external notice's stated place, which beats a big-data location hint;
//! within one kind the latest report date wins, then the more specific claim (a place outside
//! the county over "in the county"), then the record that came last. The decision does not
//! depend on the order the pieces are given in. Pieces that disagree with the deciding one are
//! kept and raise the conflict flag.

use chrono::NaiveDate;

use crate::intake::SourceKind;
use crate::states::LocationStatus;

/// What one record says of where the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// In the county, in the township and village when known.
    InCounty {
        /// Canonical township, when known.
        township: Option<String>,
        /// Canonical village, when known.
        village: Option<String>,
    },
    /// Outside the county, in the jurisdiction of this GB/T 2260 code when known.
    Outside {
        /// County, city or province code of where the person is, when named.
        jurisdiction: Option<String>,
    },
}

/// One piece of location evidence: one record's claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The source record.
    pub record: i64,
    /// Its source kind.
    pub source: SourceKind,
    /// Its report date (the import day when it has none).
    pub report_date: NaiveDate,
    /// What it says.
    pub claim: Claim,
    /// The rule that read the claim (`township.cell`, `remark.went_to`, `notice.address`,
    /// `bigdata.base_station` …), shown with the evidence.
    pub rule: &'static str,
}

/// Where the evidence puts a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The status.
    pub status: LocationStatus,
    /// The deciding piece's record, when a piece decided.
    pub deciding: Option<i64>,
    /// True when some piece disagrees with the deciding one (in or out of the county, or two
    /// places outside it).
    pub conflict: bool,
}

/// How strongly a piece counts, strongest last: the source's rank, then the report date, then
/// the more specific claim (outside with a place, outside without one, inside), then the
/// record's ID.
fn strength(p: &Piece) -> (u8, NaiveDate, u8, i64) {
    let specific = match &p.claim {
        Claim::Outside {
            jurisdiction: Some(_),
        } => 2,
        Claim::Outside { jurisdiction: None } => 1,
        Claim::InCounty { .. } => 0,
    };
    (p.source.location_rank(), p.report_date, specific, p.record)
}

/// Decides where the person is from every piece of evidence.
///
/// - The strongest piece decides ([`strength`]).
/// - An in-county claim of a big-data list alone is a hint, not a verification: the person is
///   `PENDING_VERIFICATION` until a township or a notice says where they are.
/// - An outside claim makes the person `OUT_OF_COUNTY`, with or without a named place (a form
///   that says the person is away keeps them off `IN_COUNTY`).
/// - No evidence: `PENDING_VERIFICATION`.
pub fn decide(pieces: &[Piece]) -> Decision {
    let Some(strongest) = pieces.iter().max_by_key(|p| strength(p)) else {
        return Decision {
            status: LocationStatus::PendingVerification,
            deciding: None,
            conflict: false,
        };
    };
    let status = match &strongest.claim {
        Claim::InCounty { .. } if strongest.source == SourceKind::Bigdata => {
            LocationStatus::PendingVerification
        }
        Claim::InCounty { .. } => LocationStatus::InCounty,
        Claim::Outside { .. } => LocationStatus::OutOfCounty,
    };
    Decision {
        status,
        deciding: Some(strongest.record),
        conflict: pieces.iter().any(|p| disagree(&p.claim, &strongest.claim)),
    }
}

/// True when two claims cannot both be true: in and out of the county, or two different named
/// places outside it (a place and its own city or province agree).
fn disagree(a: &Claim, b: &Claim) -> bool {
    match (a, b) {
        (Claim::InCounty { .. }, Claim::InCounty { .. }) => false,
        (
            Claim::Outside {
                jurisdiction: Some(x),
            },
            Claim::Outside {
                jurisdiction: Some(y),
            },
        ) => !within(x, y) && !within(y, x),
        (Claim::Outside { .. }, Claim::Outside { .. }) => false,
        _ => true,
    }
}

/// True when division `inner` lies within division `outer` (`420102` within `420100` and
/// `420000`), both six-digit codes whose trailing zeros mark their level.
pub fn within(inner: &str, outer: &str) -> bool {
    inner.starts_with(outer.trim_end_matches("00"))
}

/// The rule name of a letter's reply as location evidence (`Person.locationEvidence`).
pub const REPLY_RULE: &str = "letter.reply";

/// Whether a jurisdiction's reply to one of our letters that the person came back to the
/// county (`RETURNED_TO_COUNTY`, recorded on `replied_on`) decides where the person is, over
/// the piece that decides from the records (`deciding`: its source and report date).
///
/// A reply ranks above a notice and a big-data hint (the addressee looked for the person
/// because we asked) and below a township's on-site check: a check reported on or after the
/// reply's day decides instead; an older one does not (the person came back since).
pub fn reply_prevails(replied_on: NaiveDate, deciding: Option<(SourceKind, NaiveDate)>) -> bool {
    match deciding {
        Some((SourceKind::Township, checked)) => checked < replied_on,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 1, d).expect("date")
    }

    fn inside(record: i64, source: SourceKind, d: u32) -> Piece {
        Piece {
            record,
            source,
            report_date: day(d),
            claim: Claim::InCounty {
                township: Some("城关镇".into()),
                village: None,
            },
            rule: "test",
        }
    }

    fn outside(record: i64, source: SourceKind, d: u32, code: Option<&str>) -> Piece {
        Piece {
            record,
            source,
            report_date: day(d),
            claim: Claim::Outside {
                jurisdiction: code.map(str::to_owned),
            },
            rule: "test",
        }
    }

    #[test]
    fn a_reply_beats_a_notice_and_loses_to_a_later_on_site_check() {
        assert!(reply_prevails(day(28), None));
        assert!(reply_prevails(
            day(28),
            Some((SourceKind::External, day(30)))
        ));
        assert!(reply_prevails(
            day(28),
            Some((SourceKind::Township, day(27)))
        ));
        assert!(!reply_prevails(
            day(28),
            Some((SourceKind::Township, day(28)))
        ));
    }

    #[test]
    fn an_on_site_check_beats_a_notice_which_beats_big_data() {
        let pieces = [
            outside(1, SourceKind::Bigdata, 30, Some("420102")),
            outside(2, SourceKind::External, 28, Some("420102")),
            inside(3, SourceKind::Township, 26),
        ];
        let d = decide(&pieces);
        assert_eq!(d.status, LocationStatus::InCounty);
        assert_eq!(d.deciding, Some(3));
        assert!(d.conflict);

        let d = decide(&pieces[..2]);
        assert_eq!(d.status, LocationStatus::OutOfCounty);
        assert_eq!(d.deciding, Some(2));
        assert!(!d.conflict);
    }

    #[test]
    fn within_one_kind_the_latest_report_wins() {
        // The township found the person at home on the 26th, and away on the 29th.
        let pieces = [
            inside(5, SourceKind::Township, 26),
            outside(4, SourceKind::Township, 29, None),
        ];
        let d = decide(&pieces);
        assert_eq!(d.status, LocationStatus::OutOfCounty);
        assert_eq!(d.deciding, Some(4));
        assert!(d.conflict);
    }

    #[test]
    fn big_data_alone_is_a_hint_that_needs_an_on_site_check() {
        let d = decide(&[inside(1, SourceKind::Bigdata, 25)]);
        assert_eq!(d.status, LocationStatus::PendingVerification);
        assert_eq!(d.deciding, Some(1));
        let d = decide(&[]);
        assert_eq!(d.status, LocationStatus::PendingVerification);
        assert_eq!(d.deciding, None);
    }

    #[test]
    fn a_place_and_its_own_city_agree_two_places_do_not() {
        let wuhan = outside(1, SourceKind::External, 28, Some("420100"));
        let jiangan = outside(2, SourceKind::External, 28, Some("420102"));
        let xiaogan = outside(3, SourceKind::External, 27, Some("420900"));
        assert!(!decide(&[wuhan.clone(), jiangan.clone()]).conflict);
        let d = decide(&[wuhan, jiangan, xiaogan]);
        assert!(d.conflict);
        assert_eq!(
            d.deciding,
            Some(2),
            "the named county beats its city on the same day"
        );
    }

    fn source() -> impl Strategy<Value = SourceKind> {
        prop_oneof![
            Just(SourceKind::Bigdata),
            Just(SourceKind::Township),
            Just(SourceKind::External),
        ]
    }

    fn claim() -> impl Strategy<Value = Claim> {
        prop_oneof![
            Just(Claim::InCounty {
                township: None,
                village: None
            }),
            Just(Claim::Outside { jurisdiction: None }),
            Just(Claim::Outside {
                jurisdiction: Some("420102".into())
            }),
            Just(Claim::Outside {
                jurisdiction: Some("420900".into())
            }),
        ]
    }

    proptest! {
        #[test]
        fn the_decision_does_not_depend_on_the_order_records_arrive(
            raw in proptest::collection::vec((source(), 20u32..31, claim()), 0..8),
            seed in any::<u64>(),
        ) {
            let pieces: Vec<Piece> = raw
                .into_iter()
                .enumerate()
                .map(|(i, (source, d, claim))| Piece {
                    record: i64::try_from(i).unwrap_or(0),
                    source,
                    report_date: day(d),
                    claim,
                    rule: "test",
                })
                .collect();
            let mut shuffled = pieces.clone();
            // A deterministic shuffle from the seed.
            let n = shuffled.len();
            for i in (1..n).rev() {
                let j = usize::try_from(seed.rotate_left(u32::try_from(i).unwrap_or(0)))
                    .unwrap_or(0)
                    % (i + 1);
                shuffled.swap(i, j);
            }
            prop_assert_eq!(decide(&pieces), decide(&shuffled));
        }
    }
}
