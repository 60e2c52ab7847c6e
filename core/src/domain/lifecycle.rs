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
    /// The complaint was finished elsewhere and its resolution date is not known (an
    /// imported CFPB complaint), so the window cannot be checked.
    #[error(
        "the complaint has no resolution date (it was closed before it came to Redress), so \
         the reopen window cannot be checked; file a new complaint instead"
    )]
    ReopenWindowUnknown { allowed: Vec<Status> },
}

impl TransitionError {
    pub fn allowed(&self) -> &[Status] {
        match self {
            Self::NotAllowed { allowed, .. }
            | Self::ReopenWindowPassed { allowed }
            | Self::ReopenWindowUnknown { allowed } => allowed,
        }
    }

    /// The stable code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAllowed { .. } | Self::ReopenWindowPassed { .. } => "transition_not_allowed",
            Self::ReopenWindowUnknown { .. } => "reopen_window_unknown",
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
        if ctx.resolved_at.is_none() {
            return Err(TransitionError::ReopenWindowUnknown { allowed });
        }
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

    /// Every pair of states, against the lifecycle the project set out: received ->
    /// acknowledged -> in progress -> waiting on the customer or a department -> resolved
    /// -> closed, reopen within the window, withdrawn and merged terminal. Written out
    /// in full rather than derived from the code, so a changed rule shows up here.
    const ALL: [Status; 9] = [
        Received,
        Acknowledged,
        InProgress,
        WaitingOnCustomer,
        WaitingOnDepartment,
        Resolved,
        Closed,
        Withdrawn,
        Merged,
    ];
    /// After the heading, one row per from state and one column per to state, both in the
    /// order of [`ALL`]. 1 = allowed, R = a reopen (allowed only inside the window),
    /// . = refused.
    const TABLE: [&str; 10] = [
        "from \\ to  | rec ack inp woc wod res clo wit mer",
        "received    |  .   1   .   .   .   .   .   1   1",
        "acknowl.    |  .   .   1   .   .   .   .   1   1",
        "in_progress |  .   .   .   1   1   1   .   1   1",
        "wait_cust.  |  .   .   1   .   .   1   .   1   1",
        "wait_dept.  |  .   .   1   .   .   .   .   1   1",
        "resolved    |  .   .   R   .   .   .   1   .   .",
        "closed      |  .   .   R   .   .   .   .   .   .",
        "withdrawn   |  .   .   .   .   .   .   .   .   .",
        "merged      |  .   .   .   .   .   .   .   .   .",
    ];

    fn expected(from: usize, to: usize) -> char {
        let cells = TABLE[from + 1].split_once('|').unwrap().1;
        cells
            .split_whitespace()
            .nth(to)
            .unwrap()
            .chars()
            .next()
            .unwrap()
    }

    #[test]
    fn every_pair_of_states_follows_the_table() {
        let inside = ctx(Some(1));
        let outside = ctx(Some(57));
        let unknown = ctx(None);
        for (i, &from) in ALL.iter().enumerate() {
            for (j, &to) in ALL.iter().enumerate() {
                let cell = expected(i, j);
                let pair = format!("{from:?} -> {to:?}");
                let with = |c: &TransitionContext| check(from, to, c);
                match cell {
                    '1' => {
                        assert_eq!(with(&inside), Ok(()), "{pair}");
                        assert_eq!(with(&outside), Ok(()), "{pair}");
                        assert_eq!(with(&unknown), Ok(()), "{pair}");
                    }
                    'R' => {
                        assert!(is_reopen(from, to), "{pair}");
                        assert_eq!(with(&inside), Ok(()), "{pair}");
                        assert!(
                            matches!(
                                with(&outside),
                                Err(TransitionError::ReopenWindowPassed { .. })
                            ),
                            "{pair}"
                        );
                        assert!(
                            matches!(
                                with(&unknown),
                                Err(TransitionError::ReopenWindowUnknown { .. })
                            ),
                            "{pair}"
                        );
                    }
                    _ => {
                        let err = with(&inside).expect_err(&pair);
                        assert!(matches!(err, TransitionError::NotAllowed { .. }), "{pair}");
                        assert_eq!(err.code(), "transition_not_allowed");
                    }
                }
                // The allowed list of a refusal is exactly the row's allowed cells.
                if let Err(err) = with(&inside) {
                    let row: Vec<Status> = (0..ALL.len())
                        .filter(|&k| expected(i, k) != '.')
                        .map(|k| ALL[k])
                        .collect();
                    let mut allowed = err.allowed().to_vec();
                    allowed.sort_by_key(|s| ALL.iter().position(|a| a == s));
                    assert_eq!(allowed, row, "{pair}");
                }
            }
        }
    }

    #[test]
    fn a_reopen_without_a_resolution_date_is_refused_as_unknown() {
        let err = check(Closed, InProgress, &ctx(None)).unwrap_err();
        assert_eq!(err.code(), "reopen_window_unknown");
        assert!(err.allowed().is_empty());
        let err = check(Resolved, InProgress, &ctx(None)).unwrap_err();
        assert_eq!(err.code(), "reopen_window_unknown");
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
