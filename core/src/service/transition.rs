//! Moving a complaint through its lifecycle.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::deadlines::{clock_event, clock_history, mark_met, store_deadlines};
use super::view::{ComplaintView, status_of};
use super::{
    Caller, Complaints, EventRecord, find_complaint, try_again, validate, version_conflict,
};
use crate::compliance::{Closure, ELEMENT_CODES, ResponseFacts, is_element_code};
use crate::domain::Money;
use crate::domain::clock::{self, ClockChange, ClockEntry, PauseReason};
use crate::domain::lifecycle::{self, is_reopen};
use crate::domain::money::MoneyInput;
use crate::domain::{Outcome, Region, ResponseCategory, Status};
use crate::error::ServiceError;
use crate::store::entity::complaint;

/// A request to move a complaint.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub to: Status,
    /// Why, for the history.
    pub reason: Option<String>,
    /// Required when resolving.
    pub outcome: Option<Outcome>,
    /// The CFPB response category, when resolving.
    pub response_category: Option<ResponseCategory>,
    /// Redress paid to the customer, when resolving.
    pub redress_paid: Option<MoneyInput>,
    /// The reference or id of the complaint this one is merged into; required when merging.
    pub merged_into: Option<String>,
    /// A message for the customer, shown on the tracking view.
    pub public_message: Option<String>,
    /// The `version` last read; the move is refused if the complaint changed since.
    pub expected_version: Option<i32>,
    /// When resolving: codes of what the final response states (`fos-referral-rights`,
    /// `review-route`, ...). The region's compliance rules refuse a response that lacks
    /// an element they require; docs/plugins.md lists the codes.
    #[serde(default)]
    pub final_response_elements: Vec<String>,
}

const REASON_MAX: usize = 2_000;
const MESSAGE_MAX: usize = 10_000;

