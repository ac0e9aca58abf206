//! Bearer JWT authentication: HS256 with a shared secret (`make up`, the tests), or RS256 and
//! ES256 tokens of an identity provider, verified with the keys of its JWKS document (issuer
//! and audience checked, clock skew bounded). `sub` is the customer id; the `admin` role (in
//! the `roles` claim) unlocks operator endpoints and lets a caller see every customer's
//! resources.

mod jwks;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

pub use jwks::{ACCEPTED, Jwks};

use crate::Problem;

/// The role that may see all customers' data and operate the dead-letter tools.
pub const ADMIN_ROLE: &str = "admin";
const MAX_SUBJECT_LEN: usize = 128;

/// The claims orderflow reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    #[serde(default)]
    pub iat: u64,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// How a service verifies tokens (`AUTH_*` settings).
#[derive(Debug, Clone)]
pub enum AuthSettings {
    /// HS256 with `AUTH_JWT_SECRET`.
    Shared(SecretString),
    /// RS256 or ES256 tokens of the provider whose keys `AUTH_JWKS_URL` serves.
    Provider {
        jwks_url: String,
        issuer: String,
        audience: String,
        /// How far `exp` and `nbf` may be off (`AUTH_CLOCK_SKEW`).
        leeway: Duration,
        /// At most one fetch of the keys per this interval (`AUTH_JWKS_REFRESH_MIN_INTERVAL`).
        refresh_min_interval: Duration,
    },
}

/// Keys to verify tokens (and, with a shared secret, to sign them), built once at start.
#[derive(Clone)]
pub struct JwtKeys(Arc<Keys>);

enum Keys {
    Shared {
        encoding: EncodingKey,
        decoding: DecodingKey,
        validation: Validation,
    },
    Provider {
        jwks: Jwks,
        issuer: String,
        audience: String,
        leeway: Duration,
    },
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys([redacted])")
    }
}

/// Why a token was not accepted.
enum Rejected {
    Problem(Problem),
    /// Signed by a key the cached JWKS does not have (yet).
    UnknownKey,
}

impl From<Problem> for Rejected {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

fn invalid(detail: &str) -> Problem {
    Problem::unauthorized("invalid_token", detail)
}

impl JwtKeys {
    pub fn new(settings: &AuthSettings) -> Self {
        match settings {
            AuthSettings::Shared(secret) => Self::hs256(secret),
            AuthSettings::Provider {
                jwks_url,
                issuer,
                audience,
                leeway,
                refresh_min_interval,
            } => Self(Arc::new(Keys::Provider {
                jwks: Jwks::new(jwks_url, *refresh_min_interval),
                issuer: issuer.clone(),
                audience: audience.clone(),
                leeway: *leeway,
            })),
        }
    }

    pub fn hs256(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self(Arc::new(Keys::Shared {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
        }))
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

    /// Signs arbitrary claims (tests use it for expired tokens). Only keys built from a
    /// shared secret sign: with a provider, tokens come from the provider.
    pub fn sign(&self, claims: &Claims) -> String {
        let Keys::Shared { encoding, .. } = self.0.as_ref() else {
            panic!("a service that verifies a provider's tokens signs none itself");
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// Verifies a token with the keys at hand: signature, algorithm, expiry (and with a
    /// provider its issuer and audience), and that `sub` is a usable customer id. A token of
    /// a provider's key not cached yet is refused: [`JwtKeys::authenticate`] fetches it.
    pub fn verify(&self, token: &str) -> Result<Caller, Problem> {
        self.check(token).map_err(|rejected| match rejected {
            Rejected::Problem(problem) => problem,
            Rejected::UnknownKey => {
                invalid("the token is signed by a key this service does not know")
            }
        })
    }

    /// [`JwtKeys::verify`], after fetching the provider's keys again when they are stale or
    /// the token names a key they lack (at most once per `AUTH_JWKS_REFRESH_MIN_INTERVAL`).
    pub async fn authenticate(&self, token: &str) -> Result<Caller, Problem> {
        if let Keys::Provider { jwks, .. } = self.0.as_ref() {
            if jwks.stale() {
                jwks.refresh().await;
            }
            if matches!(self.check(token), Err(Rejected::UnknownKey)) {
                jwks.refresh().await;
            }
        }
        self.verify(token)
    }

    fn check(&self, token: &str) -> Result<Caller, Rejected> {
        let claims = match self.0.as_ref() {
            Keys::Shared {
                decoding,
                validation,
                ..
            } => decode(token, decoding, validation)?,
            Keys::Provider {
                jwks,
                issuer,
                audience,
                leeway,
            } => {
                let header = jsonwebtoken::decode_header(token)
                    .map_err(|_| invalid("the bearer token is not valid"))?;
                // `none`, HS256 and anything else not asymmetric is refused before any key is
                // looked at: an HS256 token "signed" with a public key proves nothing.
                if !ACCEPTED.contains(&header.alg) {
                    return Err(
                        invalid("the token's algorithm is not accepted (RS256 or ES256)").into(),
                    );
                }
                let kid = header
                    .kid
                    .ok_or_else(|| invalid("the token names no key (`kid`)"))?;
                let (algorithm, key) = jwks.key(&kid).ok_or(Rejected::UnknownKey)?;
                if algorithm != header.alg {
                    return Err(invalid("the token's algorithm is not its key's").into());
                }
                let mut validation = Validation::new(algorithm);
                validation.leeway = leeway.as_secs();
                validation.validate_nbf = true;
                validation.set_issuer(&[issuer]);
                validation.set_audience(&[audience]);
                validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
                decode(token, &key, &validation)?
            }
        };
        let sub = claims.sub;
        if sub.is_empty() || sub.len() > MAX_SUBJECT_LEN || sub.chars().any(char::is_control) {
            return Err(invalid("the token's subject is not a valid customer id").into());
        }
        Ok(Caller {
            is_admin: claims.roles.iter().any(|r| r == ADMIN_ROLE),
            customer_id: sub,
        })
    }
}

fn decode(token: &str, key: &DecodingKey, validation: &Validation) -> Result<Claims, Problem> {
    use jsonwebtoken::errors::ErrorKind;
    jsonwebtoken::decode::<Claims>(token, key, validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => {
                Problem::unauthorized("token_expired", "the bearer token has expired")
            }
            ErrorKind::ImmatureSignature => invalid("the bearer token is not valid yet"),
            ErrorKind::InvalidIssuer => invalid("the token is not from the accepted issuer"),
            ErrorKind::InvalidAudience => invalid("the token is not for this audience"),
            _ => invalid("the bearer token is not valid"),
        })
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
            Some(token) => JwtKeys::from_ref(state).authenticate(token).await,
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
            Some(token) => JwtKeys::from_ref(state).authenticate(token).await.map(Some),
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
