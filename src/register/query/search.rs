//! Finding a half-remembered person: by a name or its beginning (a surname alone), in
//! Simplified or Traditional characters; by pinyin, whole, its beginning or heard alike
//! (`gao ming` finds 高敏), with or without tone marks, spaces and apostrophes; by an ID number
//! or its last four or more characters; by a phone or its last four or more digits.
//!
//! The database narrows (a condition every kind of match implies: the name's beginning, the
//! first syllable and the syllables heard alike, the ID number's end, a phone's end); the
//! persons it finds are then weighed here, on their golden record and on every current
//! record, and listed best match first.

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
};

use super::page::{Cursor, Page, PageArgs};
use super::person_filter::{PersonFilter, persons_with_records};
use crate::config::limits::{
    DEFAULT_PAGE, MAX_PAGE, MAX_SEARCH_CANDIDATES, MIN_ID_SUFFIX, MIN_PHONE_ENDING,
};
use crate::db::{person, record_link, source_record};
use crate::error::AppError;
use crate::normalize::name::{
    Syllabified, fold_syllable, fold_typed_pinyin, fold_width, is_han, pinyin_syllables,
    stored_syllable, syllabify, syllable_distance,
};
use crate::normalize::phone::normalize_phone;
use crate::normalize::{IdClass, normalize_name, parse_id_number};
use crate::register::Register;

/// Most candidates whose records are read by listing their IDs (more are read through the
/// candidates' condition again, as a subquery).
const LISTED_CANDIDATES: usize = 1_000;

/// What a search hit matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchedOn {
    /// The name in characters: whole, or its beginning (a surname alone).
    Name,
    /// The name's pinyin: whole, its beginning, or syllables heard alike.
    Pinyin,
    /// The ID number: whole, or its last four or more characters.
    IdSuffix,
    /// A phone: whole, or its last four or more digits.
    Phone,
}

/// A person a search found, how well, and on what.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub person: person::Model,
    /// How well the person matches, 1 to 100: 100 for a whole name, ID number or phone;
    /// less for a beginning, an ending, or pinyin heard alike.
    pub quality: u32,
    /// What matched, in the order of [`MatchedOn`].
    pub matched_on: Vec<MatchedOn>,
}

