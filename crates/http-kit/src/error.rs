//! The error type handlers return: client errors are problems; database and Redis errors
//! become 503 (an outage, with `Retry-After`) or an opaque 500 (logged with their cause).

use axum::response::{IntoResponse, Response};

use crate::{Problem, db};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("{}", .0.code)]
    Problem(Problem),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Problem> for Error {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::Database(e) => db::sqlx_problem(&e).into_response(),
            Error::Redis(e) => db::redis_problem(&e).into_response(),
            Error::Problem(p) => p.into_response(),
        }
    }
}
