//! EventBridge event patterns parsed and normalized, so equivalent patterns never show as a change, and differences said in words.
//!
//! AWS may hand a pattern back re-serialized (`>` as `\u003e`, keys in another order), and
//! people write the same pattern in many ways (values in another order, a value twice). A
//! [`EventPattern`] is the canonical form: object keys sorted, match-value lists (the array
//! under a field, under `$or`, under `anything-but`) deduplicated and sorted, while arrays whose
//! order means something (`numeric: [">", 0, "<=", 5]`) are kept as written. Two patterns are
//! equivalent exactly when their canonical forms are equal.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};
use thiserror::Error;

/// `EventPattern` in the EventBridge API model: at most 4096 characters.
pub const MAX_PATTERN_CHARS: usize = 4096;

/// Matcher keys whose array value is a set of alternatives (order and duplicates do not count).
const SET_VALUED_MATCHERS: &[&str] = &["anything-but"];

/// A pattern EventBridge would refuse, located by its field path (`detail.eventName`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatternError {
    #[error("the event pattern is not JSON: {0} (write it as a YAML mapping or a JSON object)")]
    NotJson(String),
    #[error("the event pattern must be an object of field names, e.g. {{\"source\": [\"aws.bedrock\"]}}")]
    NotAnObject,
    #[error(
        "event pattern field `{path}`: a value must be a list of match values, e.g. [{example}] \
         (EventBridge refuses a bare value)"
    )]
    BareValue { path: String, example: String },
    #[error("event pattern field `{path}`: an empty list matches no event; list at least one value or drop the field")]
    EmptyList { path: String },
    #[error("event pattern field `{path}`: `$or` takes a list of at least two patterns")]
    BadOr { path: String },
    #[error("the event pattern has {chars} characters as JSON; EventBridge allows at most {MAX_PATTERN_CHARS}")]
    TooLong { chars: usize },
}

/// A normalized event pattern. Compare with `==`; print with `Display` (compact, canonical JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPattern(Value);

impl EventPattern {
    /// Parses pattern text as AWS stores it (any JSON spelling) and normalizes it.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PatternError::NotJson(e.to_string()))?;
        Self::from_value(&value)
    }

    /// Normalizes a pattern given as a JSON value (from the spec's YAML, say).
    pub fn from_value(value: &Value) -> Result<Self, PatternError> {
        let Value::Object(fields) = value else {
            return Err(PatternError::NotAnObject);
        };
        let pattern = Self(Value::Object(normalize_fields(fields, "")?));
        let chars = pattern.to_string().chars().count();
        if chars > MAX_PATTERN_CHARS {
            return Err(PatternError::TooLong { chars });
        }
        Ok(pattern)
    }

    /// The canonical JSON value.
    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// The text to send to `PutRule` (compact canonical JSON).
    pub fn to_json(&self) -> String {
        self.0.to_string()
    }
}

impl fmt::Display for EventPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A pattern object: field name → nested pattern object or list of match values.
fn normalize_fields(
    fields: &Map<String, Value>,
    path: &str,
) -> Result<Map<String, Value>, PatternError> {
    let mut keys: Vec<&String> = fields.keys().collect();
    keys.sort();
    let mut out = Map::new();
    for key in keys {
        let here = join(path, key);
        let value = &fields[key];
        let normalized = if key == "$or" {
            let Value::Array(branches) = value else {
                return Err(PatternError::BadOr { path: here });
            };
            if branches.len() < 2 {
                return Err(PatternError::BadOr { path: here });
            }
            let mut set = Vec::new();
            for branch in branches {
                let Value::Object(branch) = branch else {
                    return Err(PatternError::BadOr { path: here });
                };
                set.push(Value::Object(normalize_fields(branch, path)?));
            }
            Value::Array(sorted_set(set))
        } else {
            match value {
                Value::Object(nested) => Value::Object(normalize_fields(nested, &here)?),
                Value::Array(values) if values.is_empty() => {
                    return Err(PatternError::EmptyList { path: here })
                }
                Value::Array(values) => {
                    Value::Array(sorted_set(values.iter().map(normalize_matcher).collect()))
                }
                bare => {
                    return Err(PatternError::BareValue {
                        path: here,
                        example: bare.to_string(),
                    })
                }
            }
        };
        out.insert(key.clone(), normalized);
    }
    Ok(out)
}

