//! The executor: carries out a plan scope by scope (concurrently, bounded), in dependency
//! order, skipping what depends on a failure, then re-reads to verify the result.

pub mod lease;

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::{stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cloud::ApiCallReport;
use crate::kinds::{self, Placement};
use crate::model::ResourceAddr;
use crate::plan::diff::field_changes;
use crate::plan::read::{names_by_scope, Reader, ScopeKey};
use crate::plan::{Action, FieldChange, Plan, ResourceChange, ScopeError};

/// What happened to one planned change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum Status {
    /// Done, and a re-read shows the spec's values.
    Applied,
    /// Done, but a re-read still differs (see `remaining`).
    Unverified {
        remaining: Vec<FieldChange>,
    },
    /// Done, but the re-read that would verify it failed: whether AWS holds the spec's values
    /// is unknown (a later `plan` tells).
    NotVerified {
        error: String,
    },
    Failed {
        error: String,
    },
    /// Not attempted because something it depends on failed, or its account was unreachable.
    Skipped {
        because: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub address: ResourceAddr,
    pub action: Action,
    #[serde(flatten)]
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyReport {
    pub outcomes: Vec<Outcome>,
    pub errors: Vec<ScopeError>,
    pub api_calls: ApiCallReport,
}

impl ApplyReport {
    pub fn succeeded(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.status == Status::Applied)
            .count()
    }

    /// Done, but the re-read still differs or could not be made.
    pub fn unverified(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o.status,
                    Status::Unverified { .. } | Status::NotVerified { .. }
                )
            })
            .count()
    }

    /// Failed or skipped changes, plus the plan's own errors (scopes or addresses that could
    /// not be planned, so nothing was attempted there).
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.succeeded() - self.unverified() + self.errors.len()
    }
}

/// The pending changes in the phases they are applied in, each by scope: account-scoped
/// kinds (in their home region) are created and updated before every regional scope, since
/// regional resources may depend on them, and deleted after. A plan of regional kinds only is
/// one phase.
pub fn phases<'a>(
    changes: impl IntoIterator<Item = &'a ResourceChange>,
) -> Vec<BTreeMap<ScopeKey, Vec<ResourceChange>>> {
    let mut phases: Vec<BTreeMap<ScopeKey, Vec<ResourceChange>>> = vec![BTreeMap::new(); 3];
    for change in changes {
        let phase = match (change.address.kind.placement(), change.action) {
            (Placement::Regional, _) => 1,
            // One that depends on regional resources of its scope (a trail on its bucket) is
            // deleted with them, before them (warden destroy).
            (Placement::Account, Action::Delete) if !change.depends_on.is_empty() => 1,
            (Placement::Account, Action::Delete) => 2,
            // One that needs regional resources of its scope (a trail needs its bucket) is
            // applied with them, after what it depends on.
            (Placement::Account, _) if !change.depends_on.is_empty() => 1,
            (Placement::Account, _) => 0,
        };
        phases[phase]
            .entry((
                change.address.account.clone(),
                change.address.region.clone(),
            ))
            .or_default()
            .push(change.clone());
    }
    phases.retain(|p| !p.is_empty());
    phases
}

