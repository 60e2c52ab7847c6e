//! The complaint lifecycle as an explicit state machine.
//!
//! ```text
//! received → acknowledged → in_progress ⇄ waiting_on_customer | waiting_on_department
//!                                 ↓
//!                              resolved → closed
//!                     (reopen: resolved | closed → in_progress, within the window)
//! withdrawn and merged end the complaint from any open state.
//! ```

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantNames};
use utoipa::ToSchema;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantNames,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    Received,
    Acknowledged,
    InProgress,
    WaitingOnCustomer,
    WaitingOnDepartment,
    Resolved,
    Closed,
    Withdrawn,
    Merged,
}

use Status::*;

impl Status {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// No transition leaves a terminal state.
    pub fn is_terminal(self) -> bool {
        matches!(self, Withdrawn | Merged)
    }

    /// Whether the institution still owes the customer an answer.
    pub fn is_open(self) -> bool {
        !matches!(self, Resolved | Closed | Withdrawn | Merged)
    }

    /// The states still owing an answer, for queries.
    pub const OPEN: [Status; 5] = [
        Received,
        Acknowledged,
        InProgress,
        WaitingOnCustomer,
        WaitingOnDepartment,
    ];

    /// Every move the rules allow from here, before time limits are considered.
    fn successors(self) -> &'static [Status] {
        match self {
            Received => &[Acknowledged, Withdrawn, Merged],
            Acknowledged => &[InProgress, Withdrawn, Merged],
            InProgress => &[
                WaitingOnCustomer,
                WaitingOnDepartment,
                Resolved,
                Withdrawn,
                Merged,
            ],
            // A customer who never answers still gets a resolution.
            WaitingOnCustomer => &[InProgress, Resolved, Withdrawn, Merged],
            WaitingOnDepartment => &[InProgress, Withdrawn, Merged],
            Resolved => &[Closed, InProgress],
            Closed => &[InProgress],
            Withdrawn | Merged => &[],
        }
    }
}

/// What the rules need to know beyond the two states.
#[derive(Debug, Clone, Copy)]
pub struct TransitionContext {
    pub now: DateTime<Utc>,
    /// When the complaint was last resolved, if it was.
    pub resolved_at: Option<DateTime<Utc>>,
    pub reopen_window: Duration,
}

impl TransitionContext {
    fn reopen_allowed(&self) -> bool {
        self.resolved_at
            .is_some_and(|at| self.now - at <= self.reopen_window)
    }
}

/// A move the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a complaint cannot move from {from} to {to}")]
    NotAllowed {
        from: &'static str,
        to: &'static str,
        allowed: Vec<Status>,
    },
    #[error("the reopen window has passed")]
    ReopenWindowPassed { allowed: Vec<Status> },
}

impl TransitionError {
    pub fn allowed(&self) -> &[Status] {
        match self {
            Self::NotAllowed { allowed, .. } | Self::ReopenWindowPassed { allowed } => allowed,
        }
    }
}

/// The states a complaint in `from` may move to now.
pub fn allowed_next(from: Status, ctx: &TransitionContext) -> Vec<Status> {
    from.successors()
        .iter()
        .copied()
        .filter(|to| !is_reopen(from, *to) || ctx.reopen_allowed())
        .collect()
}

/// Checks one move.
///
/// # Errors
/// [`TransitionError`] naming the states that are allowed instead.
pub fn check(from: Status, to: Status, ctx: &TransitionContext) -> Result<(), TransitionError> {
    let allowed = allowed_next(from, ctx);
    if allowed.contains(&to) {
        return Ok(());
    }
    if is_reopen(from, to) {
        return Err(TransitionError::ReopenWindowPassed { allowed });
    }
    Err(TransitionError::NotAllowed {
        from: from.as_str(),
        to: to.as_str(),
        allowed,
    })
}

/// Moving a finished complaint back into work.
pub fn is_reopen(from: Status, to: Status) -> bool {
    matches!(from, Resolved | Closed) && to == InProgress
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(resolved_days_ago: Option<i64>) -> TransitionContext {
        let now = Utc::now();
        TransitionContext {
            now,
            resolved_at: resolved_days_ago.map(|d| now - Duration::days(d)),
            reopen_window: Duration::days(56),
        }
    }

    #[test]
    fn the_happy_path_is_allowed_step_by_step() {
        let path = [
            Received,
            Acknowledged,
            InProgress,
            WaitingOnCustomer,
            InProgress,
            WaitingOnDepartment,
            InProgress,
            Resolved,
        ];
        for pair in path.windows(2) {
            assert_eq!(check(pair[0], pair[1], &ctx(None)), Ok(()), "{pair:?}");
        }
        assert_eq!(check(Resolved, Closed, &ctx(Some(0))), Ok(()));
    }

    #[test]
    fn skipping_acknowledgement_is_refused_with_the_allowed_states() {
        let err = check(Received, Resolved, &ctx(None)).unwrap_err();
        assert_eq!(err.allowed(), &[Acknowledged, Withdrawn, Merged]);
    }

    #[test]
    fn terminal_states_allow_nothing() {
        for from in [Withdrawn, Merged] {
            for to in [
                Received,
                Acknowledged,
                InProgress,
                Resolved,
                Closed,
                Withdrawn,
                Merged,
            ] {
                assert!(
                    check(from, to, &ctx(Some(1))).is_err(),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn reopen_inside_the_window_only() {
        assert_eq!(check(Closed, InProgress, &ctx(Some(55))), Ok(()));
        assert_eq!(check(Resolved, InProgress, &ctx(Some(56))), Ok(()));
        let err = check(Closed, InProgress, &ctx(Some(57))).unwrap_err();
        assert!(matches!(err, TransitionError::ReopenWindowPassed { .. }));
        assert!(err.allowed().is_empty());
        let err = check(Resolved, InProgress, &ctx(Some(57))).unwrap_err();
        assert_eq!(err.allowed(), &[Closed]);
    }

    #[test]
    fn closed_cannot_be_withdrawn_or_resolved_again() {
        assert!(check(Closed, Withdrawn, &ctx(Some(1))).is_err());
        assert!(check(Closed, Resolved, &ctx(Some(1))).is_err());
        assert!(check(Resolved, Resolved, &ctx(Some(1))).is_err());
    }

    #[test]
    fn every_open_state_can_be_withdrawn_or_merged() {
        for from in Status::OPEN {
            assert_eq!(check(from, Withdrawn, &ctx(None)), Ok(()), "{from:?}");
            assert_eq!(check(from, Merged, &ctx(None)), Ok(()), "{from:?}");
        }
    }
}
