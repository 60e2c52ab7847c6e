//! Glue between the generated wasm bindings and the native SDK types.
//!
//! [`export_compliance!`](crate::export_compliance) routes every exported
//! call through these functions, so plugin authors never touch the bindings.

use crate::bindings::exports::redress::plugin::compliance as wc;
use crate::bindings::redress::plugin::types as wt;
use crate::clock::{ClockChange, ClockEvent, Extension, PauseReason};
use crate::closure::{FinalResponse, Outcome};
use crate::complaint::{Complaint, ComplaintStatus, Money, PersonalData};
use crate::deadline::DeadlineKind;
use crate::error::ErrorKind;
use crate::host::WasmHost;
use crate::retention::RetentionAnchor;
use crate::{CompliancePlugin, Deadline, MissingElement, PluginError, RetentionPeriod};

/// Runs `P::deadlines` on wire types.
pub fn deadlines<P: CompliancePlugin>(
    complaint: wt::Complaint,
    events: Vec<wt::ClockEvent>,
) -> Result<Vec<wc::Deadline>, wt::PluginError> {
    let complaint = complaint_from(complaint);
    let events: Vec<ClockEvent> = events.into_iter().map(event_from).collect();
    P::deadlines(&WasmHost, &complaint, &events)
        .map(|list| list.into_iter().map(deadline_to).collect())
        .map_err(error_to)
}

/// Runs `P::check_closure` on wire types.
pub fn check_closure<P: CompliancePlugin>(
    complaint: wt::Complaint,
    response: wc::FinalResponse,
) -> Vec<wc::MissingElement> {
    let complaint = complaint_from(complaint);
    let response = response_from(response);
    P::check_closure(&WasmHost, &complaint, &response)
        .into_iter()
        .map(missing_to)
        .collect()
}

/// Runs `P::retention` on wire types.
pub fn retention<P: CompliancePlugin>(complaint: wt::Complaint) -> wc::RetentionPeriod {
    retention_to(P::retention(&WasmHost, &complaint_from(complaint)))
}

fn money_from(m: wt::Money) -> Money {
    Money {
        minor_units: m.minor_units,
        currency: m.currency,
    }
}

fn complaint_from(c: wt::Complaint) -> Complaint {
    Complaint {
        reference: c.reference,
        region: c.region,
        product: c.product,
        sub_product: c.sub_product,
        issue: c.issue,
        sub_issue: c.sub_issue,
        channel: c.channel,
        received_at: c.received_at,
        customer_time_zone: c.customer_time_zone,
        tags: c.tags,
        amount_in_dispute: c.amount_in_dispute.map(money_from),
        status: match c.status {
            wt::ComplaintStatus::Received => ComplaintStatus::Received,
            wt::ComplaintStatus::Acknowledged => ComplaintStatus::Acknowledged,
            wt::ComplaintStatus::InProgress => ComplaintStatus::InProgress,
            wt::ComplaintStatus::AwaitingCustomer => ComplaintStatus::AwaitingCustomer,
            wt::ComplaintStatus::Escalated => ComplaintStatus::Escalated,
            wt::ComplaintStatus::Resolved => ComplaintStatus::Resolved,
            wt::ComplaintStatus::Closed => ComplaintStatus::Closed,
            wt::ComplaintStatus::Reopened => ComplaintStatus::Reopened,
        },
        personal_data: c.personal_data.map(|p| PersonalData {
            name: p.name,
            contact: p.contact,
            customer_number: p.customer_number,
            narrative: p.narrative,
        }),
    }
}

fn event_from(e: wt::ClockEvent) -> ClockEvent {
    let change = match e.change {
        wt::ClockChange::Paused(reason) => ClockChange::Paused(match reason {
            wt::PauseReason::AwaitingCustomer => PauseReason::AwaitingCustomer,
            wt::PauseReason::ExternalAppraisal => PauseReason::ExternalAppraisal,
            wt::PauseReason::Other(text) => PauseReason::Other(text),
        }),
        wt::ClockChange::Resumed => ClockChange::Resumed,
        wt::ClockChange::Extended(x) => ClockChange::Extended(Extension {
            days: x.days,
            notice_given: x.notice_given,
        }),
        wt::ClockChange::NewFacts => ClockChange::NewFacts,
    };
    ClockEvent { at: e.at, change }
}

fn response_from(r: wc::FinalResponse) -> FinalResponse {
    FinalResponse {
        outcome: match r.outcome {
            wc::Outcome::Upheld => Outcome::Upheld,
            wc::Outcome::PartlyUpheld => Outcome::PartlyUpheld,
            wc::Outcome::Rejected => Outcome::Rejected,
            wc::Outcome::SummaryResolution => Outcome::SummaryResolution,
            wc::Outcome::Withdrawn => Outcome::Withdrawn,
        },
        sent_at: r.sent_at,
        elements: r.elements,
        redress: r.redress.map(money_from),
        response_category: r.response_category,
    }
}

fn deadline_to(d: Deadline) -> wc::Deadline {
    wc::Deadline {
        kind: match d.kind {
            DeadlineKind::Acknowledge => wc::DeadlineKind::Acknowledge,
            DeadlineKind::SummaryResolution => wc::DeadlineKind::SummaryResolution,
            DeadlineKind::InitialResponse => wc::DeadlineKind::InitialResponse,
            DeadlineKind::HoldingReply => wc::DeadlineKind::HoldingReply,
            DeadlineKind::FinalResponse => wc::DeadlineKind::FinalResponse,
            DeadlineKind::DelayLetter => wc::DeadlineKind::DelayLetter,
            DeadlineKind::ExtensionNotice => wc::DeadlineKind::ExtensionNotice,
            DeadlineKind::Other(name) => wc::DeadlineKind::Other(name),
        },
        due_at: d.due_at,
        rule: d.rule,
        paused: d.paused,
        basis: d.basis,
    }
}

fn missing_to(m: MissingElement) -> wc::MissingElement {
    wc::MissingElement {
        code: m.code,
        message: m.message,
        rule: m.rule,
    }
}

fn retention_to(r: RetentionPeriod) -> wc::RetentionPeriod {
    wc::RetentionPeriod {
        keep_for_days: r.keep_for_days,
        anchor: match r.anchor {
            RetentionAnchor::Received => wc::RetentionAnchor::Received,
            RetentionAnchor::Closed => wc::RetentionAnchor::Closed,
        },
        rule: r.rule,
    }
}

fn error_to(e: PluginError) -> wt::PluginError {
    wt::PluginError {
        kind: match e.kind {
            ErrorKind::InvalidComplaint => wt::ErrorKind::InvalidComplaint,
            ErrorKind::InvalidEvent => wt::ErrorKind::InvalidEvent,
            ErrorKind::CalendarOutOfRange => wt::ErrorKind::CalendarOutOfRange,
            ErrorKind::InvalidConfig => wt::ErrorKind::InvalidConfig,
            ErrorKind::Internal => wt::ErrorKind::Internal,
        },
        message: e.message,
    }
}
