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
pub use record::{Identity, NormalizeContext, RawIdentity, normalize_record};
pub use sex::{Sex, parse_sex};

use serde::{Deserialize, Serialize};

/// Something found wrong or doubtful while normalising a field: kept as evidence, never a reason
/// by itself to reject a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Stable machine code, `SCREAMING_SNAKE_CASE`, e.g. `ID_CHECKSUM_FAILED`.
    pub code: String,
    /// The field the problem was found in (canonical field name, e.g. `id_number`).
    pub field: String,
    /// Human text in Simplified Chinese for the analyst, free of the personal data itself.
    pub message: String,
}

impl Problem {
    /// A problem with `code` in `field`, explained by `message`.
    pub fn new(code: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        }
    }
}
