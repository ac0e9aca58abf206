use axum::extract::{FromRequestParts, State};
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use events::{CheckoutSubmitted, OrderLine};
use http_kit::Problem;
use http_kit::auth::Caller;
use http_kit::extract::{Json, Path};
use http_kit::openapi::AuthProblems;
use http_kit::problem::ProblemDetails;
use outbox::TraceContext;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::cart::pricing;
use crate::checkouts::idempotency::{self, Claim, Scope, StoredResponse};
use crate::checkouts::store::{self as checkouts, InsertError, NewCheckout};
use crate::domain::{CardToken, CheckoutStatus, IdempotencyKey};
use crate::error::Result;
use crate::sessions::routes::SessionRef;
use crate::state::AppState;

const ROUTE: &str = "POST /v1/checkouts";
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Body of `POST /v1/checkouts`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckoutRequest {
    pub payment: PaymentInput,
}

/// How the customer pays.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentInput {
    /// A provider card token, e.g. `tok_visa`.
    #[schema(pattern = r"^tok_[A-Za-z0-9_]{1,60}$", example = "tok_visa")]
    pub card_token: String,
}

/// A checkout was accepted and will be processed asynchronously.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckoutAccepted {
    pub checkout_id: Uuid,
    /// `PENDING`.
    pub status: String,
}

/// A checkout and where its saga stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutView {
    pub checkout_id: Uuid,
    /// `PENDING`, `COMPLETED` or `FAILED`.
    pub status: String,
    pub order_id: Option<Uuid>,
    /// `declined`, `cancelled` or `timeout` when FAILED.
    pub failure_reason: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The `Idempotency-Key` header, required and well-formed.
#[derive(Debug)]
pub struct IdempotencyKeyHeader(IdempotencyKey);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKeyHeader {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(IDEMPOTENCY_KEY).ok_or_else(|| {
            Problem::bad_request(
                "idempotency_key_required",
                "send an `Idempotency-Key` header (a UUID is a good key)",
            )
            .field("Idempotency-Key")
        })?;
        value
            .to_str()
            .map_err(|e| e.to_string())
            .and_then(IdempotencyKey::parse)
            .map(IdempotencyKeyHeader)
            .map_err(|e| {
                Problem::bad_request("invalid_idempotency_key", e).field("Idempotency-Key")
            })
    }
}

