//! Normalized forms for comparison, so that equivalent never shows as a change: JSON with
//! sorted keys and one number form (5 == 5.0), dashboards compared widget by widget, alarms
//! compared with order-free lists sorted and AWS's defaults filled in.

use serde_json::{Map, Number, Value};

use super::alarms::{format_number, AlarmDefinition, Threshold};

/// Sorted keys at every level, integral numbers as integers, other numbers as f64.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&map[k])))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Number(n) => Value::Number(canonical_number(n)),
        other => other.clone(),
    }
}

fn canonical_number(n: &Number) -> Number {
    if n.is_i64() || n.is_u64() {
        return n.clone();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Number::from(f as i64)
    } else {
        Number::from_f64(f).unwrap_or_else(|| n.clone())
    }
}

/// What differs in a dashboard, per widget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DashboardChange {
    /// A top-level key (`start`, `periodOverride`, ...).
    Setting {
        key: String,
    },
    WidgetAdded {
        index: usize,
        label: String,
    },
    WidgetRemoved {
        index: usize,
        label: String,
    },
    /// `fields`: JSON pointers inside the widget that differ.
    WidgetChanged {
        index: usize,
        label: String,
        fields: Vec<String>,
    },
}

/// A widget's label for messages: its title, or markdown's first line, or `type #index`.
pub fn widget_label(widget: &Value, index: usize) -> String {
    let props = widget.get("properties");
    let text = props
        .and_then(|p| p.get("title"))
        .and_then(Value::as_str)
        .or_else(|| {
            props
                .and_then(|p| p.get("markdown"))
                .and_then(Value::as_str)
                .and_then(|m| m.lines().next())
        });
    match text {
        Some(t) => t.trim_start_matches('#').trim().to_string(),
        None => format!(
            "{} widget #{}",
            widget.get("type").and_then(Value::as_str).unwrap_or("?"),
            index + 1
        ),
    }
}

/// Compares a desired dashboard body with the one AWS holds. Key order, whitespace and
/// number forms never count; `x`/`y` that the desired widget leaves to CloudWatch (absent)
/// are ignored in the actual one (the console writes positions when it re-saves).
/// Widgets are paired by label when labels are unique on both sides, else by position.
pub fn dashboard_changes(
    desired: &str,
    actual: &str,
) -> Result<Vec<DashboardChange>, serde_json::Error> {
    let d = canonical(&serde_json::from_str(desired)?);
    let a = canonical(&serde_json::from_str(actual)?);
    let mut changes = Vec::new();
    let empty = Map::new();
    let (dm, am) = (
        d.as_object().unwrap_or(&empty),
        a.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = dm
        .keys()
        .chain(am.keys())
        .filter(|k| *k != "widgets")
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        if dm.get(k) != am.get(k) {
            changes.push(DashboardChange::Setting { key: k.clone() });
        }
    }
    let none = Vec::new();
    let dw = dm.get("widgets").and_then(Value::as_array).unwrap_or(&none);
    let aw = am.get("widgets").and_then(Value::as_array).unwrap_or(&none);
    let dl: Vec<String> = dw
        .iter()
        .enumerate()
        .map(|(i, w)| widget_label(w, i))
        .collect();
    let al: Vec<String> = aw
        .iter()
        .enumerate()
        .map(|(i, w)| widget_label(w, i))
        .collect();
    let unique = |l: &[String]| {
        let mut s = l.to_vec();
        s.sort();
        s.windows(2).all(|p| p[0] != p[1])
    };
    let pairs: Vec<(Option<usize>, Option<usize>)> = if unique(&dl) && unique(&al) {
        let mut p: Vec<_> = dl
            .iter()
            .enumerate()
            .map(|(i, l)| (Some(i), al.iter().position(|x| x == l)))
            .collect();
        p.extend(
            al.iter()
                .enumerate()
                .filter(|(_, l)| !dl.contains(l))
                .map(|(j, _)| (None, Some(j))),
        );
        p
    } else {
        (0..dw.len().max(aw.len()))
            .map(|i| ((i < dw.len()).then_some(i), (i < aw.len()).then_some(i)))
            .collect()
    };
    for (di, ai) in pairs {
        match (di, ai) {
            (Some(i), None) => changes.push(DashboardChange::WidgetAdded {
                index: i,
                label: dl[i].clone(),
            }),
            (None, Some(j)) => changes.push(DashboardChange::WidgetRemoved {
                index: j,
                label: al[j].clone(),
            }),
            (Some(i), Some(j)) => {
                let mut actual = aw[j].clone();
                if let (Some(obj), Some(want)) = (actual.as_object_mut(), dw[i].as_object()) {
                    for pos in ["x", "y"] {
                        if !want.contains_key(pos) {
                            obj.remove(pos);
                        }
                    }
                }
                let mut fields = Vec::new();
                diff_pointers(&dw[i], &actual, String::new(), &mut fields);
                if !fields.is_empty() || i != j && !unique(&dl) {
                    changes.push(DashboardChange::WidgetChanged {
                        index: i,
                        label: dl[i].clone(),
                        fields,
                    });
                }
            }
            (None, None) => {}
        }
    }
    Ok(changes)
}

fn diff_pointers(a: &Value, b: &Value, pointer: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => diff_pointers(v, w, p, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff_pointers(v, w, format!("{pointer}/{i}"), out);
            }
        }
        _ if a != b => out.push(if pointer.is_empty() {
            "/".into()
        } else {
            pointer
        }),
        _ => {}
    }
}

