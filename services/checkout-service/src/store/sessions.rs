//! Sessions and carts, kept only in Redis with a sliding TTL, so pods hold no state.
//!
//! Keys (the `{id}` braces are a Redis Cluster hash tag: a session's keys share a slot):
//! - `<prefix>:session:{<id>}`: hash with `created_at` and, once bound, `customer`;
//! - `<prefix>:cart:{<id>}`: hash with `version` and one `item:<SKU>` field per line.
//!
//! Every cart operation is one Lua script: it checks the session exists and belongs to the
//! caller (binding it on first authenticated use), refreshes both TTLs, then acts.
//! `version` only grows, so (session, version) names one exact cart content for ever.

use std::collections::BTreeMap;
use std::time::Duration;

use http_kit::Problem;
use http_kit::auth::Caller;
use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use uuid::Uuid;

use crate::domain::{Quantity, Sku};
use crate::error::Result;

/// Most distinct SKUs one cart may hold.
pub const MAX_CART_LINES: usize = 50;

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

const GET: &str = r"
redis.call('EXPIRE', KEYS[2], ttl)
return {0, redis.call('HGETALL', KEYS[2])}
";

const SET_ITEM: &str = r"
local field = 'item:' .. ARGV[3]
if redis.call('HEXISTS', KEYS[2], field) == 0 then
  local lines = redis.call('HLEN', KEYS[2]) - redis.call('HEXISTS', KEYS[2], 'version')
  if lines >= tonumber(ARGV[5]) then return {4, {}} end
end
redis.call('HSET', KEYS[2], field, ARGV[4])
redis.call('HINCRBY', KEYS[2], 'version', 1)
redis.call('EXPIRE', KEYS[2], ttl)
return {0, redis.call('HGETALL', KEYS[2])}
";

const REMOVE_ITEM: &str = r"
if redis.call('HDEL', KEYS[2], 'item:' .. ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'version', 1)
end
redis.call('EXPIRE', KEYS[2], ttl)
return {0, redis.call('HGETALL', KEYS[2])}
";

const CLEAR: &str = r"
local version = redis.call('HINCRBY', KEYS[2], 'version', 1)
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'version', version)
redis.call('EXPIRE', KEYS[2], ttl)
return {0, redis.call('HGETALL', KEYS[2])}
";

/// Empties the cart only if it is still at `version` (the TTL is kept).
const EMPTY_IF_VERSION: &str = r"
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', version)
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
";

/// A cart as stored: its version and quantity per SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cart {
    pub version: i64,
    pub items: BTreeMap<String, u32>,
}

/// A change to a cart.
#[derive(Debug, Clone)]
pub enum CartChange {
    Set(Sku, Quantity),
    Remove(Sku),
    Clear,
}

#[derive(Debug, Clone)]
struct Scripts {
    get: Script,
    set_item: Script,
    remove_item: Script,
    clear: Script,
    empty_if_version: Script,
}

/// The Redis-backed session and cart store.
#[derive(Clone)]
pub struct SessionStore {
    redis: ConnectionManager,
    prefix: String,
    ttl: Duration,
    scripts: std::sync::Arc<Scripts>,
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
            scripts: std::sync::Arc::new(Scripts {
                get: script(GET),
                set_item: script(SET_ITEM),
                remove_item: script(REMOVE_ITEM),
                clear: script(CLEAR),
                empty_if_version: Script::new(EMPTY_IF_VERSION),
            }),
        })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn session_key(&self, id: Uuid) -> String {
        format!("{}:session:{{{id}}}", self.prefix)
    }

    fn cart_key(&self, id: Uuid) -> String {
        format!("{}:cart:{{{id}}}", self.prefix)
    }

    /// Creates a session, bound at once to `owner` when the caller is authenticated.
    pub async fn create(&self, owner: Option<&Caller>) -> Result<Uuid> {
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

    /// Reads the cart of `session`, checking (and binding) its owner.
    pub async fn cart(&self, session: Uuid, caller: Option<&Caller>) -> Result<Cart> {
        self.run(&self.scripts.get, session, caller, &[]).await
    }

    /// Applies `change` to the cart of `session` and returns the new cart.
    pub async fn change(
        &self,
        session: Uuid,
        caller: Option<&Caller>,
        change: &CartChange,
    ) -> Result<Cart> {
        match change {
            CartChange::Set(sku, quantity) => {
                let args = [
                    sku.to_string(),
                    quantity.get().to_string(),
                    MAX_CART_LINES.to_string(),
                ];
                self.run(&self.scripts.set_item, session, caller, &args)
                    .await
            }
            CartChange::Remove(sku) => {
                self.run(
                    &self.scripts.remove_item,
                    session,
                    caller,
                    &[sku.to_string()],
                )
                .await
            }
            CartChange::Clear => self.run(&self.scripts.clear, session, caller, &[]).await,
        }
    }

    /// Compare-and-delete: empties the cart of `session` if it is still at `version`, so items
    /// added after the checkout survive. `true` when it was emptied.
    pub async fn empty_cart_if_version(
        &self,
        session: Uuid,
        version: i64,
    ) -> redis::RedisResult<bool> {
        let mut redis = self.redis.clone();
        let emptied: i64 = self
            .scripts
            .empty_if_version
            .key(self.cart_key(session))
            .arg(version)
            .invoke_async(&mut redis)
            .await?;
        Ok(emptied == 1)
    }

    /// PING, for readiness.
    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut redis = self.redis.clone();
        redis::cmd("PING").query_async(&mut redis).await
    }

    fn ttl_secs(&self) -> i64 {
        i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX).max(1)
    }

    async fn run(
        &self,
        script: &Script,
        session: Uuid,
        caller: Option<&Caller>,
        args: &[String],
    ) -> Result<Cart> {
        let mut invocation = script.key(self.session_key(session));
        invocation
            .key(self.cart_key(session))
            .arg(self.ttl_secs())
            .arg(caller.map_or("", |c| c.customer_id.as_str()));
        for arg in args {
            invocation.arg(arg);
        }
        let mut redis = self.redis.clone();
        let (status, fields): (i64, Vec<(String, String)>) =
            invocation.invoke_async(&mut redis).await?;
        match status {
            0 => Ok(parse_cart(fields)),
            1 => Err(Problem::not_found(
                "session_not_found",
                "the session does not exist or has expired; create one with POST /v1/sessions",
            )
            .into()),
            2 => Err(Problem::unauthorized(
                "missing_token",
                "this session belongs to a customer: send that customer's bearer token",
            )
            .into()),
            3 => Err(Problem::forbidden(
                "session_of_another_customer",
                "this session belongs to another customer",
            )
            .into()),
            _ => Err(Problem::unprocessable(
                "cart_full",
                format!("a cart holds at most {MAX_CART_LINES} different SKUs"),
            )
            .field("sku")
            .into()),
        }
    }
}

fn parse_cart(fields: Vec<(String, String)>) -> Cart {
    let mut cart = Cart::default();
    for (field, value) in fields {
        if field == "version" {
            cart.version = value.parse().unwrap_or_default();
        } else if let Some(sku) = field.strip_prefix("item:") {
            cart.items
                .insert(sku.to_owned(), value.parse().unwrap_or_default());
        }
    }
    cart
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_cart_is_read_back_field_by_field() {
        let cart = parse_cart(vec![
            ("version".into(), "3".into()),
            ("item:KB-001".into(), "2".into()),
            ("item:MS-002".into(), "1".into()),
        ]);
        assert_eq!(cart.version, 3);
        assert_eq!(cart.items.get("KB-001"), Some(&2));
        assert_eq!(cart.items.len(), 2);
    }
}
