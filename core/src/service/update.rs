//! Assigning and re-prioritising a complaint.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::filing::NAME_MAX;
use super::view::ComplaintView;
use super::{Caller, Complaints, EventRecord, try_again, validate, version_conflict};
use crate::domain::Priority;
use crate::error::ServiceError;
use crate::store::entity::complaint;

/// Fields staff may change outside the lifecycle. Absent fields stay as they are; an empty
/// string clears the assignee or department.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintUpdate {
    pub assignee: Option<String>,
    pub department: Option<String>,
    pub priority: Option<Priority>,
    pub expected_version: Option<i32>,
}

impl Complaints {
    /// Changes assignee, department or priority and records what changed. Without
    /// `expected_version` a change that loses a race to another writer is applied again
    /// to the fresh row.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] for an empty update or bad values; [`ServiceError::Conflict`]
    /// when the complaint is no longer at `expected_version`.
    pub async fn update(
        &self,
        key: &str,
        change: ComplaintUpdate,
        caller: &Caller,
    ) -> Result<ComplaintView, ServiceError> {
        let mut attempt = 0;
        loop {
            match self.update_once(key, &change, caller).await {
                Ok(id) => return self.view(&id.to_string(), caller).await,
                Err(e) if try_again(&e, change.expected_version, &mut attempt) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// One attempt at [`Complaints::update`]: the complaint's id once the change is in.
    async fn update_once(
        &self,
        key: &str,
        change: &ComplaintUpdate,
        caller: &Caller,
    ) -> Result<i64, ServiceError> {
        let current = self.find(key, &caller.scope).await?;
        if change
            .expected_version
            .is_some_and(|v| v != current.version)
        {
            return Err(version_conflict());
        }
        let now = self.now();
        let mut changed = Map::new();
        let mut update = complaint::Entity::update_many()
            .col_expr(
                complaint::Column::Version,
                Expr::col(complaint::Column::Version).add(1),
            )
            .col_expr(complaint::Column::UpdatedAt, Expr::value(now))
            .filter(complaint::Column::Id.eq(current.id))
            .filter(complaint::Column::Version.eq(current.version));
        if let Some(assignee) = &change.assignee {
            let value = validate::optional_text("assignee", Some(assignee), NAME_MAX)?;
            changed.insert(
                "assignee".into(),
                json!({"from": current.assignee, "to": value}),
            );
            update = update.col_expr(complaint::Column::Assignee, Expr::value(value));
        }
        if let Some(department) = &change.department {
            let value = validate::department("department", Some(department))?;
            changed.insert(
                "department".into(),
                json!({"from": current.department, "to": value}),
            );
            update = update.col_expr(complaint::Column::Department, Expr::value(value));
        }
        if let Some(priority) = change.priority {
            let value: &str = priority.into();
            changed.insert(
                "priority".into(),
                json!({"from": current.priority, "to": value}),
            );
            update = update.col_expr(complaint::Column::Priority, Expr::value(value));
        }
        if changed.is_empty() {
            return Err(ServiceError::invalid(
                "body",
                "empty_update",
                "name at least one of assignee, department, priority",
            ));
        }

        let turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        if update.exec(&txn).await?.rows_affected != 1 {
            txn.rollback().await?;
            return Err(version_conflict());
        }
        EventRecord {
            complaint_id: current.id,
            kind: "updated",
            from_status: None,
            to_status: None,
            actor: &caller.actor.0,
            public: false,
            body: None,
            data: Some(Value::Object(changed)),
            at: now,
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        drop(turn);
        self.outbox_written();
        Ok(current.id)
    }
}
