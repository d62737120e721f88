//! What a partner may submit: notices sent from within its own jurisdiction, and rows that
//! belong to one of them. The import asks before it writes anything of a partner's file.

use super::guard::code_prefix;
use crate::error::AppError;
use crate::intake::{Field, NoticeIn};
use crate::normalize::Divisions;

/// Refuses a partner's file unless every notice in it is sent by a place within the
/// partner's jurisdiction `sender` (a GB/T 2260 code): a partner speaks for its own
/// jurisdiction only.
pub fn check_senders(
    divisions: &Divisions,
    sender: &str,
    notices: &[NoticeIn],
) -> Result<(), AppError> {
    let scope = code_prefix(sender);
    for notice in notices {
        let from = notice
            .fields
            .get(&Field::SendingJurisdiction)
            .map(String::as_str)
            .unwrap_or_default();
        let within = divisions
            .resolve_place(from)
            .is_some_and(|d| d.code.starts_with(scope));
        if !within {
            let number = notice
                .fields
                .get(&Field::NoticeNo)
                .map_or("", String::as_str);
            return Err(AppError::Forbidden(format!(
                "通知 {number} 的发函单位“{from}”不在本令牌的辖区（{sender}）内"
            )));
        }
    }
    Ok(())
}

/// Refuses a partner's `rows` when its file holds no notice: a partner's file says who sent
/// it.
pub fn check_rows_have_notice(notices: &[NoticeIn], rows: usize) -> Result<(), AppError> {
    if notices.is_empty() && rows > 0 {
        return Err(AppError::Forbidden(
            "协查通知须写明发函单位（sending_jurisdiction）".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(number: &str, from: &str) -> NoticeIn {
        let mut notice = NoticeIn::default();
        notice.fields.insert(Field::NoticeNo, number.to_owned());
        notice
            .fields
            .insert(Field::SendingJurisdiction, from.to_owned());
        notice
    }

    #[test]
    fn a_partner_may_send_notices_from_within_its_jurisdiction_only() {
        let divisions = Divisions::embedded();
        // Wuhan (420100) covers its districts.
        let within = [notice("1", "武汉市江岸区"), notice("2", "武汉市")];
        assert!(check_senders(divisions, "420100", &within).is_ok());
        let outside = [notice("1", "武汉市"), notice("3", "孝感市")];
        let refused = check_senders(divisions, "420100", &outside);
        assert!(
            matches!(&refused, Err(AppError::Forbidden(m)) if m.contains("通知 3 ")),
            "{refused:?}"
        );
    }

    #[test]
    fn a_partners_rows_without_a_notice_are_refused() {
        assert!(check_rows_have_notice(&[], 0).is_ok());
        assert!(matches!(
            check_rows_have_notice(&[], 2),
            Err(AppError::Forbidden(_))
        ));
        assert!(check_rows_have_notice(&[notice("1", "武汉市")], 2).is_ok());
    }
}
