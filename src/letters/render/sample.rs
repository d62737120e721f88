//! Letters for the tests: dates fixed, so the rendered documents are stable.

use chrono::NaiveDate;

use super::super::document::{DocumentKind, LetterDocument, LetterPerson};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// One person of the sample lists, the `n`th.
pub(crate) fn person(n: usize) -> LetterPerson {
    const NAMES: [&str; 6] = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆"];
    LetterPerson {
        person_id: n as i64 + 1,
        name: NAMES[n % NAMES.len()].to_owned(),
        sex: if n.is_multiple_of(2) { "男" } else { "女" }.to_owned(),
        id_number: format!("42090219900101{:04}", 1000 + n),
        phone: format!("1380000{:04}", n),
        current_address: format!(
            "湖北省孝感市孝南区书院街道槐荫社区{}栋{}单元",
            n + 1,
            n % 4 + 1
        ),
        arrival_date: "2020-01-23".to_owned(),
        hubei_link: if n.is_multiple_of(3) {
            "武汉"
        } else {
            "湖北其他地区"
        }
        .to_owned(),
        reason: "镇办核查备注：本人电话确认已于2020-01-28返回孝感市孝南区居住".to_owned(),
        finding: "在我县，自2020-01-25起居家医学观察".to_owned(),
    }
}

/// A request (协查函) to 孝南区 listing `count` persons.
pub(crate) fn request(count: usize) -> LetterDocument {
    LetterDocument {
        kind: DocumentKind::Request,
        number: Some("青溪防指函〔2020〕7号".to_owned()),
        addressee_jurisdiction: "孝南区".to_owned(),
        addressee: "孝南区新冠肺炎疫情防控指挥部".to_owned(),
        sender: "青溪县新冠肺炎疫情防控指挥部".to_owned(),
        contact: "李明".to_owned(),
        contact_phone: "0710-5551234".to_owned(),
        date: date(2020, 2, 1),
        reply_by: Some(date(2020, 2, 4)),
        in_reply_to: None,
        persons: (0..count).map(person).collect(),
    }
}

/// A reply (回函) to a notice from 孝南区 about `count` persons, still a draft.
pub(crate) fn reply(count: usize) -> LetterDocument {
    LetterDocument {
        kind: DocumentKind::Reply,
        number: None,
        in_reply_to: Some("孝南防指函〔2020〕12号".to_owned()),
        reply_by: None,
        ..request(count)
    }
}
