//! Deadlines on complaints: computing them through the region's compliance rules,
//! storing them, recording clock changes, and listing what is nearly or already late.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::view::status_of;
use super::{Caller, Complaints, EventRecord, Scope, try_again, version_conflict};
use crate::compliance::{ComplaintFacts, Computed};
use crate::domain::Status;
use crate::domain::clock::{self, ClockChange, ClockEntry, ClockError, PauseReason};
use crate::domain::deadline::{self, DeadlineKind};
use crate::error::ServiceError;
use crate::store::entity::{complaint, complaint_deadline, complaint_event, customer};

/// One deadline of a complaint, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadlineView {
    /// `acknowledge`, `final_response`, ... or `other:<name>`.
    pub kind: String,
    /// On time when done strictly before this instant.
    pub due_at: DateTime<Utc>,
    pub rule: String,
    pub basis: String,
    /// The clock behind it is stopped; `due_at` is where it falls if it restarted now.
    pub paused: bool,
    /// `plugin:<name>@<version>` or `fallback:<REGION>`.
    pub source: String,
    pub met_at: Option<DateTime<Utc>>,
    /// Not met and past due.
    pub overdue: bool,
}

/// A deadline not yet met, across complaints.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DueDeadline {
    pub complaint_id: i64,
    pub reference: String,
    pub status: Status,
    pub kind: String,
    pub due_at: DateTime<Utc>,
    pub rule: String,
    pub overdue: bool,
}

/// Which open deadlines to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueFilter {
    /// Deadlines falling before this instant (RFC 3339); default: 2 days from now.
    pub before: Option<DateTime<Utc>>,
    /// At most this many, soonest first (1 to 500; default 100).
    pub limit: Option<u64>,
}

/// A clock change as the API takes it, e.g. `{"change": "extended", "days": 15,
/// "notice_given": true}`. Flat rather than a tagged enum so that each field is read and
/// refused by its own name: a field the change does not take, a missing one, a number out
/// of range.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    pub change: ClockChangeKind,
    /// Why the clock stops; required with `paused`.
    pub reason: Option<PauseReason>,
    /// How many days the handling period grows by, 1 to 60; required with `extended`.
    pub days: Option<i64>,
    /// Whether the customer was told of the extension; required with `extended`.
    pub notice_given: Option<bool>,
}

/// Which change a [`ClockRequest`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockChangeKind {
    Paused,
    Resumed,
    Extended,
    NewFacts,
}

impl ClockRequest {
    /// The change, once every field it needs is there and none it does not take is.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the field.
    pub fn into_change(self) -> Result<ClockChange, ServiceError> {
        let name = match self.change {
            ClockChangeKind::Paused => "paused",
            ClockChangeKind::Resumed => "resumed",
            ClockChangeKind::Extended => "extended",
            ClockChangeKind::NewFacts => "new_facts",
        };
        let required = |field: &str| {
            ServiceError::invalid(
                field,
                "required",
                format!("{field} is required with {name}"),
            )
        };
        let takes: &[&str] = match self.change {
            ClockChangeKind::Paused => &["reason"],
            ClockChangeKind::Extended => &["days", "notice_given"],
            ClockChangeKind::Resumed | ClockChangeKind::NewFacts => &[],
        };
        for (field, given) in [
            ("reason", self.reason.is_some()),
            ("days", self.days.is_some()),
            ("notice_given", self.notice_given.is_some()),
        ] {
            if given && !takes.contains(&field) {
                return Err(ServiceError::invalid(
                    field,
                    "not_applicable",
                    format!("{field} is not given with {name}"),
                ));
            }
        }
        Ok(match self.change {
            ClockChangeKind::Paused => ClockChange::Paused {
                reason: self.reason.ok_or_else(|| required("reason"))?,
            },
            ClockChangeKind::Resumed => ClockChange::Resumed,
            ClockChangeKind::NewFacts => ClockChange::NewFacts,
            ClockChangeKind::Extended => {
                let days = self.days.ok_or_else(|| required("days"))?;
                let days = u32::try_from(days)
                    .ok()
                    .filter(|d| (1..=60).contains(d))
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "days",
                            "out_of_range",
                            ClockError::ExtensionOutOfRange.to_string(),
                        )
                    })?;
                ClockChange::Extended {
                    days,
                    notice_given: self.notice_given.ok_or_else(|| required("notice_given"))?,
                }
            }
        })
    }
}

