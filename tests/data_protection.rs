//! Data-protection policies end to end against the local cloud (with the harness's extension for
//! the operations moto lacks), through the binary, in two accounts: apply (on the group that
//! invocation logging writes to), empty re-plan, an identifier removed and a policy deleted
//! behind the tool's back, an equivalent rewrite.

mod common;

use common::{path_str, LocalCloud, DIRECT_ACCOUNT};
use serde_json::{json, Value};

const CUSTOMER: &str = "111111111111";
const GROUP: &str = "/aws/bedrock/invocations";

const SPEC: &str = r#"
version: 1
defaults:
  regions: [us-east-1]
accounts:
  - name: ops
    id: "123456789012"
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
invocation_logging:
  cloudwatch:
    log_group: /aws/bedrock/invocations
    role: {}
  s3:
    bucket: bedrock-logs-{account}-{region}
log_groups:
  - name: /aws/bedrock/data-protection-findings
    retention_days: 365
  - name: /aws/bedrock/invocations
    retention_days: 1827
    data_protection:
      identifiers: [EmailAddress, IpAddress, AwsSecretKey, CreditCardNumber]
      custom_identifiers:
        - name: EmployeeId
          regex: 'EMP-\d{6}'
      findings:
        log_group: /aws/bedrock/data-protection-findings
"#;

async fn policy(cloud: &LocalCloud, account: &str) -> Option<Value> {
    let out = cloud
        .logs(account, "us-east-1")
        .await
        .get_data_protection_policy()
        .log_group_identifier(GROUP)
        .send()
        .await
        .unwrap();
    out.policy_document()
        .map(|d| serde_json::from_str(d).unwrap())
}

async fn put(cloud: &LocalCloud, account: &str, doc: &Value) {
    cloud
        .logs(account, "us-east-1")
        .await
        .put_data_protection_policy()
        .log_group_identifier(GROUP)
        .policy_document(serde_json::to_string_pretty(doc).unwrap())
        .send()
        .await
        .unwrap();
}

