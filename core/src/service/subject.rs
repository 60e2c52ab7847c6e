//! Data-subject rights: everything held on a customer as JSON, and erasure once the
//! retention the region's rules set at closure has passed (at once where none applies).
//!
//! Erasure destroys the data keys of the customer and of each of their complaints, so every
//! value encrypted under them becomes unreadable wherever it is left (history rows are
//! never updated); it also nulls the encrypted fields, the customer number's blind index
//! and the narrative's search tokens. The complaints' non-personal facts (product, issue,
//! company, dates, outcome) stay for statistics. The audit trail records the erasure by
//! reference only.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::tasks::TASK_MESSAGE_PREFIX;
use super::view::{ComplaintView, CustomerView, EventView, status_of};
use super::{Caller, Complaints, DeadlineView, EventRecord, domain_of};
use crate::audit;
use crate::domain::TaskState;
use crate::error::ServiceError;
use crate::store::entity::{
    audit_record, complaint, complaint_event, customer, data_key, idempotency_key, outbox, task,
};

/// Everything held on one customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectExport {
    pub customer: CustomerView,
    pub institution: String,
    pub erased_at: Option<DateTime<Utc>>,
    pub complaints: Vec<ComplaintRecord>,
    pub exported_at: DateTime<Utc>,
}

/// One complaint of the customer, with its history and deadlines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintRecord {
    pub complaint: ComplaintView,
    pub events: Vec<EventView>,
    pub deadlines: Vec<DeadlineView>,
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Erasure {
    /// `customer:7` or `complaint:42`.
    pub subject: String,
    pub complaints: Vec<i64>,
    pub data_keys_destroyed: usize,
    pub erased_at: DateTime<Utc>,
}

impl Complaints {
    /// The customer and their complaints, in scope as a whole. A customer outside the scope
    /// is answered exactly like one that does not exist.
    async fn customer_in_scope(
        &self,
        id: i64,
        caller: &Caller,
    ) -> Result<(customer::Model, Vec<complaint::Model>), ServiceError> {
        let Some(c) = customer::Entity::find_by_id(id).one(&self.db).await? else {
            return Err(no_such_customer());
        };
        let rows = complaint::Entity::find()
            .filter(complaint::Column::CustomerId.eq(id))
            .order_by_asc(complaint::Column::Id)
            .all(&self.db)
            .await?;
        // A customer is reached only if every one of their complaints is: an export must
        // not show, nor an erasure destroy, another domain's data.
        for row in &rows {
            if !caller.scope.covers_domain(&row.institution, &row.region) {
                return Err(no_such_customer());
            }
        }
        if rows.is_empty() && !caller.scope.is_all() {
            return Err(no_such_customer());
        }
        Ok((c, rows))
    }

    /// Everything held on the customer, decrypted, as JSON; recorded in the audit trail.
    ///
    /// # Errors
    /// [`ServiceError::Missing`] for an unknown customer or one outside the scope.
    pub async fn export_customer(
        &self,
        id: i64,
        caller: &Caller,
    ) -> Result<SubjectExport, ServiceError> {
        let (c, rows) = self.customer_in_scope(id, caller).await?;
        let institution = c.institution.clone();
        let erased_at = c.erased_at;
        let c = self.reveal_customer(&self.db, c).await?;
        let mut complaints = Vec::new();
        for row in rows {
            let key = row.id.to_string();
            let ctx = self.context(&row);
            let dk = self.data_key(&self.db, row.data_key_id.as_deref()).await?;
            let revealed = self.reveal(&self.db, row).await?;
            let view = ComplaintView::build(revealed, None, &ctx);
            let events = complaint_event::Entity::find()
                .filter(complaint_event::Column::ComplaintId.eq(view.id))
                .order_by_asc(complaint_event::Column::Id)
                .all(&self.db)
                .await?
                .into_iter()
                .map(|mut e| {
                    e.body = e.body.and_then(|b| {
                        super::personal::open(dk.as_ref(), super::personal::BODY, &b)
                    });
                    EventView::from(e)
                })
                .collect();
            complaints.push(ComplaintRecord {
                complaint: view,
                events,
                deadlines: self.deadlines(&key, &super::Scope::all()).await?,
            });
        }
        let _turn = self.write_turn().await;
        let txn = crate::store::begin_write(&self.db).await?;
        audit::append(
            &txn,
            audit::Entry::new(&caller.actor.0, "subject.export", format!("customer:{id}"))
                .domain(format!("{institution}/*"))
                .details(json!({"complaints": complaints.iter().map(|r| r.complaint.id).collect::<Vec<_>>()})),
        )
        .await?;
        txn.commit().await?;
        Ok(SubjectExport {
            customer: CustomerView {
                id: c.id,
                customer_number: c.customer_number,
                name: c.name,
                email: c.email,
                phone: c.phone,
            },
            institution,
            erased_at,
            complaints,
            exported_at: self.now(),
        })
    }

