//! The responsible team of a person (五包一): a township cadre, a village cadre, a village
//! doctor, a police officer and a grid worker.

use std::collections::HashSet;

use sea_orm::{ColumnTrait as _, EntityTrait, QueryFilter as _, Set};

use crate::db::{next_id, observation, team_member};
use crate::error::AppError;
use crate::normalize::phone::normalize_phone;
use crate::register::{ChangeKind, Register};
use crate::states::{Stored as _, TeamRole};

/// Longest name or phone of a team member, in characters.
const MAX_FIELD_CHARS: usize = 100;

/// One member of a team, as given.
#[derive(Debug, Clone)]
pub struct TeamMemberInput {
    pub role: TeamRole,
    pub name: String,
    pub phone: String,
}

impl Register {
    /// Sets the team of a person who has an observation: the members given replace the team
    /// (one per role, each with a name and a phone).
    pub async fn assign_team(
        &self,
        person_id: i64,
        members: &[TeamMemberInput],
    ) -> Result<Vec<team_member::Model>, AppError> {
        let cleaned = clean_team(members).map_err(AppError::BadInput)?;
        let now = self.reference.clock.now();
        let write = self.db.write("a team assignment").await?;
        if observation::Entity::find_by_id(person_id)
            .one(&write.txn)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound(format!(
                "人员 {person_id} 没有居家医学观察记录（不在县内），不能分配包保责任人"
            )));
        }
        let team = write_team(&write.txn, person_id, cleaned, now).await?;
        write.commit().await?;
        self.announce(ChangeKind::Observation, Vec::new()).await;
        Ok(team)
    }

    /// The team of a person, in the order of the roles.
    pub async fn team_of(&self, person_id: i64) -> Result<Vec<team_member::Model>, AppError> {
        let mut team = team_member::Entity::find()
            .filter(team_member::Column::PersonId.eq(person_id))
            .all(&self.db.conn)
            .await?;
        team.sort_by_key(|m| TeamRole::ALL.iter().position(|r| *r == m.role));
        Ok(team)
    }
}

/// The members given, checked (one per role, a name and a phone each, not too long) and
/// trimmed, phones normalised; or why not, in Chinese.
pub(crate) fn clean_team(members: &[TeamMemberInput]) -> Result<Vec<TeamMemberInput>, String> {
    let mut roles = HashSet::new();
    let mut cleaned = Vec::new();
    for member in members {
        let role = member.role.as_str();
        if !roles.insert(member.role) {
            return Err(format!("角色 {role} 重复：每个角色只能有一名成员"));
        }
        let name = member.name.trim();
        let phone = member.phone.trim();
        if name.is_empty() || phone.is_empty() {
            return Err(format!("角色 {role} 的成员须填写姓名和电话"));
        }
        if name.chars().count() > MAX_FIELD_CHARS || phone.chars().count() > MAX_FIELD_CHARS {
            return Err(format!("角色 {role} 的姓名或电话过长"));
        }
        let phone = normalize_phone(phone).map_or_else(|| phone.to_owned(), |p| p.number);
        cleaned.push(TeamMemberInput {
            role: member.role,
            name: name.to_owned(),
            phone,
        });
    }
    Ok(cleaned)
}

/// Replaces the team of `person_id` with `members` (cleaned by [`clean_team`]); the team in
/// the order of the roles.
pub(crate) async fn write_team(
    txn: &sea_orm::DatabaseTransaction,
    person_id: i64,
    members: Vec<TeamMemberInput>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<team_member::Model>, AppError> {
    team_member::Entity::delete_many()
        .filter(team_member::Column::PersonId.eq(person_id))
        .exec(txn)
        .await?;
    let mut next = next_id(txn, "team_member").await?;
    let mut team = Vec::new();
    for member in members {
        let row = team_member::ActiveModel {
            id: Set(next),
            person_id: Set(person_id),
            role: Set(member.role),
            name: Set(member.name),
            phone: Set(member.phone),
            assigned_at: Set(now),
        };
        next += 1;
        team.push(sea_orm::ActiveModelTrait::insert(row, txn).await?);
    }
    team.sort_by_key(|m| TeamRole::ALL.iter().position(|r| *r == m.role));
    Ok(team)
}
