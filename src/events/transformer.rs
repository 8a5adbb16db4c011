//! EventBridge input transformers: checked offline against the API's rules, and rendered for an event the way EventBridge documents it.
//!
//! Rules checked ([`InputTransformer::validate`]), from the API model and the user guide: at
//! most 100 variables; names of 1–256 characters from `A-Za-z0-9_-`, none of the reserved
//! `aws.events.*` names; paths JSON dot notation of at most 256 characters; a template of
//! 1–8192 characters; in a JSON template (one starting with `{`) a placeholder cannot be an
//! object key and the template must be JSON once placeholders are filled.
//!
//! Rendering ([`InputTransformer::render`]), warden's reading of the user guide: a placeholder
//! outside quotes becomes the value as JSON (a string with its quotes, an object as an object);
//! inside quotes a string is inserted as it is (EventBridge does not escape it) and an object or
//! array as its JSON text with the inner quotes removed; a template that is not a JSON object
//! is text, where every placeholder is filled as inside quotes. A path that does not exist in the
//! event gives no variable; warden renders it as `null` outside quotes and as nothing inside.

use std::collections::BTreeMap;

use serde_json::Value;
use thiserror::Error;

/// `TransformerPaths` in the API model: at most 100 entries.
pub const MAX_VARIABLES: usize = 100;
/// `TransformerInput` in the API model: 1–8192 characters.
pub const MAX_TEMPLATE_CHARS: usize = 8192;
/// `TargetInputPath` / `InputTransformerPathKey` in the API model.
pub const MAX_PATH_CHARS: usize = 256;
/// Variables EventBridge defines itself; they cannot be redefined.
pub const PREDEFINED_VARIABLES: &[&str] = &[
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
];

/// `InputPathsMap` + `InputTemplate` of a target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InputTransformer {
    pub paths: BTreeMap<String, String>,
    pub template: String,
}

/// A transformer EventBridge would refuse (or that could not deliver JSON).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransformerError {
    #[error("the input transformer defines {count} variables; EventBridge allows at most {MAX_VARIABLES}")]
    TooManyVariables { count: usize },
    #[error("input transformer variable `{name}`: names are 1-256 characters of letters, digits, `_` and `-`")]
    BadVariableName { name: String },
    #[error("input transformer variable `{name}` is reserved by EventBridge; choose another name")]
    ReservedName { name: String },
    #[error("input transformer variable `{name}`: `{path}` is not a JSON path in dot notation, e.g. `$.detail.eventName`")]
    BadPath { name: String, path: String },
    #[error(
        "the input template has {chars} characters; EventBridge allows 1 to {MAX_TEMPLATE_CHARS}"
    )]
    TemplateLength { chars: usize },
    #[error("the input template uses the placeholder <{name}> as an object key, which EventBridge does not allow")]
    PlaceholderAsKey { name: String },
    #[error("the input template is not JSON once its placeholders are filled: {problem}")]
    TemplateNotJson { problem: String },
    #[error(
        "the input transformer path of `{name}` (`{path}`) uses syntax warden cannot evaluate"
    )]
    CannotRender { name: String, path: String },
}

/// What EventBridge knows besides the event when it renders (for the predefined variables).
#[derive(Debug, Clone, Default)]
pub struct RenderContext {
    pub rule_arn: String,
    pub rule_name: String,
    pub ingestion_time: String,
}

enum Segment {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Option<Vec<Segment>> {
    let rest = path.strip_prefix('$')?;
    let mut segments = Vec::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                while let Some(&n) = chars.peek() {
                    if n == '.' || n == '[' {
                        break;
                    }
                    key.push(n);
                    chars.next();
                }
                if key.is_empty()
                    || !key
                        .chars()
                        .all(|k| k.is_ascii_alphanumeric() || "-_/".contains(k))
                {
                    return None;
                }
                segments.push(Segment::Key(key));
            }
            '[' => {
                let mut digits = String::new();
                for n in chars.by_ref() {
                    if n == ']' {
                        break;
                    }
                    digits.push(n);
                }
                segments.push(Segment::Index(digits.parse().ok()?));
            }
            _ => return None,
        }
    }
    Some(segments)
}

fn valid_path_syntax(path: &str) -> bool {
    // What the user guide lists: dot notation, dashes, underscores, alphanumerics, array
    // indices, wildcards, forward slashes.
    path.starts_with('$')
        && path.chars().count() <= MAX_PATH_CHARS
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "$.-_[]*/".contains(c))
}

