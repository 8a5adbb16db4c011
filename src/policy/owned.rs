//! Resource policies shared with other tools (bucket, topic, event-bus policies): the tool owns
//! the statements whose Sids its desired document has, and keeps every other statement.

use serde_json::{json, Value};

use super::{statements_with_sid, upsert_statements, POLICY_VERSION};

/// The Sids of the statements of a desired resource policy (a document, or one statement): the
/// statements the tool owns on the resource.
pub fn owned_sids(desired_policy: &Value) -> Vec<String> {
    let statements = match desired_policy.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => vec![desired_policy],
    };
    let mut sids: Vec<String> = Vec::new();
    for sid in statements
        .into_iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str))
    {
        if !sids.iter().any(|known| known == sid) {
            sids.push(sid.to_string());
        }
    }
    sids
}

/// `current` (the live resource policy) with the statements of each Sid `ours` has replaced by
/// ours, every other statement kept; `None` when `ours` owns no statement (nothing to write).
pub fn merge_owned(current: Option<&Value>, ours: &Value) -> Option<Value> {
    let mut merged: Option<Value> = None;
    for sid in owned_sids(ours) {
        let statements = statements_with_sid(ours, &sid);
        let base = merged.as_ref().or(current);
        merged = Some(upsert_statements(base, &statements, &sid));
    }
    merged
}

/// The part of a resource policy the tool owns (the statements with `sids`), as a document of
/// its own.
pub fn owned_policy(doc: Option<&Value>, sids: &[String]) -> Value {
    let statements: Vec<Value> = doc
        .filter(|d| !d.is_null())
        .map(|d| {
            sids.iter()
                .flat_map(|sid| {
                    statements_with_sid(d, sid)["Statement"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    json!({ "Version": POLICY_VERSION, "Statement": statements })
}
