//! Tasks handed to other departments: created by agents or by the filing rules, claimed and
//! answered through the API or over the bus, cancelled. A complaint in progress waits on the
//! department while any of its tasks does, and comes back when the last one is done.
//!
//! Each change writes the task row, its history row (and so its domain event) and, for a
//! new task, the task message in one transaction.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::deadlines::mark_met;
use super::outbox::{self, OutboxMessage};
use super::personal::{BODY, seal};
use super::view::status_of;
use super::{Caller, Complaints, EventRecord, Scope, validate, version_conflict};
use crate::config::TaskRule;
use crate::domain::{Region, Status, TaskState, TaskStateError};
use crate::error::ServiceError;
use crate::keys::DataKey;
use crate::store::entity::{complaint, task};

/// Name and version of the task message schema (`docs/schemas/task.v1.json`).
pub const TASK_SCHEMA: &str = "redress.task";
pub const TASK_SCHEMA_VERSION: u32 = 1;

/// Message ids of task messages in the outbox start with this, then the task's id.
pub(crate) const TASK_MESSAGE_PREFIX: &str = "task-";

pub(crate) const QUESTION_MAX: usize = 2_000;
pub(crate) const ANSWER_MAX: usize = 10_000;
/// Largest structured answer, in bytes of JSON.
pub(crate) const ANSWER_DATA_MAX: usize = 64 * 1024;
const DUE_HOURS_MAX: u32 = 24 * 366;

/// A task an agent asks of a department.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// The department's name as in `tasks.departments` (letters, digits, `_`, `-`).
    pub department: String,
    /// What the department is asked.
    pub question: String,
    /// When the answer is due; give this or `due_in_hours`, or neither for the default.
    pub due_at: Option<DateTime<Utc>>,
    pub due_in_hours: Option<u32>,
}

/// A department's answer, through the API.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskAnswer {
    pub answer: String,
    /// Structured findings from the department's system, kept as given.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// The `version` last read; the answer is refused if the task changed since.
    pub expected_version: Option<i32>,
}

/// Withdrawing a task.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskCancel {
    pub reason: Option<String>,
}

/// Which tasks to list, oldest first.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    pub department: Option<String>,
    pub state: Option<TaskState>,
    pub region: Option<Region>,
    /// Page size, 1 to 500; 50 when absent.
    pub limit: Option<u64>,
    /// `next_after` of the previous page.
    pub after: Option<i64>,
}

/// One page of tasks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskPage {
    pub items: Vec<TaskView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

/// A task as staff and departments see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub complaint_id: i64,
    pub institution: String,
    pub region: String,
    pub department: String,
    pub question: String,
    pub due_at: DateTime<Utc>,
    pub state: TaskState,
    pub answer: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub answer_data: Option<Value>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// When it went overdue and reached the supervisors' queue.
    pub escalated_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the bus gave up delivering it and the complaint's owner was told.
    pub dead_lettered_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub version: i32,
}

impl TaskView {
    /// Whether `caller` may see what the task asks and was answered. That text is personal
    /// data (it may name the customer, an account, what happened): it is shown to callers
    /// who may read the complaint's personal data and to the department the task is
    /// addressed to, and withheld from the rest, as a narrative is.
    fn readable_by(&self, caller: &Caller) -> bool {
        let (institution, region, department) = (&self.institution, &self.region, &self.department);
        caller
            .pii
            .covers_department(institution, region, department)
            || caller
                .scope
                .addresses_department(institution, region, department)
    }

    /// The task as `caller` may see it: the text withheld unless [`Self::readable_by`].
    /// Showing it is a read to audit unless the caller has just written it; see
    /// [`Complaints::present_tasks`].
    pub fn as_seen_by(self, caller: &Caller) -> Self {
        if self.readable_by(caller) {
            self
        } else {
            self.withheld()
        }
    }

    fn withheld(mut self) -> Self {
        self.question = super::view::WITHHELD.to_owned();
        self.answer = self.answer.map(|_| super::view::WITHHELD.to_owned());
        self.answer_data = self
            .answer_data
            .map(|_| Value::String(super::view::WITHHELD.to_owned()));
        self
    }
}

