//! The shipped examples run unchanged against the local cloud: validate, apply, then an empty plan.

mod common;

use common::LocalCloud;

const ENV: &[(&str, &str)] = &[
    ("CUSTOMER_A_EXTERNAL_ID", "example-a"),
    ("CUSTOMER_B_EXTERNAL_ID", "example-b"),
    ("DT_BIZEVENTS_TOKEN", "dt0c01.EXAMPLETOKEN.notarealsecret"),
];

fn converges(spec: &str, resources: u64) {
    let cloud = LocalCloud::start();
    cloud
        .warden_with_env(&["validate", "-f", spec], ENV)
        .expect_code(0);
    let plan = cloud
        .warden_with_env(
            &[
                "plan",
                "-f",
                spec,
                "--format",
                "json",
                "--detailed-exitcode",
            ],
            ENV,
        )
        .expect_code(2)
        .json();
    // Everything is new, except the invocation logging singleton, which is "off" and updated.
    let pending =
        plan["summary"]["create"].as_u64().unwrap() + plan["summary"]["update"].as_u64().unwrap();
    assert_eq!(pending, resources, "{plan:#}");
    assert!(plan["api_calls"]["total_calls"].as_u64().unwrap() > 0);
    cloud
        .warden_with_env(&["apply", "-f", spec, "--auto-approve"], ENV)
        .expect_code(0);
    let after = cloud
        .warden_with_env(
            &[
                "plan",
                "-f",
                spec,
                "--detailed-exitcode",
                "--format",
                "json",
            ],
            ENV,
        )
        .expect_code(0)
        .json();
    assert_eq!(after["summary"]["no_op"], resources);
}

#[test]
fn quickstart_converges() {
    converges("examples/quickstart.yaml", 27);
}

#[test]
fn event_forwarding_converges() {
    converges("examples/event-forwarding.yaml", 17);
}

#[test]
fn multi_account_converges() {
    converges("examples/multi-account.yaml", 179);
}

