//! Use cases, one function each, every one inside a single database transaction that writes
//! the change together with its history event.

mod deadlines;
mod escalation;
mod events;
mod filing;
pub mod outbox;
mod query;
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

use crate::compliance::Compliance;
use crate::config::{LifecycleSettings, TaskSettings};
use crate::domain::{Reference, TransitionContext};
use crate::error::ServiceError;
use crate::store::entity::{complaint, complaint_event};

pub use deadlines::{DeadlineView, DueDeadline, DueFilter};
pub use escalation::{EscalationFilter, EscalationView};
pub use events::{EventPage, EventsQuery, NewNote};
pub use filing::{Filed, NewComplaint, NewCustomer};
pub(crate) use filing::{NARRATIVE_MAX, TAG_MAX, TAGS_MAX, next_references};
pub use query::{CountBy, CountRow, ListFilter, Page};
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
}

/// Who asked for a change, as recorded in the history.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl Complaints {
    /// A service without compliance plugins: every region gets its fallback deadlines.
    pub fn new(db: DatabaseConnection, lifecycle: LifecycleSettings) -> Self {
        let write_gate = (db.get_database_backend() == sea_orm::DbBackend::Sqlite)
            .then(|| Arc::new(tokio::sync::Mutex::new(())));
        Self {
            db,
            lifecycle,
            compliance: Compliance::fallback_only(),
            write_gate,
            tasks: Arc::new(TaskSettings::default()),
            outbox_signal: Arc::new(tokio::sync::Notify::new()),
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

    /// Finds a complaint by internal id (`42`) or public reference (`RDR-2026-000042`).
    async fn find(&self, key: &str) -> Result<complaint::Model, ServiceError> {
        find_complaint(&self.db, key).await
    }
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

    /// Writes the row and, through the outbox, its domain event.
    pub(crate) async fn insert(
        self,
        db: &impl ConnectionTrait,
    ) -> Result<complaint_event::Model, ServiceError> {
        let event = complaint_event::Entity::insert(self.into_active())
            .exec_with_returning(db)
            .await?;
        outbox::domain_events(db, std::slice::from_ref(&event)).await?;
        Ok(event)
    }

    /// Writes many rows at once (the importer) with their domain events.
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
