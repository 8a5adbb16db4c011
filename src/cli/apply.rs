//! `warden apply`: plan from a spec (or plan a saved plan's spec again and refuse unless the
//! result is the saved plan), confirm, execute, and report.

use serde_json::json;

use super::common::{
    account_selected, cloud_context, confirm, filter_plan, load_for_aws, print_stdout, progress,
    spec_path, unfiltered,
};
use super::plan::outcome;
use super::{ApplyArgs, ApplyFormat};
use crate::apply::lease;
use crate::apply::{self as executor, ApplyReport};
use crate::error::{Outcome, WardenError};
use crate::plan::build::{build_plan, PlanOptions};
use crate::plan::read::{Reader, ScopeKey};
use crate::plan::saved::{self, Mismatch};
use crate::plan::Plan;
use crate::render::{self, apply_report, Format, Mode};
use crate::spec::SourceFile;

pub async fn run(args: &ApplyArgs, verbose: bool) -> Result<Outcome, WardenError> {
    if args.file.as_deref() == Some(crate::spec::STDIN) && !args.auto_approve {
        // The spec takes standard input, so there is nowhere to read a confirmation from.
        return Err(WardenError::usage(
            "apply -f - reads the spec from standard input, so it cannot also ask for confirmation there",
            Some("review `warden plan -f -` first, then pass --auto-approve; or save the spec to a file"),
        ));
    }
    let ctx = cloud_context(&args.scope).await;
    let file = match (&args.file, &args.plan) {
        (None, None) => Some(spec_path(None)?),
        (file, _) => file.clone(),
    };
    match (&file, &args.plan) {
        (Some(file), None) => {
            let desired = load_for_aws(file, &args.scope, &ctx).await?;
            refuse_unchecked_tokens(&desired)?;
            let bars = progress(desired.accounts.len(), "reading");
            let reader = Reader::new(&ctx, &desired.accounts, &desired.project, args.scope.parallelism.into(), bars.as_ref());
            let options = PlanOptions {
                prune: args.prune,
                spec_file: file.clone(),
            };
            // The leases come first, so the plan is made from state no other apply is changing.
            let scopes: Vec<ScopeKey> = desired
                .scopes()
                .into_iter()
                .map(|(a, r)| (a.name.clone(), r.to_string()))
                .collect();
            lease::take_all(&reader, &scopes, args.lease_wait).await;
            let plan = build_plan(&reader, &desired, &options).await;
            let result = execute(args, &reader, plan, verbose).await;
            lease::release_all(&reader).await;
            result
        }
        (None, Some(path)) => apply_saved(args, &ctx, path, verbose).await,
        _ => Err(WardenError::usage(
            "apply needs a spec (-f SPEC) or a saved plan (PLAN)",
            Some("`warden apply -f spec.yaml`, or `warden plan -f spec.yaml --out plan.json` then `warden apply plan.json`"),
        )),
    }
}

/// `apply PLAN`: the file is not trusted. Its embedded spec goes through every check, is
/// planned again against live state over the file's accounts and regions (and any
/// `--account`/`--region`), and only if that fresh plan is the saved one is it carried out:
/// the fresh plan, never the file's values.
async fn apply_saved(
    args: &ApplyArgs,
    ctx: &crate::cloud::CloudContext,
    path: &std::path::Path,
    verbose: bool,
) -> Result<Outcome, WardenError> {
    let saved = saved::load(path)?;
    let plan = filter_plan(saved.plan, &args.scope)?;
    let source = SourceFile::new(
        format!("{} (embedded spec from {})", path.display(), plan.spec_file),
        saved.spec_text,
    );
    let mut desired = unfiltered(source, ctx).await?;
    refuse_unchecked_tokens(&desired)?;
    // An account the organization gained since planning (and that this run would cover) makes
    // the plan stale: it was never reviewed for that account.
    let planned: std::collections::HashSet<&str> =
        plan.accounts.iter().map(|a| a.id.as_str()).collect();
    let joined: Vec<String> = desired
        .discovered
        .iter()
        .filter_map(|(name, source)| {
            let account = desired.account(name)?;
            (!planned.contains(account.id.as_str())
                && account_selected(name, &account.id, &args.scope))
            .then(|| format!("  account {name} ({}) is now in {source}", account.id))
        })
        .collect();
    if !joined.is_empty() {
        return Err(WardenError::StalePlan(format!(
            "the saved plan is stale: AWS Organizations has {} account(s) the plan does not cover, so nothing was applied:\n{}\n  help: make a new plan (`warden plan -f SPEC --out PLAN`), with the same --shard if any",
            joined.len(),
            joined.join("\n")
        )));
    }
    // The plan's scope: its accounts and regions, as filtered at plan time and now.
    desired.accounts.retain_mut(|a| {
        let Some(kept) = plan.accounts.iter().find(|k| k.name == a.name) else {
            return false;
        };
        a.regions.retain(|r| kept.regions.contains(r));
        !a.regions.is_empty()
    });
    let kept = desired.accounts.clone();
    desired.resources.retain(|r| {
        kept.iter()
            .any(|a| a.name == r.addr.account && a.regions.contains(&r.addr.region))
    });
    let bars = progress(desired.accounts.len(), "checking");
    let reader = Reader::new(
        ctx,
        &desired.accounts,
        &desired.project,
        args.scope.parallelism.into(),
        bars.as_ref(),
    );
    let options = PlanOptions {
        prune: plan.prune,
        spec_file: plan.spec_file.clone(),
    };
    // The leases of the scopes the plan changes come first, so the fresh plan is made from
    // state no other apply is changing.
    let scopes: std::collections::BTreeSet<ScopeKey> = plan
        .pending()
        .map(|c| (c.address.account.clone(), c.address.region.clone()))
        .collect();
    let scopes: Vec<ScopeKey> = scopes.into_iter().collect();
    lease::take_all(&reader, &scopes, args.lease_wait).await;
    let fresh = build_plan(&reader, &desired, &options).await;
    let result = match saved::compare(&plan, &fresh) {
        Ok(()) => execute(args, &reader, fresh, verbose).await,
        Err(Mismatch::Unverifiable(errors)) => {
            let list: Vec<String> = errors
                .iter()
                .map(|e| match &e.region {
                    Some(region) => format!("  {}/{region}: {}", e.account, e.message),
                    None => format!("  {}: {}", e.account, e.message),
                })
                .collect();
            Err(WardenError::Unreachable(format!(
                "the saved plan could not be checked against live state in {} place(s), so nothing was applied:\n{}",
                list.len(),
                list.join("\n")
            )))
        }
        Err(Mismatch::Project { file, spec }) => Err(WardenError::usage(
            format!(
                "{} says project `{file}` but its embedded spec says `{spec}`; nothing was applied",
                path.display()
            ),
            Some("a saved plan is applied only as `warden plan --out` wrote it: make a new plan"),
        )),
        Err(Mismatch::Differs(entries)) => {
            Err(WardenError::StalePlan(apply_report::stale(&entries)))
        }
    };
    lease::release_all(&reader).await;
    result
}

/// Apply does not run while a token the plan could not check (its variable unset) is in scope.
fn refuse_unchecked_tokens(desired: &crate::model::Desired) -> Result<(), WardenError> {
    let variables = crate::kinds::event_connection::unchecked_tokens(&desired.resources);
    if variables.is_empty() {
        Ok(())
    } else {
        Err(WardenError::TokenNotSet { variables })
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
