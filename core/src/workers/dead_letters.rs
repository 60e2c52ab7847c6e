//! Tasks the bus gave up on: each is recorded on its task, put in the complaint owner's
//! queue and noted on the complaint's history; then the bus moves it to the dead-letter
//! stream. Safe on every replica: the dead-letter queue hands each to one, and recording
//! twice changes nothing.

use std::time::Duration;

use serde::Deserialize;

use crate::bus::{Bus, Delivery, Queue};
use crate::error::ServiceError;
use crate::service::Complaints;

#[derive(Deserialize)]
struct TaskId {
    task_id: i64,
}

/// Pulls dead letters until the task is dropped.
pub async fn run(complaints: Complaints, bus: Bus) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match bus
            .fetch(&Queue::DeadLetters, 16, Duration::from_secs(1))
            .await
        {
            Ok(letters) => {
                backoff = Duration::from_millis(200);
                for letter in letters {
                    handle(&complaints, letter).await;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch dead letters; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Records one dead letter and settles it.
pub async fn handle(complaints: &Complaints, letter: Delivery) {
    let Ok(TaskId { task_id }) = serde_json::from_slice(&letter.payload) else {
        tracing::warn!(subject = %letter.subject, sequence = letter.sequence, "dead letter without a task id; moved aside");
        let _ = letter.ack().await;
        return;
    };
    let settled = match complaints.dead_letter_task(task_id, letter.delivered).await {
        Ok(_) | Err(ServiceError::Missing { .. }) => letter.ack().await,
        Err(e) => {
            tracing::warn!(error = %e, task_id, "cannot record a dead letter now; it comes again");
            letter.retry(Duration::from_secs(1)).await
        }
    };
    if let Err(e) = settled {
        tracing::warn!(error = %e, task_id, "could not settle a dead letter with the bus");
    }
}
