//! The change types every stage shares (plan, apply, kinds, renderers): what happens to one
//! resource and why. They live in the model so that kinds need not import the plan.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ResourceAddr;

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
    /// A field cannot be changed in place: the resource is deleted and created again (or
    /// created first, where the kind says its name allows); shown as `-/+`.
    Replace,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Adopt => "adopt",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Replace => "replace",
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
    /// For a replace: the paths of the fields that cannot be changed in place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forces_replacement: Vec<String>,
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
