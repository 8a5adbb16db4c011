//! End to end against the local cloud, through the binary: three accounts (one direct, two by
//! assume role with external id) × two regions — apply, empty re-plan, drift, repair, ownership.

mod common;

use common::{api_operation, group_state, path_str, LocalCloud, DIRECT_ACCOUNT};

const SPEC: &str = r#"
version: 1
project: governance
defaults:
  regions: [us-east-1, eu-west-1]
  tags:
    owner: platform
accounts:
  - name: ops
    id: "123456789012"
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
    external_id: ${env:CUSTOMER_A_EXTERNAL_ID}
    tags:
      customer: a
  - name: customer-b
    id: "222222222222"
    role_arn: arn:aws:iam::222222222222:role/warden
    external_id: ${env:CUSTOMER_B_EXTERNAL_ID}
    overrides:
      - regions: [eu-west-1]
        log_groups:
          - name: /aws/bedrock/invocations
            retention_days: 3653
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 1827
    kms_key_id: arn:aws:kms:{region}:{account}:key/0f1e2d3c-aaaa-bbbb-cccc-123456789abc
    tags:
      data-class: prompts
  - name: /bedrock-warden/audit
    retention_days: 365
"#;

const ENV: &[(&str, &str)] = &[
    ("CUSTOMER_A_EXTERNAL_ID", "ext-a-7f3c"),
    ("CUSTOMER_B_EXTERNAL_ID", "ext-b-19d2"),
];

const ACCOUNTS: &[(&str, &str)] = &[
    ("ops", DIRECT_ACCOUNT),
    ("customer-a", "111111111111"),
    ("customer-b", "222222222222"),
];
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

