//! Sessions, kept only in Redis with a sliding TTL, so pods hold no state; their carts are in
//! [`crate::cart`].
//!
//! Keys (the `{id}` braces are a Redis Cluster hash tag: a session's keys share a slot):
//! - `<prefix>:session:{<id>}`: hash with `created_at` and, once bound, `customer`;
//! - `<prefix>:cart:{<id>}`: hash with `version` and one `item:<SKU>` field per line.

use std::time::Duration;

use http_kit::auth::Caller;
use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use uuid::Uuid;

use crate::cart::store::CartScripts;

/// The start of every cart script: the session exists and is the caller's (bound on first
/// authenticated use), and both TTLs are refreshed.
const GUARD: &str = r"
local ttl = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return {1, {}} end
local owner = redis.call('HGET', KEYS[1], 'customer')
if owner then
  if ARGV[2] == '' then return {2, {}} end
  if owner ~= ARGV[2] then return {3, {}} end
elseif ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'customer', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ttl)
";

/// The Redis-backed session and cart store.
#[derive(Clone)]
pub struct SessionStore {
    pub(crate) redis: ConnectionManager,
    prefix: String,
    ttl: Duration,
    pub(crate) scripts: std::sync::Arc<CartScripts>,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl SessionStore {
    /// Connects lazily: the service starts while Redis is down and reconnects by itself.
    pub fn new(client: redis::Client, prefix: &str, ttl: Duration) -> redis::RedisResult<Self> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let script = |body: &str| Script::new(&format!("{GUARD}{body}"));
        Ok(Self {
            redis: ConnectionManager::new_lazy_with_config(client, config)?,
            prefix: prefix.to_owned(),
            ttl,
            scripts: std::sync::Arc::new(CartScripts::new(script)),
        })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub(crate) fn session_key(&self, id: Uuid) -> String {
        format!("{}:session:{{{id}}}", self.prefix)
    }

    pub(crate) fn cart_key(&self, id: Uuid) -> String {
        format!("{}:cart:{{{id}}}", self.prefix)
    }

    /// Creates a session, bound at once to `owner` when the caller is authenticated.
    pub async fn create(&self, owner: Option<&Caller>) -> redis::RedisResult<Uuid> {
        let id = Uuid::new_v4(); // random, not time-ordered: the id is a bearer credential
        let key = self.session_key(id);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset(&key, "created_at", chrono::Utc::now().to_rfc3339());
        if let Some(caller) = owner {
            pipe.hset(&key, "customer", &caller.customer_id);
        }
        pipe.expire(&key, self.ttl_secs());
        let mut redis = self.redis.clone();
        let _: () = pipe.query_async(&mut redis).await?;
        Ok(id)
    }

    /// PING, for readiness.
    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut redis = self.redis.clone();
        redis::cmd("PING").query_async(&mut redis).await
    }

    pub(crate) fn ttl_secs(&self) -> i64 {
        i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX).max(1)
    }
}
