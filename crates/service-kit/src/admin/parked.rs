//! `GET /v1/admin/dead-letters/parked`: the dead letters the broker would not take, which this
//! service's consumer keeps in its database (docs/guarantees.md, Dead letters and replay).

use axum::extract::State;
use consumer::parked::{self, ParkedDeadLetter};
use http_kit::Result;
use http_kit::auth::Caller;
use http_kit::extract::{Json, Query};
use http_kit::openapi::AuthProblems;
use http_kit::problem::ProblemDetails;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AdminState, require_admin};

/// Query of the parked list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParkedParams {
    /// At most this many, oldest first (default 50, at most 500).
    pub limit: Option<i64>,
}

/// Parked dead letters, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParkedList {
    /// Each with its original topic, partition and offset, the dead-letter topic it was to go
    /// to, key, headers and payload as text, why the handler gave it up (`error`), what the
    /// broker answered (`refusal`) and when it was parked.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<ParkedDeadLetter>,
    /// How many are parked in all.
    pub total: i64,
}

/// Lists the dead letters the broker refused for good or did not ack in time.
#[utoipa::path(get, path = "/v1/admin/dead-letters/parked", operation_id = "list_parked_dead_letters", tag = "admin", security(("bearer" = [])), params(ParkedParams), responses(
    (status = 200, description = "Parked dead letters", body = ParkedList),
    (status = 400, description = "A malformed query (`limit` not a whole number in range)", body = ProblemDetails, content_type = "application/problem+json"),
    (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
    AuthProblems,
))]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Query(params): Query<ParkedParams>,
) -> Result<Json<ParkedList>> {
    require_admin(&caller)?;
    let limit = params.limit.unwrap_or(50).clamp(1, 500);
    let (items, total) = parked::list(&state.db, limit).await?;
    Ok(Json(ParkedList { items, total }))
}
