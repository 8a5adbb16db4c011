//! Rendered plans, offline: specs expanded and diffed against empty accounts (no AWS), then
//! shown in every format and view — snapshots of the grouped plan for 20 accounts with three
//! exceptions, and no `No newline at end of file` in anything rendered.

use crate::model::DesiredResource;
use crate::plan::build::in_dependency_order;
use crate::plan::diff::diff_scope;
use crate::plan::Plan;
use crate::render::{self, report, Format, Mode, View};
use crate::spec::{EnvMode, SourceFile};

/// Text as a pipe receives it (styles are stripped by anstream on the way out).
fn plain(text: String) -> String {
    anstream::adapter::strip_str(&text).to_string()
}

/// The plan of `yaml` against accounts that hold nothing yet.
fn offline_plan(name: &str, yaml: &str) -> Plan {
    let loaded = crate::spec::load_source(SourceFile::new(name, yaml), EnvMode::Lenient)
        .unwrap_or_else(|e| panic!("{name} does not load: {:?}", e.diagnostics));
    let desired =
        crate::model::expand(&loaded).unwrap_or_else(|d| panic!("{name} does not expand: {d:?}"));
    let mut changes = Vec::new();
    for (account, region) in desired.scopes() {
        let wanted: Vec<&DesiredResource> = desired
            .resources
            .iter()
            .filter(|r| r.addr.account == account.name && r.addr.region == region)
            .collect();
        let (found, errors) = diff_scope(&desired.project, &account.id, &wanted, &[], false);
        assert!(errors.is_empty(), "{errors:?}");
        changes.extend(found);
    }
    let changes = in_dependency_order(changes);
    Plan {
        format_version: 1,
        warden_version: "0.1.0".into(),
        created_at: "2026-12-03T12:00:00Z".into(),
        spec_file: name.into(),
        project: desired.project.clone(),
        prune: false,
        accounts: desired.accounts.clone(),
        summary: Plan::summarize(&changes, 0),
        changes,
        errors: vec![],
        notes: vec![],
        api_calls: Default::default(),
    }
}

/// Twenty accounts in two regions with the whole logging chain; three exceptions: acct-05
/// keeps invocations ten years, acct-12 does not log video in eu-west-1, acct-17 carries a
/// customer tag on everything.
fn twenty_accounts() -> String {
    let mut yaml = String::from(
        "version: 1\nproject: fleet\ndefaults:\n  regions: [us-east-1, eu-west-1]\n  tags: {owner: platform}\naccounts:\n",
    );
    for i in 0..20 {
        yaml.push_str(&format!(
            "  - name: acct-{i:02}\n    id: \"{}\"\n",
            100_000_000_000u64 + i
        ));
        match i {
            5 => yaml.push_str(
                "    overrides:\n      - log_groups:\n          - name: /aws/bedrock/invocations\n            retention_days: 3653\n",
            ),
            12 => yaml.push_str(
                "    overrides:\n      - regions: [eu-west-1]\n        invocation_logging:\n          data:\n            video: false\n",
            ),
            17 => yaml.push_str("    tags: {customer: globex}\n"),
            _ => {}
        }
    }
    yaml.push_str(
        r#"log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 1827
    data_protection:
      identifiers: [EmailAddress, IpAddress]
      custom_identifiers:
        - {name: CustomerReference, regex: 'CUST-\d{8}'}
invocation_logging:
  cloudwatch:
    log_group: /aws/bedrock/invocations
    role: {}
    large_data:
      bucket: bedrock-logs-{account}-{region}
      key_prefix: large-data
"#,
    );
    yaml
}

#[test]
fn snapshot_grouped_text_plan_of_twenty_accounts_with_three_exceptions() {
    let plan = offline_plan("fleet.yaml", &twenty_accounts());
    assert_eq!(plan.accounts.len(), 20);
    let text = plain(render::plan(&plan, Format::Text, Mode::Plan, false));
    insta::assert_snapshot!(text);
}

#[test]
fn snapshot_grouped_markdown_plan_of_twenty_accounts_with_three_exceptions() {
    let plan = offline_plan("fleet.yaml", &twenty_accounts());
    let markdown = render::plan(&plan, Format::Markdown, Mode::Plan, false);
    insta::assert_snapshot!(markdown);
}

