//! Command-line interface: clap definitions, and one module per command.

mod apply;
mod common;
mod destroy;
mod drift;
pub mod import;
pub mod init;
mod permissions;
mod plan;
mod report;
mod report_merge;
mod schema;
pub mod shard;
mod validate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use common::{render_diagnostics, stderr_color};

use crate::error::{Outcome, WardenError};
use crate::render::Format;

const AFTER_HELP: &str = "\
Exit codes:
  0  success; with --detailed-exitcode and for `drift`: nothing to change
  1  error (bad spec, bad arguments, no account reachable, stale plan, apply cancelled)
  2  changes present (plan --detailed-exitcode, drift)
  3  partial: some accounts or regions failed while others succeeded; the report lists both

Credentials come from the standard AWS chain (environment, profiles, SSO, web identity/OIDC);
AWS_ENDPOINT_URL points every client at another endpoint (e.g. a local emulator).";

/// Plan, diff and apply Amazon Bedrock governance across AWS accounts and regions.
#[derive(Debug, Parser)]
#[command(name = "warden", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Show API calls per operation and more detail.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to color output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec offline (no credentials, no AWS calls): syntax, fields, values.
    Validate(ValidateArgs),
    /// Show what apply would change, per account and region.
    Plan(PlanArgs),
    /// Make the live accounts match the spec (or carry out a saved plan).
    Apply(ApplyArgs),
    /// Report drift for scheduled jobs: exit 0 in sync, 2 drifted, 1 error, 3 partial.
    Drift(DriftArgs),
    /// Print the JSON Schema of the spec (for editors and yaml-language-server).
    Schema,
    /// Governance report: accounts × regions × controls, in sync / drifted / missing / error
    /// (exit codes as `drift`).
    Report(ReportArgs),
    /// Write a commented starter spec (warden.yaml) for the account your credentials belong to.
    Init(InitArgs),
    /// Delete everything the spec's project owns in the selected accounts and regions.
    Destroy(DestroyArgs),
    /// Print the least-privilege IAM policy for running warden on a spec (offline), or with
    /// --onboarding the role a governed account deploys.
    Permissions(PermissionsArgs),
    /// Write a spec describing what is live in your account and region (to adopt it).
    Import(ImportArgs),
    /// Print a shell completion script (e.g. `warden completions bash > /etc/bash_completion.d/warden`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `warden man > warden.1 && man ./warden.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The account to read: must be the one your credentials belong to (a check).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The region to read (default: the AWS configuration's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Where to write the spec.
    #[arg(long, value_name = "PATH", default_value = "warden.yaml")]
    pub out: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    /// Project name for the spec (the ownership tag adoption adds).
    #[arg(long, default_value = "bedrock-governance")]
    pub project: String,
    /// The account's name in the spec.
    #[arg(long, default_value = "main")]
    pub account_name: String,
    /// Log groups to import: those whose names start with this; repeatable. Groups the live
    /// logging configuration or data-protection policies name are imported too.
    #[arg(long = "log-group-prefix", value_name = "PREFIX", default_values_t = ["/aws/bedrock".to_string()])]
    pub log_group_prefixes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PermissionsArgs {
    /// Spec file (default: `warden.yaml` in the working directory).
    #[arg(short = 'f', long = "file", value_name = "SPEC")]
    pub file: Option<String>,
    /// Only what plan and drift need (no writes).
    #[arg(long)]
    pub read_only: bool,
    /// Print the role a governed account deploys (CloudFormation, StackSets-ready): trusted by
    /// the operations account with the external id, carrying the policy. Narrow the account
    /// with --account (default: the first reached by a role).
    #[arg(long)]
    pub onboarding: bool,
    /// With --onboarding: plain JSON (role name, trust policy, inline policy) instead of
    /// CloudFormation.
    #[arg(long, requires = "onboarding")]
    pub plain: bool,
    /// With --onboarding: the account that runs warden (default: the spec's account without
    /// role_arn).
    #[arg(long, value_name = "ID", requires = "onboarding")]
    pub operations_account: Option<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Spec file (default: `warden.yaml` in the working directory).
    #[arg(short = 'f', long = "file", value_name = "SPEC")]
    pub file: Option<String>,
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Empty buckets that still hold objects, then delete them (otherwise they are reported
    /// and kept).
    #[arg(long)]
    pub force_delete_bucket_contents: bool,
    /// How long to wait for an apply of this project to release an account and region.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub lease_wait: std::time::Duration,
    /// Output format: `text`, or `json` (one document `{plan, report}` on stdout).
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the spec.
    #[arg(long, value_name = "PATH", default_value = "warden.yaml")]
    pub out: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    /// Ask nothing (CI, scripts): the flags and their defaults decide.
    #[arg(long)]
    pub non_interactive: bool,
    /// Project name: the ownership scope of what warden creates.
    #[arg(long, default_value = "bedrock-governance")]
    pub project: String,
    /// The account's name in addresses and `--account`.
    #[arg(long, default_value = "sandbox")]
    pub account_name: String,
    /// Region to govern; repeatable (default: the AWS configuration's region, else us-east-1).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Spec file (default: `warden.yaml` in the working directory).
    #[arg(short = 'f', long = "file", value_name = "SPEC")]
    pub file: Option<String>,
    /// Output format (json lists every finding with file, line, column and field).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Filters and limits shared by every command that talks to AWS.
#[derive(Debug, Args, Clone, Default)]
pub struct ScopeArgs {
    /// Only this account (name or 12-digit id); repeatable.
    #[arg(long = "account", value_name = "NAME|ID")]
    pub accounts: Vec<String>,
    /// Only this region; repeatable.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Only the accounts of part K of N (e.g. 2/4), for a CI matrix of N jobs; an account's
    /// part depends on its id alone.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<shard::Shard>,
    /// How many account/region scopes to work on at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// Stop cleanly after this long (e.g. 90s, 10m, 2h) and report what was done; what did not
    /// run is listed as not done.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,
}

/// A `--timeout` value: a humantime duration (`90s`, `10m`, `1h 30m`) of at least one second.
fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let limit =
        humantime::parse_duration(text).map_err(|e| format!("{e} (write e.g. 90s, 10m or 2h)"))?;
    if limit < std::time::Duration::from_secs(1) {
        return Err("the time limit must be at least 1s".into());
    }
    Ok(limit)
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Spec file (default: `warden.yaml` in the working directory).
    #[arg(short = 'f', long = "file", value_name = "SPEC")]
    pub file: Option<String>,
    /// Save the plan (JSON) for `warden apply PLAN`.
    #[arg(long, value_name = "PLAN")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes, 0 when there are none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also delete resources this project manages that are no longer in the spec.
    #[arg(long)]
    pub prune: bool,
    /// Output: text for people, json for bots (format in the README), markdown for a pull
    /// request comment or $GITHUB_STEP_SUMMARY.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Print only the tally per account and the totals (text and markdown).
    #[arg(long)]
    pub summary: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Spec file: plan now and apply (default, without PLAN: `warden.yaml` in the working
    /// directory).
    #[arg(
        short = 'f',
        long = "file",
        value_name = "SPEC",
        conflicts_with = "plan"
    )]
    pub file: Option<String>,
    /// A saved plan from `warden plan --out`; refused if the live state changed since.
    #[arg(value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// With -f: also delete resources this project manages that left the spec.
    #[arg(long, conflicts_with = "plan")]
    pub prune: bool,
    /// How long to wait for another apply of this project to release an account and region
    /// (e.g. `30s`, `10m`); `0s` skips such scopes at once.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub lease_wait: std::time::Duration,
    /// Output format: `text` shows the plan and then the report; `json` prints one document
    /// `{plan, report}` on stdout (the plan is shown as text on stderr before a prompt).
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// Output formats of `apply` (a Markdown summary is `plan --format markdown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Spec file (default: `warden.yaml` in the working directory).
    #[arg(short = 'f', long = "file", value_name = "SPEC")]
    pub file: Option<String>,
    /// Also report resources this project manages that are no longer in the spec.
    #[arg(long)]
    pub prune: bool,
    /// Output: text for people, json for bots (format in the README), markdown for a report
    /// to post or archive.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Print only the tally per account and the totals (text and markdown).
    #[arg(long)]
    pub summary: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    /// `merge`: join the shards' plans of a CI matrix instead.
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// Spec file (default: `warden.yaml` in the working directory).
    #[arg(short = 'f', long = "file", value_name = "SPEC")]
    pub file: Option<String>,
    /// html: one self-contained file to publish; markdown: for $GITHUB_STEP_SUMMARY.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// Reports made from saved files rather than a fresh read.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Join the JSON plans (`plan --format json`, `plan --out`) or drift reports of several
    /// shards into one: exit 0 nothing to change, 2 changes, 3 partial, 1 error.
    Merge(report_merge::MergeArgs),
}

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Html,
    Markdown,
}

/// Parses the command line; `--help`, `--version` and usage errors come back as the error
/// for `main` to print and map to an exit code.
pub fn parse() -> Result<Cli, clap::Error> {
    let cli = Cli::try_parse()?;
    let choice = match cli.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    Ok(cli)
}

pub async fn run(cli: Cli) -> Result<Outcome, WardenError> {
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Plan(args) => plan::run(&args, cli.verbose).await,
        Command::Apply(args) => apply::run(&args, cli.verbose).await,
        Command::Drift(args) => drift::run(&args, cli.verbose).await,
        Command::Schema => schema::run(),
        Command::Report(args) => report::run(&args, cli.verbose).await,
        Command::Init(args) => init::run(&args).await,
        Command::Destroy(args) => destroy::run(&args, cli.verbose).await,
        Command::Permissions(args) => permissions::run(&args),
        Command::Import(args) => import::run(&args).await,
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, "warden", &mut out);
            common::print_stdout(&String::from_utf8_lossy(&out))?;
            Ok(Outcome::Clean)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
            common::print_stdout(&String::from_utf8_lossy(&out))?;
            Ok(Outcome::Clean)
        }
    }
}
