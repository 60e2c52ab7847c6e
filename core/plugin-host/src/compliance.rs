//! The compliance contract in plain Rust types, and the checks that keep a
//! plugin's answers sane.
//!
//! These mirror the records of `redress:plugin/compliance@0.1.0` and
//! `redress:plugin/types@0.1.0` so the core never touches generated bindings;
//! timestamps are `DateTime<Utc>` here and milliseconds on the wire.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::sandbox::bindings::exports::redress::plugin::compliance as wire;
use crate::sandbox::bindings::redress::plugin::types as wire_types;

/// An amount in the currency's minor unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units (cents, pence, ...).
    pub minor_units: i64,
    /// ISO 4217 code, upper case.
    pub currency: String,
}

/// The complainant's personal data. Only plugins granted the `personal-data`
/// capability ever see it; `Debug` never prints it so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalData {
    /// Full name.
    pub name: String,
    /// Preferred contact.
    pub contact: String,
    /// Customer number, when the complainant is a customer.
    pub customer_number: Option<String>,
    /// The complainant's own account.
    pub narrative: String,
}

impl fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalData { .. }")
    }
}

/// Lifecycle status of a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComplaintStatus {
    /// Logged.
    Received,
    /// Acknowledgement sent.
    Acknowledged,
    /// Under investigation.
    InProgress,
    /// Waiting on the complainant.
    AwaitingCustomer,
    /// Escalated inside the firm.
    Escalated,
    /// Final response sent.
    Resolved,
    /// Closed.
    Closed,
    /// Reopened after closure.
    Reopened,
}

/// The view of a complaint handed to plugins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintView {
    /// The firm's reference.
    pub reference: String,
    /// Region code whose rules apply.
    pub region: String,
    /// Product, level 1.
    pub product: String,
    /// Product, level 2.
    pub sub_product: Option<String>,
    /// Issue, level 1.
    pub issue: String,
    /// Issue, level 2.
    pub sub_issue: Option<String>,
    /// Arrival channel.
    pub channel: String,
    /// When the firm received the complaint.
    pub received_at: DateTime<Utc>,
    /// Complainant's IANA zone, if known.
    pub customer_time_zone: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// Sum in dispute.
    pub amount_in_dispute: Option<Money>,
    /// Lifecycle status.
    pub status: ComplaintStatus,
    /// Personal data; stripped by the host unless the plugin may see it.
    pub personal_data: Option<PersonalData>,
}

/// Why a clock stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PauseReason {
    /// Waiting for the complainant.
    AwaitingCustomer,
    /// External appraisal under way.
    ExternalAppraisal,
    /// Anything else.
    Other(String),
}

/// An extension of the handling period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// Days added.
    pub days: u32,
    /// Whether the complainant was told.
    pub notice_given: bool,
}

/// What happened to a complaint's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClockChange {
    /// The clock stopped.
    Paused(PauseReason),
    /// The clock started again.
    Resumed,
    /// The period was extended.
    Extended(Extension),
    /// New facts arrived.
    NewFacts,
}

/// One clock event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub change: ClockChange,
}

/// The kind of error a plugin reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The complaint is not one the plugin can judge.
    InvalidComplaint,
    /// The clock events are contradictory.
    InvalidEvent,
    /// A date is outside the plugin's calendar.
    CalendarOutOfRange,
    /// A configuration value is missing or malformed.
    InvalidConfig,
    /// A fault inside the plugin.
    Internal,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::InvalidComplaint => "invalid-complaint",
            ErrorKind::InvalidEvent => "invalid-event",
            ErrorKind::CalendarOutOfRange => "calendar-out-of-range",
            ErrorKind::InvalidConfig => "invalid-config",
            ErrorKind::Internal => "internal",
        })
    }
}

/// What must happen by a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeadlineKind {
    /// Acknowledge receipt.
    Acknowledge,
    /// Summary resolution window (UK DISP 1.5).
    SummaryResolution,
    /// First substantive response.
    InitialResponse,
    /// Holding reply.
    HoldingReply,
    /// Final response.
    FinalResponse,
    /// Delay letter.
    DelayLetter,
    /// Extension notice.
    ExtensionNotice,
    /// A regional deadline the others do not name.
    Other(String),
}

/// One deadline a complaint must meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// What must happen.
    pub kind: DeadlineKind,
    /// Exclusive bound: on time if done strictly before.
    pub due_at: DateTime<Utc>,
    /// The rule it comes from.
    pub rule: String,
    /// Whether its clock is paused now.
    pub paused: bool,
    /// How it was counted.
    pub basis: String,
}

/// How a complaint was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Upheld in full.
    Upheld,
    /// Partly upheld.
    PartlyUpheld,
    /// Rejected.
    Rejected,
    /// Summary resolution.
    SummaryResolution,
    /// Withdrawn.
    Withdrawn,
}

