//! The service's error type: client errors are problems; database and Redis errors become 503
//! (outage) or an opaque 500 (logged with their cause).

use axum::response::{IntoResponse, Response};
use http_kit::{Problem, db};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("{}", .0.code)]
    Problem(Problem),
}

impl From<Problem> for Error {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Unique constraints a client can run into, as the problem each means.
fn constraint_problem(constraint: &str) -> Option<Problem> {
    match constraint {
        "checkouts_session_cart_version_key" => Some(Problem::conflict(
            "cart_already_checked_out",
            "this version of the cart was already checked out; change the cart to check out again",
        )),
        _ => None,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::Database(e) => db::unique_violation(&e)
                .and_then(constraint_problem)
                .unwrap_or_else(|| db::sqlx_problem(&e))
                .into_response(),
            Error::Redis(e) => db::redis_problem(&e).into_response(),
            Error::Problem(p) => p.into_response(),
        }
    }
}
