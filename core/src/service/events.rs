//! Reading one complaint, its history, and adding notes to it.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde::Deserialize;
use utoipa::ToSchema;

use super::view::{ComplaintView, EventView};
use super::{Caller, Complaints, EventRecord, validate};
use crate::error::ServiceError;
use crate::store::entity::{complaint, complaint_event, customer};

/// A note on a complaint: internal by default, or a public message the customer sees.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub body: String,
    #[serde(default)]
    pub public: bool,
}

const NOTE_MAX: usize = 10_000;
/// More history than any real complaint gathers; a bound keeps one answer small.
const EVENTS_MAX: u64 = 5_000;

impl Complaints {
    /// One complaint with its customer; personal data masked unless the caller may read
    /// it, and its reading recorded in the audit trail when shown.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], also for a complaint outside the caller's scope.
    pub async fn view(&self, key: &str, caller: &Caller) -> Result<ComplaintView, ServiceError> {
        let row = self.find(key, &caller.scope).await?;
        self.present(row, caller, true).await
    }

    /// The view of a complaint already found in scope, as `caller` may see it. `audited`
    /// is false only for the answer to a filing, which shows the filer what they sent.
    pub(crate) async fn present(
        &self,
        row: complaint::Model,
        caller: &Caller,
        audited: bool,
    ) -> Result<ComplaintView, ServiceError> {
        let customer = match row.customer_id {
            Some(id) => match customer::Entity::find_by_id(id).one(&self.db).await? {
                Some(c) => Some(self.reveal_customer(&self.db, c).await?),
                None => None,
            },
            None => None,
        };
        let row = self.reveal(&self.db, row).await?;
        let shown = caller.pii.covers(&self.db, &row).await?;
        let personal = customer.is_some() || row.narrative.is_some();
        if shown && personal && audited {
            self.record_pii_read(caller, &row, "complaint").await?;
        }
        let ctx = self.context(&row);
        let view = ComplaintView::build(row, customer, &ctx);
        Ok(if shown { view } else { view.masked() })
    }

    /// The complaint's history, oldest first; note bodies masked unless the caller may
    /// read personal data.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], also for a complaint outside the caller's scope.
    pub async fn events(&self, key: &str, caller: &Caller) -> Result<Vec<EventView>, ServiceError> {
        let row = self.find(key, &caller.scope).await?;
        let events = complaint_event::Entity::find()
            .filter(complaint_event::Column::ComplaintId.eq(row.id))
            .order_by_asc(complaint_event::Column::Id)
            .limit(EVENTS_MAX)
            .all(&self.db)
            .await?;
        let shown = caller.pii.covers(&self.db, &row).await?;
        if shown && events.iter().any(|e| e.body.is_some()) {
            self.record_pii_read(caller, &row, "history").await?;
        }
        let key = self.data_key(&self.db, row.data_key_id.as_deref()).await?;
        Ok(events
            .into_iter()
            .map(|mut e| {
                e.body = e
                    .body
                    .and_then(|b| super::personal::open(key.as_ref(), super::personal::BODY, &b));
                EventView::from(e)
            })
            .map(|e| if shown { e } else { e.masked() })
            .collect())
    }

    /// Adds a note.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`]; [`ServiceError::Invalid`] for an empty or overlong body.
    pub async fn add_note(
        &self,
        key: &str,
        note: NewNote,
        caller: &Caller,
    ) -> Result<EventView, ServiceError> {
        let row = self.find(key, &caller.scope).await?;
        let body = validate::required_text("body", &note.body, NOTE_MAX)?;
        let sealed = self.seal_body(&self.db, &row, Some(body.clone())).await?;
        let _turn = self.write_turn().await;
        let txn = self.db.begin().await?;
        let mut inserted = EventRecord {
            complaint_id: row.id,
            kind: "note",
            from_status: None,
            to_status: None,
            actor: &caller.actor.0,
            public: note.public,
            body: sealed,
            data: None,
            at: self.now(),
        }
        .insert_returning(&txn)
        .await?;
        txn.commit().await?;
        inserted.body = Some(body);
        Ok(EventView::from(inserted))
    }
}
