//! Personal names: cleaned, in Simplified characters, with toneless pinyin and the surname split
//! off (compound surnames such as 欧阳 included).
//!
//! Also home of the small text helpers the other normalisers share (full-width folding,
//! Traditional → Simplified without allocating for text that needs no conversion).

use std::borrow::Cow;

use pinyin::ToPinyin;
use serde::{Deserialize, Serialize};

/// A name after normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NormalizedName {
    /// White space and middle dots removed, full-width folded, Simplified characters.
    pub full: String,
    /// Toneless pinyin, one syllable per Han character separated by single spaces; runs of other
    /// characters are kept lower-cased as one token (`ou yang xiao ming`, `tom`).
    pub pinyin: String,
    /// The surname (one character, or a two-character compound surname); `None` for names that do
    /// not start with a Han character and for transliterated names written with a middle dot
    /// (`买买提·吐尔逊`), which carry no surname.
    pub surname: Option<String>,
    /// The rest of the name after the surname (the whole name when there is no surname).
    pub given: String,
    /// True when Traditional characters were converted to Simplified.
    pub converted_from_traditional: bool,
}

/// Values typed into a name cell that mean "no name".
const PLACEHOLDERS: &[&str] = &[
    "不详",
    "未知",
    "无",
    "无名",
    "无名氏",
    "不清楚",
    "待查",
    "待核实",
    "暂无",
    "空",
    "未填",
    "-",
    "--",
    "---",
    "?",
    "??",
    "？",
    "null",
    "none",
    "n/a",
    "na",
    "nil",
    "/",
    "\\",
    "x",
    "xx",
    "某",
];

/// Two-character surnames; a name starting with one of these has it as its surname.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "轩辕", "万俟", "闻人", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于",
    "太叔", "申屠", "钟离", "司空", "呼延", "南宫", "西门", "百里", "东郭", "拓跋", "独孤", "赫连",
    "公羊", "谷梁", "乐正", "漆雕", "巫马", "公西", "颛孙", "羊舌", "微生", "梁丘", "左丘", "段干",
    "司寇", "鲜于", "闾丘", "东门", "公良", "仲孙", "第五", "亓官", "子车", "壤驷", "归海", "呼衍",
];

/// Surnames read differently from the character's most common reading.
const SURNAME_READINGS: &[(&str, &str)] = &[
    ("尉迟", "yu chi"),
    ("万俟", "mo qi"),
    ("澹台", "tan tai"),
    ("单于", "chan yu"),
    ("长孙", "zhang sun"),
    ("单", "shan"),
    ("曾", "zeng"),
    ("仇", "qiu"),
    ("解", "xie"),
    ("区", "ou"),
    ("查", "zha"),
    ("朴", "piao"),
    ("乐", "yue"),
    ("盖", "ge"),
    ("缪", "miao"),
    ("翟", "zhai"),
    ("召", "shao"),
    ("覃", "qin"),
    ("秘", "bi"),
    ("员", "yun"),
    ("种", "chong"),
    ("重", "chong"),
    ("句", "gou"),
    ("隗", "wei"),
    ("阚", "kan"),
    ("繁", "po"),
    ("折", "she"),
];

/// The reason a name cell gave no name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRejection {
    /// Nothing left after removing white space and dots.
    Empty,
    /// A placeholder such as `不详`, `未知`, `无` or `-`.
    Placeholder,
}

/// Normalises a personal name: removes white space and middle dots (`·`, `•`, `・`, `.`), folds
/// full-width characters, converts Traditional to Simplified, and computes the toneless pinyin
/// and the surname split.
///
/// Returns `None` for empty cells and placeholders (`不详`, `未知`, `无`, `-` …); see
/// [`classify_name`] for the reason.
///
/// ```text
/// normalize_name("歐陽 小明")  -> full "欧阳小明", pinyin "ou yang xiao ming",
///                                surname "欧阳", given "小明", converted_from_traditional
/// normalize_name("不详")       -> None
/// ```
pub fn normalize_name(raw: &str) -> Option<NormalizedName> {
    classify_name(raw).ok()
}

