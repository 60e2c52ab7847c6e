//! The bus's semantics, the same on the in-process bus and on NATS JetStream (the real
//! server at 127.0.0.1:4222, each test under a prefix of its own): a task travels from
//! filing to a department and its answer back; unanswered tasks come again and, past
//! their department's limit, reach the complaint's owner; bad answers change nothing; one
//! relay publishes at a time.

use std::time::Duration;

use redress::bus::{Bus, BusConfig, Delivering, Outgoing, Queue, names::DepartmentQueues};
use redress::config::TaskRule;
use redress::service::{Caller, TaskView};
use redress::workers::relay::{Relay, Round};
use redress::workers::{dead_letters, results};
use serde_json::{Value, json};

use crate::support::{Backend, TestStore, file, unique_prefix};
use crate::tasks::identity_theft_complaint;

pub const NATS_URL: &str = "nats://127.0.0.1:4222";

#[derive(Debug, Clone, Copy)]
pub enum BusKind {
    Memory,
    Nats,
}

pub async fn make_bus(kind: BusKind, config: BusConfig) -> Bus {
    match kind {
        BusKind::Memory => Bus::memory(config),
        BusKind::Nats => {
            let bus = Bus::nats(NATS_URL, config).await.expect("NATS client");
            bus.ensure().await.expect("JetStream at 127.0.0.1:4222");
            bus
        }
    }
}

/// Fraud takes tasks with a short ack wait and two deliveries, so tests see redelivery and
/// dead letters in seconds.
pub fn test_config() -> BusConfig {
    let mut config = BusConfig::new(&unique_prefix());
    config.departments.push(DepartmentQueues {
        name: "fraud".into(),
        regions: Vec::new(),
        delivering: Delivering {
            ack_wait: Duration::from_secs(1),
            max_deliver: 2,
        },
    });
    config
}

pub fn fraud_rule() -> TaskRule {
    TaskRule {
        department: "fraud".into(),
        question: "Is this card activity fraudulent?".into(),
        due_hours: Some(24),
        product: None,
        product_contains: Some("Credit card".into()),
        issue_contains: Some("fraud".into()),
        region: None,
    }
}

async fn store_with_rule(backend: Backend) -> TestStore {
    TestStore::with(backend, |s| s.tasks.rules = vec![fraud_rule()]).await
}

fn relay(store: &TestStore, bus: &Bus, holder: &str) -> Relay {
    Relay::new(
        store.complaints.db().clone(),
        bus.clone(),
        store.settings.outbox.clone(),
        holder,
        store.complaints.outbox_signal(),
    )
}

fn fraud_queue() -> Queue {
    Queue::Tasks {
        department: "fraud".into(),
        region: None,
    }
}

pub fn result_message(task_id: i64, department: &str, answer: &str) -> Value {
    json!({
        "schema": "redress.task-result",
        "version": 1,
        "task_id": task_id,
        "department": department,
        "answer": answer,
        "data": {"verdict": "fraud"},
        "answered_by": "fraud-bot",
    })
}

async fn post_result(bus: &Bus, subject: &str, msg_id: &str, payload: &[u8]) {
    bus.publish(&Outgoing {
        subject: subject.to_owned(),
        msg_id: msg_id.to_owned(),
        payload: bytes::Bytes::copy_from_slice(payload),
        headers: Vec::new(),
    })
    .await
    .expect("result published");
}

async fn the_task(store: &TestStore, complaint: i64) -> TaskView {
    let tasks = store
        .complaints
        .tasks_of(&complaint.to_string(), &Caller::system("test"))
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    tasks.into_iter().next().unwrap()
}

