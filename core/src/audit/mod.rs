//! The audit trail: an append-only hash chain of who did what, sealed by signed checkpoints.
//!
//! Each record's `hash` is `SHA-256(prev_hash || "\n" || canonical)`, where `canonical` is
//! the JSON array `[seq, at, actor, action, object, domain, request_id, details]` (`at` in
//! RFC 3339 with microseconds, `details` the stored JSON text itself). Changing, removing
//! or reordering a record breaks the chain at that record; [`verify`] says where.
//!
//! Appends go through the `audit_head` row: one `UPDATE ... RETURNING` takes the next
//! sequence number and the previous hash and holds the row lock (PostgreSQL) or the write
//! lock (SQLite) until the caller's transaction ends, so records chain one after another
//! even with several replicas writing. An append lives in the caller's transaction: the
//! change and its audit record are committed together or not at all.
//!
//! Records hold references (`complaint:42`, `token:ab12...`) and hashes, never personal
//! data, so erasing a customer leaves the chain intact.

mod checkpoint;
mod export;
pub mod merkle;
mod proof;
mod verify;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::store::entity::{audit_head, audit_record};

pub use checkpoint::{
    CheckpointView, SigningKeyError, checkpoint_message, key_id, parse_signing_key, seal, unsealed,
};
pub use export::{EXPORT_MAX, Export, export_range};
pub use proof::{Proof, ProofError, ProvenRecord, RecordView, check_proof, prove_object};
pub use verify::{Finding, Report, verify};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

tokio::task_local! {
    /// The id of the HTTP request being served, set by the API around each handler.
    pub static REQUEST_ID: String;
}

/// The current request's id, when running inside one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// What happened, before it is numbered and chained.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: String,
    /// `complaint.filed`, `pii.read`, `policy.add`, `token.issue`, `plugin.install`...
    pub action: String,
    /// What it happened to: `complaint:42`, `customer:7`, `token:<id>`, `plugin:<name>`.
    pub object: String,
    /// The access-control domain (`acme/UK`), for records about a complaint or customer.
    pub domain: Option<String>,
    /// References, counts and hashes; never personal data.
    pub details: Value,
    /// The request this happened in, when it is not the one the appending task serves
    /// (filings written together in one transaction each keep their own).
    pub request_id: Option<Option<String>>,
}

impl Entry {
    pub fn new(actor: &str, action: impl Into<String>, object: impl Into<String>) -> Self {
        Self {
            actor: actor.to_owned(),
            action: action.into(),
            object: object.into(),
            domain: None,
            details: Value::Object(Default::default()),
            request_id: None,
        }
    }

