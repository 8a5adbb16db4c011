//! `warden validate`: parse and check a spec offline, with no credentials.

use serde_json::json;

use super::common::{expand, print_stdout, render_diagnostics, spec_path, stderr_color};
use super::ValidateArgs;
use crate::error::{Outcome, WardenError};
use crate::render::Format;
use crate::spec::{self, EnvMode};

pub fn run(args: &ValidateArgs) -> Result<Outcome, WardenError> {
    if matches!(args.format, Format::Sarif | Format::Junit) {
        return Err(crate::error::WardenError::usage(
            "validate has no SARIF or JUnit output (plan and drift have)",
            Some("use --format json for machine-readable findings"),
        ));
    }
    let file = spec_path(args.file.as_deref())?;
    let loaded = spec::load(&file, EnvMode::Lenient);
    let shown = spec::shown_path(&file);
    let result = loaded.and_then(|l| {
        let desired = expand(&l);
        desired.map(|d| (l, d)).map_err(|e| match e {
            WardenError::Expand {
                source_file,
                diagnostics,
            } => spec::SpecErrors {
                source_file,
                diagnostics,
            },
            other => spec::SpecErrors {
                source_file: spec::SourceFile::new(shown, ""),
                diagnostics: vec![spec::Diagnostic::error(
                    &spec::SourceFile::new(shown, ""),
                    None,
                    other.to_string(),
                )],
            },
        })
    });
    match (args.format, result) {
        (Format::Json, Ok((loaded, desired))) => {
            print_stdout(&crate::render::json(&json!({
                "valid": true,
                "file": shown,
                "accounts": desired.accounts.len(),
                "resources": desired.resources.len(),
                "diagnostics": loaded.warnings,
            })))?;
            Ok(Outcome::Clean)
        }
        (Format::Json, Err(errors)) => {
            print_stdout(&crate::render::json(&json!({
                "valid": false,
                "file": shown,
                "diagnostics": errors.diagnostics,
            })))?;
            Err(WardenError::Spec(errors))
        }
        (_, Ok((loaded, desired))) => {
            let warnings = render_diagnostics(&loaded.source, &loaded.warnings, stderr_color());
            eprint!("{warnings}");
            let scopes = desired.scopes().len();
            print_stdout(&format!(
                "{} is valid: {} account(s), {} account/region scope(s), {} resource(s).\n",
                shown,
                desired.accounts.len(),
                scopes,
                desired.resources.len()
            ))?;
            Ok(Outcome::Clean)
        }
        (_, Err(errors)) => Err(WardenError::Spec(errors)),
    }
}
