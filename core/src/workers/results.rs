//! The results consumer: departments' answers from `<prefix>.task-results.<region>.<dept>`,
//! applied to their tasks. Every replica pulls from the one durable consumer, so each answer
//! goes to one of them.
//!
//! An answer is applied once: a redelivered or replayed answer finds its task answered and
//! changes nothing. Bad messages (wrong schema or version, unknown task, a department or
//! region other than the subject's, a task already answered or cancelled) are rejected for
//! good and logged with the reason, subject and sequence only, never the message's text.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tracing::Instrument;

use crate::bus::{Bus, BusConfig, Delivery, Queue};
use crate::error::ServiceError;
use crate::service::tasks::{ANSWER_MAX, check_answer_data};
use crate::service::{AnswerOutcome, Complaints, validate};

/// Name and version of the result schema (`docs/schemas/task-result.v1.json`).
pub const RESULT_SCHEMA: &str = "redress.task-result";
pub const RESULT_SCHEMA_VERSION: u32 = 1;

/// An answer as a department sends it. Fields not named here are ignored, so a department
/// may send more without breaking version 1.
#[derive(Debug, Clone, Deserialize)]
pub struct ResultMessage {
    pub schema: String,
    pub version: u32,
    pub task_id: i64,
    pub department: String,
    pub answer: String,
    #[serde(default)]
    pub data: Option<Value>,
    /// Who in the department answered (a person or a system).
    pub answered_by: String,
}

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Applied,
    /// Refused for good, for this reason.
    Rejected(&'static str),
    /// Could not be applied now; it comes again.
    Retried,
}

/// Pulls and applies answers until the task is dropped.
pub async fn run(complaints: Complaints, bus: Bus) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match bus.fetch(&Queue::Results, 64, Duration::from_secs(1)).await {
            Ok(deliveries) => {
                backoff = Duration::from_millis(200);
                for delivery in deliveries {
                    handle(&complaints, bus.config(), delivery).await;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch task results; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Applies one message and settles it with the bus.
pub async fn handle(complaints: &Complaints, config: &BusConfig, delivery: Delivery) -> Handled {
    let span = tracing::info_span!(
        "task.result",
        otel.kind = "consumer",
        messaging.destination = %delivery.subject,
        task_id = tracing::field::Empty,
    );
    crate::telemetry::continue_trace(
        &span,
        delivery
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    async move {
        let outcome = apply(complaints, config, &delivery).await;
        let settled = match outcome {
            Handled::Applied => delivery.ack().await,
            Handled::Rejected(_) => delivery.reject().await,
            // Longer waits the longer the trouble lasts (a database outage), up to a minute.
            Handled::Retried => {
                let wait = Duration::from_secs(delivery.delivered.min(30) * 2);
                delivery.retry(wait).await
            }
        };
        if let Err(e) = settled {
            tracing::warn!(error = %e, "could not settle a task result with the bus");
        }
        outcome
    }
    .instrument(span)
    .await
}

async fn apply(complaints: &Complaints, config: &BusConfig, delivery: &Delivery) -> Handled {
    let rejected = |reason: &'static str, task_id: Option<i64>| {
        tracing::warn!(
            reason,
            subject = %delivery.subject,
            sequence = delivery.sequence,
            delivered = delivery.delivered,
            task_id,
            "task result rejected"
        );
        Handled::Rejected(reason)
    };
    let Some((region, department)) =
        config.parse_department_subject("task-results", &delivery.subject)
    else {
        return rejected("wrong_subject", None);
    };
    let Ok(message) = serde_json::from_slice::<ResultMessage>(&delivery.payload) else {
        return rejected("invalid_schema", None);
    };
    let task_id = Some(message.task_id);
    tracing::Span::current().record("task_id", message.task_id);
    if message.schema != RESULT_SCHEMA || message.version != RESULT_SCHEMA_VERSION {
        return rejected("invalid_schema", task_id);
    }
    if message.department != department {
        return rejected("wrong_department", task_id);
    }
    let Ok(answer) = validate::required_text("answer", &message.answer, ANSWER_MAX) else {
        return rejected("invalid_answer", task_id);
    };
    let Ok(answered_by) = validate::required_text("answered_by", &message.answered_by, 128) else {
        return rejected("invalid_answer", task_id);
    };
    let Ok(data) = check_answer_data("data", message.data) else {
        return rejected("invalid_answer", task_id);
    };
    let task = match complaints.task(message.task_id).await {
        Ok(task) => task,
        Err(ServiceError::Missing { .. }) => return rejected("unknown_task", task_id),
        Err(e) => {
            tracing::warn!(error = %e, task_id = message.task_id, "cannot read the task; the result comes again");
            return Handled::Retried;
        }
    };
    if task.department != department {
        return rejected("wrong_department", task_id);
    }
    if task.region != region {
        return rejected("wrong_region", task_id);
    }
    let actor = format!("{department}:{answered_by}");
    match complaints
        .apply_answer(message.task_id, answer, data, &actor, None)
        .await
    {
        Ok(AnswerOutcome::Applied(_)) => Handled::Applied,
        Ok(AnswerOutcome::AlreadyAnswered(_)) => rejected("replayed", task_id),
        Err(ServiceError::Missing { .. }) => rejected("unknown_task", task_id),
        Err(ServiceError::Conflict {
            code: "task_state", ..
        }) => rejected("task_closed", task_id),
        Err(ServiceError::Erased { .. }) => rejected("task_closed", task_id),
        Err(e) => {
            tracing::warn!(error = %e, task_id = message.task_id, "cannot apply the result now; it comes again");
            Handled::Retried
        }
    }
}