impl Complaints {
    /// Tasks as `caller` may see them: the text withheld where [`TaskView`] says so, and
    /// every complaint whose task text is shown recorded in the audit trail as a read of
    /// personal data, as a complaint read is.
    ///
    /// # Errors
    /// The audit append failed.
    pub async fn present_tasks(
        &self,
        tasks: Vec<TaskView>,
        caller: &Caller,
    ) -> Result<Vec<TaskView>, ServiceError> {
        let mut shown = std::collections::BTreeMap::new();
        for task in tasks.iter().filter(|t| t.readable_by(caller)) {
            shown.insert(
                task.complaint_id,
                (task.institution.as_str(), task.region.as_str()),
            );
        }
        let read: Vec<(i64, &str, &str)> = shown
            .into_iter()
            .map(|(id, (institution, region))| (id, institution, region))
            .collect();
        self.record_pii_reads(caller, &read, "task").await?;
        Ok(tasks.into_iter().map(|t| t.as_seen_by(caller)).collect())
    }

    /// [`Self::present_tasks`] for one task.
    ///
    /// # Errors
    /// The audit append failed.
    pub async fn present_task(
        &self,
        task: TaskView,
        caller: &Caller,
    ) -> Result<TaskView, ServiceError> {
        let mut shown = self.present_tasks(vec![task], caller).await?;
        Ok(shown.remove(0))
    }
}

impl From<task::Model> for TaskView {
    fn from(t: task::Model) -> Self {
        Self {
            id: t.id,
            complaint_id: t.complaint_id,
            institution: t.institution,
            region: t.region,
            department: t.department,
            question: t.question,
            due_at: t.due_at,
            state: state_of(&t.state),
            answer: t.answer,
            answer_data: t.answer_data.and_then(|d| serde_json::from_str(&d).ok()),
            created_by: t.created_by,
            created_at: t.created_at,
            claimed_by: t.claimed_by,
            claimed_at: t.claimed_at,
            answered_by: t.answered_by,
            answered_at: t.answered_at,
            escalated_at: t.escalated_at,
            cancelled_at: t.cancelled_at,
            dead_lettered_at: t.dead_lettered_at,
            attempts: t.attempts,
            version: t.version,
        }
    }
}

pub(crate) fn state_of(stored: &str) -> TaskState {
    // Rows are written only through the service, which stores valid names.
    stored.parse().unwrap_or(TaskState::Open)
}

/// How applying an answer went.
#[derive(Debug, Clone)]
pub enum AnswerOutcome {
    Applied(TaskView),
    /// The task already had its answer: nothing changed.
    AlreadyAnswered(TaskView),
}

/// A checked task, ready to be written.
pub(crate) struct TaskSpec {
    pub department: String,
    pub question: String,
    pub due_at: DateTime<Utc>,
}

impl Complaints {
    /// Asks a department something about a complaint. A complaint in progress then waits
    /// on the department.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the field; [`ServiceError::Conflict`] when the
    /// complaint no longer owes an answer.
    #[tracing::instrument(name = "service.create_task", skip_all)]
    pub async fn create_task(
        &self,
        complaint_key: &str,
        input: NewTask,
        caller: &Caller,
    ) -> Result<TaskView, ServiceError> {
        let found = self.find(complaint_key, &caller.scope).await?;
        let now = self.now();
        let due_at = match (input.due_at, input.due_in_hours) {
            (Some(_), Some(_)) => {
                return Err(ServiceError::invalid(
                    "due_in_hours",
                    "not_applicable",
                    "give due_at or due_in_hours, not both",
                ));
            }
            (Some(at), None) => {
                if at <= now {
                    return Err(ServiceError::invalid(
                        "due_at",
                        "in_past",
                        "due_at must lie in the future",
                    ));
                }
                at
            }
            (None, hours) => {
                let hours = hours.unwrap_or(self.tasks.default_due_hours);
                if !(1..=DUE_HOURS_MAX).contains(&hours) {
                    return Err(ServiceError::invalid(
                        "due_in_hours",
                        "out_of_range",
                        format!("due_in_hours must be between 1 and {DUE_HOURS_MAX}"),
                    ));
                }
                now + Duration::hours(i64::from(hours))
            }
        };
        let spec = TaskSpec {
            department: self.check_department(&input.department, &found.region)?,
            question: validate::required_text("question", &input.question, QUESTION_MAX)?,
            due_at,
        };

        let _turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        let current = lock_complaint(&txn, found.id).await?;
        let status = status_of(&current);
        if !status.is_open() {
            txn.rollback().await?;
            return Err(ServiceError::Conflict {
                code: "complaint_not_open",
                message: format!("a {} complaint takes no new tasks", status.as_str()),
            });
        }
        let key = self.text_key(&txn, &current, "question").await?;
        let created = insert_task(&txn, &current, key.as_ref(), spec, &caller.actor.0, now).await?;
        if status == Status::InProgress {
            move_complaint(&txn, &current, Status::WaitingOnDepartment, created.id, now).await?;
        }
        txn.commit().await?;
        self.outbox_written();
        tracing::info!(
            task_id = created.id,
            complaint_id = current.id,
            department = %created.department,
            "task created"
        );
        Ok(created.into())
    }

