//! Bedrock model invocation logging end to end against the local cloud, through the binary, in
//! two accounts and two regions: the whole chain, drift in plain words, repair, turning it off,
//! and the IAM propagation retry.

mod common;

use common::{api_operation, path_str, LocalCloud, Run, DIRECT_ACCOUNT};
use serde_json::{json, Value};

const CUSTOMER: &str = "111111111111";
const ACCOUNTS: &[(&str, &str)] = &[("ops", DIRECT_ACCOUNT), ("customer-a", CUSTOMER)];
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

const SPEC: &str = r#"
version: 1
project: gov
defaults:
  regions: [us-east-1, eu-west-1]
accounts:
  - name: ops
    id: "123456789012"
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
    external_id: ext-a
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 1827
invocation_logging:
  data:
    video: false
  cloudwatch:
    log_group: /aws/bedrock/invocations
    role: {}
    large_data:
      bucket: bedrock-large-{account}-{region}
      key_prefix: large
  s3:
    bucket: bedrock-logs-{account}-{region}
    key_prefix: invocations
"#;

fn decode(text: &str) -> Value {
    let decoded = percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap();
    serde_json::from_str(&decoded).unwrap()
}

/// A policy element that may be one string or a list, as a list.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap().to_string())
            .collect(),
        other => panic!("not a string or list: {other}"),
    }
}

