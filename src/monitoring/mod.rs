//! Monitoring templates (issue 13): load the alarm packs, dashboards and saved queries of
//! `templates/` (built in, plus a user directory), validate them with located errors, render
//! their placeholders, and normalize alarms and dashboards so equivalent never shows as a change.
//!
//! Pure: no AWS calls. The `metric_alarm`, dashboard and saved-query kinds call, in order:
//! [`Catalog::load`] (built-ins + `templates_dir`), [`Catalog::alarm_pack`] /
//! [`Catalog::dashboard`] / [`Catalog::query`] (an unknown name is a located error with a
//! suggestion), then `render` with [`Bindings`], and compare with [`normalize`].

mod alarms;
mod catalog;
mod dashboards;
pub mod normalize;
pub(crate) mod placeholders;
mod queries;

#[cfg(test)]
mod tests;

pub use alarms::{
    any_alarm_rule, prefix_names, AlarmDefinition, AlarmPack, AlarmScope, CompositeDefinition,
    MetricQuery, MetricStat, Threshold,
};
pub use catalog::{Catalog, CatalogError, Origin, TemplateKind, BUILTIN};
pub use dashboards::{check_dashboard_body, DashboardTemplate};
pub use placeholders::{Bindings, KNOWN_PLACEHOLDERS};
pub use queries::{QueryDefinition, QueryTemplate};

/// A problem in a template, located in its file (1-based line and column) and field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {field}: {message}")]
pub struct TemplateError {
    /// `builtin:templates/alarms/x.yaml` for a built-in template, else the path read.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field, e.g. `alarms[2].threshold` or `/widgets/3/properties/region`.
    pub field: String,
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl TemplateError {
    pub(crate) fn at(
        file: &str,
        (line, column): (usize, usize),
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        TemplateError {
            file: file.to_string(),
            line,
            column,
            field: field.into(),
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// "did you mean" for a misspelt name among `known`.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}
