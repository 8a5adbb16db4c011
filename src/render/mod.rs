//! Renderers: the plan, drift report and apply report for people (text), bots (JSON) and
//! pull requests (Markdown). They decide nothing; they only show.

pub mod apply_report;
pub mod group;
pub mod junit;
pub mod markdown;
pub mod progress;
pub mod report;
pub mod sarif;
pub mod style;
#[cfg(test)]
mod tests;
pub mod text;
pub mod value;

use crate::plan::Plan;

/// Output formats a user can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    /// SARIF 2.1.0 (plan and drift): results located at the spec lines, for code scanning.
    Sarif,
    /// JUnit XML (plan and drift): a failing test case per drifted resource, for GitLab and
    /// Jenkins test reports.
    Junit,
}

/// Plan or drift wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plan,
    Drift,
}

/// How much of a plan to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct View {
    /// Every place of a grouped change, full documents next to their words, API calls per
    /// operation.
    pub verbose: bool,
    /// Only the tally per account and the totals (`--summary`).
    pub summary_only: bool,
}

/// Renders a plan in the chosen format; `verbose` adds per-operation API call counts to text.
pub fn plan(plan: &Plan, format: Format, mode: Mode, verbose: bool) -> String {
    let view = View {
        verbose,
        summary_only: false,
    };
    plan_view(plan, format, mode, view)
}

/// Renders a plan in the chosen format and view (JSON always has every change).
pub fn plan_view(plan: &Plan, format: Format, mode: Mode, view: View) -> String {
    match format {
        Format::Text => text::plan_view(plan, mode, view),
        Format::Json => json(plan),
        Format::Markdown => markdown::plan_view(plan, mode, view),
        // Without the spec's positions every result points at line 1; `plan` and `drift`
        // call `sarif::plan` with them.
        Format::Sarif => sarif::plan(plan, mode, &Default::default()),
        Format::Junit => junit::plan(plan, mode),
    }
}

/// Pretty JSON, newline-terminated.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
}
