//! The append-only history of a complaint: one row per change, written in the change's
//! own transaction. Rows are never updated or deleted: database triggers refuse both.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaint_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub complaint_id: i64,
    /// `filed`, `imported`, `transition`, `note` or `updated`.
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub actor: String,
    /// Shown to the customer on the tracking view.
    pub public: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub body: Option<String>,
    /// Details of the change as JSON (outcome, reason, changed fields...).
    #[sea_orm(column_type = "Text", nullable)]
    pub data: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
