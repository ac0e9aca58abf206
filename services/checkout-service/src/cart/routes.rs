use axum::extract::State;
use http_kit::Problem;
use http_kit::auth::Caller;
use http_kit::extract::{Json, Path};
use http_kit::openapi::AuthProblems;
use http_kit::problem::ProblemDetails;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::cart::pricing::{self, PricedCart, PricingError};
use crate::cart::{Cart, CartChange, CartError, MAX_CART_LINES};
use crate::catalog::store as catalog;
use crate::domain::{Money, MoneyError, Quantity, Sku};
use crate::error::Result;
use crate::sessions::routes::SessionRef;
use crate::state::AppState;

/// A cart, priced from the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartView {
    pub session_id: Uuid,
    /// Grows with every change; a checkout is of one exact version.
    pub version: i64,
    pub items: Vec<CartLineView>,
    pub total_minor: i64,
    pub currency: Option<String>,
}

/// One line of a cart.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartLineView {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
    pub line_total_minor: i64,
}

/// Body of `PUT /v1/cart/items/{sku}`. Any price sent is ignored: prices come from the catalog.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetQuantity {
    /// 1 to 99.
    #[schema(minimum = 1, maximum = 99)]
    pub quantity: i64,
}

async fn view(state: &AppState, session: Uuid, cart: Cart) -> Result<Json<CartView>> {
    let PricedCart { lines, total } = pricing::price(&state.db, &cart).await?;
    let items = lines
        .into_iter()
        .map(|l| CartLineView {
            line_total_minor: l.unit_price_minor * i64::from(l.quantity),
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            unit_price_minor: l.unit_price_minor,
        })
        .collect();
    Ok(Json(CartView {
        session_id: session,
        version: cart.version,
        items,
        total_minor: total.as_ref().map_or(0, Money::amount_minor),
        currency: total.map(|t| t.currency().to_owned()),
    }))
}

fn parse_sku(raw: &str) -> Result<Sku> {
    Ok(Sku::parse(raw).map_err(|e| Problem::bad_request("invalid_sku", e).field("sku"))?)
}

/// Shows the session's cart.
#[utoipa::path(get, path = "/v1/cart", operation_id = "get_cart", tag = "cart", security((), ("bearer" = [])),
    params(("X-Session-Id" = Uuid, Header, description = "Session id (or the session_id cookie)")),
    responses(
        (status = 200, description = "The cart", body = CartView),
        (status = 400, description = "No or malformed session id", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The session belongs to another customer", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Session unknown or expired", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Option<Caller>,
    SessionRef(session): SessionRef,
) -> Result<Json<CartView>> {
    let cart = state.sessions.cart(session, caller.as_ref()).await?;
    view(&state, session, cart).await
}

/// Sets the quantity of one SKU in the cart.
#[utoipa::path(put, path = "/v1/cart/items/{sku}", operation_id = "put_cart_item", tag = "cart", security((), ("bearer" = [])),
    params(("sku" = String, Path, description = "Catalog SKU", pattern = r"^[A-Z0-9][A-Z0-9-]{0,31}$", example = "KB-001"), ("X-Session-Id" = Uuid, Header, description = "Session id (or the session_id cookie)")),
    request_body = SetQuantity,
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 400, description = "Malformed request", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The session belongs to another customer", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Session unknown or expired", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Unknown SKU, bad quantity or full cart", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn put_item(
    State(state): State<AppState>,
    caller: Option<Caller>,
    SessionRef(session): SessionRef,
    Path(sku): Path<String>,
    Json(body): Json<SetQuantity>,
) -> Result<Json<CartView>> {
    let sku = parse_sku(&sku)?;
    let quantity = Quantity::parse(body.quantity)
        .map_err(|e| Problem::unprocessable("invalid_quantity", e).field("quantity"))?;
    if !catalog::exists(&state.db, sku.as_str()).await? {
        return Err(
            Problem::unprocessable("unknown_sku", format!("{sku} is not in the catalog"))
                .field("sku")
                .into(),
        );
    }
    let cart = state
        .sessions
        .change(session, caller.as_ref(), &CartChange::Set(sku, quantity))
        .await?;
    view(&state, session, cart).await
}

/// Removes one SKU from the cart (no error if it was not there).
#[utoipa::path(delete, path = "/v1/cart/items/{sku}", operation_id = "remove_cart_item", tag = "cart", security((), ("bearer" = [])),
    params(("sku" = String, Path, description = "Catalog SKU", pattern = r"^[A-Z0-9][A-Z0-9-]{0,31}$", example = "KB-001"), ("X-Session-Id" = Uuid, Header, description = "Session id (or the session_id cookie)")),
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 400, description = "Malformed request", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The session belongs to another customer", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Session unknown or expired", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn remove_item(
    State(state): State<AppState>,
    caller: Option<Caller>,
    SessionRef(session): SessionRef,
    Path(sku): Path<String>,
) -> Result<Json<CartView>> {
    let sku = parse_sku(&sku)?;
    let cart = state
        .sessions
        .change(session, caller.as_ref(), &CartChange::Remove(sku))
        .await?;
    view(&state, session, cart).await
}

/// Empties the cart.
#[utoipa::path(delete, path = "/v1/cart", operation_id = "clear_cart", tag = "cart", security((), ("bearer" = [])),
    params(("X-Session-Id" = Uuid, Header, description = "Session id (or the session_id cookie)")),
    responses(
        (status = 200, description = "The emptied cart", body = CartView),
        (status = 400, description = "No or malformed session id", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The session belongs to another customer", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Session unknown or expired", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn clear(
    State(state): State<AppState>,
    caller: Option<Caller>,
    SessionRef(session): SessionRef,
) -> Result<Json<CartView>> {
    let cart = state
        .sessions
        .change(session, caller.as_ref(), &CartChange::Clear)
        .await?;
    view(&state, session, cart).await
}

impl From<CartError> for http_kit::Error {
    fn from(error: CartError) -> Self {
        let problem = match error {
            CartError::NoSession => Problem::not_found(
                "session_not_found",
                "the session does not exist or has expired; create one with POST /v1/sessions",
            ),
            CartError::TokenRequired => Problem::unauthorized(
                "missing_token",
                "this session belongs to a customer: send that customer's bearer token",
            ),
            CartError::OtherCustomer => Problem::forbidden(
                "session_of_another_customer",
                "this session belongs to another customer",
            ),
            CartError::Full => Problem::unprocessable(
                "cart_full",
                format!("a cart holds at most {MAX_CART_LINES} different SKUs"),
            )
            .field("sku"),
            CartError::Redis(e) => return e.into(),
        };
        problem.into()
    }
}

impl From<PricingError> for http_kit::Error {
    fn from(error: PricingError) -> Self {
        let problem = match error {
            PricingError::UnknownSku(sku) => Problem::unprocessable(
                "unknown_sku",
                format!("{sku} is no longer in the catalog; remove it from the cart"),
            )
            .field("sku"),
            PricingError::Money(MoneyError::MixedCurrencies) => {
                Problem::unprocessable("mixed_currencies", "a cart must be in one currency")
            }
            PricingError::Money(MoneyError::TooLarge) => {
                Problem::unprocessable("total_too_large", "the cart total is too large")
            }
            PricingError::Database(e) => return e.into(),
        };
        problem.into()
    }
}
