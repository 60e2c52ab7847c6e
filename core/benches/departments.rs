//! Departments benchmark: prints figures next to a baseline measured in the same run,
//! against the real NATS JetStream at 127.0.0.1:4222 and PostgreSQL at 127.0.0.1:5432
//! (database `test`, a schema of its own, dropped at the end).
//!
//! 1. Baseline: a bare JetStream publish -> pull-consume round trip, one message at a time.
//! 2. Filing a complaint that creates a task (through the service, as the API calls it)
//!    until a department worker pulls that task: the outbox write, the relay waking on the
//!    commit, the publish, the consumer. p50 and p99 of both, and their ratio; then the
//!    same samples split where the filing call returns, to show the filing transaction
//!    apart from the delivery that follows it.
//! 3. Tasks per second through one relay: 20,000 task messages queued in the outbox,
//!    published and marked sent.
//!
//! Run with `cargo bench -p redress --bench departments`.

use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use redress::bus::{Bus, BusConfig, Outgoing, Queue};
use redress::config::TaskRule;
use redress::service::{Caller, Complaints, NewComplaint};
use redress::store::entity::outbox;
use redress::workers::relay::Relay;
use redress::{Settings, store};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const NATS_URL: &str = "nats://127.0.0.1:4222";
const ROUND_TRIPS: usize = 1_000;
const RELAY_ROWS: usize = 20_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let run = format!("bench{}", std::process::id());
    println!("redress departments benchmark (PostgreSQL, NATS JetStream)\n");

    let bus = Bus::nats(NATS_URL, BusConfig::new(&run)).await?;
    bus.ensure().await?;
    let bare = bare_round_trips(&bus).await?;
    print_latency("bare JetStream publish -> consume", &bare);

    let mut settings = Settings::default_for(POSTGRES_URL);
    settings.database.schema = Some(run.clone());
    settings.tasks.rules = vec![TaskRule {
        department: "fraud".into(),
        question: "Is this card activity fraudulent?".into(),
        due_hours: None,
        product: None,
        product_contains: Some("Credit card".into()),
        issue_contains: Some("fraud".into()),
        region: None,
    }];
    let db = store::connect(&settings.database).await?;
    store::migrate(&db).await?;
    let complaints =
        Complaints::new(db.clone(), settings.lifecycle.clone()).with_tasks(settings.tasks.clone());

    let (filed, filing, delivery) = filing_to_worker(&complaints, &bus, &settings).await?;
    print_latency("filing -> department worker", &filed);
    println!(
        "  p99 ratio to bare JetStream: {:.1}x (goal: at most 3x)",
        percentile(&filed, 0.99) / percentile(&bare, 0.99)
    );
    print_latency(
        "  of which the filing call (transaction on PostgreSQL)",
        &filing,
    );
    print_latency("  of which the filing call's return -> worker", &delivery);
    println!(
        "  p99 ratio of that delivery to bare JetStream: {:.1}x\n",
        percentile(&delivery, 0.99) / percentile(&bare, 0.99)
    );

    let rate = relay_throughput(&complaints, &bus, &settings).await?;
    println!("relay: {RELAY_ROWS} task messages at {rate:.0} tasks/s (goal: at least 2,000)");

    db.execute_unprepared(&format!("DROP SCHEMA \"{run}\" CASCADE"))
        .await?;
    bus.remove_streams().await;
    Ok(())
}

fn fraud() -> Queue {
    Queue::Tasks {
        department: "fraud".into(),
        region: None,
    }
}

