#![doc = include_str!("../README.md")]

pub mod dlq;
pub mod envelope;
pub mod producer;
pub mod settings;
pub mod topics;

pub use settings::KafkaSettings;
pub use topics::Topics;
