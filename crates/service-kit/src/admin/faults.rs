//! `GET` and `PUT /v1/admin/faults`: the fault flags of this process, read and replaced at run
//! time (admin token), for demos and chaos runs.

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::get;
use faults::{FaultFlags, Faults};
use http_kit::auth::{Caller, JwtKeys};
use http_kit::extract::Json;
use http_kit::openapi::AuthProblems;
use http_kit::problem::ProblemDetails;
use http_kit::{Problem, Result};

use super::require_admin;

/// What the fault endpoints need (the standalone relay serves them too).
#[derive(Debug, Clone)]
pub struct FaultsState {
    pub keys: JwtKeys,
    pub faults: Faults,
}

impl FromRef<FaultsState> for JwtKeys {
    fn from_ref(state: &FaultsState) -> Self {
        state.keys.clone()
    }
}

pub fn router(state: FaultsState) -> Router {
    Router::new()
        .route("/v1/admin/faults", get(show).put(replace))
        .with_state(state)
}

/// The fault flags as they are now.
#[utoipa::path(get, path = "/v1/admin/faults", operation_id = "show_fault_flags", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "The fault flags", body = FaultFlags),
    (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
    AuthProblems,
))]
pub async fn show(State(state): State<FaultsState>, caller: Caller) -> Result<Json<FaultFlags>> {
    require_admin(&caller)?;
    Ok(Json(state.faults.flags()))
}

/// Replaces every fault flag of this process: a flag left out of the body is turned off, so
/// `{}` clears them all. Answers the flags now in force.
#[utoipa::path(put, path = "/v1/admin/faults", operation_id = "replace_fault_flags", tag = "admin", security(("bearer" = [])),
    request_body = FaultFlags,
    responses(
        (status = 200, description = "The fault flags now in force", body = FaultFlags),
        (status = 400, description = "Malformed JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "A flag that does not exist, or a value out of its range; `field` names it", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn replace(
    State(state): State<FaultsState>,
    caller: Caller,
    Json(flags): Json<FaultFlags>,
) -> Result<Json<FaultFlags>> {
    require_admin(&caller)?;
    flags
        .check()
        .map_err(|e| Problem::unprocessable("invalid_fault_flag", e.why).field(e.flag))?;
    let previous = state.faults.flags();
    state.faults.set(flags);
    tracing::info!(
        changed_by = caller.customer_id,
        payment_unreachable = flags.payment_unreachable,
        payment_slow_ms = flags.payment_slow_ms,
        db_latency_ms = flags.db_latency_ms,
        kafka_produce_fail_rate = flags.kafka_produce_fail_rate,
        fail_readiness = flags.fail_readiness,
        ?previous,
        "fault flags changed"
    );
    Ok(Json(flags))
}
