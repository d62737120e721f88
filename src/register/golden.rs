//! The golden record of a person: the best value of each field across its source records,
//! with where each came from and the conflicting values shown rather than hidden.

use crate::states::{HubeiLink, LocationStatus};
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::followup::evidence::{Claim, Piece, decide, within};
use crate::intake::SourceKind;
use crate::normalize::name::canonical_text;
use crate::normalize::{IdClass, Identity, Phone, Problem, RemarkLocation, Sex};

/// What is stored of a record's identity: the normalised fields plus the address and origin
/// as written (the register shows them; the matcher does not compare them yet).
///
/// Stored as one flat JSON object. It is read through [`FlatIdentity`]: serde's `flatten`
/// buffers every entry before it can read the inner struct, which made reading identities
/// back the larger part of writing a million golden records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "FlatIdentity")]
pub struct StoredIdentity {
    #[serde(flatten)]
    pub identity: Identity,
    pub address: Option<String>,
    pub origin: Option<String>,
}

/// A [`StoredIdentity`] as its JSON lays it out: every field of [`Identity`], then the address
/// and origin. A field added to `Identity` must be added here too (the round-trip test in
/// this module fails until it is).
#[derive(Deserialize)]
struct FlatIdentity {
    name: Option<String>,
    name_pinyin: Option<String>,
    surname: Option<String>,
    id_number: Option<String>,
    id_class: Option<IdClass>,
    #[serde(default)]
    id_candidates: Vec<String>,
    phones: Vec<Phone>,
    birth_date: Option<NaiveDate>,
    sex: Option<Sex>,
    township: Option<String>,
    village: Option<String>,
    in_county: Option<bool>,
    jurisdiction_code: Option<String>,
    jurisdiction_name: Option<String>,
    origin_wuhan: Option<bool>,
    origin_hubei: Option<bool>,
    arrival_date: Option<NaiveDate>,
    report_date: Option<NaiveDate>,
    #[serde(default)]
    remark: Option<RemarkLocation>,
    #[serde(default)]
    problems: Vec<Problem>,
    address: Option<String>,
    origin: Option<String>,
}

impl From<FlatIdentity> for StoredIdentity {
    fn from(f: FlatIdentity) -> Self {
        Self {
            identity: Identity {
                name: f.name,
                name_pinyin: f.name_pinyin,
                surname: f.surname,
                id_number: f.id_number,
                id_class: f.id_class,
                id_candidates: f.id_candidates,
                phones: f.phones,
                birth_date: f.birth_date,
                sex: f.sex,
                township: f.township,
                village: f.village,
                in_county: f.in_county,
                jurisdiction_code: f.jurisdiction_code,
                jurisdiction_name: f.jurisdiction_name,
                origin_wuhan: f.origin_wuhan,
                origin_hubei: f.origin_hubei,
                arrival_date: f.arrival_date,
                report_date: f.report_date,
                remark: f.remark,
                problems: f.problems,
            },
            address: f.address,
            origin: f.origin,
        }
    }
}

/// One current source record of a person, as the golden record needs it.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub record: i64,
    pub source: SourceKind,
    pub identity: StoredIdentity,
    /// When the record was imported: the first-report date when the record has none.
    pub imported_on: NaiveDate,
}

/// A field's chosen value and the records behind it, and the values that disagree.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GoldenField {
    pub value: Option<String>,
    pub sources: Vec<i64>,
    /// Stored only when there are some: most fields of most persons have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<GoldenConflict>,
}

/// A value some records give that differs from the chosen one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldenConflict {
    pub value: String,
    pub sources: Vec<i64>,
}

/// The golden record of one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Golden {
    pub name: GoldenField,
    pub name_pinyin: Option<String>,
    pub id_number: GoldenField,
    pub phones: Vec<GoldenField>,
    pub birth_date: GoldenField,
    pub sex: GoldenField,
    pub address: GoldenField,
    pub township: GoldenField,
    pub village: GoldenField,
    pub location_status: LocationStatus,
    pub jurisdiction_code: Option<String>,
    pub jurisdiction_name: Option<String>,
    pub location_conflict: bool,
    /// Every piece of location evidence, oldest report first, and which one decided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location_evidence: Vec<LocationPiece>,
    pub hubei_link: HubeiLink,
    pub origin: Option<String>,
    pub arrival_date: Option<NaiveDate>,
    pub first_reported: Option<NaiveDate>,
}

impl GoldenField {
    /// Keeps only the sources `keep` admits, and only the conflicts some kept source gives.
    fn retain_sources(&mut self, keep: &impl Fn(i64) -> bool) {
        self.sources.retain(|r| keep(*r));
        for conflict in &mut self.conflicts {
            conflict.sources.retain(|r| keep(*r));
        }
        self.conflicts.retain(|c| !c.sources.is_empty());
    }
}