fn drifted(run: &Run) -> Vec<(String, Vec<String>, String)> {
    run.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["path"].as_str().unwrap().to_string())
                    .collect(),
                c["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_chain_is_created_checked_and_repaired() {
    let cloud = LocalCloud::start();
    let spec = cloud.write("spec.yaml", SPEC);
    let spec = path_str(&spec);

    // The plan has the chain in dependency order for each scope; the text shows the chain,
    // made alike in every account and region, once, in that order.
    let json = cloud
        .warden(&["plan", "-f", spec, "--format", "json"])
        .expect_code(0)
        .json();
    let ops_east: Vec<String> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap().to_string())
        .filter(|a| a.starts_with("ops/us-east-1/"))
        .collect();
    assert_eq!(ops_east.len(), 5, "{json:#}");
    let kinds: Vec<&str> = ops_east
        .iter()
        .map(|a| a.split('/').nth(2).unwrap())
        .collect();
    let plan = cloud.warden(&["plan", "-f", spec]).expect_code(0);
    let grouped: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.contains(" in 4 account-regions"))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(grouped, kinds, "{}", plan.stdout);
    assert_eq!(
        kinds,
        vec![
            "s3_bucket",
            "s3_bucket",
            "iam_role",
            "log_group",
            "invocation_logging"
        ],
        "what is needed comes first: {}",
        plan.stdout
    );

    let applied = cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    assert!(
        applied
            .stdout
            .contains("Apply complete: 20 applied, 0 not applied."),
        "{}",
        applied.stdout
    );

    for (_, account) in ACCOUNTS {
        for region in REGIONS {
            let bedrock = cloud.bedrock(account, region).await;
            let config = bedrock
                .get_model_invocation_logging_configuration()
                .send()
                .await
                .unwrap()
                .logging_config
                .expect("logging configured");
            let cw = config.cloud_watch_config().expect("cloudwatch destination");
            assert_eq!(cw.log_group_name(), "/aws/bedrock/invocations");
            let role_name = format!("warden-bedrock-logging-{region}");
            assert_eq!(
                cw.role_arn(),
                format!("arn:aws:iam::{account}:role/{role_name}")
            );
            let large = cw.large_data_delivery_s3_config().expect("large data");
            assert_eq!(
                large.bucket_name(),
                format!("bedrock-large-{account}-{region}")
            );
            assert_eq!(large.key_prefix(), Some("large"));
            let s3 = config.s3_config().expect("s3 destination");
            assert_eq!(s3.bucket_name(), format!("bedrock-logs-{account}-{region}"));
            assert_eq!(s3.key_prefix(), Some("invocations"));
            assert_eq!(
                (
                    config.text_data_delivery_enabled(),
                    config.image_data_delivery_enabled(),
                    config.embedding_data_delivery_enabled(),
                    config.video_data_delivery_enabled()
                ),
                (Some(true), Some(true), Some(true), Some(false))
            );

            // The trust policy is confused-deputy safe.
            let iam = cloud.iam(account).await;
            let role = iam
                .get_role()
                .role_name(&role_name)
                .send()
                .await
                .unwrap()
                .role
                .unwrap();
            let trust = decode(role.assume_role_policy_document().unwrap());
            let statement = &trust["Statement"][0];
            assert_eq!(statement["Principal"]["Service"], "bedrock.amazonaws.com");
            assert_eq!(
                statement["Condition"]["StringEquals"]["aws:SourceAccount"],
                *account
            );
            assert_eq!(
                statement["Condition"]["ArnLike"]["aws:SourceArn"],
                format!("arn:aws:bedrock:{region}:{account}:*")
            );
            let inline = iam
                .get_role_policy()
                .role_name(&role_name)
                .policy_name("warden-bedrock-invocation-logging")
                .send()
                .await
                .unwrap();
            let inline = decode(inline.policy_document());
            assert!(inline.to_string().contains(&format!(
                "arn:aws:logs:{region}:{account}:log-group:/aws/bedrock/invocations:log-stream:aws/bedrock/modelinvocations"
            )));

            // Both buckets (S3 destination and large data): the policy grants only Bedrock,
            // only PutObject, only on the right prefix, with both conditions; default
            // encryption is on and public access is blocked.
            let s3c = cloud.s3(account, region).await;
            for (bucket, prefix) in [
                (format!("bedrock-logs-{account}-{region}"), "invocations"),
                (format!("bedrock-large-{account}-{region}"), "large"),
            ] {
                let policy: Value = serde_json::from_str(
                    s3c.get_bucket_policy()
                        .bucket(&bucket)
                        .send()
                        .await
                        .unwrap()
                        .policy()
                        .unwrap(),
                )
                .unwrap();
                let statements = policy["Statement"].as_array().unwrap();
                assert_eq!(statements.len(), 1, "{bucket}: {policy:#}");
                let s = &statements[0];
                assert_eq!(s["Principal"], json!({"Service": "bedrock.amazonaws.com"}));
                assert_eq!(s["Effect"], "Allow");
                assert_eq!(strings(&s["Action"]), vec!["s3:PutObject"], "{bucket}");
                assert_eq!(
                    strings(&s["Resource"]),
                    vec![format!(
                        "arn:aws:s3:::{bucket}/{prefix}/AWSLogs/{account}/BedrockModelInvocationLogs/*"
                    )],
                    "{bucket}"
                );
                assert_eq!(
                    s["Condition"]["StringEquals"]["aws:SourceAccount"],
                    *account
                );
                assert_eq!(
                    s["Condition"]["ArnLike"]["aws:SourceArn"],
                    format!("arn:aws:bedrock:{region}:{account}:*")
                );
                let pab = s3c
                    .get_public_access_block()
                    .bucket(&bucket)
                    .send()
                    .await
                    .unwrap();
                let pab = pab.public_access_block_configuration().unwrap();
                assert_eq!(
                    (
                        pab.block_public_acls(),
                        pab.ignore_public_acls(),
                        pab.block_public_policy(),
                        pab.restrict_public_buckets()
                    ),
                    (Some(true), Some(true), Some(true), Some(true)),
                    "{bucket}"
                );
                let encryption = s3c
                    .get_bucket_encryption()
                    .bucket(&bucket)
                    .send()
                    .await
                    .unwrap();
                let rule = &encryption
                    .server_side_encryption_configuration()
                    .unwrap()
                    .rules()[0];
                assert_eq!(
                    rule.apply_server_side_encryption_by_default()
                        .unwrap()
                        .sse_algorithm()
                        .as_str(),
                    "AES256",
                    "{bucket}"
                );
            }
        }
    }

    cloud
        .warden(&["plan", "-f", spec, "--detailed-exitcode"])
        .expect_code(0);

    let bedrock = cloud.bedrock(CUSTOMER, "eu-west-1").await;
    let addr = "customer-a/eu-west-1/invocation_logging/default";
    let current = bedrock
        .get_model_invocation_logging_configuration()
        .send()
        .await
        .unwrap()
        .logging_config
        .unwrap();

    // 1. Logging redirected to another bucket.
    let mut redirected = current.clone();
    redirected.s3_config = Some(
        aws_sdk_bedrock::types::S3Config::builder()
            .bucket_name("somebody-elses-bucket")
            .build()
            .unwrap(),
    );
    bedrock
        .put_model_invocation_logging_configuration()
        .logging_config(redirected)
        .send()
        .await
        .unwrap();
    let drift = cloud
        .warden(&["drift", "-f", spec, "--format", "json"])
        .expect_code(2);
    let found = drifted(&drift);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, addr);
    assert!(found[0].1.contains(&"s3.bucket".to_string()), "{found:?}");
    assert!(found[0].2.contains("S3 delivery goes to somebody-elses-bucket instead of bedrock-logs-111111111111-eu-west-1"), "{found:?}");
    let text = cloud.warden(&["drift", "-f", spec]).expect_code(2);
    assert!(
        text.stdout
            .contains("S3 delivery goes to somebody-elses-bucket"),
        "{}",
        text.stdout
    );
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    cloud.warden(&["drift", "-f", spec]).expect_code(0);

    // 2. A data type switched off.
    let mut quieter = current.clone();
    quieter.text_data_delivery_enabled = Some(false);
    bedrock
        .put_model_invocation_logging_configuration()
        .logging_config(quieter)
        .send()
        .await
        .unwrap();
    let drift = cloud
        .warden(&["drift", "-f", spec, "--format", "json"])
        .expect_code(2);
    let found = drifted(&drift);
    assert_eq!(
        (found[0].0.as_str(), found[0].1.clone()),
        (addr, vec!["data.text".to_string()])
    );
    assert!(found[0].2.contains("text data delivery was turned off"));
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    cloud.warden(&["drift", "-f", spec]).expect_code(0);

    // 3. Logging deleted.
    bedrock
        .delete_model_invocation_logging_configuration()
        .send()
        .await
        .unwrap();
    let drift = cloud
        .warden(&["drift", "-f", spec, "--format", "json"])
        .expect_code(2);
    let found = drifted(&drift);
    assert_eq!(found[0].0, addr);
    assert!(
        found[0].2.contains("invocation logging is off"),
        "{found:?}"
    );
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    cloud.warden(&["drift", "-f", spec]).expect_code(0);

    // 4. The role's trust policy loosened: any Bedrock caller, no conditions.
    let iam = cloud.iam(CUSTOMER).await;
    let loose = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    iam.update_assume_role_policy()
        .role_name("warden-bedrock-logging-eu-west-1")
        .policy_document(loose.to_string())
        .send()
        .await
        .unwrap();
    let drift = cloud
        .warden(&["drift", "-f", spec, "--format", "json"])
        .expect_code(2);
    let found = drifted(&drift);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].0,
        "customer-a/eu-west-1/iam_role/warden-bedrock-logging-eu-west-1"
    );
    assert!(found[0].2.starts_with("trust policy:"), "{found:?}");
    assert!(found[0].2.to_lowercase().contains("condition"), "{found:?}");
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    cloud.warden(&["drift", "-f", spec]).expect_code(0);
    let role = iam
        .get_role()
        .role_name("warden-bedrock-logging-eu-west-1")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert!(decode(role.assume_role_policy_document().unwrap())
        .to_string()
        .contains("aws:SourceArn"));
}