/// The final response about to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalResponse {
    /// The decision.
    pub outcome: Outcome,
    /// When it is sent.
    pub sent_at: DateTime<Utc>,
    /// Element codes it states.
    pub elements: Vec<String>,
    /// Redress offered.
    pub redress: Option<Money>,
    /// US CFPB response category.
    pub response_category: Option<String>,
}

/// Something a final response lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingElement {
    /// The missing element's code.
    pub code: String,
    /// What the handler should do.
    pub message: String,
    /// The rule requiring it.
    pub rule: String,
}

/// What a retention period counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionAnchor {
    /// The day of receipt.
    Received,
    /// The day of closure.
    Closed,
}

/// How long to keep a complaint's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPeriod {
    /// Days to keep, at least.
    pub keep_for_days: u32,
    /// What the days count from.
    pub anchor: RetentionAnchor,
    /// The rule or reason.
    pub rule: String,
}

// ---- to the wire -----------------------------------------------------------

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn money_to_wire(m: &Money) -> wire_types::Money {
    wire_types::Money {
        minor_units: m.minor_units,
        currency: m.currency.clone(),
    }
}

/// The wire complaint; `personal_data` is passed only when `share_personal` is true.
pub(crate) fn complaint_to_wire(c: &ComplaintView, share_personal: bool) -> wire_types::Complaint {
    wire_types::Complaint {
        reference: c.reference.clone(),
        region: c.region.clone(),
        product: c.product.clone(),
        sub_product: c.sub_product.clone(),
        issue: c.issue.clone(),
        sub_issue: c.sub_issue.clone(),
        channel: c.channel.clone(),
        received_at: ms(c.received_at),
        customer_time_zone: c.customer_time_zone.clone(),
        tags: c.tags.clone(),
        amount_in_dispute: c.amount_in_dispute.as_ref().map(money_to_wire),
        status: match c.status {
            ComplaintStatus::Received => wire_types::ComplaintStatus::Received,
            ComplaintStatus::Acknowledged => wire_types::ComplaintStatus::Acknowledged,
            ComplaintStatus::InProgress => wire_types::ComplaintStatus::InProgress,
            ComplaintStatus::AwaitingCustomer => wire_types::ComplaintStatus::AwaitingCustomer,
            ComplaintStatus::Escalated => wire_types::ComplaintStatus::Escalated,
            ComplaintStatus::Resolved => wire_types::ComplaintStatus::Resolved,
            ComplaintStatus::Closed => wire_types::ComplaintStatus::Closed,
            ComplaintStatus::Reopened => wire_types::ComplaintStatus::Reopened,
        },
        personal_data: if share_personal {
            c.personal_data.as_ref().map(|p| wire_types::PersonalData {
                name: p.name.clone(),
                contact: p.contact.clone(),
                customer_number: p.customer_number.clone(),
                narrative: p.narrative.clone(),
            })
        } else {
            None
        },
    }
}

pub(crate) fn events_to_wire(events: &[ClockEvent]) -> Vec<wire_types::ClockEvent> {
    events
        .iter()
        .map(|e| wire_types::ClockEvent {
            at: ms(e.at),
            change: match &e.change {
                ClockChange::Paused(reason) => wire_types::ClockChange::Paused(match reason {
                    PauseReason::AwaitingCustomer => wire_types::PauseReason::AwaitingCustomer,
                    PauseReason::ExternalAppraisal => wire_types::PauseReason::ExternalAppraisal,
                    PauseReason::Other(text) => wire_types::PauseReason::Other(text.clone()),
                }),
                ClockChange::Resumed => wire_types::ClockChange::Resumed,
                ClockChange::Extended(x) => {
                    wire_types::ClockChange::Extended(wire_types::Extension {
                        days: x.days,
                        notice_given: x.notice_given,
                    })
                }
                ClockChange::NewFacts => wire_types::ClockChange::NewFacts,
            },
        })
        .collect()
}

pub(crate) fn response_to_wire(r: &FinalResponse) -> wire::FinalResponse {
    wire::FinalResponse {
        outcome: match r.outcome {
            Outcome::Upheld => wire::Outcome::Upheld,
            Outcome::PartlyUpheld => wire::Outcome::PartlyUpheld,
            Outcome::Rejected => wire::Outcome::Rejected,
            Outcome::SummaryResolution => wire::Outcome::SummaryResolution,
            Outcome::Withdrawn => wire::Outcome::Withdrawn,
        },
        sent_at: ms(r.sent_at),
        elements: r.elements.clone(),
        redress: r.redress.as_ref().map(money_to_wire),
        response_category: r.response_category.clone(),
    }
}