/// One match value: a literal, or a matcher object (`{"prefix": "x"}`, `{"numeric": [...]}`).
fn normalize_matcher(value: &Value) -> Value {
    match value {
        Value::Object(matcher) => {
            let mut keys: Vec<&String> = matcher.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for key in keys {
                let inner = &matcher[key];
                let inner = match inner {
                    Value::Array(items) if SET_VALUED_MATCHERS.contains(&key.as_str()) => {
                        Value::Array(sorted_set(items.iter().map(normalize_matcher).collect()))
                    }
                    Value::Object(_) => normalize_matcher(inner),
                    other => other.clone(),
                };
                out.insert(key.clone(), inner);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Deduplicated and sorted by canonical text (keys are already sorted, so the text is canonical).
fn sorted_set(values: Vec<Value>) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    let mut keyed: Vec<(String, Value)> = Vec::new();
    for value in values {
        let text = value.to_string();
        if seen.insert(text.clone()) {
            keyed.push((text, value));
        }
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, v)| v).collect()
}

/// How `live` differs from `desired`, one sentence per difference, in field-path order; empty
/// when they are equivalent. Lists of match values are compared as sets: "`detail.eventName` no
/// longer matches "DeleteTrail"" (the spec wants it, AWS lacks it), "… also matches …" (AWS has
/// more).
pub fn describe_differences(live: &EventPattern, desired: &EventPattern) -> Vec<String> {
    let mut lines = Vec::new();
    diff_fields(live.as_value(), desired.as_value(), "", &mut lines);
    lines
}

fn diff_fields(live: &Value, desired: &Value, path: &str, lines: &mut Vec<String>) {
    let (Value::Object(have), Value::Object(want)) = (live, desired) else {
        if live != desired {
            lines.push(format!(
                "`{}` matches {live} instead of {desired}",
                display_path(path)
            ));
        }
        return;
    };
    let keys: BTreeSet<&String> = have.keys().chain(want.keys()).collect();
    for key in keys {
        let here = join(path, key);
        match (have.get(key), want.get(key)) {
            (Some(h), None) => lines.push(format!("events are also filtered on `{here}`: {h}")),
            (None, Some(w)) => lines.push(format!(
                "events are no longer filtered on `{here}` (the spec wants {w})"
            )),
            (Some(Value::Array(h)), Some(Value::Array(w))) if key != "$or" => {
                let (h_text, w_text) = (texts(h), texts(w));
                for missing in w_text.difference(&h_text) {
                    lines.push(format!("`{here}` no longer matches {missing}"));
                }
                for extra in h_text.difference(&w_text) {
                    lines.push(format!("`{here}` also matches {extra}"));
                }
            }
            (Some(h), Some(w)) if h.is_object() && w.is_object() => diff_fields(h, w, &here, lines),
            (Some(h), Some(w)) if h != w => {
                lines.push(format!("`{here}` is {h} instead of {w}"));
            }
            _ => {}
        }
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "(the pattern)"
    } else {
        path
    }
}

fn texts(values: &[Value]) -> BTreeSet<String> {
    values.iter().map(Value::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(v: Value) -> EventPattern {
        EventPattern::from_value(&v).unwrap()
    }

    #[test]
    fn key_order_value_order_and_duplicates_do_not_count() {
        let a = p(
            json!({"source": ["aws.bedrock", "aws.logs"], "detail-type": ["X"],
                         "detail": {"eventName": ["B", "A"], "eventSource": ["s"]}}),
        );
        let b = p(
            json!({"detail": {"eventSource": ["s"], "eventName": ["A", "B", "A"]},
                         "detail-type": ["X", "X"], "source": ["aws.logs", "aws.bedrock"]}),
        );
        assert_eq!(a, b);
        assert_eq!(a.to_string(), b.to_string());
        assert!(describe_differences(&a, &b).is_empty());
    }

    #[test]
    fn escaped_text_from_aws_equals_the_plain_text() {
        // AWS may return `>` as `\u003e`: parsed, the two are one pattern.
        let ours = EventPattern::parse(r#"{"detail":{"n":[{"numeric":[">",5]}]}}"#).unwrap();
        let aws = EventPattern::parse(
            "{\n  \"detail\" : {\"n\" : [ {\"numeric\" : [\"\\u003e\", 5]} ]}\n}",
        )
        .unwrap();
        assert_eq!(ours, aws);
    }

    #[test]
    fn numeric_operands_keep_their_order_and_anything_but_is_a_set() {
        let a = p(json!({"n": [{"numeric": [">", 0, "<=", 5]}]}));
        let b = p(json!({"n": [{"numeric": ["<=", 5, ">", 0]}]}));
        assert_ne!(a, b, "numeric operands are positional");
        let c = p(json!({"s": [{"anything-but": ["b", "a", "a"]}]}));
        let d = p(json!({"s": [{"anything-but": ["a", "b"]}]}));
        assert_eq!(c, d);
    }

    #[test]
    fn or_branches_are_a_set() {
        let a = p(json!({"$or": [{"a": ["1"]}, {"b": ["2"]}]}));
        let b = p(json!({"$or": [{"b": ["2"]}, {"a": ["1"]}]}));
        assert_eq!(a, b);
        assert_eq!(
            EventPattern::from_value(&json!({"$or": [{"a": ["1"]}]})),
            Err(PatternError::BadOr { path: "$or".into() })
        );
    }

    #[test]
    fn refuses_what_eventbridge_refuses_with_the_field_path() {
        assert_eq!(
            EventPattern::from_value(&json!({"detail": {"eventName": "DeleteTrail"}})),
            Err(PatternError::BareValue {
                path: "detail.eventName".into(),
                example: "\"DeleteTrail\"".into()
            })
        );
        let err =
            EventPattern::from_value(&json!({"detail": {"eventName": "DeleteTrail"}})).unwrap_err();
        assert!(err.to_string().contains("`detail.eventName`"), "{err}");
        assert_eq!(
            EventPattern::from_value(&json!({"source": []})),
            Err(PatternError::EmptyList {
                path: "source".into()
            })
        );
        assert_eq!(
            EventPattern::from_value(&json!(["x"])),
            Err(PatternError::NotAnObject)
        );
        assert!(matches!(
            EventPattern::parse("{nope"),
            Err(PatternError::NotJson(_))
        ));
        let long: Vec<String> = (0..400).map(|i| format!("EventName{i:04}")).collect();
        assert!(matches!(
            EventPattern::from_value(&json!({"detail": {"eventName": long}})),
            Err(PatternError::TooLong { .. })
        ));
    }

    #[test]
    fn differences_in_words() {
        let desired = p(
            json!({"source": ["aws.bedrock"], "detail": {"eventName": ["DeleteTrail", "StopLogging"]}}),
        );
        let live = p(
            json!({"source": ["aws.bedrock"], "detail": {"eventName": ["StopLogging", "UpdateTrail"],
                                                                  "readOnly": [false]}}),
        );
        assert_eq!(
            describe_differences(&live, &desired),
            [
                "`detail.eventName` no longer matches \"DeleteTrail\"",
                "`detail.eventName` also matches \"UpdateTrail\"",
                "events are also filtered on `detail.readOnly`: [false]",
            ]
        );
        let bare = p(json!({"detail": {"eventName": ["DeleteTrail", "StopLogging"]}}));
        assert_eq!(
            describe_differences(&bare, &desired),
            ["events are no longer filtered on `source` (the spec wants [\"aws.bedrock\"])"]
        );
    }
}
