//! Log retention as users write it (`1827` or `never`), and the values CloudWatch Logs accepts.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// The retention periods `PutRetentionPolicy` accepts, in days.
pub const ALLOWED_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// How long a log group keeps its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    Days(u32),
    Never,
}

impl Retention {
    /// `None` when AWS accepts the value, else the closest allowed value.
    pub fn closest_allowed(days: u32) -> Option<u32> {
        if ALLOWED_RETENTION_DAYS.contains(&days) {
            return None;
        }
        ALLOWED_RETENTION_DAYS
            .iter()
            .copied()
            .min_by_key(|allowed| (allowed.abs_diff(days), *allowed))
    }
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retention::Days(d) => write!(f, "{d}"),
            Retention::Never => f.write_str("never"),
        }
    }
}

impl<'de> Deserialize<'de> for Retention {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RetentionVisitor;
        impl Visitor<'_> for RetentionVisitor {
            type Value = Retention;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of days such as 1827, or `never`")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Retention, E> {
                u32::try_from(v)
                    .map(Retention::Days)
                    .map_err(|_| E::custom(format!("{v} days is out of range")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Retention, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("retention cannot be negative ({v})")))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Retention, E> {
                let trimmed = v.trim();
                if trimmed.eq_ignore_ascii_case("never") {
                    return Ok(Retention::Never);
                }
                trimmed
                    .parse::<u64>()
                    .map_err(|_| {
                        E::custom(format!(
                        "`{v}` is not a retention: write a number of days such as 1827, or `never`"
                    ))
                    })
                    .and_then(|n| self.visit_u64(n))
            }
        }
        deserializer.deserialize_any(RetentionVisitor)
    }
}

impl JsonSchema for Retention {
    fn schema_name() -> Cow<'static, str> {
        "Retention".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Days to keep log events (only the values CloudWatch Logs accepts), or `never`.",
            "oneOf": [
                { "type": "integer", "enum": ALLOWED_RETENTION_DAYS },
                { "type": "string", "enum": ["never"] }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_allowed_value() {
        assert_eq!(Retention::closest_allowed(1825), Some(1827));
        assert_eq!(Retention::closest_allowed(1827), None);
        assert_eq!(Retention::closest_allowed(0), Some(1));
        assert_eq!(Retention::closest_allowed(10_000), Some(3653));
        assert_eq!(Retention::closest_allowed(4), Some(3));
    }
}
