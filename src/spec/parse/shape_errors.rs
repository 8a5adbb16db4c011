//! Shape errors (serde): find the node the error is about, and say it in the spec's terms.

use marked_yaml::types::MarkedScalarNode;
use marked_yaml::{Error as NodeError, Node, Span};

use crate::source::{did_you_mean, Diagnostic, SourceFile};
use crate::spec::retention::ALLOWED_RETENTION_DAYS;

/// A `key:` with nothing after it is an empty scalar that the parser places at the next token
/// (often the next key); point it at its own key instead.
pub(super) fn point_empty_values_at_keys(node: &mut Node) {
    match node {
        Node::Mapping(map) => {
            for (key, value) in map.iter_mut() {
                if let Node::Scalar(scalar) = value {
                    let key_line = key.span().start().map(|m| m.line());
                    let value_line = scalar.span().start().map(|m| m.line());
                    if scalar.as_str().is_empty() && scalar.may_coerce() && key_line != value_line {
                        *scalar.span_mut() = *key.span();
                    }
                } else {
                    point_empty_values_at_keys(value);
                }
            }
        }
        Node::Sequence(items) => items.iter_mut().for_each(point_empty_values_at_keys),
        Node::Scalar(_) => {}
    }
}

/// A tag written as `key: null`, `key: ~` or `key:` has no value (YAML null); read as text it
/// would become the word `null` or an empty value without the user asking for either.
pub(super) fn null_tag_value(source: &SourceFile, node: &Node, path: &str) -> Option<Diagnostic> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match node {
        Node::Mapping(map) => map.iter().find_map(|(key, value)| {
            let here = join(key.as_str());
            if let (Some(tags), "tags") = (value.as_mapping(), key.as_str()) {
                for (tag, tag_value) in tags.iter() {
                    let Node::Scalar(scalar) = tag_value else {
                        continue;
                    };
                    let is_null = scalar.may_coerce()
                        && matches!(scalar.as_str(), "" | "~" | "null" | "Null" | "NULL");
                    if is_null {
                        let written = if scalar.as_str().is_empty() {
                            String::new()
                        } else {
                            format!(" (`{}` is YAML for no value)", scalar.as_str())
                        };
                        let span = if scalar.as_str().is_empty() {
                            *tag.span()
                        } else {
                            *scalar.span()
                        };
                        return Some(
                            Diagnostic::error(
                                source,
                                Some(&span),
                                format!("tag `{}` has no value{written}", tag.as_str()),
                            )
                            .label("no value")
                            .help(if scalar.as_str().is_empty() {
                                format!("write `{}: \"\"` for an empty value", tag.as_str())
                            } else {
                                format!(
                                    "write `{}: \"\"` for an empty value, or quote the word (`\"{}\"`) if it is the value",
                                    tag.as_str(),
                                    scalar.as_str()
                                )
                            })
                            .field(format!("{here}.{}", tag.as_str())),
                        );
                    }
                }
                return None;
            }
            null_tag_value(source, value, &here)
        }),
        Node::Sequence(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| null_tag_value(source, item, &format!("{path}[{i}]"))),
        Node::Scalar(_) => None,
    }
}

/// serde builds a struct from a list as well as from a mapping (`- [prod, "111111111111"]`
/// would fill `name` and `id` in order), so a list where the schema wants a mapping is
/// refused here, before deserialising.
pub(super) fn list_where_mapping_belongs(source: &SourceFile, root: &Node) -> Option<Diagnostic> {
    let schema = crate::spec::json_schema();
    let defs = schema.get("$defs").cloned().unwrap_or_default();
    let (path, node, name) = find_list_for_mapping(root, &schema, &defs, String::new())?;
    let message = format!(
        "invalid type: sequence, expected struct {}",
        name.unwrap_or("Object")
    );
    let span = node.span().start().map(|m| Span::new_start(*m));
    let d = Diagnostic::error(source, span.as_ref(), humanize(&message)).help(type_help(&message));
    Some(if path.is_empty() { d } else { d.field(path) })
}

