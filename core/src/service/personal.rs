//! Personal data in and out of the store: data keys, encrypting on the way in and
//! decrypting on the way out. Column names are bound into each ciphertext.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::Complaints;
use crate::error::ServiceError;
use crate::keys::DataKey;
use crate::store::entity::{complaint, customer, data_key};

pub(crate) const NARRATIVE: &str = "complaints.narrative";
pub(crate) const BODY: &str = "complaint_events.body";
pub(crate) const TRACKING_TOKEN: &str = "idempotency_keys.tracking_token";
pub(crate) const NAME: &str = "customers.name";
pub(crate) const EMAIL: &str = "customers.email";
pub(crate) const PHONE: &str = "customers.phone";
pub(crate) const NUMBER: &str = "customers.customer_number";

impl Complaints {
    /// `count` new data keys, stored wrapped with one statement in the caller's transaction.
    pub(crate) async fn create_data_keys(
        &self,
        db: &impl ConnectionTrait,
        count: usize,
    ) -> Result<Vec<DataKey>, ServiceError> {
        let now = Utc::now();
        let (keys, rows): (Vec<DataKey>, Vec<data_key::ActiveModel>) = (0..count)
            .map(|_| {
                let (key, wrapped) = self.keys.new_data_key();
                let row = data_key::ActiveModel {
                    id: Set(wrapped.id),
                    master_key_id: Set(wrapped.master_key_id),
                    wrapped: Set(wrapped.wrapped),
                    created_at: Set(now),
                };
                (key, row)
            })
            .unzip();
        if !rows.is_empty() {
            data_key::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await?;
        }
        Ok(keys)
    }

    /// The data key with this id; None when there is none (erased, or never made).
    pub(crate) async fn data_key(
        &self,
        db: &impl ConnectionTrait,
        id: Option<&str>,
    ) -> Result<Option<DataKey>, ServiceError> {
        let Some(id) = id else { return Ok(None) };
        let Some(row) = data_key::Entity::find_by_id(id.to_owned()).one(db).await? else {
            return Ok(None);
        };
        let key = self
            .keys
            .unwrap_key(&row.id, &row.master_key_id, &row.wrapped);
        if key.is_none() {
            tracing::error!(data_key = %row.id, master_key = %row.master_key_id, "a data key cannot be unwrapped with the configured master keys");
        }
        Ok(key)
    }

    /// The complaint with its narrative in the clear (absent once erased).
    pub(crate) async fn reveal(
        &self,
        db: &impl ConnectionTrait,
        mut row: complaint::Model,
    ) -> Result<complaint::Model, ServiceError> {
        if let Some(stored) = row.narrative.take() {
            let key = self.data_key(db, row.data_key_id.as_deref()).await?;
            row.narrative = open(key.as_ref(), NARRATIVE, &stored);
        }
        Ok(row)
    }

    /// The customer with their personal fields in the clear (absent once erased).
    pub(crate) async fn reveal_customer(
        &self,
        db: &impl ConnectionTrait,
        mut c: customer::Model,
    ) -> Result<customer::Model, ServiceError> {
        let key = self.data_key(db, c.data_key_id.as_deref()).await?;
        let k = key.as_ref();
        c.name = c.name.and_then(|v| open(k, NAME, &v));
        c.email = c.email.and_then(|v| open(k, EMAIL, &v));
        c.phone = c.phone.and_then(|v| open(k, PHONE, &v));
        c.customer_number = c.customer_number.and_then(|v| open(k, NUMBER, &v));
        Ok(c)
    }

    /// The key new personal text about this complaint is sealed with.
    ///
    /// None only for a complaint stored before encryption, which never had a data key: its
    /// text stays plain, as all of it was before. A complaint whose key was destroyed by
    /// erasure takes no new personal text at all ([`ServiceError::Erased`] naming `field`),
    /// since there is no key left to seal it with and plain text would outlive the erasure.
    pub(crate) async fn text_key(
        &self,
        db: &impl ConnectionTrait,
        row: &complaint::Model,
        field: &'static str,
    ) -> Result<Option<DataKey>, ServiceError> {
        if row.erased_at.is_some() {
            return Err(ServiceError::Erased { field });
        }
        let Some(id) = row.data_key_id.as_deref() else {
            return Ok(None);
        };
        let Some(stored) = data_key::Entity::find_by_id(id.to_owned()).one(db).await? else {
            return Err(ServiceError::Erased { field });
        };
        match self
            .keys
            .unwrap_key(&stored.id, &stored.master_key_id, &stored.wrapped)
        {
            Some(key) => Ok(Some(key)),
            None => {
                tracing::error!(data_key = %stored.id, master_key = %stored.master_key_id, "a data key cannot be unwrapped with the configured master keys");
                Err(ServiceError::Database(sea_orm::DbErr::Custom(
                    "data key unavailable".into(),
                )))
            }
        }
    }

    /// Encrypts an event body with the complaint's key; see [`Complaints::text_key`] for
    /// complaints without one.
    pub(crate) async fn seal_body(
        &self,
        db: &impl ConnectionTrait,
        row: &complaint::Model,
        body: Option<String>,
        field: &'static str,
    ) -> Result<Option<String>, ServiceError> {
        let Some(body) = body else { return Ok(None) };
        let key = self.text_key(db, row, field).await?;
        Ok(Some(seal(key.as_ref(), BODY, body)))
    }
}

/// The value as stored: sealed under `key`, or plain for a complaint stored before
/// encryption (no key).
pub(crate) fn seal(key: Option<&DataKey>, column: &str, value: String) -> String {
    match key {
        Some(key) => key.encrypt(column, &value),
        None => value,
    }
}