impl Golden {
    /// Every source record any field names (chosen values and conflicts).
    pub fn source_records(&self) -> Vec<i64> {
        let mut records: Vec<i64> = self
            .fields()
            .flat_map(|f| {
                f.sources
                    .iter()
                    .chain(f.conflicts.iter().flat_map(|c| c.sources.iter()))
                    .copied()
            })
            .collect();
        records.sort_unstable();
        records.dedup();
        records
    }

    /// Keeps only the sources `keep` admits: a conflict no kept record gives is dropped (its
    /// value came from records the reader may not see).
    pub fn retain_sources(&mut self, keep: impl Fn(i64) -> bool) {
        for field in self.fields_mut() {
            field.retain_sources(&keep);
        }
    }

    fn fields(&self) -> impl Iterator<Item = &GoldenField> {
        [
            &self.name,
            &self.id_number,
            &self.birth_date,
            &self.sex,
            &self.address,
            &self.township,
            &self.village,
        ]
        .into_iter()
        .chain(self.phones.iter())
    }

    fn fields_mut(&mut self) -> impl Iterator<Item = &mut GoldenField> {
        [
            &mut self.name,
            &mut self.id_number,
            &mut self.birth_date,
            &mut self.sex,
            &mut self.address,
            &mut self.township,
            &mut self.village,
        ]
        .into_iter()
        .chain(self.phones.iter_mut())
    }

    /// True when the sources disagree: on where the person is, or on a golden-record field
    /// (as the persons filter `hasConflicts` reads the stored record).
    pub fn has_conflicts(&self) -> bool {
        self.location_conflict || self.fields().any(|f| !f.conflicts.is_empty())
    }

    /// The person's phones, most reported first.
    pub fn phone_numbers(&self) -> Vec<String> {
        self.phones.iter().filter_map(|p| p.value.clone()).collect()
    }
}

/// Picks the value most records agree on; ties go to the stronger source, then the older
/// record. Values from the strongest source present beat weaker sources when `by_rank`.
fn vote<'a>(
    evidence: impl IntoIterator<Item = &'a Evidence>,
    by_rank: bool,
    value: impl Fn(&'a Evidence) -> Option<String>,
) -> GoldenField {
    // value -> (records, best rank, first record)
    let mut tally: BTreeMap<String, (Vec<i64>, u8, i64)> = BTreeMap::new();
    for e in evidence {
        if let Some(v) = value(e) {
            let entry = tally.entry(v).or_insert((Vec::new(), 0, e.record));
            entry.0.push(e.record);
            entry.1 = entry.1.max(e.source.location_rank());
            entry.2 = entry.2.min(e.record);
        }
    }
    let best = tally
        .iter()
        .max_by(|(_, a), (_, b)| {
            let key = |t: &(Vec<i64>, u8, i64)| {
                if by_rank {
                    (t.1 as usize, t.0.len(), -t.2)
                } else {
                    (t.0.len(), t.1 as usize, -t.2)
                }
            };
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.cmp(&kb.1)).then(ka.2.cmp(&kb.2))
        })
        .map(|(v, _)| v.clone());
    let Some(best) = best else {
        return GoldenField::default();
    };
    let mut field = GoldenField {
        value: Some(best.clone()),
        ..GoldenField::default()
    };
    for (v, (records, _, _)) in tally {
        if v == best {
            field.sources = records;
        } else {
            field.conflicts.push(GoldenConflict {
                value: v,
                sources: records,
            });
        }
    }
    field
}

/// Computes the golden record of a person from its current records.
pub fn golden_record(evidence: &[Evidence]) -> Golden {
    let name = vote(evidence, false, |e| e.identity.identity.name.clone());
    let name_pinyin = evidence
        .iter()
        .find(|e| e.identity.identity.name == name.value)
        .and_then(|e| e.identity.identity.name_pinyin.clone());
    let id_number = id_number(evidence);
    let birth_date = vote(evidence, false, |e| {
        e.identity.identity.birth_date.map(|d| d.to_string())
    });
    let sex = vote(evidence, false, |e| {
        e.identity.identity.sex.map(|s| s.as_str().to_owned())
    });
    let Place {
        township,
        village,
        address,
    } = place(evidence);

    let mut phones: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for e in evidence {
        for p in &e.identity.identity.phones {
            let records = phones.entry(p.number.clone()).or_default();
            if !records.contains(&e.record) {
                records.push(e.record);
            }
        }
    }
    let mut phones: Vec<GoldenField> = phones
        .into_iter()
        .map(|(number, sources)| GoldenField {
            value: Some(number),
            sources,
            conflicts: Vec::new(),
        })
        .collect();
    phones.sort_by_key(|p| std::cmp::Reverse(p.sources.len()));

    let (
        location_status,
        jurisdiction_code,
        jurisdiction_name,
        location_conflict,
        location_evidence,
    ) = location(evidence);

    let hubei_link = if evidence
        .iter()
        .any(|e| e.identity.identity.origin_wuhan == Some(true))
    {
        HubeiLink::Wuhan
    } else if evidence
        .iter()
        .any(|e| e.identity.identity.origin_hubei == Some(true))
    {
        HubeiLink::OtherHubei
    } else {
        HubeiLink::Unknown
    };
    let origin = vote(evidence, true, |e| e.identity.origin.clone()).value;
    let arrival_date = evidence
        .iter()
        .filter_map(|e| e.identity.identity.arrival_date)
        .min();
    let first_reported = evidence
        .iter()
        .map(|e| e.identity.identity.report_date.unwrap_or(e.imported_on))
        .min();

    Golden {
        name,
        name_pinyin,
        id_number,
        phones,
        birth_date,
        sex,
        address,
        township,
        village,
        location_status,
        jurisdiction_code,
        jurisdiction_name,
        location_conflict,
        location_evidence,
        hubei_link,
        origin,
        arrival_date,
        first_reported,
    }
}

