//! The briefing's figures about letters to the jurisdictions where the persons outside the
//! county are (协查函), behind one function.

use chrono::NaiveDate;

use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QuerySelect as _,
};

use crate::db::{letter, letter_reply};
use crate::error::AppError;
use crate::register::Register;
use crate::states::{LetterKind, Stored as _};

/// The letter figures of the briefing as of the end of a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LetterFigures {
    /// Letters issued (numbered) on or before the day.
    pub letters_issued: u64,
    /// Persons outside the county those letters cover.
    pub persons_covered: u64,
    /// Persons outside the county no issued letter covers yet.
    pub persons_without_letter: u64,
    /// Replies received on or before the day.
    pub replies_received: u64,
}

impl LetterFigures {
    /// Every one of `outside` persons outside the county is covered by an issued letter.
    pub fn all_covered(&self, outside: u64) -> bool {
        outside > 0 && self.persons_covered >= outside && self.persons_without_letter == 0
    }
}

/// The letters' own figures as of the end of `as_of` (China time): request letters issued
/// on or before it, and those of them with an answer dated on or before it. The persons
/// figures ([`LetterFigures::persons_covered`], [`LetterFigures::persons_without_letter`]) are
/// counts of persons, each with its persons filter; the briefing fills them in.
pub async fn letter_figures(
    register: &Register,
    as_of: NaiveDate,
) -> Result<LetterFigures, AppError> {
    let conn = &register.db().conn;
    let issued = letter::Entity::find()
        .filter(letter::Column::Kind.eq(LetterKind::Request))
        .filter(letter::Column::IssuedOn.lte(as_of))
        .count(conn)
        .await?;
    let answered: Vec<i64> = letter_reply::Entity::find()
        .select_only()
        .column(letter_reply::Column::LetterId)
        .distinct()
        .filter(letter_reply::Column::RepliedOn.lte(as_of))
        .filter(
            letter_reply::Column::LetterId.in_subquery(
                Query::select()
                    .column(letter::Column::Id)
                    .from(letter::Entity)
                    .and_where(letter::Column::Kind.eq(LetterKind::Request.as_str()))
                    .and_where(letter::Column::IssuedOn.lte(as_of))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(conn)
        .await?;
    Ok(LetterFigures {
        letters_issued: issued,
        replies_received: answered.len() as u64,
        ..LetterFigures::default()
    })
}
