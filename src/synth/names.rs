//! Names: surnames by frequency (compound ones too), given names by sex, and the two kinds of
//! name noise intake meets — Traditional characters and homophone typos.

use rand::Rng;
use rand::seq::IndexedRandom;

use super::pick_weighted;

/// Common surnames, most frequent first (weights fall with rank).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘\
                        于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱\
                        江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";

/// Compound surnames (复姓): rare, but a name splitter must not take `欧` for the surname.
const COMPOUND_SURNAMES: [&str; 5] = ["欧阳", "司马", "诸葛", "上官", "东方"];

const GIVEN_MALE_SINGLE: [&str; 26] = [
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "鑫",
    "波", "斌", "宇", "浩", "凯", "健", "俊", "龙", "东", "峰",
];
const GIVEN_MALE_FIRST: [&str; 22] = [
    "建", "国", "志", "海", "晓", "文", "浩", "宇", "俊", "德", "红", "永", "子", "明", "振", "家",
    "天", "博", "嘉", "立", "少", "伟",
];
const GIVEN_MALE_SECOND: [&str; 22] = [
    "国", "军", "强", "明", "涛", "东", "博", "然", "轩", "杰", "华", "刚", "豪", "辉", "龙", "鹏",
    "宇", "峰", "斌", "林", "平", "新",
];
const GIVEN_FEMALE_SINGLE: [&str; 20] = [
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "倩", "慧", "婷", "梅", "英", "兰",
    "红", "萍", "琳", "洁",
];
const GIVEN_FEMALE_FIRST: [&str; 24] = [
    "秀", "丽", "红", "海", "晓", "雪", "婷", "欣", "梓", "诗", "雨", "佳", "玉", "凤", "春", "淑",
    "美", "静", "思", "可", "慧", "晶", "月", "桂",
];
const GIVEN_FEMALE_SECOND: [&str; 20] = [
    "英", "兰", "娟", "梅", "燕", "红", "婷", "怡", "涵", "桐", "珍", "华", "玲", "雪", "琴", "芳",
    "霞", "云", "萍", "丹",
];

/// Names of minorities, written with the middle dot.
const MINORITY_NAMES: [&str; 6] = [
    "阿依古丽·买买提",
    "艾力·吐尔逊",
    "古丽娜·热合曼",
    "买买提·艾山",
    "热依拉·阿不都",
    "努尔·艾合买提",
];

/// Simplified → Traditional for characters common in names (only those that differ).
const TRADITIONAL: &[(char, char)] = &[
    ('张', '張'),
    ('陈', '陳'),
    ('黄', '黃'),
    ('刘', '劉'),
    ('吴', '吳'),
    ('郑', '鄭'),
    ('赵', '趙'),
    ('孙', '孫'),
    ('钱', '錢'),
    ('丽', '麗'),
    ('华', '華'),
    ('国', '國'),
    ('军', '軍'),
    ('伟', '偉'),
    ('红', '紅'),
    ('兰', '蘭'),
    ('凤', '鳳'),
    ('龙', '龍'),
    ('杨', '楊'),
    ('马', '馬'),
    ('罗', '羅'),
    ('谢', '謝'),
    ('韩', '韓'),
    ('冯', '馮'),
    ('邓', '鄧'),
    ('萧', '蕭'),
    ('叶', '葉'),
    ('苏', '蘇'),
    ('吕', '呂'),
    ('卢', '盧'),
    ('钟', '鍾'),
    ('谭', '譚'),
    ('陆', '陸'),
    ('贾', '賈'),
    ('邹', '鄒'),
    ('顾', '顧'),
    ('龚', '龔'),
    ('严', '嚴'),
    ('汤', '湯'),
    ('许', '許'),
    ('贺', '賀'),
    ('万', '萬'),
    ('强', '強'),
    ('杰', '傑'),
    ('涛', '濤'),
    ('辉', '輝'),
    ('鹏', '鵬'),
    ('飞', '飛'),
    ('凯', '凱'),
    ('东', '東'),
    ('晓', '曉'),
    ('轩', '軒'),
    ('静', '靜'),
    ('艳', '艷'),
    ('诗', '詩'),
    ('刚', '剛'),
    ('欧', '歐'),
    ('阳', '陽'),
    ('诸', '諸'),
    ('宝', '寶'),
    ('云', '雲'),
    ('庆', '慶'),
    ('荣', '榮'),
    ('兴', '興'),
    ('贵', '貴'),
    ('梦', '夢'),
    ('书', '書'),
    ('门', '門'),
    ('蒋', '蔣'),
    ('闫', '閆'),
    ('韦', '韋'),
];

/// Characters with another of the same (toneless) pinyin, as a clerk typing by sound picks.
const HOMOPHONES: &[(char, char)] = &[
    ('伟', '韦'),
    ('丽', '莉'),
    ('明', '铭'),
    ('华', '桦'),
    ('静', '婧'),
    ('芳', '方'),
    ('红', '宏'),
    ('涛', '韬'),
    ('杰', '洁'),
    ('敏', '民'),
    ('玲', '苓'),
    ('军', '君'),
    ('辉', '晖'),
    ('燕', '艳'),
    ('娜', '纳'),
    ('磊', '垒'),
    ('勇', '永'),
    ('超', '潮'),
    ('刚', '钢'),
    ('平', '萍'),
    ('鹏', '朋'),
    ('飞', '菲'),
    ('鑫', '欣'),
    ('斌', '彬'),
    ('宇', '雨'),
    ('浩', '昊'),
    ('凯', '恺'),
    ('健', '建'),
    ('俊', '峻'),
    ('龙', '隆'),
    ('梅', '玫'),
    ('霞', '侠'),
    ('婷', '亭'),
    ('慧', '惠'),
    ('英', '瑛'),
    ('兰', '岚'),
    ('娟', '鹃'),
    ('东', '冬'),
    ('峰', '锋'),
    ('琳', '林'),
    ('洁', '杰'),
    ('萍', '平'),
    ('艳', '燕'),
    ('倩', '茜'),
    ('云', '芸'),
    ('丹', '单'),
    ('琴', '勤'),
    ('怡', '仪'),
    ('涵', '含'),
    ('珍', '真'),
    ('雪', '学'),
    ('轩', '萱'),
    ('豪', '浩'),
    ('博', '波'),
];

