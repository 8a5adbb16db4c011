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
    // Both sides end with a newline, so the diff never says `\ No newline at end of file`.
    let terminated = |mut text: String| {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text
    };
    let (old, new) = (terminated(pretty(before)), terminated(pretty(after)));
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(2)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn no_newline_at_end_of_file_marker_in_diffs() {
        let diff = unified(&Value::Null, &json!({"Statement": [{"Effect": "Allow"}]}));
        assert!(!diff.contains("No newline"), "{diff}");
        assert!(diff.ends_with("+}\n"), "{diff}");
        let diff = unified(&json!("a\nb"), &json!("a\nc"));
        assert!(!diff.contains("No newline"), "{diff}");
    }
}