const DUE_LIMIT_DEFAULT: u64 = 100;
const DUE_LIMIT_MAX: u64 = 500;

impl Complaints {
    /// The complaint's deadlines, soonest first.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`].
    pub async fn deadlines(
        &self,
        key: &str,
        scope: &Scope,
    ) -> Result<Vec<DeadlineView>, ServiceError> {
        let row = self.find(key, scope).await?;
        let now = self.now();
        let rows = complaint_deadline::Entity::find()
            .filter(complaint_deadline::Column::ComplaintId.eq(row.id))
            .order_by_asc(complaint_deadline::Column::DueAt)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|d| DeadlineView {
                overdue: d.met_at.is_none() && d.due_at <= now,
                kind: d.kind,
                due_at: d.due_at,
                rule: d.rule,
                basis: d.basis,
                paused: d.paused,
                source: d.source,
                met_at: d.met_at,
            })
            .collect())
    }

    /// Deadlines not yet met that fall before `filter.before`, soonest first: the work
    /// queue of a complaints team. Deadlines whose clock is paused are left out: their
    /// `due_at` is where they stood when the clock stopped, not a date anyone has to meet,
    /// and they come back with a fresh date when the clock resumes.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] for a limit out of range.
    pub async fn due(
        &self,
        filter: &DueFilter,
        scope: &Scope,
    ) -> Result<Vec<DueDeadline>, ServiceError> {
        let now = self.now();
        let before = filter.before.unwrap_or(now + chrono::Duration::days(2));
        let limit = filter.limit.unwrap_or(DUE_LIMIT_DEFAULT);
        if !(1..=DUE_LIMIT_MAX).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                "out_of_range",
                format!("limit must be between 1 and {DUE_LIMIT_MAX}"),
            ));
        }
        let mut query = complaint_deadline::Entity::find()
            .filter(complaint_deadline::Column::MetAt.is_null())
            .filter(complaint_deadline::Column::Paused.eq(false))
            .filter(complaint_deadline::Column::DueAt.lt(before));
        if let Some(condition) = scope.condition() {
            query = query.filter(
                complaint_deadline::Column::ComplaintId.in_subquery(
                    complaint::Entity::find()
                        .select_only()
                        .column(complaint::Column::Id)
                        .filter(condition)
                        .into_query(),
                ),
            );
        }
        let rows = query
            .order_by_asc(complaint_deadline::Column::DueAt)
            .order_by_asc(complaint_deadline::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|d| d.complaint_id).collect();
        let complaints: std::collections::HashMap<i64, complaint::Model> =
            complaint::Entity::find()
                .filter(complaint::Column::Id.is_in(ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
        Ok(rows
            .into_iter()
            .filter_map(|d| {
                let c = complaints.get(&d.complaint_id)?;
                Some(DueDeadline {
                    complaint_id: c.id,
                    reference: c.reference.clone(),
                    status: status_of(c),
                    overdue: d.due_at <= now,
                    kind: d.kind,
                    due_at: d.due_at,
                    rule: d.rule,
                })
            })
            .collect())
    }

    /// Records a pause, resumption, extension or new facts on the complaint's clock and
    /// recomputes its deadlines, in one transaction.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`]; [`ServiceError::Conflict`] when the change does not fit
    /// the clock's state (resuming a running clock) or the complaint is finished;
    /// [`ServiceError::Invalid`] for an extension out of range.
    pub async fn record_clock(
        &self,
        key: &str,
        change: ClockChange,
        caller: &Caller,
    ) -> Result<Vec<DeadlineView>, ServiceError> {
        // A clock change carries no expected version: one that loses a race to another
        // change of the complaint is checked again against the fresh row.
        let mut attempt = 0;
        loop {
            match self.record_clock_once(key, &change, caller).await {
                Ok(id) => return self.deadlines(&id.to_string(), &caller.scope).await,
                Err(e) if try_again(&e, None, &mut attempt) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// One attempt at [`Complaints::record_clock`]: the complaint's id once it is recorded.
    async fn record_clock_once(
        &self,
        key: &str,
        change: &ClockChange,
        caller: &Caller,
    ) -> Result<i64, ServiceError> {
        let actor = &caller.actor;
        let row = self.find(key, &caller.scope).await?;
        let status = status_of(&row);
        if status.is_terminal() || matches!(status, Status::Resolved | Status::Closed) {
            return Err(ServiceError::Conflict {
                code: "clock_stopped",
                message: format!("the clock of a {} complaint cannot change", status.as_str()),
            });
        }
        let mut history = clock_history(&self.db, row.id).await?;
        clock::check(&history, change).map_err(|e| match e {
            ClockError::ExtensionOutOfRange => {
                ServiceError::invalid("days", "out_of_range", e.to_string())
            }
            ClockError::AlreadyPaused | ClockError::NotPaused => ServiceError::Conflict {
                code: "clock_state",
                message: e.to_string(),
            },
        })?;
        let now = self.now();
        history.push(ClockEntry {
            at: now,
            change: change.clone(),
        });
        let facts = self.facts(&row, status).await?;
        let region = row.region.parse().unwrap_or(crate::domain::Region::Us);
        let computed = self.compliance.deadlines(region, facts, &history).await;

        let turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        bump_version(&txn, &row, now).await?;
        clock_event(row.id, change, &actor.0, now)
            .insert(&txn)
            .await?;
        store_deadlines(&txn, row.id, &computed, status, now, &actor.0, false).await?;
        txn.commit().await?;
        drop(turn);
        Ok(row.id)
    }

    /// The facts a compliance plugin sees about a stored complaint.
    pub(crate) async fn facts(
        &self,
        row: &complaint::Model,
        status: Status,
    ) -> Result<ComplaintFacts, ServiceError> {
        let customer = match row.customer_id {
            Some(id) => match customer::Entity::find_by_id(id).one(&self.db).await? {
                Some(c) => Some(self.reveal_customer(&self.db, c).await?),
                None => None,
            },
            None => None,
        };
        let row = self.reveal(&self.db, row.clone()).await?;
        Ok(ComplaintFacts::from_rows(&row, customer.as_ref(), status))
    }
}

/// The clock changes recorded on a complaint, oldest first.
pub(crate) async fn clock_history(
    db: &impl ConnectionTrait,
    complaint_id: i64,
) -> Result<Vec<ClockEntry>, ServiceError> {
    let rows = complaint_event::Entity::find()
        .filter(complaint_event::Column::ComplaintId.eq(complaint_id))
        .filter(complaint_event::Column::Kind.eq("clock"))
        .order_by_asc(complaint_event::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|e| {
            let change = serde_json::from_str(e.data.as_deref()?).ok()?;
            Some(ClockEntry { at: e.at, change })
        })
        .collect())
}

/// The history row of a clock change.
pub(crate) fn clock_event<'a>(
    complaint_id: i64,
    change: &ClockChange,
    actor: &'a str,
    at: DateTime<Utc>,
) -> EventRecord<'a> {
    EventRecord {
        complaint_id,
        kind: "clock",
        from_status: None,
        to_status: None,
        actor,
        public: false,
        body: None,
        data: serde_json::to_value(change).ok(),
        at,
    }
}

