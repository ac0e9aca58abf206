use axum::extract::State;
use chrono::{DateTime, Utc};
use events::{CancelReason, OrderLine};
use http_kit::auth::Caller;
use http_kit::extract::{Json, Path, Query};
use http_kit::openapi::AuthProblems;
use http_kit::problem::ProblemDetails;
use http_kit::{Problem, Result};
use outbox::TraceContext;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::Cursor;
use crate::orders::store::{self as orders, Order, StatusChange};
use crate::saga;
use crate::state::AppState;

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

/// An order; `history` is present on single-order reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub customer_id: String,
    /// `PENDING_PAYMENT`, `CONFIRMED` or `CANCELLED`.
    pub status: String,
    /// `payment_declined`, `customer_requested` or `timeout` when CANCELLED.
    pub cancel_reason: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    pub currency: String,
    /// The W3C trace id of the checkout this order came from, when it was traced: open it in
    /// a trace viewer to follow the saga across both services.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub trace_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<StatusChangeView>>,
}

/// One status an order took.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChangeView {
    pub status: String,
    pub reason: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// A page of orders, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Query of `GET /v1/orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl OrderView {
    fn new(order: Order, history: Option<Vec<StatusChange>>) -> Self {
        Self {
            order_id: order.id,
            checkout_id: order.checkout_id,
            customer_id: order.customer_id,
            status: order.status.to_string(),
            cancel_reason: order.cancel_reason,
            lines: order.lines.0,
            total_minor: order.total_minor,
            currency: order.currency,
            trace_id: order.trace_id,
            created_at: order.created_at,
            updated_at: order.updated_at,
            history: history.map(|h| {
                h.into_iter()
                    .map(|c| StatusChangeView {
                        status: c.status.to_string(),
                        reason: c.reason,
                        occurred_at: c.occurred_at,
                    })
                    .collect()
            }),
        }
    }
}

fn not_found(id: Uuid) -> Problem {
    Problem::not_found("order_not_found", format!("no order {id}"))
}

/// Shows one order with its status history; only its customer (or an admin) may see it.
#[utoipa::path(get, path = "/v1/orders/{id}", operation_id = "get_order", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 400, description = "The id is not a UUID", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such order for this customer", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>> {
    let order = orders::find(&state.db, id)
        .await?
        .filter(|o| caller.may_see(&o.customer_id))
        .ok_or_else(|| not_found(id))?;
    let history = orders::history(&state.db, id).await?;
    Ok(Json(OrderView::new(order, Some(history))))
}

/// Lists the caller's orders, newest first (an admin sees everyone's), with keyset pagination.
#[utoipa::path(get, path = "/v1/orders", operation_id = "list_orders", tag = "orders", security(("bearer" = [])), params(ListParams),
    responses(
        (status = 200, description = "A page of orders", body = OrderPage),
        (status = 400, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<OrderPage>> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )
        .field("limit")
        .into());
    }
    let cursor = params
        .cursor
        .as_deref()
        .map(|raw| {
            Cursor::decode(raw).ok_or_else(|| {
                Problem::bad_request("invalid_cursor", "cursor is not one this API returned")
                    .field("cursor")
            })
        })
        .transpose()?;
    // One extra row tells whether another page follows.
    let mut rows = orders::page(
        &state.db,
        caller.owner_filter(),
        cursor.map(|c| c.0),
        limit + 1,
    )
    .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or_default());
        rows.last().map(|o| Cursor(o.id).encode())
    } else {
        None
    };
    let items = rows.into_iter().map(|o| OrderView::new(o, None)).collect();
    Ok(Json(OrderPage { items, next_cursor }))
}

/// Cancels an order (PENDING_PAYMENT or CONFIRMED); its payment is then voided or refunded.
#[utoipa::path(post, path = "/v1/orders/{id}/cancel", operation_id = "cancel_order", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The cancelled order", body = OrderView),
        (status = 400, description = "The id is not a UUID", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such order for this customer", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The order can no longer be cancelled", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>> {
    let mut tx = state.db.begin().await?;
    let order = orders::find_for_update(&mut tx, id)
        .await?
        .filter(|o| caller.may_see(&o.customer_id))
        .ok_or_else(|| not_found(id))?;
    if !saga::cancel(
        &mut tx,
        id,
        CancelReason::CustomerRequested,
        &TraceContext::current(),
    )
    .await?
    {
        return Err(Problem::conflict(
            "order_not_cancellable",
            format!(
                "the order is {}; it can no longer be cancelled",
                order.status
            ),
        )
        .into());
    }
    let cancelled = orders::find(&mut *tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let history = orders::history(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(Json(OrderView::new(cancelled, Some(history))))
}
