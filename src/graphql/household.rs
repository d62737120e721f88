//! The root mutation recording a household verification call (issue 25): the result of the
//! call a `HouseholdTask` on a township's worklist asks for. Merged into the root type by
//! [`super::MutationRoot`].

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::types::{HouseholdTask, Person, parse_id};
use crate::access::Role;
use crate::access::audit::note_mutation;
use crate::access::guard::principal;
use crate::register::Register;
use crate::register::household_call::CallOutcome;

/// The root mutations of household verification calls.
#[derive(Default)]
pub struct HouseholdMutation;

/// What a household verification call found.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::household_call::CallOutcome")]
pub enum HouseholdOutcome {
    /// The number is the named member's (`memberId`): the phone-only records join that
    /// member, as a review decision "same" would join them (the other members are decided
    /// different).
    Member,
    /// The number is none of the listed members': the records stay a person of their own
    /// and the task is closed.
    NotInHousehold,
    /// Nobody answered, or the answer settled nothing: the task stays on the worklist.
    Unreachable,
}

/// The recorded result of a household verification call.
#[derive(SimpleObject)]
pub struct HouseholdCall {
    /// What the call found.
    pub outcome: HouseholdOutcome,
    /// The person the phone-only records belong to now (the member for `MEMBER`, their own
    /// person otherwise); null when the caller may not see that person.
    pub person: Option<Person>,
    /// The task still open (after `UNREACHABLE`); null once the call settled it.
    pub household: Option<HouseholdTask>,
}

#[Object]
impl HouseholdMutation {
    /// Records the result of the call a household task asks for. `id` is the phone-only
    /// person on the worklist (`WorklistItem.person.id`, whose `household` is set);
    /// `memberId` (one of `HouseholdTask.members`) is required for `MEMBER` and refused
    /// otherwise; `note` (up to 2000 characters) is kept in the persons' history (`events`,
    /// kind `DECISION`). `MEMBER` and `NOT_IN_HOUSEHOLD` are stored as decisions every later
    /// resolution run honours, and re-resolve the register at once. A TOWNSHIP token records
    /// the calls of its township's tasks only (`FORBIDDEN` otherwise); a person without an
    /// open task is `NOT_FOUND`.
    #[graphql(guard = "super::rules::guard(\"resolveHouseholdLink\")")]
    async fn resolve_household_link(
        &self,
        ctx: &Context<'_>,
        id: ID,
        outcome: HouseholdOutcome,
        member_id: Option<ID>,
        note: Option<String>,
    ) -> Result<HouseholdCall> {
        let register = ctx.data::<Register>()?;
        let caller = principal(ctx)?;
        let person = parse_id(&id, "人员")?;
        let member = member_id.map(|m| parse_id(&m, "人员")).transpose()?;
        let township = match caller.role {
            Role::Township => Some(caller.township.as_deref().unwrap_or_default()),
            _ => None,
        };
        let recorded = register
            .resolve_household_link(
                person,
                CallOutcome::from(outcome),
                member,
                note.as_deref(),
                township,
                &caller.actor(),
            )
            .await?;
        note_mutation(ctx, [person, recorded.person])?;
        let now = register.person(recorded.person).await?;
        Ok(HouseholdCall {
            outcome,
            person: now
                .filter(|p| caller.may_see(crate::access::Scoped::scope(p)))
                .map(Person),
            household: recorded.open.map(HouseholdTask),
        })
    }
}
