//! Field hints derived from the spec's JSON Schema, so that every section (present or future)
//! gets them without a hand-kept table: where else a misplaced field may be written, and what
//! an item of a list is called.

use std::collections::HashSet;

use super::shape_errors::{allows, alternatives};
use crate::source::did_you_mean;

/// One place a field may be written: `at the top level`, `under `defaults:``, `in an account`.
#[derive(Debug, Clone, PartialEq)]
struct Place {
    phrase: String,
    /// Said when the field has only this place: `(an item of `log_groups:`)`.
    detail: Option<String>,
}

/// Every field name of the schema with the places it may be written, in schema order.
fn field_places(schema: &serde_json::Value) -> Vec<(String, Vec<Place>)> {
    let defs = schema.get("$defs").cloned().unwrap_or_default();
    let mut found: Vec<(String, Vec<Place>)> = Vec::new();
    let root = Place {
        phrase: "at the top level".into(),
        detail: None,
    };
    walk(schema, &defs, &root, &mut found, &mut HashSet::new(), 0);
    found
}

fn walk(
    schema: &serde_json::Value,
    defs: &serde_json::Value,
    place: &Place,
    found: &mut Vec<(String, Vec<Place>)>,
    seen: &mut HashSet<(String, String)>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    for (object, _) in alternatives(schema, defs, 0) {
        let Some(properties) = object.get("properties").and_then(|p| p.as_object()) else {
            continue;
        };
        for (key, sub) in properties {
            // A definition reached twice (log groups in the baseline and in overrides) is one place.
            if !seen.insert((place.phrase.clone(), key.clone())) {
                continue;
            }
            match found.iter_mut().find(|(name, _)| name == key) {
                Some((_, places)) if !places.contains(place) => places.push(place.clone()),
                Some(_) => {}
                None => found.push((key.clone(), vec![place.clone()])),
            }
            for (option, _) in alternatives(sub, defs, 0) {
                if option.get("properties").is_some() {
                    let inner = Place {
                        phrase: format!("under `{key}:`"),
                        detail: None,
                    };
                    walk(option, defs, &inner, found, seen, depth + 1);
                } else if allows(option, "array") == Some(true) {
                    if let Some(items) = option.get("items") {
                        let singular = singular(key);
                        let inner = Place {
                            phrase: format!("in {} {singular}", article(&singular)),
                            detail: Some(format!("(an item of `{key}:`)")),
                        };
                        walk(items, defs, &inner, found, seen, depth + 1);
                    }
                }
            }
        }
    }
}

/// `log_groups` → `log group`, `accounts` → `account`.
pub(super) fn singular(list: &str) -> String {
    let words = list.replace('_', " ");
    match words.strip_suffix('s') {
        Some(one) if !one.ends_with('s') && !one.is_empty() => one.to_string(),
        _ => words,
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// For an unknown field: the schema field it most likely is, and where that field is written
/// (e.g. `regions` → "under `defaults:`, in an account, or in an override").
pub(super) fn belongs_elsewhere(
    schema: &serde_json::Value,
    field: &str,
) -> Option<(String, String)> {
    let places = field_places(schema);
    let best = did_you_mean(field, places.iter().map(|(name, _)| name.as_str()))?;
    let (name, places) = places.iter().find(|(name, _)| name == best)?;
    let text = match places.as_slice() {
        [one] => match &one.detail {
            Some(detail) => format!("{} {detail}", one.phrase),
            None => one.phrase.clone(),
        },
        [a, b] => format!("{} or {}", a.phrase, b.phrase),
        many => {
            let (last, rest) = many.split_last()?;
            let rest: Vec<&str> = rest.iter().map(|p| p.phrase.as_str()).collect();
            format!("{}, or {}", rest.join(", "), last.phrase)
        }
    };
    Some((name.clone(), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_come_from_the_schema() {
        let schema = crate::spec::json_schema();
        let hint = |f: &str| belongs_elsewhere(&schema, f).map(|(n, p)| format!("{n}: {p}"));
        assert_eq!(
            hint("region").as_deref(),
            Some("regions: under `defaults:`, in an account, or in an override")
        );
        assert_eq!(
            hint("retention").as_deref(),
            Some("retention_days: in a log group (an item of `log_groups:`)")
        );
        assert_eq!(
            hint("tag").as_deref(),
            Some("tags: under `defaults:`, in an account, or in a log group")
        );
        assert_eq!(
            hint("acounts").as_deref(),
            Some("accounts: at the top level")
        );
        // Sections that had no hand-written hints get them too.
        assert_eq!(
            hint("large_dat").as_deref(),
            Some("large_data: under `cloudwatch:`")
        );
        assert_eq!(
            hint("custom_identifier").as_deref(),
            Some(
                "custom_identifiers: under `data_protection:` or under `account_data_protection:`"
            )
        );
        assert_eq!(hint("zzzzzz"), None);
    }

    #[test]
    fn names_list_items() {
        assert_eq!(singular("log_groups"), "log group");
        assert_eq!(singular("accounts"), "account");
        assert_eq!(singular("custom_identifiers"), "custom identifier");
        assert_eq!(singular("s3"), "s3");
    }
}