    /// Erases the customer and the personal data of all their complaints. Erasing again
    /// changes nothing and answers with the first erasure.
    ///
    /// # Errors
    /// [`ServiceError::Missing`] for an unknown customer or one out of scope;
    /// [`ServiceError::Conflict`] (`complaint_open`, `retention`) while a complaint is still
    /// being handled or its retention period runs.
    pub async fn erase_customer(&self, id: i64, caller: &Caller) -> Result<Erasure, ServiceError> {
        let (c, rows) = self.customer_in_scope(id, caller).await?;
        let subject = format!("customer:{id}");
        if c.erased_at.is_some() {
            return self.earlier_erasure(&subject).await;
        }
        let now = self.now();
        // Complaints erased on their own before keep their first erasure.
        let pending: Vec<&complaint::Model> =
            rows.iter().filter(|r| r.erased_at.is_none()).collect();
        for row in &pending {
            erasable(row, now)?;
        }
        let mut keys: Vec<String> = pending
            .iter()
            .filter_map(|r| r.data_key_id.clone())
            .collect();
        keys.extend(c.data_key_id.clone());
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let turn = self.write_turn().await;
        let txn = crate::store::begin_write(&self.db).await?;
        let changed = customer::Entity::update_many()
            .col_expr(customer::Column::Name, Expr::value(Option::<String>::None))
            .col_expr(customer::Column::Email, Expr::value(Option::<String>::None))
            .col_expr(customer::Column::Phone, Expr::value(Option::<String>::None))
            .col_expr(
                customer::Column::CustomerNumber,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                customer::Column::NumberIndex,
                Expr::value(Option::<String>::None),
            )
            .col_expr(customer::Column::ErasedAt, Expr::value(now))
            .filter(customer::Column::Id.eq(id))
            .filter(customer::Column::ErasedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if changed == 0 {
            // Another request erased the customer since we read it.
            txn.rollback().await?;
            drop(turn);
            return self.earlier_erasure(&subject).await;
        }
        for row in pending {
            self.erase_row(&txn, row, &subject, &caller.actor.0, now)
                .await?;
        }
        let destroyed = destroy_keys(&txn, keys).await?;
        let erasure = Erasure {
            subject,
            complaints: ids,
            data_keys_destroyed: destroyed,
            erased_at: now,
        };
        record_erasure(
            &txn,
            &erasure,
            &caller.actor.0,
            format!("{}/*", c.institution),
        )
        .await?;
        txn.commit().await?;
        drop(turn);
        self.compact_after_erasure().await;
        tracing::info!(
            customer_id = id,
            complaints = erasure.complaints.len(),
            "customer erased"
        );
        Ok(erasure)
    }

    /// Erases one complaint's own personal data (narrative, notes, messages, task text):
    /// for imported complaints, which have no customer, and for a complaint whose customer
    /// stays. Erasing again changes nothing and answers with the first erasure.
    ///
    /// # Errors
    /// As [`Complaints::erase_customer`], with [`ServiceError::NotFound`] for a complaint.
    pub async fn erase_complaint(
        &self,
        key: &str,
        caller: &Caller,
    ) -> Result<Erasure, ServiceError> {
        let row = self.find(key, &caller.scope).await?;
        let subject = format!("complaint:{}", row.id);
        if row.erased_at.is_some() {
            return self.earlier_erasure_of(&row).await;
        }
        let now = self.now();
        erasable(&row, now)?;
        let turn = self.write_turn().await;
        let txn = crate::store::begin_write(&self.db).await?;
        if !self
            .erase_row(&txn, &row, &subject, &caller.actor.0, now)
            .await?
        {
            txn.rollback().await?;
            drop(turn);
            return self.earlier_erasure_of(&row).await;
        }
        let destroyed = destroy_keys(&txn, row.data_key_id.iter().cloned().collect()).await?;
        let erasure = Erasure {
            subject,
            complaints: vec![row.id],
            data_keys_destroyed: destroyed,
            erased_at: now,
        };
        let domain = domain_of(&row.institution, &row.region);
        record_erasure(&txn, &erasure, &caller.actor.0, domain).await?;
        txn.commit().await?;
        drop(turn);
        self.compact_after_erasure().await;
        tracing::info!(complaint_id = row.id, "complaint erased");
        Ok(erasure)
    }

    /// Erases one complaint's personal data inside the erasure's transaction; false when
    /// another request erased it first (nothing is written then).
    ///
    /// Task text goes too: the question, answer and structured answer of every task of the
    /// complaint are blanked, tasks still waiting are cancelled (an answer arriving later
    /// is refused as for any cancelled task), and the task messages still in the outbox are
    /// deleted. The history's copies of that text are sealed under the complaint's key.
    async fn erase_row(
        &self,
        txn: &impl ConnectionTrait,
        row: &complaint::Model,
        subject: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let changed = complaint::Entity::update_many()
            .col_expr(
                complaint::Column::Narrative,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                complaint::Column::NarrativeTerms,
                Expr::value(Option::<String>::None),
            )
            .col_expr(complaint::Column::ErasedAt, Expr::value(now))
            .filter(complaint::Column::Id.eq(row.id))
            .filter(complaint::Column::ErasedAt.is_null())
            .exec(txn)
            .await?
            .rows_affected;
        if changed == 0 {
            return Ok(false);
        }
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::ComplaintId.eq(row.id))
            .exec(txn)
            .await?;
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
            .filter(task::Column::ComplaintId.eq(row.id))
            .filter(task::Column::State.is_in(TaskState::PENDING.map(TaskState::as_str)))
            .exec(txn)
            .await?
            .rows_affected;
        task::Entity::update_many()
            .col_expr(task::Column::Question, Expr::value(""))
            .col_expr(task::Column::Answer, Expr::value(Option::<String>::None))
            .col_expr(
                task::Column::AnswerData,
                Expr::value(Option::<String>::None),
            )
            .filter(task::Column::ComplaintId.eq(row.id))
            .exec(txn)
            .await?;
        outbox::Entity::delete_many()
            .filter(outbox::Column::ComplaintId.eq(row.id))
            .filter(outbox::Column::MsgId.starts_with(TASK_MESSAGE_PREFIX))
            .exec(txn)
            .await?;
        EventRecord {
            complaint_id: row.id,
            kind: "erased",
            from_status: None,
            to_status: None,
            actor,
            public: false,
            body: None,
            data: Some(json!({
                "domain": domain_of(&row.institution, &row.region),
                "subject": subject,
                "tasks_cancelled": cancelled,
            })),
            at: now,
        }
        .insert(txn)
        .await?;
        Ok(true)
    }

