//! Saved plans (`plan --out`): written atomically as the documented JSON with the spec they were
//! made from, read back (size-capped) for `apply PLAN`, and compared with a fresh plan of that
//! spec against live state, so that neither a stale nor an edited file is ever carried out.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::diff::field_changes;
use super::{Action, FieldChange, Plan, ResourceChange, ScopeError, PLAN_FORMAT_VERSION};
use crate::model::ResourceAddr;

/// Larger plan files are refused before parsing (and `plan --out` does not write them). A plan
/// holds its spec (at most 4 MiB, see `spec::parse::MAX_SPEC_BYTES`) and about 0.7 KB per
/// resource in scope, so 64 MiB holds some 85,000 resources; loaded, a plan takes about 5× its
/// file size in memory (a 58 MiB plan: 0.3 GB), which this bounds.
pub const MAX_PLAN_BYTES: u64 = 64 * 1024 * 1024;

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
    #[error("{path} is over the limit of {} MiB for a plan file{}; a saved plan is far smaller: check the path, or make a new plan with `warden plan --out`", MAX_PLAN_BYTES / (1024 * 1024), .size.map(|s| format!(" ({s} bytes)")).unwrap_or_default())]
    TooLarge { path: String, size: Option<u64> },
    #[error("the plan is {size} bytes, over the limit of {} MiB for a plan file, so it was not saved to {path}: narrow it with --account/--region and save one plan per part", MAX_PLAN_BYTES / (1024 * 1024))]
    TooLargeToSave { path: String, size: u64 },
    #[error("{path} does not hold the spec it was made from (made by an older warden), so it cannot be checked against live state: make a new plan with `warden plan --out`")]
    NoSpec { path: String },
}

/// A plan as saved by `plan --out`: the plan, plus the spec text it was made from, exactly as
/// read (`${env:…}` references stay references, so no resolved secret is written). In the file,
/// `spec_text` is one more top-level key of the plan document.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedPlan {
    pub plan: Plan,
    pub spec_text: String,
}

/// Writes the plan next to its final path and renames it into place, so a crash never
/// leaves half a plan behind.
pub fn save(plan: &Plan, spec_text: &str, path: &Path) -> Result<(), SavedPlanError> {
    #[derive(Serialize)]
    struct Out<'a> {
        #[serde(flatten)]
        plan: &'a Plan,
        spec_text: &'a str,
    }
    let err = |source| SavedPlanError::Write {
        path: path.display().to_string(),
        source,
    };
    let text = serde_json::to_string_pretty(&Out { plan, spec_text })
        .map_err(|e| err(std::io::Error::other(e)))?;
    // A plan `apply` would refuse is not written.
    if text.len() as u64 >= MAX_PLAN_BYTES {
        return Err(SavedPlanError::TooLargeToSave {
            path: path.display().to_string(),
            size: text.len() as u64 + 1,
        });
    }
    let tmp = path.with_extension("tmp-warden");
    std::fs::write(&tmp, text + "\n").map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// Reads a saved plan (at most [`MAX_PLAN_BYTES`]), checks its format and that every change and
/// error lies inside the accounts and regions it names.
pub fn load(path: &Path) -> Result<SavedPlan, SavedPlanError> {
    let shown = path.display().to_string();
    let read_err = |source| SavedPlanError::Read {
        path: shown.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let size = file.metadata().map_err(read_err)?.len();
    if size > MAX_PLAN_BYTES {
        return Err(SavedPlanError::TooLarge {
            path: shown,
            size: Some(size),
        });
    }
    // At most one byte past the limit: a pipe or a growing file has no trustworthy size.
    let mut bytes = Vec::new();
    file.take(MAX_PLAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(SavedPlanError::TooLarge {
            path: shown,
            size: None,
        });
    }
    let invalid = |message: String| SavedPlanError::Invalid {
        path: shown.clone(),
        message,
    };
    let text = String::from_utf8(bytes).map_err(|e| invalid(e.to_string()))?;
    // The version first (a small read), so an old or future plan gets "make a new plan"
    // rather than a complaint about its shape.
    #[derive(Deserialize)]
    struct Header {
        format_version: Option<Value>,
        spec_text: Option<String>,
    }
    let header: Header = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let found = header
        .format_version
        .as_ref()
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("no format_version".into()))?;
    if found != u64::from(PLAN_FORMAT_VERSION) {
        return Err(SavedPlanError::Version {
            path: shown,
            found: u32::try_from(found).unwrap_or(u32::MAX),
        });
    }
    let Some(spec_text) = header.spec_text else {
        return Err(SavedPlanError::NoSpec { path: shown });
    };
    // Straight into the plan (its unknown `spec_text` key skipped): no intermediate copy of
    // the whole document, so memory stays near the file size plus the plan itself.
    let plan: Plan = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    drop(text);
    check_within_accounts(&plan).map_err(invalid)?;
    Ok(SavedPlan { plan, spec_text })
}