/// Applies every pending change of `plan`.
pub async fn apply(reader: &Reader<'_>, plan: &Plan) -> ApplyReport {
    let phases = phases(plan.pending());
    let mut per_account: BTreeMap<String, usize> = BTreeMap::new();
    // A scope's lease is released after the last phase that touches it.
    let mut last_phase: HashMap<ScopeKey, usize> = HashMap::new();
    for (i, phase) in phases.iter().enumerate() {
        for (key, changes) in phase {
            *per_account.entry(key.0.clone()).or_default() += changes.len();
            last_phase.insert(key.clone(), i);
        }
    }
    reader.progress().phase("applying");
    for (account, total) in &per_account {
        reader.progress().account_started(account, *total);
    }
    // Addresses the plan could not settle (e.g. owned by another project): what depends on
    // them is skipped, like what depends on a failed change.
    let in_error: HashSet<ResourceAddr> = plan
        .errors
        .iter()
        .filter_map(|e| e.address.clone())
        .collect();
    let in_error = &in_error;
    let project = plan.project.as_str();
    let mut broken = in_error.clone();
    let mut results: Vec<(String, Vec<Outcome>)> = Vec::new();
    for (i, phase) in phases.into_iter().enumerate() {
        let (broken_before, last_phase) = (&broken, &last_phase);
        let done: Vec<(String, Vec<Outcome>)> = stream::iter(phase)
            .map(|(key, changes)| async move {
                let release = last_phase.get(&key) == Some(&i);
                let outcomes = apply_scope(
                    reader,
                    &key,
                    &changes,
                    Broken {
                        before: broken_before,
                        in_error,
                    },
                    project,
                    release,
                )
                .await;
                (key.0, outcomes)
            })
            .buffer_unordered(reader.parallelism())
            .collect()
            .await;
        for (_, outcomes) in &done {
            broken.extend(
                outcomes
                    .iter()
                    .filter(|o| o.status != Status::Applied)
                    .map(|o| o.address.clone()),
            );
        }
        results.extend(done);
    }
    let mut outcomes = Vec::new();
    let mut account_ok: BTreeMap<String, bool> = BTreeMap::new();
    for (account, scope_outcomes) in results {
        let ok = scope_outcomes.iter().all(|o| o.status == Status::Applied);
        *account_ok.entry(account).or_insert(true) &= ok;
        outcomes.extend(scope_outcomes);
    }
    for (account, ok) in account_ok {
        reader.progress().account_finished(&account, ok);
    }
    outcomes.sort_by(|a, b| a.address.cmp(&b.address));
    ApplyReport {
        outcomes,
        errors: plan.errors.clone(),
        api_calls: reader.api_calls(),
    }
}

/// Every change of a scope skipped for one reason (its account or lease was not to be had).
fn all_skipped(changes: &[ResourceChange], because: String) -> Vec<Outcome> {
    changes
        .iter()
        .map(|c| Outcome {
            address: c.address.clone(),
            action: c.action,
            status: Status::Skipped {
                because: because.clone(),
            },
        })
        .collect()
}

/// What a scope's changes may not depend on: addresses in error in the plan, and (in `before`)
/// those plus what did not apply in an earlier phase.
#[derive(Clone, Copy)]
struct Broken<'a> {
    before: &'a HashSet<ResourceAddr>,
    in_error: &'a HashSet<ResourceAddr>,
}

