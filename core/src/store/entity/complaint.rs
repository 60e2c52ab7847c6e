//! One complaint: its facts, its place in the lifecycle and its clocks.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub reference: String,
    /// The id the complaint carries in the system it came from (the CFPB Complaint ID).
    #[sea_orm(unique)]
    pub external_id: Option<String>,
    /// `api` or the importer's format name.
    pub source: String,
    /// SHA-256 of the customer's tracking token; the token itself is never stored for long.
    pub tracking_token_hash: Option<String>,
    pub customer_id: Option<i64>,
    pub status: String,
    pub channel: String,
    pub region: String,
    /// The institution (or legal entity) that received it; with `region`, the
    /// access-control domain.
    pub institution: String,
    pub language: String,
    pub product: String,
    pub sub_product: Option<String>,
    pub issue: String,
    pub sub_issue: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub narrative: Option<String>,
    pub company: Option<String>,
    pub consumer_state: Option<String>,
    pub consumer_zip: Option<String>,
    pub amount_disputed_minor: Option<i64>,
    pub amount_disputed_currency: Option<String>,
    /// JSON array of tag names.
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    pub priority: String,
    pub assignee: Option<String>,
    pub department: Option<String>,
    pub received_at: DateTimeUtc,
    pub customer_time_zone: Option<String>,
    pub sent_to_company_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub due_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub outcome: Option<String>,
    pub response_category: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub company_public_response: Option<String>,
    pub timely_response: Option<bool>,
    pub consumer_disputed: Option<bool>,
    pub consumer_consent: Option<String>,
    pub event_tag: Option<String>,
    pub redress_paid_minor: Option<i64>,
    pub redress_paid_currency: Option<String>,
    pub merged_into_id: Option<i64>,
    pub reopened_count: i32,
    /// Records must be kept until then under the region's rules; set at closure.
    pub retain_until: Option<DateTimeUtc>,
    pub retention_rule: Option<String>,
    /// Bumped on every change; guards against two agents moving the same complaint at once.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The complaint's own data key: the narrative and note bodies are encrypted with it.
    pub data_key_id: Option<String>,
    /// Blind tokens of the narrative's words, for search (see `crate::keys`).
    #[sea_orm(column_type = "Text", nullable)]
    pub narrative_terms: Option<String>,
    /// Set when the complaint's personal data was erased.
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
