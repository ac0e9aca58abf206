//! Token buckets per client key, in process memory, with a bounded number of keys.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Shards of the key map: writers of different clients rarely wait on one lock.
const SHARDS: usize = 16;

/// What [`Buckets::take`] decided for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// Let through; `remaining` whole tokens are left, the bucket is full again after `full_in`.
    Allowed { remaining: u32, full_in: Duration },
    /// Refused: the next token arrives after `retry_after`.
    Limited { retry_after: Duration },
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// One token bucket per key: `burst` tokens at most, refilled at `per_second`; each request
/// takes one. At most `max_keys` buckets are kept (see [`Buckets::take`]).
#[derive(Debug)]
pub struct Buckets {
    per_second: f64,
    burst: f64,
    max_keys_per_shard: usize,
    hasher: RandomState,
    shards: Vec<Mutex<HashMap<String, Bucket>>>,
}

impl Buckets {
    /// `per_second` must be more than zero, `burst` at least one (the settings check both).
    pub fn new(per_second: f64, burst: u32, max_keys: usize) -> Self {
        Self {
            per_second,
            burst: f64::from(burst.max(1)),
            max_keys_per_shard: max_keys.div_ceil(SHARDS).max(1),
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    /// Takes a token from `key`'s bucket at instant `now` (a parameter, so tests need no clock).
    ///
    /// A key seen for the first time gets a full bucket. When its shard is at its share of
    /// `max_keys`, idle buckets are evicted first; if that frees nothing, arbitrary ones are.
    pub fn take(&self, key: &str, now: Instant) -> Decision {
        let shard = &self.shards[self.shard_of(key)];
        // A panic while holding the lock leaves only token counts behind: still usable.
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if !map.contains_key(key) && map.len() >= self.max_keys_per_shard {
            self.evict(&mut map, now);
        }
        let bucket = map.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = bucket.updated.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Decision::Allowed {
                // Truncation is the point: whole tokens left.
                remaining: bucket.tokens as u32,
                full_in: self.seconds_for(self.burst - bucket.tokens),
            }
        } else {
            Decision::Limited {
                retry_after: self.seconds_for(1.0 - bucket.tokens),
            }
        }
    }

    /// Buckets held now, over every shard.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most buckets held at once.
    pub fn capacity(&self) -> usize {
        self.max_keys_per_shard * SHARDS
    }

    fn shard_of(&self, key: &str) -> usize {
        // Modulo of a 64-bit hash by 16: the cast cannot lose what matters.
        (self.hasher.hash_one(key) % SHARDS as u64) as usize
    }

    fn seconds_for(&self, tokens: f64) -> Duration {
        Duration::from_secs_f64((tokens / self.per_second).max(0.0))
    }

    fn evict(&self, map: &mut HashMap<String, Bucket>, now: Instant) {
        // A bucket that has refilled to full behaves exactly as a missing one: dropping it
        // forgets nothing.
        let full_after = self.seconds_for(self.burst);
        map.retain(|_, b| now.saturating_duration_since(b.updated) < full_after);
        if map.len() >= self.max_keys_per_shard {
            // Every bucket is busy (many distinct clients at once). Memory stays bounded by
            // forgetting a quarter of them, in the map's arbitrary order: each forgotten client
            // starts again from a full bucket, a small leniency under such a flood.
            let keep = self.max_keys_per_shard * 3 / 4;
            let excess: Vec<String> = map.keys().take(map.len() - keep).cloned().collect();
            for key in excess {
                map.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn a_new_client_may_spend_its_burst_and_is_then_limited() {
        let buckets = Buckets::new(1.0, 3, 100);
        let now = Instant::now();
        for left in [2, 1, 0] {
            assert!(matches!(
                buckets.take("alice", now),
                Decision::Allowed { remaining, .. } if remaining == left
            ));
        }
        assert_eq!(
            buckets.take("alice", now),
            Decision::Limited {
                retry_after: secs(1.0)
            }
        );
    }

    #[test]
    fn tokens_come_back_at_the_configured_rate() {
        let buckets = Buckets::new(2.0, 1, 100);
        let start = Instant::now();
        assert!(matches!(
            buckets.take("alice", start),
            Decision::Allowed { .. }
        ));
        assert_eq!(
            buckets.take("alice", start + secs(0.25)),
            Decision::Limited {
                retry_after: secs(0.25)
            }
        );
        assert!(matches!(
            buckets.take("alice", start + secs(0.5)),
            Decision::Allowed { .. }
        ));
    }

    #[test]
    fn one_client_being_limited_leaves_another_alone() {
        let buckets = Buckets::new(1.0, 1, 100);
        let now = Instant::now();
        buckets.take("alice", now);
        assert!(matches!(
            buckets.take("alice", now),
            Decision::Limited { .. }
        ));
        assert!(matches!(buckets.take("bob", now), Decision::Allowed { .. }));
    }

    #[test]
    fn a_bucket_never_holds_more_than_the_burst() {
        let buckets = Buckets::new(100.0, 2, 100);
        let start = Instant::now();
        buckets.take("alice", start);
        let later = start + secs(3600.0);
        assert!(matches!(
            buckets.take("alice", later),
            Decision::Allowed { remaining: 1, .. }
        ));
    }

    #[test]
    fn many_distinct_clients_never_grow_the_map_past_its_capacity() {
        let buckets = Buckets::new(1.0, 5, 1_000);
        let now = Instant::now();
        for i in 0..50_000 {
            buckets.take(&format!("client-{i}"), now);
        }
        assert!(buckets.len() <= buckets.capacity(), "{}", buckets.len());
        assert!(buckets.capacity() < 1_100);
    }

    #[test]
    fn idle_buckets_are_evicted_before_busy_ones() {
        let buckets = Buckets::new(1.0, 2, 2 * SHARDS);
        let start = Instant::now();
        let now = start + secs(3.0);
        let mut map = HashMap::from([
            // Last touched 3 s ago: full again after 2 s, so it is idle.
            (
                "idle".to_owned(),
                Bucket {
                    tokens: 0.0,
                    updated: start,
                },
            ),
            (
                "busy".to_owned(),
                Bucket {
                    tokens: 0.0,
                    updated: now,
                },
            ),
        ]);
        buckets.evict(&mut map, now);
        assert_eq!(map.keys().collect::<Vec<_>>(), ["busy"]);
    }

    #[test]
    fn a_shard_of_busy_buckets_is_cut_to_three_quarters() {
        let buckets = Buckets::new(1.0, 2, 4 * SHARDS);
        let now = Instant::now();
        let busy = Bucket {
            tokens: 0.0,
            updated: now,
        };
        let mut map: HashMap<String, Bucket> = (0..4).map(|i| (format!("k{i}"), busy)).collect();
        buckets.evict(&mut map, now);
        assert_eq!(map.len(), 3);
    }
}
