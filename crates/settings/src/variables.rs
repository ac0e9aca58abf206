//! The one list of every environment variable the services read.

/// One environment variable a service reads.
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    pub name: &'static str,
    /// `None`: required.
    pub default: Option<&'static str>,
    /// The services that read it.
    pub services: &'static [&'static str],
    pub help: &'static str,
}

const BOTH: &[&str] = &["checkout-service", "order-service"];
const CHECKOUT: &[&str] = &["checkout-service"];

const fn var(
    name: &'static str,
    default: Option<&'static str>,
    services: &'static [&'static str],
    help: &'static str,
) -> Variable {
    Variable {
        name,
        default,
        services,
        help,
    }
}

/// Every variable the services read, with its default and meaning.
#[rustfmt::skip]
pub const VARIABLES: &[Variable] = &[
    var("HTTP_ADDR", Some("0.0.0.0:8080"), BOTH, "Address the HTTP server listens on."),
    var("DATABASE_URL", None, BOTH, "Postgres URL of the service's own database, reached directly (LISTEN and the relay's locks need a real session). TLS verified against a CA file: `?sslmode=verify-full&sslrootcert=/etc/ssl/rds-ca.pem`; a certificate that does not verify, or a database that refuses the credentials, stops the start (secret: it may hold a password)."),
    var("DB_POOL_MAX", Some("10"), BOTH, "Most Postgres connections one process holds in its pool."),
    var("DB_ACQUIRE_TIMEOUT", Some("2s"), BOTH, "How long a request waits for a connection before it is answered 503."),
    var("AUTH_JWT_SECRET", Some(""), BOTH, "HS256 secret that verifies bearer tokens, at least 32 bytes (secret); required unless `AUTH_JWKS_URL` is set, and empty when it is."),
    var("AUTH_JWKS_URL", Some(""), BOTH, "JWKS document of the identity provider whose RS256 and ES256 tokens are accepted, `https://` (`http://` only to a loopback address). Keys are cached, fetched again when a token names an unknown `kid` and every 15 min. Empty: HS256 with `AUTH_JWT_SECRET`."),
    var("AUTH_JWKS_REFRESH_MIN_INTERVAL", Some("10s"), BOTH, "At most one fetch of the JWKS per this interval, however many tokens name unknown keys."),
    var("AUTH_JWT_ISSUER", Some(""), BOTH, "The `iss` a provider's tokens must carry (required with `AUTH_JWKS_URL`)."),
    var("AUTH_JWT_AUDIENCE", Some(""), BOTH, "The `aud` a provider's tokens must carry (required with `AUTH_JWKS_URL`)."),
    var("AUTH_CLOCK_SKEW", Some("30s"), BOTH, "How far a provider's token's `exp` and `nbf` may be off, at most `5m`."),
    var("SESSION_STORE", Some("redis://127.0.0.1:6379"), CHECKOUT, "Redis URL of the session and cart store (secret: it may hold a password)."),
    var("SESSION_STORE_CA_FILE", Some(""), CHECKOUT, "PEM file of the CA a `rediss://` `SESSION_STORE` is verified against (empty: the system's trust store). A certificate that does not verify, or AUTH refused, stops the start."),
    var("SESSION_TTL", Some("2h"), CHECKOUT, "Sliding lifetime of an idle session and its cart."),
    var("SESSION_COOKIE_SECURE", Some("false"), CHECKOUT, "Mark the session cookie `Secure` (set true behind HTTPS)."),
    var("REDIS_KEY_PREFIX", Some("orderflow"), CHECKOUT, "Prefix of every Redis key, so several deployments or tests can share one Redis."),
    var("IDEMPOTENCY_RETENTION", Some("24h"), CHECKOUT, "How long an Idempotency-Key and its response are kept."),
    var("KAFKA_BROKERS", Some("127.0.0.1:9092"), BOTH, "Kafka bootstrap servers, comma-separated."),
    var("KAFKA_TOPIC_PREFIX", Some(""), BOTH, "Prefix of every topic and consumer group name (tests and shared clusters use their own)."),
    var("KAFKA_PARTITIONS", Some("12"), BOTH, "Partitions of the topics `orderflowctl topics` creates (at least the HPA's most replicas)."),
    var("KAFKA_REPLICATION_FACTOR", Some("1"), BOTH, "Replicas of each topic `orderflowctl topics` creates (3 in Kubernetes and production)."),
    var("KAFKA_MIN_INSYNC_REPLICAS", Some("1"), BOTH, "`min.insync.replicas` of those topics: the replicas an `acks=all` write waits for (2 with 3 replicas)."),
    var("KAFKA_SECURITY_PROTOCOL", Some("plaintext"), BOTH, "`plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`. With TLS or SASL, brokers that refuse the certificate or the credentials stop the start; brokers that are down do not."),
    var("KAFKA_SASL_MECHANISM", Some(""), BOTH, "`PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`; required with a `sasl_*` protocol."),
    var("KAFKA_SASL_USERNAME", Some(""), BOTH, "SASL user name; required with a `sasl_*` protocol."),
    var("KAFKA_SASL_PASSWORD", Some(""), BOTH, "SASL password (secret)."),
    var("KAFKA_SSL_CA_FILE", Some(""), BOTH, "CA certificates (PEM) the brokers are verified against with `ssl` and `sasl_ssl` (empty: the system's roots). Each broker's name is checked against its certificate as a DNS name, so name brokers as their certificates do."),
    var("RELAY_MODE", Some("embedded"), BOTH, "`embedded`: the outbox relay runs inside the service; `off`: run `<service> relay` as its own process."),
    var("OUTBOX_RETENTION", Some("24h"), BOTH, "How long published outbox rows are kept before the relay purges them."),
    var("CONSUMER_MAX_ATTEMPTS", Some("5"), BOTH, "Attempts at a failing event (outages do not count) before it is dead-lettered."),
    var("CONSUMER_CONCURRENCY", Some("1"), BOTH, "Events a consumer handles at once, each of another key: one key's events always run one at a time, in order, and a partition's offset only moves over events done with. Each holds pool connections while it runs (two for a payment), so it must be less than `DB_POOL_MAX`; more than 1 pays only with connections to spare (ADR 0011)."),
    var("CONSUMER_INSTANCE_ID", Some(""), BOTH, "Static consumer-group membership (`group.instance.id`): unique per replica and stable across its restarts, e.g. the pod name; a restarted process takes its partitions back at once. Empty: dynamic membership."),
    var("INBOX_RETENTION", Some("8d"), BOTH, "How long handled event ids are remembered: topic retention plus the replay window."),
    var("SAGA_TIMEOUT", Some("5m"), BOTH, "Age at which the sweepers end a stalled saga: orders awaiting payment are cancelled, checkouts with no order fail after twice this, and a checkout still waiting for its order's outcome asks for it again."),
    var("FAULT_FLAGS", Some(""), BOTH, "Fault flags set at start, for demos and chaos runs: `name=value` pairs, comma-separated, from `payment_unreachable=true`, `payment_slow_ms=300`, `db_latency_ms=20`, `kafka_produce_fail_rate=0.2`, `fail_readiness=true` (empty: all off; change at run time with `PUT /v1/admin/faults`)."),
    var("RATE_LIMIT_WRITES_PER_SECOND", Some("500"), BOTH, "Writes (`POST`, `PUT`, `PATCH`, `DELETE`) per second one client may send to one pod, on average; more is answered 429 with `Retry-After`. A client is its token's subject, else its IP address (an IPv6 /64). Per pod: the cluster allows this times the replicas (docs/adr/0005). `0`: no limit."),
    var("RATE_LIMIT_BURST", Some("1000"), BOTH, "Writes one client may send at once after a quiet spell: the size of its token bucket."),
    var("OTEL_SERVICE_NAME", Some(""), BOTH, "`service.name` of logs, spans and metrics (empty: the one in `OTEL_RESOURCE_ATTRIBUTES`, else the binary's name)."),
    var("OTEL_RESOURCE_ATTRIBUTES", Some(""), BOTH, "More resource attributes of every span, `key=value` pairs, comma-separated, values percent-encoded, e.g. `deployment.environment=staging,k8s.pod.name=$(POD_NAME)`."),
    var("OTEL_SDK_DISABLED", Some("false"), BOTH, "`true`: nothing is exported (trace context and baggage are still passed on)."),
    var("OTEL_TRACES_EXPORTER", Some("otlp"), BOTH, "`otlp`, or `none` to export no spans."),
    var("OTEL_EXPORTER_OTLP_ENDPOINT", Some(""), BOTH, "Collector base URL, `http://` (e.g. `http://otel-collector:4318`; with gRPC `http://otel-collector:4317`). Over HTTP `/v1/traces` is appended. Empty, and no signal endpoint: no export (docs/adr/0010)."),
    var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", Some(""), BOTH, "Full URL spans are sent to, used as it is; wins over `OTEL_EXPORTER_OTLP_ENDPOINT`."),
    var("OTEL_EXPORTER_OTLP_PROTOCOL", Some("http/protobuf"), BOTH, "`http/protobuf` or `grpc`."),
    var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", Some(""), BOTH, "Protocol for spans; wins over `OTEL_EXPORTER_OTLP_PROTOCOL`."),
    var("OTEL_EXPORTER_OTLP_HEADERS", Some(""), BOTH, "Headers of every export, `key=value` pairs, comma-separated, values percent-encoded, e.g. `api-key=...` (secret: never logged)."),
    var("OTEL_EXPORTER_OTLP_TRACES_HEADERS", Some(""), BOTH, "Headers of span exports; replace `OTEL_EXPORTER_OTLP_HEADERS` when set (secret)."),
    var("OTEL_EXPORTER_OTLP_TIMEOUT", Some("10000"), BOTH, "Milliseconds one export may take."),
    var("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", Some(""), BOTH, "Milliseconds one span export may take; wins over `OTEL_EXPORTER_OTLP_TIMEOUT`."),
    var("OTEL_METRICS_EXPORTER", Some("prometheus"), BOTH, "`prometheus`: metrics are served on `/metrics` to be scraped; `otlp`: pushed over OTLP as well, same names, every `OTEL_METRIC_EXPORT_INTERVAL`."),
    var("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", Some(""), BOTH, "Full URL metrics are pushed to, used as it is; wins over `OTEL_EXPORTER_OTLP_ENDPOINT` (which gets `/v1/metrics` over HTTP)."),
    var("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", Some(""), BOTH, "Protocol for metrics; wins over `OTEL_EXPORTER_OTLP_PROTOCOL`."),
    var("OTEL_EXPORTER_OTLP_METRICS_HEADERS", Some(""), BOTH, "Headers of metric pushes; replace `OTEL_EXPORTER_OTLP_HEADERS` when set (secret)."),
    var("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", Some(""), BOTH, "Milliseconds one metrics push may take; wins over `OTEL_EXPORTER_OTLP_TIMEOUT`."),
    var("OTEL_METRIC_EXPORT_INTERVAL", Some("60000"), BOTH, "Milliseconds between two metric pushes (with `OTEL_METRICS_EXPORTER=otlp`)."),
    var("OTEL_TRACES_SAMPLER", Some("parentbased_always_on"), BOTH, "`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off` or `parentbased_traceidratio`. Unsampled traces are still propagated."),
    var("OTEL_TRACES_SAMPLER_ARG", Some(""), BOTH, "The ratio of the `traceidratio` samplers, 0 to 1 (empty: 1)."),
    var("LOG_FORMAT", Some("json"), BOTH, "`json` (one object per line) or `pretty`."),
    var("RUST_LOG", Some("info"), BOTH, "Log filter, tracing-subscriber EnvFilter syntax."),
];

/// The README's configuration table, generated from [`VARIABLES`].
pub fn markdown_table() -> String {
    let mut table = String::from("| Variable | Default | Read by | Meaning |\n|---|---|---|---|\n");
    for v in VARIABLES {
        let default = match v.default {
            None => "required".to_owned(),
            Some("") => "(empty)".to_owned(),
            Some(d) => format!("`{d}`"),
        };
        let services = if v.services.len() > 1 {
            "both".to_owned()
        } else {
            v.services.join(", ")
        };
        table.push_str(&format!(
            "| `{}` | {default} | {services} | {} |\n",
            v.name, v.help
        ));
    }
    table
}
