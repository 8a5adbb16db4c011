//! `warden permissions` is sufficient, not just plausible: every AWS operation warden calls in
//! the integration tests (recorded through `WARDEN_API_CALL_LOG`, see tests/common) must be
//! allowed by the policy it prints (reads by `--read-only`), and the onboarding role it prints
//! lets the operations account plan a customer account.

mod common;

use std::collections::BTreeSet;

use bedrock_warden::permissions::table;
use common::LocalCloud;

const CUSTOMER: &str = "111111111111";

#[test]
fn every_kind_has_an_entry_in_the_permissions_table() {
    for kind in bedrock_warden::kinds::ALL {
        assert!(
            table::for_kind(kind.as_str()).is_some(),
            "kind `{kind}` has no IAM actions in src/permissions/table.rs KINDS"
        );
    }
    for (name, _) in table::KINDS {
        assert!(
            bedrock_warden::kinds::ALL
                .iter()
                .any(|k| k.as_str() == *name),
            "`{name}` in the permissions table is not a registered kind"
        );
    }
}

/// The starter spec with every section on, plus a customer account reached by a role.
fn every_section_spec(cloud: &LocalCloud) -> String {
    let dir = cloud.workdir.path();
    cloud
        .warden_in(dir, &["init", "--non-interactive", "--project", "perm"])
        .expect_code(0);
    let text = std::fs::read_to_string(dir.join("warden.yaml")).unwrap();
    let text = text
        .replace("# account_data_protection:\n#   identifiers:", "account_data_protection:\n  identifiers:")
        .replace(
            "    id: \"123456789012\"\n",
            &format!(
                "    id: \"123456789012\"\n  - name: customer\n    id: \"{CUSTOMER}\"\n    role_arn: arn:aws:iam::{CUSTOMER}:role/bedrock-warden\n    external_id: ${{env:CUSTOMER_EXTERNAL_ID}}\n"
            ),
        );
    let text = uncomment_block(&text, "event_forwarding:");
    let text = uncomment_block(&text, "event_rules:");
    // Forwarding through the operations account: the bus kind too.
    let text = text.replace(
        "    dead_letter: {}\n",
        "    dead_letter: {}\n    via: sandbox\n",
    );
    let text = text.replace(
        "  # token_metrics_by_caller: true",
        "  token_metrics_by_caller: true",
    );
    assert!(text.contains("\naccount_data_protection:") && text.contains("name: customer"));
    assert!(text.contains("\nevent_forwarding:") && text.contains("\nevent_rules:"));
    std::fs::write(dir.join("warden.yaml"), &text).unwrap();
    text
}

/// The starter's commented-out `# <key>` block, turned on (its lines lose their `# `).
fn uncomment_block(text: &str, key: &str) -> String {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line == format!("# {key}") {
            inside = true;
        } else if !line.starts_with("# ") {
            inside = false;
        }
        out.push(if inside {
            line[2..].to_string()
        } else {
            line.to_string()
        });
    }
    out.join("\n") + "\n"
}

