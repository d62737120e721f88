//! What a township form's remark or status column says of where the person is.
//!
//! Officers write it in many ways: `本人在外地`, `在武汉未回`, `现在郑州市上班`, `已返回武汉`,
//! `家属代报，本人在孝感`, `本人已返回工作地`, `已返乡，居家隔离`. A remark is read clause by
//! clause, each clause through a small set of rules, each with a name that the location evidence
//! shows:
//!
//! - [`RemarkRule::StaysAt`]: the person is (still, now) at a place: `本人在…`, `现在…`,
//!   `目前在…`, `滞留…`, `在…未回`;
//! - [`RemarkRule::WentTo`]: the person went to a place: `已返回…`, `去了…`, `前往…`, `赴…`
//!   (but `从武汉返回` is where they came from, not where they are);
//! - [`RemarkRule::AwayUnnamed`]: away without a place: `在外地`, `外出务工`, `未返乡`,
//!   `返回工作地`, `不在家`, `离开本县` (but `离开武汉` is where they came from);
//! - [`RemarkRule::AtHome`]: at home in the county: `在家`, `居家隔离`, `已返乡`, `已回家`.
//!
//! A place is read through the county's gazetteer and the national division table
//! ([`Gazetteer::locate`]): a county-level division when one is named, else the city or the
//! province; a place inside the county makes the clause [`RemarkRule::AtHome`]-like evidence of
//! being in the county. A clause about a relative (`家属在家`) says nothing of the person. When
//! clauses disagree the last one wins: remarks are written in the order things happened
//! (`1月20日回青，25日又返回武汉`).

use crate::normalize::divisions::{Division, Divisions};
use crate::normalize::name::canonical_text;
use crate::normalize::place::{Gazetteer, Whereabouts};

/// What a remark says of where the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemarkReading<'d> {
    /// Where it puts the person.
    pub finding: RemarkFinding<'d>,
    /// The rule that read it.
    pub rule: RemarkRule,
}

/// Where a remark puts the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemarkFinding<'d> {
    /// Outside the county: in `Some` division (county level when named, else the city or
    /// province), or somewhere not named.
    Away(Option<&'d Division>),
    /// In the county, in the township and village when the remark names them.
    Home {
        /// Canonical township of the gazetteer, when named.
        township: Option<String>,
        /// Canonical village, when named.
        village: Option<String>,
    },
}

/// The rule of [`read_remark`] that read a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemarkRule {
    /// The person is at a place (`本人在…`, `现在…`, `在…未回`).
    StaysAt,
    /// The person went to a place (`已返回…`, `前往…`).
    WentTo,
    /// The person is away, the place not named (`在外地`, `外出务工`, `返回工作地`).
    AwayUnnamed,
    /// The person is at home (`在家`, `居家隔离`, `已返乡`).
    AtHome,
}

impl RemarkRule {
    /// The rule's stable name, as location evidence shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StaysAt => "remark.stays_at",
            Self::WentTo => "remark.went_to",
            Self::AwayUnnamed => "remark.away_unnamed",
            Self::AtHome => "remark.at_home",
        }
    }
}

/// Markers after which a place follows: the person is there. Longest first, so that `现居住在`
/// is taken before `现居`.
const STAYS_AT: [&str; 22] = [
    "现居住在",
    "目前仍在",
    "现仍在",
    "本人仍在",
    "现居住",
    "现住在",
    "目前在",
    "本人在",
    "人还在",
    "人仍在",
    "一直在",
    "滞留在",
    "留在",
    "现居",
    "现住",
    "现在",
    "仍在",
    "还在",
    "人在",
    "滞留",
    "住在",
    "暂住",
];

/// Markers after which a destination follows: the person went there.
const WENT_TO: [&str; 17] = [
    "已返回",
    "已回到",
    "已前往",
    "又返回",
    "又回到",
    "返回",
    "回到",
    "前往",
    "去往",
    "已去",
    "又去",
    "去了",
    "已赴",
    "已到",
    "到了",
    "已回",
    "赴",
];

