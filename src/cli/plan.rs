//! `warden plan`: read live state, show the differences, optionally save the plan.

use super::common::{cloud_context, load_for_aws_with_source, print_stdout, progress, spec_path};
use super::{PlanArgs, ScopeArgs};
use crate::error::{Outcome, WardenError};
use crate::plan::build::{build_plan, PlanOptions};
use crate::plan::read::Reader;
use crate::plan::{saved, Plan};
use std::collections::HashMap;

use crate::model::ResourceAddr;
use crate::render::{self, Format, Mode};
use crate::spec::{Location, SourceFile};

pub async fn run(args: &PlanArgs, verbose: bool) -> Result<Outcome, WardenError> {
    let file = spec_path(args.file.as_deref())?;
    let (plan, source, origins) = plan_with_source(&file, &args.scope, args.prune).await?;
    if let Some(path) = &args.out {
        saved::save(&plan, &source.text, path)?;
        eprintln!(
            "Saved the plan to {}; apply it with `warden apply {}`.",
            path.display(),
            path.display()
        );
    }
    let view = render::View {
        verbose,
        summary_only: args.summary,
    };
    print_stdout(&shown(&plan, args.format, Mode::Plan, view, &origins))?;
    outcome(&plan, args.detailed_exitcode)
}

/// Where each desired resource is declared in the spec (for SARIF results).
pub type Origins = HashMap<ResourceAddr, Location>;

/// The plan in the chosen format; SARIF results are located with `origins`.
pub fn shown(
    plan: &Plan,
    format: Format,
    mode: Mode,
    view: render::View,
    origins: &Origins,
) -> String {
    match format {
        Format::Sarif => render::sarif::plan(plan, mode, origins),
        other => render::plan_view(plan, other, mode, view),
    }
}

/// Loads the spec, reads every scope it names (progress on a terminal) and builds the plan,
/// with where each resource is declared.
pub async fn plan_from_spec(
    file: &str,
    scope: &ScopeArgs,
    prune: bool,
) -> Result<(Plan, Origins), WardenError> {
    plan_with_source(file, scope, prune)
        .await
        .map(|(plan, _, origins)| (plan, origins))
}

/// The same, with the spec text as read (`${env:…}` unresolved), which `--out` saves.
async fn plan_with_source(
    file: &str,
    scope: &ScopeArgs,
    prune: bool,
) -> Result<(Plan, SourceFile, Origins), WardenError> {
    let ctx = cloud_context(scope).await;
    let (desired, source) = load_for_aws_with_source(file, scope, &ctx).await?;
    let bars = progress(desired.accounts.len(), "reading");
    let reader = Reader::new(
        &ctx,
        &desired.accounts,
        &desired.project,
        scope.parallelism.into(),
        bars.as_ref(),
    );
    let options = PlanOptions {
        prune,
        spec_file: file.to_string(),
    };
    let origins: Origins = desired
        .resources
        .iter()
        .filter_map(|r| r.origin.map(|o| (r.addr.clone(), o)))
        .collect();
    Ok((
        build_plan(&reader, &desired, &options).await,
        source,
        origins,
    ))
}

/// Exit semantics shared by plan and drift: an error when no account and region could be
/// read at all, "partial" when some could not (or some addresses are in error).
pub fn outcome(plan: &Plan, detailed: bool) -> Result<Outcome, WardenError> {
    if !plan.errors.is_empty() {
        if every_scope_failed(plan) {
            return Err(WardenError::Unreachable(
                "no account and region could be read; the errors are listed above".to_string(),
            ));
        }
        return Ok(Outcome::Partial);
    }
    Ok(if detailed && plan.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Clean
    })
}

/// Whether every (account, region) of the plan has an account- or region-level error.
fn every_scope_failed(plan: &Plan) -> bool {
    let failed = |account: &str, region: &str| {
        plan.errors.iter().any(|e| {
            e.account == account
                && e.address.is_none()
                && e.region.as_deref().is_none_or(|r| r == region)
        })
    };
    let mut scopes = plan
        .accounts
        .iter()
        .flat_map(|a| a.regions.iter().map(move |r| (a.name.as_str(), r.as_str())))
        .peekable();
    scopes.peek().is_some() && scopes.all(|(a, r)| failed(a, r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountTarget;
    use crate::plan::ScopeError;

    fn plan(errors: Vec<ScopeError>) -> Plan {
        let account = |name: &str| AccountTarget {
            name: name.into(),
            id: "123456789012".into(),
            role_arn: None,
            external_id: None,
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
        };
        Plan {
            format_version: 1,
            warden_version: String::new(),
            created_at: String::new(),
            spec_file: String::new(),
            project: "p".into(),
            prune: false,
            accounts: vec![account("a"), account("b")],
            summary: Default::default(),
            changes: vec![],
            errors,
            notes: vec![],
            api_calls: Default::default(),
        }
    }

    fn error(account: &str, region: Option<&str>) -> ScopeError {
        ScopeError {
            account: account.into(),
            region: region.map(str::to_string),
            address: None,
            message: "denied".into(),
        }
    }

    #[test]
    fn all_scopes_failing_is_an_error_some_is_partial() {
        let every_region = ["us-east-1", "eu-west-1"]
            .iter()
            .flat_map(|r| [error("a", Some(r)), error("b", Some(r))])
            .collect();
        assert!(outcome(&plan(every_region), true).is_err());
        assert!(outcome(&plan(vec![error("a", None), error("b", None)]), true).is_err());
        assert!(matches!(
            outcome(
                &plan(vec![error("a", None), error("b", Some("us-east-1"))]),
                true
            ),
            Ok(Outcome::Partial)
        ));
        assert!(matches!(outcome(&plan(vec![]), true), Ok(Outcome::Clean)));
    }
}