/// Every change, error and note must be in an account and region the plan names: otherwise a
/// filter by scope would silently drop it.
fn check_within_accounts(plan: &Plan) -> Result<(), String> {
    let known = |account: &str, region: Option<&str>| {
        plan.accounts
            .iter()
            .any(|a| a.name == account && region.is_none_or(|r| a.regions.iter().any(|k| k == r)))
    };
    let outside = |what: &str, account: &str, region: Option<&str>| {
        format!(
            "{what} is in {}, which is not among the plan's accounts and regions",
            match region {
                Some(r) => format!("account `{account}`, region `{r}`"),
                None => format!("account `{account}`"),
            }
        )
    };
    for c in &plan.changes {
        if !known(&c.address.account, Some(&c.address.region)) {
            return Err(outside(
                &format!("change {}", c.address),
                &c.address.account,
                Some(&c.address.region),
            ));
        }
    }
    for e in &plan.errors {
        if !known(&e.account, e.region.as_deref()) {
            return Err(outside("an error", &e.account, e.region.as_deref()));
        }
    }
    for n in &plan.notes {
        if !known(&n.account, Some(&n.region)) {
            return Err(outside("a note", &n.account, Some(&n.region)));
        }
    }
    Ok(())
}

/// One address where the saved plan and a fresh plan of its spec disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleEntry {
    pub address: ResourceAddr,
    /// The action the file holds for it (`None`: no change, or not in the file).
    pub planned: Option<Action>,
    /// The action a fresh plan gives now (`None`: no change, or not in the fresh plan).
    pub now: Option<Action>,
    /// Fields that differ: with `live_moved`, live state at plan time → now; otherwise the
    /// file's desired value → the value its spec gives.
    pub moved: Vec<FieldChange>,
    pub note: String,
    /// True when AWS changed since the plan was made (stale); false when the file's change is
    /// not what its own spec gives (edited, or made by a different warden).
    pub live_moved: bool,
}

/// Why a saved plan is not carried out.
#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    /// Scopes the fresh plan could not read (they were readable when the plan was made).
    Unverifiable(Vec<ScopeError>),
    /// The plan file names a different project than its spec.
    Project { file: String, spec: String },
    /// Addresses where the file and the fresh plan disagree.
    Differs(Vec<StaleEntry>),
}

/// Compares a saved plan with a fresh plan of its embedded spec over the same scope: the
/// pending changes (address, account id, action, before, after) and the addresses in error
/// must be the same. Any scope the fresh plan could not read makes the file unverifiable there.
pub fn compare(saved: &Plan, fresh: &Plan) -> Result<(), Mismatch> {
    if saved.project != fresh.project {
        return Err(Mismatch::Project {
            file: saved.project.clone(),
            spec: fresh.project.clone(),
        });
    }
    let unreadable: Vec<ScopeError> = fresh
        .errors
        .iter()
        .filter(|e| e.address.is_none())
        .filter(|e| {
            !saved.errors.iter().any(|s| {
                s.address.is_none()
                    && s.account == e.account
                    && (s.region.is_none() || s.region == e.region)
            })
        })
        .cloned()
        .collect();
    if !unreadable.is_empty() {
        return Err(Mismatch::Unverifiable(unreadable));
    }
    let (saved_changes, fresh_changes) = (by_addr(saved), by_addr(fresh));
    let (saved_errors, fresh_errors) = (errors_by_addr(saved), errors_by_addr(fresh));
    let addresses: BTreeSet<&ResourceAddr> = saved
        .pending()
        .chain(fresh.pending())
        .map(|c| &c.address)
        .chain(saved_errors.keys().copied())
        .chain(fresh_errors.keys().copied())
        .collect();
    // Scopes the saved plan could not read: what a fresh plan finds there is news, not an edit.
    let unread_when_planned = |addr: &ResourceAddr| {
        saved.errors.iter().any(|e| {
            e.address.is_none()
                && e.account == addr.account
                && e.region.as_ref().is_none_or(|r| *r == addr.region)
        })
    };
    let mut entries = Vec::new();
    for addr in addresses {
        let s = saved_changes.get(addr).copied();
        let f = fresh_changes.get(addr).copied();
        let entry = if s.is_none() && unread_when_planned(addr) {
            pending(f).map(|f| StaleEntry {
                address: addr.clone(),
                planned: None,
                now: Some(f.action),
                moved: Vec::new(),
                note: "its account or region could not be read when planned; a fresh plan has a change here".into(),
                live_moved: true,
            })
        } else {
            differs(
                addr,
                s,
                f,
                saved_errors.get(addr).copied(),
                fresh_errors.get(addr).copied(),
            )
        };
        entries.extend(entry);
    }
    if entries.is_empty() {
        Ok(())
    } else {
        Err(Mismatch::Differs(entries))
    }
}

