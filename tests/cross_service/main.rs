//! Tests over the whole system and over the repository's own documents.

mod readme;
mod saga;
mod walkthrough;
