//! One module per spec section (its types, offline checks and expansion into desired resources),
//! behind the [`Section`] trait that the checker and the expansion driver iterate over.
//!
//! Adding a section: a module here that implements [`Section`] (and [`Merge`] for its value),
//! a field in [`Spec`] and in [`Override`], and one line in [`SECTIONS`].

pub mod account_data_protection;
pub mod cloudtrail;
pub mod event_forwarding;
pub mod event_rules;
pub mod invocation_logging;
pub mod log_groups;
mod merge;
pub mod monitoring;
pub mod notify;

use std::collections::BTreeMap;

pub use merge::{applies, effective, is_set, Merge};

use super::check::Checker;
use super::types::{Account, Override, Spec};
use super::{env, LoadedSpec};
use crate::data_protection::KnownDestinations;
use crate::model::addr::Kind;
use crate::model::desired::{AccountTarget, DesiredResource, OWNER_TAG};
use crate::source::{regions, Diagnostic, Sp};

/// Every section, in expansion order: a section may use what the earlier ones produced in the
/// same scope (the data-protection policy and invocation logging look for the log groups).
pub const SECTIONS: &[&dyn Section] = &[
    &log_groups::LogGroups,
    &account_data_protection::AccountDataProtection,
    &invocation_logging::InvocationLoggingSection,
    &cloudtrail::CloudTrailSection,
    &event_forwarding::EventForwardingSection,
    &event_rules::EventRulesSection,
    &monitoring::MonitoringSection,
];

/// A spec section: checked offline, merged with overrides, expanded per account and region.
pub trait Section: Sync {
    /// Offline checks of the top-level (baseline) block.
    fn check_baseline(&self, spec: &Spec, checker: &mut Checker);
    /// Offline checks of one override's block; `field` is e.g. `accounts[0].overrides[1]`.
    fn check_override(&self, spec: &Spec, block: &Override, field: &str, checker: &mut Checker);
    /// Destinations for data-protection findings (log groups, buckets) that this section
    /// creates anywhere in the spec (baseline and overrides), names as written.
    fn destinations(&self, _spec: &Spec, _known: &mut KnownDestinations) {}
    /// The most resources this section makes in all accounts and regions, from the spec alone
    /// and in time proportional to the spec (for the expansion limit, before anything is built).
    fn count(&self, spec: &Spec) -> u64;
    /// Expands the section's effective value (baseline plus overrides) in one scope.
    fn expand(&self, scope: &Scope, out: &mut Expansion);
}

/// One (account, region) scope of the expansion.
pub struct Scope<'a> {
    pub loaded: &'a LoadedSpec,
    pub project: &'a str,
    pub account: &'a Account,
    pub target: &'a AccountTarget,
    pub region: &'a str,
}

impl Scope<'_> {
    pub fn spec(&self) -> &Spec {
        &self.loaded.spec
    }

    /// Replaces `{account}`, `{account_name}`, `{region}` and `{partition}` for this scope.
    pub fn fill(&self, template: &str) -> String {
        fill(template, self.target, self.region)
    }

    /// Tags for resources that have no tags of their own in the spec: defaults, account,
    /// ownership.
    pub fn tags(&self) -> BTreeMap<String, String> {
        let spec = self.spec();
        let mut tags: BTreeMap<String, String> = spec
            .defaults
            .tags
            .iter()
            .chain(self.account.tags.iter())
            .map(|(k, v)| (k.clone(), self.fill(&resolve(v))))
            .collect();
        tags.insert(OWNER_TAG.to_string(), self.project.to_string());
        tags
    }
}

/// What the expansion has produced so far; `scope_start` is where this scope's resources begin.
pub struct Expansion {
    pub resources: Vec<DesiredResource>,
    pub problems: Vec<Diagnostic>,
    pub scope_start: usize,
}

impl Expansion {
    /// Names of the resources of `kind` that earlier sections made in the current scope.
    pub fn created_here(&self, kind: Kind) -> Vec<String> {
        self.resources[self.scope_start..]
            .iter()
            .filter(|r| r.addr.kind == kind)
            .map(|r| r.addr.name.clone())
            .collect()
    }
}

/// Resolves `${env:…}`. Unresolvable values were already reported by the checks (as errors in
/// strict mode, so expansion never runs with them); in lenient mode the reference stands in.
pub fn resolve(value: &Sp<String>) -> String {
    env::interpolate(value, env::from_process).unwrap_or_else(|_| value.get().clone())
}

/// Every (account, region) scope of the spec.
pub fn scopes(spec: &Spec) -> impl Iterator<Item = (&Account, &str)> {
    spec.accounts.iter().flat_map(|account| {
        let regions = account.regions.as_ref().unwrap_or(&spec.defaults.regions);
        regions.iter().map(move |r| (account, r.as_str()))
    })
}

pub fn fill(template: &str, target: &AccountTarget, region: &str) -> String {
    template
        .replace("{account}", &target.id)
        .replace("{account_name}", &target.name)
        .replace("{region}", region)
        .replace("{partition}", regions::partition(region))
}
