//! Tasks that went wrong, put in front of a person: an overdue task lands in its
//! department's supervisors' queue, a task the bus gave up on in the complaint owner's.
//!
//! Many replicas may run the overdue sweep at once. Each escalation is claimed with a
//! conditional update (`escalated_at IS NULL`) inside the transaction that writes it, so
//! exactly one replica escalates a task; the unique `(task_id, reason)` index backs that up.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::tasks::{find_task, find_task_in};
use super::{Caller, Complaints, EventRecord, Scope, domain_of, find_complaint};
use crate::audit;
use crate::domain::TaskState;
use crate::error::ServiceError;
use crate::store::entity::{escalation, task};

/// Which escalations to list, oldest first.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EscalationFilter {
    /// A supervisors' queue or an agent's name.
    pub queue: Option<String>,
    /// Only those nobody has acknowledged yet (true) or only acknowledged ones (false).
    pub open: Option<bool>,
    pub complaint_id: Option<i64>,
    /// Page size, 1 to 500; 100 when absent.
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationView {
    pub id: i64,
    pub task_id: i64,
    pub complaint_id: i64,
    pub department: String,
    /// `task_overdue` or `task_dead_lettered`.
    pub reason: String,
    pub queue: String,
    pub created_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

impl From<escalation::Model> for EscalationView {
    fn from(e: escalation::Model) -> Self {
        Self {
            id: e.id,
            task_id: e.task_id,
            complaint_id: e.complaint_id,
            department: e.department,
            reason: e.reason,
            queue: e.queue,
            created_at: e.created_at,
            acknowledged_at: e.acknowledged_at,
            acknowledged_by: e.acknowledged_by,
        }
    }
}

/// Queue for a task the bus gave up on when its complaint has no assignee.
const UNASSIGNED_QUEUE: &str = "unassigned";

impl Complaints {
    /// Escalates tasks past their due time, at most `limit` in one sweep; safe to run on
    /// every replica at once. Returns how many this call escalated.
    ///
    /// # Errors
    /// The store failed; escalations already committed stay.
    pub async fn escalate_overdue(&self, limit: u64) -> Result<usize, ServiceError> {
        let now = self.now();
        let due: Vec<task::Model> = task::Entity::find()
            .filter(
                task::Column::State.is_in([TaskState::Open.as_str(), TaskState::Claimed.as_str()]),
            )
            .filter(task::Column::EscalatedAt.is_null())
            .filter(task::Column::DueAt.lte(now))
            .order_by_asc(task::Column::DueAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut escalated = 0;
        for overdue in due {
            let queue = self
                .tasks
                .department(&overdue.department)
                .and_then(|d| d.supervisor_queue.clone())
                .unwrap_or_else(|| self.tasks.supervisor_queue.clone());
            let _turn = self.write_turn().await;
            let txn = self.begin_write().await?;
            let claimed = task::Entity::update_many()
                .col_expr(
                    task::Column::State,
                    Expr::value(TaskState::Overdue.as_str()),
                )
                .col_expr(task::Column::EscalatedAt, Expr::value(now))
                .col_expr(
                    task::Column::Version,
                    Expr::col(task::Column::Version).add(1),
                )
                .filter(task::Column::Id.eq(overdue.id))
                .filter(task::Column::EscalatedAt.is_null())
                .filter(
                    task::Column::State
                        .is_in([TaskState::Open.as_str(), TaskState::Claimed.as_str()]),
                )
                .exec(&txn)
                .await?;
            if claimed.rows_affected != 1 {
                // Another replica got there first, or the task was answered meanwhile.
                txn.rollback().await?;
                continue;
            }
            insert_escalation(&txn, &overdue, "task_overdue", &queue, now).await?;
            EventRecord {
                complaint_id: overdue.complaint_id,
                kind: "task_overdue",
                from_status: None,
                to_status: None,
                actor: super::actors::SYSTEM,
                public: false,
                body: None,
                data: Some(json!({
                    "task_id": overdue.id,
                    "department": overdue.department,
                    "due_at": overdue.due_at,
                    "queue": queue,
                })),
                at: now,
            }
            .insert(&txn)
            .await?;
            txn.commit().await?;
            self.outbox_written();
            escalated += 1;
            tracing::info!(
                task_id = overdue.id,
                complaint_id = overdue.complaint_id,
                department = %overdue.department,
                "task overdue, escalated"
            );
        }
        Ok(escalated)
    }

    /// Records that the bus gave up delivering a task after `deliveries` attempts and tells
    /// the complaint's owner. Applying it twice changes nothing; a task answered or
    /// cancelled meanwhile is left alone. Returns whether this call recorded it.
    ///
    /// # Errors
    /// [`ServiceError::Missing`] for an unknown task; the store failed.
    pub async fn dead_letter_task(&self, id: i64, deliveries: u64) -> Result<bool, ServiceError> {
        let stuck = find_task(&self.db, id).await?;
        let owner = find_complaint(&self.db, &stuck.complaint_id.to_string()).await?;
        let queue = owner
            .assignee
            .clone()
            .unwrap_or_else(|| UNASSIGNED_QUEUE.to_owned());
        let now = self.now();
        let attempts = i32::try_from(deliveries).unwrap_or(i32::MAX);
        let _turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        let marked = task::Entity::update_many()
            .col_expr(task::Column::DeadLetteredAt, Expr::value(now))
            .col_expr(task::Column::Attempts, Expr::value(attempts))
            .col_expr(
                task::Column::Version,
                Expr::col(task::Column::Version).add(1),
            )
            .filter(task::Column::Id.eq(id))
            .filter(task::Column::DeadLetteredAt.is_null())
            .filter(task::Column::State.is_in(TaskState::PENDING.map(TaskState::as_str)))
            .exec(&txn)
            .await?;
        if marked.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        insert_escalation(&txn, &stuck, "task_dead_lettered", &queue, now).await?;
        EventRecord {
            complaint_id: stuck.complaint_id,
            kind: "task_dead_lettered",
            from_status: None,
            to_status: None,
            actor: super::actors::SYSTEM,
            public: false,
            body: None,
            data: Some(json!({
                "task_id": id,
                "department": stuck.department,
                "deliveries": deliveries,
                "notify": queue,
            })),
            at: now,
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        self.outbox_written();
        tracing::warn!(
            task_id = id,
            complaint_id = stuck.complaint_id,
            department = %stuck.department,
            deliveries,
            "task dead-lettered, owner told"
        );
        Ok(true)
    }

    /// Escalations, oldest first.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] for a limit out of range.
    pub async fn escalations(
        &self,
        filter: &EscalationFilter,
        scope: &Scope,
    ) -> Result<Vec<EscalationView>, ServiceError> {
        let limit = filter.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                "out_of_range",
                "limit must be between 1 and 500",
            ));
        }
        let mut query = escalation::Entity::find().order_by_asc(escalation::Column::Id);
        if let Some(condition) = scope.task_condition() {
            query = query.filter(
                escalation::Column::TaskId.in_subquery(
                    task::Entity::find()
                        .select_only()
                        .column(task::Column::Id)
                        .filter(condition)
                        .into_query(),
                ),
            );
        }
        if let Some(queue) = &filter.queue {
            super::validate::parameter_text("queue", queue, 128)?;
            query = query.filter(escalation::Column::Queue.eq(queue.as_str()));
        }
        match filter.open {
            Some(true) => query = query.filter(escalation::Column::AcknowledgedAt.is_null()),
            Some(false) => query = query.filter(escalation::Column::AcknowledgedAt.is_not_null()),
            None => {}
        }
        if let Some(id) = filter.complaint_id {
            query = query.filter(escalation::Column::ComplaintId.eq(id));
        }
        let rows = query.limit(limit).all(&self.db).await?;
        Ok(rows.into_iter().map(EscalationView::from).collect())
    }

    /// Marks an escalation seen by someone who will act on it, with its audit record.
    ///
    /// # Errors
    /// [`ServiceError::Missing`], also for one out of scope; [`ServiceError::Conflict`]
    /// when already acknowledged.
    pub async fn acknowledge_escalation(
        &self,
        id: i64,
        caller: &Caller,
    ) -> Result<EscalationView, ServiceError> {
        let missing = || ServiceError::Missing { what: "escalation" };
        let found = escalation::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(missing)?;
        let of = find_task_in(&self.db, found.task_id, &caller.scope)
            .await
            .map_err(|_| missing())?;
        let now = self.now();
        let _turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        let done = escalation::Entity::update_many()
            .col_expr(escalation::Column::AcknowledgedAt, Expr::value(now))
            .col_expr(
                escalation::Column::AcknowledgedBy,
                Expr::value(caller.actor.0.as_str()),
            )
            .filter(escalation::Column::Id.eq(id))
            .filter(escalation::Column::AcknowledgedAt.is_null())
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            txn.rollback().await?;
            return Err(ServiceError::Conflict {
                code: "already_acknowledged",
                message: "the escalation was acknowledged already".into(),
            });
        }
        audit::append(
            &txn,
            audit::Entry::new(
                &caller.actor.0,
                "escalation.acknowledge",
                format!("complaint:{}", found.complaint_id),
            )
            .domain(domain_of(&of.institution, &of.region))
            .details(json!({"escalation_id": id, "task_id": found.task_id})),
        )
        .await?;
        txn.commit().await?;
        let row = escalation::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(missing)?;
        Ok(row.into())
    }
}

async fn insert_escalation(
    db: &impl ConnectionTrait,
    of: &task::Model,
    reason: &str,
    queue: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    escalation::Entity::insert(escalation::ActiveModel {
        task_id: Set(of.id),
        complaint_id: Set(of.complaint_id),
        department: Set(of.department.clone()),
        reason: Set(reason.to_owned()),
        queue: Set(queue.to_owned()),
        created_at: Set(now),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
