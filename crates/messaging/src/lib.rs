#![doc = include_str!("../README.md")]

pub mod dlq;
pub mod envelope;
mod off_thread;
pub mod producer;
mod recovering;
mod refusal;
pub mod settings;
pub mod topics;

pub use self::settings::KafkaSettings;
pub use off_thread::OffThread;
pub use recovering::{MakeProducer, Recovering};
pub use refusal::refused_for_good;
pub use topics::Topics;
