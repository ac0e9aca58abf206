//! The OpenTelemetry SDK's environment variables, read as the specification says, so a
//! collector set up for any other OpenTelemetry service works for orderflow as it is.

use std::time::Duration;

use settings::Env;

/// How spans reach a collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP over gRPC (a collector's port 4317).
    Grpc,
    /// OTLP protobuf over HTTP POST (a collector's port 4318): the specification's default.
    HttpProtobuf,
}

impl Protocol {
    fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw.trim() {
            "grpc" => Ok(Self::Grpc),
            "http/protobuf" => Ok(Self::HttpProtobuf),
            "http/json" => Err("`http/json` is not supported: use `grpc` or `http/protobuf`"),
            _ => Err("expected `grpc` or `http/protobuf`"),
        }
    }

    /// The name the variables use, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::HttpProtobuf => "http/protobuf",
        }
    }
}

/// Which traces are recorded and exported (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SamplerChoice {
    AlwaysOn,
    AlwaysOff,
    /// The fraction of traces kept, decided from the trace id.
    Ratio(f64),
    /// A caller's decision is followed; traces this process starts are sampled as the inner
    /// choice says.
    ParentBased(RootSampler),
}

/// What a parent-based sampler does with a trace that starts here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RootSampler {
    AlwaysOn,
    AlwaysOff,
    Ratio(f64),
}

/// Where and how spans are exported.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub protocol: Protocol,
    /// The full URL spans are sent to, after the specification's path rules.
    pub endpoint: String,
    /// Sent with every export (`OTEL_EXPORTER_OTLP_HEADERS`): often an API key, so never logged.
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
}

/// The OpenTelemetry settings of one process.
#[derive(Debug, Clone, PartialEq)]
pub struct OtelSettings {
    /// `service.name`: `OTEL_SERVICE_NAME`, else the one in `OTEL_RESOURCE_ATTRIBUTES`, else
    /// the binary's name.
    pub service_name: String,
    /// `OTEL_RESOURCE_ATTRIBUTES` other than `service.name`.
    pub resource: Vec<(String, String)>,
    pub sampler: SamplerChoice,
    /// `None`: spans are made and propagated but not exported.
    pub traces: Option<Export>,
    /// `Some` when metrics are pushed over OTLP as well as served on `/metrics`
    /// (`OTEL_METRICS_EXPORTER=otlp`).
    pub metrics: Option<MetricsExport>,
}

/// Where metrics are pushed, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsExport {
    pub export: Export,
    /// `OTEL_METRIC_EXPORT_INTERVAL`.
    pub interval: Duration,
}

/// The variables of one signal, and the path OTLP/HTTP gives it.
struct Signal {
    endpoint: &'static str,
    protocol: &'static str,
    headers: &'static str,
    timeout: &'static str,
    path: &'static str,
}

const TRACES: Signal = Signal {
    endpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    protocol: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    headers: "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    timeout: "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    path: "/v1/traces",
};

const METRICS: Signal = Signal {
    endpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    protocol: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    headers: "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    timeout: "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    path: "/v1/metrics",
};

impl OtelSettings {
    /// Nothing exported, every trace sampled: what tests and tools start with.
    pub fn local(service_name: &str) -> Self {
        Self {
            service_name: service_name.to_owned(),
            resource: Vec::new(),
            sampler: SamplerChoice::ParentBased(RootSampler::AlwaysOn),
            traces: None,
            metrics: None,
        }
    }

    /// Reads the variables; `None` where one was bad (the error is kept in `env`).
    pub fn read(env: &mut Env, binary_name: &str) -> Option<Self> {
        let disabled = env
            .string("OTEL_SDK_DISABLED")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let resource = env
            .string("OTEL_RESOURCE_ATTRIBUTES")
            .map(|raw| key_values(&raw));
        let resource = match resource {
            Some(Ok(resource)) => resource,
            Some(Err(why)) => {
                env.invalid("OTEL_RESOURCE_ATTRIBUTES", why);
                return None;
            }
            None => return None,
        };
        let (named, resource): (Vec<_>, Vec<_>) =
            resource.into_iter().partition(|(k, _)| k == "service.name");
        let service_name = env
            .string("OTEL_SERVICE_NAME")
            .filter(|n| !n.trim().is_empty())
            .or_else(|| named.into_iter().next_back().map(|(_, v)| v))
            .unwrap_or_else(|| binary_name.to_owned());
        let sampler = sampler(env)?;
        let traces = traces_export(env);
        let metrics = metrics_export(env);
        Some(Self {
            service_name,
            resource,
            sampler,
            traces: traces?.filter(|_| !disabled),
            metrics: metrics?.filter(|_| !disabled),
        })
    }
}

