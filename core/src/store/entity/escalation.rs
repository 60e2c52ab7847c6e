//! Work put in front of a person because a task went wrong: overdue (the department's
//! supervisor) or given up by the bus (the complaint's owner).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "escalations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i64,
    pub complaint_id: i64,
    pub department: String,
    /// `task_overdue` or `task_dead_lettered`.
    pub reason: String,
    /// Whose queue: a supervisor queue, or the complaint's assignee.
    pub queue: String,
    pub created_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
