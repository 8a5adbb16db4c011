//! The plan: what would change, resource by resource and field by field, as plain data that
//! renderers show and the executor carries out. Saved plans are this structure as JSON.

pub mod build;
pub mod diff;
pub mod order;
pub mod read;
pub mod saved;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cloud::ApiCallReport;
use crate::model::{AccountTarget, ResourceAddr};

/// Version of the plan JSON format (documented in the README).
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    /// Exists, was not created by the tool: it is tagged as managed and brought to the spec.
    Adopt,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Adopt => "adopt",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }

    pub fn is_change(self) -> bool {
        self != Action::NoOp
    }
}

/// One field that differs: `path` is dotted (`retention_days`, `tags.team`); absent = `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    pub before: Value,
    pub after: Value,
}

/// The plan for one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub address: ResourceAddr,
    pub account_id: String,
    pub action: Action,
    /// The live state as compared (null when it does not exist).
    pub before: Option<Value>,
    /// The desired state (null when it is deleted).
    pub after: Option<Value>,
    pub fields: Vec<FieldChange>,
    /// Why, in words, when the action alone does not say it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ResourceAddr>,
}

/// A scope (account, or account and region) that could not be planned or applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeError {
    pub account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<ResourceAddr>,
    pub message: String,
}

/// Something the plan did not change but a reader should know about one scope (for example a
/// live setting the spec does not manage and that is left as it is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeNote {
    pub account: String,
    pub region: String,
    pub message: String,
}

/// Counts per action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub adopt: usize,
    pub update: usize,
    pub delete: usize,
    pub no_op: usize,
    pub errors: usize,
}

/// A complete plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub warden_version: String,
    pub created_at: String,
    pub spec_file: String,
    pub project: String,
    pub prune: bool,
    pub accounts: Vec<AccountTarget>,
    pub summary: Summary,
    /// Every resource in scope, by account and region, each scope in dependency order; no-ops included.
    pub changes: Vec<ResourceChange>,
    pub errors: Vec<ScopeError>,
    /// Informational, never a change: what was seen and deliberately left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<ScopeNote>,
    pub api_calls: ApiCallReport,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action.is_change())
    }

    pub fn pending(&self) -> impl Iterator<Item = &ResourceChange> {
        self.changes.iter().filter(|c| c.action.is_change())
    }

    pub fn summarize(changes: &[ResourceChange], errors: usize) -> Summary {
        let mut s = Summary {
            errors,
            ..Summary::default()
        };
        for c in changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Adopt => s.adopt += 1,
                Action::Update => s.update += 1,
                Action::Delete => s.delete += 1,
                Action::NoOp => s.no_op += 1,
            }
        }
        s
    }
}
