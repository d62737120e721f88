//! What every GraphQL type shares: reading IDs and date ranges from the client, masking
//! personal values, and reading stored values back (an unreadable one is an error).

use async_graphql::{Context, ID, SimpleObject};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;

use crate::access::Scoped;
use crate::access::guard::in_scope;
use crate::error::AppError;
use crate::privacy::{mask_json, mask_text};

/// Reads the ID of a `what` (`人员`, `批次` …) given by the client.
pub fn parse_id(id: &ID, what: &str) -> Result<i64, AppError> {
    id.parse::<i64>()
        .map_err(|_| AppError::BadInput(format!("“{}”不是有效的{what} ID", id.as_str())))
}

/// `BAD_USER_INPUT` with `message` when a range given by the client ends before it starts.
pub fn check_range<T: PartialOrd>(
    from: Option<&T>,
    to: Option<&T>,
    message: impl FnOnce() -> String,
) -> Result<(), AppError> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(AppError::BadInput(message())),
        _ => Ok(()),
    }
}

/// How personal values are shown: as stored, to a caller allowed and asking to see them
/// unmasked (`access::guard::unmask`), else masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    unmasked: bool,
}

impl Shown {
    /// Values as stored when `unmasked`, else masked.
    pub fn new(unmasked: bool) -> Self {
        Self { unmasked }
    }

    /// An ID number: `420102********1234` masked.
    pub fn id_number(self, value: &str) -> String {
        self.text(value)
    }

    /// A phone: `138****5678` masked.
    pub fn phone(self, value: &str) -> String {
        self.text(value)
    }

    /// Free text (an address, an origin, a record key): every phone, ID number and birth date
    /// in it masked (`privacy::mask_text`).
    pub fn text(self, value: &str) -> String {
        self.masked_by(value, mask_text)
    }

    /// Raw JSON: every string and number masked as `text`, at any depth.
    pub fn json(self, mut value: serde_json::Value) -> serde_json::Value {
        if !self.unmasked {
            mask_json(&mut value);
        }
        value
    }

    /// A birth date: none when masked, since a masked ID number hides exactly the birth date
    /// (only its year, `privacy`'s rule, is served then).
    pub fn birth_date(self, value: Option<NaiveDate>) -> Option<NaiveDate> {
        value.filter(|_| self.unmasked)
    }

    fn masked_by(self, value: &str, mask: fn(&str) -> String) -> String {
        if self.unmasked {
            value.to_owned()
        } else {
            mask(value)
        }
    }
}

/// Which stored value a field reads: named in the error when the value cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// The GraphQL field reading it (`Person.phones`).
    pub field: &'static str,
    /// The table it is stored in.
    pub table: &'static str,
    /// The row's ID.
    pub row: i64,
}

impl Read {
    /// `field` reading row `row` of `table`.
    pub fn new(field: &'static str, table: &'static str, row: i64) -> Self {
        Self { field, table, row }
    }

    /// The error of a stored value that cannot be read: `INTERNAL` for the client, `what`
    /// failed with this field and row for the log. `what` never holds the value itself,
    /// which may be personal data.
    fn failed(self, what: &str) -> AppError {
        AppError::Internal(anyhow::anyhow!(
            "{}: {} row {}: {what}",
            self.field,
            self.table,
            self.row
        ))
    }

    /// Reads stored JSON.
    pub fn json<T: DeserializeOwned>(self, json: &str) -> Result<T, AppError> {
        serde_json::from_str(json).map_err(|e| {
            // Where and what kind of error only: serde's message can quote the value.
            self.failed(&format!(
                "stored JSON cannot be read ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })
    }
}

/// What was found, when the caller may see it: an object out of the caller's scope answers
/// as one that does not exist (`access::guard::in_scope`).
pub fn visible<T: Scoped>(ctx: &Context<'_>, found: Option<T>) -> Result<Option<T>, AppError> {
    Ok(found.map(|o| in_scope(ctx, o)).transpose()?.flatten())
}

/// A county-level jurisdiction of the national division table.
#[derive(SimpleObject, Clone, Debug)]
pub struct Jurisdiction {
    /// GB/T 2260 code, 6 digits.
    pub code: String,
    /// Full name, e.g. 湖北省武汉市江岸区.
    pub name: Option<String>,
}

/// Row IDs as GraphQL IDs.
pub fn ids(rows: &[i64]) -> Vec<ID> {
    rows.iter().copied().map(ID::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_stored_value_is_internal_and_the_error_names_no_value() {
        let read = Read::new("Person.phones", "person", 42);
        let err = read
            .json::<Vec<String>>(r#"[13812345678"#)
            .expect_err("unterminated");
        assert_eq!(err.code(), crate::error::code::INTERNAL);
        let cause = format!("{:#}", err.into_anyhow());
        assert!(cause.contains("Person.phones: person row 42"), "{cause}");
        assert!(!cause.contains("1381"), "{cause}");

        let typed = read
            .json::<Vec<i64>>(r#"["13812345678"]"#)
            .expect_err("strings are not IDs");
        let cause = format!("{:#}", typed.into_anyhow());
        assert!(
            !cause.contains("1381"),
            "serde quotes the value otherwise: {cause}"
        );
    }

    #[test]
    fn a_range_may_be_open_or_ordered_but_not_reversed() {
        let message = || "reversed".to_owned();
        assert!(check_range(Some(&1), Some(&2), message).is_ok());
        assert!(check_range(Some(&2), None, message).is_ok());
        assert_eq!(
            check_range(Some(&2), Some(&1), message).map_err(|e| e.code()),
            Err(crate::error::code::BAD_USER_INPUT)
        );
    }

    #[test]
    fn values_are_masked_unless_shown_unmasked() {
        let masked = Shown::new(false);
        assert_eq!(masked.phone("13812345678"), "138****5678");
        assert_eq!(masked.id_number("420102199001011234"), "420102********1234");
        assert_eq!(Shown::new(true).phone("13812345678"), "13812345678");
        let born = NaiveDate::from_ymd_opt(1990, 1, 1);
        assert_eq!(masked.birth_date(born), None);
        assert_eq!(Shown::new(true).birth_date(born), born);
    }
}