/// Like [`normalize_name`], but says why there is no name.
pub fn classify_name(raw: &str) -> Result<NormalizedName, NameRejection> {
    let mut cleaned = String::with_capacity(raw.len());
    let mut had_dot_between_han = false;
    let mut last_was_han = false;
    let mut pending_dot = false;
    for c in raw.chars().map(fold_width) {
        if c.is_whitespace() {
            continue;
        }
        if is_middle_dot(c) {
            pending_dot = last_was_han;
            continue;
        }
        let han = is_han(c);
        if han && pending_dot {
            had_dot_between_han = true;
        }
        pending_dot = false;
        last_was_han = han;
        cleaned.push(c);
    }
    if cleaned.is_empty() {
        return Err(NameRejection::Empty);
    }
    let simplified = simplify(&cleaned);
    let converted_from_traditional = matches!(simplified, Cow::Owned(_));
    let full = simplified.into_owned();
    if is_placeholder_name(&full) {
        return Err(NameRejection::Placeholder);
    }

    let (surname, given) = if had_dot_between_han || !full.chars().next().is_some_and(is_han) {
        (None, full.clone())
    } else if let Some(compound) = COMPOUND_SURNAMES
        .iter()
        .find(|s| full.starts_with(**s) && full.len() > s.len())
    {
        (
            (*compound).to_owned().into(),
            full[compound.len()..].to_owned(),
        )
    } else {
        let first_len = full.chars().next().map_or(0, char::len_utf8);
        (
            Some(full[..first_len].to_owned()),
            full[first_len..].to_owned(),
        )
    };

    let mut pinyin = String::with_capacity(full.len() * 2);
    let given_start = match &surname {
        Some(s) => {
            push_token(&mut pinyin, &surname_pinyin(s));
            s.len()
        }
        None => 0,
    };
    push_pinyin(&mut pinyin, &full[given_start..]);

    Ok(NormalizedName {
        full,
        pinyin,
        surname,
        given,
        converted_from_traditional,
    })
}

/// True when `cleaned` (already without white space) is a placeholder for "no name".
pub fn is_placeholder_name(cleaned: &str) -> bool {
    PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(cleaned))
}

/// Toneless pinyin of `text` as produced in [`NormalizedName::pinyin`] (no surname readings).
pub fn to_pinyin(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    push_pinyin(&mut out, text);
    out
}

fn surname_pinyin(surname: &str) -> Cow<'static, str> {
    match SURNAME_READINGS.iter().find(|(s, _)| *s == surname) {
        Some((_, reading)) => Cow::Borrowed(reading),
        None => Cow::Owned(to_pinyin(surname)),
    }
}

fn push_token(out: &mut String, token: &str) {
    if token.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(token);
}

fn push_pinyin(out: &mut String, text: &str) {
    let mut other = String::new();
    for c in text.chars() {
        match c.to_pinyin() {
            Some(p) => {
                push_token(out, &other);
                other.clear();
                push_token(out, p.plain());
            }
            None => other.extend(c.to_lowercase()),
        }
    }
    push_token(out, &other);
}

fn is_middle_dot(c: char) -> bool {
    matches!(
        c,
        '·' | '•' | '・' | '.' | '‧' | '∙' | '⋅' | '･' | '●' | '﹒' | '。'
    )
}

/// True for CJK unified ideographs (the characters names and places are written in).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}' | '〇')
}

/// Folds a full-width ASCII form (`Ａ`, `１`, `（`) and the ideographic space to half-width.
pub(crate) fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Traditional → Simplified; borrows when nothing changes (pure ASCII is never converted).
pub(crate) fn simplify(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let converted = fast2s::convert(text);
    if converted == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(converted)
    }
}

/// The canonical form of free text for place lookups: full-width folded, white space removed,
/// Simplified characters.
pub(crate) fn canonical_text(text: &str) -> String {
    let folded: String = text
        .chars()
        .map(fold_width)
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut out = match simplify(&folded) {
        Cow::Borrowed(_) => folded,
        Cow::Owned(s) => s,
    };
    // fast2s maps 瀋 to the rare 渖; as a place it is 沈阳.
    if out.contains('渖') {
        out = out.replace('渖', "沈");
    }
    out
}

