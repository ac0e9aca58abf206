//! Carts, one per session, in Redis beside it (`<prefix>:cart:{<id>}`: `version` and one
//! `item:<SKU>` field per line). Every operation is one Lua script that first checks the
//! session ([`crate::sessions`]); `version` only grows, so (session, version) names one exact
//! cart content for ever.

use std::collections::BTreeMap;

use http_kit::auth::Caller;
use redis::Script;
use uuid::Uuid;

use crate::domain::{Quantity, Sku};
use crate::sessions::SessionStore;

/// Most distinct SKUs one cart may hold.
pub const MAX_CART_LINES: usize = 50;

/// Why a cart operation was refused; the routes answer each with its problem.
#[derive(Debug, thiserror::Error)]
pub enum CartError {
    #[error("the session does not exist or has expired")]
    NoSession,
    #[error("the session belongs to a customer and no token was sent")]
    TokenRequired,
    #[error("the session belongs to another customer")]
    OtherCustomer,
    #[error("the cart already holds {MAX_CART_LINES} different SKUs")]
    Full,
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

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
pub(crate) struct CartScripts {
    get: Script,
    set_item: Script,
    remove_item: Script,
    clear: Script,
    empty_if_version: Script,
}

impl CartScripts {
    /// `guarded` prefixes a script with the session check.
    pub(crate) fn new(guarded: impl Fn(&str) -> Script) -> Self {
        Self {
            get: guarded(GET),
            set_item: guarded(SET_ITEM),
            remove_item: guarded(REMOVE_ITEM),
            clear: guarded(CLEAR),
            empty_if_version: Script::new(EMPTY_IF_VERSION),
        }
    }
}

impl SessionStore {
    /// Reads the cart of `session`, checking (and binding) its owner.
    pub async fn cart(&self, session: Uuid, caller: Option<&Caller>) -> Result<Cart, CartError> {
        self.run(&self.scripts.get, session, caller, &[]).await
    }

    /// Applies `change` to the cart of `session` and returns the new cart.
    pub async fn change(
        &self,
        session: Uuid,
        caller: Option<&Caller>,
        change: &CartChange,
    ) -> Result<Cart, CartError> {
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

    async fn run(
        &self,
        script: &Script,
        session: Uuid,
        caller: Option<&Caller>,
        args: &[String],
    ) -> Result<Cart, CartError> {
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
            1 => Err(CartError::NoSession),
            2 => Err(CartError::TokenRequired),
            3 => Err(CartError::OtherCustomer),
            _ => Err(CartError::Full),
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