/// Where a place ends: what follows it in a clause (`在武汉未回`, `现在郑州上班`, `在武汉的女儿家`).
const PLACE_ENDS: [&str; 30] = [
    "未回",
    "暂未",
    "尚未",
    "没回",
    "未返",
    "务工",
    "打工",
    "工作",
    "上班",
    "上学",
    "读书",
    "过年",
    "探亲",
    "居住",
    "生活",
    "隔离",
    "治疗",
    "住院",
    "出差",
    "经商",
    "做生意",
    "至今",
    "一直",
    "期间",
    "的",
    "了",
    "暂",
    "家中",
    "处",
    "后",
];

/// Away, the place not named.
const AWAY_UNNAMED: [&str; 22] = [
    "返回工作地",
    "返回单位",
    "返回学校",
    "返回工地",
    "返岗",
    "返校",
    "在外地",
    "在外省",
    "在外县",
    "外出务工",
    "外出打工",
    "外出未归",
    "外出",
    "不在家",
    "未在家",
    "没在家",
    "人不在",
    "不在本地",
    "未返乡",
    "未回乡",
    "尚未返回",
    "未返回",
];

/// At home in the county.
const AT_HOME: [&str; 12] = [
    "居家隔离",
    "居家观察",
    "在家隔离",
    "在家观察",
    "返乡",
    "回乡",
    "回家",
    "回青",
    "返青",
    "在家",
    "居家",
    "在本村",
];

/// Places that only say "elsewhere".
const ELSEWHERE: [&str; 8] = [
    "外地", "外省", "外县", "外市", "省外", "县外", "市外", "外面",
];

/// Relatives: a clause whose subject is one of them says nothing of the person.
const RELATIVES: [&str; 14] = [
    "家属", "家人", "父母", "父亲", "母亲", "妻子", "丈夫", "爱人", "儿子", "女儿", "老伴", "亲属",
    "其妻", "其夫",
];

/// Subjects that may stand before a bare `在` (`本人在武汉`, `目前在`): the person.
const SUBJECTS: [&str; 10] = [
    "本人", "该人", "该员", "其", "他", "她", "目前", "一直", "人", "现",
];

/// Reads a remark: `None` when it says nothing of where the person is.
pub fn read_remark<'d>(
    text: &str,
    gazetteer: &Gazetteer,
    divisions: &'d Divisions,
) -> Option<RemarkReading<'d>> {
    let text = canonical_text(text);
    text.split([
        ',', '，', '。', ';', '；', '、', '!', '！', '(', ')', '（', '）', '\n',
    ])
    .filter_map(|clause| read_clause(clause, gazetteer, divisions))
    .last()
}

fn read_clause<'d>(
    clause: &str,
    gazetteer: &Gazetteer,
    divisions: &'d Divisions,
) -> Option<RemarkReading<'d>> {
    if clause.is_empty() || about_a_relative(clause) {
        return None;
    }
    placed(clause, gazetteer, divisions)
        .or_else(|| unnamed_away(clause, gazetteer, divisions))
        .or_else(|| at_home(clause))
}

/// True when the clause is about a relative of the person (`家属在家`, `其妻在武汉`), not the
/// person (`该员在武汉的女儿家`).
fn about_a_relative(clause: &str) -> bool {
    let subject = clause.strip_prefix('其').unwrap_or(clause);
    RELATIVES
        .iter()
        .any(|r| clause.starts_with(r) || subject.starts_with(r))
}

/// A clause that puts the person at a named place, inside the county or out.
fn placed<'d>(
    clause: &str,
    gazetteer: &Gazetteer,
    divisions: &'d Divisions,
) -> Option<RemarkReading<'d>> {
    // The place after a marker is where the person is or went; what comes before it
    // (`从武汉返回青溪`) is where they came from.
    let at = |marker: &str, rule| {
        clause.match_indices(marker).find_map(|(i, _)| {
            locate(&clause[i + marker.len()..], gazetteer, divisions)
                .map(|finding| reading(finding, rule))
        })
    };
    STAYS_AT
        .iter()
        .find_map(|m| at(m, RemarkRule::StaysAt))
        .or_else(|| WENT_TO.iter().find_map(|m| at(m, RemarkRule::WentTo)))
        .or_else(|| bare_at(clause, gazetteer, divisions))
}

