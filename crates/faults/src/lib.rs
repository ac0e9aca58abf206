#![doc = include_str!("../README.md")]

mod flags;

pub use flags::{FaultFlags, InvalidFlag, MAX_DELAY_MS, NAMES};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use tracing::Instrument;

/// Labels of the fired counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FlagLabels {
    flag: &'static str,
}

// Relaxed loads and stores throughout: a flag guards no other memory, and a change may take
// effect a moment later on another thread.
#[derive(Debug, Default)]
struct Inner {
    payment_unreachable: AtomicBool,
    payment_slow_ms: AtomicU64,
    db_latency_ms: AtomicU64,
    /// The bits of an `f64`; 0 is 0.0, so the default is off.
    kafka_produce_fail_rate: AtomicU64,
    fail_readiness: AtomicBool,
    fired: Family<FlagLabels, Counter>,
}

/// The fault flags of one process, shared by every clone. The default has every flag off.
#[derive(Clone, Default)]
pub struct Faults(Arc<Inner>);

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Faults").field(&self.flags()).finish()
    }
}

impl Faults {
    /// A handle with `flags` set (checked already, e.g. parsed from `FAULT_FLAGS`).
    pub fn new(flags: FaultFlags) -> Self {
        if !flags.all_off() {
            tracing::warn!(?flags, "fault flags set at start");
        }
        let faults = Self::default();
        faults.set(flags);
        faults
    }

    /// The flags as they are now.
    pub fn flags(&self) -> FaultFlags {
        let inner = &*self.0;
        FaultFlags {
            payment_unreachable: inner.payment_unreachable.load(Ordering::Relaxed),
            payment_slow_ms: inner.payment_slow_ms.load(Ordering::Relaxed),
            db_latency_ms: inner.db_latency_ms.load(Ordering::Relaxed),
            kafka_produce_fail_rate: f64::from_bits(
                inner.kafka_produce_fail_rate.load(Ordering::Relaxed),
            ),
            fail_readiness: inner.fail_readiness.load(Ordering::Relaxed),
        }
    }

    /// Replaces every flag.
    pub fn set(&self, flags: FaultFlags) {
        let inner = &*self.0;
        inner
            .payment_unreachable
            .store(flags.payment_unreachable, Ordering::Relaxed);
        inner
            .payment_slow_ms
            .store(flags.payment_slow_ms, Ordering::Relaxed);
        inner
            .db_latency_ms
            .store(flags.db_latency_ms, Ordering::Relaxed);
        // `-0.0` has other bits than `0.0`: store the canonical zero so "off" stays one load.
        let rate = if flags.kafka_produce_fail_rate > 0.0 {
            flags.kafka_produce_fail_rate
        } else {
            0.0
        };
        inner
            .kafka_produce_fail_rate
            .store(rate.to_bits(), Ordering::Relaxed);
        inner
            .fail_readiness
            .store(flags.fail_readiness, Ordering::Relaxed);
    }

    /// Registers `faults_fired_total{flag}` in `registry`, every flag at 0 until it fires.
    pub fn register(&self, registry: &mut Registry) {
        for flag in NAMES {
            drop(self.0.fired.get_or_create(&FlagLabels { flag }));
        }
        registry.register(
            "faults_fired",
            "Times a fault flag injected its fault",
            self.0.fired.clone(),
        );
    }

    /// How many times `flag` has fired in this process.
    pub fn fired_total(&self, flag: &'static str) -> u64 {
        self.0.fired.get_or_create(&FlagLabels { flag }).get()
    }

    fn fired(&self, flag: &'static str) {
        self.0.fired.get_or_create(&FlagLabels { flag }).inc();
    }

    /// `payment_unreachable`: whether this provider call gets no answer.
    pub fn payment_unreachable(&self) -> bool {
        let on = self.0.payment_unreachable.load(Ordering::Relaxed);
        if on {
            self.fired("payment_unreachable");
            tracing::warn!(
                fault = "payment_unreachable",
                "fault injected: payment provider unreachable"
            );
        }
        on
    }

