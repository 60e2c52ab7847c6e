//! Conversions between the core's records and the plugin host's contract types.

use chrono::{DateTime, Utc};
use redress_plugin_host as host;

use super::ResponseFacts;
use crate::domain::Outcome;
use crate::domain::Status;
use crate::domain::clock::{ClockChange, ClockEntry, PauseReason};
use crate::domain::deadline::{Deadline, DeadlineKind};
use crate::store::entity::{complaint, customer};

/// What a plugin may learn about a complaint. Personal data is included here and
/// stripped by the host unless the plugin was granted it.
#[derive(Clone)]
pub struct ComplaintFacts {
    pub reference: String,
    pub product: String,
    pub sub_product: Option<String>,
    pub issue: String,
    pub sub_issue: Option<String>,
    pub channel: String,
    pub received_at: DateTime<Utc>,
    pub customer_time_zone: Option<String>,
    pub tags: Vec<String>,
    pub amount: Option<(i64, String)>,
    pub status: Status,
    pub reopened: bool,
    personal: Option<host::PersonalData>,
}

impl std::fmt::Debug for ComplaintFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComplaintFacts")
            .field("reference", &self.reference)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl ComplaintFacts {
    /// The facts of a stored complaint, with its customer when it has one.
    pub fn from_rows(
        row: &complaint::Model,
        customer: Option<&customer::Model>,
        status: Status,
    ) -> Self {
        let personal = customer.map(|c| host::PersonalData {
            name: c.name.clone().unwrap_or_default(),
            contact: c
                .email
                .clone()
                .or_else(|| c.phone.clone())
                .unwrap_or_default(),
            customer_number: c.customer_number.clone(),
            narrative: row.narrative.clone().unwrap_or_default(),
        });
        Self {
            reference: row.reference.clone(),
            product: row.product.clone(),
            sub_product: row.sub_product.clone(),
            issue: row.issue.clone(),
            sub_issue: row.sub_issue.clone(),
            channel: row.channel.clone(),
            received_at: row.received_at,
            customer_time_zone: row.customer_time_zone.clone(),
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            amount: row
                .amount_disputed_minor
                .zip(row.amount_disputed_currency.clone()),
            status,
            reopened: row.reopened_count > 0,
            personal,
        }
    }

    pub(super) fn into_view(self, region: &str) -> host::ComplaintView {
        host::ComplaintView {
            reference: self.reference,
            region: region.to_owned(),
            product: self.product,
            sub_product: self.sub_product,
            issue: self.issue,
            sub_issue: self.sub_issue,
            channel: self.channel,
            received_at: self.received_at,
            customer_time_zone: self.customer_time_zone,
            tags: self.tags,
            amount_in_dispute: self.amount.map(|(minor_units, currency)| host::Money {
                minor_units,
                currency,
            }),
            status: match self.status {
                Status::Received => host::ComplaintStatus::Received,
                Status::Acknowledged => host::ComplaintStatus::Acknowledged,
                Status::InProgress if self.reopened => host::ComplaintStatus::Reopened,
                Status::InProgress => host::ComplaintStatus::InProgress,
                Status::WaitingOnCustomer => host::ComplaintStatus::AwaitingCustomer,
                Status::WaitingOnDepartment => host::ComplaintStatus::Escalated,
                Status::Resolved => host::ComplaintStatus::Resolved,
                Status::Closed | Status::Withdrawn | Status::Merged => {
                    host::ComplaintStatus::Closed
                }
            },
            personal_data: self.personal,
        }
    }
}

pub(super) fn clock_events(clock: &[ClockEntry]) -> Vec<host::ClockEvent> {
    clock
        .iter()
        .map(|e| host::ClockEvent {
            at: e.at,
            change: match &e.change {
                ClockChange::Paused { reason } => host::ClockChange::Paused(match reason {
                    PauseReason::AwaitingCustomer => host::PauseReason::AwaitingCustomer,
                    PauseReason::ExternalAppraisal => host::PauseReason::ExternalAppraisal,
                    PauseReason::Other => host::PauseReason::Other("other".into()),
                }),
                ClockChange::Resumed => host::ClockChange::Resumed,
                ClockChange::Extended { days, notice_given } => {
                    host::ClockChange::Extended(host::Extension {
                        days: *days,
                        notice_given: *notice_given,
                    })
                }
                ClockChange::NewFacts => host::ClockChange::NewFacts,
            },
        })
        .collect()
}

pub(super) fn deadline_from_host(d: host::Deadline) -> Deadline {
    Deadline {
        kind: match d.kind {
            host::DeadlineKind::Acknowledge => DeadlineKind::Acknowledge,
            host::DeadlineKind::SummaryResolution => DeadlineKind::SummaryResolution,
            host::DeadlineKind::InitialResponse => DeadlineKind::InitialResponse,
            host::DeadlineKind::HoldingReply => DeadlineKind::HoldingReply,
            host::DeadlineKind::FinalResponse => DeadlineKind::FinalResponse,
            host::DeadlineKind::DelayLetter => DeadlineKind::DelayLetter,
            host::DeadlineKind::ExtensionNotice => DeadlineKind::ExtensionNotice,
            host::DeadlineKind::Other(name) => DeadlineKind::Other(name),
        },
        due_at: d.due_at,
        rule: d.rule,
        basis: d.basis,
        paused: d.paused,
    }
}

pub(super) fn response_to_host(r: ResponseFacts) -> host::FinalResponse {
    host::FinalResponse {
        outcome: match r.outcome {
            Outcome::Upheld => host::Outcome::Upheld,
            Outcome::PartlyUpheld => host::Outcome::PartlyUpheld,
            Outcome::NotUpheld => host::Outcome::Rejected,
            Outcome::SummaryResolution => host::Outcome::SummaryResolution,
        },
        sent_at: r.sent_at,
        elements: r.elements,
        redress: r.redress.map(|(minor_units, currency)| host::Money {
            minor_units,
            currency,
        }),
        response_category: r.response_category.map(|c| <&str>::from(c).to_owned()),
    }
}