/// Pinyin as a person types it in a search, folded to the form [`pinyin_syllables`] holds:
/// lower case, tone marks (`gāo mǐn`) and tone numbers (`gao1`) dropped, `ü` written `v`, and
/// every separator (white space, apostrophes as in `xi'an`, dashes, dots) made one space.
/// `None` when the text holds anything else (digits other than tone numbers, Han characters).
pub fn fold_typed_pinyin(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut last_letter = false;
    for c in text.chars().map(fold_width) {
        let folded = match c {
            'a'..='z' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'ā' | 'á' | 'ǎ' | 'à' | 'Ā' | 'Á' | 'Ǎ' | 'À' => Some('a'),
            'ē' | 'é' | 'ě' | 'è' | 'Ē' | 'É' | 'Ě' | 'È' | 'ê' => Some('e'),
            'ī' | 'í' | 'ǐ' | 'ì' | 'Ī' | 'Í' | 'Ǐ' | 'Ì' => Some('i'),
            'ō' | 'ó' | 'ǒ' | 'ò' | 'Ō' | 'Ó' | 'Ǒ' | 'Ò' => Some('o'),
            'ū' | 'ú' | 'ǔ' | 'ù' | 'Ū' | 'Ú' | 'Ǔ' | 'Ù' => Some('u'),
            'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' | 'Ü' | 'Ǖ' | 'Ǘ' | 'Ǚ' | 'Ǜ' => Some('v'),
            _ => None,
        };
        match folded {
            Some(letter) => {
                out.push(letter);
                last_letter = true;
            }
            // A tone number ends a syllable.
            None if ('1'..='5').contains(&c) && last_letter => {
                out.push(' ');
                last_letter = false;
            }
            None if c.is_whitespace() || matches!(c, '\'' | '’' | '‘' | '`' | '-' | '.' | '·') =>
            {
                out.push(' ');
                last_letter = false;
            }
            None => return None,
        }
    }
    let folded = out.split_whitespace().collect::<Vec<_>>().join(" ");
    (!folded.is_empty()).then_some(folded)
}

/// A syllable of stored pinyin (`lü`) in the typed form [`pinyin_syllables`] holds (`lv`).
pub fn fold_syllable(syllable: &str) -> Cow<'_, str> {
    if syllable.contains('ü') {
        Cow::Owned(syllable.replace('ü', "v"))
    } else {
        Cow::Borrowed(syllable)
    }
}

/// A typed syllable (`lv`) as stored pinyin writes it (`lü`).
pub fn stored_syllable(syllable: &str) -> Cow<'_, str> {
    if syllable.contains('v') {
        Cow::Owned(syllable.replace('v', "ü"))
    } else {
        Cow::Borrowed(syllable)
    }
}

/// Every toneless pinyin syllable a Han character is read with (`ü` written `v`), and every
/// beginning of one (`zh`, `zha`, `zhan` of `zhang`).
struct Syllables {
    whole: std::collections::HashSet<String>,
    beginnings: std::collections::HashSet<String>,
}

fn syllables() -> &'static Syllables {
    static SYLLABLES: std::sync::OnceLock<Syllables> = std::sync::OnceLock::new();
    SYLLABLES.get_or_init(|| {
        let mut whole = std::collections::HashSet::new();
        for c in ('\u{4E00}'..='\u{9FFF}').chain('\u{3400}'..='\u{4DBF}') {
            // Interjections read without a vowel (呣 `m`, 嗯 `ng`) are no syllables of names.
            if let Some(p) = c.to_pinyin() {
                let syllable = fold_syllable(p.plain());
                if syllable.bytes().all(|b| b.is_ascii_lowercase())
                    && syllable.contains(['a', 'e', 'i', 'o', 'u', 'v'])
                {
                    whole.insert(syllable.into_owned());
                }
            }
        }
        for (_, reading) in SURNAME_READINGS {
            whole.extend(reading.split(' ').map(str::to_owned));
        }
        let beginnings = whole
            .iter()
            .flat_map(|s| (1..=s.len()).map(move |k| s[..k].to_owned()))
            .collect();
        Syllables { whole, beginnings }
    })
}

/// The toneless pinyin syllables Han characters are read with, `ü` written `v`.
pub fn pinyin_syllables() -> impl Iterator<Item = &'static str> {
    syllables().whole.iter().map(String::as_str)
}

/// True when `text` is one pinyin syllable (`ü` written `v`).
pub fn is_pinyin_syllable(text: &str) -> bool {
    syllables().whole.contains(text)
}

/// Typed pinyin split into syllables: `huangli` → `huang li`; `xian` → `xian` and `xi an`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syllabified {
    pub syllables: Vec<String>,
    /// True when the last syllable may be unfinished (`huang l`, `pan` for `pang`).
    pub open: bool,
}

/// Most ways one typed text is split into syllables.
const MAX_SPLITS: usize = 16;

