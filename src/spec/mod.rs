//! The spec: reading the YAML file, checking it offline, and describing it as a JSON Schema.

pub mod accounts_from;
pub mod check;
pub mod env;
pub mod parse;
pub mod retention;
pub mod sections;
pub mod types;

// Spans, sources and diagnostics live in `crate::source` (shared with `data_protection` and the
// kinds); these re-exports keep the paths that the rest of the crate uses.
pub use crate::source::file as source;
pub use crate::source::{diagnostic, regions, sp};
pub use crate::source::{did_you_mean, Diagnostic, Location, Severity, SourceFile, Sp};
pub use env::EnvMode;
pub use parse::{shown_path, STDIN};
pub use sections::invocation_logging;
pub use types::Spec;

/// A spec that parsed and passed every offline check.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub source: SourceFile,
    pub spec: Spec,
    /// Findings that do not stop the run.
    pub warnings: Vec<Diagnostic>,
}

/// A spec that could not be used, with every finding (errors and warnings) to show.
#[derive(Debug, thiserror::Error)]
#[error("{} in {}", summary(.diagnostics), .source_file.path)]
pub struct SpecErrors {
    pub source_file: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    match errors {
        1 => "1 error".to_string(),
        n => format!("{n} errors"),
    }
}

/// Reads, parses and checks a spec file (`-` reads standard input). A spec with errors never
/// reaches AWS.
pub fn load(path: &str, mode: EnvMode) -> Result<LoadedSpec, SpecErrors> {
    let source = parse::read_source(path).map_err(|d| SpecErrors {
        source_file: SourceFile::new(parse::shown_path(path), ""),
        diagnostics: vec![d],
    })?;
    load_source(source, mode)
}

/// Parses and checks spec text that is already in memory.
pub fn load_source(source: SourceFile, mode: EnvMode) -> Result<LoadedSpec, SpecErrors> {
    let spec = match parse::parse_spec(&source) {
        Ok(spec) => spec,
        Err(d) => {
            return Err(SpecErrors {
                source_file: source,
                diagnostics: vec![d],
            })
        }
    };
    let diagnostics = check::check(&spec, &source, mode);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(SpecErrors {
            source_file: source,
            diagnostics,
        });
    }
    Ok(LoadedSpec {
        source,
        spec,
        warnings: diagnostics,
    })
}

/// Top-level spec fields that are not sections (the header and settings every section uses):
/// every other top-level field is a section, which `init` and `import` must each know.
pub const NON_SECTION_FIELDS: &[&str] = &[
    "version",
    "project",
    "defaults",
    "accounts",
    "accounts_from",
    "templates_dir",
];

/// The JSON Schema of spec version 1, for editors (yaml-language-server) and CI linting.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Spec);
    serde_json::to_value(schema).unwrap_or_default()
}
