//! A letter's life: `DRAFT → ISSUED (channel, number) → DELIVERED → ACKNOWLEDGED → REPLIED`,
//! and `CANCELLED` for a draft. `DELIVERED` only for a letter sent to a partner hub that took
//! it; a letter sent otherwise goes from `ISSUED` straight on. Only a draft takes persons; a
//! reply needs the letter issued.

use crate::states::LetterState;

/// What a clerk (or the register) does to a letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Add persons to the list (drafting).
    AddPersons,
    /// Send it: it gets its number.
    Issue,
    /// The addressee's hub took the letter (answered 2xx).
    Deliver,
    /// The addressee confirmed receipt.
    Acknowledge,
    /// Record the addressee's answer; `complete` when every open person of the letter is
    /// then answered.
    Reply {
        /// Every person of the letter answered.
        complete: bool,
    },
    /// Drop the draft.
    Cancel,
}

/// Why an action is refused, in words for the clerk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// The state a letter in `state` moves to under `action`, or why it may not.
pub fn next(state: LetterState, action: Action) -> Result<LetterState, Refused> {
    use LetterState as S;
    let refuse = |why: &str| Err(Refused(format!("函件当前状态为 {}，{why}", label(state))));
    match (state, action) {
        (S::Draft, Action::AddPersons) => Ok(S::Draft),
        (_, Action::AddPersons) => refuse("已发出的函件不能再修改"),
        (S::Draft, Action::Issue) => Ok(S::Issued),
        (_, Action::Issue) => refuse("只有草稿可以发出"),
        (S::Issued, Action::Deliver) => Ok(S::Delivered),
        // A delivery confirmed late (the answer to an earlier attempt was lost) never moves a
        // letter back.
        (S::Delivered | S::Acknowledged | S::Replied, Action::Deliver) => Ok(state),
        (_, Action::Deliver) => refuse("只有已发出的函件可以送达"),
        (S::Issued | S::Delivered, Action::Acknowledge) => Ok(S::Acknowledged),
        (_, Action::Acknowledge) => refuse("只有已发出的函件可以确认签收"),
        (S::Issued | S::Delivered | S::Acknowledged, Action::Reply { complete }) => {
            Ok(if complete { S::Replied } else { state })
        }
        (S::Draft, Action::Reply { .. }) => refuse("发出之前不能登记回复"),
        (_, Action::Reply { .. }) => refuse("不能再登记回复"),
        (S::Draft, Action::Cancel) => Ok(S::Cancelled),
        (_, Action::Cancel) => refuse("只有草稿可以作废"),
    }
}

/// Whether a letter in `state` is open: its persons are taken (no other letter may list them).
pub fn is_open(state: LetterState) -> bool {
    matches!(
        state,
        LetterState::Draft
            | LetterState::Issued
            | LetterState::Delivered
            | LetterState::Acknowledged
    )
}

/// The state in words (`草稿`, `已发出` …).
pub fn label(state: LetterState) -> &'static str {
    match state {
        LetterState::Draft => "草稿",
        LetterState::Issued => "已发出",
        LetterState::Delivered => "已送达",
        LetterState::Acknowledged => "已签收",
        LetterState::Replied => "已回复",
        LetterState::Cancelled => "已作废",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::Stored as _;
    use LetterState as S;

    #[test]
    fn the_happy_path_and_its_refusals() {
        let issued = next(S::Draft, Action::Issue).expect("issue");
        assert_eq!(issued, S::Issued);
        assert!(next(S::Draft, Action::Reply { complete: true }).is_err());
        assert!(next(S::Issued, Action::AddPersons).is_err());
        assert!(next(S::Issued, Action::Cancel).is_err());
        assert!(next(S::Issued, Action::Issue).is_err());
        assert_eq!(
            next(S::Issued, Action::Reply { complete: false }),
            Ok(S::Issued)
        );
        let acked = next(issued, Action::Acknowledge).expect("ack");
        assert_eq!(
            next(acked, Action::Reply { complete: true }),
            Ok(S::Replied)
        );
        assert!(next(S::Replied, Action::Reply { complete: true }).is_err());
        assert_eq!(next(S::Draft, Action::Cancel), Ok(S::Cancelled));
        assert!(next(S::Cancelled, Action::Issue).is_err());
    }

    #[test]
    fn open_letters_are_drafts_issued_and_acknowledged_ones() {
        let open: Vec<S> = S::ALL.iter().copied().filter(|s| is_open(*s)).collect();
        assert_eq!(
            open,
            vec![S::Draft, S::Issued, S::Delivered, S::Acknowledged]
        );
    }

    #[test]
    fn a_delivered_letter_goes_on_and_a_late_delivery_moves_nothing_back() {
        assert_eq!(next(S::Issued, Action::Deliver), Ok(S::Delivered));
        assert_eq!(next(S::Delivered, Action::Acknowledge), Ok(S::Acknowledged));
        assert_eq!(
            next(S::Delivered, Action::Reply { complete: true }),
            Ok(S::Replied)
        );
        assert_eq!(next(S::Replied, Action::Deliver), Ok(S::Replied));
        assert_eq!(next(S::Acknowledged, Action::Deliver), Ok(S::Acknowledged));
        assert!(next(S::Draft, Action::Deliver).is_err());
        assert!(next(S::Cancelled, Action::Deliver).is_err());
    }
}