fn pending(c: Option<&ResourceChange>) -> Option<&ResourceChange> {
    c.filter(|c| c.action.is_change())
}

fn by_addr(plan: &Plan) -> HashMap<&ResourceAddr, &ResourceChange> {
    plan.changes.iter().map(|c| (&c.address, c)).collect()
}

fn errors_by_addr(plan: &Plan) -> HashMap<&ResourceAddr, &String> {
    plan.errors
        .iter()
        .filter_map(|e| Some((e.address.as_ref()?, &e.message)))
        .collect()
}

/// What must be equal for a pending change to be the same change.
fn key(c: &ResourceChange) -> (Action, &String, &Option<Value>, &Option<Value>) {
    (c.action, &c.account_id, &c.before, &c.after)
}

/// How one address differs between the file (`s`, `se`) and the fresh plan (`f`, `fe`), if it does.
fn differs(
    addr: &ResourceAddr,
    s: Option<&ResourceChange>,
    f: Option<&ResourceChange>,
    se: Option<&String>,
    fe: Option<&String>,
) -> Option<StaleEntry> {
    let same = match (pending(s), pending(f)) {
        (Some(a), Some(b)) => key(a) == key(b),
        (None, None) => se.is_some() == fe.is_some(),
        _ => false,
    };
    if same && se.is_some() == fe.is_some() {
        return None;
    }
    let null = Value::Null;
    let entry = |moved, note: String, live_moved| StaleEntry {
        address: addr.clone(),
        planned: pending(s).map(|c| c.action),
        now: pending(f).map(|c| c.action),
        moved,
        note,
        live_moved,
    };
    // AWS moved: the live state the file was planned against is not the live state now.
    if let (Some(s), Some(f)) = (s, f) {
        if s.before != f.before {
            let note = match (&s.before, &f.before) {
                (None, Some(_)) => "was absent when planned; it exists now",
                (Some(_), None) => "existed when planned; it is gone now",
                _ => "changed since the plan was made",
            };
            let moved = field_changes(
                s.before.as_ref().unwrap_or(&null),
                f.before.as_ref().unwrap_or(&null),
            );
            return Some(entry(moved, note.to_string(), true));
        }
    }
    match (se, fe) {
        (None, Some(message)) => {
            return Some(entry(
                Vec::new(),
                format!("is in error now: {message}"),
                true,
            ));
        }
        (Some(_), None) => {
            let now = match pending(f) {
                Some(c) => format!("a fresh plan gives `{}` now", c.action.as_str()),
                None => "a fresh plan has no error for it now".to_string(),
            };
            return Some(entry(
                Vec::new(),
                format!("was in error when planned; {now}"),
                true,
            ));
        }
        _ => {}
    }
    // The file's change is not what its own spec gives against the same live state.
    let (note, moved) = match (s, f) {
        (Some(s), None) => (
            format!(
                "the plan file has `{}` here, but a fresh plan of its spec has no such resource",
                s.action.as_str()
            ),
            Vec::new(),
        ),
        (None, Some(f)) => (
            format!(
                "a fresh plan of its spec gives `{}` here, but the plan file has no such resource",
                f.action.as_str()
            ),
            Vec::new(),
        ),
        (Some(s), Some(f)) => {
            let note = if s.action != f.action {
                format!(
                    "the plan file has `{}`, a fresh plan of its spec gives `{}`",
                    s.action.as_str(),
                    f.action.as_str()
                )
            } else if s.account_id != f.account_id {
                format!(
                    "the plan file has account id {}, its spec {}",
                    s.account_id, f.account_id
                )
            } else {
                "the plan file's values are not what its spec gives".to_string()
            };
            let moved = field_changes(
                s.after.as_ref().unwrap_or(&null),
                f.after.as_ref().unwrap_or(&null),
            );
            (note, moved)
        }
        (None, None) => ("differs".to_string(), Vec::new()),
    };
    Some(entry(moved, note, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountTarget;
    use serde_json::json;

    fn change(
        name: &str,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
    ) -> ResourceChange {
        ResourceChange {
            address: ResourceAddr::new("ops", "us-east-1", crate::kinds::ALL[0], name),
            account_id: "123456789012".into(),
            action,
            before,
            after,
            fields: vec![],
            reason: None,
            depends_on: vec![],
            forces_replacement: vec![],
        }
    }

    fn plan(changes: Vec<ResourceChange>) -> Plan {
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            warden_version: String::new(),
            created_at: String::new(),
            spec_file: "spec.yaml".into(),
            project: "p".into(),
            prune: false,
            accounts: vec![AccountTarget {
                name: "ops".into(),
                id: "123456789012".into(),
                role_arn: None,
                external_id: None,
                regions: vec!["us-east-1".into()],
            }],
            summary: Default::default(),
            changes,
            errors: vec![],
            notes: vec![],
            api_calls: Default::default(),
        }
    }

    #[test]
    fn identical_pending_changes_match_whatever_the_no_ops_and_metadata() {
        let create = change(
            "/a",
            Action::Create,
            None,
            Some(json!({"retention_days": 1827})),
        );
        let mut saved = plan(vec![create.clone()]);
        saved.created_at = "yesterday".into();
        let mut fresh = plan(vec![
            create,
            change("/b", Action::NoOp, Some(json!({})), Some(json!({}))),
        ]);
        fresh.changes[0].fields = vec![];
        assert_eq!(compare(&saved, &fresh), Ok(()));
    }

    #[test]
    fn an_added_delete_is_not_what_the_spec_gives() {
        let saved = plan(vec![change(
            "/untagged",
            Action::Delete,
            Some(json!({})),
            None,
        )]);
        let Err(Mismatch::Differs(entries)) = compare(&saved, &plan(vec![])) else {
            panic!("an added delete must be refused");
        };
        assert_eq!(entries.len(), 1);
        assert!(!entries[0].live_moved);
        assert_eq!(entries[0].planned, Some(Action::Delete));
        assert!(
            entries[0].note.contains("no such resource"),
            "{}",
            entries[0].note
        );
    }

    #[test]
    fn an_edited_value_is_shown_field_by_field() {
        let saved = plan(vec![change(
            "/a",
            Action::Create,
            None,
            Some(json!({"retention_days": 1825})),
        )]);
        let fresh = plan(vec![change(
            "/a",
            Action::Create,
            None,
            Some(json!({"retention_days": 1827})),
        )]);
        let Err(Mismatch::Differs(entries)) = compare(&saved, &fresh) else {
            panic!("an edited value must be refused");
        };
        assert_eq!(entries[0].moved[0].path, "retention_days");
        assert_eq!(entries[0].moved[0].before, json!(1825));
    }

    #[test]
    fn a_group_created_since_planning_is_stale() {
        let saved = plan(vec![change(
            "/a",
            Action::Create,
            None,
            Some(json!({"retention_days": 1})),
        )]);
        let fresh = plan(vec![change(
            "/a",
            Action::Adopt,
            Some(json!({"retention_days": null})),
            Some(json!({"retention_days": 1})),
        )]);
        let Err(Mismatch::Differs(entries)) = compare(&saved, &fresh) else {
            panic!("stale");
        };
        assert!(entries[0].live_moved);
        assert_eq!(entries[0].note, "was absent when planned; it exists now");
    }

    #[test]
    fn a_scope_unreadable_now_makes_the_plan_unverifiable() {
        let saved = plan(vec![]);
        let mut fresh = plan(vec![]);
        fresh.errors.push(ScopeError {
            account: "ops".into(),
            region: None,
            address: None,
            message: "denied".into(),
        });
        assert!(matches!(
            compare(&saved, &fresh),
            Err(Mismatch::Unverifiable(_))
        ));
        // Unreadable at plan time too: nothing to compare there, no refusal for it.
        let mut saved = saved;
        saved.errors = fresh.errors.clone();
        assert_eq!(compare(&saved, &fresh), Ok(()));
    }

    #[test]
    fn a_change_found_where_the_plan_could_not_read_is_news_not_an_edit() {
        let mut saved = plan(vec![]);
        saved.errors.push(ScopeError {
            account: "ops".into(),
            region: Some("us-east-1".into()),
            address: None,
            message: "throttled".into(),
        });
        let fresh = plan(vec![change("/a", Action::Create, None, Some(json!({})))]);
        let Err(Mismatch::Differs(entries)) = compare(&saved, &fresh) else {
            panic!("a change the plan did not show must be refused");
        };
        assert!(entries[0].live_moved);
        assert!(entries[0].note.contains("could not be read when planned"));
    }

    #[test]
    fn a_change_outside_the_plans_accounts_is_invalid() {
        let mut p = plan(vec![change("/a", Action::Create, None, Some(json!({})))]);
        p.changes[0].address.region = "eu-west-1".into();
        let message = check_within_accounts(&p).unwrap_err();
        assert!(message.contains("region `eu-west-1`"), "{message}");
    }
}