    /// The tasks of one complaint the caller reaches, oldest first.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown complaint or one out of scope.
    pub async fn tasks_of(
        &self,
        complaint_key: &str,
        caller: &Caller,
    ) -> Result<Vec<TaskView>, ServiceError> {
        let row = self.find(complaint_key, &caller.scope).await?;
        let mut query = task::Entity::find().filter(task::Column::ComplaintId.eq(row.id));
        if let Some(condition) = caller.scope.task_condition() {
            query = query.filter(condition);
        }
        let tasks = query.order_by_asc(task::Column::Id).all(&self.db).await?;
        Ok(tasks.into_iter().map(TaskView::from).collect())
    }

    /// Tasks by department, state and region, oldest first: a department's work list.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] for a limit out of range.
    pub async fn list_tasks(
        &self,
        filter: &TaskFilter,
        scope: &Scope,
    ) -> Result<TaskPage, ServiceError> {
        let limit = filter.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                "out_of_range",
                "limit must be between 1 and 500",
            ));
        }
        let mut query = task::Entity::find().order_by_asc(task::Column::Id);
        if let Some(condition) = scope.task_condition() {
            query = query.filter(condition);
        }
        if let Some(department) = &filter.department {
            validate::parameter_text("department", department, 64)?;
            query = query.filter(task::Column::Department.eq(department.as_str()));
        }
        if let Some(state) = filter.state {
            query = query.filter(task::Column::State.eq(state.as_str()));
        }
        if let Some(region) = filter.region {
            query = query.filter(task::Column::Region.eq(<&str>::from(region)));
        }
        if let Some(after) = filter.after {
            if after < 0 {
                return Err(ServiceError::invalid(
                    "after",
                    "out_of_range",
                    "after is a task id, never negative",
                ));
            }
            query = query.filter(task::Column::Id.gt(after));
        }
        let mut items: Vec<TaskView> = query
            .limit(limit + 1)
            .all(&self.db)
            .await?
            .into_iter()
            .map(TaskView::from)
            .collect();
        let next_after = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(|t| t.id)
        } else {
            None
        };
        Ok(TaskPage { items, next_after })
    }

    /// One task.
    ///
    /// # Errors
    /// [`ServiceError::Missing`] for an unknown task.
    pub async fn task(&self, id: i64) -> Result<TaskView, ServiceError> {
        Ok(find_task(&self.db, id).await?.into())
    }

    /// One task the caller reaches; one out of scope is missing, as for complaints.
    ///
    /// # Errors
    /// [`ServiceError::Missing`] for an unknown task or one out of scope.
    pub async fn task_for(&self, id: i64, scope: &Scope) -> Result<TaskView, ServiceError> {
        Ok(find_task_in(&self.db, id, scope).await?.into())
    }

    /// Takes a task on: someone in the department is working on it.
    ///
    /// # Errors
    /// [`ServiceError::Missing`]; [`ServiceError::Conflict`] when the task is not open.
    pub async fn claim_task(&self, id: i64, caller: &Caller) -> Result<TaskView, ServiceError> {
        let current = find_task_in(&self.db, id, &caller.scope).await?;
        let actor = &caller.actor;
        state_of(&current.state).claim().map_err(task_conflict)?;
        let now = self.now();
        let _turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        let claimed = task::Entity::update_many()
            .col_expr(
                task::Column::State,
                Expr::value(TaskState::Claimed.as_str()),
            )
            .col_expr(task::Column::ClaimedBy, Expr::value(actor.0.as_str()))
            .col_expr(task::Column::ClaimedAt, Expr::value(now))
            .col_expr(
                task::Column::Version,
                Expr::col(task::Column::Version).add(1),
            )
            .filter(task::Column::Id.eq(id))
            .filter(task::Column::State.is_in(TaskState::CLAIMABLE.map(TaskState::as_str)))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            txn.rollback().await?;
            return Err(task_changed());
        }
        EventRecord {
            complaint_id: current.complaint_id,
            kind: "task_claimed",
            from_status: None,
            to_status: None,
            actor: &actor.0,
            public: false,
            body: None,
            data: Some(json!({"task_id": id, "department": current.department})),
            at: now,
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        self.outbox_written();
        self.task(id).await
    }

    /// Records a department's answer (through the API).
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the field; [`ServiceError::Conflict`] when the task
    /// is already answered, cancelled or changed since `expected_version`.
    pub async fn answer_task(
        &self,
        id: i64,
        input: TaskAnswer,
        caller: &Caller,
    ) -> Result<TaskView, ServiceError> {
        find_task_in(&self.db, id, &caller.scope).await?;
        let actor = &caller.actor;
        let answer = validate::required_text("answer", &input.answer, ANSWER_MAX)?;
        let data = check_answer_data("data", input.data)?;
        match self
            .apply_answer(id, answer, data, &actor.0, input.expected_version)
            .await?
        {
            AnswerOutcome::Applied(view) => Ok(view),
            AnswerOutcome::AlreadyAnswered(_) => Err(task_conflict(TaskStateError {
                state: TaskState::Answered.as_str(),
                action: "answered",
            })),
        }
    }

    /// Applies an answer once: a second answer to the same task changes nothing and says so.
    /// The results consumer and the API both come through here.
    ///
    /// # Errors
    /// [`ServiceError::Missing`]; [`ServiceError::Conflict`] for a cancelled task or a stale
    /// `expected_version`.
    #[tracing::instrument(name = "service.apply_answer", skip_all, fields(task_id = id))]
    pub async fn apply_answer(
        &self,
        id: i64,
        answer: String,
        data: Option<Value>,
        answered_by: &str,
        expected_version: Option<i32>,
    ) -> Result<AnswerOutcome, ServiceError> {
        let current = find_task(&self.db, id).await?;
        let now = self.now();
        let _turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        let owner = lock_complaint(&txn, current.complaint_id).await?;
        let mut update = task::Entity::update_many()
            .col_expr(
                task::Column::State,
                Expr::value(TaskState::Answered.as_str()),
            )
            .col_expr(task::Column::Answer, Expr::value(answer.as_str()))
            .col_expr(
                task::Column::AnswerData,
                Expr::value(data.as_ref().map(Value::to_string)),
            )
            .col_expr(task::Column::AnsweredBy, Expr::value(answered_by))
            .col_expr(task::Column::AnsweredAt, Expr::value(now))
            .col_expr(
                task::Column::Version,
                Expr::col(task::Column::Version).add(1),
            )
            .filter(task::Column::Id.eq(id))
            .filter(task::Column::State.is_in(TaskState::PENDING.map(TaskState::as_str)));
        if let Some(version) = expected_version {
            update = update.filter(task::Column::Version.eq(version));
        }
        if update.exec(&txn).await?.rows_affected != 1 {
            txn.rollback().await?;
            let now_stored = find_task(&self.db, id).await?;
            return match state_of(&now_stored.state) {
                TaskState::Answered => Ok(AnswerOutcome::AlreadyAnswered(now_stored.into())),
                TaskState::Cancelled => Err(task_conflict(TaskStateError {
                    state: TaskState::Cancelled.as_str(),
                    action: "answered",
                })),
                _ => Err(task_changed()),
            };
        }
        // Erasure cancels waiting tasks, so an answer to an erased complaint stops above;
        // this refuses one to a complaint erased before erasure did that.
        let key = self.text_key(&txn, &owner, "answer").await?;
        EventRecord {
            complaint_id: current.complaint_id,
            kind: "task_answered",
            from_status: None,
            to_status: None,
            actor: answered_by,
            public: false,
            body: Some(seal(key.as_ref(), BODY, answer)),
            data: Some(json!({
                "task_id": id,
                "department": current.department,
                "has_data": data.is_some(),
            })),
            at: now,
        }
        .insert(&txn)
        .await?;
        release_if_done(&txn, &owner, id, now).await?;
        txn.commit().await?;
        self.outbox_written();
        tracing::info!(
            task_id = id,
            complaint_id = current.complaint_id,
            "task answered"
        );
        Ok(AnswerOutcome::Applied(self.task(id).await?))
    }

    /// Withdraws a task nobody needs any more.
    ///
    /// # Errors
    /// [`ServiceError::Missing`]; [`ServiceError::Conflict`] when the task is done.
    pub async fn cancel_task(
        &self,
        id: i64,
        input: TaskCancel,
        caller: &Caller,
    ) -> Result<TaskView, ServiceError> {
        let reason = validate::optional_text("reason", input.reason.as_deref(), 2_000)?;
        let current = find_task_in(&self.db, id, &caller.scope).await?;
        let actor = &caller.actor;
        state_of(&current.state).cancel().map_err(task_conflict)?;
        let now = self.now();
        let _turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        let owner = lock_complaint(&txn, current.complaint_id).await?;
        let key = match reason {
            Some(_) => self.text_key(&txn, &owner, "reason").await?,
            None => None,
        };
        let cancelled = task::Entity::update_many()
            .col_expr(
                task::Column::State,
                Expr::value(TaskState::Cancelled.as_str()),
            )
            .col_expr(task::Column::CancelledAt, Expr::value(now))
            .col_expr(
                task::Column::Version,
                Expr::col(task::Column::Version).add(1),
            )
            .filter(task::Column::Id.eq(id))
            .filter(task::Column::State.is_in(TaskState::PENDING.map(TaskState::as_str)))
            .exec(&txn)
            .await?;
        if cancelled.rows_affected != 1 {
            txn.rollback().await?;
            return Err(task_changed());
        }
        EventRecord {
            complaint_id: current.complaint_id,
            kind: "task_cancelled",
            from_status: None,
            to_status: None,
            actor: &actor.0,
            public: false,
            body: reason.map(|r| seal(key.as_ref(), BODY, r)),
            data: Some(json!({"task_id": id, "department": current.department})),
            at: now,
        }
        .insert(&txn)
        .await?;
        release_if_done(&txn, &owner, id, now).await?;
        txn.commit().await?;
        self.outbox_written();
        self.task(id).await
    }

    /// The tasks the filing rules ask for this complaint.
    pub(crate) fn rule_tasks(&self, row: &complaint::Model, now: DateTime<Utc>) -> Vec<TaskSpec> {
        self.tasks
            .rules
            .iter()
            .filter(|rule| rule_matches(rule, row))
            .map(|rule| TaskSpec {
                department: rule.department.clone(),
                question: rule.question.trim().to_owned(),
                due_at: now
                    + Duration::hours(i64::from(
                        rule.due_hours.unwrap_or(self.tasks.default_due_hours),
                    )),
            })
            .collect()
    }

    fn check_department(&self, name: &str, region: &str) -> Result<String, ServiceError> {
        let name = name.trim();
        validate::department_name("department", name)?;
        if self.tasks.departments.is_empty() {
            return Ok(name.to_owned());
        }
        let Some(department) = self.tasks.department(name) else {
            return Err(ServiceError::invalid(
                "department",
                "unknown_department",
                "no such department in tasks.departments",
            ));
        };
        if !department.regions.is_empty() && !department.regions.iter().any(|r| r == region) {
            return Err(ServiceError::invalid(
                "department",
                "department_not_in_region",
                format!("{name} does not work on {region} complaints"),
            ));
        }
        Ok(name.to_owned())
    }
}

