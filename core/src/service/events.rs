//! Reading one complaint, its history, and adding notes to it.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

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
        self.present_revealed(row, customer, caller, audited).await
    }

    /// As [`Complaints::present`], for a complaint and customer already in the clear.
    pub(crate) async fn present_revealed(
        &self,
        row: complaint::Model,
        customer: Option<customer::Model>,
        caller: &Caller,
        audited: bool,
    ) -> Result<ComplaintView, ServiceError> {
        let shown = caller.pii.covers(&self.db, &row).await?;
        let personal = customer.is_some() || row.narrative.is_some();
        if shown && personal && audited {
            self.record_pii_read(caller, &row, "complaint").await?;
        }
        let ctx = self.context(&row);
        let view = ComplaintView::build(row, customer, &ctx);
        Ok(if shown { view } else { view.masked() })
    }

    /// A page of the complaint's history, oldest first; note bodies masked unless the
    /// caller may read personal data.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], also for a complaint outside the caller's scope;
    /// [`ServiceError::Invalid`] for a bad `after` or `limit`.
    pub async fn events(
        &self,
        key: &str,
        query: &EventsQuery,
        caller: &Caller,
    ) -> Result<EventPage, ServiceError> {
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
        let row = self.find(key, &caller.scope).await?;
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
        let shown = caller.pii.covers(&self.db, &row).await?;
        if shown && events.iter().any(|e| e.body.is_some()) {
            self.record_pii_read(caller, &row, "history").await?;
        }
        let key = self.data_key(&self.db, row.data_key_id.as_deref()).await?;
        let items = events
            .into_iter()
            .map(|mut e| {
                e.body = e
                    .body
                    .and_then(|b| super::personal::open(key.as_ref(), super::personal::BODY, &b));
                EventView::from(e)
            })
            .map(|e| if shown { e } else { e.masked() })
            .collect();
        Ok(EventPage {
            items,
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
        caller: &Caller,
    ) -> Result<EventView, ServiceError> {
        let row = self.find(key, &caller.scope).await?;
        let body = validate::required_text("body", &note.body, NOTE_MAX)?;
        let sealed = self
            .seal_body(&self.db, &row, Some(body.clone()), "body")
            .await?;
        let _turn = self.write_turn().await;
        let txn = self.begin_write().await?;
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
        .insert(&txn)
        .await?;
        txn.commit().await?;
        self.outbox_written();
        inserted.body = Some(body);
        Ok(EventView::from(inserted))
    }
}
