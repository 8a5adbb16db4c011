//! `warden drift`: a plan worded as a drift report, with detailed exit codes for scheduled jobs.

use super::common::{cloud_context, load_for_aws, print_stdout, progress};
use super::plan::outcome;
use super::DriftArgs;
use crate::error::{Outcome, WardenError};
use crate::plan::build::{build_plan, PlanOptions};
use crate::plan::read::Reader;
use crate::render::{self, Mode};

pub async fn run(args: &DriftArgs, verbose: bool) -> Result<Outcome, WardenError> {
    let desired = load_for_aws(&args.file, &args.scope)?;
    let ctx = cloud_context().await;
    let bars = progress(desired.accounts.len(), "reading");
    let reader = Reader::new(
        &ctx,
        &desired.accounts,
        &desired.project,
        args.scope.parallelism.into(),
        bars.as_ref(),
    );
    let options = PlanOptions {
        prune: args.prune,
        spec_file: args.file.clone(),
    };
    let plan = build_plan(&reader, &desired, &options).await;
    drop(bars);
    print_stdout(&render::plan(&plan, args.format, Mode::Drift, verbose))?;
    outcome(&plan, true)
}