pub(crate) fn error_kind_from_wire(kind: wire_types::ErrorKind) -> ErrorKind {
    match kind {
        wire_types::ErrorKind::InvalidComplaint => ErrorKind::InvalidComplaint,
        wire_types::ErrorKind::InvalidEvent => ErrorKind::InvalidEvent,
        wire_types::ErrorKind::CalendarOutOfRange => ErrorKind::CalendarOutOfRange,
        wire_types::ErrorKind::InvalidConfig => ErrorKind::InvalidConfig,
        wire_types::ErrorKind::Internal => ErrorKind::Internal,
    }
}

// ---- from the wire, with sanity checks --------------------------------------

/// Most deadlines one complaint can sensibly have; more means a runaway plugin.
const MAX_DEADLINES: usize = 64;
/// Most missing elements one response can sensibly lack.
const MAX_MISSING: usize = 256;
/// Longest text accepted in any answer field.
const MAX_TEXT: usize = 4096;
/// Longest retention accepted: 100 years. Anything longer is a unit mistake.
const MAX_RETENTION_DAYS: u32 = 36_525;

fn text_field(what: &str, text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        Err(format!("{what} is empty"))
    } else if text.len() > MAX_TEXT {
        Err(format!(
            "{what} is {} bytes long (limit {MAX_TEXT})",
            text.len()
        ))
    } else {
        Ok(())
    }
}

/// Converts and checks deadlines: each must have a rule and a basis and fall
/// after the complaint was received. A plugin answering otherwise is broken,
/// and acting on its answer could make a firm miss a regulatory deadline.
pub(crate) fn deadlines_from_wire(
    received_at: DateTime<Utc>,
    list: Vec<wire::Deadline>,
) -> Result<Vec<Deadline>, String> {
    if list.len() > MAX_DEADLINES {
        return Err(format!("{} deadlines (limit {MAX_DEADLINES})", list.len()));
    }
    list.into_iter()
        .map(|d| {
            let kind = match d.kind {
                wire::DeadlineKind::Acknowledge => DeadlineKind::Acknowledge,
                wire::DeadlineKind::SummaryResolution => DeadlineKind::SummaryResolution,
                wire::DeadlineKind::InitialResponse => DeadlineKind::InitialResponse,
                wire::DeadlineKind::HoldingReply => DeadlineKind::HoldingReply,
                wire::DeadlineKind::FinalResponse => DeadlineKind::FinalResponse,
                wire::DeadlineKind::DelayLetter => DeadlineKind::DelayLetter,
                wire::DeadlineKind::ExtensionNotice => DeadlineKind::ExtensionNotice,
                wire::DeadlineKind::Other(name) => {
                    text_field("an `other` deadline kind's name", &name)?;
                    DeadlineKind::Other(name)
                }
            };
            text_field(&format!("the rule of the {kind:?} deadline"), &d.rule)?;
            text_field(&format!("the basis of the {kind:?} deadline"), &d.basis)?;
            let due_at = DateTime::<Utc>::from_timestamp_millis(d.due_at)
                .ok_or_else(|| format!("the {kind:?} deadline's due-at {} is out of range", d.due_at))?;
            if due_at <= received_at {
                return Err(format!(
                    "the {kind:?} deadline ({due_at}) is not after the complaint was received ({received_at})"
                ));
            }
            Ok(Deadline {
                kind,
                due_at,
                rule: d.rule,
                paused: d.paused,
                basis: d.basis,
            })
        })
        .collect()
}

/// Converts and checks missing elements: each needs a code, a message and a rule.
pub(crate) fn missing_from_wire(
    list: Vec<wire::MissingElement>,
) -> Result<Vec<MissingElement>, String> {
    if list.len() > MAX_MISSING {
        return Err(format!(
            "{} missing elements (limit {MAX_MISSING})",
            list.len()
        ));
    }
    list.into_iter()
        .map(|m| {
            text_field("a missing element's code", &m.code)?;
            text_field(
                &format!("the message of missing element {:?}", m.code),
                &m.message,
            )?;
            text_field(
                &format!("the rule of missing element {:?}", m.code),
                &m.rule,
            )?;
            Ok(MissingElement {
                code: m.code,
                message: m.message,
                rule: m.rule,
            })
        })
        .collect()
}

/// Converts and checks a retention period: positive, at most 100 years, with a rule.
pub(crate) fn retention_from_wire(r: wire::RetentionPeriod) -> Result<RetentionPeriod, String> {
    if r.keep_for_days == 0 || r.keep_for_days > MAX_RETENTION_DAYS {
        return Err(format!(
            "retention of {} days is outside 1..={MAX_RETENTION_DAYS}",
            r.keep_for_days
        ));
    }
    text_field("the retention rule", &r.rule)?;
    Ok(RetentionPeriod {
        keep_for_days: r.keep_for_days,
        anchor: match r.anchor {
            wire::RetentionAnchor::Received => RetentionAnchor::Received,
            wire::RetentionAnchor::Closed => RetentionAnchor::Closed,
        },
        rule: r.rule,
    })
}