fn rule_matches(rule: &TaskRule, row: &complaint::Model) -> bool {
    let contains = |hay: &str, needle: &str| hay.to_lowercase().contains(&needle.to_lowercase());
    rule.product
        .as_deref()
        .is_none_or(|p| row.product.eq_ignore_ascii_case(p.trim()))
        && rule
            .product_contains
            .as_deref()
            .is_none_or(|p| contains(&row.product, p.trim()))
        && rule.issue_contains.as_deref().is_none_or(|needle| {
            contains(&row.issue, needle.trim())
                || row
                    .sub_issue
                    .as_deref()
                    .is_some_and(|s| contains(s, needle.trim()))
        })
        && rule
            .region
            .as_deref()
            .is_none_or(|r| row.region.eq_ignore_ascii_case(r))
}

/// Checks structured answer data: a JSON object up to a size, with no NUL in its text and
/// no number JSON readers would round (beyond ±2^53 only doubles are kept; such values,
/// account numbers and the like, must come as strings).
pub(crate) fn check_answer_data(
    field: &str,
    data: Option<Value>,
) -> Result<Option<Value>, ServiceError> {
    let value = match data {
        None | Some(Value::Null) => return Ok(None),
        Some(value @ Value::Object(_)) => value,
        Some(_) => {
            return Err(ServiceError::invalid(
                field,
                "invalid_value",
                format!("{field} must be a JSON object (or null)"),
            ));
        }
    };
    if value.to_string().len() > ANSWER_DATA_MAX {
        return Err(ServiceError::invalid(
            field,
            "too_long",
            format!("{field} is larger than {ANSWER_DATA_MAX} bytes"),
        ));
    }
    if let Some(reason) = unfit_json(&value) {
        return Err(ServiceError::invalid(
            field,
            "invalid_value",
            format!("{field}: {reason}"),
        ));
    }
    Ok(Some(value))
}

