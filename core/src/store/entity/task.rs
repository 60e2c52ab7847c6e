//! Work a complaint hands to another department (fraud, legal, operations...): what is
//! asked, by when, and the answer.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub complaint_id: i64,
    /// Copied from the complaint: with `region`, the access-control domain.
    pub institution: String,
    pub region: String,
    pub department: String,
    #[sea_orm(column_type = "Text")]
    pub question: String,
    pub due_at: DateTimeUtc,
    /// `open`, `claimed`, `answered`, `overdue` or `cancelled`.
    pub state: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub answer: Option<String>,
    /// Structured answer from the department's system, as JSON.
    #[sea_orm(column_type = "Text", nullable)]
    pub answer_data: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTimeUtc>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// When the bus gave up delivering it (too many attempts) and the owner was told.
    pub dead_lettered_at: Option<DateTimeUtc>,
    /// Deliveries to the department so far.
    pub attempts: i32,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
