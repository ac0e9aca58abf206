//! Which Postgres and Redis errors pass by themselves: an outage, or a refusal that a later
//! attempt will not meet (a deadlock, a timeout, a server starting or failing over). Requests
//! answer them 503 with `Retry-After`; consumers retry them without limit and never
//! dead-letter them. Anything else is a bug or bad data.

/// SQLSTATEs that a retry gets past. Class 08 (connection exception) is matched separately.
const POSTGRES_TRANSIENT: &[&str] = &[
    "40001", // serialization_failure
    "40P01", // deadlock_detected
    "55P03", // lock_not_available (lock_timeout)
    "57014", // query_canceled (statement_timeout)
    "57P01", // admin_shutdown
    "57P02", // crash_shutdown
    "57P03", // cannot_connect_now (starting up, or a standby not accepting connections)
    "57P05", // idle_session_timeout
    "53000", // insufficient_resources
    "53100", // disk_full
    "53200", // out_of_memory
    "53300", // too_many_connections
    "25006", // read_only_sql_transaction (a primary that became a standby in a failover)
];

/// Redis error codes a retry gets past: loading its data set, a replica or a master that is
/// down after a failover, a script running too long, a cluster resharding.
const REDIS_TRANSIENT: &[&str] = &[
    "LOADING",
    "READONLY",
    "BUSY",
    "TRYAGAIN",
    "MASTERDOWN",
    "CLUSTERDOWN",
];

/// Whether `error` is worth retrying as it is.
pub fn postgres(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        // A connection cut while it is set up (the TLS request answered by a closing proxy).
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| sqlstate_is_transient(&code)),
        _ => false,
    }
}

fn sqlstate_is_transient(code: &str) -> bool {
    code.starts_with("08") || POSTGRES_TRANSIENT.contains(&code)
}

/// Whether `error` is worth retrying as it is.
pub fn redis(error: &redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
        || error
            .code()
            .is_some_and(|code| REDIS_TRANSIENT.contains(&code))
}

#[cfg(test)]
mod tests {
    use redis::{ErrorKind, RedisError, ServerErrorKind, make_extension_error};

    use super::*;

    #[test]
    fn postgres_errors_that_pass_are_transient() {
        for code in [
            "40001", "40P01", "55P03", "57014", "57P01", "57P03", "53300", "08006", "08001",
            "25006",
        ] {
            assert!(sqlstate_is_transient(code), "{code}");
        }
    }

    #[test]
    fn postgres_errors_of_bugs_or_data_are_not_transient() {
        for code in [
            "23505", // unique_violation
            "23503", // foreign_key_violation
            "22P02", // invalid_text_representation
            "42P01", // undefined_table
            "42501", // insufficient_privilege
            "P0001", // raise_exception (a trigger refusing the row)
            "57P04", // database_dropped: it will not come back
        ] {
            assert!(!sqlstate_is_transient(code), "{code}");
        }
    }

    #[test]
    fn pool_and_connection_failures_are_transient() {
        assert!(postgres(&sqlx::Error::PoolTimedOut));
        let cut_while_setting_up =
            sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into());
        assert!(postgres(&cut_while_setting_up));
        assert!(postgres(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset
        ))));
        assert!(!postgres(&sqlx::Error::RowNotFound));
        assert!(!postgres(&sqlx::Error::ColumnNotFound("id".into())));
    }

    #[test]
    fn redis_answers_that_pass_are_transient() {
        for kind in [
            ServerErrorKind::BusyLoading,
            ServerErrorKind::ReadOnly,
            ServerErrorKind::TryAgain,
            ServerErrorKind::MasterDown,
            ServerErrorKind::ClusterDown,
        ] {
            let error = RedisError::from((ErrorKind::Server(kind), "refused"));
            assert!(redis(&error), "{kind:?}");
        }
        let busy = make_extension_error("BUSY".into(), Some("a script is running".into()));
        assert!(redis(&busy));
    }

    #[test]
    fn redis_answers_of_bugs_are_not_transient() {
        for kind in [
            ServerErrorKind::ResponseError,
            ServerErrorKind::NoScript,
            ServerErrorKind::NoPerm,
        ] {
            let error = RedisError::from((ErrorKind::Server(kind), "refused"));
            assert!(!redis(&error), "{kind:?}");
        }
        let wrong_type = RedisError::from((ErrorKind::UnexpectedReturnType, "not a hash"));
        assert!(!redis(&wrong_type));
    }
}
