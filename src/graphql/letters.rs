//! Root queries and mutations of letters (issue 21): drafting letters for the persons outside
//! the county, issuing them, recording answers, and answering notices. Merged into the root
//! types by [`super::QueryRoot`] and [`super::MutationRoot`].

use async_graphql::{Context, ID, Object, Result};

use super::connection::{page_args, page_info};
use super::types::letters::{
    Letter, LetterChannel, LetterConnection, LetterEdge, LetterFilterInput, LetterReplyInput,
};
use super::types::{Person, parse_id};
use crate::access::Role;
use crate::access::audit::note_mutation;
use crate::access::guard::{in_scope, principal, visible_rows};
use crate::error::AppError;
use crate::register::Register;
use crate::register::letters::{LetterFilter, ReplyInput};
use crate::states::LetterState;
use sea_orm::ColumnTrait as _;

/// The root queries of letters.
#[derive(Default)]
pub struct LetterQuery;

/// The root mutations of letters.
#[derive(Default)]
pub struct LetterMutation;

/// `letter` when the caller may see it: in its scope, and for a PARTNER only once sent (a
/// draft or a cancelled draft was never addressed to anyone).
fn visible_letter(
    ctx: &Context<'_>,
    letter: crate::db::letter::Model,
) -> Result<Option<Letter>, AppError> {
    if principal(ctx)?.role == Role::Partner && !sent(letter.state) {
        return Ok(None);
    }
    in_scope(ctx, Letter(letter))
}

/// Whether a letter in `state` has been sent.
pub fn sent(state: LetterState) -> bool {
    !matches!(state, LetterState::Draft | LetterState::Cancelled)
}

/// Letter `id`, `NOT_FOUND` when there is none or the caller may not see it.
async fn letter_in_scope(ctx: &Context<'_>, id: &ID) -> Result<crate::db::letter::Model> {
    let register = ctx.data::<Register>()?;
    let id = parse_id(id, "函件")?;
    let missing = || AppError::NotFound(format!("函件 {id} 不存在"));
    let letter = register.letter(id).await?.ok_or_else(missing)?;
    Ok(visible_letter(ctx, letter)?.ok_or_else(missing)?.0)
}

#[Object]
impl LetterQuery {
    /// The county's letters, newest first, as a Relay connection (`first` and `after`): by
    /// state, addressed jurisdiction (a code: letters to it or inside it), issue day, or
    /// `overdue` (issued, not answered for every person `[letters] overdue_days` after their
    /// date). A PARTNER token sees only the letters sent (issued) to its jurisdiction.
    #[graphql(
        guard = "super::rules::guard(\"letters\")",
        complexity = "super::connection::page_complexity(first, None, child_complexity)"
    )]
    async fn letters(
        &self,
        ctx: &Context<'_>,
        filter: Option<LetterFilterInput>,
        after: Option<String>,
        first: Option<i32>,
    ) -> Result<LetterConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, None, first, None)?;
        let f = filter.unwrap_or_default();
        super::types::check_range(f.issued_from.as_ref(), f.issued_to.as_ref(), || {
            "filter.issuedFrom 晚于 filter.issuedTo".to_owned()
        })?;
        let filter = LetterFilter {
            state: f.state.map(Into::into),
            jurisdiction: f.jurisdiction,
            issued_from: f.issued_from,
            issued_to: f.issued_to,
            overdue: f.overdue,
        };
        let mut visible = visible_rows::<crate::db::letter::Entity>(ctx)?;
        if principal(ctx)?.role == Role::Partner {
            visible = visible.add(
                crate::db::letter::Column::State
                    .is_not_in([LetterState::Draft, LetterState::Cancelled]),
            );
        }
        let page = register
            .letters(&filter, visible, args.first, args.after.map(|c| c.id))
            .await?;
        let edges: Vec<LetterEdge> = page
            .items
            .into_iter()
            .map(|l| LetterEdge {
                cursor: l.id.to_string(),
                node: Letter(l),
            })
            .collect();
        let page_info = page_info(
            page.has_previous,
            page.has_next,
            edges.first().map(|e| &e.cursor),
            edges.last().map(|e| &e.cursor),
        );
        Ok(LetterConnection {
            total_count: page.total,
            page_info,
            edges,
        })
    }

    /// One letter; null when there is none or the caller may not see it (a PARTNER sees the
    /// letters sent to its jurisdiction only).
    #[graphql(guard = "super::rules::guard(\"letter\")")]
    async fn letter(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Letter>> {
        let register = ctx.data::<Register>()?;
        let id = parse_id(&id, "函件")?;
        let Some(letter) = register.letter(id).await? else {
            return Ok(None);
        };
        Ok(visible_letter(ctx, letter)?)
    }

    /// Persons outside the county on no open letter whose destination is unknown: no letter
    /// can be addressed for them until the register learns where they are. Listed, never
    /// dropped.
    #[graphql(guard = "super::rules::guard(\"lettersUnaddressed\")")]
    async fn letters_unaddressed(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        let register = ctx.data::<Register>()?;
        let ids = register.letters_unaddressed().await?;
        let mut found = register.persons_by_ids(&ids).await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.remove(id))
            .map(Person)
            .collect())
    }
}

