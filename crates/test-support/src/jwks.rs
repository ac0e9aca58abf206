//! An identity provider in the test: it serves a JWKS document on loopback, which the test
//! can change (key rotation), counts how often it is fetched, and signs tokens with its keys.
//! The private keys under `fixtures/jwks/` are test keys made for this, and nothing else.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// The issuer every token of a [`Provider`] carries (unless a test says otherwise).
pub const ISSUER: &str = "https://id.orderflow.test/";
/// The audience the services under test are configured with.
pub const AUDIENCE: &str = "orderflow";

/// A signing key of the provider.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub algorithm: Algorithm,
    encoding: EncodingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// RS256 with the first (`a`) or second (`b`) RSA test key.
    pub fn rsa(kid: &str, which: char) -> Self {
        let pem = match which {
            'a' => include_str!("../fixtures/jwks/rsa-a.pem"),
            _ => include_str!("../fixtures/jwks/rsa-b.pem"),
        };
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).expect("the RSA test key"),
        }
    }

    /// ES256 with the P-256 test key.
    pub fn ec(kid: &str) -> Self {
        let pem = include_str!("../fixtures/jwks/ec-a.pem");
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::ES256,
            encoding: EncodingKey::from_ec_pem(pem.as_bytes()).expect("the EC test key"),
        }
    }

    /// Its public half as a JWK.
    pub fn jwk(&self) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.algorithm).expect("a JWK");
        jwk.common.key_id = Some(self.kid.clone());
        jwk
    }

    /// Signs `claims` with this key, its `kid` in the header.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signing")
    }

    /// A token for `customer` from [`ISSUER`] to [`AUDIENCE`], valid for ten minutes.
    pub fn token(&self, customer: &str, roles: &[&str]) -> String {
        self.sign(&claims(customer, roles, 600))
    }
}

/// The claims of a token for `customer` that expires `expires_in` seconds from now (negative:
/// in the past).
pub fn claims(customer: &str, roles: &[&str], expires_in: i64) -> Value {
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).expect("a sane clock");
    json!({
        "sub": customer,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + expires_in,
        "roles": roles,
    })
}

/// The provider's JWKS endpoint, serving until dropped.
#[derive(Debug)]
pub struct Provider {
    /// What `AUTH_JWKS_URL` is set to.
    pub jwks_url: String,
    keys: Arc<Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
    stop: CancellationToken,
}

impl Provider {
    /// Serves the public halves of `keys`.
    pub async fn start(keys: &[&SigningKey]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the provider");
        let port = listener.local_addr().expect("address").port();
        let provider = Self {
            jwks_url: format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
            keys: Arc::new(Mutex::new(JwkSet { keys: Vec::new() })),
            fetches: Arc::default(),
            stop: CancellationToken::new(),
        };
        provider.publish(keys);
        let (set, fetches) = (provider.keys.clone(), provider.fetches.clone());
        let app = axum::Router::new().route(
            "/.well-known/jwks.json",
            axum::routing::get(move || {
                let (set, fetches) = (set.clone(), fetches.clone());
                async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    axum::Json(set.lock().expect("lock").clone())
                }
            }),
        );
        crate::serve_until(listener, app, &provider.stop);
        provider
    }

    /// Serves these keys from now on (a rotation adds one and later drops the old).
    pub fn publish(&self, keys: &[&SigningKey]) {
        self.keys.lock().expect("lock").keys = keys.iter().map(|k| k.jwk()).collect();
    }

    /// How often the JWKS has been fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// The settings of a service that accepts this provider's tokens, fetching its keys at
    /// most every `min_interval`.
    pub fn settings(&self, min_interval: Duration) -> Vec<(&'static str, String)> {
        vec![
            ("AUTH_JWT_SECRET", String::new()),
            ("AUTH_JWKS_URL", self.jwks_url.clone()),
            ("AUTH_JWT_ISSUER", ISSUER.to_owned()),
            ("AUTH_JWT_AUDIENCE", AUDIENCE.to_owned()),
            (
                "AUTH_JWKS_REFRESH_MIN_INTERVAL",
                format!("{}ms", min_interval.as_millis()),
            ),
        ]
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
