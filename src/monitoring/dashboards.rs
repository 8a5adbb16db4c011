//! Dashboard templates (`templates/dashboards/*.json`): plain JSON whose string values carry
//! placeholders, widgets marked `"$repeat": "region"` emitted once per governed region, keys
//! starting with `$` dropped. The body is checked against CloudWatch's dashboard body
//! structure before and after rendering, so a bad widget fails `validate`, not `apply`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::placeholders::{self, Bindings};
use super::{did_you_mean, TemplateError};

const WIDGET_TYPES: &[&str] = &["metric", "text", "log", "alarm", "explorer", "custom"];
const TOP_KEYS: &[&str] = &["widgets", "start", "end", "periodOverride", "variables"];
const WIDGET_KEYS: &[&str] = &["type", "x", "y", "width", "height", "properties"];
/// Placeholders inside a `$repeat: region` widget, and outside one.
const IN_REPEAT: &[&str] = &["account", "region", "log_group", "alarm_prefix"];
const OUTSIDE: &[&str] = &["account"];

/// A validated dashboard template.
#[derive(Debug, Clone)]
pub struct DashboardTemplate {
    pub name: String,
    pub file: String,
    template: Value,
    positions: BTreeMap<String, (usize, usize)>,
}

impl DashboardTemplate {
    pub fn parse(name: &str, file: &str, text: &str) -> Result<Self, TemplateError> {
        let template: Value = serde_json::from_str(text).map_err(|e| {
            TemplateError::at(
                file,
                (e.line(), e.column()),
                "(file)",
                format!("not valid JSON: {e}"),
            )
        })?;
        let positions = json_positions(text);
        let at = |pointer: &str| positions.get(pointer).copied().unwrap_or((1, 1));
        let err =
            |pointer: &str, message: String| TemplateError::at(file, at(pointer), pointer, message);

        // Template-only keys and placeholders.
        let widgets = template
            .get("widgets")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, w) in widgets.iter().enumerate() {
            let pointer = format!("/widgets/{i}");
            let repeat = w.get("$repeat");
            match repeat {
                None => {}
                Some(Value::String(s)) if s == "region" => {}
                Some(other) => {
                    return Err(err(
                        &format!("{pointer}/$repeat"),
                        format!("`$repeat` must be \"region\", not {other}"),
                    ))
                }
            }
            let allowed = if repeat.is_some() { IN_REPEAT } else { OUTSIDE };
            check_strings(w, &pointer, &mut |p, s| {
                if let Some((_, name)) = placeholders::first_unknown(s, allowed) {
                    let mut e = err(p, format!("unknown placeholder `{{{name}}}`"));
                    e = e.help(match did_you_mean(name, IN_REPEAT.iter().copied()) {
                        Some(known) if !allowed.contains(&known) => format!("`{{{known}}}` is only available in a widget with \"$repeat\": \"region\""),
                        Some(known) => format!("did you mean `{{{known}}}`?"),
                        None => format!("allowed here: {}", allowed.join(", ")),
                    });
                    return Err(e);
                }
                Ok(())
            })?;
        }
        check_dollar_keys(&template, "", &|p, k| {
            err(p, format!("unknown template key `{k}`"))
                .help("template keys are `$repeat` (on a widget) and `$comment`")
        })?;
        // CloudWatch's structure, with placeholders as opaque strings.
        if let Some((pointer, message)) = check_dashboard_body(&strip_template_keys(&template))
            .into_iter()
            .next()
        {
            return Err(err(&pointer, message));
        }
        Ok(DashboardTemplate {
            name: name.to_string(),
            file: file.to_string(),
            template,
            positions,
        })
    }

    /// Renders the body for one account: `regions` holds one [`Bindings`] per governed region
    /// (account, region, log_group), in the order the widgets should appear.
    pub fn render(&self, regions: &[Bindings]) -> Result<String, TemplateError> {
        let first = regions.first().cloned().unwrap_or_default();
        let mut body = Map::new();
        for (key, value) in self.template.as_object().into_iter().flatten() {
            if key.starts_with('$') {
                continue;
            }
            if key != "widgets" {
                body.insert(
                    key.clone(),
                    self.substitute(value, &format!("/{key}"), &first)?,
                );
                continue;
            }
            let mut widgets = Vec::new();
            for (i, w) in value.as_array().into_iter().flatten().enumerate() {
                let pointer = format!("/widgets/{i}");
                let targets: Vec<&Bindings> = if w.get("$repeat").is_some() {
                    regions.iter().collect()
                } else {
                    vec![&first]
                };
                for b in targets {
                    widgets.push(self.substitute(&strip_template_keys(w), &pointer, b)?);
                }
            }
            body.insert("widgets".into(), Value::Array(widgets));
        }
        let body = Value::Object(body);
        if let Some((pointer, message)) = check_dashboard_body(&body).into_iter().next() {
            return Err(TemplateError::at(
                &self.file,
                (1, 1),
                pointer,
                format!("rendered dashboard: {message}"),
            ));
        }
        Ok(serde_json::to_string(&body).expect("a JSON value serializes"))
    }

    fn substitute(
        &self,
        value: &Value,
        pointer: &str,
        b: &Bindings,
    ) -> Result<Value, TemplateError> {
        Ok(match value {
            Value::String(s) => Value::String(placeholders::render(s, b).map_err(|p| {
                TemplateError::at(
                    &self.file,
                    self.positions.get(pointer).copied().unwrap_or((1, 1)),
                    pointer,
                    format!("placeholder `{{{p}}}` has no value"),
                )
            })?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.substitute(v, &format!("{pointer}/{i}"), b))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        Ok((
                            k.clone(),
                            self.substitute(v, &format!("{pointer}/{}", escape(k)), b)?,
                        ))
                    })
                    .collect::<Result<_, TemplateError>>()?,
            ),
            other => other.clone(),
        })
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn check_strings(
    v: &Value,
    pointer: &str,
    f: &mut dyn FnMut(&str, &str) -> Result<(), TemplateError>,
) -> Result<(), TemplateError> {
    match v {
        Value::String(s) => f(pointer, s),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| check_strings(x, &format!("{pointer}/{i}"), f)),
        Value::Object(map) => map
            .iter()
            .try_for_each(|(k, x)| check_strings(x, &format!("{pointer}/{}", escape(k)), f)),
        _ => Ok(()),
    }
}