#[test]
fn markdown_plan_is_a_pull_request_summary() {
    let cloud = LocalCloud::start();
    let md = cloud
        .warden(&[
            "plan",
            "-f",
            "examples/quickstart.yaml",
            "--format",
            "markdown",
        ])
        .expect_code(0);
    assert!(
        md.stdout
            .starts_with("## warden plan: `examples/quickstart.yaml`"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("| 26 | 0 | 1 | 0 | 0 | 0 |"),
        "{}",
        md.stdout
    );
    assert!(md
        .stdout
        .contains("`sandbox/us-east-1/log_group//aws/bedrock/invocations` | create"));
}

#[test]
fn schema_describes_the_spec_for_editors() {
    let cloud = LocalCloud::start();
    let schema = cloud.warden(&["schema"]).expect_code(0).json();
    assert_eq!(schema["title"], "bedrock-warden spec");
    assert_eq!(schema["additionalProperties"], false);
    let props = schema["properties"].as_object().unwrap();
    for key in [
        "version",
        "project",
        "defaults",
        "accounts",
        "log_groups",
        "invocation_logging",
    ] {
        assert!(props.contains_key(key), "schema lacks {key}");
    }
    let text = schema.to_string();
    assert!(text.contains("1827"), "retention values are listed");
}

#[test]
fn an_unset_environment_value_is_located_and_stops_plan_before_any_call() {
    let cloud = LocalCloud::start();
    let only_b = &[("CUSTOMER_B_EXTERNAL_ID", "example-b")];
    let run = cloud
        .warden_with_env(&["plan", "-f", "examples/multi-account.yaml"], only_b)
        .expect_code(1);
    assert!(
        run.stderr.contains(
            "accounts[1].external_id: environment variable `CUSTOMER_A_EXTERNAL_ID` is not set"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("examples/multi-account.yaml:36:18"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("export CUSTOMER_A_EXTERNAL_ID="));
    assert!(
        !run.stderr.contains("CUSTOMER_B_EXTERNAL_ID"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // Offline, the same reference is only a warning: CI can validate without the secret.
    let validate = cloud
        .warden_with_env(&["validate", "-f", "examples/multi-account.yaml"], only_b)
        .expect_code(0);
    assert!(
        validate.stderr.contains("is checked when `plan` runs"),
        "{}",
        validate.stderr
    );
}

#[test]
fn help_teaches_the_commands_and_parallelism_changes_only_speed() {
    let cloud = LocalCloud::start();
    let help = cloud.warden(&["--help"]).expect_code(0).stdout;
    for text in [
        "validate",
        "plan",
        "apply",
        "drift",
        "schema",
        "Exit codes:",
        "3  partial",
        "AWS_ENDPOINT_URL",
    ] {
        assert!(help.contains(text), "--help lacks {text}: {help}");
    }
    let plan_help = cloud.warden(&["plan", "--help"]).expect_code(0).stdout;
    for flag in [
        "--file",
        "--out",
        "--detailed-exitcode",
        "--prune",
        "--format",
        "--account",
        "--region",
        "--parallelism",
    ] {
        assert!(
            plan_help.contains(flag),
            "plan --help lacks {flag}: {plan_help}"
        );
    }
    let apply_help = cloud.warden(&["apply", "--help"]).expect_code(0).stdout;
    assert!(apply_help.contains("--auto-approve"), "{apply_help}");

    let actions = |parallelism: &str| {
        let plan = cloud
            .warden_with_env(
                &[
                    "plan",
                    "-f",
                    "examples/multi-account.yaml",
                    "--format",
                    "json",
                    "--parallelism",
                    parallelism,
                ],
                ENV,
            )
            .expect_code(0)
            .json();
        let mut pairs: Vec<(String, String)> = plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["address"].as_str().unwrap().to_string(),
                    c["action"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        pairs.sort();
        (pairs, plan["api_calls"]["total_calls"].clone())
    };
    let (one_at_a_time, calls_one) = actions("1");
    let (all_at_once, calls_all) = actions("16");
    assert_eq!(one_at_a_time.len(), 179);
    assert_eq!(one_at_a_time, all_at_once);
    assert_eq!(
        calls_one, calls_all,
        "the same calls, only concurrency differs"
    );
    // A bad argument is an error (1), never "changes present" (2).
    let bad = cloud
        .warden(&[
            "plan",
            "-f",
            "examples/quickstart.yaml",
            "--parallelism",
            "0",
        ])
        .expect_code(1);
    assert!(bad.stderr.contains("invalid value '0'"), "{}", bad.stderr);
    cloud.warden(&["plan", "--no-such-flag"]).expect_code(1);
}

#[test]
fn on_a_terminal_a_multi_account_run_shows_progress_per_account_in_color() {
    let cloud = LocalCloud::start();
    let run = cloud
        .warden_on_terminal(
            &[
                "apply",
                "-f",
                "examples/multi-account.yaml",
                "--auto-approve",
            ],
            ENV,
        )
        .expect_code(0);
    let screen = &run.stdout;
    for account in ["ops", "customer-a", "customer-b"] {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(account) && l.contains("done")),
            "no finished progress bar for {account}:\n{screen}"
        );
    }
    assert!(
        screen.contains("\u{1b}["),
        "no color on a terminal:\n{screen}"
    );
    assert!(screen.contains("Apply complete"), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_apply_asks_and_only_yes_applies() {
    let cloud = LocalCloud::start();
    let args = ["apply", "-f", "examples/quickstart.yaml"];
    let declined = cloud
        .warden_on_terminal_typing(&args, &[], "y\n")
        .expect_code(1);
    assert!(
        declined.stdout.contains("Only 'yes' is accepted"),
        "{}",
        declined.stdout
    );
    assert!(
        declined
            .stdout
            .contains("apply cancelled: nothing was changed"),
        "{}",
        declined.stdout
    );
    let logs = cloud.logs(common::DIRECT_ACCOUNT, "us-east-1").await;
    // The apply lease's own group (/warden/leases/…) is not part of what is applied.
    let spec_groups = || async {
        let groups = logs.describe_log_groups().send().await.unwrap();
        groups
            .log_groups()
            .iter()
            .filter_map(|g| g.log_group_name())
            .filter(|n| !n.starts_with("/warden/leases/"))
            .count()
    };
    assert_eq!(spec_groups().await, 0, "nothing is applied without `yes`");

    let accepted = cloud
        .warden_on_terminal_typing(&args, &[], "yes\n")
        .expect_code(0);
    assert!(
        accepted.stdout.contains("Apply complete"),
        "{}",
        accepted.stdout
    );
    assert_eq!(spec_groups().await, 2);
}