/// The field that chose `chosen` among the values `value` gives: the records giving it are its
/// sources, every other value a conflict.
fn field_of<'a>(
    evidence: &'a [Evidence],
    chosen: Option<String>,
    value: impl Fn(&'a Evidence) -> Option<String>,
) -> GoldenField {
    let Some(chosen) = chosen else {
        return GoldenField::default();
    };
    let mut others: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut sources = Vec::new();
    for e in evidence {
        match value(e) {
            Some(v) if v == chosen => sources.push(e.record),
            Some(v) => others.entry(v).or_default().push(e.record),
            None => {}
        }
    }
    GoldenField {
        value: Some(chosen),
        sources,
        conflicts: others
            .into_iter()
            .map(|(value, sources)| GoldenConflict { value, sources })
            .collect(),
    }
}

/// The place fields, chosen together so that a township, a village and an address of
/// different records are never mixed.
struct Place {
    township: GoldenField,
    village: GoldenField,
    address: GoldenField,
}

/// The day a record's check or report was made (its import day when it gives none).
fn checked_on(e: &Evidence) -> NaiveDate {
    e.identity.identity.report_date.unwrap_or(e.imported_on)
}

/// True when a record's value `given` does not contradict the value `chosen` (either missing,
/// or equal).
fn agrees(given: &Option<String>, chosen: &Option<String>) -> bool {
    match (given, chosen) {
        (Some(g), Some(c)) => g == c,
        _ => true,
    }
}

/// The place of a person: the township, village and address of the newest on-site check
/// (a TOWNSHIP record that names a place), each field it leaves out filled by a vote among
/// the records that agree with what is chosen so far; without an on-site check, the
/// township by vote (the stronger source first), then the village among the records of
/// that township, then the address among the records of both.
fn place(evidence: &[Evidence]) -> Place {
    let township_of = |e: &Evidence| e.identity.identity.township.clone();
    let village_of = |e: &Evidence| e.identity.identity.village.clone();
    let address_of = |e: &Evidence| e.identity.address.clone();
    let anchor = evidence
        .iter()
        .filter(|e| e.source == SourceKind::Township)
        .filter(|e| township_of(e).is_some() || village_of(e).is_some() || address_of(e).is_some())
        .max_by_key(|e| (checked_on(e), e.record));
    let (anchor_township, anchor_village, anchor_address) = anchor
        .map(|e| (township_of(e), village_of(e), address_of(e)))
        .unwrap_or_default();
    let township = anchor_township.or_else(|| {
        let agreeing = evidence
            .iter()
            .filter(|e| agrees(&village_of(e), &anchor_village));
        vote(agreeing, true, township_of).value
    });
    let village = anchor_village.or_else(|| {
        let agreeing = evidence
            .iter()
            .filter(|e| agrees(&township_of(e), &township));
        vote(agreeing, true, village_of).value
    });
    let address = anchor_address.or_else(|| {
        let agreeing = evidence
            .iter()
            .filter(|e| agrees(&township_of(e), &township) && agrees(&village_of(e), &village));
        vote(agreeing, true, address_of).value
    });
    let mut address = field_of(evidence, address, address_of);
    settle_address_forms(&mut address);
    Place {
        township: field_of(evidence, township, township_of),
        village: field_of(evidence, village, village_of),
        address,
    }
}

