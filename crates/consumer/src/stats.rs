use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Counters of one consumer (Prometheus metrics, also read by the admin endpoint).
#[derive(Debug, Default)]
pub struct ConsumerStats {
    /// Subscribed: every topic existed when the consumer started consuming.
    subscribed: std::sync::atomic::AtomicBool,
    processed: Counter,
    duplicates: Counter,
    skipped: Counter,
    retried: Counter,
    dead_lettered: Counter,
    dead_letters_parked: Counter,
    revoked: Counter,
    lag: Gauge,
    in_flight: Gauge,
}

/// One event being handled: counted in `consumer_in_flight` until dropped.
#[derive(Debug)]
pub(crate) struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

macro_rules! counter {
    ($name:ident, $total:ident) => {
        pub(crate) fn $name(&self) {
            self.$name.inc();
        }

        pub fn $total(&self) -> u64 {
            self.$name.get()
        }
    };
}

impl ConsumerStats {
    counter!(processed, processed_total);

    pub(crate) fn set_subscribed(&self) {
        self.subscribed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the consumer has subscribed (it waits for its topics to exist first).
    pub fn subscribed(&self) -> bool {
        self.subscribed.load(std::sync::atomic::Ordering::Relaxed)
    }
    counter!(duplicates, duplicates_total);
    counter!(skipped, skipped_total);
    counter!(retried, retried_total);
    counter!(dead_lettered, dead_lettered_total);
    counter!(dead_letters_parked, dead_letters_parked_total);
    counter!(revoked, revoked_total);

    /// Counts an event as being handled until the guard is dropped (however the handling ends).
    pub(crate) fn handling(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    pub(crate) fn set_lag(&self, lag: i64) {
        self.lag.set(lag);
    }

    /// Messages behind the end of the assigned partitions, from librdkafka's statistics.
    pub fn lag(&self) -> i64 {
        self.lag.get()
    }

    /// Registers the consumer's metrics in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "consumer_processed",
            "Events handled (inbox row and effects committed)",
            self.processed.clone(),
        );
        registry.register(
            "consumer_duplicates",
            "Events already handled, absorbed by the inbox",
            self.duplicates.clone(),
        );
        registry.register(
            "consumer_skipped",
            "Events of types this consumer does not handle",
            self.skipped.clone(),
        );
        registry.register(
            "consumer_retried",
            "Retries of failing events (outages not counted)",
            self.retried.clone(),
        );
        registry.register(
            "consumer_dead_lettered",
            "Events sent to a dead-letter topic",
            self.dead_lettered.clone(),
        );
        registry.register(
            "consumer_dead_letters_parked",
            "Dead letters the broker refused for good or did not ack in time, kept in the \
             service's database instead (GET /v1/admin/dead-letters/parked)",
            self.dead_letters_parked.clone(),
        );
        registry.register(
            "consumer_revocations",
            "Rebalances that took partitions from this member (scaling, restarts, or a member \
             the group took for dead)",
            self.revoked.clone(),
        );
        registry.register(
            "consumer_in_flight",
            "Events being handled now, retries included (the consumer's utilisation)",
            self.in_flight.clone(),
        );
        registry.register(
            "consumer_lag",
            "Messages behind the end of the assigned partitions",
            self.lag.clone(),
        );
    }
}
