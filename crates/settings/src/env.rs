//! Reading variables: each parsed and checked, every error collected before failing.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

use crate::VARIABLES;

/// Why the settings could not be loaded: every bad variable, each named.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  {}", .0.join("\n  "))]
pub struct SettingsError(pub Vec<String>);

/// Reads variables from a snapshot of the environment, collecting every error before failing.
#[derive(Debug)]
pub struct Env {
    values: HashMap<String, String>,
    errors: Vec<String>,
}

impl Env {
    /// A snapshot of the process environment.
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    /// Explicit values: what tests use instead of mutating the process environment.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let values = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self {
            values,
            errors: Vec::new(),
        }
    }

    fn raw(&mut self, name: &str) -> Option<String> {
        let variable = VARIABLES
            .iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("{name} is read but missing from settings::VARIABLES"));
        match self
            .values
            .get(name)
            .cloned()
            .or(variable.default.map(str::to_owned))
        {
            Some(value) => Some(value),
            None => {
                self.errors.push(format!("{name}: required but not set"));
                None
            }
        }
    }

    /// Parses `name` (or its default) with `FromStr`, then checks it with `valid`.
    pub fn parse_checked<T>(
        &mut self,
        name: &str,
        valid: impl FnOnce(&T) -> Result<(), &'static str>,
    ) -> Option<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        let raw = self.raw(name)?;
        match raw.trim().parse::<T>() {
            Ok(value) => match valid(&value) {
                Ok(()) => Some(value),
                Err(why) => {
                    self.errors.push(format!("{name}: {why} (got {raw:?})"));
                    None
                }
            },
            Err(e) => {
                self.errors.push(format!("{name}: {e} (got {raw:?})"));
                None
            }
        }
    }

    pub fn parse<T>(&mut self, name: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.parse_checked(name, |_| Ok(()))
    }

    /// A duration such as `250ms`, `2s`, `5m`, `24h`.
    pub fn duration(&mut self, name: &str) -> Option<Duration> {
        let raw = self.raw(name)?;
        match humantime::parse_duration(raw.trim()) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.errors
                    .push(format!("{name}: must be more than zero (got {raw:?})"));
                None
            }
            Err(e) => {
                self.errors.push(format!(
                    "{name}: {e}, expected e.g. `2s` or `24h` (got {raw:?})"
                ));
                None
            }
        }
    }

    /// A secret: never echoed back in errors, redacted in `Debug`.
    pub fn secret(&mut self, name: &str, min_len: usize) -> Option<SecretString> {
        let raw = self.raw(name)?;
        if raw.len() < min_len {
            self.errors
                .push(format!("{name}: must be at least {min_len} bytes long"));
            return None;
        }
        Some(SecretString::from(raw))
    }

    /// Records that `name` was read but is not acceptable.
    pub fn invalid(&mut self, name: &str, why: &str) {
        self.errors.push(format!("{name}: {why}"));
    }

    pub fn string(&mut self, name: &str) -> Option<String> {
        self.raw(name)
    }

    /// Ends reading: every error so far, or success.
    pub fn finish(self) -> Result<(), SettingsError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(SettingsError(self.errors))
        }
    }
}
