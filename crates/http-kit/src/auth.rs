//! Bearer JWT authentication (HS256). `sub` is the customer id; the `admin` role unlocks
//! operator endpoints and lets a caller see every customer's resources.

use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::Problem;

/// The role that may see all customers' data and operate the dead-letter tools.
pub const ADMIN_ROLE: &str = "admin";
const MAX_SUBJECT_LEN: usize = 128;

/// The claims orderflow reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Keys to sign and verify tokens, built once at start from `AUTH_JWT_SECRET`.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys([redacted])")
    }
}

impl JwtKeys {
    pub fn hs256(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
        }
    }

    /// Signs a token for `customer`, valid for `ttl`: used by `make token` and the tests.
    pub fn issue(&self, customer: &str, admin: bool, ttl: Duration) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        self.sign(&Claims {
            sub: customer.to_owned(),
            iat: now,
            exp: now + ttl.as_secs(),
            roles: if admin {
                vec![ADMIN_ROLE.to_owned()]
            } else {
                vec![]
            },
        })
    }

    /// Signs arbitrary claims (tests use it for expired tokens).
    pub fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// Verifies signature, algorithm and expiry, and that `sub` is a usable customer id.
    pub fn verify(&self, token: &str) -> Result<Caller, Problem> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    Problem::unauthorized("token_expired", "the bearer token has expired")
                }
                _ => Problem::unauthorized("invalid_token", "the bearer token is not valid"),
            })?;
        let sub = data.claims.sub;
        if sub.is_empty() || sub.len() > MAX_SUBJECT_LEN || sub.chars().any(char::is_control) {
            return Err(Problem::unauthorized(
                "invalid_token",
                "the token's subject is not a valid customer id",
            ));
        }
        Ok(Caller {
            is_admin: data.claims.roles.iter().any(|r| r == ADMIN_ROLE),
            customer_id: sub,
        })
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub customer_id: String,
    pub is_admin: bool,
}

impl Caller {
    /// Whether this caller may see a resource owned by `owner`.
    pub fn may_see(&self, owner: &str) -> bool {
        self.is_admin || self.customer_id == owner
    }

    /// The owner to filter lists by: `None` (everyone) for admins.
    pub fn owner_filter(&self) -> Option<&str> {
        (!self.is_admin).then_some(self.customer_id.as_str())
    }
}

/// The token of `Authorization: Bearer <token>`; `None` without the header, a 401 problem
/// when it is not a bearer token.
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, Problem> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || {
        Problem::unauthorized(
            "invalid_authorization_header",
            "expected `Authorization: Bearer <token>`",
        )
    };
    let value = value.to_str().map_err(|_| malformed())?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
            Ok(Some(token.trim()))
        }
        _ => Err(malformed()),
    }
}

impl<S> FromRequestParts<S> for Caller
where
    JwtKeys: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match bearer_token(&parts.headers)? {
            Some(token) => JwtKeys::from_ref(state).verify(token),
            None => Err(Problem::unauthorized(
                "missing_token",
                "this endpoint needs `Authorization: Bearer <token>`",
            )),
        }
    }
}

/// `Option<Caller>`: no `Authorization` header is `None`; a bad one is still a 401.
impl<S> OptionalFromRequestParts<S> for Caller
where
    JwtKeys: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match bearer_token(&parts.headers)? {
            Some(token) => JwtKeys::from_ref(state).verify(token).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::hs256(&SecretString::from(secret.to_owned()))
    }

    #[test]
    fn a_token_issued_with_the_secret_verifies_as_its_customer() {
        let keys = keys("a-dev-secret-that-is-long-enough-for-hs256");
        let token = keys.issue("alice", false, Duration::from_secs(60));
        let caller = keys.verify(&token).expect("valid token");
        assert_eq!(caller.customer_id, "alice");
        assert!(!caller.is_admin);
    }

    #[test]
    fn the_admin_role_is_read_from_the_token() {
        let keys = keys("a-dev-secret-that-is-long-enough-for-hs256");
        let token = keys.issue("ops", true, Duration::from_secs(60));
        assert!(keys.verify(&token).expect("valid token").is_admin);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_rejected() {
        let token = keys("one-secret-that-is-long-enough-for-hs256").issue(
            "alice",
            false,
            Duration::from_secs(60),
        );
        let problem = keys("another-secret-long-enough-for-hs256-xx")
            .verify(&token)
            .expect_err("must fail");
        assert_eq!(problem.code, "invalid_token");
    }

    #[test]
    fn an_expired_token_is_rejected_as_expired() {
        let keys = keys("a-dev-secret-that-is-long-enough-for-hs256");
        let now = jsonwebtoken::get_current_timestamp();
        let token = keys.sign(&Claims {
            sub: "alice".into(),
            iat: now - 120,
            exp: now - 60,
            roles: vec![],
        });
        assert_eq!(
            keys.verify(&token).expect_err("must fail").code,
            "token_expired"
        );
    }

    #[test]
    fn an_admin_sees_everything_and_a_customer_only_its_own() {
        let alice = Caller {
            customer_id: "alice".into(),
            is_admin: false,
        };
        let admin = Caller {
            customer_id: "ops".into(),
            is_admin: true,
        };
        assert!(alice.may_see("alice") && !alice.may_see("bob"));
        assert!(admin.may_see("bob"));
        assert_eq!(alice.owner_filter(), Some("alice"));
        assert_eq!(admin.owner_filter(), None);
    }
}
