//! The plan: what would change, resource by resource and field by field, as plain data that
//! renderers show and the executor carries out. Saved plans are this structure as JSON.

pub mod build;
pub mod diff;
pub mod merge;
pub mod order;
pub mod read;
pub mod saved;

use serde::{Deserialize, Serialize};

use crate::cloud::ApiCallReport;
pub use crate::model::change::{Action, FieldChange, ResourceChange, ScopeError, ScopeNote};
use crate::model::AccountTarget;

/// Version of the plan JSON format (documented in the README).
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Counts per action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub adopt: usize,
    pub update: usize,
    pub delete: usize,
    /// Present only when some change is a replace (plans without one keep their bytes).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replace: usize,
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
                Action::Replace => s.replace += 1,
                Action::NoOp => s.no_op += 1,
            }
        }
        s
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
