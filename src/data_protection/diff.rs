//! Data-protection policy differences in plain words for plans: identifiers added and removed, settings changed, never a wall of JSON.

use std::collections::BTreeSet;

use serde_json::Value;

use super::props::Policy;

/// One line per difference between two normalized properties (`null` means no policy), e.g.
/// `+ EmailAddress: audited and masked`, `- IpAddress: no longer audited`,
/// `findings log group: /a → /b`. Empty when they mean the same.
pub fn describe_differences(before: &Value, after: &Value) -> Vec<String> {
    match (before.is_null(), after.is_null()) {
        (true, true) => return Vec::new(),
        (false, true) => {
            let old = Policy::from_props(before);
            return vec![format!(
                "remove data-protection policy `{}` (new log events are no longer audited or masked)",
                old.name.as_deref().unwrap_or("(unnamed)")
            )];
        }
        _ => {}
    }
    let old = Policy::from_props(before);
    let new = Policy::from_props(after);
    let mut lines = Vec::new();
    if !before.is_null() && old.name != new.name {
        lines.push(format!("name: {} → {}", shown(&old.name), shown(&new.name)));
    }

    let old_audited = old.audited();
    let new_audited = new.audited();
    let all: BTreeSet<&String> = old_audited
        .iter()
        .chain(&new_audited)
        .chain(&old.mask)
        .chain(&new.mask)
        .collect();
    for id in all {
        let label = match (new.custom.get(id), old.custom.get(id)) {
            (Some(regex), _) | (None, Some(regex)) => format!("custom identifier {id} (`{regex}`)"),
            (None, None) => id.clone(),
        };
        let was = (old_audited.contains(id), old.mask.contains(id));
        let now = (new_audited.contains(id), new.mask.contains(id));
        if was != now {
            let line = match (was, now) {
                ((false, _), (true, true)) => format!("+ {label}: audited and masked"),
                ((false, _), (true, false)) => format!("+ {label}: audited, not masked"),
                ((true, _), (false, _)) => format!("- {label}: no longer audited or masked"),
                ((true, false), (true, true)) => format!("~ {id}: now masked"),
                ((true, true), (true, false)) => {
                    format!("~ {id}: no longer masked (still audited)")
                }
                (_, (false, true)) => format!("~ {id}: masked without being audited"),
                _ => format!("~ {id}: no longer masked"),
            };
            lines.push(line);
        }
        if let (Some(a), Some(b)) = (old.custom.get(id), new.custom.get(id)) {
            if a != b {
                lines.push(format!("~ custom identifier {id}: regex `{a}` → `{b}`"));
            }
        }
    }

    let destinations = [
        (
            "findings log group",
            &old.findings.log_group,
            &new.findings.log_group,
        ),
        (
            "findings S3 bucket",
            &old.findings.s3_bucket,
            &new.findings.s3_bucket,
        ),
        (
            "findings Firehose stream",
            &old.findings.firehose,
            &new.findings.firehose,
        ),
    ];
    for (what, a, b) in destinations {
        if a != b {
            lines.push(format!("{what}: {} → {}", shown(a), shown(b)));
        }
    }
    lines
}

fn shown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "(none)".to_string())
}

/// A whole policy (normalized properties) as its identifiers, for a plan that creates it:
/// `audits and masks: EmailAddress, IpAddress, CustomerReference (custom); findings to log
/// group /findings`. `null` (no policy) gives `None`.
pub fn describe_policy(props: &Value) -> Option<String> {
    if props.is_null() {
        return None;
    }
    let policy = Policy::from_props(props);
    let label = |id: &String| {
        if policy.custom.contains_key(id) {
            format!("{id} (custom)")
        } else {
            id.clone()
        }
    };
    // Managed identifiers first, then custom ones, each in the policy's (sorted) order.
    let ordered: Vec<&String> = policy
        .identifiers
        .iter()
        .chain(policy.custom.keys())
        .collect();
    let masked: Vec<String> = ordered
        .iter()
        .filter(|id| policy.mask.contains(**id))
        .map(|id| label(id))
        .collect();
    let only_audited: Vec<String> = ordered
        .iter()
        .filter(|id| !policy.mask.contains(**id))
        .map(|id| label(id))
        .collect();
    let mut parts = Vec::new();
    if !masked.is_empty() {
        parts.push(format!("audits and masks: {}", masked.join(", ")));
    }
    if !only_audited.is_empty() {
        parts.push(format!("audits (not masked): {}", only_audited.join(", ")));
    }
    if parts.is_empty() {
        parts.push("audits nothing".to_string());
    }
    let findings: Vec<String> = [
        ("log group", &policy.findings.log_group),
        ("S3 bucket", &policy.findings.s3_bucket),
        ("Firehose stream", &policy.findings.firehose),
    ]
    .into_iter()
    .filter_map(|(what, name)| name.as_ref().map(|n| format!("{what} {n}")))
    .collect();
    if !findings.is_empty() {
        parts.push(format!("findings to {}", findings.join(", ")));
    }
    if let Some(name) = policy.name.as_deref() {
        if name != super::DEFAULT_POLICY_NAME {
            parts.push(format!("policy `{name}`"));
        }
    }
    Some(parts.join("; "))
}
