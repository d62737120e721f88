//! Normalisation of Chinese identity data (DESIGN §1 "Normalisation").
//!
//! Pure functions: no I/O, no database, no web types. Reference data (the national division
//! table, the county gazetteer) is handed in already loaded. Every rule that finds something
//! wrong records a [`Problem`] instead of rejecting: the matcher decides what evidence counts.

pub mod date;
pub mod divisions;
pub mod id_number;
pub mod name;
pub mod phone;
pub mod place;
pub mod record;
pub mod sex;

pub use date::parse_date;
pub use divisions::{Division, DivisionLevel, Divisions};
pub use id_number::{IdClass, ParsedId, parse_id_number};
pub use name::{NormalizedName, normalize_name};
pub use phone::{Phone, PhoneKind, extract_phones_from_text, parse_phones};
pub use place::{Gazetteer, GazetteerTownship, PlaceMatch};
pub use record::{Identity, NormalizeContext, RawIdentity, RemarkLocation, normalize_record};
pub use sex::{Sex, parse_sex};

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Something found wrong or doubtful while normalising a field: kept as evidence, never a reason
/// by itself to reject a record.
///
/// Codes, fields and most messages are fixed texts: borrowed, so that finding a problem in a
/// million records costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Stable machine code, `SCREAMING_SNAKE_CASE`, e.g. `ID_CHECKSUM_FAILED`.
    pub code: Cow<'static, str>,
    /// The field the problem was found in (canonical field name, e.g. `id_number`).
    pub field: Cow<'static, str>,
    /// Human text in Simplified Chinese for the analyst, free of the personal data itself.
    pub message: Cow<'static, str>,
}

impl Problem {
    /// A problem with `code` in `field`, explained by `message`.
    pub fn new(
        code: &'static str,
        field: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            code: Cow::Borrowed(code),
            field: Cow::Borrowed(field),
            message: message.into(),
        }
    }
}
