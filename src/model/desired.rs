//! What the spec wants: accounts to reach and one normalized resource per (account, region, kind, name).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::addr::{Kind, ResourceAddr};
use crate::spec::source::Location;

/// Tag that marks a resource as created (or adopted) by this tool for one project.
pub const OWNER_TAG: &str = "warden:managed-by";

/// How to reach one account. Saved in plan files: the external id (the one quasi-secret) is kept
/// as written, so one from the environment stays a `${env:…}` reference resolved when used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTarget {
    pub name: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The external id as written in the spec (`${env:NAME}` stays a reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub regions: Vec<String>,
}

/// One resource as the spec wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredResource {
    pub addr: ResourceAddr,
    /// Normalized properties, the same shape the kind's reader produces.
    pub props: Value,
    pub depends_on: Vec<ResourceAddr>,
    /// Where in the spec this resource was declared.
    pub origin: Option<Location>,
}

impl DesiredResource {
    pub fn kind(&self) -> Kind {
        self.addr.kind
    }
}

/// The whole desired state of a spec.
#[derive(Debug, Clone)]
pub struct Desired {
    pub project: String,
    pub accounts: Vec<AccountTarget>,
    pub resources: Vec<DesiredResource>,
    /// Raised quotas (`defaults.quotas`): requests per second by `service:Operation`.
    pub quotas: std::collections::BTreeMap<String, f64>,
    /// Accounts added by `accounts_from` (names), and where they were found.
    pub discovered: Vec<(String, String)>,
}

impl Desired {
    pub fn account(&self, name: &str) -> Option<&AccountTarget> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// Every (account, region) pair in scope, in spec order.
    pub fn scopes(&self) -> Vec<(&AccountTarget, &str)> {
        self.accounts
            .iter()
            .flat_map(|a| a.regions.iter().map(move |r| (a, r.as_str())))
            .collect()
    }
}
