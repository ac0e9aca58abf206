#![doc = include_str!("../README.md")]

pub mod auth;
pub mod db;
pub mod extract;
pub mod health;
pub mod layers;
pub mod problem;
pub mod settings;
pub mod shutdown;

pub use problem::Problem;
