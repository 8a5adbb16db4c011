//! The three daily workflows end to end through the binary: laptop bootstrap (default spec
//! path, `init`, `destroy`), CI (`--format sarif`, the example workflow files) and permissions.

mod common;

use common::LocalCloud;

/// The smallest spec that talks to the local cloud's default account.
const SMALL_SPEC: &str = "version: 1
project: wf
defaults: {regions: [us-east-1]}
accounts:
  - {name: sandbox, id: \"123456789012\"}
log_groups:
  - {name: /wf/one, retention_days: 30}
";

#[test]
fn default_spec_path_is_warden_yaml_in_the_working_directory() {
    let cloud = LocalCloud::start();
    let dir = cloud.workdir.path();
    // Missing: the error names the path looked for and -f.
    for command in [
        &["validate"][..],
        &["plan"],
        &["drift"],
        &["apply", "--auto-approve"],
    ] {
        let run = cloud.warden_in(dir, command).expect_code(1);
        assert!(
            run.stderr
                .contains(&format!("{}", dir.join("warden.yaml").display()))
                && run.stderr.contains("-f SPEC")
                && run.stderr.contains("warden init"),
            "{command:?}: {}",
            run.stderr
        );
    }
    cloud.write("warden.yaml", SMALL_SPEC);
    let run = cloud.warden_in(dir, &["validate"]).expect_code(0);
    assert!(
        run.stdout.starts_with("warden.yaml is valid"),
        "{}",
        run.stdout
    );
    let run = cloud
        .warden_in(dir, &["plan", "--detailed-exitcode"])
        .expect_code(2);
    assert!(run.stdout.contains("/wf/one"), "{}", run.stdout);
    cloud
        .warden_in(dir, &["apply", "--auto-approve"])
        .expect_code(0);
    cloud.warden_in(dir, &["drift"]).expect_code(0);
    // -f still wins over the default.
    let other = cloud.write("other.yaml", &SMALL_SPEC.replace("/wf/one", "/wf/two"));
    let run = cloud
        .warden_in(dir, &["plan", "-f", common::path_str(&other)])
        .expect_code(0);
    assert!(run.stdout.contains("/wf/two"), "{}", run.stdout);
}

#[test]
fn init_writes_a_starter_spec_that_plans_applies_and_replans_empty() {
    let cloud = LocalCloud::start();
    let dir = cloud.workdir.path();
    let run = cloud
        .warden_in(dir, &["init", "--non-interactive", "--project", "laptop"])
        .expect_code(0);
    assert!(
        run.stdout
            .contains("Wrote warden.yaml for account 123456789012 (us-east-1)"),
        "{}",
        run.stdout
    );
    let written = std::fs::read_to_string(dir.join("warden.yaml")).expect("warden.yaml");
    assert!(written.contains("id: \"123456789012\"") && written.contains("regions: [us-east-1]"));
    assert!(written.contains("project: laptop"));
    // Unchanged, it validates and plans (every section creates something), applies, re-plans empty.
    cloud.warden_in(dir, &["validate"]).expect_code(0);
    let plan = cloud
        .warden_in(dir, &["plan", "--detailed-exitcode", "--format", "json"])
        .expect_code(2)
        .json();
    let kinds: std::collections::BTreeSet<String> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            c["address"]
                .as_str()
                .unwrap()
                .split('/')
                .nth(2)
                .unwrap()
                .to_string()
        })
        .collect();
    for kind in [
        "log_group",
        "iam_role",
        "s3_bucket",
        "invocation_logging",
        "cloudtrail_trail",
    ] {
        assert!(kinds.contains(kind), "no {kind} in the plan: {kinds:?}");
    }
    cloud
        .warden_in(dir, &["apply", "--auto-approve"])
        .expect_code(0);
    cloud
        .warden_in(dir, &["plan", "--detailed-exitcode"])
        .expect_code(0);

    // Never overwrites without --force.
    let run = cloud
        .warden_in(dir, &["init", "--non-interactive", "--project", "other"])
        .expect_code(1);
    assert!(
        run.stderr.contains("exists already") && run.stderr.contains("--force"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("warden.yaml")).unwrap(),
        written
    );
    // Not on a terminal and not --non-interactive: it refuses to ask.
    let run = cloud
        .warden_in(dir, &["init", "--out", "x.yaml"])
        .expect_code(1);
    assert!(run.stderr.contains("--non-interactive"), "{}", run.stderr);
    assert!(!dir.join("x.yaml").exists());
    // A bad answer is reported by the spec's own checks, and nothing is written.
    let run = cloud
        .warden_in(
            dir,
            &[
                "init",
                "--non-interactive",
                "--out",
                "x.yaml",
                "--region",
                "us-moon-1",
            ],
        )
        .expect_code(1);
    assert!(run.stderr.contains("us-moon-1"), "{}", run.stderr);
    assert!(!dir.join("x.yaml").exists());

    // On a terminal it asks; the answers go into the file.
    let asked = dir.join("asked.yaml");
    let run = cloud.warden_on_terminal_typing(
        &["init", "--out", common::path_str(&asked)],
        &[],
        "team-x\ndev\neu-west-1, us-east-1\n",
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let text = std::fs::read_to_string(&asked).expect("asked.yaml");
    assert!(
        text.contains("project: team-x")
            && text.contains("- name: dev")
            && text.contains("regions: [eu-west-1, us-east-1]"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_deletes_only_what_the_project_owns_and_keeps_buckets_with_objects() {
    let cloud = LocalCloud::start();
    let dir = cloud.workdir.path();
    let account = common::DIRECT_ACCOUNT;
    cloud
        .warden_in(dir, &["init", "--non-interactive", "--project", "sandbox"])
        .expect_code(0);
    cloud
        .warden_in(dir, &["apply", "--auto-approve"])
        .expect_code(0);
    // Somebody else's log group in the same account and region, and a log in the bucket.
    let logs = cloud.logs(account, "us-east-1").await;
    logs.create_log_group()
        .log_group_name("/team/other")
        .send()
        .await
        .unwrap();
    let s3 = cloud.s3(account, "us-east-1").await;
    let bucket = format!("bedrock-logs-{account}-us-east-1");
    s3.put_object()
        .bucket(&bucket)
        .key("invocations/log.json.gz")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();

    // Not on a terminal and no --auto-approve: refused, nothing deleted.
    let run = cloud.warden_in(dir, &["destroy"]).expect_code(1);
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert!(
        common::group_state(&logs, account, "us-east-1", "/aws/bedrock/invocations")
            .await
            .is_some()
    );

    // On a terminal it asks; anything but `yes` cancels and deletes nothing.
    let spec = dir.join("warden.yaml");
    let run =
        cloud.warden_on_terminal_typing(&["destroy", "-f", common::path_str(&spec)], &[], "no\n");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("Destroy these") && run.stdout.contains("cancelled"),
        "{}",
        run.stdout
    );
    assert!(
        common::group_state(&logs, account, "us-east-1", "/aws/bedrock/invocations")
            .await
            .is_some()
    );

    // The bucket with an object is reported and kept (exit 3); the rest goes, in reverse order.
    let run = cloud
        .warden_in(dir, &["destroy", "--auto-approve"])
        .expect_code(3);
    assert!(
        run.stdout.contains(&format!(
            "s3_bucket/{bucket} holds 1 object: not emptied and not deleted (pass --force-delete-bucket-contents"
        )),
        "{}",
        run.stdout
    );
    let position = |needle: &str| {
        run.stdout
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in:\n{}", run.stdout))
    };
    assert!(
        position("invocation_logging/default") < position("log_group//aws/bedrock/invocations")
    );
    assert!(position("cloudtrail_trail/bedrock-audit") < position("s3_bucket/bedrock-audit-"));
    for group in [
        "/aws/bedrock/invocations",
        "/aws/bedrock/data-protection-findings",
    ] {
        assert!(
            common::group_state(&logs, account, "us-east-1", group)
                .await
                .is_none(),
            "{group}"
        );
    }
    assert!(
        common::group_state(&logs, account, "us-east-1", "/team/other")
            .await
            .is_some()
    );
    let config = cloud
        .bedrock(account, "us-east-1")
        .await
        .get_model_invocation_logging_configuration()
        .send()
        .await
        .unwrap();
    assert!(
        config
            .logging_config()
            .is_none_or(|c| c.cloud_watch_config().is_none() && c.s3_config().is_none()),
        "{config:?}"
    );
    let iam = cloud.iam(account).await;
    let roles = iam.list_roles().send().await.unwrap();
    assert!(
        roles
            .roles()
            .iter()
            .all(|r| !r.role_name().starts_with("warden-")),
        "{:?}",
        roles
            .roles()
            .iter()
            .map(|r| r.role_name())
            .collect::<Vec<_>>()
    );
    let trails = aws_sdk_cloudtrail::Client::new(&cloud.sdk(account, "us-east-1").await)
        .describe_trails()
        .send()
        .await
        .unwrap();
    assert!(trails.trail_list().is_empty(), "{trails:?}\n{}", run.stdout);
    let buckets: Vec<String> = s3
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect();
    assert_eq!(buckets, vec![bucket.clone()]);

    // Told to, it empties the bucket and deletes it.
    let run = cloud
        .warden_in(
            dir,
            &[
                "destroy",
                "--auto-approve",
                "--force-delete-bucket-contents",
            ],
        )
        .expect_code(0);
    assert!(run.stdout.contains("emptied first"), "{}", run.stdout);
    assert!(s3.list_buckets().send().await.unwrap().buckets().is_empty());
    // Nothing of the project is left: a plan creates everything again, and /team/other stays.
    let run = cloud
        .warden_in(dir, &["destroy", "--auto-approve"])
        .expect_code(0);
    assert!(
        run.stdout
            .contains("Nothing to destroy: project `sandbox` owns nothing else"),
        "{}",
        run.stdout
    );
    let plan = cloud
        .warden_in(dir, &["plan", "--format", "json"])
        .expect_code(0)
        .json();
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["action"] == "create"
                || c["address"]
                    .as_str()
                    .unwrap()
                    .contains("invocation_logging")),
        "{plan:#}"
    );
    assert!(
        common::group_state(&logs, account, "us-east-1", "/team/other")
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sarif_drift_results_point_at_the_spec_line_that_declares_the_resource() {
    let cloud = LocalCloud::start();
    let spec = cloud.write("warden.yaml", SMALL_SPEC);
    let spec = common::path_str(&spec);
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    let clean = cloud
        .warden(&["drift", "-f", spec, "--format", "sarif"])
        .expect_code(0)
        .json();
    assert_eq!(clean["version"], "2.1.0");
    assert_eq!(clean["runs"][0]["results"], serde_json::json!([]));
    // Changed behind warden's back: one result, a warning, at the line of `/wf/one`.
    cloud
        .logs(common::DIRECT_ACCOUNT, "us-east-1")
        .await
        .put_retention_policy()
        .log_group_name("/wf/one")
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    let log = cloud
        .warden(&["drift", "-f", spec, "--format", "sarif"])
        .expect_code(2)
        .json();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{log:#}");
    let (line, column) = SMALL_SPEC
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("/wf/one").map(|c| (i + 1, c + 1)))
        .unwrap();
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], spec);
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": line, "startColumn": column})
    );
    assert_eq!(results[0]["ruleId"], "drifted");
    assert_eq!(results[0]["level"], "warning");
    assert!(
        results[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("retention_days: 7 → 30"),
        "{log:#}"
    );
    // plan speaks of changes (notes), with the same location.
    let plan = cloud
        .warden(&[
            "plan",
            "-f",
            spec,
            "--format",
            "sarif",
            "--detailed-exitcode",
        ])
        .expect_code(2)
        .json();
    assert_eq!(plan["runs"][0]["results"][0]["ruleId"], "update");
    assert_eq!(
        plan["runs"][0]["results"][0]["locations"],
        results[0]["locations"]
    );
    // validate has no SARIF: said so, not silently text.
    let run = cloud
        .warden(&["validate", "-f", spec, "--format", "sarif"])
        .expect_code(1);
    assert!(run.stderr.contains("no SARIF"), "{}", run.stderr);
    // JUnit for GitLab and Jenkins: the drifted group is a failing test case.
    let run = cloud
        .warden(&["drift", "-f", spec, "--format", "junit"])
        .expect_code(2);
    assert!(
        run.stdout
            .contains(r#"<testsuites name="warden drift" tests="1" failures="1" errors="0">"#)
            && run.stdout.contains(r#"<failure type="drifted""#)
            && run.stdout.contains("retention_days: 7 -&gt; 30"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_of_a_console_setup_plans_only_adopt() {
    let cloud = LocalCloud::start();
    let dir = cloud.workdir.path();
    let account = common::DIRECT_ACCOUNT;
    // What someone clicked together in the console.
    let logs = cloud.logs(account, "us-east-1").await;
    for group in [
        "/aws/bedrock/invocations",
        "/aws/bedrock/findings",
        "/other/app",
    ] {
        logs.create_log_group()
            .log_group_name(group)
            .send()
            .await
            .unwrap();
    }
    logs.put_retention_policy()
        .log_group_name("/aws/bedrock/invocations")
        .retention_in_days(90)
        .send()
        .await
        .unwrap();
    let ids = r#"["arn:aws:dataprotection::aws:data-identifier/EmailAddress","arn:aws:dataprotection::aws:data-identifier/AwsSecretKey"]"#;
    let document = format!(
        r#"{{"Name":"console-policy","Version":"2021-06-01","Statement":[
            {{"Sid":"audit","DataIdentifier":{ids},"Operation":{{"Audit":{{"FindingsDestination":{{"CloudWatchLogs":{{"LogGroup":"/aws/bedrock/findings"}}}}}}}}}},
            {{"Sid":"redact","DataIdentifier":{ids},"Operation":{{"Deidentify":{{"MaskConfig":{{}}}}}}}}]}}"#
    );
    logs.put_data_protection_policy()
        .log_group_identifier("/aws/bedrock/invocations")
        .policy_document(&document)
        .send()
        .await
        .unwrap();
    let account_document = document.replace("console-policy", "account-policy");
    logs.put_account_policy()
        .policy_name("account-policy")
        .policy_type(aws_sdk_cloudwatchlogs::types::PolicyType::DataProtectionPolicy)
        .policy_document(&account_document)
        .send()
        .await
        .unwrap();
    let iam = cloud.iam(account).await;
    iam.create_role()
        .role_name("console-bedrock-logging")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let s3 = cloud.s3(account, "us-east-1").await;
    s3.create_bucket()
        .bucket("console-bedrock-logs")
        .send()
        .await
        .unwrap();
    use aws_sdk_bedrock::types::{CloudWatchConfig, LoggingConfig, S3Config};
    cloud
        .bedrock(account, "us-east-1")
        .await
        .put_model_invocation_logging_configuration()
        .logging_config(
            LoggingConfig::builder()
                .cloud_watch_config(
                    CloudWatchConfig::builder()
                        .log_group_name("/aws/bedrock/invocations")
                        .role_arn(format!(
                            "arn:aws:iam::{account}:role/console-bedrock-logging"
                        ))
                        .build()
                        .unwrap(),
                )
                .s3_config(
                    S3Config::builder()
                        .bucket_name("console-bedrock-logs")
                        .key_prefix("bedrock")
                        .build()
                        .unwrap(),
                )
                .text_data_delivery_enabled(true)
                .image_data_delivery_enabled(false)
                .embedding_data_delivery_enabled(true)
                .video_data_delivery_enabled(false)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let run = cloud
        .warden_in(
            dir,
            &["import", "--region", "us-east-1", "--project", "adopted"],
        )
        .expect_code(0);
    assert!(
        run.stdout
            .contains("2 log group(s), invocation logging, the account data-protection policy"),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(dir.join("warden.yaml")).unwrap();
    assert!(
        !text.contains("/other/app") && text.contains("retention_days: 90"),
        "{text}"
    );
    // Planning it right after: only adopt (the ownership tag), nothing to update.
    let plan = cloud
        .warden_in(dir, &["plan", "--format", "json"])
        .expect_code(0)
        .json();
    assert!(plan["errors"].as_array().unwrap().is_empty(), "{plan:#}");
    let pending: Vec<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_string(),
                c["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        pending,
        [
            (
                "adopt".to_string(),
                "main/us-east-1/log_group//aws/bedrock/findings".to_string()
            ),
            (
                "adopt".to_string(),
                "main/us-east-1/log_group//aws/bedrock/invocations".to_string()
            ),
        ],
        "{text}\n{plan:#}"
    );
    for change in plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "adopt")
    {
        let fields: Vec<&str> = change["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["tags.warden:managed-by"], "{change:#}");
    }
    cloud
        .warden_in(dir, &["apply", "--auto-approve"])
        .expect_code(0);
    cloud
        .warden_in(dir, &["plan", "--detailed-exitcode"])
        .expect_code(0);
    // Never overwrites without --force.
    cloud
        .warden_in(dir, &["import", "--region", "us-east-1"])
        .expect_code(1);
}