/// (command, IAM actions) of every operation recorded in the call logs.
fn recorded() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(common::api_call_log_dir()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let (command, call) = line
                .split_once('\t')
                .expect("command<TAB>service:Operation");
            let (service, operation) = call.split_once(':').expect("service:Operation");
            for action in table::iam_action(service, operation) {
                out.insert((command.to_string(), action));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_policy_allows_every_operation_the_integration_tests_record() {
    let cloud = LocalCloud::start();
    let dir = cloud.workdir.path();
    every_section_spec(&cloud);
    let env = [
        ("CUSTOMER_EXTERNAL_ID", "ext-1"),
        ("DT_BIZEVENTS_TOKEN", "dt0c01.PERMISSIONSTEST"),
    ];
    // The workload: every command that talks to AWS, over every kind.
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-f", "warden.yaml"]);
        cloud.warden_with_env_in(dir, &all, &env)
    };
    run(&["apply", "--auto-approve"]).expect_code(0);
    run(&["plan", "--prune"]).expect_code(0);
    run(&["drift", "--prune"]).expect_code(0);
    let s3 = cloud.s3(common::DIRECT_ACCOUNT, "us-east-1").await;
    s3.put_object()
        .bucket(format!("bedrock-logs-{}-us-east-1", common::DIRECT_ACCOUNT))
        .key("x")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    run(&[
        "destroy",
        "--auto-approve",
        "--force-delete-bucket-contents",
    ])
    .expect_code(0);

    // The caller's policy (its own account, and assuming the customer's role) and the
    // customer role's (onboarding): together they must allow everything warden called.
    let full = run(&["permissions"]).expect_code(0).json();
    let read_only = run(&["permissions", "--read-only"]).expect_code(0).json();
    let role = |extra: &[&str]| {
        let mut args = vec![
            "permissions",
            "--onboarding",
            "--plain",
            "--account",
            "customer",
        ];
        args.extend(extra);
        run(&args).expect_code(0).json()["inline_policy_document"].clone()
    };
    let (role_full, role_read) = (role(&[]), role(&["--read-only"]));
    let allowed: BTreeSet<String> = [&full, &role_full]
        .iter()
        .flat_map(|p| bedrock_warden::permissions::allowed_actions(p))
        .collect();
    let allowed_read: BTreeSet<String> = [&read_only, &role_read]
        .iter()
        .flat_map(|p| bedrock_warden::permissions::allowed_actions(p))
        .collect();
    let calls = recorded();
    for command in ["apply", "plan", "drift", "destroy"] {
        assert!(
            calls.iter().any(|(c, _)| c == command),
            "no `{command}` recorded: {calls:?}"
        );
    }
    for needed in [
        "s3:DeleteObject",
        "cloudtrail:DeleteTrail",
        "sts:AssumeRole",
        "logs:PutAccountPolicy",
    ] {
        assert!(
            calls.iter().any(|(_, a)| a == needed),
            "{needed} not recorded"
        );
    }
    let mut missing = Vec::new();
    for (command, action) in &calls {
        if !allowed.contains(action) {
            missing.push(format!("{command}: {action}"));
        }
        if matches!(command.as_str(), "plan" | "drift") && !allowed_read.contains(action) {
            missing.push(format!("{command}: {action} (not in --read-only)"));
        }
    }
    assert!(
        missing.is_empty(),
        "not allowed by `warden permissions`:\n{}",
        missing.join("\n")
    );
    // --read-only grants nothing that writes.
    for action in &allowed_read {
        let verb = action.split(':').nth(1).unwrap();
        assert!(
            ![
                "Create",
                "Put",
                "Delete",
                "Update",
                "Tag",
                "Start",
                "Stop",
                "Associate",
                "Disassociate",
                "AddTags",
                "PassRole"
            ]
            .iter()
            .any(|w| verb.starts_with(w)),
            "--read-only allows {action}"
        );
    }
    // Narrowed to the spec's names where IAM allows it: the caller's own account and the
    // customer's role to assume; the customer's resources only in the customer's role.
    let text = full.to_string();
    assert!(text.contains("arn:aws:iam::123456789012:role/warden-bedrock-logging-us-east-1"));
    assert!(text.contains("arn:aws:logs:us-east-1:123456789012:log-group:/aws/bedrock/invocations"));
    assert!(
        text.contains(&format!("arn:aws:iam::{CUSTOMER}:role/bedrock-warden")),
        "AssumeRole"
    );
    assert!(
        !text.contains(&format!("arn:aws:iam::{CUSTOMER}:role/warden-")),
        "{text}"
    );
    let role_text = role_full.to_string();
    assert!(role_text.contains(&format!(
        "arn:aws:iam::{CUSTOMER}:role/warden-bedrock-logging-us-east-1"
    )));
    assert!(
        !role_text.contains("123456789012") && !role_text.contains("sts:AssumeRole"),
        "{role_text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_onboarding_role_lets_the_operations_account_plan_the_customer() {
    let cloud = LocalCloud::start();
    let dir = cloud.workdir.path();
    every_section_spec(&cloud);
    let plain = cloud
        .warden_in(
            dir,
            &[
                "permissions",
                "--onboarding",
                "--plain",
                "--account",
                "customer",
            ],
        )
        .expect_code(0)
        .json();
    assert_eq!(plain["role_name"], "bedrock-warden");
    let trust = plain["assume_role_policy_document"].to_string();
    assert!(
        trust.contains("arn:aws:iam::123456789012:root") && trust.contains("<EXTERNAL_ID>"),
        "{trust}"
    );
    // The customer deploys it (as its admin would), with the external id it agreed on.
    let iam = cloud.iam(CUSTOMER).await;
    iam.create_role()
        .role_name("bedrock-warden")
        .assume_role_policy_document(trust.replace("<EXTERNAL_ID>", "agreed-ext-id"))
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("bedrock-warden")
        .policy_name(plain["inline_policy_name"].as_str().unwrap())
        .policy_document(plain["inline_policy_document"].to_string())
        .send()
        .await
        .unwrap();
    let plan = cloud
        .warden_with_env_in(
            dir,
            &["plan", "--account", "customer", "--format", "json"],
            &[("CUSTOMER_EXTERNAL_ID", "agreed-ext-id")],
        )
        .expect_code(0)
        .json();
    assert!(plan["errors"].as_array().unwrap().is_empty(), "{plan:#}");
    assert!(plan["summary"]["create"].as_u64().unwrap() > 0);
    // Another external id is refused by the role's trust policy.
    let run = cloud
        .warden_with_env_in(
            dir,
            &["plan", "--account", "customer"],
            &[("CUSTOMER_EXTERNAL_ID", "guess")],
        )
        .expect_code(1);
    assert!(
        run.stdout.contains("sts:AssumeRole: access denied"),
        "{}{}",
        run.stdout,
        run.stderr
    );

    // The CloudFormation form: the same role, StackSets-ready (no account id baked in).
    let template = cloud
        .warden_in(
            dir,
            &["permissions", "--onboarding", "--account", "customer"],
        )
        .expect_code(0)
        .json();
    let role = &template["Resources"]["WardenRole"]["Properties"];
    assert_eq!(template["Parameters"]["ExternalId"]["NoEcho"], true);
    assert_eq!(
        template["Parameters"]["OperationsAccountId"]["Default"],
        "123456789012"
    );
    let policy = role["Policies"][0]["PolicyDocument"].to_string();
    assert!(!policy.contains(CUSTOMER), "{policy}");
    assert!(policy.contains("${AWS::AccountId}") && policy.contains("${AWS::Partition}"));
    // The same statements as the plain policy, only generalized.
    let sids = |doc: &serde_json::Value| -> Vec<String> {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Sid"].to_string() + &s["Action"].to_string())
            .collect()
    };
    assert_eq!(
        sids(&role["Policies"][0]["PolicyDocument"]),
        sids(&plain["inline_policy_document"])
    );

    // Deployed as a CloudFormation stack (the local cloud's CloudFormation, driven with boto3
    // from the harness's Python) instead of by hand: the operations account plans again.
    iam.delete_role_policy()
        .role_name("bedrock-warden")
        .policy_name("bedrock-warden")
        .send()
        .await
        .unwrap();
    iam.delete_role()
        .role_name("bedrock-warden")
        .send()
        .await
        .unwrap();
    let template_file = cloud.write("customer-role.cfn.json", &template.to_string());
    // cfn-lint (installed with the local cloud) checks it against CloudFormation's own specs.
    let lint = std::process::Command::new(common::python())
        .arg("-c")
        .arg("import sys; from cfnlint.runner import main; sys.argv = ['cfn-lint', sys.argv[1]]; main()")
        .arg(&template_file)
        .output()
        .expect("run cfn-lint");
    assert!(
        lint.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    let deployed = std::process::Command::new(common::python())
        .arg("-c")
        .arg(DEPLOY_STACK)
        .args([
            &cloud.endpoint,
            CUSTOMER,
            common::path_str(&template_file),
            "stack-ext-id",
        ])
        .output()
        .expect("run python");
    assert!(
        deployed.status.success(),
        "{}",
        String::from_utf8_lossy(&deployed.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&deployed.stdout).trim(),
        format!("CREATE_COMPLETE arn:aws:iam::{CUSTOMER}:role/bedrock-warden")
    );
    cloud
        .warden_with_env_in(
            dir,
            &["plan", "--account", "customer"],
            &[("CUSTOMER_EXTERNAL_ID", "stack-ext-id")],
        )
        .expect_code(0);
}

/// Creates the stack in an account of the local cloud (arguments: endpoint, account id,
/// template file, external id) and prints the stack status and the role ARN output.
const DEPLOY_STACK: &str = r#"
import sys, boto3
endpoint, account, template, external_id = sys.argv[1:5]
kw = dict(endpoint_url=endpoint, region_name="us-east-1")
creds = boto3.client("sts", aws_access_key_id="testing", aws_secret_access_key="testing", **kw).assume_role(
    RoleArn=f"arn:aws:iam::{account}:role/test-admin", RoleSessionName="customer-admin")["Credentials"]
cf = boto3.client("cloudformation", aws_access_key_id=creds["AccessKeyId"],
    aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"], **kw)
cf.create_stack(StackName="bedrock-warden", TemplateBody=open(template).read(),
    Parameters=[{"ParameterKey": "ExternalId", "ParameterValue": external_id}],
    Capabilities=["CAPABILITY_NAMED_IAM"])
stack = cf.describe_stacks(StackName="bedrock-warden")["Stacks"][0]
print(stack["StackStatus"], stack["Outputs"][0]["OutputValue"])
"#;