async fn apply_scope(
    reader: &Reader<'_>,
    key: &ScopeKey,
    changes: &[ResourceChange],
    broken_before: Broken<'_>,
    project: &str,
    release: bool,
) -> Vec<Outcome> {
    let in_error = broken_before.in_error;
    let deadline = *reader.deadline();
    let session = match deadline.run(reader.session(&key.0)).await {
        Ok(Ok(s)) => s,
        Err(reached) => return all_skipped(changes, format!("not started: {reached}")),
        Ok(Err(e)) => return all_skipped(changes, format!("account `{}` unreachable: {e}", key.0)),
    };
    if let Some(because) = lease::blocked(reader, key) {
        return all_skipped(changes, because);
    }
    let mut outcomes = Vec::new();
    let mut broken: HashSet<ResourceAddr> = broken_before.before.clone();
    for change in crate::plan::order::execution_order(changes) {
        let blocked = change.depends_on.iter().find(|d| broken.contains(*d));
        let status = match blocked {
            Some(dep) if in_error.contains(dep) => Status::Skipped {
                because: format!("depends on {dep}, which is in error in the plan"),
            },
            Some(dep) => Status::Skipped {
                because: format!("depends on {dep}, which did not apply"),
            },
            None if deadline.passed() => Status::Skipped {
                because: format!("not started: {}", deadline.reached()),
            },
            None => match deadline.run(ownership_now(reader, key, change, project)).await {
                Err(reached) => Status::Skipped {
                    because: format!("not started: {reached}"),
                },
                Ok(Recheck::Refuse(error)) => Status::Failed { error },
                Ok(Recheck::Gone) => Status::Applied,
                Ok(Recheck::Proceed) => match deadline.run(kinds::execute(&session, change)).await {
                    Ok(Ok(())) => Status::Applied,
                    Ok(Err(e)) if e.is_already_exists() && change.action == Action::Create => {
                        deadline
                            .run(converge_existing(reader, &session, change))
                            .await
                            .unwrap_or_else(|reached| Status::Failed {
                                error: format!(
                                    "interrupted: {reached} while a resource found already there was being brought to the spec"
                                ),
                            })
                    }
                    Ok(Err(e)) => Status::Failed {
                        error: e.to_string(),
                    },
                    Err(reached) => Status::Failed {
                        error: format!(
                            "interrupted: {reached} while this change was being made; it may be partly done (`warden plan` shows what is left)"
                        ),
                    },
                },
            },
        };
        if status != Status::Applied {
            broken.insert(change.address.clone());
        }
        reader.progress().advanced(&key.0, &change.address.name);
        outcomes.push(Outcome {
            address: change.address.clone(),
            action: change.action,
            status,
        });
    }
    verify(reader, key, changes, &mut outcomes).await;
    if release {
        lease::release_scope(reader, key).await;
    }
    outcomes
}

/// The properties a re-read of a change's resource is asked with: the spec's, or for a delete
/// the last read ones (kinds tell from them which parts they own).
fn known_props(change: &ResourceChange) -> &Value {
    static NULL: Value = Value::Null;
    change
        .after
        .as_ref()
        .or(change.before.as_ref())
        .unwrap_or(&NULL)
}

/// What the ownership re-read before a delete, adopt or replace allows.
enum Recheck {
    Proceed,
    /// A delete whose resource is already gone: nothing to do.
    Gone,
    Refuse(String),
}

/// Re-reads the owner of the resource immediately before a delete or an adopt (one batched
/// read of that address): whatever the plan says, only what this project owns is deleted, and
/// only what no other project owns is adopted. Other actions need no re-read.
/// The live state of the one resource a change is about, read again now (one batched read of
/// that address); `Err` is why the read failed.
async fn reread(
    reader: &Reader<'_>,
    key: &ScopeKey,
    change: &ResourceChange,
) -> Result<Option<crate::model::LiveResource>, String> {
    let names = names_by_scope([(&change.address, known_props(change))]);
    let read = reader.read_quietly(std::slice::from_ref(key), &names).await;
    if let Some(e) = read.errors.first() {
        return Err(e.message.clone());
    }
    Ok(read
        .live
        .get(key)
        .and_then(|l| l.iter().find(|r| r.addr == change.address))
        .cloned())
}

async fn ownership_now(
    reader: &Reader<'_>,
    key: &ScopeKey,
    change: &ResourceChange,
    project: &str,
) -> Recheck {
    let verb = match change.action {
        Action::Delete => "deleted",
        Action::Adopt => "adopted",
        Action::Replace => "replaced",
        _ => return Recheck::Proceed,
    };
    let live = match reread(reader, key, change).await {
        Ok(live) => live,
        Err(message) => {
            return Recheck::Refuse(format!(
                "its owner could not be re-read ({message}): not {verb}"
            ))
        }
    };
    let live = live.as_ref();
    let owner = live.and_then(|l| l.owner.as_deref());
    match (change.action, live, owner) {
        (Action::Delete, None, _) => Recheck::Gone,
        // Gone already: the replace's delete finds nothing, its create proceeds.
        (Action::Replace, None, _) => Recheck::Proceed,
        (_, None, _) => Recheck::Refuse(format!("it no longer exists: not {verb}")),
        (Action::Delete | Action::Replace, Some(_), Some(o)) if o == project => Recheck::Proceed,
        (Action::Adopt, Some(_), None) => Recheck::Proceed,
        (Action::Adopt, Some(_), Some(o)) if o == project => Recheck::Proceed,
        (_, Some(_), None) => Recheck::Refuse(format!(
            "it is not managed by warden (no {} tag): not {verb}",
            crate::model::OWNER_TAG
        )),
        (_, Some(_), Some(other)) => Recheck::Refuse(format!(
            "it is now managed by another warden project `{other}`: not {verb}"
        )),
    }
}

