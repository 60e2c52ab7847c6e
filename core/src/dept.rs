//! `redress dept work`: a ready department worker. It takes the department's tasks from
//! NATS, shows each, and posts the answer on the results subject, the same way a
//! department's own system would (see `docs/departments.md`).
//!
//! On a terminal it asks for each answer; with `--answer` it answers every task with the
//! same text, for scripts and tests, printing one JSON line per task. A task is
//! acknowledged only after its answer is stored, so a worker that dies mid-task leaves it
//! to be delivered again.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;
use tracing::Instrument;

use crate::bus::{Bus, BusError, Delivery, Outgoing, Queue};
use crate::workers::results::{RESULT_SCHEMA, RESULT_SCHEMA_VERSION};

/// What to work on and how.
#[derive(Debug, Clone)]
pub struct WorkOptions {
    pub department: String,
    /// One region's tasks; all regions when absent.
    pub region: Option<String>,
    /// Who answers, as recorded on the task (`<department>:<name>`).
    pub name: String,
    /// Answer every task with this text instead of asking.
    pub answer: Option<String>,
    /// Stop after this many answers.
    pub max: Option<u64>,
    /// Stop when no task came for this long.
    pub idle_exit: Option<Duration>,
}

/// A task as a worker reads it: the fields of schema `redress.task` version 1 it shows.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskMessage {
    pub schema: String,
    pub version: u32,
    pub task_id: i64,
    pub reference: String,
    pub region: String,
    pub department: String,
    pub question: String,
    pub due_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("{0}")]
    Bus(#[from] BusError),
    #[error("cannot read the answer: {0}")]
    Input(#[from] std::io::Error),
    #[error("no terminal to ask on: pass --answer to answer without asking")]
    NoTerminal,
}

/// Works the department's queue until `max` answers, `idle_exit`, or the operator quits.
/// Returns the number of tasks answered.
///
/// # Errors
/// The bus refused outright, or the terminal could not be read.
pub async fn work(bus: &Bus, options: &WorkOptions) -> Result<u64, WorkError> {
    let queue = Queue::Tasks {
        department: options.department.clone(),
        region: options.region.clone(),
    };
    let interactive = options.answer.is_none();
    if interactive && !std::io::stdin().is_terminal() {
        return Err(WorkError::NoTerminal);
    }
    if interactive {
        println!(
            "waiting for {} tasks{} (Ctrl-D to stop)",
            options.department,
            options
                .region
                .as_deref()
                .map(|r| format!(" in {r}"))
                .unwrap_or_default()
        );
    }
    let mut answered = 0;
    let mut last_task = Instant::now();
    // Until one fetch has gone through, an idle exit is a failure to reach the queue, not
    // an empty queue: a script running the worker must be able to tell the two apart.
    let mut unreached: Option<BusError> = None;
    let mut reached = false;
    loop {
        if options.max.is_some_and(|max| answered >= max) {
            return Ok(answered);
        }
        if options
            .idle_exit
            .is_some_and(|idle| last_task.elapsed() >= idle)
        {
            return match unreached {
                Some(e) if !reached => Err(e.into()),
                _ => Ok(answered),
            };
        }
        let deliveries = match bus.fetch(&queue, 1, Duration::from_secs(1)).await {
            Ok(d) => {
                reached = true;
                d
            }
            Err(e @ BusError::Refused(_)) => return Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch tasks; retrying");
                unreached = Some(e);
                continue;
            }
        };
        for delivery in deliveries {
            last_task = Instant::now();
            let span = tracing::info_span!(
                "dept.work",
                otel.kind = "consumer",
                department = %options.department,
                task_id = tracing::field::Empty,
            );
            crate::telemetry::continue_trace(
                &span,
                delivery
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
            match handle(bus, options, interactive, delivery)
                .instrument(span)
                .await?
            {
                Step::Answered => answered += 1,
                Step::Skipped => {}
                Step::Quit => return Ok(answered),
            }
        }
    }
}

enum Step {
    Answered,
    Skipped,
    Quit,
}

async fn handle(
    bus: &Bus,
    options: &WorkOptions,
    interactive: bool,
    delivery: Delivery,
) -> Result<Step, WorkError> {
    let task: TaskMessage = match serde_json::from_slice(&delivery.payload) {
        Ok(task) => task,
        Err(_) => {
            tracing::warn!(subject = %delivery.subject, sequence = delivery.sequence, "not a task message; rejected");
            delivery.reject().await?;
            return Ok(Step::Skipped);
        }
    };
    tracing::Span::current().record("task_id", task.task_id);
    let answer = if interactive {
        show(&task, delivery.delivered);
        match ask(&delivery).await? {
            Some(text) if text == "q" => {
                delivery.retry(Duration::ZERO).await?;
                return Ok(Step::Quit);
            }
            Some(text) if !text.is_empty() => text,
            Some(_) => {
                println!("left for later");
                delivery.retry(Duration::from_secs(30)).await?;
                return Ok(Step::Skipped);
            }
            None => {
                delivery.retry(Duration::ZERO).await?;
                return Ok(Step::Quit);
            }
        }
    } else {
        options.answer.clone().unwrap_or_default()
    };
    tracing::info!(
        task_id = task.task_id,
        delivered = delivery.delivered,
        "answering task"
    );
    let result = json!({
        "schema": RESULT_SCHEMA,
        "version": RESULT_SCHEMA_VERSION,
        "task_id": task.task_id,
        "department": task.department,
        "answer": answer,
        "answered_by": options.name,
    });
    let published = bus
        .publish(&Outgoing {
            subject: bus.config().result_subject(&task.region, &task.department),
            msg_id: format!("result-{}", task.task_id),
            payload: bytes::Bytes::from(result.to_string()),
            headers: crate::telemetry::trace_headers(),
        })
        .await;
    if let Err(e) = published {
        // Not stored: the task comes again and is answered then.
        tracing::warn!(error = %e, task_id = task.task_id, "answer not stored; the task comes again");
        let _ = delivery.retry(Duration::from_secs(1)).await;
        return Ok(Step::Skipped);
    }
    let delivered = delivery.delivered;
    delivery.ack().await?;
    if interactive {
        println!("answer sent for {}", task.reference);
    } else {
        println!(
            "{}",
            json!({
                "task_id": task.task_id,
                "reference": task.reference,
                "region": task.region,
                "department": task.department,
                "delivered": delivered,
                "answered": true,
            })
        );
    }
    Ok(Step::Answered)
}

fn show(task: &TaskMessage, delivered: u64) {
    println!();
    println!(
        "task {}  complaint {}  ({})",
        task.task_id, task.reference, task.region
    );
    println!(
        "due {}{}",
        task.due_at,
        if delivered > 1 {
            format!("  (delivery {delivered})")
        } else {
            String::new()
        }
    );
    println!("{}", task.question);
    print!("answer (empty: later, q: quit)> ");
    let _ = std::io::stdout().flush();
}

/// Reads one line from the terminal, telling the bus the task is being worked on while the
/// person types. `None` at end of input.
async fn ask(delivery: &Delivery) -> Result<Option<String>, WorkError> {
    let mut read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let n = std::io::stdin().lock().read_line(&mut line)?;
        Ok::<_, std::io::Error>((n > 0).then(|| line.trim().to_owned()))
    });
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.tick().await;
    loop {
        tokio::select! {
            line = &mut read => {
                return line.map_err(|e| std::io::Error::other(e.to_string()))?.map_err(Into::into);
            }
            _ = tick.tick() => {
                let _ = delivery.keep_alive().await;
            }
        }
    }
}
