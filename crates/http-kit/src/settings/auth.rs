//! `AUTH_*`: a shared HS256 secret, or an identity provider's JWKS with its issuer and audience.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use settings::Env;

use crate::auth::AuthSettings;

/// The most clock skew `AUTH_CLOCK_SKEW` may allow: more would keep expired tokens alive.
const MAX_SKEW: Duration = Duration::from_secs(300);

/// Reads the auth variables; `None` where one was bad (the error is kept in `env`).
pub fn read(env: &mut Env) -> Option<AuthSettings> {
    let jwks_url = env.string("AUTH_JWKS_URL")?;
    let secret = env.string("AUTH_JWT_SECRET").map(SecretString::from)?;
    let issuer = env.string("AUTH_JWT_ISSUER")?;
    let audience = env.string("AUTH_JWT_AUDIENCE")?;
    let leeway = env.duration("AUTH_CLOCK_SKEW")?;
    let refresh_min_interval = env.duration("AUTH_JWKS_REFRESH_MIN_INTERVAL")?;
    let jwks_url = jwks_url.trim();
    if jwks_url.is_empty() {
        return match secret.expose_secret().len() {
            0 => {
                env.invalid(
                    "AUTH_JWT_SECRET",
                    "required but not set (or set AUTH_JWKS_URL to verify an identity provider's tokens)",
                );
                None
            }
            1..32 => {
                env.invalid("AUTH_JWT_SECRET", "must be at least 32 bytes long");
                None
            }
            _ => Some(AuthSettings::Shared(secret)),
        };
    }
    let mut valid = true;
    if !secret.expose_secret().is_empty() {
        env.invalid(
            "AUTH_JWT_SECRET",
            "must be empty when AUTH_JWKS_URL is set: tokens are verified with the provider's keys only",
        );
        valid = false;
    }
    if !secure(jwks_url) {
        env.invalid(
            "AUTH_JWKS_URL",
            &format!(
                "must be an https:// URL (http:// only to a loopback address; got {jwks_url:?})"
            ),
        );
        valid = false;
    }
    for (name, value) in [
        ("AUTH_JWT_ISSUER", &issuer),
        ("AUTH_JWT_AUDIENCE", &audience),
    ] {
        if value.trim().is_empty() {
            env.invalid(name, "required when AUTH_JWKS_URL is set");
            valid = false;
        }
    }
    if leeway > MAX_SKEW {
        env.invalid("AUTH_CLOCK_SKEW", "must be at most 5m");
        valid = false;
    }
    valid.then(|| AuthSettings::Provider {
        jwks_url: jwks_url.to_owned(),
        issuer: issuer.trim().to_owned(),
        audience: audience.trim().to_owned(),
        leeway,
        refresh_min_interval,
    })
}

/// `https://`, or `http://` to this machine (a provider run by a test or on a laptop).
fn secure(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_pairs(pairs: &[(&str, &str)]) -> Result<AuthSettings, String> {
        let mut env = Env::from_pairs(pairs.iter().copied());
        let auth = read(&mut env);
        env.finish().map_err(|e| e.to_string())?;
        Ok(auth.expect("no error recorded"))
    }

    const PROVIDER: [(&str, &str); 3] = [
        (
            "AUTH_JWKS_URL",
            "https://id.example.com/.well-known/jwks.json",
        ),
        ("AUTH_JWT_ISSUER", "https://id.example.com/"),
        ("AUTH_JWT_AUDIENCE", "orderflow"),
    ];

    #[test]
    fn a_secret_alone_is_the_shared_hs256_mode() {
        let auth = read_pairs(&[("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef")]);
        assert!(matches!(auth, Ok(AuthSettings::Shared(_))));
        let none = read_pairs(&[]).expect_err("nothing set");
        assert!(none.contains("AUTH_JWT_SECRET: required"), "{none}");
    }

    #[test]
    fn a_jwks_url_needs_its_issuer_and_audience_and_bounds_the_skew() {
        let Ok(AuthSettings::Provider {
            leeway, audience, ..
        }) = read_pairs(&PROVIDER)
        else {
            panic!("provider mode");
        };
        assert_eq!(
            (leeway, audience.as_str()),
            (Duration::from_secs(30), "orderflow")
        );
        let lacking = read_pairs(&PROVIDER[..1]).expect_err("no issuer, no audience");
        assert!(lacking.contains("AUTH_JWT_ISSUER") && lacking.contains("AUTH_JWT_AUDIENCE"));
        let mut skewed = PROVIDER.to_vec();
        skewed.push(("AUTH_CLOCK_SKEW", "1h"));
        assert!(
            read_pairs(&skewed)
                .expect_err("too much skew")
                .contains("AUTH_CLOCK_SKEW")
        );
    }

    #[test]
    fn the_jwks_url_is_https_unless_it_is_this_machine_and_excludes_a_secret() {
        let with = |url: &str| {
            let mut pairs = PROVIDER.to_vec();
            pairs[0] = ("AUTH_JWKS_URL", url);
            read_pairs(&pairs)
        };
        assert!(with("http://127.0.0.1:4444/jwks.json").is_ok());
        assert!(with("http://localhost/jwks").is_ok());
        let plain = with("http://id.example.com/jwks.json").expect_err("plain http");
        assert!(plain.contains("AUTH_JWKS_URL"));
        assert!(with("http://127.0.0.1.evil.example/jwks").is_err());
        let mut both = PROVIDER.to_vec();
        both.push(("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"));
        let both = read_pairs(&both).expect_err("two ways");
        assert!(both.contains("AUTH_JWT_SECRET") && !both.contains("0123456789abcdef"));
    }
}
