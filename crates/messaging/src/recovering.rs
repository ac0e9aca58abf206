//! A producer that replaces itself after a fatal error. An idempotent producer that hits one
//! (a sequence gap it refuses to hide, a fenced producer id) fails every later send: one such
//! error would stop the relay, a consumer's dead letters (and so its partition) or the admin
//! replays for good. The relay, the consumers and the admin API share this one mechanism.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rdkafka::error::KafkaResult;
use rdkafka::producer::{FutureProducer, Producer};

use crate::{KafkaSettings, OffThread};

/// How a producer is made (one of [`crate::producer`]'s configurations).
pub type MakeProducer = fn(&KafkaSettings) -> KafkaResult<FutureProducer>;

pub struct Recovering {
    settings: KafkaSettings,
    make: MakeProducer,
    current: Mutex<Arc<OffThread<FutureProducer>>>,
}

impl std::fmt::Debug for Recovering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recovering").finish_non_exhaustive()
    }
}

impl Recovering {
    pub fn new(settings: &KafkaSettings, make: MakeProducer) -> KafkaResult<Self> {
        Ok(Self {
            current: Mutex::new(Arc::new(OffThread::new(make(settings)?))),
            settings: settings.clone(),
            make,
        })
    }

    /// The producer to send with now.
    pub fn current(&self) -> Arc<OffThread<FutureProducer>> {
        Arc::clone(&self.lock())
    }

    /// After a failed send: when the producer has hit a fatal error, a new one takes its place
    /// (the old one is dropped off the async workers once its last user lets it go). Returns
    /// whether it was replaced.
    pub fn recover(&self) -> bool {
        let mut current = self.lock();
        let Some((code, reason)) = current.client().fatal_error() else {
            return false;
        };
        tracing::error!(
            ?code,
            reason,
            "producer fatal error; creating a new producer"
        );
        self.swap(&mut current)
    }

    /// Replaces the producer whatever its state; what the old one still holds is dropped.
    pub fn replace(&self) -> bool {
        let mut current = self.lock();
        self.swap(&mut current)
    }

    fn swap(&self, current: &mut Arc<OffThread<FutureProducer>>) -> bool {
        match (self.make)(&self.settings) {
            Ok(producer) => {
                *current = Arc::new(OffThread::new(producer));
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot create a producer; keeping the old one");
                false
            }
        }
    }

    /// Flushes what the producer holds for at most `within`, then drops it (on shutdown).
    pub async fn close(self, within: Duration) -> bool {
        let current = self
            .current
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        match Arc::try_unwrap(current) {
            Ok(producer) => producer.close(within, move |p| drop(p.flush(within))).await,
            Err(_) => false, // still in use elsewhere: dropped off-thread by its last user
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Arc<OffThread<FutureProducer>>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