/// `在武汉未回`, `本人在孝感`: a bare `在` at the start of a clause or after its subject.
fn bare_at<'d>(
    clause: &str,
    gazetteer: &Gazetteer,
    divisions: &'d Divisions,
) -> Option<RemarkReading<'d>> {
    let mut rest = clause;
    while let Some(r) = SUBJECTS.iter().find_map(|s| rest.strip_prefix(s)) {
        rest = r;
    }
    let place = rest.strip_prefix('在')?;
    locate(place, gazetteer, divisions).map(|finding| reading(finding, RemarkRule::StaysAt))
}

/// A finding read by `rule`; a place that only says "elsewhere" (`本人在外地`) is away unnamed.
fn reading(finding: RemarkFinding<'_>, rule: RemarkRule) -> RemarkReading<'_> {
    let rule = match finding {
        RemarkFinding::Away(None) => RemarkRule::AwayUnnamed,
        _ => rule,
    };
    RemarkReading { finding, rule }
}

/// Where the place at the start of `text` is, up to the first word that ends a place.
fn locate<'d>(
    text: &str,
    gazetteer: &Gazetteer,
    divisions: &'d Divisions,
) -> Option<RemarkFinding<'d>> {
    let end = PLACE_ENDS
        .iter()
        .filter_map(|w| text.find(w))
        .min()
        .unwrap_or(text.len());
    let place = &text[..end];
    if place.is_empty() {
        return None;
    }
    if ELSEWHERE.iter().any(|e| place.starts_with(e)) {
        return Some(RemarkFinding::Away(None));
    }
    match gazetteer.locate(place, divisions) {
        Whereabouts::Outside(d) => Some(RemarkFinding::Away(Some(d))),
        Whereabouts::InCounty { township, village } => {
            Some(RemarkFinding::Home { township, village })
        }
        Whereabouts::Unknown => None,
    }
}

/// What may follow `离开` when the person left the county (`已于1月25日离开本县`), not a place
/// they came from (`离开武汉返乡`): the county, the home, the village …
const LEFT_HOME: [&str; 9] = [
    "本县",
    "本地",
    "本乡",
    "本镇",
    "本村",
    "本社区",
    "县城",
    "家",
    "老家",
];

/// `离开本县`, `离开家`, `离开青溪县`: the person left the county, the place not named.
fn left_home(clause: &str, gazetteer: &Gazetteer, divisions: &Divisions) -> bool {
    clause.match_indices("离开").any(|(i, m)| {
        let rest = &clause[i + m.len()..];
        LEFT_HOME.iter().any(|h| rest.starts_with(h))
            || matches!(
                locate(rest, gazetteer, divisions),
                Some(RemarkFinding::Home { .. })
            )
    })
}

fn unnamed_away(
    clause: &str,
    gazetteer: &Gazetteer,
    divisions: &Divisions,
) -> Option<RemarkReading<'static>> {
    (AWAY_UNNAMED.iter().any(|m| clause.contains(m)) || left_home(clause, gazetteer, divisions))
        .then_some(RemarkReading {
            finding: RemarkFinding::Away(None),
            rule: RemarkRule::AwayUnnamed,
        })
}