fn sampler(env: &mut Env) -> Option<SamplerChoice> {
    let name = env.string("OTEL_TRACES_SAMPLER")?;
    let arg = env.string("OTEL_TRACES_SAMPLER_ARG")?;
    let ratio = |env: &mut Env| -> Option<f64> {
        if arg.trim().is_empty() {
            return Some(1.0);
        }
        match arg.trim().parse::<f64>() {
            Ok(r) if (0.0..=1.0).contains(&r) => Some(r),
            _ => {
                env.invalid(
                    "OTEL_TRACES_SAMPLER_ARG",
                    &format!("must be a number from 0 to 1 (got {arg:?})"),
                );
                None
            }
        }
    };
    let choice = match name.trim() {
        "always_on" => SamplerChoice::AlwaysOn,
        "always_off" => SamplerChoice::AlwaysOff,
        "traceidratio" => SamplerChoice::Ratio(ratio(env)?),
        "parentbased_always_on" => SamplerChoice::ParentBased(RootSampler::AlwaysOn),
        "parentbased_always_off" => SamplerChoice::ParentBased(RootSampler::AlwaysOff),
        "parentbased_traceidratio" => SamplerChoice::ParentBased(RootSampler::Ratio(ratio(env)?)),
        other => {
            env.invalid(
                "OTEL_TRACES_SAMPLER",
                &format!(
                    "expected always_on, always_off, traceidratio, parentbased_always_on, \
                     parentbased_always_off or parentbased_traceidratio (got {other:?})"
                ),
            );
            return None;
        }
    };
    Some(choice)
}

/// The traces exporter, or `None` when nothing is to be exported: `OTEL_TRACES_EXPORTER=none`,
/// or no endpoint set (see docs/adr/0010).
fn traces_export(env: &mut Env) -> Option<Option<Export>> {
    let exporter = env.string("OTEL_TRACES_EXPORTER")?;
    let export = signal_export(env, &TRACES);
    match exporter.trim() {
        "otlp" => export,
        "none" => Some(None),
        other => {
            env.invalid(
                "OTEL_TRACES_EXPORTER",
                &format!("expected `otlp` or `none` (got {other:?})"),
            );
            None
        }
    }
}