/// Every way folded typed pinyin (see [`fold_typed_pinyin`]) splits into syllables, at most
/// [`MAX_SPLITS`]: a space always separates syllables; a run of letters is split wherever the
/// pieces are all syllables; the last run of the text, when it splits no such way, may end
/// with the beginning of one (`huangl`). Empty when the text is not pinyin.
pub fn syllabify(folded: &str) -> Vec<Syllabified> {
    let chunks: Vec<&str> = folded.split(' ').filter(|c| !c.is_empty()).collect();
    let mut splits = vec![Syllabified {
        syllables: Vec::new(),
        open: false,
    }];
    for (k, chunk) in chunks.iter().enumerate() {
        let last = k + 1 == chunks.len();
        let mut ways = Vec::new();
        split_chunk(chunk, last, &mut Vec::new(), &mut ways);
        // A run that splits into whole syllables is not read as unfinished (`an` is not
        // `a n…`).
        if ways.iter().any(|(_, open)| !open) {
            ways.retain(|(_, open)| !open);
        }
        if ways.is_empty() {
            return Vec::new();
        }
        splits = splits
            .iter()
            .flat_map(|so_far| {
                ways.iter().map(move |(pieces, open)| {
                    let mut syllables = so_far.syllables.clone();
                    syllables.extend(pieces.iter().cloned());
                    Syllabified {
                        syllables,
                        open: *open,
                    }
                })
            })
            .take(MAX_SPLITS)
            .collect();
    }
    splits
}

fn split_chunk(
    rest: &str,
    last: bool,
    pieces: &mut Vec<String>,
    ways: &mut Vec<(Vec<String>, bool)>,
) {
    if ways.len() >= MAX_SPLITS {
        return;
    }
    if rest.is_empty() {
        ways.push((pieces.clone(), false));
        return;
    }
    let table = syllables();
    // Longest first: the split with the fewest syllables comes first.
    for end in (1..=rest.len()).rev() {
        let piece = &rest[..end];
        if table.whole.contains(piece) {
            pieces.push(piece.to_owned());
            split_chunk(&rest[end..], last, pieces, ways);
            pieces.pop();
        }
    }
    if last && !table.whole.contains(rest) && table.beginnings.contains(rest) {
        pieces.push(rest.to_owned());
        ways.push((pieces.clone(), true));
        pieces.pop();
    }
}

/// Initials heard alike in many dialects: flat and retroflex, n and l, f and h, r and l.
const CONFUSED_INITIALS: &[(&str, &str)] = &[
    ("z", "zh"),
    ("c", "ch"),
    ("s", "sh"),
    ("n", "l"),
    ("f", "h"),
    ("r", "l"),
];

/// Finals heard alike: front and back nasals, and `u` / `ü` after n and l.
const CONFUSED_FINALS: &[(&str, &str)] = &[
    ("an", "ang"),
    ("en", "eng"),
    ("in", "ing"),
    ("ian", "iang"),
    ("uan", "uang"),
    ("u", "v"),
    ("ue", "ve"),
];

const INITIALS: &[&str] = &[
    "zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r",
    "z", "c", "s", "y", "w",
];

/// A syllable's initial and final (`zhang` → `zh`, `ang`; `an` → ``, `an`).
fn initial_and_final(syllable: &str) -> (&str, &str) {
    INITIALS
        .iter()
        .find(|i| syllable.starts_with(**i) && syllable.len() > i.len())
        .map_or(("", syllable), |i| syllable.split_at(i.len()))
}

/// The cost of one part heard instead of another: 0 alike, ½ confusable, none otherwise.
fn part_cost(a: &str, b: &str, table: &[(&str, &str)]) -> Option<f32> {
    if a == b {
        Some(0.0)
    } else if table
        .iter()
        .any(|(x, y)| (*x == a && *y == b) || (*x == b && *y == a))
    {
        Some(0.5)
    } else {
        None
    }
}

