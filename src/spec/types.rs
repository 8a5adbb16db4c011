//! The typed shape of a spec file (version 1), as users write it; serde reads it, schemars describes it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::sections::invocation_logging::InvocationLogging;
pub use super::sections::log_groups::LogGroup;
use crate::source::Sp;

/// A bedrock-warden governance spec.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "bedrock-warden spec")]
pub struct Spec {
    /// Format version of this file. Only `1` exists.
    pub version: Sp<u32>,
    /// Name of this spec's ownership scope: resources the tool creates are tagged
    /// `warden:managed-by=<project>`, and pruning only ever touches resources with this tag.
    /// Two specs that govern the same account must use different project names.
    /// Default: `default`.
    #[serde(default)]
    pub project: Option<Sp<String>>,
    /// Settings applied to every account unless the account says otherwise.
    #[serde(default)]
    pub defaults: Defaults,
    /// The AWS accounts this spec governs (may be empty with `accounts_from`).
    pub accounts: Sp<Vec<Account>>,
    /// Accounts discovered with AWS Organizations when the spec is loaded (plan, apply,
    /// drift), added to those listed in `accounts`; an account listed there by id is that one.
    #[serde(default)]
    pub accounts_from: Option<super::accounts_from::AccountsFrom>,
    /// Baseline CloudWatch log groups, created in every account and region.
    /// Accounts can change or skip them with `overrides`.
    #[serde(default)]
    pub log_groups: Vec<LogGroup>,
    /// Baseline Bedrock model invocation logging for every account and region.
    #[serde(default)]
    pub invocation_logging: Option<InvocationLogging>,
    /// An account-wide data-protection policy (every log group of the account and region,
    /// including groups created later). Removing it from the spec leaves the live policy alone.
    #[serde(default)]
    pub account_data_protection: Option<crate::data_protection::DataProtectionSpec>,
    /// A CloudTrail trail recording Bedrock data events, one per account in its home region.
    #[serde(default)]
    pub cloudtrail: Option<super::sections::cloudtrail::CloudTrail>,
    /// Bedrock events forwarded to Dynatrace (business events) and to people (SNS email).
    #[serde(default)]
    pub event_forwarding: Option<super::sections::event_forwarding::EventForwarding>,
    /// EventBridge rules written out: name, pattern, targets (an SNS topic or Dynatrace).
    #[serde(default)]
    pub event_rules: Vec<super::sections::event_rules::EventRuleSpec>,
    /// Alarms, anomaly bands, dashboards, saved queries and token metrics from templates.
    #[serde(default)]
    pub monitoring: Option<super::sections::monitoring::Monitoring>,
    /// A directory (relative to this file) of your own templates: `alarms/*.yaml`,
    /// `dashboards/*.json`, `queries/*.yaml`; a file named like a built-in one replaces it.
    #[serde(default)]
    pub templates_dir: Option<Sp<String>>,
}

/// Settings applied everywhere.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Regions used by accounts that do not list their own.
    #[serde(default)]
    pub regions: Vec<Sp<String>>,
    /// Tags put on every resource the tool manages.
    #[serde(default)]
    pub tags: BTreeMap<String, Sp<String>>,
    /// Requests per second AWS allows per account and region for an operation whose quota was
    /// raised for these accounts, e.g. `logs:ListTagsForResource: 20`. warden paces its calls
    /// below each operation's quota; operations not named keep the documented figure.
    #[serde(default)]
    pub quotas: BTreeMap<String, Sp<f64>>,
}

/// One AWS account.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// A short name used in addresses and filters, e.g. `prod-ops`.
    pub name: Sp<String>,
    /// The 12-digit account id, e.g. `"123456789012"` (quote it) or `${env:OPS_ACCOUNT_ID}`.
    pub id: Sp<String>,
    /// Role to assume in this account. Without it the caller's own credentials are used,
    /// and STS GetCallerIdentity must confirm they belong to `id`.
    #[serde(default)]
    pub role_arn: Option<Sp<String>>,
    /// External id required by the role's trust policy; usually `${env:NAME}`.
    #[serde(default)]
    pub external_id: Option<Sp<String>>,
    /// Regions governed in this account (default: `defaults.regions`).
    #[serde(default)]
    pub regions: Option<Vec<Sp<String>>>,
    /// Tags added to every resource in this account (on top of `defaults.tags`).
    #[serde(default)]
    pub tags: BTreeMap<String, Sp<String>>,
    /// Changes to the baseline for this account, optionally limited to some regions.
    #[serde(default)]
    pub overrides: Vec<Override>,
}

/// A change to the baseline for one account (and optionally only some of its regions).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Regions this override applies to (default: all of the account's regions).
    #[serde(default)]
    pub regions: Option<Vec<Sp<String>>>,
    /// Log groups merged by name onto the baseline: fields given here replace the baseline's,
    /// tags are merged, `skip: true` removes the group; a new name adds a group.
    #[serde(default)]
    pub log_groups: Vec<LogGroup>,
    /// Invocation logging fields that replace the baseline's here (data flags one by one).
    #[serde(default)]
    pub invocation_logging: Option<InvocationLogging>,
    /// Replaces the baseline's account-wide data-protection policy here.
    #[serde(default)]
    pub account_data_protection: Option<crate::data_protection::DataProtectionSpec>,
    /// Trail fields that replace the baseline's for this account (`skip: true`: no trail).
    #[serde(default)]
    pub cloudtrail: Option<super::sections::cloudtrail::CloudTrail>,
    /// Event forwarding fields that replace the baseline's here (`dynatrace`, `notify` as a
    /// whole; `skip: true`: none).
    #[serde(default)]
    pub event_forwarding: Option<super::sections::event_forwarding::EventForwarding>,
    /// Rules merged by name onto the baseline's (a rule given replaces it; `skip: true` removes it).
    #[serde(default)]
    pub event_rules: Vec<super::sections::event_rules::EventRuleSpec>,
    /// Monitoring fields that replace the baseline's here (`skip: true`: none).
    #[serde(default)]
    pub monitoring: Option<super::sections::monitoring::Monitoring>,
}
