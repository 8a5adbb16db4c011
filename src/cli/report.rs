//! `warden report`: the governance matrix (accounts × regions × controls) as HTML or Markdown,
//! from a fresh read of live state, with drift's exit codes so one run serves a drift job.

use super::common::{print_stdout, spec_path};
use super::plan::{outcome, plan_from_spec};
use super::{ReportArgs, ReportCommand, ReportFormat};
use crate::error::{Outcome, WardenError};
use crate::render::report;

pub async fn run(args: &ReportArgs, verbose: bool) -> Result<Outcome, WardenError> {
    if let Some(ReportCommand::Merge(merge)) = &args.command {
        return super::report_merge::run(merge, verbose);
    }
    let file = spec_path(args.file.as_deref())?;
    let (plan, _) = plan_from_spec(&file, &args.scope, false).await?;
    let text = match args.format {
        ReportFormat::Html => report::html(&plan),
        ReportFormat::Markdown => report::markdown(&plan),
    };
    print_stdout(&text)?;
    outcome(&plan, true)
}
