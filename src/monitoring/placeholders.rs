//! `{name}` placeholders in template text: finding, checking and substituting them.

use std::collections::BTreeMap;

/// Every placeholder a template may use. `{threshold}` only in alarm descriptions,
/// `{model_id}` only where the template is rendered per model.
pub const KNOWN_PLACEHOLDERS: &[&str] = &[
    "account",
    "region",
    "model_id",
    "log_group",
    "pack",
    "threshold",
    "alarm_prefix",
];

/// Values for the placeholders, by name (without braces).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bindings(pub BTreeMap<String, String>);

impl Bindings {
    pub fn new(account: &str, region: &str, log_group: &str) -> Self {
        let mut b = Bindings::default();
        b.set("account", account)
            .set("region", region)
            .set("log_group", log_group);
        b
    }

    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.0.insert(name.to_string(), value.to_string());
        self
    }

    pub fn with(&self, name: &str, value: &str) -> Self {
        let mut b = self.clone();
        b.set(name, value);
        b
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// The placeholders of `text` with their byte offsets. A placeholder is `{` + a lowercase
/// identifier + `}`; anything else in braces (`{AWS/Bedrock,ModelId}` in a SEARCH
/// expression, JSON) is text.
pub fn find(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len()
                && (bytes[j].is_ascii_lowercase()
                    || bytes[j] == b'_'
                    || (j > start && bytes[j].is_ascii_digit()))
            {
                j += 1;
            }
            if j > start && j < bytes.len() && bytes[j] == b'}' {
                found.push((i, &text[start..j]));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// Replaces every placeholder; the first one without a value is returned as `Err(name)`.
pub fn render(text: &str, bindings: &Bindings) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, name) in find(text) {
        let value = bindings.get(name).ok_or_else(|| name.to_string())?;
        out.push_str(&text[last..at]);
        out.push_str(value);
        last = at + name.len() + 2;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// The first placeholder of `text` not in `allowed`, with its byte offset.
pub fn first_unknown<'t>(text: &'t str, allowed: &[&str]) -> Option<(usize, &'t str)> {
    find(text)
        .into_iter()
        .find(|(_, name)| !allowed.contains(name))
}
