//! `warden report merge`: one report from the JSON plans or drift reports of a CI matrix's
//! shards (`--shard K/N`), with one summary and the exit code a single run would have had.

use std::path::PathBuf;

use clap::Args;

use super::common::print_stdout;
use super::plan::outcome;
use crate::error::{Outcome, WardenError};
use crate::plan::merge::merge;
use crate::plan::Plan;
use crate::render::{self, Format, Mode};

/// A plan file larger than this is refused before it is read (as for saved plans).
const MAX_PLAN_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' JSON plans or drift reports.
    #[arg(required = true, value_name = "PLAN")]
    pub files: Vec<PathBuf>,
    /// Output: text, markdown (for `$GITHUB_STEP_SUMMARY`) or json (one plan document).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Word it as a drift report ("live 30, spec 1827").
    #[arg(long)]
    pub drift: bool,
}

pub fn run(args: &MergeArgs, verbose: bool) -> Result<Outcome, WardenError> {
    let mut plans = Vec::new();
    for file in &args.files {
        plans.push((file.display().to_string(), read_plan(file)?));
    }
    let joined = merge(plans).map_err(|e| {
        WardenError::usage(
            format!("cannot join these plans: {e}"),
            Some("join the plans of one spec's shards (`--shard K/N`), each made with this warden"),
        )
    })?;
    let mode = if args.drift { Mode::Drift } else { Mode::Plan };
    print_stdout(&render::plan(&joined, args.format, mode, verbose))?;
    outcome(&joined, true)
}

fn read_plan(file: &std::path::Path) -> Result<Plan, WardenError> {
    let shown = file.display();
    let unreadable = |why: String| {
        WardenError::usage(
            format!("{shown}: {why}"),
            Some("give the JSON of `warden plan --format json`, `plan --out` or `drift --format json`"),
        )
    };
    let size = std::fs::metadata(file)
        .map_err(|e| unreadable(e.to_string()))?
        .len();
    if size > MAX_PLAN_BYTES {
        return Err(unreadable(format!(
            "{size} bytes is over the 64 MiB a plan may have"
        )));
    }
    let text = std::fs::read_to_string(file).map_err(|e| unreadable(e.to_string()))?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| unreadable(format!("not JSON: {e}")))?;
    if let Some(map) = value.as_object_mut() {
        map.remove("spec_text"); // a saved plan carries its spec: not needed to report
    }
    serde_json::from_value(value).map_err(|e| unreadable(format!("not a warden plan: {e}")))
}