fn lookup<'a>(event: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    segments.iter().try_fold(event, |v, s| match s {
        Segment::Key(k) => v.get(k.as_str()),
        Segment::Index(i) => v.get(*i),
    })
}

/// Marks a placeholder while a JSON template is parsed; `@` is never escaped in JSON text.
const MARK: &str = "@@warden-placeholder:";

/// Placeholders in `template`: (byte start, byte end, name, inside a JSON string).
fn placeholders<'t>(
    template: &'t str,
    known: &dyn Fn(&str) -> bool,
) -> Vec<(usize, usize, &'t str, bool)> {
    let bytes = template.as_bytes();
    let (mut found, mut in_string, mut i) = (Vec::new(), false, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'<' => {
                if let Some(len) = template[i + 1..].find('>') {
                    let name = &template[i + 1..i + 1 + len];
                    if known(name) {
                        found.push((i, i + len + 2, name, in_string));
                        i += len + 2;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

impl InputTransformer {
    fn is_variable(&self, name: &str) -> bool {
        self.paths.contains_key(name) || PREDEFINED_VARIABLES.contains(&name)
    }

    fn is_json_template(&self) -> bool {
        self.template.trim_start().starts_with('{')
    }

    /// Checks the transformer against EventBridge's rules (see the module comment).
    pub fn validate(&self) -> Result<(), TransformerError> {
        if self.paths.len() > MAX_VARIABLES {
            return Err(TransformerError::TooManyVariables {
                count: self.paths.len(),
            });
        }
        for (name, path) in &self.paths {
            if PREDEFINED_VARIABLES.contains(&name.as_str()) || name.starts_with("aws.") {
                return Err(TransformerError::ReservedName { name: name.clone() });
            }
            if name.is_empty()
                || name.chars().count() > MAX_PATH_CHARS
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(TransformerError::BadVariableName { name: name.clone() });
            }
            if !valid_path_syntax(path) {
                return Err(TransformerError::BadPath {
                    name: name.clone(),
                    path: path.clone(),
                });
            }
        }
        let chars = self.template.chars().count();
        if chars == 0 || chars > MAX_TEMPLATE_CHARS {
            return Err(TransformerError::TemplateLength { chars });
        }
        if self.is_json_template() {
            self.check_json_template()?;
        }
        Ok(())
    }

    /// The template with placeholders replaced by marker strings, parsed (JSON templates only).
    fn parsed_template(&self) -> Result<Value, TransformerError> {
        let mut filled = String::new();
        let mut last = 0;
        for (start, end, name, in_string) in placeholders(&self.template, &|n| self.is_variable(n))
        {
            filled.push_str(&self.template[last..start]);
            if in_string {
                filled.push_str(&format!("{MARK}{name}@@"));
            } else {
                filled.push_str(&format!("\"{MARK}{name}@@\""));
            }
            last = end;
        }
        filled.push_str(&self.template[last..]);
        serde_json::from_str(&filled).map_err(|e| TransformerError::TemplateNotJson {
            problem: e.to_string(),
        })
    }

    fn check_json_template(&self) -> Result<(), TransformerError> {
        let value = self.parsed_template()?;
        fn keys(v: &Value) -> Option<String> {
            match v {
                Value::Object(map) => map.iter().find_map(|(k, v)| {
                    k.split_once(MARK)
                        .and_then(|(_, rest)| rest.split_once("@@"))
                        .map(|(n, _)| n.to_string())
                        .or_else(|| keys(v))
                }),
                Value::Array(items) => items.iter().find_map(keys),
                _ => None,
            }
        }
        match keys(&value) {
            Some(name) => Err(TransformerError::PlaceholderAsKey { name }),
            None => Ok(()),
        }
    }

    /// The template in a canonical form: a JSON template parsed and written back compactly
    /// with its keys sorted (so `>` vs `\u003e`, spacing and key order do not count); any
    /// other template as it is.
    pub fn canonical_template(&self) -> String {
        if !self.is_json_template() {
            return self.template.clone();
        }
        let Ok(value) = self.parsed_template() else {
            return self.template.clone();
        };
        let mut text = sorted(&value).to_string();
        for (_, _, name, _) in placeholders(&self.template, &|n| self.is_variable(n)) {
            text = text
                .replace(&format!("\"{MARK}{name}@@\""), &format!("<{name}>"))
                .replace(&format!("{MARK}{name}@@"), &format!("<{name}>"));
        }
        text
    }

    /// Same paths and the same canonical template: EventBridge sends the same payload.
    pub fn equivalent(&self, other: &InputTransformer) -> bool {
        self.paths == other.paths && self.canonical_template() == other.canonical_template()
    }

    /// The SDK's `InputTransformer` for `PutTargets`.
    pub fn to_sdk(&self) -> aws_sdk_eventbridge::types::InputTransformer {
        aws_sdk_eventbridge::types::InputTransformer::builder()
            .set_input_paths_map(Some(self.paths.clone().into_iter().collect()))
            .input_template(&self.template)
            .build()
            .expect("input_template, the one required field, is set")
    }

    /// From `ListTargetsByRule`'s answer.
    pub fn from_sdk(sdk: &aws_sdk_eventbridge::types::InputTransformer) -> Self {
        Self {
            paths: sdk
                .input_paths_map()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            template: sdk.input_template().to_string(),
        }
    }

    /// The payload EventBridge would send the target for `event` (see the module comment).
    pub fn render(
        &self,
        event: &Value,
        context: &RenderContext,
    ) -> Result<String, TransformerError> {
        let mut values: BTreeMap<&str, Option<Value>> = BTreeMap::new();
        for (name, path) in &self.paths {
            let segments = parse_path(path).ok_or_else(|| TransformerError::CannotRender {
                name: name.clone(),
                path: path.clone(),
            })?;
            values.insert(name, lookup(event, &segments).cloned());
        }
        let mut without_detail = event.clone();
        if let Value::Object(map) = &mut without_detail {
            map.remove("detail");
        }
        let predefined = [
            (
                "aws.events.rule-arn",
                Value::String(context.rule_arn.clone()),
            ),
            (
                "aws.events.rule-name",
                Value::String(context.rule_name.clone()),
            ),
            (
                "aws.events.event.ingestion-time",
                Value::String(context.ingestion_time.clone()),
            ),
            ("aws.events.event", without_detail),
            ("aws.events.event.json", event.clone()),
        ];
        for (name, value) in predefined {
            values.entry(name).or_insert(Some(value));
        }
        let mut out = String::new();
        let mut last = 0;
        let text_template = !self.is_json_template();
        for (start, end, name, in_string) in placeholders(&self.template, &|n| self.is_variable(n))
        {
            // a template that is not a JSON object is text: values go in as in a string
            let in_string = in_string || text_template;
            out.push_str(&self.template[last..start]);
            let value = values.get(name).cloned().flatten();
            out.push_str(&match (value, in_string) {
                (None, false) => "null".to_string(),
                (None, true) => String::new(),
                (Some(v), false) => v.to_string(),
                (Some(Value::String(s)), true) => s,
                (Some(v @ (Value::Object(_) | Value::Array(_))), true) => {
                    v.to_string().replace('"', "")
                }
                (Some(v), true) => v.to_string(),
            });
            last = end;
        }
        out.push_str(&self.template[last..]);
        Ok(out)
    }
}

/// `value` with every object's keys in sorted order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(paths: &[(&str, &str)], template: &str) -> InputTransformer {
        InputTransformer {
            paths: paths
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            template: template.to_string(),
        }
    }

    fn event() -> Value {
        json!({"id": "e-1", "source": "aws.bedrock", "detail-type": "AWS API Call via CloudTrail",
               "resources": ["arn:a"], "detail": {"eventName": "DeleteGuardrail", "n": 3}})
    }

    #[test]
    fn renders_as_the_user_guide_describes() {
        // the API reference's own example
        let x = t(
            &[("instance", "$.detail.eventName"), ("status", "$.source")],
            r#"{"myInstance": <instance>,"myStatus": "<instance> is in state \"<status>\""}"#,
        );
        x.validate().unwrap();
        let out = x.render(&event(), &RenderContext::default()).unwrap();
        assert_eq!(
            out,
            r#"{"myInstance": "DeleteGuardrail","myStatus": "DeleteGuardrail is in state \"aws.bedrock\""}"#
        );
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["myInstance"], "DeleteGuardrail");
        // objects outside quotes stay objects; inside quotes lose their inner quotes
        let y = t(
            &[
                ("d", "$.detail"),
                ("r", "$.resources[0]"),
                ("missing", "$.detail.nope"),
            ],
            r#"{"d": <d>, "s": "detail is <d>", "r": <r>, "m": <missing>, "ms": "[<missing>]", "rule": "<aws.events.rule-name>"}"#,
        );
        y.validate().unwrap();
        let ctx = RenderContext {
            rule_name: "warden-dt".into(),
            ..Default::default()
        };
        let parsed: Value = serde_json::from_str(&y.render(&event(), &ctx).unwrap()).unwrap();
        assert_eq!(
            parsed,
            json!({"d": {"eventName": "DeleteGuardrail", "n": 3},
                                  "s": "detail is {eventName:DeleteGuardrail,n:3}",
                                  "r": "arn:a", "m": null, "ms": "[]", "rule": "warden-dt"})
        );
        // a plain-text template
        let z = t(&[("e", "$.detail.eventName")], "<e> happened");
        assert_eq!(
            z.render(&event(), &ctx).unwrap(),
            "DeleteGuardrail happened"
        );
    }

    #[test]
    fn equivalent_templates_compare_equal_and_round_trip_through_the_sdk() {
        let ours = t(
            &[("e", "$.detail.eventName"), ("d", "$.detail")],
            r#"{"type": "a>b", "e": <e>, "s": "was <e>", "d": <d>}"#,
        );
        let aws = t(
            &[("d", "$.detail"), ("e", "$.detail.eventName")],
            "{\n  \"d\" : <d>,\n  \"s\" : \"was <e>\", \"e\" : <e>, \"type\" : \"a\\u003eb\"}",
        );
        assert!(
            ours.equivalent(&aws),
            "{} vs {}",
            ours.canonical_template(),
            aws.canonical_template()
        );
        assert_eq!(
            ours.canonical_template(),
            r#"{"d":<d>,"e":<e>,"s":"was <e>","type":"a>b"}"#
        );
        let other = t(
            &[("e", "$.detail.eventName"), ("d", "$.detail")],
            r#"{"type": "a>c", "e": <e>, "s": "was <e>", "d": <d>}"#,
        );
        assert!(!ours.equivalent(&other));
        assert_eq!(InputTransformer::from_sdk(&ours.to_sdk()), ours);
        let text = t(&[], "plain <x> text");
        assert_eq!(text.canonical_template(), "plain <x> text");
    }

    #[test]
    fn refuses_placeholders_as_object_keys() {
        for template in [r#"{"<e>": 1}"#, r#"{<e>: 1}"#, r#"{"a": {"x-<e>": 1}}"#] {
            assert_eq!(
                t(&[("e", "$.detail.eventName")], template).validate(),
                Err(TransformerError::PlaceholderAsKey { name: "e".into() }),
                "{template}"
            );
        }
    }

    #[test]
    fn enforces_the_api_limits() {
        let many: Vec<(String, String)> = (0..=MAX_VARIABLES)
            .map(|i| (format!("v{i}"), "$.id".to_string()))
            .collect();
        let x = InputTransformer {
            paths: many.into_iter().collect(),
            template: "{}".into(),
        };
        assert_eq!(
            x.validate(),
            Err(TransformerError::TooManyVariables { count: 101 })
        );
        let hundred: BTreeMap<String, String> = (0..MAX_VARIABLES)
            .map(|i| (format!("v{i}"), "$.id".to_string()))
            .collect();
        assert!(InputTransformer {
            paths: hundred,
            template: "{}".into()
        }
        .validate()
        .is_ok());
        assert_eq!(
            t(&[("aws.events.rule-arn", "$.id")], "{}").validate(),
            Err(TransformerError::ReservedName {
                name: "aws.events.rule-arn".into()
            })
        );
        assert_eq!(
            t(&[("a b", "$.id")], "{}").validate(),
            Err(TransformerError::BadVariableName { name: "a b".into() })
        );
        assert_eq!(
            t(&[("a", "detail")], "{}").validate(),
            Err(TransformerError::BadPath {
                name: "a".into(),
                path: "detail".into()
            })
        );
        assert_eq!(
            t(&[], "").validate(),
            Err(TransformerError::TemplateLength { chars: 0 })
        );
        assert_eq!(
            t(&[], &"x".repeat(8193)).validate(),
            Err(TransformerError::TemplateLength { chars: 8193 })
        );
        assert!(matches!(
            t(&[("a", "$.id")], r#"{"a": <a>,}"#).validate(),
            Err(TransformerError::TemplateNotJson { .. })
        ));
    }
}
