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

/// The trace the caller of the API is in, sent in a W3C `traceparent` header.
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

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
    let _guard = crate::capture::on_this_thread(subscriber);

    let store = TestStore::with(backend, |s| s.tasks.rules = vec![fraud_rule()]).await;
    let app = store.app().await;
    let bus = make_bus(BusKind::Memory, test_config()).await;
    let (status, body) = send(
        &app,
        post_json("/v1/complaints", &identity_theft_complaint())
            .insert_header(("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))),
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

    // The caller's trace continues through the request into the filing.
    let trace = opentelemetry::trace::TraceId::from_hex(CALLER_TRACE).unwrap();
    let filing = named(&spans, "service.file");
    assert_eq!(filing.len(), 1, "{spans:#?}");
    assert_eq!(filing[0].span_context.trace_id(), trace);
    let request = named(&spans, "http.request");
    assert_eq!(request.len(), 1, "{spans:#?}");
    assert_eq!(request[0].span_context.trace_id(), trace);
    assert_eq!(
        request[0].parent_span_id,
        opentelemetry::trace::SpanId::from_hex(CALLER_SPAN).unwrap()
    );
    assert_eq!(filing[0].parent_span_id, request[0].span_context.span_id());
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

// PostgreSQL only: traces matter where replicas share PostgreSQL and NATS. On SQLite a span
// that ran a query is sometimes still open when the test looks (the driver's connection
// thread holds it until its next command), so its export comes late; docs/departments.md
// says so.
mod postgres {
    #[actix_web::test]
    async fn one_trace_runs_from_the_request_to_the_applied_answer() {
        super::one_trace_runs_from_the_request_to_the_applied_answer(
            crate::support::Backend::Postgres,
        )
        .await
    }
}
