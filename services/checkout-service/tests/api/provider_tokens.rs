//! Tokens of an identity provider (`AUTH_JWKS_URL`), as production runs it: a provider the
//! test runs serves the JWKS; RS256 and ES256 tokens are accepted with their issuer and
//! audience, keys rotate, and every forgery (an unknown key, `alg: none`, HS256, another
//! issuer or audience, an expired token) is a 401 problem.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use test_support::jwks::{self, Provider, SigningKey};

use crate::helpers::{Deps, TestApp, spawn_app_with};

const QUICK_REFRESH: Duration = Duration::from_millis(300);

async fn app_trusting(provider: &Provider, min_interval: Duration) -> TestApp {
    let settings = provider.settings(min_interval);
    let overrides: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let deps = Deps {
        database_url: test_support::fresh_database().await,
        redis_url: test_support::redis_url(),
    };
    spawn_app_with(deps, &overrides).await
}

/// Status and problem `code` of an admin-only request with `token`.
async fn admin_call(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url("/v1/admin/faults"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn rejected_as(app: &TestApp, token: &str) -> String {
    let (status, problem) = admin_call(app, token).await;
    assert_eq!(status, 401, "{problem}");
    problem["code"].as_str().expect("a problem code").to_owned()
}

#[tokio::test]
async fn rs256_and_es256_tokens_of_the_provider_are_accepted_with_their_roles() {
    let (rsa, ec) = (SigningKey::rsa("rsa-1", 'a'), SigningKey::ec("ec-1"));
    let provider = Provider::start(&[&rsa, &ec]).await;
    let app = app_trusting(&provider, QUICK_REFRESH).await;

    assert_eq!(admin_call(&app, &rsa.token("ops", &["admin"])).await.0, 200);
    assert_eq!(admin_call(&app, &ec.token("ops", &["admin"])).await.0, 200);
    let (status, problem) = admin_call(&app, &rsa.token("alice", &[])).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("admin_required")),
        "{problem}"
    );
    // The customer is the token's subject.
    let session = app
        .client
        .post(app.url("/v1/sessions"))
        .bearer_auth(ec.token("alice", &[]))
        .send()
        .await
        .expect("request");
    assert_eq!(session.status(), 201);
    assert_eq!(
        provider.fetches(),
        1,
        "the keys are fetched once and cached"
    );
}

#[tokio::test]
async fn a_rotated_in_key_is_fetched_on_its_first_token_and_a_dropped_one_stops_working() {
    let (old, new) = (
        SigningKey::rsa("2026-11", 'a'),
        SigningKey::rsa("2026-12", 'b'),
    );
    let provider = Provider::start(&[&old]).await;
    let app = app_trusting(&provider, QUICK_REFRESH).await;
    assert_eq!(admin_call(&app, &old.token("ops", &["admin"])).await.0, 200);

    // The provider rotates: the new key alone is published.
    provider.publish(&[&new]);
    tokio::time::sleep(QUICK_REFRESH).await;
    assert_eq!(admin_call(&app, &new.token("ops", &["admin"])).await.0, 200);
    assert_eq!(provider.fetches(), 2, "the unknown kid made one fetch");
    assert_eq!(
        rejected_as(&app, &old.token("ops", &["admin"])).await,
        "invalid_token"
    );
}

#[tokio::test]
async fn tokens_of_unknown_keys_are_refused_and_fetch_the_keys_at_most_once_per_interval() {
    let known = SigningKey::rsa("known", 'a');
    let stranger = SigningKey::rsa("stranger", 'b');
    let provider = Provider::start(&[&known]).await;
    let app = app_trusting(&provider, Duration::from_secs(60)).await;
    assert_eq!(
        admin_call(&app, &known.token("ops", &["admin"])).await.0,
        200
    );

    for _ in 0..20 {
        assert_eq!(
            rejected_as(&app, &stranger.token("ops", &["admin"])).await,
            "invalid_token"
        );
    }
    // A key of another provider with a kid this one uses proves nothing either.
    let impostor = SigningKey::rsa("known", 'b');
    assert_eq!(
        rejected_as(&app, &impostor.token("ops", &["admin"])).await,
        "invalid_token"
    );
    assert_eq!(
        provider.fetches(),
        1,
        "made-up kids cause no fetch within the interval"
    );
}

#[tokio::test]
async fn alg_none_hs256_and_tokens_for_someone_else_are_refused() {
    let key = SigningKey::rsa("k", 'a');
    let provider = Provider::start(&[&key]).await;
    let app = app_trusting(&provider, QUICK_REFRESH).await;
    let claims = jwks::claims("ops", &["admin"], 600);

    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": "k"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    assert_eq!(rejected_as(&app, &unsigned).await, "invalid_token");
    // HS256 "signed" with the provider's public key, the classic confusion, and with the
    // dev secret of `make up`.
    let public = serde_json::to_vec(&key.jwk()).expect("json");
    for secret in [public.as_slice(), crate::helpers::SECRET.as_bytes()] {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("k".to_owned());
        let hs256 = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .expect("sign");
        assert_eq!(rejected_as(&app, &hs256).await, "invalid_token");
    }
    for (claim, value) in [("iss", "https://another.example/"), ("aud", "another-api")] {
        let mut forged = claims.clone();
        forged[claim] = json!(value);
        assert_eq!(
            rejected_as(&app, &key.sign(&forged)).await,
            "invalid_token",
            "{claim}"
        );
    }
    // Expired beyond the allowed skew (30 s) is expired; within it, still accepted.
    let expired = key.sign(&jwks::claims("ops", &["admin"], -120));
    assert_eq!(rejected_as(&app, &expired).await, "token_expired");
    let just_expired = key.sign(&jwks::claims("ops", &["admin"], -10));
    assert_eq!(admin_call(&app, &just_expired).await.0, 200);
}
