use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one consumer.
#[derive(Debug, Default)]
pub struct ConsumerStats {
    processed: AtomicU64,
    duplicates: AtomicU64,
    skipped: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
}

macro_rules! counter {
    ($name:ident, $total:ident) => {
        pub(crate) fn $name(&self) {
            self.$name.fetch_add(1, Ordering::Relaxed);
        }

        pub fn $total(&self) -> u64 {
            self.$name.load(Ordering::Relaxed)
        }
    };
}

impl ConsumerStats {
    counter!(processed, processed_total);
    counter!(duplicates, duplicates_total);
    counter!(skipped, skipped_total);
    counter!(retried, retried_total);
    counter!(dead_lettered, dead_lettered_total);
}