/// How far typed syllable `typed` is from syllable `heard` (both `ü` written `v`): 0 when
/// equal, ½ for each confusable initial or final ([`CONFUSED_INITIALS`],
/// [`CONFUSED_FINALS`]: `min`/`ming`, `zhang`/`zang`, `lin`/`nin`), 1 for another one-letter
/// typo when `typos` allows it; `None` when farther.
pub fn syllable_distance(typed: &str, heard: &str, typos: bool) -> Option<f32> {
    if typed == heard {
        return Some(0.0);
    }
    let (ti, tf) = initial_and_final(typed);
    let (hi, hf) = initial_and_final(heard);
    let confusable = part_cost(ti, hi, CONFUSED_INITIALS)
        .zip(part_cost(tf, hf, CONFUSED_FINALS))
        .map(|(i, f)| i + f);
    confusable.or_else(|| (typos && strsim::levenshtein(typed, heard) == 1).then_some(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(raw: &str) -> NormalizedName {
        match normalize_name(raw) {
            Some(n) => n,
            None => panic!("{raw:?} should normalise"),
        }
    }

    #[test]
    fn a_plain_name_splits_into_surname_and_given_name() {
        let n = norm("张伟");
        assert_eq!(n.full, "张伟");
        assert_eq!(n.pinyin, "zhang wei");
        assert_eq!(n.surname.as_deref(), Some("张"));
        assert_eq!(n.given, "伟");
        assert!(!n.converted_from_traditional);
    }

    #[test]
    fn white_space_and_middle_dots_are_removed_and_full_width_folded() {
        assert_eq!(norm(" 王 小 二 ").full, "王小二");
        assert_eq!(norm("王\u{3000}二").full, "王二");
        assert_eq!(norm("艾力·买买提").full, "艾力买买提");
        assert_eq!(norm("艾力•买买提").full, "艾力买买提");
        assert_eq!(norm("艾力・买买提").full, "艾力买买提");
        assert_eq!(norm("艾力.买买提").full, "艾力买买提");
        assert_eq!(norm("ＴＯＭ").full, "TOM");
    }

    #[test]
    fn traditional_characters_become_simplified_and_are_flagged() {
        let n = norm("歐陽曉明");
        assert_eq!(n.full, "欧阳晓明");
        assert!(n.converted_from_traditional);
        assert_eq!(n.surname.as_deref(), Some("欧阳"));
        assert_eq!(n.given, "晓明");
        assert_eq!(n.pinyin, "ou yang xiao ming");
        assert_eq!(norm("張偉").full, "张伟");
    }

    #[test]
    fn compound_surnames_are_split_as_one_surname() {
        for (raw, surname, given) in [
            ("欧阳娜娜", "欧阳", "娜娜"),
            ("司马光", "司马", "光"),
            ("诸葛亮", "诸葛", "亮"),
            ("上官婉儿", "上官", "婉儿"),
            ("东方明", "东方", "明"),
            ("皇甫嵩", "皇甫", "嵩"),
            ("尉迟恭", "尉迟", "恭"),
            ("公孙胜", "公孙", "胜"),
            ("慕容复", "慕容", "复"),
            ("长孙无忌", "长孙", "无忌"),
            ("宇文泰", "宇文", "泰"),
            ("司徒雷", "司徒", "雷"),
            ("夏侯惇", "夏侯", "惇"),
            ("令狐冲", "令狐", "冲"),
            ("端木蓉", "端木", "蓉"),
            ("轩辕剑", "轩辕", "剑"),
        ] {
            let n = norm(raw);
            assert_eq!(n.surname.as_deref(), Some(surname), "{raw}");
            assert_eq!(n.given, given, "{raw}");
        }
    }

    #[test]
    fn surnames_with_a_special_reading_get_it_in_pinyin() {
        assert_eq!(norm("单田芳").pinyin, "shan tian fang");
        assert_eq!(norm("曾国藩").pinyin, "zeng guo fan");
        assert_eq!(norm("尉迟恭").pinyin, "yu chi gong");
        assert_eq!(norm("解缙").pinyin, "xie jin");
    }

    #[test]
    fn non_han_characters_are_kept_lower_cased_in_pinyin() {
        let n = norm("Tom Lee");
        assert_eq!(n.full, "TomLee");
        assert_eq!(n.pinyin, "tomlee");
        assert_eq!(n.surname, None);
        assert_eq!(norm("李A").pinyin, "li a");
    }

    #[test]
    fn transliterated_names_with_a_middle_dot_have_no_surname() {
        let n = norm("买买提·吐尔逊");
        assert_eq!(n.surname, None);
        assert_eq!(n.given, "买买提吐尔逊");
    }

    #[test]
    fn a_single_character_is_a_surname_alone() {
        let n = norm("王");
        assert_eq!(n.surname.as_deref(), Some("王"));
        assert_eq!(n.given, "");
        assert_eq!(norm("欧阳").surname.as_deref(), Some("欧"));
    }

    #[test]
    fn placeholders_and_empty_cells_give_no_name() {
        for raw in ["不详", "未知", "无", "-", " ", "", "··", "NULL", "？"] {
            assert_eq!(normalize_name(raw), None, "{raw:?}");
        }
        assert_eq!(classify_name("不详"), Err(NameRejection::Placeholder));
        assert_eq!(classify_name("  "), Err(NameRejection::Empty));
    }

    #[test]
    fn text_helpers_fold_width_and_simplify() {
        assert_eq!(fold_width('１'), '1');
        assert_eq!(fold_width('Ｘ'), 'X');
        assert_eq!(fold_width('\u{3000}'), ' ');
        assert_eq!(canonical_text("湖北省 武漢市"), "湖北省武汉市");
        assert_eq!(canonical_text("瀋陽"), "沈阳");
        assert!(matches!(simplify("abc"), Cow::Borrowed(_)));
    }

    #[test]
    fn typed_pinyin_loses_tone_marks_numbers_and_apostrophes() {
        assert_eq!(fold_typed_pinyin("gāo mǐn").as_deref(), Some("gao min"));
        assert_eq!(fold_typed_pinyin("Gao1Min3").as_deref(), Some("gao min"));
        assert_eq!(fold_typed_pinyin("xi'an").as_deref(), Some("xi an"));
        assert_eq!(fold_typed_pinyin("lǚ").as_deref(), Some("lv"));
        assert_eq!(fold_typed_pinyin("ＰＡＮ").as_deref(), Some("pan"));
        assert_eq!(fold_typed_pinyin("pan7"), None);
        assert_eq!(fold_typed_pinyin("潘"), None);
        assert_eq!(fold_typed_pinyin(" ' "), None);
    }

    fn splits(text: &str) -> Vec<(String, bool)> {
        syllabify(&fold_typed_pinyin(text).unwrap_or_default())
            .into_iter()
            .map(|s| (s.syllables.join(" "), s.open))
            .collect()
    }

    #[test]
    fn typed_pinyin_splits_into_syllables_every_way_it_can() {
        assert_eq!(splits("huangli")[0], ("huang li".to_owned(), false));
        let xian = splits("xian");
        assert!(xian.contains(&("xian".to_owned(), false)), "{xian:?}");
        assert!(xian.contains(&("xi an".to_owned(), false)), "{xian:?}");
        assert_eq!(splits("xi'an"), vec![("xi an".to_owned(), false)]);
        assert!(splits("huang l").contains(&("huang l".to_owned(), true)));
        assert!(splits("zh").contains(&("zh".to_owned(), true)));
        assert!(splits("lv").contains(&("lv".to_owned(), false)));
        assert!(splits("tom").is_empty() || splits("tom").iter().all(|(_, open)| *open));
        assert!(splits("qqq").is_empty());
        assert!(is_pinyin_syllable("zhuang") && !is_pinyin_syllable("zhuong"));
    }

    #[test]
    fn syllables_heard_alike_are_near() {
        assert_eq!(syllable_distance("ming", "min", false), Some(0.5));
        assert_eq!(syllable_distance("zang", "zhang", false), Some(0.5));
        assert_eq!(syllable_distance("nin", "ling", false), Some(1.0));
        assert_eq!(syllable_distance("lu", "lv", false), Some(0.5));
        assert_eq!(syllable_distance("gao", "guo", false), None);
        assert_eq!(syllable_distance("gao", "guo", true), Some(1.0));
        assert_eq!(syllable_distance("gao", "gao", false), Some(0.0));
        assert_eq!(syllable_distance("an", "ang", false), Some(0.5));
    }

    proptest! {
        #[test]
        fn normalising_a_name_twice_changes_nothing(raw in "[张王李欧阳司马歐陽張曉明小单 a-zA-Z１２]{1,8}") {
            if let Some(once) = normalize_name(&raw) {
                let twice = normalize_name(&once.full);
                prop_assert_eq!(twice.as_ref().map(|n| &n.full), Some(&once.full));
                prop_assert_eq!(twice.as_ref().map(|n| &n.pinyin), Some(&once.pinyin));
                prop_assert_eq!(twice.as_ref().map(|n| &n.surname), Some(&once.surname));
                prop_assert_eq!(twice.as_ref().map(|n| &n.given), Some(&once.given));
            }
        }

        #[test]
        fn the_full_form_of_a_dotted_name_is_stable(raw in "[买提吐尔逊艾力·•. ]{1,10}") {
            if let Some(once) = normalize_name(&raw) {
                let twice = normalize_name(&once.full);
                prop_assert_eq!(twice.map(|n| n.full), Some(once.full));
            }
        }

        #[test]
        fn no_input_makes_normalize_name_panic(raw in any::<String>()) {
            let _ = normalize_name(&raw);
        }
    }
}