impl Register {
    /// Persons found by `text` (see the module), among those `filter` selects and `visible`
    /// lets the caller see; best match first, then by person ID. Persons match on their
    /// golden record or on any of their current source records.
    pub async fn search_persons(
        &self,
        text: &str,
        filter: &PersonFilter,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<SearchHit>, AppError> {
        self.check_person_filter(filter)?;
        let query = SearchQuery::parse(text, self)?;
        let cond = self
            .person_condition(filter)
            .add(visible)
            .add(query.person_condition());
        let candidates: Vec<Identifiers> = person::Entity::find()
            .select_only()
            .columns([
                person::Column::Id,
                person::Column::Name,
                person::Column::NamePinyin,
                person::Column::IdNumber,
                person::Column::Phones,
            ])
            .filter(cond.clone())
            .limit(MAX_SEARCH_CANDIDATES as u64 + 1)
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        if candidates.len() > MAX_SEARCH_CANDIDATES {
            return Err(AppError::BadInput(format!(
                "找到的人员超过 {MAX_SEARCH_CANDIDATES} 人，请输入更完整的姓名或号码，或加上筛选条件（如乡镇）"
            )));
        }
        let mut scores: HashMap<i64, Score> = HashMap::with_capacity(candidates.len());
        for row in &candidates {
            query.weigh(row, scores.entry(row.0).or_default());
        }
        // The current records behind the candidates that the text may match.
        let records: Vec<Identifiers> = source_record::Entity::find()
            .select_only()
            .column(record_link::Column::PersonId)
            .columns([
                source_record::Column::Name,
                source_record::Column::NamePinyin,
                source_record::Column::IdNumber,
                source_record::Column::Phones,
            ])
            .join(
                JoinType::InnerJoin,
                source_record::Relation::RecordLink.def(),
            )
            .filter(query.record_condition())
            .filter(if candidates.len() <= LISTED_CANDIDATES {
                record_link::Column::PersonId.is_in(candidates.iter().map(|c| c.0))
            } else {
                record_link::Column::PersonId.in_subquery(
                    Query::select()
                        .column(person::Column::Id)
                        .from(person::Entity)
                        .cond_where(cond)
                        .to_owned(),
                )
            })
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        for row in &records {
            if let Some(score) = scores.get_mut(&row.0) {
                query.weigh(row, score);
            }
        }
        let mut ranked: Vec<(u32, i64, Vec<MatchedOn>)> = scores
            .into_iter()
            .filter(|(_, s)| s.quality > 0)
            .map(|(id, s)| (s.quality, id, s.on.into_iter().collect()))
            .collect();
        ranked.sort_by_key(|(quality, id, _)| rank_key(*quality, *id));
        let (window, page) = window(ranked, &args)?;
        let ids: Vec<i64> = window.iter().map(|(_, id, _)| *id).collect();
        let mut persons: HashMap<i64, person::Model> = person::Entity::find()
            .filter(person::Column::Id.is_in(ids))
            .all(&self.db.conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let items = window
            .into_iter()
            .filter_map(|(quality, id, matched_on)| {
                persons.remove(&id).map(|person| SearchHit {
                    person,
                    quality,
                    matched_on,
                })
            })
            .collect();
        Ok(Page { items, ..page })
    }
}

/// The cursor of a search hit: its person and how well it matched.
pub fn hit_cursor(hit: &SearchHit) -> Cursor {
    Cursor {
        id: hit.person.id,
        value: Some(serde_json::Value::from(hit.quality)),
    }
}

/// The order of hits: best match first, then by person ID.
fn rank_key(quality: u32, id: i64) -> (std::cmp::Reverse<u32>, i64) {
    (std::cmp::Reverse(quality), id)
}

/// A hit cursor's place in the order.
fn cursor_key(cursor: &Cursor) -> Result<(std::cmp::Reverse<u32>, i64), AppError> {
    let quality = cursor
        .value
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        .and_then(|q| u32::try_from(q).ok())
        .ok_or_else(|| AppError::BadInput("游标与当前排序方式不符".into()))?;
    Ok(rank_key(quality, cursor.id))
}

/// The hits of the page `args` asks for, in order, and the page's counts and flags (its
/// items left empty).
#[expect(
    clippy::type_complexity,
    reason = "ranked hits in, the page's share and its flags out"
)]
fn window(
    ranked: Vec<(u32, i64, Vec<MatchedOn>)>,
    args: &PageArgs,
) -> Result<(Vec<(u32, i64, Vec<MatchedOn>)>, Page<SearchHit>), AppError> {
    let total = ranked.len() as u64;
    let after = args.after.as_ref().map(cursor_key).transpose()?;
    let before = args.before.as_ref().map(cursor_key).transpose()?;
    let mut within: Vec<_> = ranked
        .into_iter()
        .filter(|(q, id, _)| {
            let key = rank_key(*q, *id);
            after.is_none_or(|a| key > a) && before.is_none_or(|b| key < b)
        })
        .collect();
    let take = Ord::min(args.first.or(args.last).unwrap_or(DEFAULT_PAGE), MAX_PAGE) as usize;
    let from_end = args.first.is_none() && args.last.is_some();
    let more = within.len() > take;
    if from_end {
        within.drain(..within.len().saturating_sub(take));
    } else {
        within.truncate(take);
    }
    let (has_next, has_previous) = if from_end {
        (before.is_some(), more)
    } else {
        (more, after.is_some())
    };
    Ok((
        within,
        Page {
            items: Vec::new(),
            total,
            has_next,
            has_previous,
        },
    ))
}

/// A full identifier a search looks for: searching by one confirms a value that is shown
/// masked, so such searches are audited (with a hash of the value, never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchedIdentifier {
    /// `idNumber`, `phone`, `idNumberEnding` or `phoneEnding`.
    pub field: &'static str,
    /// The normalised value (an 18-character ID number, a phone's digits, an ending).
    pub value: String,
}