/// An address as compared: full-width folded, Simplified, without white space or
/// punctuation.
fn address_key(address: &str) -> String {
    canonical_text(address)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Addresses that only write the chosen one differently are no conflict: the same after
/// normalisation (its records become sources of the chosen value), or a shorter or longer
/// form of it (`信阳市青溪县高桥乡` beside `河南省信阳市青溪县高桥乡高桥村5组`).
fn settle_address_forms(field: &mut GoldenField) {
    let Some(chosen) = field.value.as_deref().map(address_key) else {
        return;
    };
    let mut same = Vec::new();
    field.conflicts.retain(|c| {
        let key = address_key(&c.value);
        if key == chosen {
            same.extend(c.sources.iter().copied());
            false
        } else {
            key.is_empty() || !(chosen.contains(&key) || key.contains(&chosen))
        }
    });
    if !same.is_empty() {
        field.sources.extend(same);
        field.sources.sort_unstable();
    }
}

/// The golden ID number: the valid number most records give. Another valid number is a
/// conflict, and so is a number that fails its checksum (most often a near miss of the chosen
/// one: one digit wrong, two neighbours swapped), a malformed one that is a near miss of it
/// (one character dropped or added), and a masked number its visible characters contradict.
/// A masked number consistent with the chosen one is no conflict.
fn id_number(evidence: &[Evidence]) -> GoldenField {
    let valid = |e: &Evidence| {
        let i = &e.identity.identity;
        (i.id_class == Some(IdClass::Valid))
            .then(|| i.id_number.clone())
            .flatten()
    };
    let mut field = vote(evidence, false, valid);
    let Some(chosen) = field.value.clone() else {
        return field;
    };
    let mut others: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for e in evidence {
        let i = &e.identity.identity;
        let Some(number) = i.id_number.as_deref().filter(|n| *n != chosen) else {
            continue;
        };
        let conflicting = match i.id_class {
            // An 18-character number that differs disagrees, a near miss above all.
            Some(IdClass::ChecksumFailed) => true,
            // Text that is no number at all disagrees only when it is a typo of the chosen one.
            Some(IdClass::Malformed) => near_miss(number, &chosen),
            Some(IdClass::Masked) => !masked_agrees(number, &chosen),
            // Valid numbers were voted on; a number without a class is not one.
            Some(IdClass::Valid) | None => false,
        };
        if conflicting {
            others.entry(number.to_owned()).or_default().push(e.record);
        }
    }
    field.conflicts.extend(
        others
            .into_iter()
            .map(|(value, sources)| GoldenConflict { value, sources }),
    );
    field.conflicts.sort_by(|a, b| a.value.cmp(&b.value));
    field
}

/// True when `a` is one typo away from `b`: one character different, two neighbouring
/// characters swapped, or one character dropped or added.
pub(crate) fn near_miss(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return false;
    }
    if a.len() == b.len() {
        let diffs: Vec<usize> = (0..a.len()).filter(|&k| a[k] != b[k]).collect();
        return match diffs.as_slice() {
            [_] => true,
            [x, y] => *y == x + 1 && a[*x] == b[*y] && a[*y] == b[*x],
            _ => false,
        };
    }
    let (short, long) = if a.len() < b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() != short.len() + 1 {
        return false;
    }
    let start = short
        .iter()
        .zip(long.iter())
        .take_while(|(s, l)| s == l)
        .count();
    short[start..] == long[start + 1..]
}

/// True when a masked number (`*` for each hidden character) shows nothing that contradicts
/// `number`.
fn masked_agrees(masked: &str, number: &str) -> bool {
    let (masked, number): (Vec<char>, Vec<char>) =
        (masked.chars().collect(), number.chars().collect());
    masked.len() == number.len()
        && masked
            .iter()
            .zip(&number)
            .all(|(m, n)| *m == '*' || m.eq_ignore_ascii_case(n))
}

/// One piece of location evidence as the golden record keeps it: what one record says of
/// where the person is, read by which rule, and whether it decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationPiece {
    pub record: i64,
    pub source: SourceKind,
    /// What the record says: `IN_COUNTY` or `OUT_OF_COUNTY`.
    pub status: LocationStatus,
    /// The division outside the county, when named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The township and village in the county, when named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub township: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
    pub report_date: NaiveDate,
    pub rule: String,
    #[serde(default)]
    pub deciding: bool,
}

/// The stable name of a remark rule as stored (`remark.went_to` …).
fn remark_rule(stored: &str) -> &'static str {
    use crate::followup::remarks::RemarkRule as R;
    [R::StaysAt, R::WentTo, R::AwayUnnamed, R::AtHome]
        .into_iter()
        .map(R::as_str)
        .find(|r| *r == stored)
        .unwrap_or("remark")
}

