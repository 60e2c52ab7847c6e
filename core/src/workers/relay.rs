//! The outbox relay: publishes outbox rows in `id` order, several in flight, and marks each
//! sent once the bus has stored it. One replica relays at a time (the `outbox` lease), so
//! messages leave in the order they were committed; the others wait to take over.
//!
//! When the bus is down the relay backs off (doubling up to `outbox.max_backoff_ms`) and
//! the rows wait; nothing else waits for it. A row published but not yet marked (a crash,
//! a lost lease) is published again later with the same message id, and JetStream drops
//! the copy inside its duplicate window.
//!
//! Order: within a round, if message *n* fails while *n+1* was stored, *n* is published
//! again later, after *n+1*. Readers that must not see that order by the `event_id` of
//! events (rising per complaint) or the `task_id` of tasks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::Notify;

use super::lease::Lease;
use crate::bus::{Bus, BusError, Outgoing};
use crate::config::OutboxSettings;
use crate::store::entity::outbox;

/// Sent rows are kept this long, for inspection, then deleted.
const KEEP_SENT: chrono::Duration = chrono::Duration::hours(24);
const PURGE_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Its text is logged at debug level only: it may quote values.
    #[error("storage failure")]
    Database(#[from] DbErr),
    #[error("{0}")]
    Bus(#[from] BusError),
}

/// What one round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Another replica holds the lease.
    NotLeader,
    /// Nothing to publish.
    Idle,
    Published(usize),
}

pub struct Relay {
    db: DatabaseConnection,
    bus: Bus,
    settings: OutboxSettings,
    lease: Lease,
    signal: Arc<Notify>,
    last_purge: Instant,
    /// SQLite's one writer at a time: the relay queues with the API's writers instead of
    /// meeting them in the database's busy handler, whose sleeps stall both.
    gate: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Relay {
    pub fn new(
        db: DatabaseConnection,
        bus: Bus,
        settings: OutboxSettings,
        holder: &str,
        signal: Arc<Notify>,
    ) -> Self {
        let lease = Lease::new(
            db.clone(),
            "outbox-relay",
            holder,
            Duration::from_millis(settings.lease_ms),
        );
        Self {
            db,
            bus,
            settings,
            lease,
            signal,
            last_purge: Instant::now(),
            gate: None,
        }
    }

    /// The same relay taking `gate` (see [`crate::service::Complaints::write_gate`])
    /// around each of its writes.
    #[must_use]
    pub fn with_write_gate(mut self, gate: Option<Arc<tokio::sync::Mutex<()>>>) -> Self {
        self.gate = gate;
        self
    }

    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.gate {
            Some(gate) => Some(Arc::clone(gate).lock_owned().await),
            None => None,
        }
    }

    /// Relays until the task is dropped.
    pub async fn run(mut self) {
        let poll = Duration::from_millis(self.settings.poll_ms);
        let max_backoff = Duration::from_millis(self.settings.max_backoff_ms);
        let mut backoff = poll;
        loop {
            match self.round().await {
                Ok(Round::Published(n)) => {
                    backoff = poll;
                    if n < self.settings.batch {
                        self.wait(poll).await;
                    }
                }
                Ok(Round::Idle) => {
                    backoff = poll;
                    self.wait(poll).await;
                }
                Ok(Round::NotLeader) => {
                    tokio::time::sleep(poll.max(Duration::from_millis(self.settings.lease_ms / 5)))
                        .await;
                }
                Err(e) => {
                    if let RelayError::Database(detail) = &e {
                        tracing::debug!(error = %detail, "outbox relay storage failure detail");
                    }
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "outbox relay cannot publish; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(max_backoff);
                }
            }
        }
    }

    /// Waits for a local commit or the poll interval, whichever comes first.
    async fn wait(&self, poll: Duration) {
        let _ = tokio::time::timeout(poll, self.signal.notified()).await;
    }

    /// Publishes one batch if this replica holds the lease.
    ///
    /// # Errors
    /// The store or the bus failed; the rows not marked sent are tried again.
    pub async fn round(&mut self) -> Result<Round, RelayError> {
        {
            let _turn = self.write_turn().await;
            if !self.lease.hold().await? {
                return Ok(Round::NotLeader);
            }
        }
        if self.last_purge.elapsed() >= PURGE_EVERY {
            self.last_purge = Instant::now();
            let _turn = self.write_turn().await;
            outbox::Entity::delete_many()
                .filter(outbox::Column::SentAt.lt(Utc::now() - KEEP_SENT))
                .exec(&self.db)
                .await?;
        }
        let rows = outbox::Entity::find()
            .filter(outbox::Column::SentAt.is_null())
            .order_by_asc(outbox::Column::Id)
            .limit(self.settings.batch as u64)
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            return Ok(Round::Idle);
        }
        let messages: Vec<Outgoing> = rows.iter().map(|row| self.outgoing(row)).collect();
        let outcome = self.bus.publish_batch(&messages).await;
        let stored = match &outcome {
            Ok(()) => rows.len(),
            Err((n, _)) => *n,
        };
        if stored > 0 {
            let _turn = self.write_turn().await;
            outbox::Entity::update_many()
                .col_expr(outbox::Column::SentAt, Expr::value(Utc::now()))
                .filter(outbox::Column::Id.is_in(rows[..stored].iter().map(|r| r.id)))
                .exec(&self.db)
                .await?;
        }
        match outcome {
            Ok(()) => Ok(Round::Published(stored)),
            Err((_, e)) => Err(e.into()),
        }
    }

    /// Drains the outbox now (tests, shutdown): rounds until nothing is left.
    ///
    /// # Errors
    /// As [`Relay::round`]; also when another replica holds the lease.
    pub async fn drain(&mut self) -> Result<usize, RelayError> {
        let mut total = 0;
        loop {
            match self.round().await? {
                Round::Published(n) => total += n,
                Round::Idle => return Ok(total),
                Round::NotLeader => {
                    return Err(BusError::Refused("another replica relays".into()).into());
                }
            }
        }
    }

    /// Gives the lease up, so another replica takes over at once.
    ///
    /// # Errors
    /// The store failed; the lease then runs out on its own.
    pub async fn release(&mut self) -> Result<(), DbErr> {
        self.lease.release().await
    }

    /// The bus message for a row. The publish gets a span of its own, continuing the trace
    /// of the request that wrote the row, and that span's context travels on.
    fn outgoing(&self, row: &outbox::Model) -> Outgoing {
        let stored: Vec<(String, String)> = row
            .headers
            .as_deref()
            .and_then(|h| {
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(h).ok()
            })
            .map(|map| {
                map.into_iter()
                    .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let subject = self.bus.config().subject(&row.subject);
        let span = tracing::info_span!(
            "outbox.publish",
            otel.kind = "producer",
            messaging.destination = %subject,
            messaging.message_id = %row.msg_id,
        );
        crate::telemetry::continue_trace(
            &span,
            stored.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let propagated = span.in_scope(crate::telemetry::trace_headers);
        Outgoing {
            subject,
            msg_id: row.msg_id.clone(),
            payload: Bytes::from(row.payload.clone()),
            headers: if propagated.is_empty() {
                stored
            } else {
                propagated
            },
        }
    }
}