impl Register {
    /// The identifiers `text` would be searched by that confirm more than a masked value
    /// shows: a full ID number or phone, and an ending of either longer than the four
    /// characters masking leaves (none for a name, a four-character ending, or text that is
    /// no search at all).
    pub fn searched_identifiers(&self, text: &str) -> Vec<SearchedIdentifier> {
        let Ok(query) = SearchQuery::parse(text, self) else {
            return Vec::new();
        };
        let beyond_shown = |ending: &String| ending.len() > MIN_ID_SUFFIX;
        // A whole phone is audited as one, not also as the ending of an ID number.
        let id_ending = query
            .id_suffix
            .filter(beyond_shown)
            .filter(|ending| query.phone.as_ref() != Some(ending));
        [
            ("idNumber", query.id_number),
            ("phone", query.phone),
            ("idNumberEnding", id_ending),
            ("phoneEnding", query.phone_ending.filter(beyond_shown)),
        ]
        .into_iter()
        .filter_map(|(field, value)| value.map(|value| SearchedIdentifier { field, value }))
        .collect()
    }
}

/// (person ID, name, pinyin, ID number, phones as JSON) of a person or of one of its records.
type Identifiers = (i64, Option<String>, Option<String>, Option<String>, String);

/// How well a person matches so far, and on what.
#[derive(Debug, Default)]
struct Score {
    quality: u32,
    on: BTreeSet<MatchedOn>,
}

impl Score {
    fn add(&mut self, on: MatchedOn, quality: u32) {
        self.quality = Ord::max(self.quality, quality);
        self.on.insert(on);
    }
}

/// What a search text can be, folded to the stored forms.
#[derive(Debug, Default)]
struct SearchQuery {
    /// A name or its beginning, in Simplified characters.
    name: Option<String>,
    /// The ways the pinyin splits into syllables (`ü` written `v`): typed, or the name's
    /// own when the text is a name of two characters or more.
    pinyin: Vec<Syllabified>,
    /// True when `pinyin` is the name's: it then finds a name written with other characters
    /// read the same (not merely alike).
    pinyin_of_name: bool,
    /// Typed letters without separators (`tomlee`), matched against the whole pinyin.
    compact_pinyin: Option<String>,
    /// A valid 18-character ID number.
    id_number: Option<String>,
    /// The last characters of an ID number (four or more).
    id_suffix: Option<String>,
    /// A phone, digits only.
    phone: Option<String>,
    /// The last digits of a phone (four or more).
    phone_ending: Option<String>,
}

/// Quality of a whole name, ID number or phone.
const WHOLE: u32 = 100;
/// Quality of the whole pinyin.
const WHOLE_PINYIN: u32 = 90;
/// Quality of a name's beginning (less a point per character left).
const NAME_BEGINNING: u32 = 80;
/// Quality of the pinyin's beginning (less a point per syllable left, down to 70).
const PINYIN_BEGINNING: u32 = 76;
/// Quality of pinyin heard alike, less 20 for each whole syllable's distance.
const PINYIN_ALIKE: f32 = 60.0;
/// Quality of an ending of four characters (more for a longer one).
const ENDING: u32 = 60;
/// What a name written with other characters read alike loses against typed pinyin.
const OTHER_CHARACTERS: u32 = 20;

