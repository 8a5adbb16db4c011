//! `warden drift`: a plan worded as a drift report, with detailed exit codes for scheduled jobs.

use super::common::print_stdout;
use super::plan::{outcome, plan_from_spec};
use super::DriftArgs;
use crate::error::{Outcome, WardenError};
use crate::render::{self, Mode};

pub async fn run(args: &DriftArgs, verbose: bool) -> Result<Outcome, WardenError> {
    let plan = plan_from_spec(&args.file, &args.scope, args.prune).await?;
    let view = render::View {
        verbose,
        summary_only: args.summary,
    };
    print_stdout(&render::plan_view(&plan, args.format, Mode::Drift, view))?;
    outcome(&plan, true)
}