    /// Records `request_id` (None: no request) instead of the current task's request.
    #[must_use]
    pub fn in_request(mut self, request_id: Option<String>) -> Self {
        self.request_id = Some(request_id);
        self
    }

    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    #[must_use]
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

static RECORDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Stops (or restarts) appending in this process. Only the throughput benchmark calls it,
/// to measure what the trail costs against the same work without it; no setting reaches
/// it, so a deployed server always records.
#[doc(hidden)]
pub fn set_recording_for_benchmark(on: bool) {
    RECORDING.store(on, std::sync::atomic::Ordering::SeqCst);
}

/// Appends one record inside the caller's transaction and returns its sequence number.
///
/// # Errors
/// The store failed; the caller's transaction should be rolled back.
pub async fn append(db: &impl ConnectionTrait, entry: Entry) -> Result<i64, DbErr> {
    append_many(db, vec![entry]).await
}

/// Records per INSERT statement in [`append_many`].
const INSERT_CHUNK: usize = 1_000;

/// Appends several records with one head update and one insert (the importer's batches).
/// Returns the sequence number of the last; 0 when `entries` is empty.
///
/// # Errors
/// The store failed; the caller's transaction should be rolled back.
pub async fn append_many(db: &impl ConnectionTrait, entries: Vec<Entry>) -> Result<i64, DbErr> {
    if entries.is_empty() || !RECORDING.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(0);
    }
    let count = entries.len() as i64;
    let take = Query::update()
        .table(audit_head::Entity)
        .value(
            audit_head::Column::Seq,
            Expr::col(audit_head::Column::Seq).add(count),
        )
        .and_where(Expr::col(audit_head::Column::Id).eq(1))
        .returning(Query::returning().columns([audit_head::Column::Seq, audit_head::Column::Hash]))
        .to_owned();
    let row = db
        .query_one(&take)
        .await?
        .ok_or_else(|| DbErr::Custom("the audit head row is missing".into()))?;
    let last: i64 = row.try_get("", "seq")?;
    let mut prev: String = row.try_get("", "hash")?;
    let at = now_micros();
    let request_id = current_request_id();
    let mut rows = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let seq = last - count + 1 + i as i64;
        let details = entry.details.to_string();
        let request_id = entry.request_id.unwrap_or_else(|| request_id.clone());
        let hash = record_hash(
            &prev,
            &Canonical {
                seq,
                at,
                actor: &entry.actor,
                action: &entry.action,
                object: &entry.object,
                domain: entry.domain.as_deref(),
                request_id: request_id.as_deref(),
                details: &details,
            },
        );
        rows.push(audit_record::ActiveModel {
            seq: Set(seq),
            at: Set(at),
            actor: Set(entry.actor),
            action: Set(entry.action),
            object: Set(entry.object),
            domain: Set(entry.domain),
            request_id: Set(request_id),
            details: Set(details),
            prev_hash: Set(prev.clone()),
            hash: Set(hash.clone()),
        });
        prev = hash;
    }
    // SQLite takes at most 32,766 bound values in one statement; ten columns a record.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        audit_record::Entity::insert_many(rows.by_ref().take(INSERT_CHUNK))
            .exec_without_returning(db)
            .await?;
    }
    let set_hash = Query::update()
        .table(audit_head::Entity)
        .value(audit_head::Column::Hash, prev)
        .and_where(Expr::col(audit_head::Column::Id).eq(1))
        .to_owned();
    db.execute(&set_hash).await?;
    Ok(last)
}

fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    now - chrono::Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1000))
}

/// The fields a record's hash covers, in their canonical order.
#[derive(Clone, Copy)]
pub(crate) struct Canonical<'a> {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    pub domain: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub details: &'a str,
}

impl<'a> Canonical<'a> {
    pub(crate) fn of(r: &'a audit_record::Model) -> Self {
        Self {
            seq: r.seq,
            at: r.at,
            actor: &r.actor,
            action: &r.action,
            object: &r.object,
            domain: r.domain.as_deref(),
            request_id: r.request_id.as_deref(),
            details: &r.details,
        }
    }

    fn text(&self) -> String {
        serde_json::json!([
            self.seq,
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.actor,
            self.action,
            self.object,
            self.domain,
            self.request_id,
            self.details,
        ])
        .to_string()
    }
}

/// `hex(SHA-256(prev_hash || "\n" || canonical))`.
pub(crate) fn record_hash(prev: &str, content: &Canonical<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(b"\n");
    hasher.update(content.text().as_bytes());
    hex::encode(hasher.finalize())
}

/// SHA-256 of stored text, for details that must show a value changed without showing it.
pub fn fingerprint(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_field_and_the_link() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap();
        let base = Canonical {
            seq: 7,
            at,
            actor: "alice",
            action: "complaint.filed",
            object: "complaint:42",
            domain: Some("acme/UK"),
            request_id: Some("00ff"),
            details: "{\"event_id\":3}",
        };
        let h = record_hash(GENESIS, &base);
        assert_eq!(h.len(), 64);
        assert_ne!(h, record_hash(&h, &base), "the link is covered");
        for changed in [
            Canonical { seq: 8, ..base },
            Canonical {
                actor: "mallory",
                ..base
            },
            Canonical {
                domain: None,
                ..base
            },
            Canonical {
                details: "{\"event_id\":4}",
                ..base
            },
            Canonical {
                at: at + chrono::Duration::microseconds(1),
                ..base
            },
        ] {
            assert_ne!(record_hash(GENESIS, &changed), h);
        }
    }
}