async fn bare_round_trips(bus: &Bus) -> anyhow::Result<Vec<f64>> {
    let subject = bus.config().task_subject("US", "bare");
    let queue = Queue::Tasks {
        department: "bare".into(),
        region: None,
    };
    // The consumer exists before timing starts.
    bus.fetch(&queue, 1, Duration::from_millis(100)).await?;
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..ROUND_TRIPS {
        let started = Instant::now();
        bus.publish(&Outgoing {
            subject: subject.clone(),
            msg_id: format!("bare-{i}"),
            payload: Bytes::from_static(br#"{"schema":"redress.task","version":1}"#),
            headers: Vec::new(),
        })
        .await?;
        let taken = bus.fetch(&queue, 1, Duration::from_secs(5)).await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        for delivery in taken {
            delivery.ack().await?;
        }
    }
    Ok(samples)
}

fn card_fraud_complaint() -> anyhow::Result<NewComplaint> {
    // CFPB complaint 3192750, as filed: a card opened through identity theft.
    Ok(serde_json::from_value(serde_json::json!({
        "channel": "web",
        "region": "US",
        "product": "Credit card or prepaid card",
        "sub_product": "General-purpose credit card or charge card",
        "issue": "Getting a credit card",
        "sub_issue": "Card opened as result of identity theft or fraud",
    }))?)
}

/// Milliseconds from filing to the worker holding the task, split at the filing call's
/// return: (whole, filing call, the rest).
async fn filing_to_worker(
    complaints: &Complaints,
    bus: &Bus,
    settings: &Settings,
) -> anyhow::Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    let relay = Relay::new(
        complaints.db().clone(),
        bus.clone(),
        settings.outbox.clone(),
        "bench-relay",
        complaints.outbox_signal(),
    );
    let relaying = tokio::spawn(relay.run());
    bus.fetch(&fraud(), 1, Duration::from_millis(100)).await?;
    let caller = Caller::system("bench");
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    let mut filing = Vec::with_capacity(ROUND_TRIPS);
    let mut delivery = Vec::with_capacity(ROUND_TRIPS);
    for _ in 0..ROUND_TRIPS {
        let started = Instant::now();
        let filed = complaints
            .file(card_fraud_complaint()?, None, &caller)
            .await?;
        let returned = Instant::now();
        let reference = filed.complaint.reference;
        loop {
            let taken = bus.fetch(&fraud(), 1, Duration::from_secs(5)).await?;
            anyhow::ensure!(!taken.is_empty(), "the task never reached the worker");
            let mut arrived = false;
            for delivery in taken {
                let task: serde_json::Value = serde_json::from_slice(&delivery.payload)?;
                arrived |= task["reference"] == reference.as_str();
                delivery.ack().await?;
            }
            if arrived {
                break;
            }
        }
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        filing.push((returned - started).as_secs_f64() * 1000.0);
        delivery.push(returned.elapsed().as_secs_f64() * 1000.0);
    }
    relaying.abort();
    Ok((samples, filing, delivery))
}

async fn relay_throughput(
    complaints: &Complaints,
    bus: &Bus,
    settings: &Settings,
) -> anyhow::Result<f64> {
    let db = complaints.db();
    let now = Utc::now();
    let payload = serde_json::json!({
        "schema": "redress.task", "version": 1, "task_id": 0, "department": "fraud",
        "region": "US", "question": "Is this card activity fraudulent?",
    })
    .to_string();
    for chunk in (0..RELAY_ROWS).collect::<Vec<_>>().chunks(1_000) {
        outbox::Entity::insert_many(chunk.iter().map(|i| outbox::ActiveModel {
            subject: Set("tasks.US.fraud".into()),
            msg_id: Set(format!("relay-bench-{i}")),
            payload: Set(payload.clone()),
            headers: Set(None),
            complaint_id: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    let mut relay = Relay::new(
        db.clone(),
        bus.clone(),
        settings.outbox.clone(),
        "bench-relay-2",
        complaints.outbox_signal(),
    );
    // The first relay's lease may still run; wait it out.
    tokio::time::sleep(Duration::from_millis(settings.outbox.lease_ms + 100)).await;
    let started = Instant::now();
    let published = relay.drain().await?;
    let rate = published as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(published >= RELAY_ROWS, "only {published} published");
    Ok(rate)
}

fn percentile(samples: &[f64], p: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

fn print_latency(label: &str, samples: &[f64]) {
    println!(
        "{label}: {} samples, p50 {:.2} ms, p99 {:.2} ms",
        samples.len(),
        percentile(samples, 0.5),
        percentile(samples, 0.99)
    );
}
