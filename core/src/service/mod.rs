//! Use cases, one function each, every one inside a single database transaction that writes
//! the change together with its history event.

mod deadlines;
mod escalation;
mod events;
mod filing;
mod group_commit;
pub mod outbox;
mod personal;
mod query;
mod scope;
mod subject;
pub mod tasks;
mod tracking;
mod transition;
mod update;
pub mod validate;
pub mod view;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ColumnTrait;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::audit;
use crate::compliance::Compliance;
use crate::config::{LifecycleSettings, TaskSettings};
use crate::domain::{Reference, TransitionContext};
use crate::error::ServiceError;
use crate::store::entity::{complaint, complaint_event};

pub use deadlines::{ClockChangeKind, ClockRequest, DeadlineView, DueDeadline, DueFilter};
pub use escalation::{EscalationFilter, EscalationView};
pub use events::{EventPage, EventsQuery, NewNote};
pub use filing::{Filed, NewComplaint, NewCustomer};
pub(crate) use filing::{NARRATIVE_MAX, TAG_MAX, TAGS_MAX, next_references};
pub use personal::Reindexed;
pub use query::{CountBy, CountRow, ListFilter, Page};
pub use scope::{Caller, Domain, Grant, Scope, domain_of};
pub use subject::{ComplaintRecord, Erasure, SubjectExport};
pub use tasks::{AnswerOutcome, NewTask, TaskAnswer, TaskCancel, TaskFilter, TaskPage, TaskView};
pub use transition::TransitionRequest;
pub use update::ComplaintUpdate;
pub use view::{ComplaintSummary, ComplaintView, EventView, PublicMessage, TrackingView};

/// The complaint service: cheap to clone, shared by every request handler.
#[derive(Clone)]
pub struct Complaints {
    db: DatabaseConnection,
    lifecycle: LifecycleSettings,
    compliance: Compliance,
    /// SQLite lets one writer in at a time; writers queue here instead of spinning on
    /// the database's busy handler, which keeps tail latency short under load.
    /// PostgreSQL needs no gate.
    write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
    tasks: Arc<TaskSettings>,
    /// Wakes this process's outbox relay after a commit that queued messages; relays on
    /// other replicas find them by polling.
    outbox_signal: Arc<tokio::sync::Notify>,
    /// Filings waiting to be written together (see [`group_commit`]).
    filings: Arc<group_commit::FilingQueue>,
    /// The institution of complaints filed without one.
    default_institution: String,
    /// Master and index keys for personal data.
    keys: Arc<crate::keys::Keyring>,
}

/// Who asked for a change, as recorded in the history.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// The names Redress itself writes as the actor of history and audit records. No token is
/// issued for them, so a record under one of them was written by Redress, never by a
/// person holding a token.
pub mod actors {
    /// Escalation sweeps and the moves tasks make on their complaint.
    pub const SYSTEM: &str = "system";
    /// Tasks the filing rules create.
    pub const RULES: &str = "rules";
    /// The CFPB importer.
    pub const IMPORT: &str = "import";
    /// `redress admin ...` at the terminal.
    pub const CLI: &str = "cli";
    /// Every reserved name, compared without regard to case.
    pub const RESERVED: [&str; 4] = [SYSTEM, RULES, IMPORT, CLI];

    /// Whether `subject` is, or could be read as, one of Redress's own names.
    pub fn is_reserved(subject: &str) -> bool {
        RESERVED.iter().any(|r| r.eq_ignore_ascii_case(subject))
    }
}

impl Complaints {
    /// A service without compliance plugins: every region gets its fallback deadlines.
    pub fn new(db: DatabaseConnection, lifecycle: LifecycleSettings) -> Self {
        let write_gate = (db.get_database_backend() == sea_orm::DbBackend::Sqlite)
            .then(|| Arc::new(tokio::sync::Mutex::new(())));
        let filing_gate = write_gate
            .clone()
            .unwrap_or_else(|| Arc::new(tokio::sync::Mutex::new(())));
        Self {
            db,
            lifecycle,
            compliance: Compliance::fallback_only(),
            filings: Arc::new(group_commit::FilingQueue::new(filing_gate)),
            write_gate,
            tasks: Arc::new(TaskSettings::default()),
            outbox_signal: Arc::new(tokio::sync::Notify::new()),
            default_institution: "default".into(),
            keys: Arc::new(crate::keys::Keyring::ephemeral()),
        }
    }

    /// The same service with these departments, filing rules and escalation settings.
    #[must_use]
    pub fn with_tasks(mut self, tasks: TaskSettings) -> Self {
        self.tasks = Arc::new(tasks);
        self
    }

    pub fn task_settings(&self) -> &TaskSettings {
        &self.tasks
    }