async fn bump_version(
    db: &impl ConnectionTrait,
    row: &complaint::Model,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let updated = complaint::Entity::update_many()
        .col_expr(
            complaint::Column::Version,
            Expr::col(complaint::Column::Version).add(1),
        )
        .col_expr(complaint::Column::UpdatedAt, Expr::value(now))
        .filter(complaint::Column::Id.eq(row.id))
        .filter(complaint::Column::Version.eq(row.version))
        .exec(db)
        .await?;
    if updated.rows_affected == 1 {
        Ok(())
    } else {
        Err(version_conflict())
    }
}

/// Replaces the complaint's deadlines with `computed`, keeps the headline one on the
/// complaint row for listing and the overdue filter, and records a plugin failure on the
/// history. Deadlines already met stay met unless `fresh` (a reopened complaint starts
/// its answers again).
pub(crate) async fn store_deadlines(
    db: &impl ConnectionTrait,
    complaint_id: i64,
    computed: &Computed,
    status: Status,
    now: DateTime<Utc>,
    actor: &str,
    fresh: bool,
) -> Result<(), ServiceError> {
    let previous = complaint_deadline::Entity::find()
        .filter(complaint_deadline::Column::ComplaintId.eq(complaint_id))
        .all(db)
        .await?;
    complaint_deadline::Entity::delete_many()
        .filter(complaint_deadline::Column::ComplaintId.eq(complaint_id))
        .exec(db)
        .await?;
    let rows = deadline_rows(complaint_id, computed, status, now, &previous, fresh);
    if !rows.is_empty() {
        complaint_deadline::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    if let Some(head) = deadline::headline(&computed.deadlines) {
        complaint::Entity::update_many()
            .col_expr(complaint::Column::DueAt, Expr::value(head.due_at))
            .filter(complaint::Column::Id.eq(complaint_id))
            .exec(db)
            .await?;
    }
    if let Some(event) = failure_event(complaint_id, computed, actor, now) {
        event.insert(db).await?;
    }
    Ok(())
}

/// The rows of `computed` for a complaint in `status`. A deadline keeps the time it was met
/// at from `previous` unless the clocks start afresh.
pub(crate) fn deadline_rows(
    complaint_id: i64,
    computed: &Computed,
    status: Status,
    now: DateTime<Utc>,
    previous: &[complaint_deadline::Model],
    fresh: bool,
) -> Vec<complaint_deadline::ActiveModel> {
    computed
        .deadlines
        .iter()
        .map(|d| {
            let kind = d.kind.as_key();
            let met_before = previous
                .iter()
                .find(|p| p.kind == kind)
                .and_then(|p| p.met_at)
                .filter(|_| !fresh);
            let met_at = met_before.or(DeadlineKind::met_by(&kind, status).then_some(now));
            complaint_deadline::ActiveModel {
                complaint_id: Set(complaint_id),
                kind: Set(kind),
                due_at: Set(d.due_at),
                rule: Set(d.rule.clone()),
                basis: Set(d.basis.clone()),
                paused: Set(d.paused),
                source: Set(computed.source.clone()),
                met_at: Set(met_at),
                computed_at: Set(now),
                ..Default::default()
            }
        })
        .collect()
}

/// The history row saying the region's plugin failed and the fallback answered instead.
pub(crate) fn failure_event<'a>(
    complaint_id: i64,
    computed: &Computed,
    actor: &'a str,
    now: DateTime<Utc>,
) -> Option<EventRecord<'a>> {
    let failure = computed.failure.as_ref()?;
    Some(EventRecord {
        complaint_id,
        kind: "plugin_failure",
        from_status: None,
        to_status: None,
        actor,
        public: false,
        body: None,
        data: Some(json!({
            "call": "deadlines",
            "error": failure,
            "fallback": computed.source,
        })),
        at: now,
    })
}

/// Marks the complaint's open deadlines that `status` meets.
pub(crate) async fn mark_met(
    db: &impl ConnectionTrait,
    complaint_id: i64,
    status: Status,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let open = complaint_deadline::Entity::find()
        .filter(complaint_deadline::Column::ComplaintId.eq(complaint_id))
        .filter(complaint_deadline::Column::MetAt.is_null())
        .all(db)
        .await?;
    let met: Vec<i64> = open
        .into_iter()
        .filter(|d| DeadlineKind::met_by(&d.kind, status))
        .map(|d| d.id)
        .collect();
    if !met.is_empty() {
        complaint_deadline::Entity::update_many()
            .col_expr(complaint_deadline::Column::MetAt, Expr::value(now))
            .filter(complaint_deadline::Column::Id.is_in(met))
            .exec(db)
            .await?;
    }
    Ok(())
}
