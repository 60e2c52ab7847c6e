//! The real `redress` binary as a cluster: replicas sharing PostgreSQL (127.0.0.1:5432)
//! and NATS JetStream, the department worker binary, a NATS server that goes away mid-run,
//! and a replica killed mid-run. Each test has its own schema, subject prefix and streams.

mod support;

use std::time::{Duration, Instant};

use redress::bus::Queue;
use serde_json::json;
use support::{Cluster, NatsServer, SHARED_NATS, drain, file, get, post};

fn fraud() -> Queue {
    Queue::Tasks {
        department: "fraud".into(),
        region: None,
    }
}

fn events() -> Queue {
    Queue::Events {
        name: "warehouse".into(),
    }
}

async fn wait_until(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_requires_a_password_is_reached_with_the_configured_user() {
    use redress::bus::{Bus, BusConfig, NatsAuth};
    let nats = NatsServer::start_with(&["--user", "redress", "--pass", "s3cret-pw"]);
    let mut settings = redress::Settings::default_for("sqlite::memory:");
    settings.nats.url = Some(nats.url());
    settings.nats.prefix = support::unique("auth");
    settings.nats.user = Some("redress".into());
    settings.nats.password = Some("s3cret-pw".into());
    let config = BusConfig::from_settings(&settings);
    assert!(!format!("{:?}", config.auth).contains("s3cret-pw"));
    let bus = Bus::nats(&nats.url(), config.clone()).await.unwrap();
    bus.ensure()
        .await
        .expect("signed in, the streams are created");

    for wrong in [
        NatsAuth::Anonymous,
        NatsAuth::UserPassword {
            user: "redress".into(),
            password: "guess".into(),
        },
    ] {
        let refused = BusConfig {
            auth: wrong,
            ..config.clone()
        };
        match Bus::nats(&nats.url(), refused).await {
            Err(_) => {}
            Ok(bus) => assert!(bus.ensure().await.is_err(), "the server let a stranger in"),
        }
    }
    bus.remove_streams().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_travels_from_filing_to_the_worker_binary_and_back() {
    let cluster = Cluster::new(SHARED_NATS);
    let core = cluster.start_core();
    core.ready().await;
    let complaint = file(&core.base()).await;
    let tasks = get(&core.base(), &format!("/v1/complaints/{complaint}/tasks")).await;
    assert_eq!(tasks[0]["department"], "fraud");
    let task_id = tasks[0]["id"].as_i64().unwrap();

    let worker = cluster
        .redress(&[
            "dept",
            "work",
            "--department",
            "fraud",
            "--as",
            "analyst-1",
            "--answer",
            "Confirmed: opened with a stolen identity.",
            "--max",
            "1",
            "--idle-exit",
            "60",
        ])
        .output()
        .expect("the worker runs");
    assert!(
        worker.status.success(),
        "{}",
        String::from_utf8_lossy(&worker.stderr)
    );
    let line: serde_json::Value =
        serde_json::from_slice(worker.stdout.trim_ascii()).expect("one JSON line");
    assert_eq!(line["task_id"], task_id);
    assert_eq!(line["department"], "fraud");
    assert_eq!(line["region"], "US");

    let base = core.base();
    wait_until(
        "the answer is applied",
        Duration::from_secs(20),
        async || get(&base, &format!("/v1/tasks/{task_id}")).await["state"] == "answered",
    )
    .await;
    let task = get(&base, &format!("/v1/tasks/{task_id}")).await;
    assert_eq!(task["answered_by"], "fraud:analyst-1");
    // HEAD is answered as GET, with the same access check and no body on the wire.
    let client = reqwest::Client::new();
    let head = |token: Option<&str>| {
        let mut req = client.head(format!("{}/v1/tasks/{task_id}", base.url));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };
    let seen = head(Some(&base.token)).await.expect("HEAD is answered");
    assert_eq!(seen.status(), 200);
    assert!(seen.bytes().await.unwrap().is_empty());
    assert_eq!(head(None).await.unwrap().status(), 401);
    assert_eq!(task["answer"], "Confirmed: opened with a stolen identity.");
    let history = get(&base, &format!("/v1/complaints/{complaint}/events")).await;
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "task_answered" && e["actor"] == "fraud:analyst-1")
    );
    cluster.finish().await;
}