fn at_home(clause: &str) -> Option<RemarkReading<'static>> {
    AT_HOME
        .iter()
        .any(|m| clause.contains(m))
        .then_some(RemarkReading {
            finding: RemarkFinding::Home {
                township: None,
                village: None,
            },
            rule: RemarkRule::AtHome,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gazetteer() -> Gazetteer {
        match Gazetteer::from_toml(include_str!("../../fixtures/county.toml")) {
            Ok(g) => g,
            Err(e) => panic!("demo county: {e}"),
        }
    }

    /// The reading of `remark` as (away?, division code or township, rule).
    fn read(remark: &str) -> Option<(bool, Option<String>, &'static str)> {
        let g = gazetteer();
        read_remark(remark, &g, Divisions::embedded()).map(|r| match r.finding {
            RemarkFinding::Away(d) => (true, d.map(|d| d.code.clone()), r.rule.as_str()),
            RemarkFinding::Home { township, .. } => (false, township, r.rule.as_str()),
        })
    }

    fn away_at(remark: &str, code: &str) {
        let reading = read(remark);
        assert!(
            matches!(&reading, Some((true, Some(c), _)) if c == code),
            "{remark}: {reading:?}, expected away at {code}"
        );
    }

    fn away_unnamed(remark: &str) {
        let reading = read(remark);
        assert!(
            matches!(reading, Some((true, None, _))),
            "{remark}: {reading:?}, expected away, no place"
        );
    }

    fn home(remark: &str) {
        let reading = read(remark);
        assert!(
            matches!(reading, Some((false, _, _))),
            "{remark}: {reading:?}, expected at home"
        );
    }

    #[test]
    fn remarks_that_name_where_the_person_stays() {
        away_at("本人在武汉市江岸区", "420102");
        away_at("在武汉江岸未回", "420102");
        away_at("在孝感市孝南区暂未返回", "420902");
        away_at("现在郑州市金水区上班", "410105");
        away_at("家属代报，本人在武汉市洪山区", "420111");
        away_at("目前在广州市天河区打工", "440106");
        away_at("滞留武汉市", "420100");
        away_at("本人仍在湖北省黄冈市过年", "421100");
        away_at("一直在深圳市南山区工作，春节未回", "440305");
        away_at("現在武漢市江岸區", "420102");
        away_at("该员在武汉市硚口区的女儿家", "420104");
        away_at("电话核实：人在孝感,暂不回来", "420900");
        away_at("现居住在上海市浦东新区", "310115");
    }

    #[test]
    fn remarks_that_name_where_the_person_went() {
        away_at("已返回武汉", "420100");
        away_at("1月25日已返回武汉市江岸区", "420102");
        away_at("本人已前往北京市朝阳区", "110105");
        away_at("1月20日回青，25日又返回武汉市洪山区", "420111");
        away_at("初三去了孝感市", "420900");
        away_at("已赴郑州市", "410100");
    }

    #[test]
    fn remarks_that_say_away_without_a_place() {
        away_unnamed("本人在外地");
        away_unnamed("本人已返回工作地");
        away_unnamed("电话17604722100已联系；本人已返回工作地");
        away_unnamed("外出务工未归");
        away_unnamed("尚未返乡");
        away_unnamed("不在家，电话联系");
        away_unnamed("在外省");
        away_unnamed("家属代报，本人在外地");
        away_unnamed("人不在，已电话告知");
        away_unnamed("已于1月25日离开本县");
        away_unnamed("初五离开家，去向不明");
        away_unnamed("1月28日离开青溪县");
    }

    #[test]
    fn remarks_that_say_the_person_is_home() {
        home("在家");
        home("已返乡，居家隔离");
        home("从武汉返回，居家观察");
        home("自武汉市返回青溪县");
        home("本人在青溪县城关镇家中");
        home("现在城关镇东大街社区");
        home("已回青溪县柳林镇");
        home("1月25日返回武汉，2月1日又回到青溪县");
        home("自驾返乡途中无停留");
        home("由武汉返青后居家");
        home("1月20日离开武汉返乡");
    }

    #[test]
    fn a_home_place_gives_the_township() {
        let reading = read("现在城关镇东大街社区");
        assert_eq!(
            reading,
            Some((false, Some("城关镇".to_owned()), "remark.stays_at"))
        );
    }

    #[test]
    fn remarks_that_say_nothing_of_where_the_person_is() {
        for remark in [
            "",
            "已落实五包一",
            "无",
            "体温正常",
            "与确诊病例同乘列车",
            "家属在家",
            "其妻在武汉",
            "从武汉返回",
            "电话18215620894已联系",
            "离开武汉前体温正常",
        ] {
            assert_eq!(read(remark), None, "{remark}");
        }
    }

    #[test]
    fn rules_are_named() {
        assert_eq!(read("本人在外地").map(|r| r.2), Some("remark.away_unnamed"));
        assert_eq!(read("在武汉未回").map(|r| r.2), Some("remark.stays_at"));
        assert_eq!(read("已返回武汉").map(|r| r.2), Some("remark.went_to"));
        assert_eq!(read("居家隔离").map(|r| r.2), Some("remark.at_home"));
    }

    proptest::proptest! {
        #[test]
        fn no_remark_makes_the_reader_panic(remark in "\\PC{0,40}") {
            let g = gazetteer();
            let _ = read_remark(&remark, &g, Divisions::embedded());
        }
    }
}