impl SearchQuery {
    fn parse(text: &str, register: &Register) -> Result<Self, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AppError::BadInput("搜索内容不能为空".into()));
        }
        let mut query = Self::default();
        let compact: String = text
            .chars()
            .map(fold_width)
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '·'))
            .collect();
        if compact.chars().any(is_han) {
            if let Some(name) = normalize_name(text) {
                if name.full.chars().count() >= 2 && name.full.chars().all(is_han) {
                    query.pinyin = vec![Syllabified {
                        syllables: name
                            .pinyin
                            .split(' ')
                            .map(|s| fold_syllable(s).into_owned())
                            .collect(),
                        open: false,
                    }];
                    query.pinyin_of_name = true;
                }
                query.name = Some(name.full);
            }
        } else if let Some(folded) = fold_typed_pinyin(text) {
            // One letter alone would list a good part of the register.
            if folded.chars().filter(char::is_ascii_alphabetic).count() >= 2 {
                query.pinyin = syllabify(&folded);
                query.compact_pinyin = Some(folded.replace(' ', ""));
            }
        }
        let is_id_like = |s: &str| {
            s.chars().enumerate().all(|(i, c)| {
                c.is_ascii_digit() || (i + 1 == s.chars().count() && c.eq_ignore_ascii_case(&'x'))
            })
        };
        if let Some(id) = parse_id_number(text, register.reference.divisions)
            .filter(|p| p.class == IdClass::Valid)
        {
            query.id_number = Some(id.normalized);
        } else if compact.len() >= MIN_ID_SUFFIX && compact.len() < 18 && is_id_like(&compact) {
            query.id_suffix = Some(compact.to_ascii_uppercase());
        }
        query.phone = normalize_phone(text).map(|p| p.number);
        if (MIN_PHONE_ENDING..=11).contains(&compact.len())
            && compact.chars().all(|c| c.is_ascii_digit())
            && query.phone.as_deref() != Some(compact.as_str())
        {
            query.phone_ending = Some(compact);
        }
        if query.name.is_none()
            && query.pinyin.is_empty()
            && query.compact_pinyin.is_none()
            && query.id_number.is_none()
            && query.id_suffix.is_none()
            && query.phone.is_none()
            && query.phone_ending.is_none()
        {
            return Err(AppError::BadInput(
                "请输入姓名（或姓氏）、拼音、身份证号（或其末四位以上）或电话号码（或其末四位以上）"
                    .into(),
            ));
        }
        Ok(query)
    }

    /// The first syllables a name may begin with to match: (stored syllable, whether the
    /// name may go on within it). Syllables heard alike are included.
    fn first_syllables(&self) -> BTreeSet<(String, bool)> {
        let mut first = BTreeSet::new();
        for split in &self.pinyin {
            let Some(typed) = split.syllables.first() else {
                continue;
            };
            if split.open && split.syllables.len() == 1 {
                first.insert((stored_syllable(typed).into_owned(), true));
            } else {
                for heard in
                    pinyin_syllables().filter(|s| syllable_distance(typed, s, false).is_some())
                {
                    first.insert((stored_syllable(heard).into_owned(), false));
                }
            }
        }
        first
    }

    /// The condition on one table's identity columns (person or source_record share names):
    /// true for every row the text may match, and for few others.
    fn condition<C: ColumnTrait>(&self, name: C, pinyin: C, id_number: C, phones: C) -> Condition {
        let mut any = Condition::any();
        if let Some(n) = &self.name {
            any = any.add(name.eq(n.clone()));
            if !n.contains(['%', '_', '\\']) {
                any = any.add(name.like(format!("{n}%")));
            }
        }
        for (syllable, open) in self.first_syllables() {
            any = any.add(if open {
                Condition::all().add(pinyin.like(format!("{syllable}%")))
            } else {
                Condition::any()
                    .add(pinyin.eq(syllable.clone()))
                    .add(pinyin.like(format!("{syllable} %")))
            });
        }
        if let Some(compact) = &self.compact_pinyin {
            let stored = stored_syllable(compact).into_owned();
            any = any.add(Expr::cust("replace(name_pinyin, ' ', '')").eq(compact.clone()));
            if stored != *compact {
                any = any.add(Expr::cust("replace(name_pinyin, ' ', '')").eq(stored));
            }
        }
        if let Some(id) = &self.id_number {
            any = any.add(id_number.eq(id.clone()));
        }
        if let Some(suffix) = &self.id_suffix {
            // The indexed last four characters narrow; LIKE checks a longer suffix.
            let last4: String = suffix[suffix.len() - MIN_ID_SUFFIX..].to_owned();
            any = any.add(
                Condition::all()
                    .add(Expr::cust("substr(id_number, 15)").eq(last4))
                    .add(id_number.like(format!("%{suffix}"))),
            );
        }
        if let Some(phone) = &self.phone {
            // Phones are a compact JSON array of digit strings.
            any = any.add(phones.like(format!("%\"{phone}\"%")));
        }
        if let Some(ending) = &self.phone_ending {
            any = any.add(phones.like(format!("%{ending}\"%")));
        }
        any
    }

    fn record_condition(&self) -> Condition {
        Condition::all()
            .add(source_record::Column::IsCurrent.eq(true))
            .add(self.condition(
                source_record::Column::Name,
                source_record::Column::NamePinyin,
                source_record::Column::IdNumber,
                source_record::Column::Phones,
            ))
    }

    fn person_condition(&self) -> Condition {
        let on_person = self.condition(
            person::Column::Name,
            person::Column::NamePinyin,
            person::Column::IdNumber,
            person::Column::Phones,
        );
        Condition::any()
            .add(on_person)
            .add(person::Column::Id.in_subquery(persons_with_records(self.record_condition())))
    }

    /// Weighs one set of identifiers (a golden record's or a record's) into `score`.
    fn weigh(&self, (_, name, pinyin, id_number, phones): &Identifiers, score: &mut Score) {
        let mut by_name = false;
        if let (Some(typed), Some(name)) = (&self.name, name) {
            if name == typed {
                score.add(MatchedOn::Name, WHOLE);
                by_name = true;
            } else if let Some(rest) = name.strip_prefix(typed.as_str()) {
                let left = u32::try_from(rest.chars().count()).unwrap_or(u32::MAX);
                score.add(
                    MatchedOn::Name,
                    NAME_BEGINNING.saturating_sub(Ord::min(left, 5)),
                );
                by_name = true;
            }
        }
        if let Some(pinyin) = pinyin.as_deref().filter(|_| !by_name) {
            let heard: Vec<String> = pinyin
                .split(' ')
                .map(|s| fold_syllable(s).into_owned())
                .collect();
            let best = self
                .pinyin
                .iter()
                .filter_map(|split| pinyin_quality(split, &heard, !self.pinyin_of_name))
                .max();
            let penalty = if self.pinyin_of_name {
                OTHER_CHARACTERS
            } else {
                0
            };
            if let Some(quality) = best {
                score.add(MatchedOn::Pinyin, quality.saturating_sub(penalty));
            }
            if let Some(compact) = &self.compact_pinyin
                && heard.concat() == *compact
            {
                score.add(MatchedOn::Pinyin, WHOLE_PINYIN);
            }
        }
        if let Some(number) = id_number {
            if self.id_number.as_ref() == Some(number) {
                score.add(MatchedOn::IdSuffix, WHOLE);
            } else if let Some(suffix) = &self.id_suffix
                && number.to_ascii_uppercase().ends_with(suffix.as_str())
            {
                score.add(MatchedOn::IdSuffix, ending_quality(suffix.len()));
            }
        }
        if self.phone.is_some() || self.phone_ending.is_some() {
            let numbers: Vec<String> = serde_json::from_str(phones).unwrap_or_default();
            for number in numbers {
                if self.phone.as_ref() == Some(&number)
                    || self.phone_ending.as_ref() == Some(&number)
                {
                    score.add(MatchedOn::Phone, WHOLE);
                } else if let Some(ending) = &self.phone_ending
                    && number.ends_with(ending.as_str())
                {
                    score.add(MatchedOn::Phone, ending_quality(ending.len()));
                }
            }
        }
    }
}

