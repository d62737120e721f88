//! What the register knows of a person, in the words a letter prints: why the county believes
//! the person is where the letter goes, their Hubei link, and for a reply to a notice what
//! the county found.

use chrono::NaiveDate;

use crate::intake::SourceKind;
use crate::register::golden::LocationPiece;
use crate::states::{HubeiLink, LocationStatus, ObservationState};

/// The source of a piece of evidence, in words.
fn source_label(source: SourceKind) -> &'static str {
    match source {
        SourceKind::Township => "镇办核查",
        SourceKind::External => "外地通报",
        SourceKind::Bigdata => "大数据核查",
    }
}

/// The rule that read a piece, in words.
fn rule_label(rule: &str) -> &'static str {
    match rule {
        "remark.stays_at" => "备注称本人在",
        "remark.went_to" => "备注称已前往",
        "remark.away_unnamed" => "备注称外出",
        "remark.at_home" => "备注称在家",
        "township.cell" | "township.address" => "登记地址",
        "notice.address" => "通报地址",
        "bigdata.location" => "定位",
        _ => "记录",
    }
}

/// Why the county believes the person is where they are: the deciding piece of location
/// evidence in words (`外地通报（2020-01-28）：通报地址 孝南区`); empty without one.
pub fn reason(evidence: &[LocationPiece]) -> String {
    let Some(p) = evidence.iter().find(|p| p.deciding) else {
        return String::new();
    };
    let place = match p.status {
        LocationStatus::OutOfCounty => p.name.clone().unwrap_or_else(|| "县外".to_owned()),
        _ => p.township.clone().unwrap_or_else(|| "本县".to_owned()),
    };
    format!(
        "{}（{}）：{} {}",
        source_label(p.source),
        p.report_date,
        rule_label(&p.rule),
        place
    )
}

/// The Hubei link in words (`武汉`, `湖北其他地区`; empty when unknown).
pub fn hubei_link(link: HubeiLink) -> &'static str {
    match link {
        HubeiLink::Wuhan => "武汉",
        HubeiLink::OtherHubei => "湖北其他地区",
        HubeiLink::Unknown => "",
    }
}

/// What the register knows of a person of a notice, for the county's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// In the county under home observation since the date (released when `released`).
    Observed {
        /// First day of the observation.
        since: NaiveDate,
        /// The observation has ended.
        released: bool,
    },
    /// In the county, no observation yet.
    InCounty,
    /// Known to be outside the county, at the place named when known.
    Elsewhere(Option<String>),
    /// Not verified yet: not found so far.
    NotFound,
}

impl Finding {
    /// The finding of a person from their status, place and observation.
    pub fn of(
        status: LocationStatus,
        place: Option<String>,
        observation: Option<(NaiveDate, ObservationState)>,
    ) -> Self {
        match (status, observation) {
            (LocationStatus::InCounty, Some((since, state))) => Finding::Observed {
                since,
                released: state == ObservationState::Released,
            },
            (LocationStatus::InCounty, None) => Finding::InCounty,
            (LocationStatus::OutOfCounty, _) => Finding::Elsewhere(place),
            (LocationStatus::PendingVerification, _) => Finding::NotFound,
        }
    }

    /// The finding in words, as the reply prints it.
    pub fn words(&self) -> String {
        match self {
            Finding::Observed {
                since,
                released: false,
            } => format!("已在我县找到，自{since}起居家医学观察"),
            Finding::Observed {
                since,
                released: true,
            } => format!("已在我县找到，自{since}起居家医学观察，已期满解除"),
            Finding::InCounty => "已在我县找到，正在落实居家医学观察".to_owned(),
            Finding::Elsewhere(Some(place)) => format!("经核查不在我县，现在{place}"),
            Finding::Elsewhere(None) => "经核查不在我县，去向不明".to_owned(),
            Finding::NotFound => "正在核查，暂未找到".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deciding_piece_is_the_reason() {
        let piece = LocationPiece {
            record: 1,
            source: SourceKind::External,
            status: LocationStatus::OutOfCounty,
            code: Some("420902".into()),
            name: Some("孝南区".into()),
            township: None,
            village: None,
            report_date: NaiveDate::from_ymd_opt(2020, 1, 28).expect("date"),
            rule: "notice.address".into(),
            deciding: true,
        };
        assert_eq!(reason(&[piece]), "外地通报（2020-01-28）：通报地址 孝南区");
        assert_eq!(reason(&[]), "");
    }

    #[test]
    fn findings_in_words() {
        let d = NaiveDate::from_ymd_opt(2020, 1, 25).expect("date");
        let f = Finding::of(
            LocationStatus::InCounty,
            None,
            Some((d, ObservationState::UnderObservation)),
        );
        assert_eq!(f.words(), "已在我县找到，自2020-01-25起居家医学观察");
        assert_eq!(
            Finding::of(LocationStatus::OutOfCounty, Some("孝南区".into()), None).words(),
            "经核查不在我县，现在孝南区"
        );
        assert!(
            Finding::of(LocationStatus::PendingVerification, None, None)
                .words()
                .contains("未找到")
        );
    }
}