    /// Notified after every commit that wrote to the outbox.
    pub fn outbox_signal(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_signal.clone()
    }

    fn outbox_written(&self) {
        self.outbox_signal.notify_one();
    }

    /// The same service encrypting with `keys`. Without it, keys are random and live only
    /// as long as the process: fine for tests, never for a server.
    #[must_use]
    pub fn with_keys(mut self, keys: crate::keys::Keyring) -> Self {
        self.keys = Arc::new(keys);
        self
    }

    pub fn keys(&self) -> &crate::keys::Keyring {
        &self.keys
    }

    pub fn default_institution(&self) -> &str {
        &self.default_institution
    }

    /// The same service filing complaints without an institution under `institution`.
    #[must_use]
    pub fn with_default_institution(mut self, institution: &str) -> Self {
        institution.clone_into(&mut self.default_institution);
        self
    }

    /// The gate SQLite writers of this process queue at (None on PostgreSQL), for the
    /// background writers (the outbox relay) that do not go through this service.
    pub fn write_gate(&self) -> Option<Arc<tokio::sync::Mutex<()>>> {
        self.write_gate.clone()
    }

    /// Begins a transaction that writes: see [`crate::store::begin_write`]. Every use case
    /// that changes something starts its transaction here, so none can fail because a
    /// writer outside this service (the relay, a lease, another replica) committed
    /// between its first read and its first write.
    pub(crate) async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
        crate::store::begin_write(&self.db).await
    }

    /// Waits for this process's turn to write, on SQLite.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// The same service asking `compliance` for deadlines and closure checks.
    #[must_use]
    pub fn with_compliance(mut self, compliance: Compliance) -> Self {
        self.compliance = compliance;
        self
    }

    pub fn compliance(&self) -> &Compliance {
        &self.compliance
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    fn now(&self) -> DateTime<Utc> {
        // Microseconds are what both databases keep; trimming here keeps reads equal to writes.
        let now = Utc::now();
        now - Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1000))
    }

    fn context(&self, row: &complaint::Model) -> TransitionContext {
        TransitionContext {
            now: self.now(),
            resolved_at: row.resolved_at,
            reopen_window: Duration::days(i64::from(self.lifecycle.reopen_window_days)),
        }
    }

    /// Finds a complaint by internal id (`42`) or public reference (`RDR-2026-000042`)
    /// within `scope`: one outside it is [`ServiceError::NotFound`], like a missing one.
    async fn find(&self, key: &str, scope: &Scope) -> Result<complaint::Model, ServiceError> {
        let row = find_complaint(&self.db, key).await?;
        if scope.covers(&self.db, &row).await? {
            Ok(row)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// The stored complaint, if `scope` reaches it.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] alike for a missing complaint and one out of scope.
    pub async fn find_in_scope(
        &self,
        key: &str,
        scope: &Scope,
    ) -> Result<complaint::Model, ServiceError> {
        self.find(key, scope).await
    }

    /// Records in the audit trail that `caller` was shown a complaint's personal data.
    pub(crate) async fn record_pii_read(
        &self,
        caller: &Caller,
        row: &complaint::Model,
        what: &'static str,
    ) -> Result<(), ServiceError> {
        self.record_pii_reads(caller, &[(row.id, &row.institution, &row.region)], what)
            .await
    }

    /// [`Self::record_pii_read`] for several complaints, given by id and domain, in one
    /// transaction.
    pub(crate) async fn record_pii_reads(
        &self,
        caller: &Caller,
        complaints: &[(i64, &str, &str)],
        what: &'static str,
    ) -> Result<(), ServiceError> {
        if complaints.is_empty() {
            return Ok(());
        }
        let entries = complaints
            .iter()
            .map(|(id, institution, region)| {
                audit::Entry::new(&caller.actor.0, "pii.read", format!("complaint:{id}"))
                    .domain(domain_of(institution, region))
                    .details(serde_json::json!({"shown": what}))
            })
            .collect();
        let _turn = self.write_turn().await;
        let txn = self.begin_write().await?;
        audit::append_many(&txn, entries).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// How many times a change that asked for no optimistic check is tried in all when others
/// keep changing the complaint first. Each lost attempt means another change went in, so
/// a handful of simultaneous writers all get through well within it.
const CHANGE_ATTEMPTS: u32 = 10;

/// Whether a change that failed with `err` is tried again on a fresh read of the complaint.
/// Only a [`version_conflict`] the caller did not ask for qualifies: without
/// `expected_version` the caller asked to change whatever is current, so losing a race to
/// another writer is no reason to refuse. With it, the conflict is the answer they asked for.
pub(crate) fn try_again(
    err: &ServiceError,
    expected_version: Option<i32>,
    attempt: &mut u32,
) -> bool {
    let again = expected_version.is_none()
        && matches!(err, ServiceError::Conflict { code, .. } if *code == "version_conflict")
        && *attempt + 1 < CHANGE_ATTEMPTS;
    if again {
        *attempt += 1;
        tracing::debug!(
            attempt = *attempt,
            "complaint changed meanwhile; applying the change to the fresh row"
        );
    }
    again
}

/// Someone changed the complaint between our read and our write.
pub(crate) fn version_conflict() -> ServiceError {
    ServiceError::Conflict {
        code: "version_conflict",
        message: "the complaint was changed by someone else; read it again and retry".into(),
    }
}

pub(crate) async fn find_complaint(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<complaint::Model, ServiceError> {
    let query = if let Ok(id) = key.parse::<i64>() {
        complaint::Entity::find_by_id(id)
    } else if let Ok(reference) = key.parse::<Reference>() {
        complaint::Entity::find().filter(complaint::Column::Reference.eq(reference.to_string()))
    } else {
        return Err(ServiceError::NotFound);
    };
    query.one(db).await?.ok_or(ServiceError::NotFound)
}

/// One row of history, to be inserted in the same transaction as the change it records.
pub(crate) struct EventRecord<'a> {
    pub complaint_id: i64,
    pub kind: &'static str,
    pub from_status: Option<&'static str>,
    pub to_status: Option<&'static str>,
    pub actor: &'a str,
    pub public: bool,
    pub body: Option<String>,
    pub data: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

impl EventRecord<'_> {
    fn into_active(self) -> complaint_event::ActiveModel {
        complaint_event::ActiveModel {
            complaint_id: Set(self.complaint_id),
            kind: Set(self.kind.to_owned()),
            from_status: Set(self.from_status.map(str::to_owned)),
            to_status: Set(self.to_status.map(str::to_owned)),
            actor: Set(self.actor.to_owned()),
            public: Set(self.public),
            body: Set(self.body),
            data: Set(self.data.map(|d| d.to_string())),
            at: Set(self.at),
            ..Default::default()
        }
    }

    /// Inserts the row, appends its audit record and queues its domain event, all in the
    /// caller's transaction.
    pub(crate) async fn insert(
        self,
        db: &impl ConnectionTrait,
    ) -> Result<complaint_event::Model, ServiceError> {
        let stored = complaint_event::Entity::insert(self.into_active())
            .exec_with_returning(db)
            .await?;
        let owners = outbox::owners(db, [stored.complaint_id]).await?;
        let owner = owners
            .get(&stored.complaint_id)
            .ok_or(ServiceError::NotFound)?;
        let domain = domain_of(&owner.institution, &owner.region);
        audit::append(db, event_audit(&stored, &domain)).await?;
        outbox::domain_events_of(db, std::slice::from_ref(&stored), &owners).await?;
        Ok(stored)
    }

    /// Writes many rows at once and returns them; the caller appends their audit records
    /// and queues their domain events.
    pub(crate) async fn insert_many_returning<'r>(
        records: impl IntoIterator<Item = EventRecord<'r>>,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<complaint_event::Model>, sea_orm::DbErr> {
        complaint_event::Entity::insert_many(records.into_iter().map(|r| r.into_active()))
            .exec_with_returning(db)
            .await
    }

    /// Writes many rows at once (the importer) with their domain events; the importer
    /// appends their audit records itself, a batch at a time.
    pub(crate) async fn insert_many<'r>(
        records: impl IntoIterator<Item = EventRecord<'r>>,
        db: &impl ConnectionTrait,
    ) -> Result<(), sea_orm::DbErr> {
        let events =
            complaint_event::Entity::insert_many(records.into_iter().map(|r| r.into_active()))
                .exec_with_returning(db)
                .await?;
        outbox::domain_events(db, &events).await
    }
}

/// The audit record of a history event: what changed, with the event's text only as a
/// fingerprint, since notes and messages may hold personal data.
pub(crate) fn event_audit(e: &complaint_event::Model, domain: &str) -> audit::Entry {
    let mut details = serde_json::json!({"event_id": e.id});
    if let Some(from) = &e.from_status {
        details["from"] = from.clone().into();
    }
    if let Some(to) = &e.to_status {
        details["to"] = to.clone().into();
    }
    if e.public {
        details["public"] = true.into();
    }
    if let Some(body) = &e.body {
        details["body_sha256"] = audit::fingerprint(body).into();
    }
    if let Some(data) = &e.data {
        details["data_sha256"] = audit::fingerprint(data).into();
    }
    audit::Entry::new(
        &e.actor,
        format!("complaint.{}", e.kind),
        format!("complaint:{}", e.complaint_id),
    )
    .domain(domain)
    .details(details)
}
