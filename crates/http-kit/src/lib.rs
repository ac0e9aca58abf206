#![doc = include_str!("../README.md")]

pub mod auth;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod layers;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod rate_limit;
pub mod settings;
pub mod shutdown;

pub use error::{Error, Result};
pub use problem::Problem;