/// The schema alternatives a value may match (through `$ref`, `anyOf`, `oneOf`), each with
/// the name of its definition when it has one.
pub(super) fn alternatives<'s>(
    schema: &'s serde_json::Value,
    defs: &'s serde_json::Value,
    depth: usize,
) -> Vec<(&'s serde_json::Value, Option<&'s str>)> {
    if depth > 16 {
        return Vec::new();
    }
    if let Some(reference) = schema.get("$ref").and_then(|r| r.as_str()) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return match defs.get(name) {
            Some(def) => alternatives(def, defs, depth + 1)
                .into_iter()
                .map(|(s, n)| (s, n.or(Some(name))))
                .collect(),
            None => Vec::new(),
        };
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(|o| o.as_array()) {
            return options
                .iter()
                .flat_map(|o| alternatives(o, defs, depth + 1))
                .collect();
        }
    }
    vec![(schema, None)]
}

/// Whether a schema allows a JSON type (`object`, `array`); `None` when it does not say.
pub(super) fn allows(schema: &serde_json::Value, kind: &str) -> Option<bool> {
    match schema.get("type") {
        Some(serde_json::Value::String(t)) => Some(t == kind),
        Some(serde_json::Value::Array(types)) => Some(types.iter().any(|t| t == kind)),
        _ if schema.get("properties").is_some() || schema.get("additionalProperties").is_some() => {
            Some(kind == "object")
        }
        _ if schema.get("items").is_some() => Some(kind == "array"),
        _ => None,
    }
}

fn find_list_for_mapping<'n, 's>(
    node: &'n Node,
    schema: &'s serde_json::Value,
    defs: &'s serde_json::Value,
    path: String,
) -> Option<(String, &'n Node, Option<&'s str>)> {
    let options = alternatives(schema, defs, 0);
    match node {
        Node::Sequence(items) => {
            let typed: Vec<_> = options
                .iter()
                .filter(|(s, _)| allows(s, "array").is_some())
                .collect();
            let array = typed.iter().any(|(s, _)| allows(s, "array") == Some(true));
            if let Some((_, name)) = typed
                .iter()
                .find(|(s, _)| allows(s, "object") == Some(true))
                .filter(|_| !array)
            {
                return Some((path, node, *name));
            }
            let item_schema = options.iter().find_map(|(s, _)| s.get("items"))?;
            items.iter().enumerate().find_map(|(i, item)| {
                find_list_for_mapping(item, item_schema, defs, format!("{path}[{i}]"))
            })
        }
        Node::Mapping(map) => {
            let object = options
                .iter()
                .find(|(s, _)| allows(s, "object") == Some(true))?
                .0;
            map.iter().find_map(|(key, value)| {
                let sub = object
                    .get("properties")
                    .and_then(|p| p.get(key.as_str()))
                    .or_else(|| object.get("additionalProperties").filter(|a| a.is_object()))?;
                let path = if path.is_empty() {
                    key.as_str().to_string()
                } else {
                    format!("{path}.{}", key.as_str())
                };
                find_list_for_mapping(value, sub, defs, path)
            })
        }
        Node::Scalar(_) => None,
    }
}

#[derive(Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(|d| d.is_ascii_digit()) {
                    digits.push(d);
                }
                match (chars.peek(), digits.parse()) {
                    (Some(']'), Ok(index)) => {
                        chars.next();
                        if !key.is_empty() {
                            out.push(Segment::Key(std::mem::take(&mut key)));
                        }
                        out.push(Segment::Index(index));
                    }
                    _ => {
                        key.push('[');
                        key.push_str(&digits);
                    }
                }
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Segment::Key(key));
    }
    out
}

/// What a serde path leads to in the YAML tree.
struct Located<'a> {
    /// The deepest node reached.
    node: &'a Node,
    /// The key under which `node` was found, when it was found in a mapping.
    key: Option<&'a MarkedScalarNode>,
    /// The whole path was followed.
    complete: bool,
}

fn locate<'a>(root: &'a Node, path: Option<&str>) -> Located<'a> {
    let segments = path.map(segments).unwrap_or_default();
    let mut here = Located {
        node: root,
        key: None,
        complete: true,
    };
    let mut i = 0;
    while i < segments.len() {
        let step = match (&segments[i], here.node) {
            (Segment::Index(n), Node::Sequence(items)) => items.get(*n).map(|node| (node, None, 1)),
            (Segment::Key(_), Node::Mapping(map)) => {
                // A key may itself contain dots (tag keys): try the longest match first.
                (1..=segments.len() - i).rev().find_map(|take| {
                    let joined = segments[i..i + take]
                        .iter()
                        .map(|s| match s {
                            Segment::Key(k) => Some(k.as_str()),
                            Segment::Index(_) => None,
                        })
                        .collect::<Option<Vec<_>>>()?
                        .join(".");
                    map.iter()
                        .find(|(k, _)| k.as_str() == joined)
                        .map(|(k, node)| (node, Some(k), take))
                })
            }
            _ => None,
        };
        match step {
            Some((node, key, taken)) => {
                here.node = node;
                here.key = key;
                i += taken;
            }
            None => {
                here.complete = false;
                break;
            }
        }
    }
    here
}

