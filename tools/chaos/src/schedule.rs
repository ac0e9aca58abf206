//! The seeded fault schedule: every kind of fault once per round, in a shuffled order, at
//! jittered intervals. The same seed gives the same schedule.

use std::time::Duration;

/// One kind of fault the driver injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// SIGKILL a checkout-service replica, then start it again.
    KillCheckoutService,
    KillOrderService,
    /// SIGKILL a standalone relay replica (`<service> relay`), then start it again.
    KillCheckoutRelay,
    KillOrderRelay,
    /// SIGSTOP the broker leading the partitions in use for [`BROKER_PAUSE`], then SIGCONT.
    PauseBroker,
    /// SIGKILL the broker leading the partitions in use; [`BROKER_DOWN`] later it starts
    /// again on its data.
    KillBroker,
    /// SIGKILL the leading broker, which stays down until the round ends: two of three
    /// brokers carry on (`acks=all` with `min.insync.replicas=2`).
    LoseBroker,
    /// A blackhole between checkout-service and every broker for [`PARTITION_FOR`]: nothing
    /// passes, nothing is closed.
    NetworkPartition,
    /// A third order-service replica added, and [`FLAG_FOR`] later one removed (SIGTERM), as
    /// an HPA scaling up then down: two rebalances under load.
    ScaleOrderService,
    /// `pg_ctl restart -m immediate`: a crash and WAL recovery.
    RestartPostgres,
    /// `pg_terminate_backend` on every session of both databases (pools, relays' lock and
    /// LISTEN sessions): as a failover or an operator would end them.
    TerminateBackends,
    /// SIGKILL Redis, then start it again on the same data.
    RestartRedis,
    /// [`LATENCY`] added each way to Postgres and to the brokers for [`LATENCY_FOR`].
    NetworkLatency,
    /// The payment provider unreachable for [`FLAG_FOR`] (the `payment_unreachable` fault
    /// flag of checkout-service, set and cleared through its admin endpoint).
    PaymentUnreachable,
    /// Every relay fails [`PRODUCE_FAIL_RATE`] of its produce attempts for [`FLAG_FOR`]
    /// (the `kafka_produce_fail_rate` fault flag).
    ProduceFailures,
}

pub const BROKER_PAUSE: Duration = Duration::from_secs(10);
pub const BROKER_DOWN: Duration = Duration::from_secs(10);
pub const PARTITION_FOR: Duration = Duration::from_secs(15);
pub const LATENCY: Duration = Duration::from_millis(25);
pub const LATENCY_FOR: Duration = Duration::from_secs(10);
pub const FLAG_FOR: Duration = Duration::from_secs(10);
pub const PRODUCE_FAIL_RATE: f64 = 0.5;

impl Fault {
    pub const ALL: [Fault; 15] = [
        Fault::KillCheckoutService,
        Fault::KillOrderService,
        Fault::KillCheckoutRelay,
        Fault::KillOrderRelay,
        Fault::PauseBroker,
        Fault::KillBroker,
        Fault::LoseBroker,
        Fault::NetworkPartition,
        Fault::ScaleOrderService,
        Fault::RestartPostgres,
        Fault::TerminateBackends,
        Fault::RestartRedis,
        Fault::NetworkLatency,
        Fault::PaymentUnreachable,
        Fault::ProduceFailures,
    ];
}

impl std::fmt::Display for Fault {
    /// The kebab-case name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
        f.write_str(name.as_str().unwrap_or_default())
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    /// The kebab-case name, as in the report and the Chaos Mesh experiments' label.
    fn from_str(name: &str) -> Result<Self, String> {
        Fault::ALL
            .into_iter()
            .find(|f| f.to_string() == name)
            .ok_or_else(|| format!("unknown fault {name:?}"))
    }
}

/// A fault due at `at` after the load started, in round `round` (every kind once a round).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Injection {
    pub at: Duration,
    pub fault: Fault,
    pub round: usize,
}

/// Injections of `kinds` from `interval` after the start until `duration`, about `interval`
/// apart (±25%).
pub fn plan(seed: u64, kinds: &[Fault], duration: Duration, interval: Duration) -> Vec<Injection> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut round: Vec<Fault> = Vec::new();
    let mut injections = Vec::new();
    let mut at = interval;
    let mut rounds = 0;
    while at < duration {
        if round.is_empty() {
            round = kinds.to_vec();
            rng.shuffle(&mut round);
            round.reverse(); // popped from the back
            rounds += 1;
        }
        let fault = round.pop().expect("refilled above");
        injections.push(Injection {
            at,
            fault,
            round: rounds,
        });
        let jitter = interval.mul_f64(0.75 + rng.f64() * 0.5);
        at += jitter;
    }
    injections
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);
    const EIGHT: Duration = Duration::from_secs(8);

    #[test]
    fn the_same_seed_gives_the_same_schedule_and_another_seed_another() {
        assert_eq!(
            plan(7, &Fault::ALL, MINUTE, EIGHT),
            plan(7, &Fault::ALL, MINUTE, EIGHT)
        );
        assert_ne!(
            plan(7, &Fault::ALL, MINUTE, EIGHT),
            plan(8, &Fault::ALL, MINUTE, EIGHT)
        );
    }

    #[test]
    fn each_round_holds_every_fault_once() {
        let injections = plan(3, &Fault::ALL, 10 * MINUTE, EIGHT);
        assert!(injections.len() >= 2 * Fault::ALL.len());
        for (n, round) in injections.chunks(Fault::ALL.len()).take(2).enumerate() {
            let kinds: BTreeSet<Fault> = round.iter().map(|i| i.fault).collect();
            assert_eq!(kinds.len(), Fault::ALL.len());
            assert!(round.iter().all(|i| i.round == n + 1));
        }
    }

    #[test]
    fn injections_are_spaced_within_the_jitter_and_inside_the_run() {
        let injections = plan(11, &Fault::ALL, 5 * MINUTE, EIGHT);
        assert_eq!(injections[0].at, EIGHT);
        for pair in injections.windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(
                gap >= Duration::from_secs(6) && gap <= Duration::from_secs(10),
                "{gap:?}"
            );
        }
        assert!(injections.iter().all(|i| i.at < 5 * MINUTE));
    }

    #[test]
    fn faults_read_by_their_report_names() {
        assert_eq!("pause-broker".parse(), Ok(Fault::PauseBroker));
        assert_eq!("kill-order-relay".parse(), Ok(Fault::KillOrderRelay));
        assert_eq!("lose-broker".parse(), Ok(Fault::LoseBroker));
        assert_eq!("terminate-backends".parse(), Ok(Fault::TerminateBackends));
        assert!("PauseBroker".parse::<Fault>().is_err());
    }

    #[test]
    fn only_the_chosen_kinds_are_injected() {
        let injections = plan(5, &[Fault::PauseBroker], 2 * MINUTE, EIGHT);
        assert!(injections.iter().all(|i| i.fault == Fault::PauseBroker));
    }

    #[test]
    fn a_run_shorter_than_the_interval_injects_nothing() {
        assert!(plan(1, &Fault::ALL, Duration::from_secs(5), EIGHT).is_empty());
    }
}
