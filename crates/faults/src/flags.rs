//! The value of the fault flags: what `FAULT_FLAGS` and `PUT /v1/admin/faults` set.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest delay a flag may inject: longer is a hung dependency, not a slow one.
pub const MAX_DELAY_MS: u64 = 60_000;

/// The names of the flags, in the order they are documented.
pub const NAMES: [&str; 5] = [
    "payment_unreachable",
    "payment_slow_ms",
    "db_latency_ms",
    "kafka_produce_fail_rate",
    "fail_readiness",
];

/// Every fault flag. A field left out is off, so a `PUT` states the whole set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FaultFlags {
    /// checkout-service: the payment provider does not answer (an outage: the saga pauses and
    /// retries until the flag is cleared; nothing is declined).
    pub payment_unreachable: bool,
    /// checkout-service: milliseconds each payment provider call waits first (at most 60000).
    #[schema(maximum = 60000)]
    pub payment_slow_ms: u64,
    /// Milliseconds each checkout of a database connection from the service's pool waits
    /// first (at most 60000).
    #[schema(maximum = 60000)]
    pub db_latency_ms: u64,
    /// Fraction, 0 to 1, of the outbox relay's produce attempts that fail as a lost broker
    /// connection would (retried; nothing is lost).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub kafka_produce_fail_rate: f64,
    /// `/health/ready` answers 503 with the check `fault_flag` down.
    pub fail_readiness: bool,
}

/// A flag with a value it cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {why}")]
pub struct InvalidFlag {
    /// The flag's name.
    pub flag: &'static str,
    pub why: String,
}

impl FaultFlags {
    /// Whether every flag is off.
    pub fn all_off(&self) -> bool {
        *self == Self::default()
    }

    /// Checks the ranges the types do not: delays up to [`MAX_DELAY_MS`], a rate in 0..=1.
    pub fn check(&self) -> Result<(), InvalidFlag> {
        for (flag, ms) in [
            ("payment_slow_ms", self.payment_slow_ms),
            ("db_latency_ms", self.db_latency_ms),
        ] {
            if ms > MAX_DELAY_MS {
                return Err(InvalidFlag {
                    flag,
                    why: format!("at most {MAX_DELAY_MS} ms (got {ms})"),
                });
            }
        }
        let rate = self.kafka_produce_fail_rate;
        if !(0.0..=1.0).contains(&rate) {
            return Err(InvalidFlag {
                flag: "kafka_produce_fail_rate",
                why: format!("a fraction between 0 and 1 (got {rate})"),
            });
        }
        Ok(())
    }

    fn assign(&mut self, name: &str, value: Option<&str>) -> Result<(), String> {
        fn number<T: FromStr>(name: &str, value: Option<&str>) -> Result<T, String> {
            let value = value.ok_or_else(|| format!("{name} needs a value, e.g. `{name}=100`"))?;
            value
                .parse()
                .map_err(|_| format!("{name}: not a valid number: {value:?}"))
        }
        fn boolean(name: &str, value: Option<&str>) -> Result<bool, String> {
            match value {
                None | Some("true") => Ok(true),
                Some("false") => Ok(false),
                Some(other) => Err(format!("{name}: expected true or false, got {other:?}")),
            }
        }
        match name {
            "payment_unreachable" => self.payment_unreachable = boolean(name, value)?,
            "payment_slow_ms" => self.payment_slow_ms = number(name, value)?,
            "db_latency_ms" => self.db_latency_ms = number(name, value)?,
            "kafka_produce_fail_rate" => self.kafka_produce_fail_rate = number(name, value)?,
            "fail_readiness" => self.fail_readiness = boolean(name, value)?,
            other => {
                return Err(format!(
                    "unknown fault flag {other:?}, expected one of {}",
                    NAMES.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// `name=value` pairs separated by commas; a flag that is true may be given by its name alone.
/// Empty: all off.
impl FromStr for FaultFlags {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut flags = Self::default();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = match pair.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim())),
                None => (pair, None),
            };
            flags.assign(name, value)?;
        }
        flags.check().map_err(|e| e.to_string())?;
        Ok(flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_value_turns_every_flag_off() {
        assert!("".parse::<FaultFlags>().expect("valid").all_off());
        assert!(" , ".parse::<FaultFlags>().expect("valid").all_off());
    }

    #[test]
    fn every_flag_is_read_from_its_name_and_value() {
        let flags: FaultFlags = "payment_unreachable=true, payment_slow_ms=300,db_latency_ms=20,\
                                 kafka_produce_fail_rate=0.2,fail_readiness"
            .parse()
            .expect("valid");
        assert_eq!(
            flags,
            FaultFlags {
                payment_unreachable: true,
                payment_slow_ms: 300,
                db_latency_ms: 20,
                kafka_produce_fail_rate: 0.2,
                fail_readiness: true,
            }
        );
    }

    #[test]
    fn an_unknown_flag_is_refused_with_its_name() {
        let error = "payment_unreachble=true"
            .parse::<FaultFlags>()
            .expect_err("unknown");
        assert!(error.contains("payment_unreachble"), "{error}");
    }

    #[test]
    fn a_bad_value_is_refused_naming_the_flag() {
        for (input, flag) in [
            ("payment_slow_ms=soon", "payment_slow_ms"),
            ("db_latency_ms=-5", "db_latency_ms"),
            ("db_latency_ms=600000", "db_latency_ms"),
            ("kafka_produce_fail_rate=1.5", "kafka_produce_fail_rate"),
            ("kafka_produce_fail_rate=NaN", "kafka_produce_fail_rate"),
            ("fail_readiness=yes", "fail_readiness"),
            ("payment_slow_ms", "payment_slow_ms"),
        ] {
            let error = input.parse::<FaultFlags>().expect_err(input);
            assert!(error.contains(flag), "{input}: {error}");
        }
    }

    #[test]
    fn a_body_may_leave_flags_out_but_not_name_unknown_ones() {
        let flags: FaultFlags = serde_json::from_str(r#"{"fail_readiness": true}"#).expect("valid");
        assert!(flags.fail_readiness && flags.payment_slow_ms == 0);
        assert!(serde_json::from_str::<FaultFlags>(r#"{"fail_readyness": true}"#).is_err());
    }
}
