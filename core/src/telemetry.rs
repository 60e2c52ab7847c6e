//! Logging and tracing: structured `tracing` output as text for people or JSON for
//! collectors, and, when `telemetry.otlp_endpoint` is set, spans exported over OTLP/HTTP so
//! that one trace follows a complaint from the HTTP request through the task published on
//! the bus and the department's worker to the answer applied. Trace context travels in the
//! outbox rows and in the bus messages' headers (W3C `traceparent`).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogSettings, TelemetrySettings};

/// Keeps the OTLP exporter alive; dropping it sends what is still buffered.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            // The exporter's blocking HTTP client must not run on an async worker thread.
            let _ = std::thread::spawn(move || provider.shutdown()).join();
        }
    }
}

/// Installs the global subscriber. `RUST_LOG` overrides the configured filter.
pub fn init(log: &LogSettings, telemetry: &TelemetrySettings) -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let provider = telemetry.otlp_endpoint.as_deref().and_then(|endpoint| {
        match otlp_provider(endpoint, &telemetry.service_name) {
            Ok(provider) => Some(provider),
            Err(e) => {
                eprintln!("warning: OTLP export is off: {e}");
                None
            }
        }
    });
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("redress")));
    let (text, json) = if log.format == "json" {
        (
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr),
            ),
        )
    } else {
        (
            Some(tracing_subscriber::fmt::layer().with_writer(std::io::stderr)),
            None,
        )
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .with(otel)
        .try_init();
    Telemetry { provider }
}

/// An OTLP/HTTP span exporter (`http://collector:4318`) behind a batching provider.
fn otlp_provider(endpoint: &str, service: &str) -> Result<SdkTracerProvider, String> {
    use opentelemetry_otlp::WithExportConfig;
    let endpoint = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let service = service.to_owned();
    // Built on a plain thread: the blocking HTTP client refuses to start inside the async
    // runtime.
    std::thread::spawn(move || {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(endpoint)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                opentelemetry_sdk::Resource::builder()
                    .with_service_name(service)
                    .build(),
            )
            .build())
    })
    .join()
    .map_err(|_| "the exporter could not be built".to_owned())?
}

/// The current span's W3C trace context (`traceparent`, `tracestate`) as header pairs;
/// empty when no OpenTelemetry layer is installed or no trace is being recorded.
pub fn trace_headers() -> Vec<(String, String)> {
    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    let context = tracing::Span::current().context();
    let mut carrier = std::collections::HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    let mut pairs: Vec<(String, String)> = carrier.into_iter().collect();
    pairs.sort();
    pairs
}

/// [`trace_headers`] as a JSON object, as the outbox stores them; `None` when empty.
pub fn trace_headers_json() -> Option<String> {
    let pairs = trace_headers();
    if pairs.is_empty() {
        return None;
    }
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    Some(serde_json::Value::Object(map).to_string())
}

/// Makes `span` continue the trace whose context came in `headers` (a message from the
/// bus), so the work it does shows up in the same trace as the request that caused it.
pub fn continue_trace<'a>(
    span: &tracing::Span,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    let carrier: std::collections::HashMap<String, String> = headers
        .into_iter()
        .filter(|(k, _)| {
            k.eq_ignore_ascii_case("traceparent") || k.eq_ignore_ascii_case("tracestate")
        })
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    if carrier.is_empty() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&carrier);
    let _ = span.set_parent(parent);
}
