//! What the service answers with: complaint views built from stored rows.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::lifecycle::{self, TransitionContext};
use crate::domain::money::MoneyInput;
use crate::domain::{Money, Status};
use crate::store::entity::{complaint, complaint_event, customer};

/// A complaint as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintView {
    pub id: i64,
    #[schema(example = "RDR-2026-000123")]
    pub reference: String,
    /// The id in the system the complaint came from (the CFPB Complaint ID for imports).
    pub external_id: Option<String>,
    pub source: String,
    pub status: Status,
    /// Where the complaint may move next, given the lifecycle rules and the reopen window.
    pub allowed_transitions: Vec<Status>,
    pub channel: String,
    pub region: String,
    pub language: String,
    pub product: String,
    pub sub_product: Option<String>,
    pub issue: String,
    pub sub_issue: Option<String>,
    pub narrative: Option<String>,
    pub company: Option<String>,
    pub consumer_state: Option<String>,
    pub consumer_zip: Option<String>,
    pub amount_disputed: Option<MoneyInput>,
    pub tags: Vec<String>,
    pub priority: String,
    pub assignee: Option<String>,
    pub department: Option<String>,
    pub received_at: DateTime<Utc>,
    pub customer_time_zone: Option<String>,
    pub sent_to_company_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub response_category: Option<String>,
    pub company_public_response: Option<String>,
    pub timely_response: Option<bool>,
    pub consumer_disputed: Option<bool>,
    pub consumer_consent: Option<String>,
    pub event_tag: Option<String>,
    pub redress_paid: Option<MoneyInput>,
    pub merged_into_id: Option<i64>,
    pub reopened_count: i32,
    /// Set at closure: the records are kept at least until then.
    pub retain_until: Option<DateTime<Utc>>,
    /// The rule behind `retain_until`.
    pub retention_rule: Option<String>,
    pub customer: Option<CustomerView>,
    /// Send it back as `expected_version` to make sure nobody changed the complaint meanwhile.
    pub version: i32,
    /// The institution that received it; with `region`, its access-control domain.
    pub institution: String,
    /// `shown`, or `masked` for callers without the `pii:read` permission.
    pub personal_data: String,
    /// When the complaint's personal data was erased; its facts stay.
    pub erased_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: i64,
    pub customer_number: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A line in a list of complaints: the facts without narrative or personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintSummary {
    pub id: i64,
    pub reference: String,
    pub external_id: Option<String>,
    pub status: Status,
    pub channel: String,
    pub region: String,
    pub institution: String,
    pub product: String,
    pub issue: String,
    pub company: Option<String>,
    pub priority: String,
    pub assignee: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

/// One entry in a complaint's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub actor: String,
    pub public: bool,
    pub body: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

/// What the customer sees with their tracking token: status, dates, public messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackingView {
    pub reference: String,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub messages: Vec<PublicMessage>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicMessage {
    pub at: DateTime<Utc>,
    pub body: String,
}

pub(crate) fn status_of(row: &complaint::Model) -> Status {
    // Rows are written only through the service, which stores valid names.
    row.status.parse().unwrap_or(Status::Received)
}

fn money(minor: Option<i64>, currency: Option<&str>) -> Option<MoneyInput> {
    Some(Money::from_stored(minor?, currency?)?.to_input())
}

impl ComplaintView {
    pub(crate) fn build(
        row: complaint::Model,
        customer: Option<customer::Model>,
        ctx: &TransitionContext,
    ) -> Self {
        let status = status_of(&row);
        Self {
            allowed_transitions: lifecycle::allowed_next(status, ctx),
            amount_disputed: money(
                row.amount_disputed_minor,
                row.amount_disputed_currency.as_deref(),
            ),
            redress_paid: money(row.redress_paid_minor, row.redress_paid_currency.as_deref()),
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            customer: customer.map(|c| CustomerView {
                id: c.id,
                customer_number: c.customer_number,
                name: c.name,
                email: c.email,
                phone: c.phone,
            }),
            id: row.id,
            reference: row.reference,
            external_id: row.external_id,
            source: row.source,
            status,
            channel: row.channel,
            region: row.region,
            language: row.language,
            product: row.product,
            sub_product: row.sub_product,
            issue: row.issue,
            sub_issue: row.sub_issue,
            narrative: row.narrative,
            company: row.company,
            consumer_state: row.consumer_state,
            consumer_zip: row.consumer_zip,
            priority: row.priority,
            assignee: row.assignee,
            department: row.department,
            received_at: row.received_at,
            customer_time_zone: row.customer_time_zone,
            sent_to_company_at: row.sent_to_company_at,
            acknowledged_at: row.acknowledged_at,
            due_at: row.due_at,
            resolved_at: row.resolved_at,
            closed_at: row.closed_at,
            outcome: row.outcome,
            response_category: row.response_category,
            company_public_response: row.company_public_response,
            timely_response: row.timely_response,
            consumer_disputed: row.consumer_disputed,
            consumer_consent: row.consumer_consent,
            event_tag: row.event_tag,
            merged_into_id: row.merged_into_id,
            reopened_count: row.reopened_count,
            retain_until: row.retain_until,
            retention_rule: row.retention_rule,
            version: row.version,
            institution: row.institution,
            personal_data: "shown".into(),
            erased_at: row.erased_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A value shown only as its last four characters: `****1234`.
pub fn mask_tail(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    if chars.len() <= 4 {
        "****".to_owned()
    } else {
        format!("****{tail}")
    }
}

/// A name shown as initials: `Jane Q. Customer` becomes `J. Q. C.`.
pub fn mask_name(name: &str) -> String {
    let initials: Vec<String> = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
        .map(|c| format!("{c}."))
        .collect();
    if initials.is_empty() {
        "****".to_owned()
    } else {
        initials.join(" ")
    }
}

/// Stands for text the caller may not read.
pub const WITHHELD: &str = "****";

impl ComplaintView {
    /// The view for a caller without the `pii:read` permission: names as initials,
    /// numbers and contacts as their last four characters, the narrative withheld.
    #[must_use]
    pub fn masked(mut self) -> Self {
        self.narrative = self.narrative.map(|_| WITHHELD.to_owned());
        self.customer = self.customer.map(|c| CustomerView {
            id: c.id,
            customer_number: c.customer_number.as_deref().map(mask_tail),
            name: c.name.as_deref().map(mask_name),
            email: c.email.as_deref().map(mask_tail),
            phone: c.phone.as_deref().map(mask_tail),
        });
        self.personal_data = "masked".into();
        self
    }
}

impl EventView {
    /// Without the body, which may hold personal data.
    #[must_use]
    pub fn masked(mut self) -> Self {
        self.body = self.body.map(|_| WITHHELD.to_owned());
        self
    }
}

impl ComplaintSummary {
    pub(crate) fn build(row: complaint::Model, now: DateTime<Utc>) -> Self {
        let status = status_of(&row);
        Self {
            overdue: status.is_open() && row.due_at.is_some_and(|due| due < now),
            id: row.id,
            reference: row.reference,
            external_id: row.external_id,
            status,
            channel: row.channel,
            region: row.region,
            institution: row.institution,
            product: row.product,
            issue: row.issue,
            company: row.company,
            priority: row.priority,
            assignee: row.assignee,
            received_at: row.received_at,
            due_at: row.due_at,
        }
    }
}

impl From<complaint_event::Model> for EventView {
    fn from(row: complaint_event::Model) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            from_status: row.from_status,
            to_status: row.to_status,
            actor: row.actor,
            public: row.public,
            body: row.body,
            data: row.data.and_then(|d| serde_json::from_str(&d).ok()),
            at: row.at,
        }
    }
}
