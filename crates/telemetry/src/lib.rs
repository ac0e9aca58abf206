#![doc = include_str!("../README.md")]

mod export;
pub mod propagation;
pub mod settings;

use std::str::FromStr;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, SpanExporter};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use export::failed_exports;
pub use settings::OtelSettings;

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
    /// Exports the spans ended so far, now (blocking: call it off the async workers).
    pub fn flush(&self) {
        if let Some(provider) = &self.provider {
            let _ = provider.force_flush();
        }
    }

    /// Exports the spans still buffered (bounded: a dead collector does not hold the exit).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            let _ = provider.shutdown_with_timeout(Duration::from_secs(5));
        }
    }
}

/// Installs logging and tracing, with spans exported as `otel` says. Without an exporter,
/// spans are still made and never exported: a request's or an event's trace context and
/// baggage are continued, recorded in the logs, and passed on in every event this process
/// writes, so a service with export off does not break its callers' traces. A second call in
/// the same process (several apps in one test) keeps the first subscriber.
pub fn init(otel: &OtelSettings, format: LogFormat) -> Telemetry {
    let exporter = otel.traces.as_ref().and_then(|export| {
        export::span_exporter(export)
            .inspect_err(|e| {
                eprintln!(
                    "span export to {} over {}: {e}; traces are not exported",
                    export.endpoint,
                    export.protocol.name()
                );
            })
            .ok()
    });
    let exported = exporter.is_some();
    let builder = SdkTracerProvider::builder()
        .with_resource(resource(otel))
        .with_sampler(sampler(otel.sampler));
    let provider = match exporter {
        Some(exporter) => builder.with_batch_exporter(exporter),
        None => builder,
    }
    .build();
    install(otel, format, provider, exported)
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
    let provider = SdkTracerProvider::builder()
        .with_resource(resource(&OtelSettings::local(service_name)))
        .with_simple_exporter(exporter)
        .build();
    set_propagator();
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

/// W3C Trace Context and W3C Baggage, in and out of every request and event.
fn set_propagator() {
    opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]));
}

fn sampler(choice: settings::SamplerChoice) -> Sampler {
    use settings::{RootSampler, SamplerChoice};
    match choice {
        SamplerChoice::AlwaysOn => Sampler::AlwaysOn,
        SamplerChoice::AlwaysOff => Sampler::AlwaysOff,
        SamplerChoice::Ratio(r) => Sampler::TraceIdRatioBased(r),
        SamplerChoice::ParentBased(root) => Sampler::ParentBased(Box::new(match root {
            RootSampler::AlwaysOn => Sampler::AlwaysOn,
            RootSampler::AlwaysOff => Sampler::AlwaysOff,
            RootSampler::Ratio(r) => Sampler::TraceIdRatioBased(r),
        })),
    }
}

fn resource(otel: &OtelSettings) -> Resource {
    Resource::builder_empty()
        .with_attributes(
            otel.resource
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        )
        .with_service_name(otel.service_name.clone())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

fn install(
    otel: &OtelSettings,
    format: LogFormat,
    provider: SdkTracerProvider,
    exported: bool,
) -> Telemetry {
    set_propagator();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let spans = tracing_opentelemetry::layer().with_tracer(provider.tracer("orderflow"));
    let registry = tracing_subscriber::registry().with(filter).with(spans);
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
            service = %otel.service_name,
            traces_exported = exported,
            endpoint = otel.traces.as_ref().map(|t| t.endpoint.as_str()),
            protocol = otel.traces.as_ref().map(|t| t.protocol.name()),
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
