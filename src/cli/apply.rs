//! `warden apply`: plan from a spec (or load a saved plan and prove it is still current),
//! confirm, execute, and report.

use serde_json::json;

use super::common::{cloud_context, confirm, filter_plan, load_for_aws, print_stdout, progress};
use super::plan::outcome;
use super::{ApplyArgs, ApplyFormat};
use crate::apply::{self as executor, ApplyReport};
use crate::error::{Outcome, WardenError};
use crate::plan::build::{build_plan, PlanOptions};
use crate::plan::read::Reader;
use crate::plan::{saved, Plan};
use crate::render::{self, apply_report, Format, Mode};

pub async fn run(args: &ApplyArgs, verbose: bool) -> Result<Outcome, WardenError> {
    if args.file.as_deref() == Some(crate::spec::STDIN) && !args.auto_approve {
        // The spec takes standard input, so there is nowhere to read a confirmation from.
        return Err(WardenError::usage(
            "apply -f - reads the spec from standard input, so it cannot also ask for confirmation there",
            Some("review `warden plan -f -` first, then pass --auto-approve; or save the spec to a file"),
        ));
    }
    let ctx = cloud_context().await;
    match (&args.file, &args.plan) {
        (Some(file), None) => {
            let desired = load_for_aws(file, &args.scope)?;
            let bars = progress(desired.accounts.len(), "reading");
            let reader = Reader::new(&ctx, &desired.accounts, &desired.project, args.scope.parallelism.into(), bars.as_ref());
            let options = PlanOptions {
                prune: args.prune,
                spec_file: file.clone(),
            };
            let plan = build_plan(&reader, &desired, &options).await;
            execute(args, &reader, plan, verbose).await
        }
        (None, Some(path)) => {
            let plan = filter_plan(saved::load(path)?, &args.scope)?;
            let bars = progress(plan.accounts.len(), "checking");
            let reader = Reader::new(&ctx, &plan.accounts, &plan.project, args.scope.parallelism.into(), bars.as_ref());
            match saved::stale_entries(&reader, &plan).await {
                Err(errors) => {
                    let list: Vec<String> = errors
                        .iter()
                        .map(|e| format!("  {}: {}", e.account, e.message))
                        .collect();
                    return Err(WardenError::Unreachable(format!(
                        "{}\n(the saved plan could not be checked against live state, so nothing was applied)",
                        list.join("\n")
                    )));
                }
                Ok(stale) if !stale.is_empty() => {
                    return Err(WardenError::StalePlan(apply_report::stale(&stale)));
                }
                Ok(_) => {}
            }
            execute(args, &reader, plan, verbose).await
        }
        _ => Err(WardenError::usage(
            "apply needs a spec (-f SPEC) or a saved plan (PLAN)",
            Some("`warden apply -f spec.yaml`, or `warden plan -f spec.yaml --out plan.json` then `warden apply plan.json`"),
        )),
    }
}

async fn execute(
    args: &ApplyArgs,
    reader: &Reader<'_>,
    plan: Plan,
    verbose: bool,
) -> Result<Outcome, WardenError> {
    let shown_plan = render::plan(&plan, Format::Text, Mode::Plan, false);
    match args.format {
        ApplyFormat::Text => print_stdout(&shown_plan)?,
        // stdout carries only the JSON document; whoever is asked to confirm sees the plan.
        ApplyFormat::Json if !args.auto_approve && plan.has_changes() => {
            let mut err = anstream::stderr();
            std::io::Write::write_all(&mut err, shown_plan.as_bytes())?;
        }
        ApplyFormat::Json => {}
    }
    if !plan.has_changes() {
        if args.format == ApplyFormat::Json {
            print_stdout(&render::json(&json!({ "plan": plan, "report": null })))?;
        }
        return outcome(&plan, false);
    }
    if !args.auto_approve {
        let count = plan.pending().count();
        if !confirm(&format!("\nApply these {count} change(s)?"))? {
            return Err(WardenError::Cancelled);
        }
    }
    let report: ApplyReport = executor::apply(reader, &plan).await;
    match args.format {
        ApplyFormat::Json => {
            print_stdout(&render::json(&json!({ "plan": plan, "report": report })))?
        }
        ApplyFormat::Text => print_stdout(&apply_report::text(&report, verbose))?,
    }
    if report.failed() == 0 && report.unverified() == 0 {
        Ok(Outcome::Clean)
    } else if report.succeeded() == 0 && report.unverified() == 0 {
        Err(WardenError::usage(
            "no change could be applied; see the report above",
            None,
        ))
    } else {
        Ok(Outcome::Partial)
    }
}