#[tokio::test(flavor = "multi_thread")]
async fn apply_plan_drift_repair_across_three_accounts_and_two_regions() {
    let cloud = LocalCloud::start();
    let spec = cloud.write("spec.yaml", SPEC);
    let spec = path_str(&spec);

    let plan = cloud
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
        .expect_code(2);
    let plan = plan.json();
    assert_eq!(plan["summary"]["create"], 12, "{plan:#}");
    // One AssumeRole per assumed account (two), shared by both of its regions.
    let assume = api_operation(&plan, "AssumeRole");
    assert_eq!(assume["calls"], 2, "{assume}");

    cloud
        .warden_with_env(&["apply", "-f", spec, "--auto-approve"], ENV)
        .expect_code(0);

    // Every group is in the right account and region with the right settings.
    for (name, account) in ACCOUNTS {
        for region in REGIONS {
            let logs = cloud.logs(account, region).await;
            let invocations = group_state(&logs, account, region, "/aws/bedrock/invocations")
                .await
                .unwrap_or_else(|| panic!("invocations group missing in {name}/{region}"));
            let expected_retention = if *name == "customer-b" && *region == "eu-west-1" {
                3653
            } else {
                1827
            };
            assert_eq!(
                invocations.retention,
                Some(expected_retention),
                "{name}/{region}"
            );
            assert_eq!(
                invocations.kms_key_id.as_deref(),
                Some(
                    format!(
                        "arn:aws:kms:{region}:{account}:key/0f1e2d3c-aaaa-bbbb-cccc-123456789abc"
                    )
                    .as_str()
                )
            );
            assert_eq!(
                invocations
                    .tags
                    .get("warden:managed-by")
                    .map(String::as_str),
                Some("governance")
            );
            assert_eq!(
                invocations.tags.get("owner").map(String::as_str),
                Some("platform")
            );
            assert_eq!(
                invocations.tags.get("data-class").map(String::as_str),
                Some("prompts")
            );
            assert_eq!(
                invocations.tags.get("customer").map(String::as_str),
                (*name == "customer-a").then_some("a")
            );
            let audit = group_state(&logs, account, region, "/bedrock-warden/audit")
                .await
                .expect("audit group");
            assert_eq!(audit.retention, Some(365));
            assert_eq!(audit.kms_key_id, None);
        }
    }
    // Nothing leaked into an account that should not have it: the direct account holds only its own.
    let other = cloud.logs(DIRECT_ACCOUNT, "ap-southeast-2").await;
    assert!(group_state(
        &other,
        DIRECT_ACCOUNT,
        "ap-southeast-2",
        "/aws/bedrock/invocations"
    )
    .await
    .is_none());

    // The next plan is empty.
    let again = cloud
        .warden_with_env(&["plan", "-f", spec, "--detailed-exitcode"], ENV)
        .expect_code(0);
    assert!(
        again
            .stdout
            .contains("No changes. 12 resources match the spec."),
        "{}",
        again.stdout
    );

    // Drift behind the tool's back: a retention changed in customer-a/eu-west-1, a group
    // deleted in ops/us-east-1.
    let logs_a = cloud.logs("111111111111", "eu-west-1").await;
    logs_a
        .put_retention_policy()
        .log_group_name("/aws/bedrock/invocations")
        .retention_in_days(30)
        .send()
        .await
        .unwrap();
    let logs_ops = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    logs_ops
        .delete_log_group()
        .log_group_name("/bedrock-warden/audit")
        .send()
        .await
        .unwrap();

    let drift = cloud
        .warden_with_env(&["drift", "-f", spec, "--format", "json"], ENV)
        .expect_code(2);
    let report = drift.json();
    let drifted: Vec<(String, String, Vec<String>)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
                c["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["path"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        drifted,
        vec![
            (
                "customer-a/eu-west-1/log_group//aws/bedrock/invocations".to_string(),
                "update".to_string(),
                vec!["retention_days".to_string()]
            ),
            (
                "ops/us-east-1/log_group//bedrock-warden/audit".to_string(),
                "create".to_string(),
                vec![
                    "retention_days".to_string(),
                    "tags.owner".to_string(),
                    "tags.warden:managed-by".to_string()
                ]
            ),
        ]
    );
    let field = &report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == "update")
        .unwrap()["fields"][0];
    assert_eq!(
        (field["before"].as_i64(), field["after"].as_i64()),
        (Some(30), Some(1827))
    );

    // The text report names both addresses and the field, in drift words.
    let text = cloud
        .warden_with_env(&["drift", "-f", spec], ENV)
        .expect_code(2);
    assert!(
        text.stdout
            .contains("customer-a/eu-west-1/log_group//aws/bedrock/invocations"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("retention_days: live 30, spec 1827"),
        "{}",
        text.stdout
    );
    assert!(text
        .stdout
        .contains("ops/us-east-1/log_group//bedrock-warden/audit"));
    assert!(text
        .stdout
        .contains("Drift: 2 resources differ from the spec"));

    // Apply repairs both; drift is clean again.
    cloud
        .warden_with_env(&["apply", "-f", spec, "--auto-approve"], ENV)
        .expect_code(0);
    let repaired = group_state(
        &logs_a,
        "111111111111",
        "eu-west-1",
        "/aws/bedrock/invocations",
    )
    .await
    .unwrap();
    assert_eq!(repaired.retention, Some(1827));
    assert!(group_state(
        &logs_ops,
        DIRECT_ACCOUNT,
        "us-east-1",
        "/bedrock-warden/audit"
    )
    .await
    .is_some());
    cloud
        .warden_with_env(&["drift", "-f", spec], ENV)
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_created_outside_the_tool_are_adopted_visibly_and_never_pruned() {
    let cloud = LocalCloud::start();
    let logs = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    for name in ["/team/hand-made", "/aws/bedrock/invocations"] {
        logs.create_log_group()
            .log_group_name(name)
            .send()
            .await
            .unwrap();
    }
    let spec = cloud.write(
        "spec.yaml",
        r#"
version: 1
accounts:
  - name: ops
    id: "123456789012"
    regions: [us-east-1]
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 731
  - name: /bedrock-warden/audit
    retention_days: 365
"#,
    );
    let spec = path_str(&spec);
    let plan = cloud
        .warden(&["plan", "-f", spec, "--prune"])
        .expect_code(0);
    assert!(
        plan.stdout
            .contains("& log_group /aws/bedrock/invocations  adopt"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("exists but was not created by warden"));
    assert!(!plan.stdout.contains("/team/hand-made"), "{}", plan.stdout);
    cloud
        .warden(&["apply", "-f", spec, "--prune", "--auto-approve"])
        .expect_code(0);

    // Remove the audit group from the spec: with --prune it goes (warden created it);
    // the hand-made group stays, and the adopted one stays while it is in the spec.
    let smaller = cloud.write(
        "smaller.yaml",
        r#"
version: 1
accounts:
  - name: ops
    id: "123456789012"
    regions: [us-east-1]
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 731
"#,
    );
    let smaller = path_str(&smaller);
    let without_prune = cloud
        .warden(&["plan", "-f", smaller, "--detailed-exitcode"])
        .expect_code(0);
    assert!(
        without_prune.stdout.contains("No changes"),
        "{}",
        without_prune.stdout
    );
    let pruning = cloud
        .warden(&["plan", "-f", smaller, "--prune", "--detailed-exitcode"])
        .expect_code(2);
    assert!(
        pruning
            .stdout
            .contains("- log_group /bedrock-warden/audit  delete"),
        "{}",
        pruning.stdout
    );
    assert!(!pruning.stdout.contains("hand-made"));
    cloud
        .warden(&["apply", "-f", smaller, "--prune", "--auto-approve"])
        .expect_code(0);

    assert!(
        group_state(&logs, DIRECT_ACCOUNT, "us-east-1", "/bedrock-warden/audit")
            .await
            .is_none()
    );
    assert!(
        group_state(&logs, DIRECT_ACCOUNT, "us-east-1", "/team/hand-made")
            .await
            .is_some()
    );
    let adopted = group_state(
        &logs,
        DIRECT_ACCOUNT,
        "us-east-1",
        "/aws/bedrock/invocations",
    )
    .await
    .unwrap();
    assert_eq!(adopted.retention, Some(731));
    assert_eq!(
        adopted.tags.get("warden:managed-by").map(String::as_str),
        Some("default")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_saved_plan_is_refused_and_a_fresh_one_applies() {
    let cloud = LocalCloud::start();
    let spec = cloud.write(
        "spec.yaml",
        r#"
version: 1
accounts:
  - name: ops
    id: "123456789012"
    regions: [us-east-1]
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 1827
"#,
    );
    let spec = path_str(&spec);
    let plan_path = cloud.workdir.path().join("plan.json");
    let plan_file = path_str(&plan_path);
    cloud
        .warden(&["plan", "-f", spec, "--out", plan_file])
        .expect_code(0);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    assert_eq!(saved["format_version"], 1);

    // Someone creates the group between plan and apply.
    let logs = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    logs.create_log_group()
        .log_group_name("/aws/bedrock/invocations")
        .send()
        .await
        .unwrap();
    let refused = cloud
        .warden(&["apply", plan_file, "--auto-approve"])
        .expect_code(1);
    assert!(
        refused.stderr.contains("the saved plan is stale"),
        "{}",
        refused.stderr
    );
    assert!(refused
        .stderr
        .contains("ops/us-east-1/log_group//aws/bedrock/invocations"));
    assert!(refused
        .stderr
        .contains("was absent when planned; it exists now"));
    let untouched = group_state(
        &logs,
        DIRECT_ACCOUNT,
        "us-east-1",
        "/aws/bedrock/invocations",
    )
    .await
    .unwrap();
    assert_eq!(
        untouched.retention, None,
        "a refused plan must change nothing"
    );

    // A fresh plan applies, and a changed retention after planning makes it stale again.
    cloud
        .warden(&["plan", "-f", spec, "--out", plan_file])
        .expect_code(0);
    cloud
        .warden(&["apply", plan_file, "--auto-approve"])
        .expect_code(0);
    cloud
        .warden(&["plan", "-f", spec, "--detailed-exitcode"])
        .expect_code(0);

    let spec2 = cloud.write(
        "spec2.yaml",
        &std::fs::read_to_string(spec)
            .unwrap()
            .replace("1827", "3653"),
    );
    cloud
        .warden(&["plan", "-f", path_str(&spec2), "--out", plan_file])
        .expect_code(0);
    logs.put_retention_policy()
        .log_group_name("/aws/bedrock/invocations")
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    let refused = cloud
        .warden(&["apply", plan_file, "--auto-approve"])
        .expect_code(1);
    assert!(
        refused
            .stderr
            .contains("retention_days: 1827 at plan time, 7 now"),
        "{}",
        refused.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_unreachable_account_does_not_stop_the_others() {
    let cloud = LocalCloud::start();
    // `wrong` claims an id the caller's credentials do not belong to.
    let spec = cloud.write(
        "spec.yaml",
        r#"
version: 1
defaults:
  regions: [us-east-1]
accounts:
  - name: ops
    id: "123456789012"
  - name: wrong
    id: "333333333333"
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 90
"#,
    );
    let spec = path_str(&spec);
    let plan = cloud
        .warden(&["plan", "-f", spec, "--format", "json"])
        .expect_code(3);
    let plan = plan.json();
    assert_eq!(plan["summary"]["create"], 2);
    assert_eq!(plan["errors"][0]["account"], "wrong");
    assert!(plan["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("belong to account 123456789012"));

    let applied = cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(3);
    assert!(
        applied
            .stdout
            .contains("✓ create customer-a/us-east-1/log_group//aws/bedrock/invocations"),
        "{}",
        applied.stdout
    );
    assert!(
        applied.stdout.contains("error: account wrong"),
        "{}",
        applied.stdout
    );
    let a = cloud.logs("111111111111", "us-east-1").await;
    assert_eq!(
        group_state(&a, "111111111111", "us-east-1", "/aws/bedrock/invocations")
            .await
            .unwrap()
            .retention,
        Some(90)
    );

    // Filters narrow the run to what works.
    cloud
        .warden(&[
            "plan",
            "-f",
            spec,
            "--account",
            "ops",
            "--account",
            "111111111111",
            "--detailed-exitcode",
        ])
        .expect_code(0);
    let unknown = cloud
        .warden(&["plan", "-f", spec, "--account", "opz"])
        .expect_code(1);
    assert!(
        unknown.stderr.contains("did you mean `ops`?"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_retried_with_backoff_and_counted() {
    let faults = serde_json::json!({
        "logs:DescribeLogGroups": {"times": 3, "status": 400, "code": "ThrottlingException", "message": "Rate exceeded"}
    })
    .to_string();
    let cloud = LocalCloud::start_with_env(&[("WARDEN_MOTO_FAULTS", &faults)]);
    let spec = cloud.write(
        "spec.yaml",
        r#"
version: 1
accounts:
  - name: ops
    id: "123456789012"
    regions: [us-east-1]
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 30
"#,
    );
    let plan = cloud
        .warden(&[
            "plan",
            "-f",
            path_str(&spec),
            "--format",
            "json",
            "--detailed-exitcode",
        ])
        .expect_code(2)
        .json();
    assert_eq!(plan["summary"]["create"], 1);
    let describe = api_operation(&plan, "DescribeLogGroups");
    assert_eq!(
        (describe["calls"].as_u64(), describe["attempts"].as_u64()),
        (Some(1), Some(4)),
        "{describe}"
    );
    let text = cloud
        .warden(&["plan", "-f", path_str(&spec), "-v"])
        .expect_code(0);
    assert!(
        // GetCallerIdentity, DescribeLogGroups, the look at invocation logging (not in
        // this spec) that lets the plan say it is left alone, and the look at the apply lease.
        text.stdout.contains("AWS API calls: 4 (0 retries)"),
        "{}",
        text.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_assume_role_fails_that_account_only() {
    // The role in customer-a trusts the caller only with external id `right-id` (the harness
    // enforces a trust policy's sts:ExternalId condition, as AWS does).
    let cloud = LocalCloud::start();
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "right-id"}}
        }]
    });
    cloud
        .iam("111111111111")
        .await
        .create_role()
        .role_name("warden")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
    let spec_with = |external_id: &str| {
        format!(
            r#"
version: 1
defaults:
  regions: [us-east-1, eu-west-1]
accounts:
  - name: ops
    id: "123456789012"
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
    external_id: {external_id}
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 30
"#
        )
    };
    // The right external id reaches STS: both accounts plan.
    let right = cloud.write("right.yaml", &spec_with("right-id"));
    let plan = cloud
        .warden(&["plan", "-f", path_str(&right), "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(plan["summary"]["create"], 4, "{plan:#}");
    assert_eq!(plan["errors"], serde_json::json!([]));

    let spec = cloud.write("spec.yaml", &spec_with("wrong-id"));
    let plan = cloud
        .warden(&["plan", "-f", path_str(&spec), "--format", "json"])
        .expect_code(3)
        .json();
    assert_eq!(
        plan["summary"]["create"], 2,
        "ops is planned in both regions: {plan:#}"
    );
    let errors = plan["errors"].as_array().unwrap();
    assert_eq!(
        errors.len(),
        1,
        "one error for the account, not one per region: {errors:?}"
    );
    assert_eq!(errors[0]["account"], "customer-a");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("access denied"),
        "{errors:?}"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("`external_id` must match"),
        "{errors:?}"
    );
    let assume = api_operation(&plan, "AssumeRole");
    assert_eq!(
        assume["calls"], 1,
        "one AssumeRole per account, shared by its regions"
    );

    // Issue 9 (5): a saved plan that cannot be checked in one of two accounts is refused, and
    // the message says where — not "no account could be reached".
    let from_env = cloud.write("env.yaml", &spec_with("${env:CUSTOMER_A_EXTERNAL_ID}"));
    let saved = cloud.workdir.path().join("plan.json");
    cloud
        .warden_with_env(
            &["plan", "-f", path_str(&from_env), "--out", path_str(&saved)],
            &[("CUSTOMER_A_EXTERNAL_ID", "right-id")],
        )
        .expect_code(0);
    let refused = cloud
        .warden_with_env(
            &["apply", path_str(&saved), "--auto-approve"],
            &[("CUSTOMER_A_EXTERNAL_ID", "wrong-id")],
        )
        .expect_code(1);
    assert!(
        refused
            .stderr
            .contains("the saved plan could not be checked against live state in 1 place(s), so nothing was applied"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("customer-a"), "{}", refused.stderr);
    assert!(
        !refused.stderr.contains("no account could be reached"),
        "{}",
        refused.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn log_groups_are_read_fifty_per_call() {
    let cloud = LocalCloud::start();
    let mut spec = String::from(
        "version: 1\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1]\nlog_groups:\n",
    );
    for i in 0..51 {
        spec.push_str(&format!(
            "  - name: /bench/group-{i:02}\n    retention_days: 30\n"
        ));
    }
    let spec = cloud.write("spec.yaml", &spec);
    let describes =
        |plan: &serde_json::Value| api_operation(plan, "DescribeLogGroups")["calls"].as_u64();
    let plan = cloud
        .warden(&["plan", "-f", path_str(&spec), "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(plan["summary"]["create"], 51);
    assert_eq!(describes(&plan), Some(2), "51 groups: two batches");
    cloud
        .warden(&["apply", "-f", path_str(&spec), "--auto-approve"])
        .expect_code(0);
    let plan = cloud
        .warden(&[
            "plan",
            "-f",
            path_str(&spec),
            "--format",
            "json",
            "--detailed-exitcode",
        ])
        .expect_code(0)
        .json();
    assert_eq!(plan["summary"]["no_op"], 51);
    assert_eq!(
        describes(&plan),
        Some(2),
        "existing groups: still two batches"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_refuses_to_prompt_when_not_on_a_terminal() {
    let cloud = LocalCloud::start();
    let spec = cloud.write(
        "spec.yaml",
        "version: 1\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1]\nlog_groups:\n  - name: /aws/bedrock/invocations\n    retention_days: 30\n",
    );
    // The test runs warden with standard input closed: no terminal to ask on.
    let run = cloud
        .warden(&["apply", "-f", path_str(&spec)])
        .expect_code(1);
    assert!(
        run.stderr
            .contains("refusing to ask for confirmation: standard input is not a terminal"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    let logs = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    assert!(
        group_state(
            &logs,
            DIRECT_ACCOUNT,
            "us-east-1",
            "/aws/bedrock/invocations"
        )
        .await
        .is_none(),
        "nothing was created"
    );
}