/// The plaintext of a stored value; None when its key is gone or does not fit.
pub(crate) fn open(key: Option<&DataKey>, column: &str, stored: &str) -> Option<String> {
    match (key, crate::keys::key_id_of(stored)) {
        (_, None) => Some(stored.to_owned()),
        (Some(key), Some(_)) => key.decrypt(column, stored),
        (None, Some(_)) => None,
    }
}

impl Complaints {
    /// Wraps every data key held under another master key with the active one: the step
    /// after adding a new master key and making it active. Returns how many were rewrapped.
    ///
    /// # Errors
    /// The store failed, or a data key's master key is not configured.
    pub async fn rewrap_data_keys(&self) -> Result<u64, ServiceError> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let active = self.keys.active_master().to_owned();
        let stale = data_key::Entity::find()
            .filter(data_key::Column::MasterKeyId.ne(active.clone()))
            .all(&self.db)
            .await?;
        let mut done = 0;
        for chunk in stale.chunks(500) {
            let txn = crate::store::begin_write(&self.db).await?;
            for row in chunk {
                let key = self
                    .keys
                    .unwrap_key(&row.id, &row.master_key_id, &row.wrapped)
                    .ok_or_else(|| ServiceError::Conflict {
                        code: "unknown_master_key",
                        message: format!(
                            "data key {} is wrapped by master key {}, which is not configured",
                            row.id, row.master_key_id
                        ),
                    })?;
                let wrapped = self.keys.wrap(&key);
                data_key::Entity::update(data_key::ActiveModel {
                    id: sea_orm::ActiveValue::Unchanged(row.id.clone()),
                    master_key_id: Set(wrapped.master_key_id),
                    wrapped: Set(wrapped.wrapped),
                    created_at: sea_orm::ActiveValue::Unchanged(row.created_at),
                })
                .exec(&txn)
                .await?;
                done += 1;
            }
            txn.commit().await?;
        }
        Ok(done)
    }
}

/// Rows rebuilt per transaction by [`Complaints::rebuild_blind_indexes`].
const REINDEX_BATCH: u64 = 500;

/// What [`Complaints::rebuild_blind_indexes`] rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reindexed {
    /// Complaints whose narrative search tokens were rebuilt.
    pub complaints: u64,
    /// Customers whose customer-number fingerprint was rebuilt.
    pub customers: u64,
}

impl Complaints {
    /// Rebuilds every keyed index over personal data with the configured index key: the
    /// narrative search tokens of each complaint and the customer-number fingerprint of
    /// each customer. The step after changing `security.index_key`; until it has run,
    /// narrative search and customer matching use tokens made with the old key and find
    /// nothing. Values whose data key was destroyed (erased) have no index to rebuild.
    ///
    /// Runs in transactions of a few hundred rows, so a large store is not locked for
    /// long and an interrupted run can simply be started again.
    ///
    /// # Errors
    /// The store failed.
    pub async fn rebuild_blind_indexes(&self) -> Result<Reindexed, ServiceError> {
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};

        let mut done = Reindexed::default();
        let mut after = 0_i64;
        loop {
            let rows = complaint::Entity::find()
                .filter(complaint::Column::Id.gt(after))
                .filter(complaint::Column::Narrative.is_not_null())
                .order_by_asc(complaint::Column::Id)
                .limit(REINDEX_BATCH)
                .all(&self.db)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let txn = crate::store::begin_write(&self.db).await?;
            for row in rows {
                let key = self.data_key(&txn, row.data_key_id.as_deref()).await?;
                let Some(narrative) = row
                    .narrative
                    .as_deref()
                    .and_then(|stored| open(key.as_ref(), NARRATIVE, stored))
                else {
                    continue;
                };
                complaint::Entity::update_many()
                    .col_expr(
                        complaint::Column::NarrativeTerms,
                        Expr::value(self.keys.terms(&narrative)),
                    )
                    .filter(complaint::Column::Id.eq(row.id))
                    .exec(&txn)
                    .await?;
                done.complaints += 1;
            }
            txn.commit().await?;
        }

        let mut after = 0_i64;
        loop {
            let rows = customer::Entity::find()
                .filter(customer::Column::Id.gt(after))
                .filter(customer::Column::NumberIndex.is_not_null())
                .filter(customer::Column::ErasedAt.is_null())
                .order_by_asc(customer::Column::Id)
                .limit(REINDEX_BATCH)
                .all(&self.db)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let txn = crate::store::begin_write(&self.db).await?;
            // The fingerprint is keyed with the domain the customer was filed in; a
            // customer belongs to one domain, so any of their complaints names it.
            let regions: std::collections::HashMap<i64, String> = complaint::Entity::find()
                .select_only()
                .column(complaint::Column::CustomerId)
                .column(complaint::Column::Region)
                .filter(complaint::Column::CustomerId.is_in(rows.iter().map(|r| r.id)))
                .into_tuple::<(i64, String)>()
                .all(&txn)
                .await?
                .into_iter()
                .collect();
            for row in rows {
                let Some(region) = regions.get(&row.id) else {
                    continue;
                };
                let key = self.data_key(&txn, row.data_key_id.as_deref()).await?;
                let Some(number) = row
                    .customer_number
                    .as_deref()
                    .and_then(|stored| open(key.as_ref(), NUMBER, stored))
                else {
                    continue;
                };
                let domain = super::domain_of(&row.institution, region);
                customer::Entity::update_many()
                    .col_expr(
                        customer::Column::NumberIndex,
                        Expr::value(self.keys.blind_index(&domain, &number)),
                    )
                    .filter(customer::Column::Id.eq(row.id))
                    .exec(&txn)
                    .await?;
                done.customers += 1;
            }
            txn.commit().await?;
        }
        tracing::info!(
            complaints = done.complaints,
            customers = done.customers,
            "blind indexes rebuilt with the configured index key"
        );
        Ok(done)
    }
}
