#![doc = include_str!("../README.md")]

use std::str::FromStr;

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

/// Installs the global subscriber. A second call (several apps in one test process) is a no-op.
pub fn init(service_name: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
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
        tracing::info!(service = service_name, "telemetry initialised");
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