    /// The answer a repeated erasure of this complaint gets: the erasure that took its data,
    /// whether of the complaint alone or of its customer.
    async fn earlier_erasure_of(&self, row: &complaint::Model) -> Result<Erasure, ServiceError> {
        let first = complaint_event::Entity::find()
            .filter(complaint_event::Column::ComplaintId.eq(row.id))
            .filter(complaint_event::Column::Kind.eq("erased"))
            .order_by_asc(complaint_event::Column::Id)
            .one(&self.db)
            .await?;
        let subject = first
            .and_then(|e| e.data)
            .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
            .and_then(|d| d["subject"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("complaint:{}", row.id));
        self.earlier_erasure(&subject).await
    }

    /// The erasure of `subject` as it was answered the first time, from its audit record.
    /// Complaint erasures recorded before that record existed are answered from the
    /// complaint alone, with `data_keys_destroyed` 0 (the count was not kept).
    async fn earlier_erasure(&self, subject: &str) -> Result<Erasure, ServiceError> {
        tracing::info!(subject, "erasure repeated; nothing left to erase");
        let record = audit_record::Entity::find()
            .filter(audit_record::Column::Object.eq(subject))
            .filter(audit_record::Column::Action.eq("subject.erase"))
            .order_by_asc(audit_record::Column::Seq)
            .one(&self.db)
            .await?;
        let details: serde_json::Value = record
            .as_ref()
            .and_then(|r| serde_json::from_str(&r.details).ok())
            .unwrap_or_default();
        let erased_at = match serde_json::from_value(details["erased_at"].clone()) {
            Ok(at) => at,
            Err(_) => self.erased_at_of(subject).await?,
        };
        let complaints = match details["complaints"].as_array() {
            Some(ids) => ids.iter().filter_map(serde_json::Value::as_i64).collect(),
            None => subject
                .strip_prefix("complaint:")
                .and_then(|id| id.parse().ok())
                .into_iter()
                .collect(),
        };
        Ok(Erasure {
            subject: subject.to_owned(),
            complaints,
            data_keys_destroyed: details["data_keys_destroyed"].as_u64().unwrap_or(0) as usize,
            erased_at,
        })
    }

    /// When `subject` (`customer:7`, `complaint:42`) was erased, from its own row.
    async fn erased_at_of(&self, subject: &str) -> Result<DateTime<Utc>, ServiceError> {
        let at = match subject.split_once(':') {
            Some(("customer", id)) => match id.parse::<i64>() {
                Ok(id) => customer::Entity::find_by_id(id)
                    .one(&self.db)
                    .await?
                    .and_then(|c| c.erased_at),
                Err(_) => None,
            },
            Some(("complaint", id)) => match id.parse::<i64>() {
                Ok(id) => complaint::Entity::find_by_id(id)
                    .one(&self.db)
                    .await?
                    .and_then(|c| c.erased_at),
                Err(_) => None,
            },
            _ => None,
        };
        at.ok_or(ServiceError::NotFound)
    }

    /// On SQLite, folds the write-ahead log back into the (secure-delete) database file and
    /// empties it, so no copy of a destroyed key stays in the log.
    async fn compact_after_erasure(&self) {
        if self.db.get_database_backend() == sea_orm::DbBackend::Sqlite
            && let Err(e) = self
                .db
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
        {
            tracing::warn!(error = %e, "could not checkpoint the write-ahead log after an erasure");
        }
    }
}

fn no_such_customer() -> ServiceError {
    ServiceError::Missing { what: "customer" }
}

/// The `subject.erase` audit record: what was erased, by reference only. A repeated
/// erasure is answered from it.
async fn record_erasure(
    txn: &impl ConnectionTrait,
    erasure: &Erasure,
    actor: &str,
    domain: String,
) -> Result<(), ServiceError> {
    audit::append(
        txn,
        audit::Entry::new(actor, "subject.erase", erasure.subject.clone())
            .domain(domain)
            .details(json!({
                "complaints": erasure.complaints,
                "data_keys_destroyed": erasure.data_keys_destroyed,
                "erased_at": erasure.erased_at,
            })),
    )
    .await?;
    Ok(())
}

async fn destroy_keys(txn: &impl ConnectionTrait, ids: Vec<String>) -> Result<usize, ServiceError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(data_key::Entity::delete_many()
        .filter(data_key::Column::Id.is_in(ids))
        .exec(txn)
        .await?
        .rows_affected as usize)
}

/// Whether the complaint's records may go: it is finished, and its retention (set at
/// closure from the region's rules) has passed or none applies.
fn erasable(row: &complaint::Model, now: DateTime<Utc>) -> Result<(), ServiceError> {
    let status = status_of(row);
    if status.is_open() || status == crate::domain::Status::Resolved {
        return Err(ServiceError::Conflict {
            code: "complaint_open",
            message: format!(
                "complaint {} is still being handled; its records are needed until it is closed",
                row.reference
            ),
        });
    }
    if let Some(until) = row.retain_until
        && until > now
    {
        return Err(ServiceError::Conflict {
            code: "retention",
            message: format!(
                "complaint {} must be kept until {} under {}",
                row.reference,
                until.to_rfc3339(),
                row.retention_rule
                    .as_deref()
                    .unwrap_or("the region's rules")
            ),
        });
    }
    Ok(())
}