/// Why a JSON value cannot be kept as given, if it cannot.
fn unfit_json(value: &Value) -> Option<&'static str> {
    /// 2^53: past it, not every integer has a double of its own.
    const EXACT: u64 = 1 << 53;
    let beyond_doubles = |n: &serde_json::Number| match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => u > EXACT,
        (None, Some(i)) => i.unsigned_abs() > EXACT,
        (None, None) => n.as_f64().is_some_and(|f| f.abs() > EXACT as f64),
    };
    match value {
        Value::String(s) if s.contains('\0') => Some("text must not contain NUL characters"),
        Value::Number(n) if beyond_doubles(n) => {
            Some("numbers beyond ±2^53 lose precision: send them as strings")
        }
        Value::Array(items) => items.iter().find_map(unfit_json),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some("keys must not contain NUL characters")
            } else {
                unfit_json(v)
            }
        }),
        _ => None,
    }
}

pub(crate) async fn find_task(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<task::Model, ServiceError> {
    task::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::Missing { what: "task" })
}

/// The task, if `scope` reaches it; [`ServiceError::Missing`] alike when it does not.
pub(crate) async fn find_task_in(
    db: &impl ConnectionTrait,
    id: i64,
    scope: &Scope,
) -> Result<task::Model, ServiceError> {
    let found = find_task(db, id).await?;
    if scope.covers_task(&found) {
        Ok(found)
    } else {
        Err(ServiceError::Missing { what: "task" })
    }
}

