//! Verifying keys of an identity provider, from its JWKS document: fetched on first use,
//! fetched again when a token names a key not in it (at most once per
//! `AUTH_JWKS_REFRESH_MIN_INTERVAL`, so tokens with made-up `kid`s cannot turn the service into
//! a flood of requests to the provider), and at least every `REFRESH_EVERY`, so a key the
//! provider withdrew stops being accepted.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// The keys are fetched again after this long, whatever the tokens say.
pub const REFRESH_EVERY: Duration = Duration::from_secs(15 * 60);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The algorithms a provider's key may sign with: RSA and P-256 ECDSA with SHA-256.
pub const ACCEPTED: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// The cached keys of one JWKS URL.
pub struct Jwks {
    url: String,
    /// At most one fetch per this interval.
    min_interval: Duration,
    client: reqwest::Client,
    keys: RwLock<HashMap<String, (Algorithm, DecodingKey)>>,
    fetched: Mutex<Fetches>,
}

#[derive(Default)]
struct Fetches {
    last_attempt: Option<Instant>,
    last_success: Option<Instant>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Jwks {
    pub fn new(url: &str, min_interval: Duration) -> Self {
        Self {
            url: url.to_owned(),
            min_interval,
            client: reqwest::Client::builder()
                .timeout(FETCH_TIMEOUT)
                .build()
                .expect("a client with a timeout builds"),
            keys: RwLock::default(),
            fetched: Mutex::default(),
        }
    }

    /// The key `kid` and the algorithm it signs with, if the cache has it.
    pub fn key(&self, kid: &str) -> Option<(Algorithm, DecodingKey)> {
        self.keys.read().expect("lock").get(kid).cloned()
    }

    /// Whether the cache is older than [`REFRESH_EVERY`] (or was never filled).
    pub fn stale(&self) -> bool {
        let fetched = self.fetched.lock().expect("lock");
        fetched
            .last_success
            .is_none_or(|at| at.elapsed() > REFRESH_EVERY)
    }

    /// Fetches the keys again, unless an attempt was made less than the minimum interval ago;
    /// returns whether it fetched them.
    pub async fn refresh(&self) -> bool {
        {
            let mut fetched = self.fetched.lock().expect("lock");
            if fetched
                .last_attempt
                .is_some_and(|at| at.elapsed() < self.min_interval)
            {
                return false;
            }
            fetched.last_attempt = Some(Instant::now());
        }
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(url = %self.url, keys = keys.len(), "JWKS fetched");
                *self.keys.write().expect("lock") = keys;
                self.fetched.lock().expect("lock").last_success = Some(Instant::now());
                true
            }
            Err(e) => {
                tracing::warn!(url = %self.url, error = %e, "JWKS fetch failed; keeping the keys cached");
                false
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, (Algorithm, DecodingKey)>, String> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("the provider answered {}", response.status()));
        }
        let set: JwkSet = response.json().await.map_err(|e| e.to_string())?;
        Ok(usable(&set))
    }
}

/// The signing keys of `set` orderflow accepts, by `kid`; any other key is left out.
pub fn usable(set: &JwkSet) -> HashMap<String, (Algorithm, DecodingKey)> {
    set.keys
        .iter()
        .filter(|jwk| !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            // The algorithm the key is for: as it says, else what its type implies.
            let algorithm = match (&jwk.common.key_algorithm, &jwk.algorithm) {
                (Some(KeyAlgorithm::RS256), AlgorithmParameters::RSA(_))
                | (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
                (Some(KeyAlgorithm::ES256), AlgorithmParameters::EllipticCurve(ec))
                | (None, AlgorithmParameters::EllipticCurve(ec))
                    if ec.curve == EllipticCurve::P256 =>
                {
                    Algorithm::ES256
                }
                _ => return None,
            };
            Some((kid, (algorithm, DecodingKey::from_jwk(jwk).ok()?)))
        })
        .collect()
}
