//! librdkafka clients block when they are destroyed while the broker is away (they wait for
//! in-flight requests). Dropping one on an async worker would stall the runtime, and dropping
//! one during shutdown would delay the exit past the grace period.

use std::ops::Deref;
use std::time::Duration;

/// Owns a librdkafka client and drops it on a thread of its own.
#[derive(Debug)]
pub struct OffThread<T: Send + 'static>(Option<T>);

impl<T: Send + 'static> OffThread<T> {
    pub fn new(client: T) -> Self {
        Self(Some(client))
    }

    /// Runs `last` (a final commit or flush) then drops the client, on its own thread, and
    /// waits at most `within` for both: past that the process goes on without them.
    pub async fn close(mut self, within: Duration, last: impl FnOnce(&T) + Send + 'static) -> bool {
        let Some(client) = self.0.take() else {
            return true;
        };
        let (done, finished) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            last(&client);
            drop(client);
            let _ = done.send(());
        });
        tokio::time::timeout(within, finished).await.is_ok()
    }
}

impl<T: Send + 'static> Deref for OffThread<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_ref().expect("present until closed or dropped")
    }
}

impl<T: Send + 'static> Drop for OffThread<T> {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            std::thread::spawn(move || drop(client));
        }
    }
}