fn check_dollar_keys(
    v: &Value,
    pointer: &str,
    err: &dyn Fn(&str, &str) -> TemplateError,
) -> Result<(), TemplateError> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| check_dollar_keys(x, &format!("{pointer}/{i}"), err)),
        Value::Object(map) => map.iter().try_for_each(|(k, x)| {
            let p = format!("{pointer}/{}", escape(k));
            if k.starts_with('$') && k != "$repeat" && k != "$comment" {
                return Err(err(&p, k));
            }
            check_dollar_keys(x, &p, err)
        }),
        _ => Ok(()),
    }
}

fn strip_template_keys(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(strip_template_keys).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, x)| (k.clone(), strip_template_keys(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// CloudWatch's dashboard body structure (API reference "Dashboard Body Structure and
/// Syntax"): problems as (JSON pointer, message), empty when the body is acceptable.
pub fn check_dashboard_body(body: &Value) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut bad = |p: String, m: String| problems.push((p, m));
    let Some(top) = body.as_object() else {
        bad(String::new(), "the body must be a JSON object".into());
        return problems;
    };
    for key in top.keys() {
        if !TOP_KEYS.contains(&key.as_str()) {
            bad(
                format!("/{}", escape(key)),
                format!(
                    "unknown top-level key `{key}` (allowed: {})",
                    TOP_KEYS.join(", ")
                ),
            );
        }
    }
    if let Some(p) = top.get("periodOverride") {
        if !matches!(p.as_str(), Some("auto" | "inherit")) {
            bad(
                "/periodOverride".into(),
                "must be \"auto\" or \"inherit\"".into(),
            );
        }
    }
    let Some(widgets) = top.get("widgets").and_then(Value::as_array) else {
        bad("/widgets".into(), "`widgets` (an array) is required".into());
        return problems;
    };
    if widgets.len() > 500 {
        bad(
            "/widgets".into(),
            format!("{} widgets; a dashboard holds at most 500", widgets.len()),
        );
    }
    for (i, w) in widgets.iter().enumerate() {
        let at = |k: &str| format!("/widgets/{i}{k}");
        let Some(w) = w.as_object() else {
            bad(at(""), "a widget must be an object".into());
            continue;
        };
        for key in w.keys() {
            if !WIDGET_KEYS.contains(&key.as_str()) {
                bad(
                    at(&format!("/{}", escape(key))),
                    format!(
                        "unknown widget key `{key}` (allowed: {})",
                        WIDGET_KEYS.join(", ")
                    ),
                );
            }
        }
        let kind = w.get("type").and_then(Value::as_str).unwrap_or_default();
        if !WIDGET_TYPES.contains(&kind) {
            bad(
                at("/type"),
                format!("`type` must be one of {}", WIDGET_TYPES.join(", ")),
            );
        }
        for (key, min, max) in [
            ("width", 1, 24),
            ("height", 1, 1000),
            ("x", 0, 23),
            ("y", 0, i64::MAX),
        ] {
            if let Some(v) = w.get(key) {
                if !v.as_i64().is_some_and(|n| (min..=max).contains(&n)) {
                    bad(
                        at(&format!("/{key}")),
                        format!(
                            "`{key}` must be an integer from {min}{}",
                            if max == i64::MAX {
                                " up".to_string()
                            } else {
                                format!(" to {max}")
                            }
                        ),
                    );
                }
            }
        }
        if let (Some(x), Some(width)) = (
            w.get("x").and_then(Value::as_i64),
            w.get("width").and_then(Value::as_i64),
        ) {
            if x + width > 24 {
                bad(
                    at("/x"),
                    format!("x + width = {} goes past the 24-column grid", x + width),
                );
            }
        }
        let Some(props) = w.get("properties").and_then(Value::as_object) else {
            bad(
                at("/properties"),
                "`properties` (an object) is required".into(),
            );
            continue;
        };
        let has_str = |k: &str| {
            props
                .get(k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        };
        match kind {
            "metric" => {
                if !has_str("region") {
                    bad(
                        at("/properties/region"),
                        "a metric widget needs `region`".into(),
                    );
                }
                match props.get("metrics") {
                    Some(Value::Array(rows)) => {
                        for (r, row) in rows.iter().enumerate() {
                            if !row.is_array() {
                                bad(at(&format!("/properties/metrics/{r}")), "each metric is an array: [namespace, name, dim, value, ..., {options}] or [{expression}]".into());
                            }
                        }
                    }
                    Some(_) => bad(
                        at("/properties/metrics"),
                        "`metrics` must be an array of arrays".into(),
                    ),
                    None if props.get("annotations").is_none() => bad(
                        at("/properties/metrics"),
                        "a metric widget needs `metrics` (or alarm `annotations`)".into(),
                    ),
                    None => {}
                }
                if let Some(p) = props.get("period") {
                    if !p
                        .as_i64()
                        .is_some_and(|n| matches!(n, 1 | 5 | 10 | 30) || (n >= 60 && n % 60 == 0))
                    {
                        bad(
                            at("/properties/period"),
                            "`period` must be 1, 5, 10, 30 or a multiple of 60".into(),
                        );
                    }
                }
            }
            "log" => {
                if !has_str("region") {
                    bad(
                        at("/properties/region"),
                        "a log widget needs `region`".into(),
                    );
                }
                match props.get("query").and_then(Value::as_str) {
                    Some(q) if q.trim_start().starts_with("SOURCE ") => {}
                    _ => bad(
                        at("/properties/query"),
                        "a log widget needs `query` starting with SOURCE '<log group>'".into(),
                    ),
                }
            }
            "text" if !props.get("markdown").is_some_and(Value::is_string) => bad(
                at("/properties/markdown"),
                "a text widget needs `markdown`".into(),
            ),
            "alarm" => match props.get("alarms").and_then(Value::as_array) {
                Some(arns) if !arns.is_empty() && arns.len() <= 100 => {
                    for (a, arn) in arns.iter().enumerate() {
                        if !arn
                            .as_str()
                            .is_some_and(|s| s.starts_with("arn:") && s.contains(":alarm:"))
                        {
                            bad(
                                at(&format!("/properties/alarms/{a}")),
                                "an alarm widget lists alarm ARNs".into(),
                            );
                        }
                    }
                }
                _ => bad(
                    at("/properties/alarms"),
                    "an alarm widget needs `alarms`: 1 to 100 alarm ARNs".into(),
                ),
            },
            _ => {}
        }
    }
    problems
}

/// Line and column (1-based) of every JSON pointer of `text`, read with the YAML loader
/// (JSON is YAML flow syntax); empty if it cannot be read that way.
fn json_positions(text: &str) -> BTreeMap<String, (usize, usize)> {
    fn walk(node: &marked_yaml::Node, pointer: String, out: &mut BTreeMap<String, (usize, usize)>) {
        if let Some(m) = node.span().start() {
            out.insert(pointer.clone(), (m.line(), m.column()));
        }
        match node {
            marked_yaml::Node::Mapping(map) => {
                for (k, v) in map.iter() {
                    let p = format!("{pointer}/{}", escape(k.as_str()));
                    // A key's position reads better than its value's for "unknown key".
                    if let Some(m) = k.span().start() {
                        out.insert(p.clone(), (m.line(), m.column()));
                    }
                    walk(v, p.clone(), out);
                    if let Some(m) = k.span().start() {
                        out.insert(p, (m.line(), m.column()));
                    }
                }
            }
            marked_yaml::Node::Sequence(seq) => {
                for (i, v) in seq.iter().enumerate() {
                    walk(v, format!("{pointer}/{i}"), out);
                }
            }
            marked_yaml::Node::Scalar(_) => {}
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(node) = marked_yaml::parse_yaml(0, text) {
        walk(&node, String::new(), &mut out);
    }
    out
}