    /// `payment_slow_ms`: waits before a provider call.
    pub async fn payment_delay(&self) {
        let ms = self.0.payment_slow_ms.load(Ordering::Relaxed);
        if ms > 0 {
            self.delay("payment_slow_ms", ms).await;
        }
    }

    /// `db_latency_ms`: the delay to add to this connection checkout, if any. A plain value, so
    /// a pool hook can read it before it allocates its future.
    pub fn db_latency(&self) -> Option<DbLatency> {
        let ms = self.0.db_latency_ms.load(Ordering::Relaxed);
        (ms > 0).then(|| DbLatency {
            faults: self.clone(),
            ms,
        })
    }

    /// `kafka_produce_fail_rate`: whether this produce attempt fails.
    pub fn produce_fails(&self) -> bool {
        let rate = f64::from_bits(self.0.kafka_produce_fail_rate.load(Ordering::Relaxed));
        // `rate > 0.0` first: off never touches the generator.
        let fails = rate > 0.0 && fastrand::f64() < rate;
        if fails {
            self.fired("kafka_produce_fail_rate");
            tracing::warn!(
                fault = "kafka_produce_fail_rate",
                rate,
                "fault injected: produce attempt failed"
            );
        }
        fails
    }

    /// `fail_readiness`: whether readiness must report down.
    pub fn readiness_fails(&self) -> bool {
        let on = self.0.fail_readiness.load(Ordering::Relaxed);
        if on {
            self.fired("fail_readiness");
            tracing::warn!(
                fault = "fail_readiness",
                "fault injected: readiness reported down"
            );
        }
        on
    }

    async fn delay(&self, flag: &'static str, ms: u64) {
        self.fired(flag);
        tracing::info!(fault = flag, delay_ms = ms, "fault injected: delay");
        tokio::time::sleep(Duration::from_millis(ms))
            .instrument(tracing::info_span!("fault", fault = flag, delay_ms = ms))
            .await;
    }
}

/// A database delay that is due: [`DbLatency::wait`] it.
#[derive(Debug)]
pub struct DbLatency {
    faults: Faults,
    ms: u64,
}

impl DbLatency {
    pub async fn wait(self) {
        self.faults.delay("db_latency_ms", self.ms).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_nothing_fires() {
        let faults = Faults::default();
        assert!(!faults.payment_unreachable());
        assert!(faults.db_latency().is_none());
        assert!(!faults.produce_fails());
        assert!(!faults.readiness_fails());
        assert!(faults.flags().all_off());
        assert_eq!(faults.fired_total("payment_unreachable"), 0);
    }

    #[test]
    fn what_is_set_is_read_back_exactly_and_shared_by_clones() {
        let faults = Faults::default();
        let flags = FaultFlags {
            payment_unreachable: true,
            payment_slow_ms: 300,
            db_latency_ms: 20,
            kafka_produce_fail_rate: 0.123_456_789,
            fail_readiness: true,
        };

        faults.clone().set(flags);

        assert_eq!(faults.flags(), flags);
    }

    #[test]
    fn a_rate_of_one_fails_every_attempt_and_each_firing_is_counted() {
        let faults = Faults::new(FaultFlags {
            kafka_produce_fail_rate: 1.0,
            fail_readiness: true,
            ..FaultFlags::default()
        });

        assert!((0..10).all(|_| faults.produce_fails()));
        assert!(faults.readiness_fails());
        assert_eq!(faults.fired_total("kafka_produce_fail_rate"), 10);
        assert_eq!(faults.fired_total("fail_readiness"), 1);
    }

    #[test]
    fn a_negative_zero_rate_is_off() {
        let faults = Faults::new(FaultFlags {
            kafka_produce_fail_rate: -0.0,
            ..FaultFlags::default()
        });
        assert!(faults.flags().all_off());
    }

    #[tokio::test]
    async fn a_delay_is_counted_when_it_fires() {
        let faults = Faults::new(FaultFlags {
            db_latency_ms: 1,
            payment_slow_ms: 1,
            ..FaultFlags::default()
        });

        faults.db_latency().expect("due").wait().await;
        faults.payment_delay().await;

        assert_eq!(faults.fired_total("db_latency_ms"), 1);
        assert_eq!(faults.fired_total("payment_slow_ms"), 1);
    }
}
