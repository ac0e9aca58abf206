//! Tests over the whole system and over the repository's own documents.

mod broker_failover;
mod broker_pause;
mod deploy;
mod failures;
mod faults;
mod metrics;
mod otlp;
mod readme;
mod relay_process;
mod saga;
mod saga_ends;
mod schemas;
mod tls;
mod trace_context;
mod tracing;
mod walkthrough;
