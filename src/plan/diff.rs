//! Compares desired and live resources of one scope into resource changes; pure, no I/O.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{Action, FieldChange, ResourceChange, ScopeError};
use crate::kinds;
use crate::model::{DesiredResource, Kind, LiveResource, ResourceAddr};

/// The changes for one (account, region). Live resources owned by another project are
/// reported as errors, never taken over; owned ones absent from the spec are deleted only
/// with `prune`.
pub fn diff_scope(
    project: &str,
    account_id: &str,
    desired: &[&DesiredResource],
    live: &[LiveResource],
    prune: bool,
) -> (Vec<ResourceChange>, Vec<ScopeError>) {
    let live_by_addr: HashMap<&ResourceAddr, &LiveResource> =
        live.iter().map(|l| (&l.addr, l)).collect();
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for want in desired {
        let change = |action, before: Option<Value>, reason: Option<String>| {
            let fields = field_changes(before.as_ref().unwrap_or(&Value::Null), &want.props);
            // Fields the API cannot change in place turn an update into a replace.
            let forcing: Vec<String> = fields
                .iter()
                .filter(|f| {
                    action == Action::Update && kinds::forces_replacement(want.kind(), &f.path)
                })
                .map(|f| f.path.clone())
                .collect();
            let action = if action == Action::Update && fields.is_empty() {
                Action::NoOp
            } else if !forcing.is_empty() {
                Action::Replace
            } else {
                action
            };
            ResourceChange {
                address: want.addr.clone(),
                account_id: account_id.to_string(),
                action,
                before,
                after: Some(want.props.clone()),
                fields,
                reason,
                depends_on: want.depends_on.clone(),
                forces_replacement: forcing,
            }
        };
        match live_by_addr.get(&want.addr) {
            None => changes.push(change(Action::Create, None, None)),
            Some(have) => {
                let before = kinds::comparable(want.kind(), &want.props, &have.props);
                match have.owner.as_deref() {
                    Some(owner) if owner == project => {
                        let reason = join_reasons(
                            kinds::explain(want.kind(), &before, &want.props),
                            kinds::warnings(want.kind(), &before, &want.props),
                        );
                        changes.push(change(Action::Update, Some(before), reason))
                    }
                    None => {
                        let reason = join_reasons(
                            Some(format!("exists but was not created by warden: apply {} it as managed by this project and brings it to the spec", match want.kind().ownership() {
                                kinds::Ownership::Marked => "marks",
                                _ => "tags",
                            })),
                            kinds::warnings(want.kind(), &before, &want.props),
                        );
                        changes.push(change(Action::Adopt, Some(before), reason))
                    }
                    Some(other) => errors.push(ScopeError {
                        account: want.addr.account.clone(),
                        region: Some(want.addr.region.clone()),
                        address: Some(want.addr.clone()),
                        message: format!(
                            "managed by another warden project `{other}` ({}); remove it from one of the two specs",
                            owner_mark(want.kind())
                        ),
                    }),
                }
            }
        }
    }
    if prune {
        let wanted: std::collections::HashSet<&ResourceAddr> =
            desired.iter().map(|d| &d.addr).collect();
        // What the spec still points at (e.g. a log group as an external logging destination
        // or findings group) is in use, even when the spec no longer lists it.
        let mut pointed_at = Vec::new();
        for want in desired {
            kinds::references(want.kind(), &want.props, &mut pointed_at);
        }
        let referenced: std::collections::HashSet<(Kind, &str)> =
            pointed_at.iter().map(|(k, n)| (*k, n.as_str())).collect();
        for have in live {
            if wanted.contains(&have.addr)
                || have.owner.as_deref() != Some(project)
                || referenced.contains(&(have.addr.kind, have.addr.name.as_str()))
            {
                continue;
            }
            changes.push(ResourceChange {
                address: have.addr.clone(),
                account_id: account_id.to_string(),
                action: Action::Delete,
                before: Some(have.props.clone()),
                after: None,
                fields: field_changes(&have.props, &Value::Null),
                reason: Some("managed by this project and no longer in the spec (--prune)".into()),
                depends_on: Vec::new(),
                forces_replacement: Vec::new(),
            });
        }
    }
    (changes, errors)
}

/// Where a kind records its owner, for messages.
fn owner_mark(kind: Kind) -> &'static str {
    match kind.ownership() {
        kinds::Ownership::Marked => "its ownership mark",
        _ => "tag warden:managed-by",
    }
}

fn join_reasons(first: Option<String>, second: Option<String>) -> Option<String> {
    match (first, second) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

/// Field-level differences between two normalized values, by dotted path.
pub fn field_changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut old = BTreeMap::new();
    let mut new = BTreeMap::new();
    flatten("", before, &mut old);
    flatten("", after, &mut new);
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let b = old.get(path).cloned().unwrap_or(Value::Null);
            let a = new.get(path).cloned().unwrap_or(Value::Null);
            (b != a).then(|| FieldChange {
                path: path.clone(),
                before: b,
                after: a,
            })
        })
        .collect()
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        Value::Object(_) | Value::Null if prefix.is_empty() => {}
        Value::Object(_) => {}
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_changes_are_flattened_by_path() {
        let before = json!({"a": 1, "tags": {"x": "1", "y": "2"}});
        let after = json!({"a": 1, "tags": {"x": "1", "y": "3", "z": "4"}});
        let paths: Vec<String> = field_changes(&before, &after)
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(paths, vec!["tags.y", "tags.z"]);
        assert!(field_changes(&before, &before).is_empty());
    }
}