/// Where to point for an error about `node`: a scalar itself, a collection's first line, and
/// an empty value's key.
fn span_of(located: &Located) -> Option<Span> {
    match located.node {
        Node::Scalar(s) if s.as_str().is_empty() && s.may_coerce() => {
            located.key.map(|k| *k.span()).or_else(|| Some(*s.span()))
        }
        // A mapping's own mark can be the first key's colon; point at the first key.
        Node::Mapping(map) => map
            .iter()
            .next()
            .map(|(k, _)| *k.span())
            .or_else(|| map.span().start().map(|m| Span::new_start(*m))),
        node => node.span().start().map(|m| Span::new_start(*m)),
    }
}

pub(super) fn shape_error(
    source: &SourceFile,
    root: &Node,
    path: Option<String>,
    error: NodeError,
) -> Diagnostic {
    let path = path.filter(|p| !p.is_empty() && p != ".");
    let located = locate(root, path.as_deref());
    let fallback = error.start_mark().map(Span::new_start);
    let value_span = if located.complete {
        span_of(&located).or(fallback)
    } else {
        fallback
    };
    let scalar_text = match located.node {
        Node::Scalar(s) if located.complete => Some(s.as_str()),
        _ => None,
    };
    let last_key = path
        .as_deref()
        .and_then(|p| {
            segments(p).into_iter().rev().find_map(|s| match s {
                Segment::Key(k) => Some(k),
                Segment::Index(_) => None,
            })
        })
        .unwrap_or_default();
    let diagnostic = match &error {
        NodeError::UnknownFieldError(field, expected, _) => {
            let span = if located.complete {
                located.key.map(|k| *k.span()).or(value_span)
            } else {
                fallback
            };
            let mut d =
                Diagnostic::error(source, span.as_ref(), format!("unknown field `{field}`"))
                    .label("not a field here");
            let allowed = expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ");
            d = match did_you_mean(field, expected.iter().copied()) {
                Some(best) => d.help(format!(
                    "did you mean `{best}`? Fields allowed here: {allowed}"
                )),
                None => match super::hints::belongs_elsewhere(&crate::spec::json_schema(), field) {
                    Some((name, place)) => d.help(format!(
                        "fields allowed here: {allowed}; `{name}` goes {place}"
                    )),
                    None => d.help(format!("fields allowed here: {allowed}")),
                },
            };
            d
        }
        NodeError::IntegerParseFailure(_, _) => {
            let message = match scalar_text {
                Some("") => "the value is missing; expected a whole number".to_string(),
                Some(text) => format!("expected a whole number, found `{text}`"),
                None => "expected a whole number".to_string(),
            };
            let help = match last_key.as_str() {
                "version" => "write `version: 1`".to_string(),
                "retention_days" => retention_help(),
                _ => "write digits only, e.g. `365`".to_string(),
            };
            Diagnostic::error(source, value_span.as_ref(), message).help(help)
        }
        NodeError::FloatParseFailure(e, _) => Diagnostic::error(
            source,
            value_span.as_ref(),
            format!("expected a number ({e})"),
        ),
        NodeError::NotBoolean(_) => {
            let message = match scalar_text {
                Some("") => "the value is missing; expected `true` or `false`".to_string(),
                Some(text) => format!("expected `true` or `false`, found `{text}`"),
                None => "expected `true` or `false`".to_string(),
            };
            Diagnostic::error(source, value_span.as_ref(), message).help(
                "write `true` or `false` (YAML 1.1 words such as `yes`, `no`, `on` and `off` are not booleans in a spec)",
            )
        }
        NodeError::Other(message, _) => {
            if let Some(field) = missing_field(message) {
                let what = match path.as_deref() {
                    None => "the top level".to_string(),
                    Some(p) if p.ends_with(']') => format!("this {}", item_name(p)),
                    Some(p) => format!("`{p}`"),
                };
                Diagnostic::error(
                    source,
                    value_span.as_ref(),
                    format!("missing field `{field}`"),
                )
                .label(format!("{what} has no `{field}`"))
                .help(missing_help(field, path.as_deref().unwrap_or("")))
            } else {
                let help = if last_key == "retention_days" {
                    retention_help()
                } else {
                    type_help(message)
                };
                let mut d =
                    Diagnostic::error(source, value_span.as_ref(), humanize(message)).help(help);
                if scalar_text == Some("") {
                    d = d.label("no value");
                }
                d
            }
        }
    };
    match path {
        Some(p) => diagnostic.field(p),
        None => diagnostic,
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
}

/// "account" for `accounts[1]`, "log group" for `log_groups[0]`, …: the list's key, singular.
fn item_name(path: &str) -> String {
    let list = path.rsplit('.').next().unwrap_or(path);
    match list.split('[').next().unwrap_or("") {
        "" => "item".to_string(),
        key => super::hints::singular(key),
    }
}

fn missing_help(field: &str, path: &str) -> String {
    match field {
        "version" => "add `version: 1` at the top of the file".into(),
        "accounts" => {
            "add an `accounts:` list with at least one account, e.g. `- name: prod` and `id: \"123456789012\"`".into()
        }
        "id" => "add the account's 12-digit id, e.g. `id: \"123456789012\"` (quoted)".into(),
        "name" if item_name(path) == "log group" => {
            "add the log group's name, e.g. `name: /aws/bedrock/invocations`".into()
        }
        "name" => "add a short name for the account, e.g. `name: prod`".into(),
        _ => "add the field; `warden schema` prints every field with its description".into(),
    }
}

fn retention_help() -> String {
    format!(
        "write a number of days CloudWatch Logs accepts ({}) or `never`",
        ALLOWED_RETENTION_DAYS
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// serde's messages name Rust types (`u32`, `a sequence`); say it in the spec's terms.
fn humanize(message: &str) -> String {
    let message = message.replace("invalid type: ", "wrong type: found ");
    let (found, expected) = match message.split_once(", expected ") {
        Some((found, expected)) => (found.to_string(), Some(expected.to_string())),
        None => (message.clone(), None),
    };
    let found = found
        .replace("found map", "found a mapping")
        .replace("found sequence", "found a list")
        .replace("found unit value", "found an empty value")
        .replace("found string ", "found the text ");
    let Some(expected) = expected else {
        return found;
    };
    let expected = match expected.as_str() {
        "struct LogGroup" => "a log group (a mapping with `name:` and its settings)".to_string(),
        "struct Account" => "an account (a mapping with `name:` and `id:`)".to_string(),
        "struct Override" => {
            "an override (a mapping with `regions:` and/or `log_groups:`)".to_string()
        }
        "struct Defaults" => "a mapping with `regions:` and/or `tags:`".to_string(),
        "struct Spec" => "a mapping".to_string(),
        "a map" => "a mapping of `key: value` lines".to_string(),
        "a sequence" => "a list".to_string(),
        "u32" => "a whole number".to_string(),
        other if other.starts_with("struct ") => "a mapping of `key: value` lines".to_string(),
        other => other.to_string(),
    };
    format!("{found}, expected {expected}")
}

fn type_help(message: &str) -> String {
    let expected = message.split(", expected ").nth(1).unwrap_or("");
    match expected {
        "a sequence" => "write a list: `[a, b]` on one line, or one `- item` per line".into(),
        "a map" => "write `key: value` lines, indented under this key".into(),
        "struct LogGroup" => {
            "each log group is a mapping, e.g. `- name: /aws/bedrock/invocations` with `retention_days: 365` below it".into()
        }
        "struct Account" => {
            "each account is a mapping, e.g. `- name: prod` with `id: \"123456789012\"` below it".into()
        }
        "struct Override" => {
            "each override is a mapping, e.g. `- regions: [us-east-1]` with `log_groups:` below it".into()
        }
        "struct Defaults" => "write `regions:` and `tags:` indented under `defaults:`".into(),
        e if e.starts_with("struct ") => "write `key: value` lines, indented under this key".into(),
        e if e.contains("string") => "write the value as text; quote it if it looks like a number or a list".into(),
        _ => "see `warden schema` for the expected shape".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_serde_paths() {
        assert_eq!(
            segments("accounts[0].overrides[12].log_group"),
            vec![
                Segment::Key("accounts".into()),
                Segment::Index(0),
                Segment::Key("overrides".into()),
                Segment::Index(12),
                Segment::Key("log_group".into()),
            ]
        );
        assert_eq!(segments("[3]"), vec![Segment::Index(3)]);
    }
}
