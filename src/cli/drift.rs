//! `warden drift`: a plan worded as a drift report, with detailed exit codes for scheduled jobs.

use super::common::{print_stdout, spec_path};
use super::plan::{outcome, plan_from_spec, shown};
use super::DriftArgs;
use crate::error::{Outcome, WardenError};
use crate::render::{self, Mode};

pub async fn run(args: &DriftArgs, verbose: bool) -> Result<Outcome, WardenError> {
    let file = spec_path(args.file.as_deref())?;
    let (plan, origins) = plan_from_spec(&file, &args.scope, args.prune).await?;
    let view = render::View {
        verbose,
        summary_only: args.summary,
    };
    print_stdout(&shown(&plan, args.format, Mode::Drift, view, &origins))?;
    outcome(&plan, true)
}
