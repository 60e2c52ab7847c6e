//! What happens to a complaint's deadline clock: pauses, resumptions, extensions and new
//! facts, recorded in order on the complaint's history and handed to its region's rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why a clock stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// The firm asked the customer for something and is waiting.
    AwaitingCustomer,
    /// External appraisal, testing or expert assessment (China excludes this time).
    ExternalAppraisal,
    /// Anything else.
    Other,
}

/// One change to a complaint's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClockChange {
    Paused {
        reason: PauseReason,
    },
    Resumed,
    /// The handling period was extended by `days` (the region's rules say which days).
    Extended {
        days: u32,
        notice_given: bool,
    },
    /// New facts or reasons arrived; some regions restart the clock.
    NewFacts,
}

/// A clock change and when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockEntry {
    pub at: DateTime<Utc>,
    pub change: ClockChange,
}

/// Why a clock change cannot be recorded now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("the clock is already paused")]
    AlreadyPaused,
    #[error("the clock is not paused")]
    NotPaused,
    #[error("an extension is between 1 and 60 days")]
    ExtensionOutOfRange,
}

/// Checks that `next` can follow `history`: pauses and resumptions alternate, and an
/// extension stays within what any region allows.
pub fn check(history: &[ClockEntry], next: &ClockChange) -> Result<(), ClockError> {
    let paused = is_paused(history);
    match next {
        ClockChange::Paused { .. } if paused => Err(ClockError::AlreadyPaused),
        ClockChange::Resumed if !paused => Err(ClockError::NotPaused),
        ClockChange::Extended { days, .. } if !(1..=60).contains(days) => {
            Err(ClockError::ExtensionOutOfRange)
        }
        _ => Ok(()),
    }
}

/// Whether the last pause in `history` has not been followed by a resumption.
pub fn is_paused(history: &[ClockEntry]) -> bool {
    history
        .iter()
        .rev()
        .find_map(|e| match e.change {
            ClockChange::Paused { .. } => Some(true),
            ClockChange::Resumed => Some(false),
            _ => None,
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(change: ClockChange) -> ClockEntry {
        ClockEntry {
            at: Utc::now(),
            change,
        }
    }

    #[test]
    fn pauses_and_resumptions_alternate() {
        let pause = ClockChange::Paused {
            reason: PauseReason::AwaitingCustomer,
        };
        assert_eq!(
            check(&[], &ClockChange::Resumed),
            Err(ClockError::NotPaused)
        );
        assert_eq!(check(&[], &pause), Ok(()));
        let history = [at(pause.clone())];
        assert_eq!(check(&history, &pause), Err(ClockError::AlreadyPaused));
        assert_eq!(check(&history, &ClockChange::Resumed), Ok(()));
        let history = [
            at(pause.clone()),
            at(ClockChange::NewFacts),
            at(ClockChange::Resumed),
        ];
        assert!(!is_paused(&history));
        assert_eq!(check(&history, &pause), Ok(()));
    }

    #[test]
    fn extensions_are_bounded() {
        let extend = |days| ClockChange::Extended {
            days,
            notice_given: true,
        };
        assert_eq!(check(&[], &extend(0)), Err(ClockError::ExtensionOutOfRange));
        assert_eq!(
            check(&[], &extend(61)),
            Err(ClockError::ExtensionOutOfRange)
        );
        assert_eq!(check(&[], &extend(30)), Ok(()));
    }

    #[test]
    fn reads_the_api_shape() {
        let change: ClockChange =
            serde_json::from_str(r#"{"change":"extended","days":15,"notice_given":true}"#).unwrap();
        assert_eq!(
            change,
            ClockChange::Extended {
                days: 15,
                notice_given: true
            }
        );
        assert!(serde_json::from_str::<ClockChange>(r#"{"change":"stopped"}"#).is_err());
    }
}
