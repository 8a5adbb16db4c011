//! `warden init`: writes a commented starter spec for the caller's account (laptop bootstrap),
//! assembled from a header and one starter block per spec section (data, below).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::common::{cloud_context, print_stdout, DEFAULT_SPEC};
use super::{InitArgs, ScopeArgs};
use crate::error::{Outcome, WardenError};

/// The starter block of every top-level spec section, in the order they are written. A section
/// added to the spec needs its block here (a unit test fails otherwise); a block may be written
/// commented out when its effect reaches beyond what the spec creates.
pub const SECTION_STARTERS: &[(&str, &str)] = &[
    (
        "log_groups",
        r#"
# CloudWatch log groups, in every account and region above.
log_groups:
  # Where Bedrock model invocation logs go: kept five years (1827 days; 1825 is not allowed).
  - name: /aws/bedrock/invocations
    retention_days: 1827
    tags:
      data-class: prompts-and-responses
    # Audit and mask sensitive data in prompts and responses (readers with logs:Unmask see it).
    data_protection:
      identifiers: [EmailAddress, IpAddress, AwsSecretKey, CreditCardNumber, OpenSshPrivateKey, PgpPrivateKey, PkcsPrivateKey, PuttyPrivateKey]
      findings:
        log_group: /aws/bedrock/data-protection-findings
  # Where the data-protection audit findings go.
  - name: /aws/bedrock/data-protection-findings
    retention_days: 1827
"#,
    ),
    (
        "account_data_protection",
        r#"
# An account-wide data-protection policy masks these identifiers in EVERY log group of the
# account, including other teams' groups: left off in the starter; uncomment to turn it on.
# account_data_protection:
#   identifiers: [EmailAddress, AwsSecretKey]
"#,
    ),
    (
        "invocation_logging",
        r#"
# Bedrock model invocation logging: every prompt and response, to CloudWatch and to S3.
invocation_logging:
  data: {text: true, image: true, embedding: true, video: true}
  cloudwatch:
    log_group: /aws/bedrock/invocations
    role: {}                # warden creates a least-privilege, confused-deputy-safe role
    large_data:             # bodies over ~100 KB and binary bodies (not written to CloudWatch)
      bucket: bedrock-logs-{account}-{region}
      key_prefix: large-data
  s3:
    bucket: bedrock-logs-{account}-{region}   # encrypted, public access blocked
    key_prefix: invocations
"#,
    ),
    (
        "cloudtrail",
        r#"
# A CloudTrail trail per account recording Bedrock data events (agents, knowledge bases,
# guardrails, flows, prompts, sessions), which CloudTrail does not record by default.
# Data events are billed per event.
cloudtrail:
  name: bedrock-audit
  bucket:
    name: bedrock-audit-{account}
    key_prefix: cloudtrail
  data_events:
    bedrock: all
"#,
    ),
    (
        "monitoring",
        r#"
# Alarms, a dashboard and saved Logs Insights queries from the built-in templates/ (copy one
# into your own `templates_dir` to change it).
monitoring:
  # Alarm actions go to this SNS topic; add the people to tell (each confirms by email once),
  # e.g. `email: [you@example.com]`.
  notify: {name: bedrock-alerts}
  models: [anthropic.claude-3-5-sonnet-20240620-v1:0]   # the models you use (alarms per model)
  alarm_packs:
    - bedrock-runtime         # throttles, errors, p99 latency per model; invocation spikes across all
    - governance-health       # invocation logs not delivered = the governance record is broken
  dashboards: [bedrock-overview, bedrock-governance]
  queries: [latest-invocations, tokens-by-caller]
  # Token use per caller and model as custom metrics (billed per metric): see the README.
  # token_metrics_by_caller: true
"#,
    ),
    (
        "event_forwarding",
        r#"
# Bedrock configuration events to Dynatrace (business events) and governance tampering to
# people. Needs a Dynatrace token with the bizevents.ingest scope in an environment variable;
# uncomment and fill in to turn it on.
# event_forwarding:
#   dynatrace:
#     environment_url: https://abc12345.live.dynatrace.com
#     api_token: ${env:DT_BIZEVENTS_TOKEN}
#     events: [bedrock_configuration, bedrock_api_calls]
#     dead_letter: {}
#   notify:
#     - events: [governance_tampering]
#       sns_topic: {name: bedrock-governance-alerts, email: [you@example.com]}
"#,
    ),
    (
        "event_rules",
        r#"
# Your own EventBridge rules (any pattern) to a topic, Dynatrace, a log group or another
# account's bus (`event_bus: arn:aws:events:…:event-bus/…`), e.g.:
# event_rules:
#   - name: bedrock-guardrail-changes
#     pattern: {source: [aws.bedrock], detail-type: [AWS API Call via CloudTrail],
#               detail: {eventSource: [bedrock.amazonaws.com], eventName: [{prefix: UpdateGuardrail}]}}
#     targets: [{sns_topic: bedrock-governance-alerts}, {log_group: /aws/events/bedrock-guardrails}]
"#,
    ),
];

/// What the starter spec is written for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub project: String,
    pub account_name: String,
    pub account_id: String,
    pub regions: Vec<String>,
}