/// The metrics push, when `OTEL_METRICS_EXPORTER` is `otlp` and an endpoint is set; with
/// `prometheus` (the default) metrics are only served on `/metrics` (docs/adr/0010).
fn metrics_export(env: &mut Env) -> Option<Option<MetricsExport>> {
    let exporter = env.string("OTEL_METRICS_EXPORTER")?;
    let export = signal_export(env, &METRICS);
    let interval = env.string("OTEL_METRIC_EXPORT_INTERVAL")?;
    let interval = match interval.trim().parse::<u64>() {
        Ok(ms) if ms > 0 => Duration::from_millis(ms),
        _ => {
            env.invalid(
                "OTEL_METRIC_EXPORT_INTERVAL",
                "must be a whole number of milliseconds above 0",
            );
            return None;
        }
    };
    match exporter.trim() {
        "otlp" => {
            let export = export?;
            if export.is_none() {
                env.invalid(
                    "OTEL_METRICS_EXPORTER",
                    "is `otlp` but no endpoint is set: set OTEL_EXPORTER_OTLP_ENDPOINT or \
                     OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                );
                return None;
            }
            Some(export.map(|export| MetricsExport { export, interval }))
        }
        "prometheus" | "none" => Some(None),
        other => {
            env.invalid(
                "OTEL_METRICS_EXPORTER",
                &format!("expected `prometheus` or `otlp` (got {other:?})"),
            );
            None
        }
    }
}

/// A signal's export by the specification's rules: its own variables win over the general
/// ones; the general endpoint gets the signal's path over HTTP. `Some(None)`: no endpoint.
fn signal_export(env: &mut Env, signal: &Signal) -> Option<Option<Export>> {
    let general = env.string("OTEL_EXPORTER_OTLP_ENDPOINT")?;
    let own = env.string(signal.endpoint)?;
    let protocol = first_set(env, signal.protocol, "OTEL_EXPORTER_OTLP_PROTOCOL")?;
    let headers = first_set(env, signal.headers, "OTEL_EXPORTER_OTLP_HEADERS")?;
    let timeout = first_set(env, signal.timeout, "OTEL_EXPORTER_OTLP_TIMEOUT")?;
    let protocol = match Protocol::parse(&protocol.1) {
        Ok(p) => p,
        Err(why) => {
            env.invalid(protocol.0, why);
            return None;
        }
    };
    let endpoint = if !own.trim().is_empty() {
        checked_url(env, signal.endpoint, own.trim())?
    } else if !general.trim().is_empty() {
        let base = checked_url(env, "OTEL_EXPORTER_OTLP_ENDPOINT", general.trim())?;
        match protocol {
            Protocol::Grpc => base,
            Protocol::HttpProtobuf => format!("{}{}", base.trim_end_matches('/'), signal.path),
        }
    } else {
        return Some(None);
    };
    let headers = match key_values(&headers.1) {
        Ok(h) => h,
        Err(why) => {
            env.invalid(headers.0, why);
            return None;
        }
    };
    let timeout = match timeout.1.trim().parse::<u64>() {
        Ok(ms) if ms > 0 => Duration::from_millis(ms),
        _ => {
            env.invalid(timeout.0, "must be a whole number of milliseconds above 0");
            return None;
        }
    };
    Some(Some(Export {
        protocol,
        endpoint,
        headers,
        timeout,
    }))
}

/// The signal's own variable when it is set, else the general one: (name read, value).
fn first_set(
    env: &mut Env,
    signal: &'static str,
    general: &'static str,
) -> Option<(&'static str, String)> {
    let signal_value = env.string(signal)?;
    if signal_value.trim().is_empty() {
        Some((general, env.string(general)?))
    } else {
        Some((signal, signal_value))
    }
}

/// An `http://` URL with a host. `https://` is refused: this build has no TLS for export, and
/// a local collector is what forwards to a TLS endpoint (docs/adr/0010).
fn checked_url(env: &mut Env, name: &str, url: &str) -> Option<String> {
    let rest = if let Some(rest) = url.strip_prefix("http://") {
        rest
    } else if url.starts_with("https://") {
        env.invalid(
            name,
            &format!(
                "https is not supported by this build (got {url:?}): send to an \
                 OpenTelemetry Collector over http, and let it forward over TLS"
            ),
        );
        return None;
    } else {
        env.invalid(name, &format!("must be an http:// URL (got {url:?})"));
        return None;
    };
    if rest.split(['/', '?']).next().is_none_or(str::is_empty) {
        env.invalid(name, &format!("has no host (got {url:?})"));
        return None;
    }
    Some(url.to_owned())
}

/// `key=value` pairs, comma-separated, values percent-decoded: the format of
/// `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`.
pub fn key_values(raw: &str) -> Result<Vec<(String, String)>, &'static str> {
    raw.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .ok_or("expected `key=value` pairs separated by commas")?;
            let key = key.trim();
            if key.is_empty() {
                return Err("a pair has an empty key");
            }
            Ok((key.to_owned(), percent_decoded(value.trim())?))
        })
        .collect()
}

