//! Deadlines a complaint must meet (WIT `deadline`, `deadline-kind`).

use crate::complaint::Timestamp;

/// What must happen by a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeadlineKind {
    /// Acknowledge receipt.
    Acknowledge,
    /// Last moment for a summary resolution (UK DISP 1.5).
    SummaryResolution,
    /// First substantive response (US CFPB, 15 days).
    InitialResponse,
    /// Holding reply explaining a late final answer (payment services).
    HoldingReply,
    /// Final response or decision.
    FinalResponse,
    /// Letter explaining a delay.
    DelayLetter,
    /// Notice that the period is extended.
    ExtensionNotice,
    /// Any other regional deadline, named by the text.
    Other(String),
}

/// One deadline (WIT `deadline`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// What must happen.
    pub kind: DeadlineKind,
    /// Exclusive bound: on time if done strictly before this instant, which is
    /// the local midnight ending the last allowed day.
    pub due_at: Timestamp,
    /// The rule it comes from, e.g. "DISP 1.6.2R".
    pub rule: String,
    /// Whether the clock behind it is paused now.
    pub paused: bool,
    /// How it was counted.
    pub basis: String,
}
