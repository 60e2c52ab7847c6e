//! One trace from the HTTP request that files a complaint, through the task published on
//! the bus and the department's worker, to the answer applied, recorded with the
//! OpenTelemetry SDK's in-memory exporter.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use redress::bus::Queue;
use redress::dept::{WorkOptions, work};
use redress::workers::relay::Relay;
use redress::workers::results;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

use crate::bus::{BusKind, fraud_rule, make_bus, test_config};
use crate::support::{Backend, TestStore, post_json, send};
use crate::tasks::identity_theft_complaint;

fn named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|s| s.name == name).collect()
}

async fn one_trace_runs_from_the_request_to_the_applied_answer(backend: Backend) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    // As served: info and above (the database driver's own spans are trace-level).
    let subscriber = tracing_subscriber::registry().with(
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("test"))
            .with_filter(LevelFilter::INFO),
    );
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests run on other threads without this subscriber; a callsite they reached
    // first may have cached "nobody listens". Asking again makes this thread's answer count.
    tracing::callsite::rebuild_interest_cache();

    let store = TestStore::with(backend, |s| s.tasks.rules = vec![fraud_rule()]).await;
    let app = store.app().await;
    let bus = make_bus(BusKind::Memory, test_config()).await;
    let (status, body) = send(
        &app,
        post_json("/v1/complaints", &identity_theft_complaint()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mut relay = Relay::new(
        store.complaints.db().clone(),
        bus.clone(),
        store.settings.outbox.clone(),
        "relay-a",
        store.complaints.outbox_signal(),
    );
    relay.drain().await.unwrap();
    let answered = work(
        &bus,
        &WorkOptions {
            department: "fraud".into(),
            region: None,
            name: "analyst-1".into(),
            answer: Some("Confirmed.".into()),
            max: Some(1),
            idle_exit: Some(Duration::from_secs(10)),
        },
    )
    .await
    .unwrap();
    assert_eq!(answered, 1);
    let taken = bus
        .fetch(&Queue::Results, 10, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    for delivery in taken {
        assert_eq!(
            results::handle(&store.complaints, bus.config(), delivery).await,
            results::Handled::Applied
        );
    }
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();

    let request = named(&spans, "http.request");
    assert_eq!(request.len(), 1);
    let request = request[0];
    let trace = request.span_context.trace_id();
    let filing = named(&spans, "service.file");
    assert_eq!(filing[0].parent_span_id, request.span_context.span_id());
    let publish: Vec<&SpanData> = named(&spans, "outbox.publish")
        .into_iter()
        .filter(|s| {
            s.attributes.iter().any(|kv| {
                kv.key.as_str() == "messaging.destination"
                    && kv.value.as_str().contains(".tasks.US.fraud")
            })
        })
        .collect();
    assert_eq!(publish.len(), 1, "{:#?}", named(&spans, "outbox.publish"));
    let publish = publish[0];
    assert_eq!(publish.span_context.trace_id(), trace);
    // The row was written inside the filing, which ran inside the request.
    assert_eq!(publish.parent_span_id, filing[0].span_context.span_id());

    let worker = named(&spans, "dept.work");
    assert_eq!(worker.len(), 1);
    assert_eq!(worker[0].span_context.trace_id(), trace);
    assert_eq!(worker[0].parent_span_id, publish.span_context.span_id());

    let applied = named(&spans, "task.result");
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].span_context.trace_id(), trace);
    assert_eq!(applied[0].parent_span_id, worker[0].span_context.span_id());
    let service = named(&spans, "service.apply_answer");
    assert_eq!(service[0].span_context.trace_id(), trace);
    store.finish().await;
}

crate::on_both_backends!(one_trace_runs_from_the_request_to_the_applied_answer);
