//! One deadline on a complaint. The set for a complaint is replaced whenever its clock
//! changes (filing, pause, resume, extension, new facts); `met_at` is set when the
//! complaint reaches the state the deadline asks for.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaint_deadlines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub complaint_id: i64,
    /// `acknowledge`, `summary_resolution`, `initial_response`, `holding_reply`,
    /// `final_response`, `delay_letter`, `extension_notice`, or `other:<name>`.
    pub kind: String,
    /// Exclusive bound: on time when done strictly before it.
    pub due_at: DateTimeUtc,
    pub rule: String,
    #[sea_orm(column_type = "Text")]
    pub basis: String,
    pub paused: bool,
    /// `plugin:<name>@<version>`, or `fallback:<region>` when no plugin answered.
    pub source: String,
    pub met_at: Option<DateTimeUtc>,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
