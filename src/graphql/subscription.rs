//! Root subscriptions: the register's committed changes, pushed over `graphql-transport-ws`.

use async_graphql::{Context, Enum, ID, Object, Result, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::types::followup::Alert;
use super::types::{ResolutionEvent, Stats, ids, parse_id};
use crate::access::Permission;
use crate::access::guard::{principal, visible_rows};
use crate::config::limits::MAX_PAGE;
use crate::register::{self, Register};

/// What kind of write changed the register.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::ChangeKind")]
pub enum ChangeKind {
    /// Files were imported and the register re-resolved.
    Import,
    /// An analyst decided a review candidate, merged persons or split one.
    Decision,
    /// A person's home observation changed: started or released by the register, updated by
    /// hand, a temperature recorded, a team assigned.
    Observation,
    /// A follow-up alert was raised (a fever, a missed check) or answered.
    Alert,
    /// A letter was issued, acknowledged, cancelled or answered.
    Letter,
}

/// A committed change of the register.
pub struct RegisterChange(pub register::RegisterChange);

/// A committed change of the register.
#[Object]
impl RegisterChange {
    /// What kind of write it was.
    async fn kind(&self) -> ChangeKind {
        self.0.kind.into()
    }
    /// When it was committed.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The import batches it wrote (none for a decision).
    async fn batch_ids(&self) -> Vec<ID> {
        ids(&self.0.batch_ids)
    }
    /// How many resolution events it wrote (persons created, records linked, merges,
    /// splits, decisions).
    async fn event_count(&self) -> u64 {
        u64::try_from(self.0.events_to - self.0.events_after).unwrap_or(0)
    }
    /// The resolution events it wrote, oldest first (the first `first` of them, at most 500).
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<ResolutionEvent>> {
        let register = ctx.data::<Register>()?;
        let limit = u64::from(first.max(0).unsigned_abs()).min(MAX_PAGE);
        Ok(register
            .events_between(self.0.events_after, self.0.events_to, limit)
            .await?
            .into_iter()
            .map(ResolutionEvent)
            .collect())
    }
}

/// The root of every subscription.
pub struct Subscription;

/// The root of every subscription.
#[Subscription]
impl Subscription {
    /// Every change committed to the register from now on (imports and analysts'
    /// decisions), optionally only of the given kinds. A subscriber too slow to keep up
    /// skips the changes it fell behind on rather than holding the server up.
    #[graphql(guard = "super::rules::guard(\"registerChanges\")")]
    async fn register_changes(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<ChangeKind>>,
    ) -> Result<impl Stream<Item = RegisterChange>> {
        let receiver = ctx.data::<Register>()?.subscribe();
        Ok(futures_util::stream::unfold(
            receiver,
            move |mut receiver| {
                let kinds = kinds.clone();
                async move {
                    loop {
                        match receiver.recv().await {
                            Ok(change) => {
                                let wanted = kinds
                                    .as_ref()
                                    .is_none_or(|k| k.contains(&change.kind.into()));
                                if wanted {
                                    return Some((RegisterChange(change), receiver));
                                }
                            }
                            Err(RecvError::Lagged(_)) => {}
                            Err(RecvError::Closed) => return None,
                        }
                    }
                }
            },
        ))
    }

    /// The register's headline figures (as the `stats` query answers them): once when the
    /// subscription starts, then after every committed change (an import or an analyst's
    /// decision). Changes that arrive together are answered with one push of the figures
    /// after the last of them. Counts only, so open to DASHBOARD tokens: for them, groups of
    /// fewer than `suppressedBelow` are withheld, as in `stats`.
    #[graphql(guard = "super::rules::guard(\"statsChanged\")")]
    async fn stats_changed(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Result<Stats>>> {
        let register = ctx.data::<Register>()?.clone();
        let caller = principal(ctx)?;
        let min = (!Permission::ReadPersons.allows(caller.role)).then(|| register.min_group());
        // Subscribed before the first figures are read: no change falls between the two.
        let receiver = register.subscribe();
        Ok(futures_util::stream::unfold(
            (register, receiver, true),
            move |(register, mut receiver, first)| async move {
                if !first && !next_change(&mut receiver).await {
                    return None;
                }
                let stats = Stats::with_reports(&register, min)
                    .await
                    .map_err(async_graphql::Error::from);
                Some((stats, (register, receiver, false)))
            },
        ))
    }

    /// Every follow-up alert (a fever, a missed check, a missing daily report) raised in the
    /// caller's scope (a TOWNSHIP token: its township's), oldest first: those with an ID
    /// above `after` already raised, then each one as it is committed; without `after`,
    /// only those raised from now on. An alert answered later is not pushed again (read
    /// `alerts` for its state).
    #[graphql(guard = "super::rules::guard(\"alertRaised\")")]
    async fn alert_raised(
        &self,
        ctx: &Context<'_>,
        after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Alert>>> {
        let register = ctx.data::<Register>()?.clone();
        let visible = visible_rows::<crate::db::followup_alert::Entity>(ctx)?;
        // Subscribed before the last ID is read: no alert falls between the two.
        let receiver = register.subscribe();
        let last = match after {
            Some(id) => parse_id(&id, "预警")?,
            None => register.last_alert_id().await?,
        };
        let pending = std::collections::VecDeque::new();
        Ok(futures_util::stream::unfold(
            (register, receiver, visible, last, pending, true),
            |(register, mut receiver, visible, mut last, mut pending, mut first)| async move {
                loop {
                    if let Some(alert) = pending.pop_front() {
                        let alert: crate::db::followup_alert::Model = alert;
                        last = alert.id;
                        let state = (register, receiver, visible, last, pending, first);
                        return Some((Ok(Alert(alert)), state));
                    }
                    if !first && !next_change(&mut receiver).await {
                        return None;
                    }
                    first = false;
                    match register.alerts_after(visible.clone(), last).await {
                        Ok(rows) => pending.extend(rows),
                        Err(e) => {
                            let state = (register, receiver, visible, last, pending, first);
                            return Some((Err(e.into()), state));
                        }
                    }
                }
            },
        ))
    }
}

/// Waits for the next committed change, then takes every change already waiting behind it,
/// so that a burst is answered once; false once the register is gone.
async fn next_change<T: Clone>(receiver: &mut tokio::sync::broadcast::Receiver<T>) -> bool {
    match receiver.recv().await {
        Ok(_) | Err(RecvError::Lagged(_)) => {}
        Err(RecvError::Closed) => return false,
    }
    loop {
        match receiver.try_recv() {
            Ok(_) | Err(TryRecvError::Lagged(_)) => {}
            Err(TryRecvError::Empty | TryRecvError::Closed) => return true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_of_changes_is_answered_once() {
        let (sender, mut receiver) = tokio::sync::broadcast::channel::<u32>(8);
        for change in 0..3 {
            sender.send(change).expect("a receiver");
        }
        assert!(next_change(&mut receiver).await, "the burst");
        // Nothing left of it: the next call waits for the next change.
        assert!(
            matches!(receiver.try_recv(), Err(TryRecvError::Empty)),
            "the burst was taken whole"
        );
        sender.send(3).expect("a receiver");
        assert!(next_change(&mut receiver).await);
        drop(sender);
        assert!(!next_change(&mut receiver).await, "the register is gone");
    }
}