async fn a_task_travels_to_the_department_and_back(backend: Backend, kind: BusKind) {
    let store = store_with_rule(backend).await;
    let app = store.app().await;
    let bus = make_bus(kind, test_config()).await;
    let config = bus.config().clone();
    let (complaint, _) = file(&app, &identity_theft_complaint()).await;
    let task = the_task(&store, complaint).await;
    let mut relay = relay(&store, &bus, "relay-a");
    assert!(relay.drain().await.unwrap() >= 3);

    let taken = bus
        .fetch(&fraud_queue(), 10, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    let delivery = taken.into_iter().next().unwrap();
    assert_eq!(delivery.subject, config.task_subject("US", "fraud"));
    assert_eq!(delivery.delivered, 1);
    let message: Value = serde_json::from_slice(&delivery.payload).unwrap();
    assert_eq!(message["schema"], "redress.task");
    assert_eq!(message["version"], 1);
    assert_eq!(message["task_id"], task.id);
    assert_eq!(message["department"], "fraud");
    assert_eq!(message["region"], "US");
    assert_eq!(message["question"], "Is this card activity fraudulent?");
    assert_eq!(message["product"], "Credit card or prepaid card");

    post_result(
        &bus,
        &config.result_subject("US", "fraud"),
        &format!("result-{}", task.id),
        result_message(task.id, "fraud", "Card opened with a stolen identity.")
            .to_string()
            .as_bytes(),
    )
    .await;
    delivery.ack().await.unwrap();
    let answers = bus
        .fetch(&Queue::Results, 10, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(answers.len(), 1);
    for answer in answers {
        assert_eq!(
            results::handle(&store.complaints, &config, answer).await,
            results::Handled::Applied
        );
    }
    let task = store.complaints.task(task.id).await.unwrap();
    assert_eq!(task.state, redress::domain::TaskState::Answered);
    assert_eq!(task.answered_by.as_deref(), Some("fraud:fraud-bot"));
    assert_eq!(
        task.answer.as_deref(),
        Some("Card opened with a stolen identity.")
    );
    // The task left the queue for good.
    let again = bus
        .fetch(&fraud_queue(), 10, Duration::from_millis(1500))
        .await
        .unwrap();
    assert!(again.is_empty());

    // Every history row became one domain event, in order, without free text.
    relay.drain().await.unwrap();
    let events = bus
        .fetch(
            &Queue::Events { name: "crm".into() },
            100,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    let history = store
        .complaints
        .events(
            &complaint.to_string(),
            &Default::default(),
            &Caller::system("test"),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(events.len(), history.len());
    let mut last_id = 0;
    for (event, row) in events.into_iter().zip(&history) {
        let body: Value = serde_json::from_slice(&event.payload).unwrap();
        assert_eq!(body["schema"], "redress.complaint-event");
        assert_eq!(body["version"], 1);
        assert_eq!(body["event_id"], row.id);
        assert_eq!(body["kind"], row.kind.as_str());
        assert_eq!(
            event.subject,
            config.subject(&format!("events.US.complaint.{}", row.kind))
        );
        assert!(row.id > last_id);
        last_id = row.id;
        let text = String::from_utf8_lossy(&event.payload);
        assert!(!text.contains("Jane"), "{text}");
        assert!(!text.contains("stolen identity"), "{text}");
        event.ack().await.unwrap();
    }
    assert_eq!(history.first().unwrap().kind, "filed");
    assert_eq!(history.last().unwrap().kind, "task_answered");
    bus.remove_streams().await;
    store.finish().await;
}

async fn unanswered_tasks_come_again_then_reach_the_owner(backend: Backend, kind: BusKind) {
    let store = store_with_rule(backend).await;
    let app = store.app().await;
    let bus = make_bus(kind, test_config()).await;
    let mut body = identity_theft_complaint();
    body["assignee"] = json!("agent-9");
    let (complaint, _) = file(&app, &body).await;
    let task = the_task(&store, complaint).await;
    relay(&store, &bus, "relay-a").drain().await.unwrap();

    // A worker takes it and dies twice: no acknowledgement.
    for attempt in 1..=2 {
        let taken = bus
            .fetch(&fraud_queue(), 10, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(taken.len(), 1, "attempt {attempt}");
        assert_eq!(taken[0].delivered, attempt);
        drop(taken);
    }
    // The next pull finds it given up, not a third delivery (JetStream raises its advisory
    // while serving a pull).
    assert!(
        bus.fetch(&fraud_queue(), 10, Duration::from_secs(3))
            .await
            .unwrap()
            .is_empty()
    );
    let letters = bus
        .fetch(&Queue::DeadLetters, 10, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].delivered, 2);
    for letter in letters {
        dead_letters::handle(&store.complaints, letter).await;
    }
    let task = store.complaints.task(task.id).await.unwrap();
    assert!(task.dead_lettered_at.is_some());
    assert_eq!(task.attempts, 2);
    let queue = store
        .complaints
        .escalations(
            &redress::service::EscalationFilter {
                queue: Some("agent-9".into()),
                ..Default::default()
            },
            &redress::service::Scope::all(),
        )
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].reason, "task_dead_lettered");
    let history = store
        .complaints
        .events(
            &complaint.to_string(),
            &Default::default(),
            &Caller::system("test"),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(
        history
            .iter()
            .filter(|e| e.kind == "task_dead_lettered")
            .count(),
        1
    );
    // Off the work queue, and not given up twice.
    assert!(
        bus.fetch(&fraud_queue(), 10, Duration::from_millis(1500))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        bus.fetch(&Queue::DeadLetters, 10, Duration::from_millis(1500))
            .await
            .unwrap()
            .is_empty()
    );
    bus.remove_streams().await;
    store.finish().await;
}

async fn bad_results_are_rejected_and_change_nothing(backend: Backend, kind: BusKind) {
    let store = store_with_rule(backend).await;
    let app = store.app().await;
    let bus = make_bus(kind, test_config()).await;
    let config = bus.config().clone();
    let (complaint, _) = file(&app, &identity_theft_complaint()).await;
    let task = the_task(&store, complaint).await;
    relay(&store, &bus, "relay-a").drain().await.unwrap();
    let events_before = store.event_rows().await;

    let good = result_message(task.id, "fraud", "Confirmed fraud.");
    let mut v2 = good.clone();
    v2["version"] = json!(2);
    let mut nameless = good.clone();
    nameless.as_object_mut().unwrap().remove("answered_by");
    let mut legal = good.clone();
    legal["department"] = json!("legal");
    let fraud_subject = config.result_subject("US", "fraud");
    let cases: Vec<(String, Vec<u8>, &str)> = vec![
        (
            fraud_subject.clone(),
            b"not json at all".to_vec(),
            "invalid_schema",
        ),
        (
            fraud_subject.clone(),
            v2.to_string().into_bytes(),
            "invalid_schema",
        ),
        (
            fraud_subject.clone(),
            nameless.to_string().into_bytes(),
            "invalid_schema",
        ),
        (
            fraud_subject.clone(),
            result_message(999_999, "fraud", "?")
                .to_string()
                .into_bytes(),
            "unknown_task",
        ),
        (
            config.result_subject("US", "legal"),
            legal.to_string().into_bytes(),
            "wrong_department",
        ),
        (
            fraud_subject.clone(),
            legal.to_string().into_bytes(),
            "wrong_department",
        ),
        (
            config.result_subject("UK", "fraud"),
            good.to_string().into_bytes(),
            "wrong_region",
        ),
    ];
    for (i, (subject, payload, reason)) in cases.iter().enumerate() {
        post_result(&bus, subject, &format!("bad-{i}"), payload).await;
        let taken = bus
            .fetch(&Queue::Results, 10, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(taken.len(), 1, "case {i}");
        for delivery in taken {
            assert_eq!(
                results::handle(&store.complaints, &config, delivery).await,
                results::Handled::Rejected(reason),
                "case {i}"
            );
        }
    }
    assert_eq!(store.event_rows().await, events_before);
    let unchanged = store.complaints.task(task.id).await.unwrap();
    assert_eq!(unchanged.state, redress::domain::TaskState::Open);
    assert_eq!(unchanged.version, task.version);

    // The right answer applies; the same message again (a replay under a new id) does not.
    post_result(&bus, &fraud_subject, "good", good.to_string().as_bytes()).await;
    post_result(&bus, &fraud_subject, "replay", good.to_string().as_bytes()).await;
    // A redelivery under the same id is dropped by the bus itself.
    post_result(&bus, &fraud_subject, "good", good.to_string().as_bytes()).await;
    let mut outcomes = Vec::new();
    while outcomes.len() < 2 {
        let taken = bus
            .fetch(&Queue::Results, 10, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(!taken.is_empty());
        for delivery in taken {
            outcomes.push(results::handle(&store.complaints, &config, delivery).await);
        }
    }
    assert_eq!(
        outcomes,
        [
            results::Handled::Applied,
            results::Handled::Rejected("replayed")
        ]
    );
    assert!(
        bus.fetch(&Queue::Results, 10, Duration::from_millis(1500))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.event_rows().await, events_before + 1);
    bus.remove_streams().await;
    store.finish().await;
}

async fn one_relay_publishes_at_a_time(backend: Backend, kind: BusKind) {
    let store = store_with_rule(backend).await;
    let app = store.app().await;
    let bus = make_bus(kind, test_config()).await;
    file(&app, &identity_theft_complaint()).await;
    let mut first = relay(&store, &bus, "relay-a");
    let mut second = relay(&store, &bus, "relay-b");
    assert!(matches!(first.round().await.unwrap(), Round::Published(_)));
    assert_eq!(second.round().await.unwrap(), Round::NotLeader);
    file(&app, &identity_theft_complaint()).await;
    assert_eq!(second.round().await.unwrap(), Round::NotLeader);
    // The first steps down: the second takes over and publishes what is left, once.
    first.release().await.unwrap();
    assert!(matches!(second.round().await.unwrap(), Round::Published(_)));
    assert_eq!(second.round().await.unwrap(), Round::Idle);
    assert_eq!(first.round().await.unwrap(), Round::NotLeader);
    let tasks = bus
        .fetch(&fraud_queue(), 10, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(tasks.len(), 2);
    bus.remove_streams().await;
    store.finish().await;
}

macro_rules! on_both_buses {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                pub async fn $name(backend: $crate::support::Backend) {
                    super::$name(backend, super::BusKind::Memory).await
                }
            )*
            $crate::on_both_backends!($($name),*);
        }
        mod nats {
            $(
                pub async fn $name(backend: $crate::support::Backend) {
                    super::$name(backend, super::BusKind::Nats).await
                }
            )*
            $crate::on_both_backends!($($name),*);
        }
    };
}

on_both_buses!(
    a_task_travels_to_the_department_and_back,
    unanswered_tasks_come_again_then_reach_the_owner,
    bad_results_are_rejected_and_change_nothing,
    one_relay_publishes_at_a_time,
);
