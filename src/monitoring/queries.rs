//! Saved Logs Insights queries (`templates/queries/*.yaml`), rendered for PutQueryDefinition.

use marked_yaml::Spanned;
use serde::Deserialize;

use super::alarms::yaml_error;
use super::placeholders::{self, Bindings};
use super::{did_you_mean, TemplateError};

const QUERY_PLACEHOLDERS: &[&str] = &["account", "region", "log_group"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryFile {
    description: Spanned<String>,
    query: Spanned<String>,
}

/// A validated saved-query template.
#[derive(Debug, Clone)]
pub struct QueryTemplate {
    pub name: String,
    pub file: String,
    pub description: String,
    query: Spanned<String>,
}

/// What PutQueryDefinition gets: the name carries the folder (`warden/<project>/<template>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDefinition {
    pub name: String,
    pub query_string: String,
    pub log_group_names: Vec<String>,
}

impl QueryTemplate {
    pub fn parse(name: &str, file: &str, text: &str) -> Result<Self, TemplateError> {
        let parsed: QueryFile = marked_yaml::from_yaml(0, text).map_err(|e| yaml_error(file, e))?;
        let at = parsed
            .query
            .span()
            .start()
            .map(|m| (m.line(), m.column()))
            .unwrap_or((1, 1));
        if parsed.query.trim().is_empty() {
            return Err(TemplateError::at(file, at, "query", "the query is empty"));
        }
        if parsed.query.len() > 10_000 {
            return Err(TemplateError::at(
                file,
                at,
                "query",
                "longer than 10,000 characters (PutQueryDefinition's limit)",
            ));
        }
        if parsed
            .query
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("SOURCE ")
        {
            return Err(TemplateError::at(file, at, "query", "a saved query is scoped by its log groups, not by SOURCE")
                .help("remove the `SOURCE '...' |` part; the log group is attached when the query is saved"));
        }
        if let Some((_, p)) = placeholders::first_unknown(&parsed.query, QUERY_PLACEHOLDERS) {
            let mut e =
                TemplateError::at(file, at, "query", format!("unknown placeholder `{{{p}}}`"));
            e = e.help(match did_you_mean(p, QUERY_PLACEHOLDERS.iter().copied()) {
                Some(s) => format!(
                    "did you mean `{{{s}}}`? Allowed: {}",
                    QUERY_PLACEHOLDERS.join(", ")
                ),
                None => format!("allowed: {}", QUERY_PLACEHOLDERS.join(", ")),
            });
            return Err(e);
        }
        Ok(QueryTemplate {
            name: name.to_string(),
            file: file.to_string(),
            description: parsed.description.as_str().to_string(),
            query: parsed.query,
        })
    }

    /// Renders for one account and region; `project` names the folder.
    pub fn render(
        &self,
        project: &str,
        bindings: &Bindings,
    ) -> Result<QueryDefinition, TemplateError> {
        let at = self
            .query
            .span()
            .start()
            .map(|m| (m.line(), m.column()))
            .unwrap_or((1, 1));
        let query_string = placeholders::render(self.query.trim_end(), bindings).map_err(|p| {
            TemplateError::at(
                &self.file,
                at,
                "query",
                format!("placeholder `{{{p}}}` has no value here"),
            )
        })?;
        Ok(QueryDefinition {
            name: format!("warden/{project}/{}", self.name),
            query_string,
            log_group_names: bindings
                .get("log_group")
                .map(|g| vec![g.to_string()])
                .unwrap_or_default(),
        })
    }
}
