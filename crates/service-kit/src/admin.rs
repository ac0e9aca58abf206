//! Operator endpoints, admin token required: the outbox backlog with the relay and consumer
//! counters, the dead-letter tools (the dead letters the broker would not take: [`parked`]),
//! and the fault flags ([`faults`]).

pub mod faults;
pub mod parked;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use consumer::ConsumerStats;
use http_kit::auth::{Caller, JwtKeys};
use http_kit::extract::{Json, Path, Query};
use http_kit::openapi::AuthProblems;
use http_kit::problem::ProblemDetails;
use http_kit::{Problem, Result};
use messaging::dlq::{self, DeadLetter};
use messaging::{KafkaSettings, Recovering, Topics};
use outbox::relay::{self, Backlog, RejectedRow, RelayStats};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};

/// What the operator endpoints need.
#[derive(Clone)]
pub struct AdminState {
    pub db: PgPool,
    pub keys: JwtKeys,
    pub kafka: KafkaSettings,
    /// For replays; replaced after a fatal error.
    pub producer: Arc<Recovering>,
    pub relay: Option<Arc<RelayStats>>,
    pub consumer: Arc<ConsumerStats>,
    pub faults: ::faults::Faults,
}

impl std::fmt::Debug for AdminState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminState")
            .field("kafka", &self.kafka)
            .finish_non_exhaustive()
    }
}

impl FromRef<AdminState> for JwtKeys {
    fn from_ref(state: &AdminState) -> Self {
        state.keys.clone()
    }
}

pub fn router(state: AdminState) -> Router {
    let fault_flags = faults::router(faults::FaultsState {
        keys: state.keys.clone(),
        faults: state.faults.clone(),
    });
    Router::new()
        .route("/v1/admin/outbox", get(status))
        .route("/v1/admin/dead-letters", get(list))
        .route("/v1/admin/dead-letters/parked", get(parked::list))
        .route(
            "/v1/admin/dead-letters/{topic}/{partition}/{offset}",
            get(show),
        )
        .route(
            "/v1/admin/dead-letters/{topic}/{partition}/{offset}/replay",
            post(replay),
        )
        .with_state(state)
        .merge(fault_flags)
}

fn require_admin(caller: &Caller) -> Result<()> {
    if caller.is_admin {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "admin_required",
            "this endpoint needs a token with the admin role",
        )
        .into())
    }
}

/// The event backbone of this service at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackboneStatus {
    #[schema(value_type = Object)]
    pub outbox: Backlog,
    pub relay_embedded: bool,
    pub relay_lanes_owned: usize,
    pub relay_published_total: u64,
    pub relay_failures_total: u64,
    /// Rows the broker refused for good since this process started.
    pub relay_rejected_total: u64,
    /// Unpublished rows the broker refused, with why: each holds back its aggregate.
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<RejectedRow>,
    pub consumer_processed_total: u64,
    pub consumer_duplicates_total: u64,
    pub consumer_skipped_total: u64,
    pub consumer_retried_total: u64,
    pub consumer_dead_lettered_total: u64,
    /// Dead letters the broker would not take, parked in the database since this process
    /// started (`GET /v1/admin/dead-letters/parked` lists every one parked).
    pub consumer_dead_letters_parked_total: u64,
}

/// Outbox backlog and oldest unpublished age, with the relay and consumer counters.
#[utoipa::path(get, path = "/v1/admin/outbox", operation_id = "outbox_status", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "Backbone status", body = BackboneStatus),
    (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
    AuthProblems,
))]
pub async fn status(
    State(state): State<AdminState>,
    caller: Caller,
) -> Result<Json<BackboneStatus>> {
    require_admin(&caller)?;
    let relay = state.relay.as_deref();
    Ok(Json(BackboneStatus {
        outbox: relay::backlog(&state.db).await?,
        relay_embedded: relay.is_some(),
        relay_lanes_owned: relay.map_or(0, RelayStats::lanes_owned),
        relay_published_total: relay.map_or(0, RelayStats::published_total),
        relay_failures_total: relay.map_or(0, RelayStats::failures_total),
        relay_rejected_total: relay.map_or(0, RelayStats::rejected_total),
        rejected: relay::rejected(&state.db).await?,
        consumer_processed_total: state.consumer.processed_total(),
        consumer_duplicates_total: state.consumer.duplicates_total(),
        consumer_skipped_total: state.consumer.skipped_total(),
        consumer_retried_total: state.consumer.retried_total(),
        consumer_dead_lettered_total: state.consumer.dead_lettered_total(),
        consumer_dead_letters_parked_total: state.consumer.dead_letters_parked_total(),
    }))
}

