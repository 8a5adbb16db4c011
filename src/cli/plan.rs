//! `warden plan`: read live state, show the differences, optionally save the plan.

use super::common::{cloud_context, load_for_aws, print_stdout, progress};
use super::{PlanArgs, ScopeArgs};
use crate::error::{Outcome, WardenError};
use crate::plan::build::{build_plan, PlanOptions};
use crate::plan::read::Reader;
use crate::plan::{saved, Plan};
use crate::render::{self, Mode};

pub async fn run(args: &PlanArgs, verbose: bool) -> Result<Outcome, WardenError> {
    let plan = plan_from_spec(&args.file, &args.scope, args.prune).await?;
    if let Some(path) = &args.out {
        saved::save(&plan, path)?;
        eprintln!(
            "Saved the plan to {}; apply it with `warden apply {}`.",
            path.display(),
            path.display()
        );
    }
    print_stdout(&render::plan(&plan, args.format, Mode::Plan, verbose))?;
    outcome(&plan, args.detailed_exitcode)
}

/// Loads the spec, reads every scope it names (progress on a terminal) and builds the plan.
pub async fn plan_from_spec(
    file: &str,
    scope: &ScopeArgs,
    prune: bool,
) -> Result<Plan, WardenError> {
    let desired = load_for_aws(file, scope)?;
    let ctx = cloud_context().await;
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
    Ok(build_plan(&reader, &desired, &options).await)
}

/// Exit semantics shared by plan and drift.
pub fn outcome(plan: &Plan, detailed: bool) -> Result<Outcome, WardenError> {
    let scopes_ok = plan.changes.len();
    if !plan.errors.is_empty() {
        let account_level = plan
            .errors
            .iter()
            .all(|e| e.region.is_none() && e.address.is_none());
        let all_accounts_failed = account_level
            && plan
                .accounts
                .iter()
                .all(|a| plan.errors.iter().any(|e| e.account == a.name));
        if all_accounts_failed && scopes_ok == 0 {
            return Err(WardenError::Unreachable(
                "every account failed; the errors are listed above".to_string(),
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
