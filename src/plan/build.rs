//! Builds a plan: read every scope of the desired state, then diff each scope.

use std::collections::{BTreeMap, HashMap};

use super::diff::diff_scope;
use super::order::execution_order;
use super::read::{names_by_scope, Reader, ScopeKey};
use super::{Plan, ResourceChange, ScopeNote, PLAN_FORMAT_VERSION};
use crate::model::Kind;
use crate::model::{Desired, DesiredResource, LiveResource};

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub prune: bool,
    pub spec_file: String,
}

/// Reads live state for every scope of `desired` and computes the plan.
pub async fn build_plan(reader: &Reader<'_>, desired: &Desired, options: &PlanOptions) -> Plan {
    let scopes: Vec<ScopeKey> = desired
        .scopes()
        .into_iter()
        .map(|(a, r)| (a.name.clone(), r.to_string()))
        .collect();
    let names = names_by_scope(desired.resources.iter().map(|r| &r.addr));
    let discover = options.prune.then_some(desired.project.as_str());
    // Where the spec has no invocation logging, its live setting is looked at alongside the
    // main read (a different service), so the plan can say it is left alone.
    let unmanaged: Vec<ScopeKey> = scopes
        .iter()
        .filter(|key| {
            !names
                .get(*key)
                .is_some_and(|n| n.iter().any(|(kind, _)| *kind == Kind::InvocationLogging))
        })
        .cloned()
        .collect();
    // Another apply's lease on a scope is a note (apply knows it from taking the leases).
    let (read, observed, lease_notes) = tokio::join!(
        reader.read(&scopes, &names, discover),
        reader.observe_invocation_logging(&unmanaged),
        crate::apply::lease::notes(reader, &scopes)
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
    let mut notes = unmanaged_logging_notes(observed, &read.live);
    notes.extend(lease_notes);
    notes.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    let changes = in_dependency_order(changes);
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

/// Notes for scopes that were read but whose spec does not manage invocation logging: if it is
/// on there, the user learns it is left alone (removing the section never turns it off).
fn unmanaged_logging_notes(
    observed: Vec<(ScopeKey, serde_json::Value)>,
    read: &BTreeMap<ScopeKey, Vec<LiveResource>>,
) -> Vec<ScopeNote> {
    let mut notes: Vec<ScopeNote> = observed
        .into_iter()
        .filter(|(key, _)| read.contains_key(key))
        .filter_map(|((account, region), live)| {
            crate::kinds::invocation_logging::unmanaged_note(&live).map(|message| ScopeNote {
                account,
                region,
                message,
            })
        })
        .collect();
    notes.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    notes
}

/// Scopes by account and region; within a scope, what is needed first comes first (buckets and
/// roles, then log groups, then what uses them), deletes last.
fn in_dependency_order(mut changes: Vec<ResourceChange>) -> Vec<ResourceChange> {
    let rank = |kind: Kind| match kind {
        Kind::S3Bucket => 0,
        Kind::IamRole => 1,
        Kind::LogGroup => 2,
        Kind::AccountDataProtection => 3,
        Kind::InvocationLogging => 4,
    };
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
