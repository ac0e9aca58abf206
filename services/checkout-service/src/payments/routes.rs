use axum::extract::State;
use http_kit::auth::Caller;
use http_kit::extract::{Json, Path};
use http_kit::openapi::AuthProblems;
use http_kit::problem::ProblemDetails;
use http_kit::{Problem, Result};
use uuid::Uuid;

use crate::payments::store::{self, Payment};
use crate::state::AppState;

/// Shows the payment of an order; only its customer (or an admin) may see it.
#[utoipa::path(get, path = "/v1/payments/{order_id}", operation_id = "get_payment", tag = "payments", security(("bearer" = [])),
    params(("order_id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The payment", body = Payment),
        (status = 400, description = "The id is not a UUID", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No payment for this order and customer (yet)", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(order_id): Path<Uuid>,
) -> Result<Json<Payment>> {
    store::find_with_owner(&state.db, order_id)
        .await?
        .filter(|(_, owner)| caller.may_see(owner))
        .map(|(payment, _)| Json(payment))
        .ok_or_else(|| {
            Problem::not_found(
                "payment_not_found",
                format!("no payment for order {order_id}"),
            )
            .into()
        })
}
