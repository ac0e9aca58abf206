//! How database and Redis failures map to responses.

use crate::Problem;

/// 503 for an outage or another error that passes ([`storage::transient`]; logged as a warning),
/// otherwise an opaque 500 with the cause logged.
pub fn sqlx_problem(error: &sqlx::Error) -> Problem {
    if storage::transient::postgres(error) {
        tracing::warn!(error = %error, "postgres unavailable");
        Problem::unavailable("the database")
    } else {
        tracing::error!(error = %error, "database error");
        Problem::internal()
    }
}

/// 503 for a Redis outage or another error that passes, otherwise an opaque 500 with the
/// cause logged.
pub fn redis_problem(error: &redis::RedisError) -> Problem {
    crate::metrics::REDIS_ERRORS.inc();
    if storage::transient::redis(error) {
        tracing::warn!(error = %error, "redis unavailable");
        Problem::unavailable("the session store")
    } else {
        tracing::error!(error = %error, "redis error");
        Problem::internal()
    }
}
