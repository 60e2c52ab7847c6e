//! Reading one complaint, its history, and adding notes to it.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde::Deserialize;
use utoipa::ToSchema;

use super::view::{ComplaintView, EventView};
use super::{Actor, Complaints, EventRecord, validate};
use crate::error::ServiceError;
use crate::store::entity::{complaint_event, customer};

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
    /// One complaint with its customer.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`].
    pub async fn view(&self, key: &str) -> Result<ComplaintView, ServiceError> {
        let row = self.find(key).await?;
        let customer = match row.customer_id {
            Some(id) => customer::Entity::find_by_id(id).one(&self.db).await?,
            None => None,
        };
        let ctx = self.context(&row);
        Ok(ComplaintView::build(row, customer, &ctx))
    }

    /// The complaint's history, oldest first.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`].
    pub async fn events(&self, key: &str) -> Result<Vec<EventView>, ServiceError> {
        let row = self.find(key).await?;
        let events = complaint_event::Entity::find()
            .filter(complaint_event::Column::ComplaintId.eq(row.id))
            .order_by_asc(complaint_event::Column::Id)
            .limit(EVENTS_MAX)
            .all(&self.db)
            .await?;
        Ok(events.into_iter().map(EventView::from).collect())
    }

    /// Adds a note.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`]; [`ServiceError::Invalid`] for an empty or overlong body.
    pub async fn add_note(
        &self,
        key: &str,
        note: NewNote,
        actor: &Actor,
    ) -> Result<EventView, ServiceError> {
        let row = self.find(key).await?;
        let body = validate::required_text("body", &note.body, NOTE_MAX)?;
        let _turn = self.write_turn().await;
        let txn = self.db.begin().await?;
        let inserted = EventRecord {
            complaint_id: row.id,
            kind: "note",
            from_status: None,
            to_status: None,
            actor: &actor.0,
            public: note.public,
            body: Some(body),
            data: None,
            at: self.now(),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        self.outbox_written();
        Ok(EventView::from(inserted))
    }
}