#[test]
fn summary_view_is_one_line_per_account_and_the_totals() {
    let plan = offline_plan("fleet.yaml", &twenty_accounts());
    let view = View {
        verbose: false,
        summary_only: true,
    };
    let text = plain(render::plan_view(&plan, Format::Text, Mode::Plan, view));
    assert_eq!(
        text.lines().filter(|l| l.starts_with("  acct-")).count(),
        20,
        "{text}"
    );
    assert!(
        text.contains("  acct-05 (100000000005)  8 to create\n"),
        "{text}"
    );
    assert!(text.contains("Plan: 160 to create"), "{text}");
    assert!(!text.contains("log_group"), "details are left out: {text}");
    let markdown = render::plan_view(&plan, Format::Markdown, Mode::Plan, view);
    assert_eq!(
        markdown
            .lines()
            .filter(|l| l.starts_with("| `acct-"))
            .count(),
        20
    );
    assert!(!markdown.contains("| address |"), "{markdown}");
}

#[test]
fn verbose_lists_every_place_and_the_full_documents() {
    let plan = offline_plan("fleet.yaml", &twenty_accounts());
    let short = plain(render::plan(&plan, Format::Text, Mode::Plan, false));
    let long = plain(render::plan(&plan, Format::Text, Mode::Plan, true));
    assert!(short.contains("… and "), "{short}");
    assert!(!long.contains("… and "), "{long}");
    assert!(long.contains("acct-19/eu-west-1"), "{long}");
    // The trust policy in words, and with -v also the document itself.
    assert!(short.contains("+ trust: bedrock.amazonaws.com may sts:AssumeRole when"));
    assert!(!short.contains("\"Statement\""), "{short}");
    assert!(long.contains("\"sts:AssumeRole\""), "{long}");
}

/// Every spec the tests and examples use, rendered in every format and view.
fn every_rendering() -> Vec<(String, String)> {
    let mut specs = vec![("fleet.yaml".to_string(), twenty_accounts())];
    for example in ["examples/quickstart.yaml", "examples/multi-account.yaml"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(example);
        specs.push((example.to_string(), std::fs::read_to_string(path).unwrap()));
    }
    let mut out = Vec::new();
    for (name, yaml) in specs {
        let plan = offline_plan(&name, &yaml);
        for format in [Format::Text, Format::Markdown, Format::Json] {
            for mode in [Mode::Plan, Mode::Drift] {
                for (verbose, summary_only) in [(false, false), (true, false), (false, true)] {
                    let view = View {
                        verbose,
                        summary_only,
                    };
                    out.push((
                        format!("{name} {format:?} {mode:?} {view:?}"),
                        plain(render::plan_view(&plan, format, mode, view)),
                    ));
                }
            }
        }
        out.push((format!("{name} report html"), report::html(&plan)));
        out.push((format!("{name} report markdown"), report::markdown(&plan)));
    }
    out
}

#[test]
fn no_rendered_output_says_no_newline_at_end_of_file() {
    let rendered = every_rendering();
    assert!(rendered.len() > 50);
    for (what, text) in rendered {
        assert!(
            !text.contains("No newline at end of file"),
            "{what} has the diff artifact:\n{text}"
        );
    }
}

#[test]
fn drift_in_several_accounts_is_told_once_with_live_and_spec_values() {
    use crate::plan::{Action, FieldChange};
    use serde_json::json;
    let mut plan = offline_plan("fleet.yaml", &twenty_accounts());
    // Everything in sync, except the invocations group's retention in three places.
    for change in &mut plan.changes {
        change.action = Action::NoOp;
        change.fields.clear();
    }
    for change in plan.changes.iter_mut().filter(|c| {
        c.address.name == "/aws/bedrock/invocations"
            && ["acct-01", "acct-07", "acct-13"].contains(&c.address.account.as_str())
            && c.address.region == "eu-west-1"
    }) {
        change.action = Action::Update;
        change.fields = vec![FieldChange {
            path: "retention_days".into(),
            before: json!(30),
            after: json!(1827),
        }];
    }
    plan.summary = Plan::summarize(&plan.changes, 0);
    let text = plain(render::plan(&plan, Format::Text, Mode::Drift, false));
    assert!(
        text.contains(
            "  ~ log_group /aws/bedrock/invocations  drifted in 3 account-regions\n      acct-01/eu-west-1, acct-07/eu-west-1, acct-13/eu-west-1\n      ~ retention_days: live 30, spec 1827\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  acct-07 (100000000007)  1 drifted, 7 in sync\n"),
        "{text}"
    );
    assert!(
        text.contains("  acct-00 (100000000000)  8 in sync\n"),
        "{text}"
    );
    let report = report::html(&plan);
    assert_eq!(report.matches("data-state=\"drifted\"").count(), 3);
}