/// Submits the session's cart. In one transaction: the idempotency key, the PENDING checkout
/// and its `checkout.submitted` event; the saga goes on asynchronously.
#[utoipa::path(post, path = "/v1/checkouts", operation_id = "create_checkout", tag = "checkouts", security(("bearer" = [])),
    params(
        ("Idempotency-Key" = String, Header, description = "Unique per intended checkout; a retry with the same key and body replays the response",
            pattern = r"^[A-Za-z0-9._:-]{1,128}$"),
        ("X-Session-Id" = Uuid, Header, description = "Session id (or the session_id cookie)"),
    ),
    request_body = CheckoutRequest,
    responses(
        (status = 202, description = "Accepted; poll the Location", body = CheckoutAccepted,
            headers(("Location" = String, description = "URL of the checkout"))),
        (status = 400, description = "Malformed request or missing Idempotency-Key", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The session belongs to another customer", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Session unknown or expired", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "This cart version was already checked out", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Empty cart, bad card token, or key reused with another body", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    SessionRef(session): SessionRef,
    Json(body): Json<CheckoutRequest>,
) -> Result<Response> {
    let card_token = CardToken::parse(&body.payment.card_token)
        .map_err(|e| Problem::unprocessable("invalid_card_token", e).field("payment.card_token"))?;
    let scope = Scope {
        customer_id: &caller.customer_id,
        route: ROUTE,
        key: key.as_str(),
    };
    let fingerprint = fingerprint(session, &body);
    let checkout_id = Uuid::now_v7();
    let location = format!("/v1/checkouts/{checkout_id}");
    let accepted = serde_json::to_value(CheckoutAccepted {
        checkout_id,
        status: CheckoutStatus::Pending.as_str().to_owned(),
    })
    .map_err(|_| Problem::internal())?;
    let response = idempotency::Response {
        status: StatusCode::ACCEPTED.as_u16(),
        body: &accepted,
        location: Some(&location),
    };

    // The cart is read from Redis while Postgres claims the key: one round trip's wait, not
    // two. A claimed key wins over whatever the cart read found (a replay after the session
    // expired still replays).
    let claimed = async {
        let mut tx = state.db.begin().await?;
        let claim = idempotency::claim(&mut tx, scope, &fingerprint, response).await?;
        Ok::<_, sqlx::Error>((tx, claim))
    };
    let (cart, claimed) = tokio::join!(state.sessions.cart(session, Some(&caller)), claimed);
    let (mut tx, claim) = claimed?;
    if let Claim::Existing(stored) = claim {
        return replay(stored, &fingerprint);
    }
    let cart = cart?;
    let priced = pricing::price(&mut *tx, &cart).await?;
    let Some(total) = priced.total else {
        return Err(Problem::unprocessable(
            "cart_empty",
            "the cart is empty; add items before checking out",
        )
        .into());
    };
    let created_at = checkouts::insert(
        &mut tx,
        &NewCheckout {
            id: checkout_id,
            customer_id: &caller.customer_id,
            session_id: session,
            cart_version: cart.version,
            lines: &priced.lines,
            total: &total,
            card_token: card_token.as_str(),
        },
    )
    .await?;
    let event = CheckoutSubmitted {
        checkout_id,
        customer_id: caller.customer_id.clone(),
        lines: priced.lines,
        total_minor: total.amount_minor(),
        currency: total.currency().to_owned(),
        submitted_at: created_at,
    };
    outbox::enqueue(&mut tx, checkout_id, &event, &TraceContext::current()).await?;
    tx.commit().await?;
    tracing::info!(%checkout_id, cart_version = cart.version, "checkout submitted");
    Ok(respond(
        StatusCode::ACCEPTED,
        accepted,
        Some(&location),
        false,
    ))
}

/// Shows a checkout; only its customer (or an admin) may see it.
#[utoipa::path(get, path = "/v1/checkouts/{id}", operation_id = "get_checkout", tag = "checkouts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Checkout id")),
    responses(
        (status = 200, description = "The checkout", body = CheckoutView),
        (status = 400, description = "The id is not a UUID", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such checkout for this customer", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<CheckoutView>> {
    let checkout = checkouts::find(&state.db, id)
        .await?
        .filter(|c| caller.may_see(&c.customer_id))
        .ok_or_else(|| Problem::not_found("checkout_not_found", format!("no checkout {id}")))?;
    Ok(Json(CheckoutView {
        checkout_id: checkout.id,
        status: checkout.status.as_str().to_owned(),
        order_id: checkout.order_id,
        failure_reason: checkout.failure_reason,
        lines: checkout.lines.0,
        total_minor: checkout.total_minor,
        currency: checkout.currency,
        created_at: checkout.created_at,
        updated_at: checkout.updated_at,
    }))
}

/// What makes two requests "the same": the session and the body.
fn fingerprint(session: Uuid, body: &CheckoutRequest) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(session.as_bytes());
    hasher.update(serde_json::to_vec(body).unwrap_or_default());
    hasher.finalize().to_vec()
}

fn replay(stored: StoredResponse, fingerprint: &[u8]) -> Result<Response> {
    if stored.request_hash != fingerprint {
        return Err(Problem::unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request; use a new key",
        )
        .field("Idempotency-Key")
        .into());
    }
    let (Some(status), Some(body)) = (stored.response_status, stored.response_body) else {
        return Err(Problem::conflict(
            "request_in_progress",
            "a request with this key is still in progress",
        )
        .into());
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    Ok(respond(
        status,
        body,
        stored.response_location.as_deref(),
        true,
    ))
}

fn respond(
    status: StatusCode,
    body: serde_json::Value,
    location: Option<&str>,
    replayed: bool,
) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    if let Some(value) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        headers.insert(LOCATION, value);
    }
    if replayed {
        headers.insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

impl From<InsertError> for http_kit::Error {
    fn from(error: InsertError) -> Self {
        match error {
            InsertError::CartAlreadyCheckedOut => Problem::conflict(
                "cart_already_checked_out",
                "this version of the cart was already checked out; change the cart to check out again",
            )
            .into(),
            InsertError::Database(e) => e.into(),
        }
    }
}