/// The alarm as PutMetricAlarm members (JSON), with the actions the kind adds.
pub fn alarm_put_json(
    def: &AlarmDefinition,
    alarm_actions: &[String],
    ok_actions: &[String],
) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("AlarmName", def.alarm_name.clone().into());
    put("AlarmDescription", def.alarm_description.clone().into());
    put("ComparisonOperator", def.comparison_operator.clone().into());
    put("EvaluationPeriods", def.evaluation_periods.into());
    if let Some(d) = def.datapoints_to_alarm {
        put("DatapointsToAlarm", d.into());
    }
    put("TreatMissingData", def.treat_missing_data.clone().into());
    put("ActionsEnabled", true.into());
    put("AlarmActions", alarm_actions.to_vec().into());
    put("OKActions", ok_actions.to_vec().into());
    let dims = |d: &[(String, String)]| {
        Value::Array(
            d.iter()
                .map(|(n, v)| serde_json::json!({"Name": n, "Value": v}))
                .collect(),
        )
    };
    if let Some(ns) = &def.namespace {
        put("Namespace", ns.clone().into());
    }
    if let Some(name) = &def.metric_name {
        put("MetricName", name.clone().into());
        put("Dimensions", dims(&def.dimensions));
    }
    if let Some(s) = &def.statistic {
        put("Statistic", s.clone().into());
    }
    if let Some(s) = &def.extended_statistic {
        put("ExtendedStatistic", s.clone().into());
    }
    if let Some(p) = def.period {
        put("Period", p.into());
    }
    match &def.threshold {
        Threshold::Static(t) => put("Threshold", Value::from(*t)),
        Threshold::Band {
            threshold_metric_id,
            ..
        } => put("ThresholdMetricId", threshold_metric_id.clone().into()),
    }
    if !def.metrics.is_empty() {
        let queries = def.metrics.iter().map(|q| {
            let mut o = Map::new();
            o.insert("Id".into(), q.id.clone().into());
            if let Some(e) = &q.expression {
                o.insert("Expression".into(), e.clone().into());
            }
            if let Some(s) = &q.metric_stat {
                let mut stat_obj = serde_json::json!({"Metric": {"Namespace": s.namespace, "MetricName": s.metric_name, "Dimensions": dims(&s.dimensions)}, "Stat": s.stat});
                if let Some(p) = q.period {
                    stat_obj["Period"] = p.into();
                }
                o.insert("MetricStat".into(), stat_obj);
            } else if let Some(p) = q.period {
                o.insert("Period".into(), p.into());
            }
            o.insert("ReturnData".into(), q.return_data.into());
            Value::Object(o)
        });
        put("Metrics", Value::Array(queries.collect()));
    }
    Value::Object(m)
}

/// Normalizes PutMetricAlarm-shaped JSON (desired, or read back from DescribeAlarms and
/// converted to the same member names) for comparison: AWS's defaults filled in
/// (`ActionsEnabled` true, `TreatMissingData` "missing", `ReturnData` true, empty action
/// lists), dimensions sorted by name, action lists sorted, read-only members dropped.
pub fn normalize_alarm(alarm: &Value) -> Value {
    const READ_ONLY: &[&str] = &[
        "AlarmArn",
        "AlarmConfigurationUpdatedTimestamp",
        "StateValue",
        "StateReason",
        "StateReasonData",
        "StateUpdatedTimestamp",
        "StateTransitionedTimestamp",
        "EvaluationState",
        "Tags",
    ];
    let mut v = alarm.clone();
    let Some(m) = v.as_object_mut() else {
        return canonical(alarm);
    };
    for k in READ_ONLY {
        m.remove(*k);
    }
    m.retain(|_, x| !x.is_null());
    m.entry("ActionsEnabled").or_insert(true.into());
    m.entry("TreatMissingData").or_insert("missing".into());
    for k in ["AlarmActions", "OKActions", "InsufficientDataActions"] {
        let e = m.entry(k).or_insert(Value::Array(vec![]));
        if let Value::Array(list) = e {
            list.sort_by_key(|a| a.to_string());
            list.dedup();
        }
    }
    if m.get("AlarmDescription")
        .is_some_and(|d| d.as_str() == Some(""))
    {
        m.remove("AlarmDescription");
    }
    sort_dimensions(m.get_mut("Dimensions"));
    if m.get("Metrics")
        .is_some_and(|x| x.as_array().is_some_and(Vec::is_empty))
    {
        m.remove("Metrics");
    }
    if m.get("Dimensions")
        .is_some_and(|x| x.as_array().is_some_and(Vec::is_empty))
        && !m.contains_key("MetricName")
    {
        m.remove("Dimensions");
    }
    if let Some(Value::Array(queries)) = m.get_mut("Metrics") {
        for q in queries.iter_mut().filter_map(Value::as_object_mut) {
            q.retain(|_, x| !x.is_null());
            q.entry("ReturnData").or_insert(true.into());
            if let Some(stat) = q.get_mut("MetricStat").and_then(Value::as_object_mut) {
                sort_dimensions(stat.get_mut("Metric").and_then(|x| x.get_mut("Dimensions")));
            }
        }
    }
    canonical(&v)
}

fn sort_dimensions(dims: Option<&mut Value>) {
    if let Some(Value::Array(list)) = dims {
        list.sort_by(|a, b| {
            a.get("Name")
                .map(Value::to_string)
                .cmp(&b.get("Name").map(Value::to_string))
        });
    }
}

/// The members that differ between two normalized alarms (for a plan line like
/// "Threshold 10 → 5").
pub fn alarm_changes(desired: &Value, actual: &Value) -> Vec<String> {
    let (d, a) = (normalize_alarm(desired), normalize_alarm(actual));
    let mut out = Vec::new();
    diff_pointers(&d, &a, String::new(), &mut out);
    out
}

/// A threshold as shown to users (`5`, `0.5`).
pub fn show_number(n: f64) -> String {
    format_number(n)
}
