//! CloudWatch dashboards (one per account, showing every governed region): bodies compared as
//! normalized JSON widget by widget, so key order, whitespace, number forms and the positions
//! the console writes when it re-saves never show as a change, and a real change names the
//! widget.
//!
//! Dashboards have no tags. Ownership is a marker in the body: the last widget is a text
//! widget "Managed by bedrock-warden (project `<project>`) …", which also tells console users
//! that their edits will be overwritten. Pruning finds the project's dashboards by that marker:
//! ListDashboards, then the body of each dashboard the spec does not name.

use aws_sdk_cloudwatch::Client;
use serde_json::{json, Map, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource};
use crate::monitoring::normalize::{canonical, widget_label};

const MARKER: &str = "Managed by bedrock-warden (project `";

pub type Scope<'a> = super::Scope<'a, Client>;

/// A CloudWatch dashboard.
pub struct DashboardKind;

impl ResourceKind for DashboardKind {
    const KIND: Kind = Kind::Dashboard;
    const NAME: &'static str = "dashboard";
    const RANK: u8 = 9;
    const CONTROL: &'static str = "dashboards";
    const PLACEMENT: Placement = Placement::Account;
    const OWNERSHIP: Ownership = Ownership::Marked;
    const DISCOVERS: bool = true;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.cloudwatch(region)
    }

    /// One GetDashboard per named dashboard (CloudWatch has no batch read of bodies). With
    /// `discover_owner` (prune), also ListDashboards and the body of every dashboard the spec
    /// does not name, kept when its marker names that project.
    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let mut live = Vec::new();
        for named in wanted {
            if let Some(resource) = get(scope, &named.name).await? {
                live.push(resource);
            }
        }
        let Some(project) = discover_owner else {
            return Ok(live);
        };
        let mut pages = scope.client.list_dashboards().into_paginator().send();
        let mut others = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("cloudwatch:ListDashboards", e))?;
            others.extend(
                page.dashboard_entries()
                    .iter()
                    .filter_map(|d| d.dashboard_name())
                    .filter(|name| !wanted.iter().any(|n| n.name == *name))
                    .map(str::to_string),
            );
        }
        for name in others {
            match get(scope, &name).await? {
                Some(resource) if resource.owner.as_deref() == Some(project) => live.push(resource),
                _ => {}
            }
        }
        Ok(live)
    }

    /// Positions (`x`, `y`) the spec's widget leaves to CloudWatch are not compared, nor is the
    /// order of the widgets both sides have when it is the same.
    fn comparable(desired: &Value, live: &Value) -> Value {
        let mut view = live.clone();
        let want = &desired["widgets"];
        if let Some(widgets) = view.get_mut("widgets").and_then(Value::as_object_mut) {
            for (label, widget) in widgets.iter_mut() {
                let Some(w) = want.get(label).map(parse_widget) else {
                    continue;
                };
                let mut have = parse_widget(widget);
                if let (Some(obj), Some(w)) = (have.as_object_mut(), w.as_object()) {
                    for pos in ["x", "y"] {
                        if !w.contains_key(pos) {
                            obj.remove(pos);
                        }
                    }
                }
                *widget = widget_text(&have);
            }
        }
        let order = |v: &Value, other: &Value| -> Vec<String> {
            v["widget_order"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|l| other["widgets"].get(*l).is_some())
                .map(str::to_string)
                .collect()
        };
        if order(&view, desired) == order(desired, &view) && !view["widget_order"].is_null() {
            view["widget_order"] = desired["widget_order"].clone();
        }
        view
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        let said = dashboard_differences(before, after);
        (!said.is_empty()).then(|| said.join("; "))
    }

    async fn create(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
        put(scope, name, after).await
    }

    async fn update(
        scope: &Scope<'_>,
        name: &str,
        _before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        put(scope, name, after).await
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        match scope
            .client
            .delete_dashboards()
            .dashboard_names(name)
            .send()
            .await
            .map_err(|e| classify("cloudwatch:DeleteDashboards", e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

/// The dashboard `name` as read, or `None` when there is none.
async fn get(scope: &Scope<'_>, name: &str) -> Result<Option<LiveResource>, CloudError> {
    let got = scope
        .client
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .map_err(|e| classify("cloudwatch:GetDashboard", e));
    let got = match got {
        Err(e) if e.is_not_found() => return Ok(None),
        other => other?,
    };
    let text = got.dashboard_body().unwrap_or("{}");
    let (props, owner) = match serde_json::from_str::<Value>(text) {
        Ok(body) => (body_props(&body), marker_owner(&body)),
        Err(e) => (json!({ "unreadable_body": e.to_string() }), None),
    };
    Ok(Some(LiveResource {
        addr: scope.addr(Kind::Dashboard, name),
        props,
        owner,
    }))
}

/// The text widget that marks a dashboard as `project`'s (appended to every body warden puts).
pub fn marker_widget(project: &str) -> Value {
    json!({
        "type": "text",
        "width": 24,
        "height": 2,
        "properties": {
            "markdown": format!("{MARKER}{project}`): changes made here are overwritten by the next `warden apply`; change the spec or its templates instead.")
        }
    })
}

/// The project named by a dashboard's marker widget.
pub fn marker_owner(body: &Value) -> Option<String> {
    body["widgets"].as_array()?.iter().find_map(|w| {
        let text = w["properties"]["markdown"].as_str()?;
        let rest = text.strip_prefix(MARKER)?;
        rest.split('`')
            .next()
            .filter(|p| !p.is_empty())
            .map(str::to_string)
    })
}

/// The compared form of a body: top-level settings, widgets keyed by their label (title,
/// markdown's first line, or `type widget #n`; repeated labels numbered) as pretty canonical
/// JSON text (one plan field per widget), and their order.
pub fn body_props(body: &Value) -> Value {
    let body = canonical(body);
    let mut settings = Map::new();
    for (k, v) in body.as_object().into_iter().flatten() {
        if k != "widgets" {
            settings.insert(k.clone(), v.clone());
        }
    }
    let mut widgets = Map::new();
    let mut order = Vec::new();
    for (i, w) in body["widgets"].as_array().into_iter().flatten().enumerate() {
        let base = widget_label(w, i).replace('.', "·");
        let mut label = base.clone();
        let mut n = 2;
        while widgets.contains_key(&label) {
            label = format!("{base} #{n}");
            n += 1;
        }
        widgets.insert(label.clone(), widget_text(w));
        order.push(Value::String(label));
    }
    json!({ "settings": settings, "widgets": widgets, "widget_order": order })
}

/// A widget as compared and shown: canonical JSON, pretty-printed, so a changed widget shows
/// as a short unified diff of its lines.
fn widget_text(widget: &Value) -> Value {
    Value::String(serde_json::to_string_pretty(&canonical(widget)).unwrap_or_default())
}

/// A widget back from its compared text.
fn parse_widget(text: &Value) -> Value {
    text.as_str()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

/// The body to put, from the compared form.
pub fn body_of(props: &Value) -> Value {
    let mut body = props["settings"].as_object().cloned().unwrap_or_default();
    let widgets: Vec<Value> = props["widget_order"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| props["widgets"].get(l.as_str()?).map(parse_widget))
        .collect();
    body.insert("widgets".into(), Value::Array(widgets));
    Value::Object(body)
}

/// Which widgets differ, in words.
pub fn dashboard_differences(before: &Value, after: &Value) -> Vec<String> {
    let mut said = Vec::new();
    if before.get("unreadable_body").is_some() {
        said.push("the live body is not JSON".to_string());
        return said;
    }
    let empty = Map::new();
    let (b, a) = (
        before["widgets"].as_object().unwrap_or(&empty),
        after["widgets"].as_object().unwrap_or(&empty),
    );
    for label in after["widget_order"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        match (b.get(label), a.get(label)) {
            (None, Some(_)) => said.push(format!("widget `{label}` was deleted")),
            (Some(x), Some(y)) if x != y => {
                let mut fields = Vec::new();
                pointers(
                    &parse_widget(y),
                    &parse_widget(x),
                    String::new(),
                    &mut fields,
                );
                said.push(format!("widget `{label}` changed ({})", fields.join(", ")));
            }
            _ => {}
        }
    }
    for label in b.keys().filter(|l| !a.contains_key(*l)) {
        said.push(format!("widget `{label}` is not in the spec"));
    }
    let (bs, as_) = (&before["settings"], &after["settings"]);
    if bs != as_ {
        let mut fields = Vec::new();
        pointers(as_, bs, String::new(), &mut fields);
        said.push(format!(
            "dashboard settings changed ({})",
            fields.join(", ")
        ));
    }
    if said.is_empty() && before["widget_order"] != after["widget_order"] {
        said.push("the widgets are in another order".into());
    }
    said
}

fn pointers(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{at}/{k}");
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => pointers(v, w, p, out),
                    _ => out.push(p),
                }
            }
        }
        _ if a != b => out.push(if at.is_empty() { "/".into() } else { at }),
        _ => {}
    }
}

