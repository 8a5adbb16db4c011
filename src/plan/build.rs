//! Builds a plan: read every scope of the desired state, then diff each scope.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::diff::diff_scope;
use super::order::execution_order;
use super::read::{names_by_scope, Reader, ScopeKey};
use super::{Plan, ResourceChange, ScopeNote, PLAN_FORMAT_VERSION};
use crate::kinds::Placement;
use crate::model::Kind;
use crate::model::{Desired, DesiredResource, LiveResource};

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub prune: bool,
    pub spec_file: String,
}

/// Reads live state for every scope of `desired` and computes the plan.
pub async fn build_plan(reader: &Reader<'_>, desired: &Desired, options: &PlanOptions) -> Plan {
    // Quotas the spec says were raised pace this run's calls (the apply that follows too).
    reader.pacer().raise(&desired.quotas);
    let scopes: Vec<ScopeKey> = desired
        .scopes()
        .into_iter()
        .map(|(a, r)| (a.name.clone(), r.to_string()))
        .collect();
    let names = names_by_scope(desired.resources.iter().map(|r| (&r.addr, &r.props)));
    let discover = options.prune.then_some(desired.project.as_str());
    // Kinds that look at scopes whose spec does not manage them (e.g. a setting left alone)
    // do so alongside the main read; account-scoped ones only in the home region.
    let unmanaged: Vec<(Kind, ScopeKey)> = crate::kinds::ALL
        .iter()
        .filter(|kind| kind.notes_unmanaged())
        .flat_map(|kind| scopes.iter().map(move |key| (*kind, key.clone())))
        .filter(|(kind, key)| {
            kind.placement() == Placement::Regional || reader.is_home(&key.0, &key.1)
        })
        .filter(|(kind, key)| {
            !names
                .get(key)
                .is_some_and(|n| n.iter().any(|named| named.kind == *kind))
        })
        .collect();
    // Kinds that look around their own resources (e.g. other trails recording the same events).
    let managed: Vec<(Kind, ScopeKey, Vec<crate::kinds::Named>)> = crate::kinds::ALL
        .iter()
        .filter(|kind| kind.notes_managed())
        .flat_map(|kind| {
            names.iter().filter_map(move |(key, named)| {
                let of_kind: Vec<_> = named.iter().filter(|n| n.kind == *kind).cloned().collect();
                (!of_kind.is_empty()).then(|| (*kind, key.clone(), of_kind))
            })
        })
        .collect();
    let (read, observed, observed_managed) = tokio::join!(
        reader.read(&scopes, &names, discover),
        reader.observe_unmanaged(&unmanaged),
        reader.observe_managed(&managed),
    );

    let mut by_scope: HashMap<ScopeKey, Vec<&DesiredResource>> = HashMap::new();
    for r in &desired.resources {
        by_scope
            .entry((r.addr.account.clone(), r.addr.region.clone()))
            .or_default()
            .push(r);
    }
    let mut changes = Vec::new();
    let mut errors = read.errors;
    for (key, live) in &read.live {
        let account_id = desired
            .account(&key.0)
            .map(|a| a.id.clone())
            .unwrap_or_default();
        let wanted = by_scope.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let (c, e) = diff_scope(&desired.project, &account_id, wanted, live, options.prune);
        changes.extend(c);
        errors.extend(e);
    }
    let mut notes = unmanaged_notes(observed, &read.live);
    notes.extend(unmanaged_notes(observed_managed, &read.live));
    // Another apply's lease on a scope explains changes in flight there, so it is looked up
    // only where the plan has changes or errors: a steady-state plan reads no lease (apply
    // knows its scopes' leases from taking them).
    let unsettled: BTreeSet<ScopeKey> = changes
        .iter()
        .filter(|c| c.action.is_change())
        .map(|c| (c.address.account.clone(), c.address.region.clone()))
        .chain(errors.iter().flat_map(|e| {
            let regions: Vec<String> = match &e.region {
                Some(region) => vec![region.clone()],
                None => desired
                    .account(&e.account)
                    .map(|a| a.regions.clone())
                    .unwrap_or_default(),
            };
            regions.into_iter().map(|r| (e.account.clone(), r))
        }))
        .filter(|key| scopes.contains(key))
        .collect();
    let unsettled: Vec<ScopeKey> = unsettled.into_iter().collect();
    notes.extend(crate::apply::lease::notes(reader, &unsettled).await);
    // Which accounts AWS Organizations gave (every plan says so, and a saved plan keeps it).
    for (name, source) in &desired.discovered {
        if let Some(home) = desired.account(name).and_then(crate::kinds::home_region) {
            notes.push(crate::model::ScopeNote {
                account: name.clone(),
                region: home.to_string(),
                message: format!("account discovered in {source} (AWS Organizations)"),
            });
        }
    }
    notes.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    let changes = in_dependency_order(changes);
    notes.extend(plan_notes(&changes));
    let summary = Plan::summarize(&changes, errors.len());
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        warden_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        spec_file: options.spec_file.clone(),
        project: desired.project.clone(),
        prune: options.prune,
        accounts: desired.accounts.clone(),
        summary,
        changes,
        errors,
        notes,
        api_calls: reader.api_calls(),
    }
}

/// Notes for scopes that were read but whose spec does not manage a kind that has something
/// to say there (e.g. invocation logging that is on and left alone).
fn unmanaged_notes(
    observed: Vec<(ScopeKey, String)>,
    read: &BTreeMap<ScopeKey, Vec<LiveResource>>,
) -> Vec<ScopeNote> {
    let mut notes: Vec<ScopeNote> = observed
        .into_iter()
        .filter(|(key, _)| read.contains_key(key))
        .map(|((account, region), message)| ScopeNote {
            account,
            region,
            message,
        })
        .collect();
    notes.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    notes
}

/// The notes kinds say once per plan about their pending changes (the first change's scope).
fn plan_notes(changes: &[ResourceChange]) -> Vec<ScopeNote> {
    let mut notes: Vec<ScopeNote> = Vec::new();
    for change in changes.iter().filter(|c| c.action.is_change()) {
        let Some(after) = &change.after else { continue };
        let Some(message) = crate::kinds::plan_note(change.address.kind, after) else {
            continue;
        };
        if notes.iter().all(|n| n.message != message) {
            notes.push(ScopeNote {
                account: change.address.account.clone(),
                region: change.address.region.clone(),
                message,
            });
        }
    }
    notes
}

/// Scopes by account and region; within a scope, what is needed first comes first (by the
/// kinds' ranks: buckets and roles, then log groups, then what uses them), deletes last.
pub(crate) fn in_dependency_order(mut changes: Vec<ResourceChange>) -> Vec<ResourceChange> {
    let rank = |kind: Kind| kind.rank();
    changes.sort_by(|a, b| {
        let key = |c: &ResourceChange| {
            (
                c.address.account.clone(),
                c.address.region.clone(),
                rank(c.address.kind),
                c.address.name.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    let mut ordered = Vec::with_capacity(changes.len());
    for scope in changes.chunk_by(|a, b| {
        (&a.address.account, &a.address.region) == (&b.address.account, &b.address.region)
    }) {
        ordered.extend(execution_order(scope).into_iter().cloned());
    }
    ordered
}
