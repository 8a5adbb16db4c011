//! How values and field changes read in text and Markdown: scalars inline, multi-line text
//! as a unified diff (via `similar`).

use serde_json::Value;
use similar::TextDiff;

/// A value as a user would write it: strings unquoted unless empty, null as `(none)`.
pub fn show(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_string(),
        Value::String(s) if s.is_empty() => "\"\"".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether the value is long or multi-line enough to need a diff rather than `a → b`.
pub fn is_long(value: &Value) -> bool {
    let text = show(value);
    text.contains('\n') || text.len() > 120
}

/// A unified diff of two long values, lines prefixed with `-`/`+`.
pub fn unified(before: &Value, after: &Value) -> String {
    let pretty = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    };
    let (old, new) = (pretty(before), pretty(after));
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(2)
        .to_string()
}