fn identifiers(statement: &Value) -> Vec<String> {
    let mut ids: Vec<String> = statement["DataIdentifier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn policies_are_applied_compared_by_meaning_and_repaired() {
    let cloud = LocalCloud::start();
    let spec = cloud.write("spec.yaml", SPEC);
    let spec = path_str(&spec);
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);

    let expected: Vec<String> = vec![
        "EmployeeId".into(),
        "arn:aws:dataprotection::aws:data-identifier/AwsSecretKey".into(),
        "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber".into(),
        "arn:aws:dataprotection::aws:data-identifier/EmailAddress".into(),
        "arn:aws:dataprotection::aws:data-identifier/IpAddress".into(),
    ];
    for account in [DIRECT_ACCOUNT, CUSTOMER] {
        // The protected group is the one Bedrock writes invocation logs to.
        let logging = cloud
            .bedrock(account, "us-east-1")
            .await
            .get_model_invocation_logging_configuration()
            .send()
            .await
            .unwrap()
            .logging_config
            .expect("invocation logging configured");
        assert_eq!(
            logging.cloud_watch_config().unwrap().log_group_name(),
            GROUP
        );
        let doc = policy(&cloud, account)
            .await
            .expect("policy on the invocation log group");
        assert_eq!(doc["Version"], "2021-06-01");
        let statements = doc["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2, "{doc:#}");
        assert_eq!(identifiers(&statements[0]), expected);
        assert_eq!(
            statements[0]["Operation"]["Audit"]["FindingsDestination"]["CloudWatchLogs"]
                ["LogGroup"],
            "/aws/bedrock/data-protection-findings"
        );
        assert_eq!(identifiers(&statements[1]), expected);
        assert_eq!(
            statements[1]["Operation"]["Deidentify"]["MaskConfig"],
            json!({})
        );
        assert_eq!(
            doc["Configuration"]["CustomDataIdentifier"][0]["Regex"],
            "EMP-\\d{6}"
        );
    }
    cloud
        .warden(&["plan", "-f", spec, "--detailed-exitcode"])
        .expect_code(0);

    // The same policy written differently (order, formatting) is not a change.
    let mut doc = policy(&cloud, CUSTOMER).await.unwrap();
    for statement in doc["Statement"].as_array_mut().unwrap() {
        statement["DataIdentifier"]
            .as_array_mut()
            .unwrap()
            .reverse();
    }
    put(&cloud, CUSTOMER, &doc).await;
    cloud.warden(&["drift", "-f", spec]).expect_code(0);

    // An identifier removed behind the tool's back.
    for statement in doc["Statement"].as_array_mut().unwrap() {
        statement["DataIdentifier"]
            .as_array_mut()
            .unwrap()
            .retain(|v| !v.as_str().unwrap().ends_with("/IpAddress"));
    }
    put(&cloud, CUSTOMER, &doc).await;
    let drift = cloud
        .warden(&["drift", "-f", spec, "--format", "json"])
        .expect_code(2);
    let report = drift.json();
    let changed: Vec<&Value> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .collect();
    assert_eq!(changed.len(), 1, "{report:#}");
    assert_eq!(
        changed[0]["address"],
        "customer-a/us-east-1/log_group//aws/bedrock/invocations"
    );
    let paths: Vec<&str> = changed[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            "data_protection.identifiers.IpAddress",
            "data_protection.mask.IpAddress"
        ]
    );
    let reason = changed[0]["reason"].as_str().unwrap();
    assert!(reason.contains("IpAddress"), "{reason}");
    let text = cloud.warden(&["drift", "-f", spec]).expect_code(2);
    assert!(text.stdout.contains("IpAddress"), "{}", text.stdout);
    assert!(
        !text.stdout.contains("\"Statement\""),
        "no wall of JSON: {}",
        text.stdout
    );
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    let repaired = policy(&cloud, CUSTOMER).await.unwrap();
    assert_eq!(identifiers(&repaired["Statement"][0]), expected);
    cloud.warden(&["drift", "-f", spec]).expect_code(0);

    // The policy deleted behind the tool's back.
    cloud
        .logs(DIRECT_ACCOUNT, "us-east-1")
        .await
        .delete_data_protection_policy()
        .log_group_identifier(GROUP)
        .send()
        .await
        .unwrap();
    let drift = cloud
        .warden(&["drift", "-f", spec, "--format", "json"])
        .expect_code(2);
    let report = drift.json();
    let changed: Vec<&Value> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0]["address"],
        "ops/us-east-1/log_group//aws/bedrock/invocations"
    );
    assert!(
        changed[0]["reason"]
            .as_str()
            .unwrap()
            .contains("EmailAddress"),
        "{:#}",
        changed[0]
    );
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    assert!(policy(&cloud, DIRECT_ACCOUNT).await.is_some());
    cloud.warden(&["drift", "-f", spec]).expect_code(0);

    // Removing the block from the spec is a visible change, never a side effect.
    let without = SPEC[..SPEC.find("    data_protection:").unwrap()].to_string();
    let without = cloud.write("without.yaml", &without);
    let plan = cloud
        .warden(&["plan", "-f", path_str(&without), "--detailed-exitcode"])
        .expect_code(2);
    assert!(
        plan.stdout.contains("remove data-protection policy"),
        "{}",
        plan.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_account_wide_policy_is_applied_per_account_and_region_and_repaired() {
    let cloud = LocalCloud::start();
    let spec = cloud.write(
        "spec.yaml",
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
    overrides:
      - regions: [eu-west-1]
        account_data_protection:
          identifiers: [EmailAddress, IpAddress, PhoneNumber-US]
account_data_protection:
  identifiers: [EmailAddress, AwsSecretKey]
"#,
    );
    let spec = path_str(&spec);
    let plan = cloud
        .warden(&["plan", "-f", spec, "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(plan["summary"]["update"], 4, "{plan:#}");
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);

    let account_policy = |account: &'static str, region: &'static str| {
        let cloud = &cloud;
        async move {
            let out = cloud
                .logs(account, region)
                .await
                .describe_account_policies()
                .policy_type(aws_sdk_cloudwatchlogs::types::PolicyType::DataProtectionPolicy)
                .send()
                .await
                .unwrap();
            out.account_policies().first().map(|p| {
                (
                    p.policy_name().unwrap().to_string(),
                    serde_json::from_str::<Value>(p.policy_document().unwrap()).unwrap(),
                )
            })
        }
    };
    let (name, doc) = account_policy(DIRECT_ACCOUNT, "us-east-1")
        .await
        .expect("account policy");
    assert_eq!(name, "warden-data-protection");
    assert_eq!(
        identifiers(&doc["Statement"][0]),
        vec![
            "arn:aws:dataprotection::aws:data-identifier/AwsSecretKey".to_string(),
            "arn:aws:dataprotection::aws:data-identifier/EmailAddress".to_string()
        ]
    );
    let (_, eu) = account_policy(CUSTOMER, "eu-west-1")
        .await
        .expect("override policy");
    assert_eq!(identifiers(&eu["Statement"][1]).len(), 3);
    cloud
        .warden(&["plan", "-f", spec, "--detailed-exitcode"])
        .expect_code(0);

    // Deleted behind the tool's back: drift names the address, apply restores it.
    cloud
        .logs(CUSTOMER, "us-east-1")
        .await
        .delete_account_policy()
        .policy_name("warden-data-protection")
        .policy_type(aws_sdk_cloudwatchlogs::types::PolicyType::DataProtectionPolicy)
        .send()
        .await
        .unwrap();
    let drift = cloud
        .warden(&["drift", "-f", spec, "--format", "json"])
        .expect_code(2)
        .json();
    let changed: Vec<&str> = drift["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        vec!["customer-a/us-east-1/account_data_protection/default"]
    );
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    assert!(account_policy(CUSTOMER, "us-east-1").await.is_some());
    cloud.warden(&["drift", "-f", spec]).expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn renaming_the_account_policy_puts_the_old_one_back_when_the_new_one_is_refused() {
    // The first PutAccountPolicy (the setup below) goes through; warden's put of the new
    // policy is refused; its put of the old one back goes through.
    let faults = json!({
        "logs:PutAccountPolicy": {"after": 1, "times": 1, "code": "InvalidParameterException", "message": "refused for the test"}
    });
    let cloud = LocalCloud::start_with_env(&[("WARDEN_MOTO_FAULTS", &faults.to_string())]);
    let logs = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    let mask = |sid: &str, op: Value| json!({"Sid": sid, "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"], "Operation": op});
    let theirs = json!({
        "Name": "theirs",
        "Version": "2021-06-01",
        "Statement": [
            mask("audit", json!({"Audit": {"FindingsDestination": {}}})),
            mask("redact", json!({"Deidentify": {"MaskConfig": {}}})),
        ]
    });
    let data_protection = aws_sdk_cloudwatchlogs::types::PolicyType::DataProtectionPolicy;
    logs.put_account_policy()
        .policy_name("theirs")
        .policy_type(data_protection.clone())
        .policy_document(theirs.to_string())
        .send()
        .await
        .unwrap();
    let spec = cloud.write(
        "spec.yaml",
        r#"
version: 1
defaults:
  regions: [us-east-1]
accounts:
  - name: ops
    id: "123456789012"
account_data_protection:
  identifiers: [EmailAddress, AwsSecretKey]
"#,
    );
    let apply = cloud
        .warden(&["apply", "-f", path_str(&spec), "--auto-approve"])
        .expect_code(1);
    assert!(
        apply.stdout.contains("refused for the test")
            && apply
                .stdout
                .contains("the previous policy `theirs` was put back"),
        "{}",
        apply.stdout
    );
    let now = logs
        .describe_account_policies()
        .policy_type(data_protection.clone())
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = now
        .account_policies()
        .iter()
        .filter_map(|p| p.policy_name())
        .collect();
    assert_eq!(names, vec!["theirs"]);
    // The refusal is over: the next apply renames it and the plan is empty after.
    cloud
        .warden(&["apply", "-f", path_str(&spec), "--auto-approve"])
        .expect_code(0);
    cloud
        .warden(&["plan", "-f", path_str(&spec), "--detailed-exitcode"])
        .expect_code(0);
}