/// A create that found its resource already there (created meanwhile, e.g. by another run of
/// this spec): re-read it; if this project owns it, bring it to the spec as an update and count
/// the create as done (its dependants proceed); otherwise it is not ours, and nothing is written.
async fn converge_existing(
    reader: &Reader<'_>,
    session: &crate::cloud::AccountSession,
    change: &ResourceChange,
) -> Status {
    let addr = &change.address;
    let key = (addr.account.clone(), addr.region.clone());
    let live = match reread(reader, &key, change).await {
        Ok(live) => live,
        Err(e) => {
            return Status::Failed {
                error: format!("it was created meanwhile, and the re-read failed: {e}"),
            }
        }
    };
    let Some(live) = live else {
        return Status::Failed {
            error: "the create said it exists, but a re-read does not find it; run apply again"
                .into(),
        };
    };
    match live.owner.as_deref() {
        Some(owner) if owner == reader.project() => {
            let after = change.after.clone().unwrap_or(Value::Null);
            let update = ResourceChange {
                action: Action::Update,
                before: Some(kinds::comparable(addr.kind, &after, &live.props)),
                ..change.clone()
            };
            match kinds::execute(session, &update).await {
                Ok(()) => Status::Applied,
                Err(e) => Status::Failed {
                    error: format!("created meanwhile by another run of this project; updating it failed: {e}"),
                },
            }
        }
        Some(other) => Status::Failed {
            error: format!("created meanwhile by another warden project `{other}` (tag warden:managed-by); left alone"),
        },
        None => Status::Failed {
            error: "created meanwhile outside warden (no warden:managed-by tag); left alone: run plan again, which offers to adopt it".into(),
        },
    }
}

/// Re-reads what was applied and downgrades outcomes whose live state still differs.
async fn verify(
    reader: &Reader<'_>,
    key: &ScopeKey,
    changes: &[ResourceChange],
    outcomes: &mut [Outcome],
) {
    let applied: Vec<&ResourceChange> = changes
        .iter()
        .filter(|c| {
            outcomes
                .iter()
                .any(|o| o.address == c.address && o.status == Status::Applied)
        })
        .collect();
    if applied.is_empty() {
        return;
    }
    let names = names_by_scope(applied.iter().map(|c| (&c.address, known_props(c))));
    let read = reader.read_quietly(std::slice::from_ref(key), &names).await;
    let live = read.live.get(key).cloned().unwrap_or_default();
    for change in applied {
        let now = live.iter().find(|l| l.addr == change.address);
        let remaining = match (&change.after, now) {
            (None, None) => Vec::new(),
            // A deleted singleton reads back as "not set".
            (None, Some(l)) if kinds::off(change.address.kind).as_ref() == Some(&l.props) => {
                Vec::new()
            }
            (None, Some(l)) => field_changes(&l.props, &Value::Null),
            (Some(after), None) => field_changes(&Value::Null, after),
            (Some(after), Some(l)) => field_changes(
                &kinds::comparable(change.address.kind, after, &l.props),
                after,
            ),
        };
        if remaining.is_empty() && read.errors.is_empty() {
            continue;
        }
        if let Some(o) = outcomes.iter_mut().find(|o| o.address == change.address) {
            o.status = match read.errors.first() {
                None => Status::Unverified { remaining },
                Some(error) => Status::NotVerified {
                    error: error.message.clone(),
                },
            };
        }
    }
}
