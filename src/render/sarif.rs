//! SARIF 2.1.0 for `plan` and `drift`: each change or drift a result located at the spec line
//! that declares the resource, so code scanning (GitHub) annotates the spec in pull requests.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::Mode;
use crate::model::ResourceAddr;
use crate::plan::{Action, Plan, ResourceChange};
use crate::source::Location;

/// The SARIF schema the output follows.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One rule per kind of finding: the actions, and a scope or address in error.
const RULES: &[(&str, &str, &str)] = &[
    (
        "create",
        "missing",
        "The spec declares a resource that does not exist.",
    ),
    (
        "adopt",
        "unmanaged",
        "The resource exists but is not managed by warden yet.",
    ),
    (
        "update",
        "drifted",
        "The live resource differs from the spec.",
    ),
    (
        "replace",
        "drifted-replace",
        "The live resource differs in a field that forces replacement.",
    ),
    (
        "delete",
        "orphaned",
        "A resource this project manages is no longer in the spec (--prune).",
    ),
    (
        "error",
        "error",
        "An account, region or resource could not be read or settled.",
    ),
];

fn rule_id(action: Action, mode: Mode) -> &'static str {
    let key = action.as_str();
    RULES
        .iter()
        .find(|(a, _, _)| *a == key)
        .map(|(plan, drift, _)| match mode {
            Mode::Plan => *plan,
            Mode::Drift => *drift,
        })
        .unwrap_or("error")
}

/// The SARIF log of a plan (or drift report); `origins` says where each desired resource is
/// declared in the spec (resources without one, e.g. a pruned group, point at line 1).
pub fn plan(plan: &Plan, mode: Mode, origins: &HashMap<ResourceAddr, Location>) -> String {
    let level = match mode {
        Mode::Plan => "note",
        Mode::Drift => "warning",
    };
    let at = |location: Option<&Location>| {
        let (line, column) = location.map_or((1, 1), |l| (l.line.max(1), l.column.max(1)));
        json!([{
            "physicalLocation": {
                "artifactLocation": {"uri": uri(&plan.spec_file)},
                "region": {"startLine": line, "startColumn": column}
            }
        }])
    };
    let mut results: Vec<Value> = plan
        .pending()
        .map(|change| {
            json!({
                "ruleId": rule_id(change.action, mode),
                "level": level,
                "message": {"text": message(change, mode)},
                "locations": at(origins.get(&change.address)),
                "partialFingerprints": {"wardenAddress/v1": change.address.to_string()},
                "properties": {
                    "address": change.address.to_string(),
                    "account_id": change.account_id,
                    "action": change.action.as_str(),
                }
            })
        })
        .collect();
    for error in &plan.errors {
        let place = match (&error.address, &error.region) {
            (Some(addr), _) => addr.to_string(),
            (None, Some(region)) => format!("{}/{region}", error.account),
            (None, None) => error.account.clone(),
        };
        results.push(json!({
            "ruleId": "error",
            "level": "error",
            "message": {"text": format!("{place}: {}", error.message)},
            "locations": at(error.address.as_ref().and_then(|a| origins.get(a))),
            "partialFingerprints": {"wardenAddress/v1": place},
        }));
    }
    let used: Vec<&str> = RULES
        .iter()
        .map(|(plan_id, drift_id, _)| match mode {
            Mode::Plan => *plan_id,
            Mode::Drift => *drift_id,
        })
        .collect();
    let rules: Vec<Value> = RULES
        .iter()
        .zip(used)
        .map(|((_, _, description), id)| {
            json!({"id": id, "shortDescription": {"text": description}})
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "warden",
                "version": plan.warden_version,
                "informationUri": "https://github.com/bedrock-warden/bedrock-warden",
                "rules": rules,
            }},
            "automationDetails": {"id": format!("warden/{}/{}", match mode { Mode::Plan => "plan", Mode::Drift => "drift" }, plan.project)},
            "results": results,
        }]
    });
    super::json(&log)
}

/// A relative spec path as a URI reference (code scanning resolves it from the repository root).
fn uri(path: &str) -> String {
    path.trim_start_matches("./").replace('\\', "/")
}

/// What one result says: the action and address, then the fields that differ.
fn message(change: &ResourceChange, mode: Mode) -> String {
    let what = match (mode, change.action) {
        (Mode::Drift, Action::Create) => "missing",
        (Mode::Drift, Action::Update | Action::Replace) => "drifted",
        (Mode::Drift, Action::Adopt) => "exists but is not managed by warden",
        (Mode::Drift, Action::Delete) => "orphaned (managed, no longer in the spec)",
        (_, action) => action.as_str(),
    };
    let mut text = format!("{}: {what}", change.address);
    if let Some(reason) = &change.reason {
        text.push_str(&format!(" ({reason})"));
    }
    let fields: Vec<String> = change
        .fields
        .iter()
        .take(10)
        .map(|f| format!("{}: {} → {}", f.path, short(&f.before), short(&f.after)))
        .collect();
    if !fields.is_empty() {
        text.push_str(". ");
        text.push_str(&fields.join("; "));
        if change.fields.len() > 10 {
            text.push_str(&format!("; and {} more", change.fields.len() - 10));
        }
    }
    text
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use crate::plan::{FieldChange, ScopeError};

    fn sample() -> Plan {
        let addr = ResourceAddr::new("sandbox", "us-east-1", Kind::LogGroup, "/a");
        Plan {
            format_version: 1,
            warden_version: "0.1.0".into(),
            created_at: String::new(),
            spec_file: "./specs/warden.yaml".into(),
            project: "p".into(),
            prune: false,
            accounts: vec![],
            summary: Default::default(),
            changes: vec![ResourceChange {
                address: addr,
                account_id: "123456789012".into(),
                action: Action::Update,
                before: Some(json!({"retention_days": 30})),
                after: Some(json!({"retention_days": 1827})),
                fields: vec![FieldChange {
                    path: "retention_days".into(),
                    before: json!(30),
                    after: json!(1827),
                }],
                reason: None,
                depends_on: vec![],
                forces_replacement: vec![],
            }],
            errors: vec![ScopeError {
                account: "other".into(),
                region: Some("eu-west-1".into()),
                address: None,
                message: "AccessDenied".into(),
            }],
            notes: vec![],
            api_calls: Default::default(),
        }
    }

    /// The properties SARIF 2.1.0 requires (and code scanning reads) are present and typed.
    #[test]
    fn drift_results_are_located_at_the_declaring_line() {
        let plan = sample();
        let origins = HashMap::from([(
            plan.changes[0].address.clone(),
            Location {
                line: 12,
                column: 11,
            },
        )]);
        let log: Value = serde_json::from_str(&super::plan(&plan, Mode::Drift, &origins)).unwrap();
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SCHEMA);
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "warden");
        let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        for result in results {
            assert!(
                rule_ids.contains(&result["ruleId"].as_str().unwrap()),
                "{result}"
            );
            assert!(result["message"]["text"].is_string());
            let location = &result["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uri"], "specs/warden.yaml");
            assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        }
        assert_eq!(results[0]["ruleId"], "drifted");
        assert_eq!(results[0]["level"], "warning");
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 12, "startColumn": 11})
        );
        assert_eq!(
            results[0]["message"]["text"],
            "sandbox/us-east-1/log_group//a: drifted. retention_days: 30 → 1827"
        );
        assert_eq!(results[1]["ruleId"], "error");
        assert_eq!(results[1]["level"], "error");
        assert!(results[1]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("other/eu-west-1: AccessDenied"));
    }
}
