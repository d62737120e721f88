//! Persons one at a time and a page at a time, in the order asked for.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Value};

use super::page::{Cursor, Page, PageArgs, Position, SortKey, keyset_page};
use super::person_filter::PersonFilter;
use crate::db::person;
use crate::error::AppError;
use crate::normalize::{IdClass, parse_id_number};
use crate::register::Register;

/// The column persons are listed by; ties are broken by person ID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PersonOrderField {
    #[default]
    Id,
    NamePinyin,
    ArrivalDate,
    FirstReported,
    UpdatedAt,
}

/// The order of a persons list. NULLs sort after every value ascending, before descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersonOrder {
    pub field: PersonOrderField,
    pub descending: bool,
}

impl Register {
    /// A page of persons (merged-away persons are not listed; they redirect), of those
    /// `visible` lets the caller see (`access::row_filter`).
    pub async fn persons(
        &self,
        filter: &PersonFilter,
        order: PersonOrder,
        args: PageArgs,
        visible: Condition,
    ) -> Result<Page<person::Model>, AppError> {
        self.check_person_filter(filter)?;
        let cond = self.person_condition(filter).add(visible);
        let key = SortKey {
            column: order.field.column(),
            id: person::Column::Id,
            descending: order.descending,
        };
        let position = |c: &Option<Cursor>| c.as_ref().map(|c| order.field.position(c)).transpose();
        let after = position(&args.after)?;
        let before = position(&args.before)?;
        keyset_page(
            person::Entity::find().filter(cond),
            &key,
            after,
            before,
            &args,
            &self.db.conn,
        )
        .await
    }

    /// A person by ID; a person merged into another answers with the survivor.
    pub async fn person(&self, id: i64) -> Result<Option<person::Model>, AppError> {
        let mut id = id;
        // A redirect chain is short; the bound guards against a cycle in bad data.
        for _ in 0..16 {
            let Some(p) = person::Entity::find_by_id(id).one(&self.db.conn).await? else {
                return Ok(None);
            };
            match p.merged_into {
                Some(next) => id = next,
                None => return Ok(Some(p)),
            }
        }
        Ok(None)
    }

    /// The person with this ID number, written in any of the usual ways (15 or 18 digits,
    /// full-width digits, spaces). A number that is not a valid ID number is bad input.
    pub async fn person_by_id_number(&self, raw: &str) -> Result<Option<person::Model>, AppError> {
        let parsed = parse_id_number(raw, self.reference.divisions)
            .filter(|p| p.class == IdClass::Valid)
            .ok_or_else(|| AppError::BadInput("不是有效的身份证号码".into()))?;
        Ok(person::Entity::find()
            .filter(person::Column::IdNumber.eq(parsed.normalized))
            .filter(person::Column::MergedInto.is_null())
            .one(&self.db.conn)
            .await?)
    }
}

impl PersonOrderField {
    fn column(self) -> Option<person::Column> {
        match self {
            Self::Id => None,
            Self::NamePinyin => Some(person::Column::NamePinyin),
            Self::ArrivalDate => Some(person::Column::ArrivalDate),
            Self::FirstReported => Some(person::Column::FirstReported),
            Self::UpdatedAt => Some(person::Column::UpdatedAt),
        }
    }

    /// The cursor of `p` in a list ordered by this field.
    pub fn cursor(self, p: &person::Model) -> Cursor {
        let date = |d: Option<NaiveDate>| d.map(|d| serde_json::Value::String(d.to_string()));
        let value = match self {
            Self::Id => None,
            Self::NamePinyin => p.name_pinyin.clone().map(serde_json::Value::String),
            Self::ArrivalDate => date(p.arrival_date),
            Self::FirstReported => date(p.first_reported),
            Self::UpdatedAt => Some(serde_json::Value::String(
                p.updated_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            )),
        };
        Cursor { id: p.id, value }
    }

    /// A cursor as SQL values, checked against this field's type.
    fn position(self, cursor: &Cursor) -> Result<Position, AppError> {
        let wrong = || AppError::BadInput("游标与当前排序方式不符".into());
        if self == Self::Id {
            return Ok((None, cursor.id));
        }
        let value = match &cursor.value {
            None => return Err(wrong()),
            Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(match self {
                Self::Id | Self::NamePinyin => Value::from(s.clone()),
                Self::ArrivalDate | Self::FirstReported => {
                    Value::from(s.parse::<NaiveDate>().map_err(|_| wrong())?)
                }
                Self::UpdatedAt => Value::from(
                    DateTime::parse_from_rfc3339(s)
                        .map_err(|_| wrong())?
                        .with_timezone(&Utc),
                ),
            }),
            Some(_) => return Err(wrong()),
        };
        Ok((value, cursor.id))
    }
}
