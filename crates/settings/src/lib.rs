#![doc = include_str!("../README.md")]

mod env;
mod variables;

pub use env::{Env, SettingsError};
pub use variables::{VARIABLES, Variable, markdown_table};