#[Object]
impl LetterMutation {
    /// Puts every person outside the county who is on no open letter into one letter per
    /// destination jurisdiction (county level; the city or province when that is all that is
    /// known): added to that jurisdiction's draft when there is one, else a new draft. Returns
    /// the drafts written to. Persons without a destination are left for
    /// `lettersUnaddressed`.
    #[graphql(guard = "super::rules::guard(\"draftLetters\")")]
    async fn draft_letters(&self, ctx: &Context<'_>) -> Result<Vec<Letter>> {
        let register = ctx.data::<Register>()?;
        let actor = principal(ctx)?.actor();
        let drafts = register.draft_letters(&actor).await?;
        note_mutation(ctx, [])?;
        Ok(drafts.into_iter().map(Letter).collect())
    }

    /// Issues (sends) a draft by `channel`: it gets the next number of the year's series
    /// (`[letters] series`; gap-free, unique however many clerks issue at once) and the
    /// county's today as its date. It can no longer change.
    #[graphql(guard = "super::rules::guard(\"issueLetter\")")]
    async fn issue_letter(
        &self,
        ctx: &Context<'_>,
        id: ID,
        channel: LetterChannel,
    ) -> Result<Letter> {
        let register = ctx.data::<Register>()?;
        let letter = letter_in_scope(ctx, &id).await?;
        let actor = principal(ctx)?.actor();
        let issued = register
            .issue_letter(letter.id, channel.into(), &actor)
            .await?;
        note_mutation(ctx, [])?;
        Ok(Letter(issued))
    }

    /// The addressee confirmed receipt of an issued letter.
    #[graphql(guard = "super::rules::guard(\"acknowledgeLetter\")")]
    async fn acknowledge_letter(&self, ctx: &Context<'_>, id: ID) -> Result<Letter> {
        let register = ctx.data::<Register>()?;
        let letter = letter_in_scope(ctx, &id).await?;
        let actor = principal(ctx)?.actor();
        let moved = register.acknowledge_letter(letter.id, &actor).await?;
        note_mutation(ctx, [])?;
        Ok(Letter(moved))
    }

    /// Drops a draft; its persons are free for another letter. An issued letter cannot be
    /// cancelled (`CONFLICT`).
    #[graphql(guard = "super::rules::guard(\"cancelLetter\")")]
    async fn cancel_letter(&self, ctx: &Context<'_>, id: ID) -> Result<Letter> {
        let register = ctx.data::<Register>()?;
        let letter = letter_in_scope(ctx, &id).await?;
        let actor = principal(ctx)?.actor();
        let moved = register.cancel_letter(letter.id, &actor).await?;
        note_mutation(ctx, [])?;
        Ok(Letter(moved))
    }

    /// Records the addressee's answers for persons of an issued letter: `OBSERVED`,
    /// `NOT_FOUND`, `MOVED_ON` (with the new `place`: the person is open for a letter there)
    /// or `RETURNED_TO_COUNTY` (location evidence, rule `letter.reply`: the person is back in
    /// the county unless a township's on-site check on or after today says otherwise, and
    /// enters follow-up). The letter is `REPLIED` once every person is answered. A draft
    /// takes no reply (`CONFLICT`).
    #[graphql(guard = "super::rules::guard(\"recordLetterReply\")")]
    async fn record_letter_reply(
        &self,
        ctx: &Context<'_>,
        id: ID,
        persons: Vec<LetterReplyInput>,
    ) -> Result<Letter> {
        let register = ctx.data::<Register>()?;
        let letter = letter_in_scope(ctx, &id).await?;
        let actor = principal(ctx)?.actor();
        let answers = persons
            .into_iter()
            .map(|p| {
                Ok(ReplyInput {
                    person_id: parse_id(&p.person_id, "人员")?,
                    outcome: p.outcome.into(),
                    place: p.place,
                    note: p.note,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let updated = register
            .record_letter_reply(letter.id, &answers, &actor)
            .await?;
        note_mutation(ctx, answers.iter().map(|a| a.person_id))?;
        if answers
            .iter()
            .any(|a| a.outcome == crate::states::ReplyOutcome::ReturnedToCounty)
        {
            // The persons back in the county enter follow-up now.
            register.sync_observations().await?;
        }
        Ok(Letter(updated))
    }

    /// Drafts the county's answer (回函) to a notice it received: a `REPLY` letter to the
    /// notice's sender listing each of its persons with what the register knows of them
    /// (found in the county and under observation since a day, not found, or elsewhere and
    /// where), rendered like any letter and issued with `issueLetter`.
    #[graphql(guard = "super::rules::guard(\"replyToNotice\")")]
    async fn reply_to_notice(&self, ctx: &Context<'_>, notice_id: ID) -> Result<Letter> {
        let register = ctx.data::<Register>()?;
        let id = parse_id(&notice_id, "通报")?;
        let actor = principal(ctx)?.actor();
        let letter = register.reply_to_notice(id, &actor).await?;
        note_mutation(ctx, [])?;
        Ok(Letter(letter))
    }
}