/// What one record says of where the person is, with the division name of an outside claim:
/// a township form's remark first (an on-site check that found the person away, or at
/// home), then the record's own place (its township cell, its address, a notice's address,
/// a big-data location).
fn piece_of(e: &Evidence) -> Option<(Piece, Option<String>)> {
    let i = &e.identity.identity;
    let piece = |claim, rule| Piece {
        record: e.record,
        source: e.source,
        report_date: checked_on(e),
        claim,
        rule,
    };
    if e.source == SourceKind::Township
        && let Some(r) = &i.remark
    {
        let rule = remark_rule(&r.rule);
        return Some(if r.away {
            // The form's own place outside the county when the remark names none, or names
            // a division that place lies in (`返回孝感` with an address in 孝感市孝南区): the
            // more specific of two places that agree.
            let own = (i.in_county == Some(false))
                .then_some(i.jurisdiction_code.as_deref())
                .flatten();
            let (code, name) = match (&r.code, own) {
                (Some(named), Some(own)) if within(own, named) => {
                    (i.jurisdiction_code.clone(), i.jurisdiction_name.clone())
                }
                (Some(_), _) => (r.code.clone(), r.name.clone()),
                (None, Some(_)) => (i.jurisdiction_code.clone(), i.jurisdiction_name.clone()),
                (None, None) => (None, None),
            };
            (piece(Claim::Outside { jurisdiction: code }, rule), name)
        } else {
            let claim = Claim::InCounty {
                township: r.township.clone().or_else(|| i.township.clone()),
                village: r.village.clone().or_else(|| i.village.clone()),
            };
            (piece(claim, rule), None)
        });
    }
    let inside = i.in_county?;
    let rule = match (e.source, inside) {
        (SourceKind::Township, true) if i.township.is_some() => "township.cell",
        (SourceKind::Township, _) => "township.address",
        (SourceKind::External, _) => "notice.address",
        (SourceKind::Bigdata, _) => "bigdata.location",
    };
    Some(if inside {
        let claim = Claim::InCounty {
            township: i.township.clone(),
            village: i.village.clone(),
        };
        (piece(claim, rule), None)
    } else {
        let claim = Claim::Outside {
            jurisdiction: i.jurisdiction_code.clone(),
        };
        (piece(claim, rule), i.jurisdiction_name.clone())
    })
}

