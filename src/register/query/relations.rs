//! Reading across the links between persons, records and events. Most are the batched reads
//! behind the GraphQL DataLoaders, each answering for many keys in a few statements.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use crate::db::{person, read_back, record_link, resolution_event, source_record};
use crate::error::AppError;
use crate::register::Register;

impl Register {
    /// The current source records of each person, oldest first, with their links: two
    /// statements for any number of persons.
    pub async fn records_of_persons(
        &self,
        persons: &[i64],
    ) -> Result<HashMap<i64, Vec<(source_record::Model, record_link::Model)>>, AppError> {
        let links = record_link::Entity::find()
            .filter(record_link::Column::PersonId.is_in(persons.iter().copied()))
            .all(&self.db.conn)
            .await?;
        let mut records: HashMap<i64, source_record::Model> = source_record::Entity::find()
            .filter(source_record::Column::Id.is_in(links.iter().map(|l| l.source_record_id)))
            .filter(source_record::Column::IsCurrent.eq(true))
            .all(&self.db.conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut found: HashMap<i64, Vec<(source_record::Model, record_link::Model)>> =
            persons.iter().map(|p| (*p, Vec::new())).collect();
        for link in links {
            if let Some(record) = records.remove(&link.source_record_id) {
                found
                    .entry(link.person_id)
                    .or_default()
                    .push((record, link));
            }
        }
        for list in found.values_mut() {
            list.sort_by_key(|(r, _)| r.id);
        }
        Ok(found)
    }

    /// The current source records of one person, oldest first, with their links.
    pub async fn records_of_person(
        &self,
        person: i64,
    ) -> Result<Vec<(source_record::Model, record_link::Model)>, AppError> {
        Ok(self
            .records_of_persons(&[person])
            .await?
            .remove(&person)
            .unwrap_or_default())
    }

    /// The link of a source record version to its person.
    pub async fn link_of_record(
        &self,
        record: i64,
    ) -> Result<Option<record_link::Model>, AppError> {
        Ok(record_link::Entity::find_by_id(record)
            .one(&self.db.conn)
            .await?)
    }

    /// Persons by ID, each merged-away ID answered with its survivor: one statement per step
    /// of the longest redirect chain.
    pub async fn persons_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, person::Model>, AppError> {
        let mut found = HashMap::new();
        // requested ID -> the ID to read next
        let mut pending: Vec<(i64, i64)> = ids.iter().map(|i| (*i, *i)).collect();
        // A redirect chain is short; the bound guards against a cycle in bad data.
        for _ in 0..16 {
            if pending.is_empty() {
                break;
            }
            let rows: HashMap<i64, person::Model> = person::Entity::find()
                .filter(person::Column::Id.is_in(pending.iter().map(|(_, next)| *next)))
                .all(&self.db.conn)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
            let mut next_round = Vec::new();
            for (asked, next) in pending {
                let Some(p) = rows.get(&next) else { continue };
                match p.merged_into {
                    Some(target) => next_round.push((asked, target)),
                    None => {
                        found.insert(asked, p.clone());
                    }
                }
            }
            pending = next_round;
        }
        Ok(found)
    }

    /// The person of each source record version (the survivor of any merge).
    pub async fn persons_of_records(
        &self,
        records: &[i64],
    ) -> Result<HashMap<i64, person::Model>, AppError> {
        let person_of = read_back::persons_of(&self.db.conn, records).await?;
        let mut persons: Vec<i64> = person_of.values().copied().collect();
        persons.sort_unstable();
        persons.dedup();
        let by_id = self.persons_by_ids(&persons).await?;
        Ok(person_of
            .into_iter()
            .filter_map(|(record, person)| Some((record, by_id.get(&person)?.clone())))
            .collect())
    }

    /// Source record versions by ID.
    pub async fn source_records_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, source_record::Model>, AppError> {
        Ok(source_record::Entity::find()
            .filter(source_record::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db.conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect())
    }

    /// The resolution events of each person (as subject or as the other person), oldest first.
    pub async fn events_of_persons(
        &self,
        persons: &[i64],
    ) -> Result<HashMap<i64, Vec<resolution_event::Model>>, AppError> {
        use resolution_event::Column as E;
        let events = resolution_event::Entity::find()
            .filter(
                Condition::any()
                    .add(E::PersonId.is_in(persons.iter().copied()))
                    .add(E::OtherPersonId.is_in(persons.iter().copied())),
            )
            .order_by_asc(E::Id)
            .all(&self.db.conn)
            .await?;
        let mut found: HashMap<i64, Vec<resolution_event::Model>> =
            persons.iter().map(|p| (*p, Vec::new())).collect();
        for event in events {
            for person in [Some(event.person_id), event.other_person_id]
                .into_iter()
                .flatten()
            {
                if let Some(list) = found.get_mut(&person) {
                    list.push(event.clone());
                }
            }
        }
        Ok(found)
    }
}