/// The quality of an ending of `len` characters: 60 for four, two more for each further one.
fn ending_quality(len: usize) -> u32 {
    ENDING + 2 * u32::try_from(Ord::min(len.saturating_sub(4), 14)).unwrap_or(0)
}

/// How well typed syllables match a name's syllables `heard` (both `ü` written `v`): the
/// whole pinyin; its beginning (the last typed syllable may be unfinished); or the same
/// number of syllables from the start, each heard alike (`syllable_distance`: the first, the
/// surname, only by the table of confusable initials and finals, the others also by a
/// one-letter typo), at most one whole syllable apart in all (one and a half from three
/// syllables on), when `alike` allows it. `None` when they do not match.
fn pinyin_quality(typed: &Syllabified, heard: &[String], alike: bool) -> Option<u32> {
    let (m, n) = (typed.syllables.len(), heard.len());
    if m == 0 || m > n {
        return None;
    }
    let mut cost = 0.0f32;
    let mut same = true;
    for (i, (t, h)) in typed.syllables.iter().zip(heard).enumerate() {
        let unfinished = typed.open && i + 1 == m;
        let c = if unfinished {
            h.starts_with(t.as_str()).then_some(0.0)?
        } else {
            syllable_distance(t, h, i > 0)?
        };
        same &= t == h;
        cost += c;
    }
    let limit = match (alike, m) {
        (false, _) => 0.0,
        (true, ..=2) => 1.0,
        (true, _) => 1.5,
    };
    if cost > limit {
        return None;
    }
    let left = Ord::min(u32::try_from(n - m).unwrap_or(u32::MAX), 5);
    Some(if cost == 0.0 {
        if same && m == n {
            WHOLE_PINYIN
        } else {
            Ord::max(PINYIN_BEGINNING.saturating_sub(left), 70)
        }
    } else {
        // At most 1.5 apart: 30 to 60, less a point per syllable left.
        ((PINYIN_ALIKE - 20.0 * cost).max(1.0) as u32).saturating_sub(left)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::name::{fold_typed_pinyin, syllabify};

    fn quality(typed: &str, name_pinyin: &str) -> Option<u32> {
        let heard: Vec<String> = name_pinyin
            .split(' ')
            .map(|s| fold_syllable(s).into_owned())
            .collect();
        syllabify(&fold_typed_pinyin(typed).unwrap_or_default())
            .iter()
            .filter_map(|split| pinyin_quality(split, &heard, true))
            .max()
    }

    #[test]
    fn pinyin_matches_whole_then_beginning_then_heard_alike() {
        let whole = quality("gao min", "gao min").expect("whole");
        let alike = quality("gao ming", "gao min").expect("heard alike");
        let beginning = quality("huang li", "huang li hua").expect("beginning");
        assert!(
            whole > beginning && beginning > alike,
            "{whole} {beginning} {alike}"
        );
        assert_eq!(quality("gāo mǐn", "gao min"), Some(whole));
        assert_eq!(quality("GaoMin", "gao min"), Some(whole));
        assert!(quality("pan", "pan jian guo").is_some());
        assert!(quality("huangl", "huang li hua").is_some());
        assert!(quality("zang wei", "zhang wei").is_some());
        assert!(quality("lv fang", "lü fang").is_some());
        // A name typed in characters finds other characters read the same, not alike.
        let name = Syllabified {
            syllables: vec!["gao".into(), "min".into()],
            open: false,
        };
        let heard = |p: &str| p.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert!(pinyin_quality(&name, &heard("gao min"), false).is_some());
        assert_eq!(pinyin_quality(&name, &heard("gao ming"), false), None);
        assert_eq!(quality("lü fang", "lü fang"), Some(whole));
    }

    #[test]
    fn pinyin_far_from_the_name_does_not_match() {
        assert_eq!(
            quality("gao ming", "guo min"),
            None,
            "the surname is not typo-tolerant"
        );
        assert_eq!(quality("xi'an", "xian na"), None);
        assert!(quality("xian", "xi an na").is_some());
        assert_eq!(quality("huang li hua", "huang li"), None);
        assert_eq!(quality("zhang wei", "zang pei"), None);
        assert_eq!(
            quality("li ming", "ning min"),
            None,
            "more than one syllable apart"
        );
    }

    #[test]
    fn endings_weigh_more_the_longer_they_are() {
        assert_eq!(ending_quality(4), 60);
        assert!(ending_quality(6) > ending_quality(4));
        assert!(ending_quality(17) < WHOLE);
    }
}
