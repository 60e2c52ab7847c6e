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
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::view::{ComplaintView, CustomerView, EventView, status_of};
use super::{Caller, Complaints, DeadlineView, EventRecord, domain_of};
use crate::audit;
use crate::error::ServiceError;
use crate::store::entity::{complaint, complaint_event, customer, data_key, idempotency_key};

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
    /// The customer and their complaints, in scope as a whole.
    async fn customer_in_scope(
        &self,
        id: i64,
        caller: &Caller,
    ) -> Result<(customer::Model, Vec<complaint::Model>), ServiceError> {
        let Some(c) = customer::Entity::find_by_id(id).one(&self.db).await? else {
            return Err(ServiceError::NotFound);
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
                return Err(ServiceError::NotFound);
            }
        }
        if rows.is_empty() && !caller.scope.is_all() {
            return Err(ServiceError::NotFound);
        }
        Ok((c, rows))
    }

    /// Everything held on the customer, decrypted, as JSON; recorded in the audit trail.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown customer or one outside the scope.
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
        let txn = self.db.begin().await?;
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

    /// Erases the customer and the personal data of all their complaints.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`]; [`ServiceError::Conflict`] (`retention`) while a complaint
    /// is still being handled or its retention period runs.
    pub async fn erase_customer(&self, id: i64, caller: &Caller) -> Result<Erasure, ServiceError> {
        let (c, rows) = self.customer_in_scope(id, caller).await?;
        let now = self.now();
        for row in &rows {
            erasable(row, now)?;
        }
        let mut keys: Vec<String> = rows.iter().filter_map(|r| r.data_key_id.clone()).collect();
        keys.extend(c.data_key_id.clone());
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let turn = self.write_turn().await;
        let txn = self.db.begin().await?;
        customer::Entity::update_many()
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
            .exec(&txn)
            .await?;
        for row in &rows {
            self.erase_row(&txn, row, &caller.actor.0, now).await?;
        }
        let destroyed = destroy_keys(&txn, keys).await?;
        audit::append(
            &txn,
            audit::Entry::new(&caller.actor.0, "subject.erase", format!("customer:{id}"))
                .domain(format!("{}/*", c.institution))
                .details(json!({"complaints": ids, "data_keys_destroyed": destroyed})),
        )
        .await?;
        txn.commit().await?;
        drop(turn);
        self.compact_after_erasure().await;
        tracing::info!(customer_id = id, complaints = ids.len(), "customer erased");
        Ok(Erasure {
            subject: format!("customer:{id}"),
            complaints: ids,
            data_keys_destroyed: destroyed,
            erased_at: now,
        })
    }

    /// Erases one complaint's own personal data (narrative, notes, messages): for imported
    /// complaints, which have no customer, and for a complaint whose customer stays.
    ///
    /// # Errors
    /// As [`Complaints::erase_customer`].
    pub async fn erase_complaint(
        &self,
        key: &str,
        caller: &Caller,
    ) -> Result<Erasure, ServiceError> {
        let row = self.find(key, &caller.scope).await?;
        let now = self.now();
        erasable(&row, now)?;
        let turn = self.write_turn().await;
        let txn = self.db.begin().await?;
        self.erase_row(&txn, &row, &caller.actor.0, now).await?;
        let destroyed = destroy_keys(&txn, row.data_key_id.iter().cloned().collect()).await?;
        txn.commit().await?;
        drop(turn);
        self.compact_after_erasure().await;
        tracing::info!(complaint_id = row.id, "complaint erased");
        Ok(Erasure {
            subject: format!("complaint:{}", row.id),
            complaints: vec![row.id],
            data_keys_destroyed: destroyed,
            erased_at: now,
        })
    }

    async fn erase_row(
        &self,
        txn: &impl ConnectionTrait,
        row: &complaint::Model,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        complaint::Entity::update_many()
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
            .exec(txn)
            .await?;
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::ComplaintId.eq(row.id))
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
            data: Some(json!({"domain": domain_of(&row.institution, &row.region)})),
            at: now,
        }
        .insert(txn)
        .await
        .map(|_| ())
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
