//! Sex as written on screening forms (`男`/`女`, `M`/`F`, `1`/`2` …).

use serde::{Deserialize, Serialize};

use super::name::fold_width;

/// A person's sex as recorded on the ID card (GB 11643 encodes it in the 17th digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// Both sexes.
    pub const ALL: [Sex; 2] = [Sex::Male, Sex::Female];

    /// The stable wire form: `MALE` or `FEMALE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "MALE",
            Sex::Female => "FEMALE",
        }
    }

    /// Reads the wire form back.
    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The sex encoded by the 17th digit of an ID number: odd is male, even is female.
    pub fn from_id_digit(digit: u8) -> Self {
        if digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
}

/// Reads a sex cell: `男`, `女`, `男性`, `女性`, `M`, `F`, `male`, `female`, `1` (male), `2`
/// (female), in any case, full- or half-width, with surrounding white space.
///
/// Anything else (empty, `不详`, `3` …) gives `None`: a sex is never guessed.
///
/// ```text
/// parse_sex(" 女 ")   == Some(Sex::Female)
/// parse_sex("Ｍ")     == Some(Sex::Male)
/// parse_sex("不详")   == None
/// ```
pub fn parse_sex(raw: &str) -> Option<Sex> {
    let mut buf = [0u8; 32];
    let mut len = 0;
    for c in raw.chars().map(fold_width) {
        if c.is_whitespace() {
            continue;
        }
        let c = c.to_ascii_lowercase();
        let needed = c.len_utf8();
        if len + needed > buf.len() {
            return None;
        }
        c.encode_utf8(&mut buf[len..]);
        len += needed;
    }
    let cleaned = std::str::from_utf8(&buf[..len]).ok()?;
    match cleaned {
        "男" | "男性" | "男士" | "m" | "male" | "man" | "1" => Some(Sex::Male),
        "女" | "女性" | "女士" | "f" | "female" | "woman" | "2" => Some(Sex::Female),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_usual_ways_of_writing_a_sex_are_understood() {
        let cases = [
            ("男", Some(Sex::Male)),
            ("女", Some(Sex::Female)),
            ("男性", Some(Sex::Male)),
            ("女性", Some(Sex::Female)),
            (" M ", Some(Sex::Male)),
            ("f", Some(Sex::Female)),
            ("Male", Some(Sex::Male)),
            ("FEMALE", Some(Sex::Female)),
            ("1", Some(Sex::Male)),
            ("2", Some(Sex::Female)),
            ("Ｍ", Some(Sex::Male)),
            ("２", Some(Sex::Female)),
            ("男\u{3000}", Some(Sex::Male)),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_sex(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn unknown_or_empty_sex_is_never_guessed() {
        for raw in ["", "  ", "不详", "未知", "3", "0", "男女", "x", "-"] {
            assert_eq!(parse_sex(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn sex_serialises_as_screaming_snake_case() {
        assert_eq!(Sex::Male.as_str(), "MALE");
        assert_eq!(Sex::Female.as_str(), "FEMALE");
        assert_eq!(
            serde_json::to_string(&Sex::Female).ok().as_deref(),
            Some("\"FEMALE\"")
        );
        let back: Result<Sex, _> = serde_json::from_str("\"MALE\"");
        assert_eq!(back.ok(), Some(Sex::Male));
    }

    #[test]
    fn an_odd_id_digit_is_male_and_an_even_one_female() {
        assert_eq!(Sex::from_id_digit(1), Sex::Male);
        assert_eq!(Sex::from_id_digit(0), Sex::Female);
        assert_eq!(Sex::from_id_digit(8), Sex::Female);
    }

    proptest! {
        #[test]
        fn no_input_makes_parse_sex_panic(raw in any::<String>()) {
            let _ = parse_sex(&raw);
        }
    }
}
