#![doc = include_str!("../README.md")]

pub mod propagation;

use std::str::FromStr;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for machines.
    Json,
    /// Coloured, multi-field text, for people at a terminal.
    Pretty,
}

impl FromStr for LogFormat {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            _ => Err("expected `json` or `pretty`"),
        }
    }
}

/// Keeps the tracer provider alive; [`Telemetry::shutdown`] flushes what is left.
#[derive(Debug, Default)]
#[must_use = "dropping the guard loses the spans not yet exported"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still buffered (bounded: a dead collector does not hold the exit).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            let _ = provider.shutdown_with_timeout(Duration::from_secs(5));
        }
    }
}

/// Installs logging and tracing, with spans exported to `otlp_endpoint` when there is one.
/// Without one, spans are still made and never exported: a request's or an event's trace
/// context is continued, recorded in the logs, and passed on in every event this process
/// writes, so a service with export off does not break its callers' traces. A second call in
/// the same process (several apps in one test) keeps the first subscriber.
pub fn init(service_name: &str, format: LogFormat, otlp_endpoint: Option<&str>) -> Telemetry {
    let exporting = otlp_endpoint.and_then(|endpoint| {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
            .with_timeout(Duration::from_secs(3))
            .build();
        match exporter {
            Ok(exporter) => Some(provider(service_name, exporter, true)),
            Err(e) => {
                eprintln!("OTEL_EXPORTER_OTLP_ENDPOINT {endpoint}: {e}; traces are not exported");
                None
            }
        }
    });
    let exported = exporting.is_some();
    let provider = exporting.unwrap_or_else(|| {
        SdkTracerProvider::builder()
            .with_resource(resource(service_name))
            .build()
    });
    install(service_name, format, provider, exported)
}

/// For tests: spans go to `exporter` one by one (the SDK's in-memory exporter, say) and JSON
/// log lines to `logs`.
pub fn init_capturing<W>(
    service_name: &str,
    exporter: impl SpanExporter + 'static,
    logs: W,
) -> Telemetry
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let provider = provider(service_name, exporter, false);
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::new("info");
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("orderflow"));
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(logs);
    if tracing_subscriber::registry()
        .with(filter)
        .with(otel)
        .with(json)
        .try_init()
        .is_ok()
    {
        opentelemetry::global::set_tracer_provider(provider.clone());
    }
    Telemetry {
        provider: Some(provider),
    }
}

fn provider(
    service_name: &str,
    exporter: impl SpanExporter + 'static,
    batch: bool,
) -> SdkTracerProvider {
    let builder = SdkTracerProvider::builder().with_resource(resource(service_name));
    let builder = if batch {
        builder.with_batch_exporter(exporter)
    } else {
        builder.with_simple_exporter(exporter)
    };
    builder.build()
}

fn resource(service_name: &str) -> Resource {
    Resource::builder()
        .with_service_name(service_name.to_owned())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

fn install(
    service_name: &str,
    format: LogFormat,
    provider: SdkTracerProvider,
    exported: bool,
) -> Telemetry {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("orderflow"));
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let result = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(tracing_subscriber::fmt::layer()).try_init(),
    };
    if result.is_ok() {
        opentelemetry::global::set_tracer_provider(provider.clone());
        tracing::info!(
            service = service_name,
            traces_exported = exported,
            "telemetry initialised"
        );
    }
    Telemetry {
        provider: Some(provider),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_accepts_only_the_documented_names() {
        assert_eq!("json".parse(), Ok(LogFormat::Json));
        assert_eq!("pretty".parse(), Ok(LogFormat::Pretty));
        assert!("yaml".parse::<LogFormat>().is_err());
    }
}
