//! The transactional outbox: a message is written in the same transaction as the change it
//! announces, so it is published if and only if the change was kept. The relay
//! (`crate::relay`) publishes the rows in order.
//!
//! Domain events: every history row becomes one message on
//! `events.<region>.complaint.<kind>`, schema `redress.complaint-event` version 1 (see
//! `docs/schemas/complaint-event.v1.json`). The free-text body of a row (a note, an answer)
//! is not in the event: it may quote the customer, and readers that are entitled to it fetch
//! it through the API.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::{Value, json};

use crate::store::entity::{complaint, complaint_event, outbox};

/// Name and version of the domain-event schema, sent in every event.
pub const EVENT_SCHEMA: &str = "redress.complaint-event";
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// A message to write to the outbox.
pub(crate) struct OutboxMessage {
    /// Below the prefix: `tasks.UK.fraud`.
    pub subject: String,
    pub msg_id: String,
    pub payload: Value,
    pub complaint_id: Option<i64>,
}

impl OutboxMessage {
    /// The row, carrying the current span's trace context.
    fn into_active(self, at: DateTime<Utc>) -> outbox::ActiveModel {
        self.into_row(at, crate::telemetry::trace_headers_json())
    }

    fn into_row(self, at: DateTime<Utc>, headers: Option<String>) -> outbox::ActiveModel {
        outbox::ActiveModel {
            subject: Set(self.subject),
            msg_id: Set(self.msg_id),
            payload: Set(self.payload.to_string()),
            headers: Set(headers),
            complaint_id: Set(self.complaint_id),
            created_at: Set(at),
            sent_at: Set(None),
            ..Default::default()
        }
    }
}

/// Writes one message; the caller's transaction decides whether it is kept.
pub(crate) async fn enqueue(
    db: &impl ConnectionTrait,
    message: OutboxMessage,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::Entity::insert(message.into_active(at))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// What an event needs to know about its complaint.
pub(crate) struct Owner {
    pub reference: String,
    pub region: String,
    pub institution: String,
}

pub(crate) async fn owners(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Owner>, DbErr> {
    let rows: Vec<(i64, String, String, String)> = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::Id)
        .column(complaint::Column::Reference)
        .column(complaint::Column::Region)
        .column(complaint::Column::Institution)
        .filter(complaint::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, reference, region, institution)| {
            (
                id,
                Owner {
                    reference,
                    region,
                    institution,
                },
            )
        })
        .collect())
}

/// The domain events of freshly written history rows, queued in the same transaction.
pub(crate) async fn domain_events(
    db: &impl ConnectionTrait,
    events: &[complaint_event::Model],
) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    let owners = owners(db, events.iter().map(|e| e.complaint_id)).await?;
    domain_events_of(db, events, &owners).await
}

/// As [`domain_events`], with the complaints' owners already read.
pub(crate) async fn domain_events_of(
    db: &impl ConnectionTrait,
    events: &[complaint_event::Model],
    owners: &HashMap<i64, Owner>,
) -> Result<(), DbErr> {
    let rows = events.iter().filter_map(|event| {
        let owner = owners.get(&event.complaint_id)?;
        Some(domain_event(event, owner).into_active(event.at))
    });
    outbox::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The outbox row of one freshly written history row, with the trace context `headers` of
/// the request that wrote it.
pub(crate) fn domain_event_row(
    event: &complaint_event::Model,
    owner: &Owner,
    headers: Option<String>,
) -> outbox::ActiveModel {
    domain_event(event, owner).into_row(event.at, headers)
}

fn domain_event(event: &complaint_event::Model, owner: &Owner) -> OutboxMessage {
    let data = event
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok());
    OutboxMessage {
        subject: format!("events.{}.complaint.{}", owner.region, event.kind),
        msg_id: format!("event-{}", event.id),
        payload: json!({
            "schema": EVENT_SCHEMA,
            "version": EVENT_SCHEMA_VERSION,
            "event_id": event.id,
            "complaint_id": event.complaint_id,
            "reference": owner.reference,
            "institution": owner.institution,
            "region": owner.region,
            "kind": event.kind,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor": event.actor,
            "public": event.public,
            "has_body": event.body.is_some(),
            "data": data,
            "at": event.at,
        }),
        complaint_id: Some(event.complaint_id),
    }
}
