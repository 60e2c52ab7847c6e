//! A task a complaint hands to another department, and the moves its state may make.
//!
//! ```text
//! open ──claim──> claimed ──answer──> answered
//!   │  \                │
//!   │   due passes      due passes
//!   │      v            v
//!   │    overdue ──claim / answer──> claimed / answered
//!   └── cancel (from open, claimed or overdue) ──> cancelled
//! ```

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
pub enum TaskState {
    Open,
    Claimed,
    Answered,
    Overdue,
    Cancelled,
}

use TaskState::*;

/// Something asked of a task its state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the task is {state} and cannot be {action}")]
pub struct TaskStateError {
    pub state: &'static str,
    pub action: &'static str,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Still waiting for the department.
    pub fn is_pending(self) -> bool {
        matches!(self, Open | Claimed | Overdue)
    }

    /// The states a task may be in while still waiting, for queries.
    pub const PENDING: [TaskState; 3] = [Open, Claimed, Overdue];

    /// The states a task may be claimed from.
    pub const CLAIMABLE: [TaskState; 2] = [Open, Overdue];

    /// Checks that a task in this state may be claimed.
    ///
    /// # Errors
    /// Claimed, answered and cancelled tasks cannot be claimed.
    pub fn claim(self) -> Result<TaskState, TaskStateError> {
        match self {
            Open | Overdue => Ok(Claimed),
            _ => Err(self.refuse("claimed")),
        }
    }

    /// Checks that a task in this state may be answered.
    ///
    /// # Errors
    /// Answered and cancelled tasks are done.
    pub fn answer(self) -> Result<TaskState, TaskStateError> {
        if self.is_pending() {
            Ok(Answered)
        } else {
            Err(self.refuse("answered"))
        }
    }

    /// Checks that a task in this state may be cancelled.
    ///
    /// # Errors
    /// Answered and cancelled tasks are done.
    pub fn cancel(self) -> Result<TaskState, TaskStateError> {
        if self.is_pending() {
            Ok(Cancelled)
        } else {
            Err(self.refuse("cancelled"))
        }
    }

    fn refuse(self, action: &'static str) -> TaskStateError {
        TaskStateError {
            state: self.as_str(),
            action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_waiting_tasks_move() {
        assert_eq!(Open.claim(), Ok(Claimed));
        assert_eq!(Overdue.claim(), Ok(Claimed));
        assert!(Claimed.claim().is_err());
        for state in [Open, Claimed, Overdue] {
            assert_eq!(state.answer(), Ok(Answered));
            assert_eq!(state.cancel(), Ok(Cancelled));
        }
        for done in [Answered, Cancelled] {
            assert!(done.answer().is_err());
            assert!(done.cancel().is_err());
            assert!(done.claim().is_err());
            assert!(!done.is_pending());
        }
        assert_eq!(
            Answered.answer().unwrap_err().to_string(),
            "the task is answered and cannot be answered"
        );
    }
}
