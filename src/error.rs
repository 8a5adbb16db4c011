//! The tool's top-level outcomes and errors; `main` alone turns them into exit codes.

use crate::plan::saved::SavedPlanError;
use crate::spec::SpecErrors;

/// How a successful run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done; nothing left to change (or changes not asked to be signalled).
    Clean,
    /// Changes are pending (`plan --detailed-exitcode`, `drift`).
    Changes,
    /// Some accounts or regions failed, others succeeded; the report covers both.
    Partial,
}

#[derive(Debug, thiserror::Error)]
pub enum WardenError {
    /// The spec has errors; each diagnostic is printed with its location.
    #[error("{0}")]
    Spec(SpecErrors),
    /// Expansion found errors (printed with their location).
    #[error("the spec has {} error(s)", .diagnostics.len())]
    Expand {
        source_file: crate::spec::SourceFile,
        diagnostics: Vec<crate::spec::Diagnostic>,
    },
    #[error("{message}")]
    Usage {
        message: String,
        help: Option<String>,
    },
    #[error(transparent)]
    SavedPlan(#[from] SavedPlanError),
    /// Already rendered for the user.
    #[error("{0}")]
    StalePlan(String),
    /// Nothing could be read (every scope failed), or a saved plan could not be checked.
    #[error("{0}")]
    Unreachable(String),
    #[error("apply cancelled: nothing was changed")]
    Cancelled,
    /// A secret the spec reads from the environment (the Dynatrace token) is not set: the
    /// plan could not check it, and apply does not run without it.
    #[error("the Dynatrace token could not be checked: {} not set, so nothing was applied\n  help: export {} (the token, scope bizevents.ingest) and run apply again", .variables.join(", "), .variables.join(", "))]
    TokenNotSet { variables: Vec<String> },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl WardenError {
    pub fn usage(message: impl Into<String>, help: Option<&str>) -> Self {
        WardenError::Usage {
            message: message.into(),
            help: help.map(str::to_string),
        }
    }
}