impl Complaints {
    /// Moves a complaint to another state and records the move. Without
    /// `expected_version` a move that loses a race to another writer is checked again
    /// against the fresh row: made if the lifecycle still allows it, refused as a
    /// transition error if not.
    ///
    /// # Errors
    /// [`ServiceError::Transition`] with the allowed states when the lifecycle refuses;
    /// [`ServiceError::Invalid`] for a missing outcome or merge target;
    /// [`ServiceError::Conflict`] when the complaint is no longer at `expected_version`.
    pub async fn transition(
        &self,
        key: &str,
        request: TransitionRequest,
        caller: &Caller,
    ) -> Result<ComplaintView, ServiceError> {
        let mut attempt = 0;
        loop {
            match self.transition_once(key, &request, caller).await {
                Ok(id) => return self.view(&id.to_string(), caller).await,
                Err(e) if try_again(&e, request.expected_version, &mut attempt) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// One attempt at [`Complaints::transition`]: the complaint's id once it has moved.
    async fn transition_once(
        &self,
        key: &str,
        request: &TransitionRequest,
        caller: &Caller,
    ) -> Result<i64, ServiceError> {
        let actor = &caller.actor;
        let current = self.find(key, &caller.scope).await?;
        if let Some(expected) = request.expected_version
            && expected != current.version
        {
            return Err(version_conflict());
        }
        let from = status_of(&current);
        let to = request.to;
        let ctx = self.context(&current);
        lifecycle::check(from, to, &ctx)?;

        let reason = validate::optional_text("reason", request.reason.as_deref(), REASON_MAX)?;
        let message = validate::optional_text(
            "public_message",
            request.public_message.as_deref(),
            MESSAGE_MAX,
        )?;
        let resolving = to == Status::Resolved;
        if resolving && request.outcome.is_none() {
            return Err(ServiceError::invalid(
                "outcome",
                "required",
                "resolving a complaint needs its outcome",
            ));
        }
        if !resolving {
            for (field, given) in [
                ("outcome", request.outcome.is_some()),
                ("response_category", request.response_category.is_some()),
                ("redress_paid", request.redress_paid.is_some()),
            ] {
                if given {
                    return Err(ServiceError::invalid(
                        field,
                        "not_applicable",
                        format!("{field} is given only when resolving"),
                    ));
                }
            }
        }
        let redress = request
            .redress_paid
            .as_ref()
            .map(|m| validate::money("redress_paid", m))
            .transpose()?;
        relief_matches_category(request.response_category, redress.as_ref())?;
        let merged_into = match (to, request.merged_into.as_deref()) {
            (Status::Merged, None) => {
                return Err(ServiceError::invalid(
                    "merged_into",
                    "required",
                    "merging needs the complaint to merge into",
                ));
            }
            (Status::Merged, Some(target)) => {
                Some(self.merge_target(&current, target, caller).await?)
            }
            (_, Some(_)) => {
                return Err(ServiceError::invalid(
                    "merged_into",
                    "not_applicable",
                    "merged_into is given only when merging",
                ));
            }
            (_, None) => None,
        };

        let now = ctx.now;
        let elements = final_response_elements(&request.final_response_elements, resolving)?;
        let region = current.region.parse().unwrap_or(Region::Us);
        let closure = if resolving {
            let response = ResponseFacts {
                outcome: request.outcome.unwrap_or(Outcome::NotUpheld),
                sent_at: now,
                elements,
                redress: redress.map(|m| (m.minor_units, m.currency.code().to_owned())),
                response_category: request.response_category,
            };
            let facts = self.facts(&current, from).await?;
            match self.compliance.check_closure(region, facts, response).await {
                Closure::Missing(missing) => return Err(ServiceError::Incomplete { missing }),
                Closure::Fallback { missing, .. } if !missing.is_empty() => {
                    return Err(ServiceError::Incomplete { missing });
                }
                closure => Some(closure),
            }
        } else {
            None
        };
        let retention = if to == Status::Closed {
            let facts = self.facts(&current, to).await?;
            Some(self.compliance.retention(region, facts, now).await)
        } else {
            None
        };
        let reopen = is_reopen(from, to);
        let mut history = clock_history(&self.db, current.id).await?;
        let clock_change = clock_change_for(&history, from, to, reopen);
        let computed = match &clock_change {
            Some(change) => {
                history.push(ClockEntry {
                    at: now,
                    change: change.clone(),
                });
                let facts = self.facts(&current, to).await?;
                Some(self.compliance.deadlines(region, facts, &history).await)
            }
            None => None,
        };

        let mut update = complaint::Entity::update_many()
            .col_expr(complaint::Column::Status, Expr::value(to.as_str()))
            .col_expr(
                complaint::Column::Version,
                Expr::col(complaint::Column::Version).add(1),
            )
            .col_expr(complaint::Column::UpdatedAt, Expr::value(now))
            .filter(complaint::Column::Id.eq(current.id))
            .filter(complaint::Column::Version.eq(current.version));
        match to {
            Status::Acknowledged if current.acknowledged_at.is_none() => {
                update = update.col_expr(complaint::Column::AcknowledgedAt, Expr::value(now));
            }
            Status::Resolved => {
                update = update
                    .col_expr(complaint::Column::ResolvedAt, Expr::value(now))
                    .col_expr(
                        complaint::Column::Outcome,
                        Expr::value(request.outcome.map(<&str>::from)),
                    )
                    .col_expr(
                        complaint::Column::ResponseCategory,
                        Expr::value(request.response_category.map(<&str>::from)),
                    )
                    .col_expr(
                        complaint::Column::RedressPaidMinor,
                        Expr::value(redress.map(|m| m.minor_units)),
                    )
                    .col_expr(
                        complaint::Column::RedressPaidCurrency,
                        Expr::value(redress.map(|m| m.currency.code())),
                    );
            }
            Status::Closed => {
                update = update.col_expr(complaint::Column::ClosedAt, Expr::value(now));
                if let Some(r) = &retention {
                    update = update
                        .col_expr(complaint::Column::RetainUntil, Expr::value(r.until))
                        .col_expr(
                            complaint::Column::RetentionRule,
                            Expr::value(r.rule.clone()),
                        );
                }
            }
            Status::Merged => {
                update = update.col_expr(complaint::Column::MergedIntoId, Expr::value(merged_into));
            }
            _ => {}
        }
        if is_reopen(from, to) {
            let no_time: Option<chrono::DateTime<chrono::Utc>> = None;
            update = update
                .col_expr(complaint::Column::ResolvedAt, Expr::value(no_time))
                .col_expr(complaint::Column::ClosedAt, Expr::value(no_time))
                .col_expr(complaint::Column::RetainUntil, Expr::value(no_time))
                .col_expr(
                    complaint::Column::RetentionRule,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    complaint::Column::ReopenedCount,
                    Expr::col(complaint::Column::ReopenedCount).add(1),
                );
        }

        let message = self
            .seal_body(&self.db, &current, message, "public_message")
            .await?;
        let turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        if update.exec(&txn).await?.rows_affected != 1 {
            txn.rollback().await?;
            return Err(version_conflict());
        }
        // How the final response was checked, so the history shows a response that no
        // rule could check (a region with no compliance plugin installed).
        let closure_check = closure.as_ref().map(|c| match c {
            Closure::Complete => "plugin".to_owned(),
            Closure::Missing(_) => "refused".to_owned(),
            Closure::Fallback { .. } => format!("fallback:{}", <&str>::from(region)),
            Closure::Unchecked { reason } => format!("unchecked: {reason}"),
        });
        let data = json!({
            "closure_check": closure_check,
            "reason": reason,
            "outcome": request.outcome,
            "response_category": request.response_category,
            "redress_paid": &request.redress_paid,
            "merged_into_id": merged_into,
            "reopen": is_reopen(from, to),
        });
        EventRecord {
            complaint_id: current.id,
            kind: "transition",
            from_status: Some(from.as_str()),
            to_status: Some(to.as_str()),
            actor: &actor.0,
            public: message.is_some(),
            body: message,
            data: strip_nulls(data),
            at: now,
        }
        .insert(&txn)
        .await?;
        if let Some(change) = &clock_change {
            clock_event(current.id, change, &actor.0, now)
                .insert(&txn)
                .await?;
        }
        if let Some(computed) = &computed {
            store_deadlines(&txn, current.id, computed, to, now, &actor.0, reopen).await?;
        }
        mark_met(&txn, current.id, to, now).await?;
        if let Some(failure) = retention.as_ref().and_then(|r| r.failure.as_ref()) {
            EventRecord {
                complaint_id: current.id,
                kind: "plugin_failure",
                from_status: None,
                to_status: None,
                actor: &actor.0,
                public: false,
                body: None,
                data: Some(json!({"call": "retention", "error": failure})),
                at: now,
            }
            .insert(&txn)
            .await?;
        }
        if let Some(Closure::Fallback { reason, .. }) = &closure {
            let region_code: &str = region.into();
            EventRecord {
                complaint_id: current.id,
                kind: "plugin_failure",
                from_status: None,
                to_status: None,
                actor: &actor.0,
                public: false,
                body: None,
                data: Some(json!({
                    "call": "check_closure",
                    "error": reason,
                    "fallback": format!("fallback:{region_code}"),
                    "checked": "the region's fixed list of required elements",
                })),
                at: now,
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        drop(turn);
        self.outbox_written();
        tracing::info!(
            complaint_id = current.id,
            from = from.as_str(),
            to = to.as_str(),
            "complaint moved"
        );
        Ok(current.id)
    }

    async fn merge_target(
        &self,
        current: &complaint::Model,
        key: &str,
        caller: &Caller,
    ) -> Result<i64, ServiceError> {
        let found = match find_complaint(&self.db, key).await {
            Ok(row) if caller.scope.covers(&self.db, &row).await? => Ok(row),
            Ok(_) => Err(ServiceError::NotFound),
            Err(e) => Err(e),
        };
        let target = match found {
            Ok(target) => target,
            Err(ServiceError::NotFound) => {
                return Err(ServiceError::invalid(
                    "merged_into",
                    "unknown_complaint",
                    "no complaint has that reference",
                ));
            }
            Err(e) => return Err(e),
        };
        if target.id == current.id {
            return Err(ServiceError::invalid(
                "merged_into",
                "self_merge",
                "a complaint cannot be merged into itself",
            ));
        }
        if status_of(&target).is_terminal() {
            return Err(ServiceError::invalid(
                "merged_into",
                "terminal_target",
                "the target complaint is itself withdrawn or merged",
            ));
        }
        Ok(target.id)
    }
}

/// The event's details without the fields that do not apply; none at all for a plain move.
fn strip_nulls(mut value: serde_json::Value) -> Option<serde_json::Value> {
    let map = value.as_object_mut()?;
    map.retain(|_, v| !serde_json::Value::is_null(v) && v != &serde_json::Value::Bool(false));
    (!map.is_empty()).then_some(value)
}

/// What the CFPB response category says about money paid. "Closed with monetary relief"
/// records that the company paid the consumer, so the amount must be there and above zero
/// (the CFPB's Company Portal Manual asks for it with that category); "Closed without
/// relief", a category of older data, records that nothing was paid, so a payment
/// contradicts it. The other categories say nothing about money and take either.
fn relief_matches_category(
    category: Option<ResponseCategory>,
    redress: Option<&Money>,
) -> Result<(), ServiceError> {
    match (category, redress) {
        (Some(ResponseCategory::ClosedWithMonetaryRelief), None) => Err(ServiceError::invalid(
            "redress_paid",
            "required",
            "Closed with monetary relief needs the amount paid, in redress_paid",
        )),
        (Some(ResponseCategory::ClosedWithMonetaryRelief), Some(paid)) if paid.minor_units <= 0 => {
            Err(ServiceError::invalid(
                "redress_paid.amount",
                "invalid_amount",
                "Closed with monetary relief needs an amount above zero",
            ))
        }
        (Some(ResponseCategory::ClosedWithoutRelief), Some(paid)) if paid.minor_units > 0 => {
            Err(ServiceError::invalid(
                "redress_paid",
                "not_applicable",
                "Closed without relief records that nothing was paid; choose Closed with \
                 monetary relief or leave redress_paid out",
            ))
        }
        _ => Ok(()),
    }
}

const ELEMENTS_MAX: usize = 64;

/// The element codes of a final response, checked for shape; given only when resolving.
fn final_response_elements(given: &[String], resolving: bool) -> Result<Vec<String>, ServiceError> {
    if !resolving && !given.is_empty() {
        return Err(ServiceError::invalid(
            "final_response_elements",
            "not_applicable",
            "final_response_elements is given only when resolving",
        ));
    }
    if given.len() > ELEMENTS_MAX {
        return Err(ServiceError::invalid(
            "final_response_elements",
            "too_many",
            format!("at most {ELEMENTS_MAX} elements"),
        ));
    }
    given
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let field = format!("final_response_elements[{i}]");
            let code = validate::required_text(&field, code, 64)?;
            if !is_element_code(&code) {
                return Err(ServiceError::invalid(
                    field,
                    "unknown_element",
                    format!(
                        "not a final-response element code; the codes are {}",
                        ELEMENT_CODES.join(", ")
                    ),
                ));
            }
            Ok(code)
        })
        .collect()
}

/// The clock change a move implies: waiting on the customer stops the clock, leaving that
/// state starts it again, and a reopened complaint brings new facts. A clock already
/// stopped (or already running) for another reason is left as it is.
fn clock_change_for(
    history: &[ClockEntry],
    from: Status,
    to: Status,
    reopen: bool,
) -> Option<ClockChange> {
    let change = if reopen {
        ClockChange::NewFacts
    } else if to == Status::WaitingOnCustomer {
        ClockChange::Paused {
            reason: PauseReason::AwaitingCustomer,
        }
    } else if from == Status::WaitingOnCustomer {
        ClockChange::Resumed
    } else {
        return None;
    };
    clock::check(history, &change).ok().map(|()| change)
}
