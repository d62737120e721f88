//! Finding persons by a name, an ID number or its end, or a phone.

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::page::{Page, PageArgs, page_of};
use super::person_filter::persons_with_records;
use crate::config::limits::MIN_ID_SUFFIX;
use crate::db::{person, source_record};
use crate::error::AppError;
use crate::normalize::phone::normalize_phone;
use crate::normalize::{IdClass, normalize_name, parse_id_number};
use crate::register::Register;

impl Register {
    /// Persons found by `text`: a name (Simplified or Traditional characters, or toneless
    /// pinyin with or without spaces), a full ID number (15 or 18 digits, any formatting),
    /// the last four or more characters of an ID number, or a phone. Persons match on their
    /// golden record or on any of their current source records. Ordered by person ID. Only
    /// the persons `visible` lets the caller see are found.
    pub async fn search_persons(
        &self,
        text: &str,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<person::Model>, AppError> {
        let keys = SearchKeys::parse(text, self)?;
        let cond = Condition::all()
            .add(visible)
            .add(person::Column::MergedInto.is_null())
            .add(keys.person_condition());
        page_of(
            person::Entity::find().filter(cond),
            person::Column::Id,
            args,
            &self.db.conn,
        )
        .await
    }
}

/// A full identifier a search looks for: searching by one confirms a value that is shown
/// masked, so such searches are audited (with a hash of the value, never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchedIdentifier {
    /// `idNumber` or `phone`.
    pub field: &'static str,
    /// The normalised value (an 18-character ID number, a phone's digits).
    pub value: String,
}

impl Register {
    /// The full ID number and phone `text` would be searched by (none for a name, an ID
    /// ending, or text that is no search at all).
    pub fn searched_identifiers(&self, text: &str) -> Vec<SearchedIdentifier> {
        let Ok(keys) = SearchKeys::parse(text, self) else {
            return Vec::new();
        };
        let id_number = keys.id_number.map(|value| SearchedIdentifier {
            field: "idNumber",
            value,
        });
        let phone = keys.phone.map(|value| SearchedIdentifier {
            field: "phone",
            value,
        });
        id_number.into_iter().chain(phone).collect()
    }
}

/// What a search text can be, folded with the normalisers to the stored forms.
#[derive(Debug, Default)]
struct SearchKeys {
    /// Simplified name.
    name: Option<String>,
    /// Pinyin without spaces, lower case.
    pinyin: Option<String>,
    /// A valid 18-digit ID number.
    id_number: Option<String>,
    /// The last characters of an ID number (four or more).
    id_suffix: Option<String>,
    /// A phone, digits only.
    phone: Option<String>,
}

impl SearchKeys {
    fn parse(text: &str, register: &Register) -> Result<Self, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AppError::BadInput("搜索内容不能为空".into()));
        }
        let mut keys = Self::default();
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '·'))
            .collect();
        let is_id_like = |s: &str| {
            s.chars().enumerate().all(|(i, c)| {
                c.is_ascii_digit() || (i + 1 == s.chars().count() && c.eq_ignore_ascii_case(&'x'))
            })
        };
        if !compact.is_ascii() {
            keys.name = normalize_name(text).map(|n| n.full);
        } else if compact.chars().all(|c| c.is_ascii_alphabetic()) {
            keys.pinyin = Some(compact.to_ascii_lowercase());
        }
        if let Some(id) = parse_id_number(text, register.reference.divisions)
            .filter(|p| p.class == IdClass::Valid)
        {
            keys.id_number = Some(id.normalized);
        } else if compact.len() >= MIN_ID_SUFFIX && compact.len() < 18 && is_id_like(&compact) {
            keys.id_suffix = Some(compact.to_ascii_uppercase());
        }
        keys.phone = normalize_phone(text).map(|p| p.number);
        if keys.name.is_none()
            && keys.pinyin.is_none()
            && keys.id_number.is_none()
            && keys.id_suffix.is_none()
            && keys.phone.is_none()
        {
            return Err(AppError::BadInput(
                "请输入姓名、拼音、身份证号（或其末四位以上）或电话号码".into(),
            ));
        }
        Ok(keys)
    }

    /// The condition on one table's identity columns (person or source_record share names).
    fn condition<C: ColumnTrait>(&self, name: C, id_number: C, phones: C) -> Condition {
        let mut any = Condition::any();
        if let Some(n) = &self.name {
            any = any.add(name.eq(n.clone()));
        }
        if let Some(p) = &self.pinyin {
            any = any.add(Expr::cust("replace(name_pinyin, ' ', '')").eq(p.clone()));
        }
        if let Some(id) = &self.id_number {
            any = any.add(id_number.eq(id.clone()));
        }
        if let Some(suffix) = &self.id_suffix {
            // The indexed last four characters narrow; LIKE checks a longer suffix.
            let last4: String = suffix[suffix.len() - MIN_ID_SUFFIX..].to_owned();
            any = any.add(
                Condition::all()
                    .add(Expr::cust("substr(id_number, 15)").eq(last4))
                    .add(id_number.like(format!("%{suffix}"))),
            );
        }
        if let Some(phone) = &self.phone {
            // Phones are a compact JSON array of digit strings.
            any = any.add(phones.like(format!("%\"{phone}\"%")));
        }
        any
    }

    fn person_condition(&self) -> Condition {
        let on_person = self.condition(
            person::Column::Name,
            person::Column::IdNumber,
            person::Column::Phones,
        );
        let on_records = Condition::all()
            .add(source_record::Column::IsCurrent.eq(true))
            .add(self.condition(
                source_record::Column::Name,
                source_record::Column::IdNumber,
                source_record::Column::Phones,
            ));
        Condition::any()
            .add(on_person)
            .add(person::Column::Id.in_subquery(persons_with_records(on_records)))
    }
}
