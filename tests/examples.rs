//! The shipped examples run unchanged against the local cloud: validate, apply, then an empty plan.

mod common;

use common::LocalCloud;

const ENV: &[(&str, &str)] = &[
    ("CUSTOMER_A_EXTERNAL_ID", "example-a"),
    ("CUSTOMER_B_EXTERNAL_ID", "example-b"),
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
    converges("examples/quickstart.yaml", 5);
}

#[test]
fn multi_account_converges() {
    converges("examples/multi-account.yaml", 35);
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
        md.stdout.contains("| 4 | 0 | 1 | 0 | 0 | 0 |"),
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