/// Query of the dead-letter list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Logical topic whose dead letters to list, e.g. `orderflow.order.v1`.
    pub topic: String,
    /// At most this many (default 50, at most 500).
    pub limit: Option<usize>,
}

/// Dead letters of a topic.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterList {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<DeadLetter>,
}

fn dlq_topic(state: &AdminState, logical: &str) -> Result<String> {
    if events::topics::ALL.contains(&logical) {
        Ok(Topics::new(&state.kafka.topic_prefix).dlq(logical))
    } else {
        Err(Problem::bad_request(
            "unknown_topic",
            format!("topic must be one of {:?}", events::topics::ALL),
        )
        .field("topic")
        .into())
    }
}

fn kafka_problem(e: rdkafka::error::KafkaError) -> http_kit::Error {
    tracing::warn!(error = %e, "kafka unavailable for the dead-letter tools");
    Problem::unavailable("Kafka").into()
}

/// Lists dead letters (oldest first per partition).
#[utoipa::path(get, path = "/v1/admin/dead-letters", operation_id = "list_dead_letters", tag = "admin", security(("bearer" = [])), params(ListParams), responses(
    (status = 200, description = "Dead letters", body = DeadLetterList),
    (status = 400, description = "Unknown topic", body = ProblemDetails, content_type = "application/problem+json"),
    (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
    AuthProblems,
))]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<DeadLetterList>> {
    require_admin(&caller)?;
    let topic = dlq_topic(&state, &params.topic)?;
    let limit = params.limit.unwrap_or(50).clamp(1, 500);
    let items = dlq::list(&state.kafka, &topic, limit)
        .await
        .map_err(kafka_problem)?;
    Ok(Json(DeadLetterList { items }))
}

async fn find(state: &AdminState, topic: &str, partition: i32, offset: i64) -> Result<DeadLetter> {
    let real = dlq_topic(state, topic)?;
    dlq::show(&state.kafka, &real, partition, offset)
        .await
        .map_err(kafka_problem)?
        .ok_or_else(|| {
            Problem::not_found(
                "dead_letter_not_found",
                format!("no dead letter at {topic} {partition}/{offset}"),
            )
            .into()
        })
}

/// Shows one dead letter with all its headers.
#[utoipa::path(get, path = "/v1/admin/dead-letters/{topic}/{partition}/{offset}", operation_id = "show_dead_letter", tag = "admin", security(("bearer" = [])),
    params(("topic" = String, Path, description = "Logical topic"), ("partition" = i32, Path), ("offset" = i64, Path)),
    responses(
        (status = 200, description = "The dead letter", body = Object),
        (status = 400, description = "Unknown topic or malformed path", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such dead letter", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn show(
    State(state): State<AdminState>,
    caller: Caller,
    Path((topic, partition, offset)): Path<(String, i32, i64)>,
) -> Result<Json<DeadLetter>> {
    require_admin(&caller)?;
    Ok(Json(find(&state, &topic, partition, offset).await?))
}

/// Where a replayed dead letter went.
#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    pub replayed_to: String,
}

/// Produces a dead letter back to its original topic (fix the cause first).
#[utoipa::path(post, path = "/v1/admin/dead-letters/{topic}/{partition}/{offset}/replay", operation_id = "replay_dead_letter", tag = "admin", security(("bearer" = [])),
    params(("topic" = String, Path, description = "Logical topic"), ("partition" = i32, Path), ("offset" = i64, Path)),
    responses(
        (status = 202, description = "Replayed", body = Replayed),
        (status = 400, description = "Unknown topic or malformed path", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such dead letter", body = ProblemDetails, content_type = "application/problem+json"),
        AuthProblems,
    ))]
pub async fn replay(
    State(state): State<AdminState>,
    caller: Caller,
    Path((topic, partition, offset)): Path<(String, i32, i64)>,
) -> Result<(StatusCode, Json<Replayed>)> {
    require_admin(&caller)?;
    let letter = find(&state, &topic, partition, offset).await?;
    let replayed_to = dlq::replay(&state.producer.current(), &letter)
        .await
        .inspect_err(|_| {
            state.producer.recover();
        })
        .map_err(kafka_problem)?;
    tracing::info!(
        topic,
        partition,
        offset,
        replayed_to,
        "dead letter replayed"
    );
    Ok((StatusCode::ACCEPTED, Json(Replayed { replayed_to })))
}

/// The OpenAPI paths of these endpoints, for the services' documents.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        status,
        list,
        parked::list,
        show,
        replay,
        faults::show,
        faults::replace
    ),
    components(schemas(::faults::FaultFlags))
)]
pub struct AdminApi;