#[tokio::test(flavor = "multi_thread")]
async fn enabled_false_deletes_only_the_configuration_and_removing_the_section_changes_nothing() {
    let cloud = LocalCloud::start();
    let spec = cloud.write("spec.yaml", SPEC);
    cloud
        .warden(&["apply", "-f", path_str(&spec), "--auto-approve"])
        .expect_code(0);

    // Turn logging off for customer-a in eu-west-1 only.
    let off = SPEC.replace(
        "    external_id: ext-a\n",
        "    external_id: ext-a\n    overrides:\n      - regions: [eu-west-1]\n        invocation_logging:\n          enabled: false\n",
    );
    let off_spec = cloud.write("off.yaml", &off);
    let plan = cloud
        .warden(&["plan", "-f", path_str(&off_spec), "--format", "json"])
        .expect_code(0);
    let changes: Vec<String> = plan.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        changes,
        vec!["customer-a/eu-west-1/invocation_logging/default"]
    );
    cloud
        .warden(&["apply", "-f", path_str(&off_spec), "--auto-approve"])
        .expect_code(0);
    let config = cloud
        .bedrock(CUSTOMER, "eu-west-1")
        .await
        .get_model_invocation_logging_configuration()
        .send()
        .await
        .unwrap()
        .logging_config;
    assert!(config.is_none_or(|c| c.s3_config().is_none() && c.cloud_watch_config().is_none()));
    // Everything else stays: role, buckets, log group, and the other scopes' logging.
    cloud
        .iam(CUSTOMER)
        .await
        .get_role()
        .role_name("warden-bedrock-logging-eu-west-1")
        .send()
        .await
        .unwrap();
    cloud
        .s3(CUSTOMER, "eu-west-1")
        .await
        .head_bucket()
        .bucket("bedrock-logs-111111111111-eu-west-1")
        .send()
        .await
        .unwrap();
    let other = cloud
        .bedrock(CUSTOMER, "us-east-1")
        .await
        .get_model_invocation_logging_configuration()
        .send()
        .await
        .unwrap();
    assert!(other.logging_config.unwrap().s3_config().is_some());
    cloud
        .warden(&["plan", "-f", path_str(&off_spec), "--detailed-exitcode"])
        .expect_code(0);

    // Without the section, the live settings are left alone: nothing to change.
    let without = SPEC[..SPEC.find("invocation_logging:").unwrap()].to_string();
    let without_spec = cloud.write("without.yaml", &without);
    let plan = cloud
        .warden(&["plan", "-f", path_str(&without_spec), "--detailed-exitcode"])
        .expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    // ... and the plan says so for each scope where logging is still on (not for the one that
    // was turned off).
    for scope in ["ops/us-east-1", "ops/eu-west-1", "customer-a/us-east-1"] {
        assert!(
            plan.stdout.contains(&format!(
                "note: {scope}: invocation logging is on here (to CloudWatch log group /aws/bedrock/invocations and S3 bucket "
            )),
            "{scope}: {}",
            plan.stdout
        );
    }
    assert!(
        !plan.stdout.contains("customer-a/eu-west-1:"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("warden leaves it as it is"));
    let json = cloud
        .warden(&["plan", "-f", path_str(&without_spec), "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(json["notes"].as_array().unwrap().len(), 3, "{json}");
    let still = cloud
        .bedrock(DIRECT_ACCOUNT, "us-east-1")
        .await
        .get_model_invocation_logging_configuration()
        .send()
        .await
        .unwrap();
    assert!(still.logging_config.unwrap().s3_config().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_iam_propagation_error_is_retried_until_it_clears() {
    let faults = json!({
        "bedrock:PutModelInvocationLoggingConfiguration": {
            "times": 2, "status": 400, "code": "ValidationException",
            "message": "Failed to validate permissions for log group: /aws/bedrock/invocations, with role: arn:aws:iam::123456789012:role/warden-bedrock-logging-us-east-1"
        }
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
    retention_days: 1827
invocation_logging:
  cloudwatch:
    log_group: /aws/bedrock/invocations
    role: {}
    large_data:
      bucket: bedrock-large-{account}-{region}
"#,
    );
    let applied = cloud
        .warden(&[
            "apply",
            "-f",
            path_str(&spec),
            "--auto-approve",
            "--format",
            "json",
        ])
        .expect_code(0);
    let report = applied.json();
    let puts = api_operation(&report["report"], "PutModelInvocationLoggingConfiguration");
    assert_eq!(puts["calls"], 3, "two refusals, then success: {puts}");
    let outcome = report["report"]["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["address"] == "ops/us-east-1/invocation_logging/default")
        .cloned()
        .unwrap();
    assert_eq!(outcome["status"], "applied");
    cloud
        .warden(&["plan", "-f", path_str(&spec), "--detailed-exitcode"])
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_group_of_another_project_blocks_the_logging_that_needs_it() {
    let cloud = LocalCloud::start();
    let logs = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    logs.create_log_group()
        .log_group_name("/aws/bedrock/invocations")
        .tags("warden:managed-by", "someone-else")
        .send()
        .await
        .unwrap();
    let spec = cloud.write("spec.yaml", SPEC);
    let scope = ["--account", "ops", "--region", "us-east-1"];
    let apply = cloud
        .warden(
            &[
                &["apply", "-f", path_str(&spec), "--auto-approve"][..],
                &scope[..],
            ]
            .concat(),
        )
        .expect_code(3);
    assert!(
        apply.stdout.contains(
            "skipped: depends on ops/us-east-1/log_group//aws/bedrock/invocations, which is in error in the plan"
        ),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("another warden project `someone-else`"),
        "{}",
        apply.stdout
    );
    // Issue 9 (5): an ownership conflict is not summarised as a scope that could not be read.
    assert!(
        apply
            .stdout
            .contains("Incomplete: 1 resource(s) are in error and will not be changed;"),
        "{}",
        apply.stdout
    );
    assert!(
        !apply.stdout.contains("could not be read"),
        "{}",
        apply.stdout
    );
    // The configuration was not put; the rest of the chain was.
    let config = cloud
        .bedrock(DIRECT_ACCOUNT, "us-east-1")
        .await
        .get_model_invocation_logging_configuration()
        .send()
        .await
        .unwrap();
    let unset = |c: &aws_sdk_bedrock::types::LoggingConfig| {
        c.s3_config().is_none() && c.cloud_watch_config().is_none()
    };
    assert!(config.logging_config().is_none_or(unset), "{config:?}");
    cloud
        .iam(DIRECT_ACCOUNT)
        .await
        .get_role()
        .role_name("warden-bedrock-logging-us-east-1")
        .send()
        .await
        .unwrap();
    // The other project's group is untouched.
    let group = logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/bedrock/invocations")
        .send()
        .await
        .unwrap();
    assert_eq!(group.log_groups()[0].retention_in_days(), None);
}

/// Issue 9 (5): a black-holed endpoint mid-apply took 481 s to fail. With `--timeout` the run
/// stops at the limit, says which change was cut off and what was not started, and the next
/// plan shows what is left.
#[tokio::test(flavor = "multi_thread")]
async fn a_black_holed_endpoint_mid_apply_stops_at_the_time_limit() {
    let faults = json!({
        "bedrock:PutModelInvocationLoggingConfiguration": {"times": -1, "hang": 600}
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
    retention_days: 1827
invocation_logging:
  cloudwatch:
    log_group: /aws/bedrock/invocations
    role: {}
    large_data:
      bucket: bedrock-large-{account}-{region}
"#,
    );
    let applied = cloud
        .warden(&[
            "apply",
            "-f",
            path_str(&spec),
            "--auto-approve",
            "--timeout",
            "8s",
            "--format",
            "json",
        ])
        .expect_code(3);
    let report = applied.json();
    let outcomes = report["report"]["outcomes"].as_array().unwrap();
    let status = |address: &str| {
        outcomes
            .iter()
            .find(|o| o["address"] == address)
            .unwrap_or_else(|| panic!("no outcome for {address}: {outcomes:?}"))
            .clone()
    };
    // The time limit cut the hanging call off (the SDK's own limits would have reported a
    // timeout of the operation, after minutes of retries).
    let logging = status("ops/us-east-1/invocation_logging/default");
    assert_eq!(logging["status"], "failed", "{logging}");
    assert!(
        logging["error"]
            .as_str()
            .unwrap()
            .starts_with("interrupted: the run's time limit (--timeout 8s) was reached"),
        "{logging}"
    );
    // What ran before the limit was done; the limit also cut off its verification, which is
    // said as such rather than shown as a live value.
    let group = status("ops/us-east-1/log_group//aws/bedrock/invocations");
    assert_eq!(group["status"], "not-verified", "{group}");
    assert!(
        group["error"]
            .as_str()
            .unwrap()
            .contains("the run's time limit (--timeout 8s) was reached"),
        "{group}"
    );
    let logs = cloud.logs(common::DIRECT_ACCOUNT, "us-east-1").await;
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/bedrock/invocations")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1, "the group was created");
    // The text report of the same situation, and the next plan shows only what is left.
    let text = cloud
        .warden(&["plan", "-f", path_str(&spec), "--format", "json"])
        .expect_code(0);
    let pending: Vec<String> = text.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(pending, vec!["ops/us-east-1/invocation_logging/default"]);
}
