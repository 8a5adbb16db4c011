//! Saved plans (`plan --out`): written atomically as the documented JSON, read back for
//! `apply PLAN`, and checked against live state so a stale plan is refused.

use std::path::Path;

use serde_json::Value;

use super::diff::field_changes;
use super::read::{names_by_scope, Reader};
use super::{Action, FieldChange, Plan, ResourceChange, PLAN_FORMAT_VERSION};
use crate::kinds;

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("cannot read plan file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write plan file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a warden plan: {message}")]
    Invalid { path: String, message: String },
    #[error("{path} is a plan of format {found}; this warden reads format {PLAN_FORMAT_VERSION}: make a new plan")]
    Version { path: String, found: u32 },
}

/// Writes the plan next to its final path and renames it into place, so a crash never
/// leaves half a plan behind.
pub fn save(plan: &Plan, path: &Path) -> Result<(), SavedPlanError> {
    let err = |source| SavedPlanError::Write {
        path: path.display().to_string(),
        source,
    };
    let text = serde_json::to_string_pretty(plan).map_err(|e| err(std::io::Error::other(e)))?;
    let tmp = path.with_extension("tmp-warden");
    std::fs::write(&tmp, text + "\n").map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

pub fn load(path: &Path) -> Result<Plan, SavedPlanError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SavedPlanError::Read {
        path: shown.clone(),
        source,
    })?;
    let raw: Value = serde_json::from_str(&text).map_err(|e| SavedPlanError::Invalid {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let found = raw
        .get("format_version")
        .and_then(Value::as_u64)
        .ok_or_else(|| SavedPlanError::Invalid {
            path: shown.clone(),
            message: "no format_version".into(),
        })?;
    if found != u64::from(PLAN_FORMAT_VERSION) {
        return Err(SavedPlanError::Version {
            path: shown,
            found: found as u32,
        });
    }
    serde_json::from_value(raw).map_err(|e| SavedPlanError::Invalid {
        path: shown,
        message: e.to_string(),
    })
}

/// Something a saved plan expected that is no longer true.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleEntry {
    pub change: ResourceChange,
    /// How the live state moved since the plan was made (`before` = at plan time).
    pub moved: Vec<FieldChange>,
    pub note: String,
}

/// Re-reads everything the plan would touch and returns what changed since it was made.
/// An account that cannot be read makes the plan unverifiable: that is an error, not stale.
pub async fn stale_entries(
    reader: &Reader<'_>,
    plan: &Plan,
) -> Result<Vec<StaleEntry>, Vec<super::ScopeError>> {
    // What the plan changes, and the unchanged resources those changes rely on (a role
    // deleted since the plan was made would break the configuration that names it).
    let needed: std::collections::HashSet<&crate::model::ResourceAddr> =
        plan.pending().flat_map(|c| c.depends_on.iter()).collect();
    let pending: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action.is_change() || needed.contains(&c.address))
        .collect();
    let names = names_by_scope(pending.iter().map(|c| &c.address));
    let mut scopes: Vec<_> = names.keys().cloned().collect();
    scopes.sort();
    let read = reader.read(&scopes, &names, None).await;
    if !read.errors.is_empty() {
        return Err(read.errors);
    }
    let mut stale = Vec::new();
    for change in pending {
        let key = (
            change.address.account.clone(),
            change.address.region.clone(),
        );
        let live = read
            .live
            .get(&key)
            .and_then(|l| l.iter().find(|r| r.addr == change.address));
        let now: Option<Value> = live.map(|l| match (&change.action, &change.after) {
            (Action::Delete, _) | (_, None) => l.props.clone(),
            (_, Some(after)) => kinds::comparable(change.address.kind, after, &l.props),
        });
        if now == change.before {
            continue;
        }
        let note = match (&change.before, &now) {
            (None, Some(_)) => "was absent when planned; it exists now".to_string(),
            (Some(_), None) => "existed when planned; it is gone now".to_string(),
            _ => "changed since the plan was made".to_string(),
        };
        let null = Value::Null;
        stale.push(StaleEntry {
            moved: field_changes(
                change.before.as_ref().unwrap_or(&null),
                now.as_ref().unwrap_or(&null),
            ),
            change: change.clone(),
            note,
        });
    }
    Ok(stale)
}