/// The Python example in `docs/examples/` works as documented (nats-py, installed by
/// `.ci/run`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_example_worker_answers_a_task() {
    let cluster = Cluster::new(SHARED_NATS);
    let core = cluster.start_core();
    core.ready().await;
    let complaint = file(&core.base()).await;
    let task_id = get(&core.base(), &format!("/v1/complaints/{complaint}/tasks")).await[0]["id"]
        .as_i64()
        .unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/dept_worker.py"
    );
    let worker = tokio::process::Command::new("python3")
        .args([script, "fraud"])
        .env("NATS_URL", SHARED_NATS)
        .env("REDRESS_PREFIX", &cluster.prefix)
        .env("MAX_TASKS", "1")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), worker)
        .await
        .expect("the Python worker finished")
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("answered task {task_id} ")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let base = core.base();
    wait_until(
        "the answer is applied",
        Duration::from_secs(20),
        async || get(&base, &format!("/v1/tasks/{task_id}")).await["state"] == "answered",
    )
    .await;
    let task = get(&base, &format!("/v1/tasks/{task_id}")).await;
    assert_eq!(task["answered_by"], "fraud:python-worker");
    assert_eq!(task["answer_data"]["reviewed"], true);
    cluster.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nats_stopped_filing_goes_on_and_every_task_arrives_once() {
    let mut nats = NatsServer::start();
    let cluster = Cluster::new(&nats.url());
    let core = cluster.start_core();
    core.ready().await;
    let base = core.base();
    for _ in 0..5 {
        file(&base).await;
    }
    wait_until(
        "the first tasks are published",
        Duration::from_secs(20),
        async || {
            cluster
                .count("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                .await
                == 0
        },
    )
    .await;

    nats.stop();
    for _ in 0..5 {
        file(&base).await;
    }
    assert!(
        cluster
            .count("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            .await
            > 0,
        "with NATS down the outbox keeps the messages"
    );
    assert_eq!(cluster.count("SELECT count(*) FROM complaints").await, 10);

    nats.restart();
    let bus = cluster.bus().await;
    let tasks = drain(&bus, &fraud(), "task_id", 10, Duration::from_secs(60)).await;
    assert_eq!(tasks.len(), 10, "{tasks:?}");
    assert!(tasks.values().all(|n| *n == 1), "{tasks:?}");
    let stored = cluster.count("SELECT count(*) FROM tasks").await;
    assert_eq!(stored, 10);

    let expected = cluster.count("SELECT count(*) FROM complaint_events").await as usize;
    let seen = drain(
        &bus,
        &events(),
        "event_id",
        expected,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(seen.len(), expected);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    cluster.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_lose_one_and_nothing_is_lost_or_doubled() {
    let cluster = Cluster::new(SHARED_NATS);
    let mut cores = vec![
        cluster.start_core(),
        cluster.start_core(),
        cluster.start_core(),
    ];
    for core in &cores {
        core.ready().await;
    }

    // Each complaint gets fraud's task by rule and a legal task due in a few seconds.
    async fn file_with_legal_task(base: &support::Api) {
        let id = file(base).await;
        let due = chrono::Utc::now() + chrono::Duration::seconds(3);
        let (status, body) = post(
            base,
            &format!("/v1/complaints/{id}/tasks"),
            &json!({"department": "legal", "question": "May we share the file with the police?", "due_at": due}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    for i in 0..6 {
        file_with_legal_task(&cores[i % 3].base()).await;
    }

    // Kill the replica that relays, mid-run.
    let holder = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let db = cluster.db().await;
        redress::store::entity::lease::Entity::find()
            .filter(redress::store::entity::lease::Column::Name.eq("outbox-relay"))
            .one(&db)
            .await
            .unwrap()
            .expect("a relay took the lease")
            .holder
    };
    let leader = cores
        .iter()
        .position(|c| holder.starts_with(&format!("replica-{}-", c.pid())))
        .expect("the lease holder is one of ours");
    cores[leader].kill();
    let survivors: Vec<support::Api> = cores
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != leader)
        .map(|(_, c)| c.base())
        .collect();
    for i in 0..6 {
        file_with_legal_task(&survivors[i % 2]).await;
    }

    // Every legal task escalated, each once, though two replicas sweep.
    wait_until(
        "every legal task is escalated",
        Duration::from_secs(30),
        async || cluster.count("SELECT count(*) FROM escalations").await >= 12,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(cluster.count("SELECT count(*) FROM escalations").await, 12);
    assert_eq!(
        cluster
            .count("SELECT count(DISTINCT task_id) FROM escalations WHERE reason = 'task_overdue'")
            .await,
        12
    );
    assert_eq!(
        cluster
            .count("SELECT count(*) FROM complaint_events WHERE kind = 'task_overdue'")
            .await,
        12
    );

    let bus = cluster.bus().await;
    let tasks = drain(&bus, &fraud(), "task_id", 12, Duration::from_secs(60)).await;
    assert_eq!(tasks.len(), 12, "{tasks:?}");
    assert!(tasks.values().all(|n| *n == 1), "{tasks:?}");

    wait_until(
        "the outbox is drained",
        Duration::from_secs(30),
        async || {
            cluster
                .count("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                .await
                == 0
        },
    )
    .await;
    let expected = cluster.count("SELECT count(*) FROM complaint_events").await as usize;
    let seen = drain(
        &bus,
        &events(),
        "event_id",
        expected,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(seen.len(), expected);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    // Another replica holds the lease now.
    let db = cluster.db().await;
    let now_holder = {
        use sea_orm::EntityTrait;
        redress::store::entity::lease::Entity::find_by_id("outbox-relay".to_owned())
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .holder
    };
    assert_ne!(now_holder, holder);
    cluster.finish().await;
}