/// Reads the complaint inside a transaction, holding its row (PostgreSQL) so that changes
/// to its tasks are counted one after the other. SQLite has one writer at a time anyway.
pub(crate) async fn lock_complaint(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<complaint::Model, ServiceError> {
    complaint::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Writes a task, its history row and its message to the department. The history keeps the
/// question sealed under the complaint's data `key` (history rows outlive erasure); the
/// task row keeps it plain until erasure blanks it, since the department needs it.
pub(crate) async fn insert_task(
    db: &impl ConnectionTrait,
    owner: &complaint::Model,
    key: Option<&DataKey>,
    spec: TaskSpec,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<task::Model, ServiceError> {
    let created = task::Entity::insert(task::ActiveModel {
        complaint_id: Set(owner.id),
        institution: Set(owner.institution.clone()),
        region: Set(owner.region.clone()),
        department: Set(spec.department),
        question: Set(spec.question),
        due_at: Set(spec.due_at),
        state: Set(TaskState::Open.as_str().to_owned()),
        answer: Set(None),
        answer_data: Set(None),
        created_by: Set(actor.to_owned()),
        created_at: Set(now),
        claimed_by: Set(None),
        claimed_at: Set(None),
        answered_by: Set(None),
        answered_at: Set(None),
        escalated_at: Set(None),
        cancelled_at: Set(None),
        dead_lettered_at: Set(None),
        attempts: Set(0),
        version: Set(1),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    EventRecord {
        complaint_id: owner.id,
        kind: "task_created",
        from_status: None,
        to_status: None,
        actor,
        public: false,
        body: Some(seal(key, BODY, created.question.clone())),
        data: Some(json!({
            "task_id": created.id,
            "department": created.department,
            "due_at": created.due_at,
        })),
        at: now,
    }
    .insert(db)
    .await?;
    outbox::enqueue(
        db,
        OutboxMessage {
            subject: format!("tasks.{}.{}", created.region, created.department),
            msg_id: format!("{TASK_MESSAGE_PREFIX}{}", created.id),
            payload: task_message(&created, owner),
            complaint_id: Some(owner.id),
        },
        now,
    )
    .await?;
    Ok(created)
}

/// The message a department receives (`docs/schemas/task.v1.json`).
fn task_message(task: &task::Model, owner: &complaint::Model) -> Value {
    json!({
        "schema": TASK_SCHEMA,
        "version": TASK_SCHEMA_VERSION,
        "task_id": task.id,
        "complaint_id": owner.id,
        "reference": owner.reference,
        "institution": task.institution,
        "region": task.region,
        "department": task.department,
        "question": task.question,
        "due_at": task.due_at,
        "created_at": task.created_at,
        "created_by": task.created_by,
        "product": owner.product,
        "issue": owner.issue,
    })
}

/// Hands the complaint back once none of its tasks is waiting any more.
async fn release_if_done(
    db: &impl ConnectionTrait,
    owner: &complaint::Model,
    task_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if status_of(owner) != Status::WaitingOnDepartment {
        return Ok(());
    }
    let waiting = task::Entity::find()
        .filter(task::Column::ComplaintId.eq(owner.id))
        .filter(task::Column::State.is_in(TaskState::PENDING.map(TaskState::as_str)))
        .count(db)
        .await?;
    if waiting == 0 {
        move_complaint(db, owner, Status::InProgress, task_id, now).await?;
    }
    Ok(())
}

/// Moves the complaint because of a task, as the system, with its history row. The caller
/// holds the complaint's row, so its version is current.
async fn move_complaint(
    db: &impl ConnectionTrait,
    owner: &complaint::Model,
    to: Status,
    task_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let from = status_of(owner);
    let moved = complaint::Entity::update_many()
        .col_expr(complaint::Column::Status, Expr::value(to.as_str()))
        .col_expr(
            complaint::Column::Version,
            Expr::col(complaint::Column::Version).add(1),
        )
        .col_expr(complaint::Column::UpdatedAt, Expr::value(now))
        .filter(complaint::Column::Id.eq(owner.id))
        .filter(complaint::Column::Version.eq(owner.version))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Err(version_conflict());
    }
    let reason = if to == Status::WaitingOnDepartment {
        "task sent to a department"
    } else {
        "every task answered or cancelled"
    };
    EventRecord {
        complaint_id: owner.id,
        kind: "transition",
        from_status: Some(from.as_str()),
        to_status: Some(to.as_str()),
        actor: super::actors::SYSTEM,
        public: false,
        body: None,
        data: Some(json!({"reason": reason, "task_id": task_id, "automatic": true})),
        at: now,
    }
    .insert(db)
    .await?;
    mark_met(db, owner.id, to, now).await
}

fn task_conflict(e: TaskStateError) -> ServiceError {
    ServiceError::Conflict {
        code: "task_state",
        message: e.to_string(),
    }
}

fn task_changed() -> ServiceError {
    ServiceError::Conflict {
        code: "task_changed",
        message: "the task was changed by someone else; read it again and retry".into(),
    }
}