fn percent_decoded(value: &str) -> Result<String, &'static str> {
    const BAD: &str = "a value has a `%` not followed by two hex digits";
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(BAD)?;
            let hex = std::str::from_utf8(hex).map_err(|_| BAD)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| BAD)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a value is not UTF-8 once percent-decoded")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<OtelSettings, String> {
        let mut env = Env::from_pairs(pairs.iter().copied());
        let settings = OtelSettings::read(&mut env, "order-service");
        env.finish().map_err(|e| e.to_string())?;
        Ok(settings.expect("no error recorded, so settings were read"))
    }

    fn endpoint(pairs: &[(&str, &str)]) -> Option<String> {
        read(pairs).expect("valid").traces.map(|t| t.endpoint)
    }

    #[test]
    fn with_no_endpoint_nothing_is_exported_and_every_trace_is_sampled() {
        let settings = read(&[]).expect("valid");
        assert_eq!(settings, OtelSettings::local("order-service"));
    }

    #[test]
    fn the_general_endpoint_gets_the_signal_path_over_http_only() {
        let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        assert_eq!(
            endpoint(&[base]).as_deref(),
            Some("http://collector:4318/v1/traces")
        );
        let with_path = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://gw:4318/otlp/");
        assert_eq!(
            endpoint(&[with_path]).as_deref(),
            Some("http://gw:4318/otlp/v1/traces")
        );
        let grpc = ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317");
        assert_eq!(
            endpoint(&[base, grpc]).as_deref(),
            Some("http://collector:4317")
        );
    }

    #[test]
    fn the_traces_endpoint_is_used_as_it_is_and_wins() {
        let pairs = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://other:9999/custom",
            ),
        ];
        assert_eq!(
            endpoint(&pairs).as_deref(),
            Some("http://other:9999/custom")
        );
    }

    #[test]
    fn the_signal_protocol_headers_and_timeout_win_over_the_general_ones() {
        let settings = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "a=1"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "api-key=s%20cret,b=2"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "500"),
        ])
        .expect("valid");
        let traces = settings.traces.expect("exported");
        assert_eq!(traces.protocol, Protocol::Grpc);
        let headers =
            [("api-key", "s cret"), ("b", "2")].map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(traces.headers, headers);
        assert_eq!(traces.timeout, Duration::from_millis(500));
    }

    #[test]
    fn the_service_name_comes_from_its_variable_then_the_resource_then_the_binary() {
        let attrs = (
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=billing,deployment.environment=dev",
        );
        let settings = read(&[attrs]).expect("valid");
        assert_eq!(settings.service_name, "billing");
        assert_eq!(
            settings.resource,
            [("deployment.environment".to_owned(), "dev".to_owned())]
        );
        let named = ("OTEL_SERVICE_NAME", "orders-eu");
        assert_eq!(
            read(&[attrs, named]).expect("valid").service_name,
            "orders-eu"
        );
    }

    #[test]
    fn samplers_are_read_as_the_specification_names_them() {
        let sampler = |name: &str, arg: &str| {
            read(&[
                ("OTEL_TRACES_SAMPLER", name),
                ("OTEL_TRACES_SAMPLER_ARG", arg),
            ])
            .map(|s| s.sampler)
        };
        assert_eq!(sampler("always_off", ""), Ok(SamplerChoice::AlwaysOff));
        assert_eq!(
            sampler("traceidratio", "0.25"),
            Ok(SamplerChoice::Ratio(0.25))
        );
        assert_eq!(
            sampler("parentbased_traceidratio", ""),
            Ok(SamplerChoice::ParentBased(RootSampler::Ratio(1.0)))
        );
        assert!(sampler("traceidratio", "2").is_err_and(|e| e.contains("OTEL_TRACES_SAMPLER_ARG")));
        assert!(sampler("sometimes", "").is_err_and(|e| e.contains("OTEL_TRACES_SAMPLER")));
    }

    #[test]
    fn the_sdk_disabled_or_exporter_none_exports_nothing() {
        let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        assert_eq!(endpoint(&[base, ("OTEL_SDK_DISABLED", "TRUE")]), None);
        assert!(endpoint(&[base, ("OTEL_SDK_DISABLED", "no")]).is_some());
        assert_eq!(endpoint(&[base, ("OTEL_TRACES_EXPORTER", "none")]), None);
    }

    #[test]
    fn metrics_are_pushed_only_when_asked_with_their_own_path_and_interval() {
        let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        assert_eq!(
            read(&[base]).expect("valid").metrics,
            None,
            "scraped by default"
        );
        let pushed = read(&[
            base,
            ("OTEL_METRICS_EXPORTER", "otlp"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "5000"),
            ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://metrics:4317"),
        ])
        .expect("valid")
        .metrics
        .expect("pushed");
        assert_eq!(pushed.interval, Duration::from_secs(5));
        assert_eq!(pushed.export.protocol, Protocol::Grpc);
        assert_eq!(pushed.export.endpoint, "http://metrics:4317");
        let http = read(&[base, ("OTEL_METRICS_EXPORTER", "otlp")]).expect("valid");
        let http = http.metrics.expect("pushed").export;
        assert_eq!(http.endpoint, "http://collector:4318/v1/metrics");
        let nowhere = read(&[("OTEL_METRICS_EXPORTER", "otlp")]).expect_err("no endpoint");
        assert!(nowhere.contains("OTEL_METRICS_EXPORTER"));
    }

    #[test]
    fn bad_values_name_their_variable_and_never_echo_a_header() {
        let bad = |pairs: &[(&str, &str)]| read(pairs).expect_err("invalid");
        let https = bad(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://api.vendor.example")]);
        assert!(https.contains("OTEL_EXPORTER_OTLP_ENDPOINT") && https.contains("Collector"));
        assert!(bad(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]).contains("http://"));
        let json = bad(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ]);
        assert!(json.contains("OTEL_EXPORTER_OTLP_PROTOCOL"));
        let headers = bad(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret%zz"),
        ]);
        assert!(headers.contains("OTEL_EXPORTER_OTLP_HEADERS") && !headers.contains("s3cret"));
    }
}