async fn put(scope: &Scope<'_>, name: &str, props: &Value) -> Result<(), CloudError> {
    let body = body_of(props).to_string();
    let out = scope
        .client
        .put_dashboard()
        .dashboard_name(name)
        .dashboard_body(body)
        .send()
        .await
        .map_err(|e| classify("cloudwatch:PutDashboard", e))?;
    let messages: Vec<String> = out
        .dashboard_validation_messages()
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m.data_path().unwrap_or("/"),
                m.message().unwrap_or_default()
            )
        })
        .collect();
    if messages.is_empty() {
        Ok(())
    } else {
        Err(CloudError::unexpected(
            "cloudwatch:PutDashboard",
            format!(
                "saved, but CloudWatch reports problems in the body: {}",
                messages.join("; ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Value {
        json!({"widgets": [
            {"type": "metric", "width": 8, "height": 6, "properties": {"title": "Invocations (us-east-1)", "region": "us-east-1", "metrics": [["AWS/Bedrock", "Invocations"]]}},
            {"type": "text", "width": 24, "height": 1, "properties": {"markdown": "## Bedrock in us-east-1"}},
            marker_widget("p"),
        ], "periodOverride": "inherit"})
    }

    #[test]
    fn a_console_resave_with_reordered_keys_and_positions_is_no_change() {
        let desired = body_props(&body());
        let mut resaved = body();
        for (i, w) in resaved["widgets"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            w["x"] = json!(0);
            w["y"] = json!(i * 6);
        }
        // Keys in another order, numbers as floats, other whitespace.
        let text = serde_json::to_string_pretty(&resaved)
            .unwrap()
            .replace("\"width\": 8", "\"width\": 8.0");
        let live = body_props(&serde_json::from_str(&text).unwrap());
        let before = DashboardKind::comparable(&desired, &live);
        assert_eq!(before, desired);
        assert_eq!(marker_owner(&resaved).as_deref(), Some("p"));
        assert_eq!(canonical(&body_of(&desired)), canonical(&body()));
    }

    #[test]
    fn a_deleted_widget_is_named_not_dumped() {
        let desired = body_props(&body());
        let mut edited = body();
        edited["widgets"].as_array_mut().unwrap().remove(0);
        let before = DashboardKind::comparable(&desired, &body_props(&edited));
        assert_eq!(
            DashboardKind::explain(&before, &desired).as_deref(),
            Some("widget `Invocations (us-east-1)` was deleted")
        );
        let mut changed = body();
        changed["widgets"][0]["properties"]["title"] = json!("x");
        changed["widgets"][1]["properties"]["markdown"] = json!("## Bedrock in us-east-1");
        changed["widgets"][0]["properties"]["title"] = json!("Invocations (us-east-1)");
        changed["widgets"][0]["properties"]["region"] = json!("eu-west-1");
        let before = DashboardKind::comparable(&desired, &body_props(&changed));
        assert_eq!(
            DashboardKind::explain(&before, &desired).as_deref(),
            Some("widget `Invocations (us-east-1)` changed (/properties/region)")
        );
    }
}