/// The whole starter spec text.
pub fn starter_spec(answers: &Answers) -> String {
    let mut text = format!(
        r#"# warden starter spec, written by `warden init` for account {id}.
# Every section below is on, with safe defaults; read each comment, then:
#
#   warden validate          # offline check (reads ./warden.yaml by default)
#   warden plan              # what would change
#   warden apply             # make it so (asks first)
#
# Editors: `warden schema > warden.schema.json`, then:
# yaml-language-server: $schema=./warden.schema.json
version: 1

# Resources warden creates are tagged `warden:managed-by: {project}`; `warden destroy` removes
# exactly those.
project: {project}

defaults:
  regions: [{regions}]
  tags:
    managed-with: bedrock-warden

accounts:
  # No role_arn: warden uses your current credentials and checks with STS that they belong
  # to this account.
  - name: {name}
    id: "{id}"
"#,
        id = answers.account_id,
        project = answers.project,
        regions = answers.regions.join(", "),
        name = answers.account_name,
    );
    for (_, block) in SECTION_STARTERS {
        text.push_str(block);
    }
    text
}

pub async fn run(args: &InitArgs) -> Result<Outcome, WardenError> {
    let out = args.out.as_deref().unwrap_or(Path::new(DEFAULT_SPEC));
    if out.exists() && !args.force {
        return Err(WardenError::usage(
            format!("{} exists already; nothing was written", out.display()),
            Some("pass --force to overwrite it, or --out PATH to write elsewhere"),
        ));
    }
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(WardenError::usage(
            "refusing to ask questions: standard input is not a terminal",
            Some("pass --non-interactive (with --project, --account-name, --region as needed)"),
        ));
    }
    let ctx = cloud_context(&ScopeArgs {
        timeout: std::time::Duration::from_secs(120),
        ..ScopeArgs::default()
    })
    .await;
    let (account_id, chain_region) = ctx.caller().await.map_err(|e| {
        WardenError::Unreachable(format!(
            "cannot tell which account your credentials belong to: {e}"
        ))
    })?;
    let default_regions = if args.regions.is_empty() {
        vec![chain_region.unwrap_or_else(|| "us-east-1".to_string())]
    } else {
        args.regions.clone()
    };
    let mut answers = Answers {
        project: args.project.clone(),
        account_name: args.account_name.clone(),
        account_id,
        regions: default_regions,
    };
    if interactive {
        eprintln!(
            "Writing a starter spec for account {} to {}.",
            answers.account_id,
            out.display()
        );
        answers.project = ask("Project (ownership tag)", &answers.project)?;
        answers.account_name = ask("Account name (in addresses)", &answers.account_name)?;
        let regions = ask("Regions (comma-separated)", &answers.regions.join(","))?;
        answers.regions = regions
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
    }
    let text = starter_spec(&answers);
    // The spec's own checks judge the answers: a bad project or region name is reported
    // against the text that would have been written, and nothing is written.
    let loaded = crate::spec::load_source(
        crate::spec::SourceFile::new(out.display().to_string(), text.clone()),
        crate::spec::EnvMode::Lenient,
    )
    .map_err(WardenError::Spec)?;
    super::common::expand(&loaded)?;
    write_new(out, &text, args.force)?;
    print_stdout(&format!(
        "Wrote {} for account {} ({}). Next: `warden validate{f}`, `warden plan{f}`.\n",
        out.display(),
        answers.account_id,
        answers.regions.join(", "),
        f = if out == Path::new(DEFAULT_SPEC) {
            String::new()
        } else {
            format!(" -f {}", out.display())
        }
    ))?;
    Ok(Outcome::Clean)
}

/// One question on the terminal; an empty answer keeps the default.
fn ask(question: &str, default: &str) -> Result<String, WardenError> {
    eprint!("{question} [{default}]: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let answer = answer.trim();
    Ok(if answer.is_empty() {
        default.to_string()
    } else {
        answer.to_string()
    })
}

/// Writes the file; without `force`, only if nothing is there (checked atomically by the
/// create, so a file that appeared since the first check is not overwritten either).
fn write_new(path: &Path, text: &str, force: bool) -> Result<(), WardenError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            WardenError::usage(
                format!("{} exists already; nothing was written", path.display()),
                Some("pass --force to overwrite it"),
            )
        } else {
            WardenError::usage(format!("cannot write {}: {e}", path.display()), None)
        }
    })?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A section added to the spec without a starter block here would be missing from
    /// `warden init`'s file: every top-level field of the spec's schema other than the header
    /// must have one.
    #[test]
    fn every_spec_section_has_a_starter_block() {
        let schema = crate::spec::json_schema();
        let header = crate::spec::NON_SECTION_FIELDS;
        let sections: Vec<String> = schema["properties"]
            .as_object()
            .expect("schema properties")
            .keys()
            .filter(|k| !header.contains(&k.as_str()))
            .cloned()
            .collect();
        assert!(!sections.is_empty());
        for section in &sections {
            assert!(
                SECTION_STARTERS.iter().any(|(name, _)| name == section),
                "spec section `{section}` has no starter block in src/cli/init.rs SECTION_STARTERS"
            );
        }
        for (name, block) in SECTION_STARTERS {
            assert!(
                sections.contains(&name.to_string()),
                "`{name}` is not a spec section"
            );
            assert!(
                block.contains(&format!("{name}:")),
                "`{name}`'s block does not set it"
            );
        }
    }

    #[test]
    fn the_starter_spec_passes_every_offline_check() {
        let text = starter_spec(&Answers {
            project: "bedrock-governance".into(),
            account_name: "sandbox".into(),
            account_id: "123456789012".into(),
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
        });
        let loaded = crate::spec::load_source(
            crate::spec::SourceFile::new("warden.yaml", text),
            crate::spec::EnvMode::Strict,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let desired = crate::model::expand(&loaded).expect("expands");
        // Every section's block is live except the account-wide policy (commented out).
        for kind in [
            "log_group",
            "iam_role",
            "s3_bucket",
            "invocation_logging",
            "cloudtrail_trail",
        ] {
            assert!(
                desired
                    .resources
                    .iter()
                    .any(|r| r.addr.kind.as_str() == kind),
                "no {kind} in the starter spec"
            );
        }
    }
}