/// A surname: mostly single-character, by frequency; about 1 in 150 compound.
pub fn surname(rng: &mut impl Rng) -> String {
    if rng.random_bool(0.007) {
        return (*COMPOUND_SURNAMES.choose(rng).unwrap_or(&"欧阳")).to_owned();
    }
    let chars: Vec<char> = SURNAMES.chars().collect();
    let weights: Vec<u32> = (0..chars.len())
        .map(|i| {
            40u32
                .saturating_sub(u32::try_from(i / 3).unwrap_or(40))
                .max(2)
        })
        .collect();
    let i = pick_weighted(rng, &weights);
    chars[i].to_string()
}

/// A given name for the sex: a third single-character, the rest two characters.
pub fn given_name(rng: &mut impl Rng, male: bool) -> String {
    let (single, first, second): (&[&str], &[&str], &[&str]) = if male {
        (&GIVEN_MALE_SINGLE, &GIVEN_MALE_FIRST, &GIVEN_MALE_SECOND)
    } else {
        (
            &GIVEN_FEMALE_SINGLE,
            &GIVEN_FEMALE_FIRST,
            &GIVEN_FEMALE_SECOND,
        )
    };
    if rng.random_bool(0.35) {
        any(single, rng)
    } else {
        let a = any(first, rng);
        let mut b = any(second, rng);
        while b == a {
            b = any(second, rng);
        }
        a + &b
    }
}

fn any(list: &[&str], rng: &mut impl Rng) -> String {
    list[rng.random_range(0..list.len())].to_owned()
}

/// A full name; with `surname` given (a child of the household), that surname.
pub fn full_name(rng: &mut impl Rng, male: bool, surname_of: Option<&str>) -> String {
    if surname_of.is_none() && rng.random_bool(0.002) {
        return (*MINORITY_NAMES.choose(rng).unwrap_or(&MINORITY_NAMES[0])).to_owned();
    }
    let sur = surname_of.map_or_else(|| surname(rng), str::to_owned);
    sur + &given_name(rng, male)
}

/// The surname of a generated full name (compound surnames recognised).
pub fn surname_of(name: &str) -> &str {
    if let Some(c) = COMPOUND_SURNAMES.iter().find(|c| name.starts_with(**c)) {
        return c;
    }
    name.char_indices().nth(1).map_or(name, |(i, _)| &name[..i])
}

/// The name in Traditional characters, or `None` when none of its characters differ.
pub fn to_traditional(name: &str) -> Option<String> {
    let out: String = name
        .chars()
        .map(|c| {
            TRADITIONAL
                .iter()
                .find(|(s, _)| *s == c)
                .map_or(c, |(_, t)| *t)
        })
        .collect();
    (out != name).then_some(out)
}

/// The name with one given-name character replaced by a homophone (the last one that has one),
/// or `None` when no character has one in the list.
pub fn homophone_typo(name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let skip = surname_of(name).chars().count();
    for i in (skip..chars.len()).rev() {
        if let Some((_, h)) = HOMOPHONES.iter().find(|(c, _)| *c == chars[i]) {
            let mut out = chars.clone();
            out[i] = *h;
            return Some(out.into_iter().collect());
        }
    }
    None
}

/// The name with a space in it, as typed in some forms (`王 伟`, `欧阳 明辉`).
pub fn spaced(name: &str) -> String {
    if name.contains('·') {
        return name.to_owned();
    }
    let sur = surname_of(name);
    format!("{sur} {}", &name[sur.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::name::to_pinyin;

    #[test]
    fn homophone_typos_keep_the_pinyin_and_change_the_characters() {
        for (c, h) in HOMOPHONES {
            assert_ne!(c, h);
            assert_eq!(
                to_pinyin(&c.to_string()),
                to_pinyin(&h.to_string()),
                "{c} / {h}"
            );
        }
        assert_eq!(homophone_typo("王伟").as_deref(), Some("王韦"));
        assert_eq!(homophone_typo("李明").as_deref(), Some("李铭"));
    }

    #[test]
    fn traditional_names_fold_back_to_the_simplified_name() {
        for (s, t) in TRADITIONAL {
            if s != t {
                assert_eq!(fast2s::convert(&t.to_string()), s.to_string(), "{t}");
            }
        }
        assert_eq!(to_traditional("张丽华").as_deref(), Some("張麗華"));
        assert_eq!(to_traditional("李明"), None);
    }

    #[test]
    fn compound_surnames_are_split_whole() {
        assert_eq!(surname_of("欧阳明辉"), "欧阳");
        assert_eq!(spaced("欧阳明辉"), "欧阳 明辉");
        assert_eq!(spaced("王伟"), "王 伟");
    }
}
