//! Reading one complaint, its history, and adding notes to it.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

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

/// Which part of a complaint's history to read.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only the events after this event id: the `after` of the previous page's next link.
    pub after: Option<i64>,
    /// Page size, 1 to 5,000; 1,000 when absent.
    pub limit: Option<u64>,
}

/// One page of history, oldest first.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub items: Vec<EventView>,
    /// The page size used.
    pub limit: u64,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

const NOTE_MAX: usize = 10_000;
const EVENTS_DEFAULT: u64 = 1_000;
/// A bound keeps one answer small; longer histories are read a page at a time.
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

    /// A page of the complaint's history, oldest first.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`]; [`ServiceError::Invalid`] for a bad `after` or `limit`.
    pub async fn events(&self, key: &str, query: &EventsQuery) -> Result<EventPage, ServiceError> {
        let limit = query.limit.unwrap_or(EVENTS_DEFAULT);
        if !(1..=EVENTS_MAX).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                "out_of_range",
                format!("limit must be between 1 and {EVENTS_MAX}"),
            ));
        }
        let after = query.after.unwrap_or(0);
        if after < 0 {
            return Err(ServiceError::invalid(
                "after",
                "out_of_range",
                "after is an event id, never negative",
            ));
        }
        let row = self.find(key).await?;
        let mut events = complaint_event::Entity::find()
            .filter(complaint_event::Column::ComplaintId.eq(row.id))
            .filter(complaint_event::Column::Id.gt(after))
            .order_by_asc(complaint_event::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let next_after = if events.len() as u64 > limit {
            events.truncate(limit as usize);
            events.last().map(|e| e.id)
        } else {
            None
        };
        Ok(EventPage {
            items: events.into_iter().map(EventView::from).collect(),
            limit,
            next_after,
        })
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
