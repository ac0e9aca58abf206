//! Orders: placed by the saga, read and cancelled by their customer, each change of status
//! kept in their history.

pub(crate) mod routes;
pub mod store;
