//! The librdkafka client context: reads the consumer lag out of librdkafka's statistics and
//! counts the partitions taken from this member by rebalances.

use std::sync::Arc;

use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, Statistics};

use crate::ConsumerStats;

/// Feeds `consumer_lag` from the statistics librdkafka emits every few seconds.
#[derive(Debug, Clone)]
pub struct LagContext(pub Arc<ConsumerStats>);

impl ClientContext for LagContext {
    fn stats(&self, statistics: Statistics) {
        let lag = statistics
            .topics
            .values()
            .flat_map(|topic| topic.partitions.values())
            .filter(|p| p.partition >= 0 && p.consumer_lag >= 0)
            .map(|p| p.consumer_lag)
            .sum();
        self.0.set_lag(lag);
    }
}

impl ConsumerContext for LagContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(partitions) = rebalance
            && partitions.count() > 0
        {
            self.0.revoked();
        }
    }
}