/// Where the person is ([`decide`] over one piece of evidence per record that says), the
/// jurisdiction of the deciding piece when outside, the conflict flag, and every piece.
fn location(
    evidence: &[Evidence],
) -> (
    LocationStatus,
    Option<String>,
    Option<String>,
    bool,
    Vec<LocationPiece>,
) {
    let read: Vec<(Piece, Option<String>)> = evidence.iter().filter_map(piece_of).collect();
    let pieces: Vec<Piece> = read.iter().map(|(p, _)| p.clone()).collect();
    let decision = decide(&pieces);
    let mut shown: Vec<LocationPiece> = read
        .into_iter()
        .map(|(p, name)| {
            let deciding = decision.deciding == Some(p.record);
            let (status, code, township, village) = match p.claim {
                Claim::InCounty { township, village } => {
                    (LocationStatus::InCounty, None, township, village)
                }
                Claim::Outside { jurisdiction } => {
                    (LocationStatus::OutOfCounty, jurisdiction, None, None)
                }
            };
            LocationPiece {
                record: p.record,
                source: p.source,
                status,
                name: name.filter(|_| code.is_some()),
                code,
                township,
                village,
                report_date: p.report_date,
                rule: p.rule.to_owned(),
                deciding,
            }
        })
        .collect();
    shown.sort_by_key(|p| (p.report_date, p.record));
    let (code, name) = match decision.status {
        LocationStatus::OutOfCounty => shown
            .iter()
            .find(|p| p.deciding)
            .map(|p| (p.code.clone(), p.name.clone()))
            .unwrap_or_default(),
        _ => (None, None),
    };
    (decision.status, code, name, decision.conflict, shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_identity_reads_back_as_it_was_written_field_for_field() {
        let date = |d| NaiveDate::from_ymd_opt(2020, 1, d).expect("date");
        // Every field named (no `..Default::default()`): a field added to `Identity` must be
        // named here, and then fails the round trip until `FlatIdentity` reads it too.
        let stored = StoredIdentity {
            identity: Identity {
                name: Some("张三".into()),
                name_pinyin: Some("zhang san".into()),
                surname: Some("张".into()),
                id_number: Some("420102199001011235".into()),
                id_class: Some(IdClass::ChecksumFailed),
                id_candidates: vec!["420102199001011234".into()],
                phones: vec![Phone {
                    number: "13800138000".into(),
                    kind: crate::normalize::PhoneKind::Mobile,
                    from_text: true,
                }],
                birth_date: Some(date(1)),
                sex: Some(Sex::Male),
                township: Some("城关镇".into()),
                village: Some("东关村".into()),
                in_county: Some(false),
                jurisdiction_code: Some("420102".into()),
                jurisdiction_name: Some("湖北省武汉市江岸区".into()),
                origin_wuhan: Some(true),
                origin_hubei: Some(true),
                arrival_date: Some(date(20)),
                report_date: Some(date(26)),
                remark: Some(RemarkLocation {
                    away: true,
                    code: Some("420100".into()),
                    name: Some("湖北省武汉市".into()),
                    township: None,
                    village: None,
                    rule: "remark.stays_at".into(),
                }),
                problems: vec![Problem::new(
                    "ID_CHECKSUM_FAILED",
                    "id_number",
                    "校验位不符",
                )],
            },
            address: Some("东关村3组".into()),
            origin: Some("武汉市江岸区".into()),
        };
        let text = serde_json::to_string(&stored).expect("JSON");
        let back: StoredIdentity = serde_json::from_str(&text).expect("read back");
        assert_eq!(back, stored);
        // Fields left out read as missing, as the derived reading did.
        let sparse: StoredIdentity =
            serde_json::from_str(r#"{"phones":[],"origin":"武汉"}"#).expect("sparse");
        assert_eq!(sparse.origin.as_deref(), Some("武汉"));
        assert_eq!(sparse.identity, Identity::default());
    }

    fn evidence(record: i64, source: SourceKind, name: &str, in_county: Option<bool>) -> Evidence {
        Evidence {
            record,
            source,
            identity: StoredIdentity {
                identity: Identity {
                    name: Some(name.to_owned()),
                    in_county,
                    jurisdiction_code: in_county.is_some_and(|i| !i).then(|| "420102".to_owned()),
                    ..Identity::default()
                },
                ..StoredIdentity::default()
            },
            imported_on: NaiveDate::from_ymd_opt(2020, 1, 25).unwrap_or_default(),
        }
    }

    #[test]
    fn an_on_site_check_beats_a_notice_and_the_disagreement_is_flagged() {
        let g = golden_record(&[
            evidence(1, SourceKind::External, "王芳", Some(false)),
            evidence(2, SourceKind::Township, "王芳", Some(true)),
        ]);
        assert_eq!(g.location_status, LocationStatus::InCounty);
        assert!(g.location_conflict);
    }

    #[test]
    fn a_big_data_hint_alone_leaves_the_person_pending() {
        let g = golden_record(&[evidence(1, SourceKind::Bigdata, "王芳", Some(true))]);
        assert_eq!(g.location_status, LocationStatus::PendingVerification);
        let g = golden_record(&[evidence(1, SourceKind::Bigdata, "王芳", Some(false))]);
        assert_eq!(g.location_status, LocationStatus::OutOfCounty);
        assert_eq!(g.jurisdiction_code.as_deref(), Some("420102"));
    }

    /// A township form of January `day` whose remark the reader read as `remark`.
    fn form(record: i64, day: u32, remark: Option<RemarkLocation>) -> Evidence {
        let mut e = evidence(record, SourceKind::Township, "王芳", Some(true));
        e.identity.identity.township = Some("白鹭镇".into());
        e.identity.identity.report_date = NaiveDate::from_ymd_opt(2020, 1, day);
        e.identity.identity.remark = remark;
        e
    }

    fn away(code: Option<&str>, rule: &str) -> Option<RemarkLocation> {
        Some(RemarkLocation {
            away: true,
            code: code.map(str::to_owned),
            name: code.map(|_| "湖北省孝感市".to_owned()),
            rule: rule.to_owned(),
            ..RemarkLocation::default()
        })
    }

    #[test]
    fn a_township_form_whose_remark_says_away_places_the_person_outside() {
        let g = golden_record(&[
            form(1, 26, None),
            form(2, 29, away(Some("420900"), "remark.went_to")),
        ]);
        assert_eq!(g.location_status, LocationStatus::OutOfCounty);
        assert_eq!(g.jurisdiction_code.as_deref(), Some("420900"));
        assert_eq!(g.jurisdiction_name.as_deref(), Some("湖北省孝感市"));
        assert!(g.location_conflict);
        let rules: Vec<(&str, bool)> = g
            .location_evidence
            .iter()
            .map(|p| (p.rule.as_str(), p.deciding))
            .collect();
        assert_eq!(
            rules,
            vec![("township.cell", false), ("remark.went_to", true)]
        );

        // Away without a place: off IN_COUNTY all the same.
        let g = golden_record(&[form(1, 29, away(None, "remark.away_unnamed"))]);
        assert_eq!(g.location_status, LocationStatus::OutOfCounty);
        assert_eq!(g.jurisdiction_code, None);

        // A remark naming the city of the form's own address keeps the address's county.
        let mut e = form(1, 29, away(Some("420900"), "remark.went_to"));
        e.identity.identity.in_county = Some(false);
        e.identity.identity.jurisdiction_code = Some("420902".into());
        e.identity.identity.jurisdiction_name = Some("湖北省孝感市孝南区".into());
        let g = golden_record(&[e]);
        assert_eq!(g.jurisdiction_code.as_deref(), Some("420902"));

        // At home per the remark, in the township it names.
        let home = Some(RemarkLocation {
            away: false,
            township: Some("马岗乡".into()),
            rule: "remark.at_home".into(),
            ..RemarkLocation::default()
        });
        let g = golden_record(&[form(1, 29, home)]);
        assert_eq!(g.location_status, LocationStatus::InCounty);
        assert_eq!(g.location_evidence[0].township.as_deref(), Some("马岗乡"));
    }

    mod order {
        use super::*;
        use proptest::prelude::*;

        fn piece() -> impl Strategy<Value = (u8, u32, u8)> {
            (0u8..3, 20u32..31, 0u8..5)
        }

        fn record(i: usize, (source, day, claim): (u8, u32, u8)) -> Evidence {
            let source = [
                SourceKind::Bigdata,
                SourceKind::External,
                SourceKind::Township,
            ][usize::from(source)];
            let mut e = evidence(i64::try_from(i).unwrap_or(0), source, "王芳", None);
            e.identity.identity.report_date = NaiveDate::from_ymd_opt(2020, 1, day);
            let id = &mut e.identity.identity;
            match claim {
                0 => {
                    id.in_county = Some(true);
                    id.township = Some("白鹭镇".into());
                }
                1 => {
                    id.in_county = Some(false);
                    id.jurisdiction_code = Some("420102".into());
                }
                2 => {
                    id.in_county = Some(false);
                    id.jurisdiction_code = Some("420900".into());
                }
                3 => id.remark = away(None, "remark.away_unnamed"),
                _ => id.remark = away(Some("410100"), "remark.stays_at"),
            }
            e
        }

        proptest! {
            #[test]
            fn the_location_does_not_depend_on_the_order_records_arrive(
                raw in proptest::collection::vec(piece(), 0..8),
                seed in any::<u64>(),
            ) {
                let records: Vec<Evidence> =
                    raw.into_iter().enumerate().map(|(i, p)| record(i, p)).collect();
                let mut shuffled = records.clone();
                let n = shuffled.len();
                for i in (1..n).rev() {
                    let j = usize::try_from(seed.rotate_left(u32::try_from(i).unwrap_or(0)))
                        .unwrap_or(0)
                        % (i + 1);
                    shuffled.swap(i, j);
                }
                let (a, b) = (golden_record(&records), golden_record(&shuffled));
                prop_assert_eq!(a.location_status, b.location_status);
                prop_assert_eq!(a.jurisdiction_code, b.jurisdiction_code);
                prop_assert_eq!(a.location_conflict, b.location_conflict);
                prop_assert_eq!(a.location_evidence, b.location_evidence);
            }
        }
    }

    #[test]
    fn conflicting_names_are_listed_not_hidden() {
        let g = golden_record(&[
            evidence(1, SourceKind::Township, "王芳", None),
            evidence(2, SourceKind::External, "王芳", None),
            evidence(3, SourceKind::Bigdata, "汪芳", None),
        ]);
        assert_eq!(g.name.value.as_deref(), Some("王芳"));
        assert_eq!(g.name.sources, vec![1, 2]);
        assert_eq!(g.name.conflicts[0].value, "汪芳");
    }

    /// A record of `source` at `place` (township, village, address), checked on January `day`.
    fn placed(
        record: i64,
        source: SourceKind,
        place: (Option<&str>, Option<&str>, Option<&str>),
        day: u32,
    ) -> Evidence {
        let mut e = evidence(record, source, "潘建国", None);
        e.identity.identity.township = place.0.map(str::to_owned);
        e.identity.identity.village = place.1.map(str::to_owned);
        e.identity.address = place.2.map(str::to_owned);
        e.identity.identity.report_date = NaiveDate::from_ymd_opt(2020, 1, day);
        e
    }

    #[test]
    fn the_place_is_the_newest_on_site_checks_township_village_and_address_together() {
        let g = golden_record(&[
            placed(
                1,
                SourceKind::Township,
                (Some("高桥乡"), None, Some("高桥乡")),
                26,
            ),
            placed(
                2,
                SourceKind::Township,
                (Some("杨柳乡"), Some("梅岭村"), Some("杨柳乡梅岭村3组")),
                28,
            ),
            placed(3, SourceKind::Bigdata, (Some("高桥乡"), None, None), 30),
        ]);
        assert_eq!(g.township.value.as_deref(), Some("杨柳乡"));
        assert_eq!(g.village.value.as_deref(), Some("梅岭村"));
        assert_eq!(g.address.value.as_deref(), Some("杨柳乡梅岭村3组"));
        assert_eq!(g.township.sources, vec![2]);
        assert_eq!(g.township.conflicts[0].value, "高桥乡");
        assert_eq!(g.township.conflicts[0].sources, vec![1, 3]);

        // The newer check wins even when it was imported first (a lower record ID).
        let g = golden_record(&[
            placed(
                1,
                SourceKind::Township,
                (Some("杨柳乡"), Some("梅岭村"), None),
                29,
            ),
            placed(2, SourceKind::Township, (Some("高桥乡"), None, None), 26),
        ]);
        assert_eq!(g.township.value.as_deref(), Some("杨柳乡"));
        assert_eq!(g.village.value.as_deref(), Some("梅岭村"));
    }

    #[test]
    fn without_an_on_site_check_the_village_and_address_follow_the_chosen_township() {
        let g = golden_record(&[
            placed(
                1,
                SourceKind::External,
                (Some("高桥乡"), None, Some("高桥乡")),
                26,
            ),
            placed(2, SourceKind::External, (Some("高桥乡"), None, None), 26),
            placed(
                3,
                SourceKind::Bigdata,
                (Some("杨柳乡"), Some("梅岭村"), Some("杨柳乡梅岭村")),
                27,
            ),
        ]);
        assert_eq!(g.township.value.as_deref(), Some("高桥乡"));
        assert_eq!(g.village.value, None, "梅岭村 is a village of 杨柳乡");
        assert_eq!(g.address.value.as_deref(), Some("高桥乡"));
        // Fields the newest check leaves out come from records that agree with it.
        let g = golden_record(&[
            placed(
                1,
                SourceKind::Bigdata,
                (Some("杨柳乡"), Some("梅岭村"), None),
                25,
            ),
            placed(
                2,
                SourceKind::Bigdata,
                (Some("高桥乡"), Some("罗洼村"), None),
                25,
            ),
            placed(3, SourceKind::Township, (Some("高桥乡"), None, None), 26),
        ]);
        assert_eq!(g.township.value.as_deref(), Some("高桥乡"));
        assert_eq!(g.village.value.as_deref(), Some("罗洼村"));
    }

    fn with_id(record: i64, number: &str, class: IdClass) -> Evidence {
        let mut e = evidence(record, SourceKind::Township, "潘建国", None);
        e.identity.identity.id_number = Some(number.to_owned());
        e.identity.identity.id_class = Some(class);
        e
    }

    #[test]
    fn a_near_miss_of_the_golden_id_number_is_a_conflict_and_a_consistent_masked_one_is_not() {
        let golden = "411599198104300378";
        let g = golden_record(&[
            with_id(1, golden, IdClass::Valid),
            with_id(2, golden, IdClass::Valid),
            with_id(3, "411599198104300379", IdClass::ChecksumFailed),
            with_id(4, "411599198140300378", IdClass::ChecksumFailed),
            with_id(5, "411599********0378", IdClass::Masked),
        ]);
        assert_eq!(g.id_number.value.as_deref(), Some(golden));
        let conflicts: Vec<(&str, &[i64])> = g
            .id_number
            .conflicts
            .iter()
            .map(|c| (c.value.as_str(), c.sources.as_slice()))
            .collect();
        assert_eq!(
            conflicts,
            vec![
                ("411599198104300379", &[3][..]),
                ("411599198140300378", &[4][..]),
            ]
        );
        assert!(g.has_conflicts());

        let g = golden_record(&[
            with_id(1, golden, IdClass::Valid),
            with_id(2, "411599********0378", IdClass::Masked),
            with_id(3, "41159919810430378", IdClass::Malformed),
        ]);
        assert_eq!(g.id_number.conflicts[0].value, "41159919810430378");
        let g = golden_record(&[
            with_id(1, golden, IdClass::Valid),
            with_id(2, "411599********0378", IdClass::Masked),
            with_id(3, "12345", IdClass::Malformed),
        ]);
        assert!(g.id_number.conflicts.is_empty(), "{:?}", g.id_number);
        assert!(!g.has_conflicts());
        let g = golden_record(&[
            with_id(1, golden, IdClass::Valid),
            with_id(2, "411599********1234", IdClass::Masked),
        ]);
        assert_eq!(g.id_number.conflicts[0].sources, vec![2]);
    }

    #[test]
    fn near_misses_are_one_typo_away() {
        assert!(near_miss("411599198104300378", "411599198104300379"));
        assert!(near_miss("411599198104300378", "411599198140300378"));
        assert!(near_miss("41159919810430378", "411599198104300378"));
        assert!(!near_miss("411599198104300378", "411599198104300378"));
        assert!(!near_miss("411599198104300378", "411599198104311378"));
        assert!(!near_miss("411599198104300378", "411599198401300378"));
    }

    #[test]
    fn a_shorter_or_differently_written_form_of_the_address_is_no_conflict() {
        let address = |record, text: &str| {
            placed(
                record,
                SourceKind::Bigdata,
                (Some("高桥乡"), None, Some(text)),
                20,
            )
        };
        let g = golden_record(&[
            placed(
                1,
                SourceKind::Township,
                (
                    Some("高桥乡"),
                    Some("高桥村"),
                    Some("河南省信阳市青溪县高桥乡高桥村5组"),
                ),
                26,
            ),
            address(2, "信阳市青溪县高桥乡"),
            address(3, "河南省信阳市青溪县高桥乡 高桥村５组"),
            address(4, "高桥乡罗洼村2组"),
        ]);
        assert_eq!(
            g.address.value.as_deref(),
            Some("河南省信阳市青溪县高桥乡高桥村5组")
        );
        assert_eq!(g.address.sources, vec![1, 3]);
        let conflicts: Vec<&str> = g
            .address
            .conflicts
            .iter()
            .map(|c| c.value.as_str())
            .collect();
        assert_eq!(conflicts, vec!["高桥乡罗洼村2组"]);
    }
}
