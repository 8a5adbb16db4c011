//! EventBridge forwarding end to end against the local cloud (issue 12), `via: ops`: the
//! operations account (direct credentials) alone gets the Dynatrace connection, API destination,
//! role, dead-letter queue and the bus (policy: exactly the customer account) with its rules and
//! targets; the customer account (assume role) a role and rules sending to that bus; both a
//! notification rule to an SNS topic; read back with the SDK;
//! a Bedrock-shaped event matches the rule (EventBridge's TestEventPattern) and the transformer
//! AWS holds, rendered by warden, yields the business event; re-plan is empty; a token rotation
//! shows as `(changed)` and reaches the secret store; a deauthorized connection is drift in
//! words and apply sets the token again; the token never appears in any output,
//! saved plan or log; a disabled rule is drift and is repaired; another tool's rule and target
//! are left alone; with forwarding left out of the spec, `--prune` finds and deletes this
//! project's connection, destination, dead-letter queue (once empty) and bus, never another
//! tool's. A second test pins the partial PutTargets failure naming the target.

mod common;

use std::process::Command;

use aws_sdk_eventbridge::types::{RuleState, Target};
use bedrock_warden::events::transformer::{InputTransformer, RenderContext};
use common::{api_operation, path_str, LocalCloud, Run, DIRECT_ACCOUNT};
use serde_json::{json, Value};

const CUSTOMER: &str = "111111111111";
const REGION: &str = "us-east-1";
/// Two tokens whose values must never be seen outside the secret store.
const TOKEN: &str = "dt0c01.CANARYFIRSTTOKEN00000000.s3cr3tvalueONE";
const ROTATED: &str = "dt0c01.CANARYSECONDTOKEN0000000.s3cr3tvalueTWO";

fn spec() -> String {
    format!(
        r#"version: 1
project: events-test
defaults:
  regions: [{REGION}]
accounts:
  - name: ops
    id: "{DIRECT_ACCOUNT}"
  - name: customer-a
    id: "{CUSTOMER}"
    role_arn: arn:aws:iam::{CUSTOMER}:role/warden
event_forwarding:
  dynatrace:
    environment_url: https://abc12345.live.dynatrace.com
    api_token: ${{env:DT_BIZEVENTS_TOKEN}}
    events: [bedrock_configuration, bedrock_api_calls]
    invocation_rate_per_second: 10
    dead_letter: {{}}
    via: ops
  notify:
    - events: [governance_tampering]
      sns_topic: {{name: bedrock-governance-alerts, email: [secops@example.com]}}
event_rules:
  - name: bedrock-guardrail-changes
    pattern: {{source: [aws.bedrock], detail-type: [AWS API Call via CloudTrail],
              detail: {{eventSource: [bedrock.amazonaws.com], eventName: [{{prefix: UpdateGuardrail}}]}}}}
    targets: [{{sns_topic: bedrock-governance-alerts}}, {{log_group: /aws/events/bedrock-guardrails}},
              {{event_bus: "arn:aws:events:{REGION}:{DIRECT_ACCOUNT}:event-bus/warden-bedrock-events"}}]
"#
    )
}

/// Every text a run showed, for the canary check.
fn seen(runs: &mut Vec<String>, run: &Run) {
    runs.push(run.stdout.clone());
    runs.push(run.stderr.clone());
}

fn secret_values(cloud: &LocalCloud, account: &str) -> String {
    let script = r#"
import boto3, os
kw = dict(endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
if os.environ["ACCOUNT"] != "123456789012":
    c = boto3.client("sts", aws_access_key_id="testing", aws_secret_access_key="testing", **kw).assume_role(
        RoleArn="arn:aws:iam::%s:role/test" % os.environ["ACCOUNT"], RoleSessionName="test")["Credentials"]
    kw.update(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
else:
    kw.update(aws_access_key_id="testing", aws_secret_access_key="testing")
sm = boto3.client("secretsmanager", **kw)
for s in sm.list_secrets()["SecretList"]:
    print(s["Name"], sm.get_secret_value(SecretId=s["ARN"])["SecretString"])
"#;
    let out = Command::new(common::python())
        .args(["-c", script])
        .env("AWS_ENDPOINT_URL", &cloud.endpoint)
        .env("ACCOUNT", account)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynatrace_forwarding_and_notification_in_two_accounts() {
    let cloud = LocalCloud::start();
    let spec_path = cloud.write("events.yaml", &spec());
    let spec_file = path_str(&spec_path);
    let plan_path = cloud.workdir.path().join("plan.json");
    let plan_file = path_str(&plan_path);
    let with_token = [("DT_BIZEVENTS_TOKEN", TOKEN)];
    let mut outputs = Vec::new();
    let customer = aws_sdk_eventbridge::Client::new(&cloud.sdk(CUSTOMER, REGION).await);

    // Another tool's rule on the same bus, before warden runs.
    customer
        .put_rule()
        .name("other-tool")
        .event_pattern(r#"{"source":["aws.bedrock"]}"#)
        .send()
        .await
        .unwrap();
    let theirs = Target::builder()
        .id("theirs")
        .arn(format!("arn:aws:sns:{REGION}:{CUSTOMER}:other-tool"))
        .build()
        .unwrap();
    customer
        .put_targets()
        .rule("other-tool")
        .targets(theirs.clone())
        .send()
        .await
        .unwrap();

    // Another tool's CloudWatch Logs resource policy, before warden runs.
    let customer_logs = cloud.logs(CUSTOMER, REGION).await;
    let foreign_policy =
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "TrustEventsToStoreLogEvent",
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": format!("arn:aws:logs:{REGION}:{CUSTOMER}:log-group:/aws/events/theirs:*")}]})
        .to_string();
    customer_logs
        .put_resource_policy()
        .policy_name("TrustEventsToStoreLogEvent")
        .policy_document(&foreign_policy)
        .send()
        .await
        .unwrap();

    // A plan without the variable still runs and says so; apply refuses (exit 1).
    let unchecked = cloud.warden(&["plan", "-f", spec_file]).expect_code(0);
    assert!(
        unchecked
            .stdout
            .contains("the Dynatrace token could not be checked"),
        "{}",
        unchecked.stdout
    );
    assert!(unchecked.stderr.contains("`DT_BIZEVENTS_TOKEN` is not set"));
    let refused = cloud
        .warden(&["apply", "-f", spec_file, "--auto-approve"])
        .expect_code(1);
    assert!(
        refused.stderr.contains("nothing was applied"),
        "{}",
        refused.stderr
    );
    seen(&mut outputs, &unchecked);
    seen(&mut outputs, &refused);

    // Plan (saved), apply the saved plan.
    let planned = cloud
        .warden_with_env(&["plan", "-f", spec_file, "--out", plan_file], &with_token)
        .expect_code(0);
    assert!(planned
        .stdout
        .contains("api_token = (from ${env:DT_BIZEVENTS_TOKEN})"));
    seen(&mut outputs, &planned);
    for format in ["json", "markdown"] {
        let run = cloud
            .warden_with_env(&["plan", "-f", spec_file, "--format", format], &with_token)
            .expect_code(0);
        seen(&mut outputs, &run);
    }
    let applied = cloud
        .warden_with_env(
            &["apply", plan_file, "--auto-approve", "--format", "json"],
            &with_token,
        )
        .expect_code(0);
    seen(&mut outputs, &applied);
    let report = applied.json();
    let statuses: Vec<&Value> = report["report"]["outcomes"]
        .as_array()
        .expect("report outcomes")
        .iter()
        .map(|c| &c["status"])
        .collect();
    assert!(
        statuses.iter().all(|s| *s == "applied"),
        "{:#}",
        report["report"]
    );

    // Read back: the operations account holds the connection, destination, bus and its rules.
    let ops = aws_sdk_eventbridge::Client::new(&cloud.sdk(DIRECT_ACCOUNT, REGION).await);
    let connection = ops
        .describe_connection()
        .name("warden-dynatrace")
        .send()
        .await
        .unwrap();
    assert!(connection
        .description()
        .unwrap()
        .starts_with("warden:managed-by=events-test; token-fingerprint="));
    let destination = ops
        .describe_api_destination()
        .name("warden-dynatrace")
        .send()
        .await
        .unwrap();
    assert_eq!(
        destination.invocation_endpoint(),
        Some("https://abc12345.live.dynatrace.com/api/v2/bizevents/ingest")
    );
    assert_eq!(destination.invocation_rate_limit_per_second(), Some(10));
    assert_eq!(
        destination.connection_arn(),
        connection.connection_arn(),
        "the destination uses warden's connection"
    );
    let bus_name = "warden-bedrock-events";
    let bus = ops
        .describe_event_bus()
        .name(bus_name)
        .send()
        .await
        .unwrap();
    let bus_policy = bedrock_warden::policy::parse_document(bus.policy().unwrap()).unwrap();
    assert_eq!(
        bus_policy["Statement"][0]["Principal"]["AWS"],
        json!([format!("arn:aws:iam::{CUSTOMER}:root")]),
        "exactly the governed account may put events: {bus_policy}"
    );
    let hub_rule_name = "warden-dynatrace-accounts-bedrock_api_calls";
    let hub_rule = ops
        .describe_rule()
        .name(hub_rule_name)
        .event_bus_name(bus_name)
        .send()
        .await
        .unwrap();
    let hub_targets = ops
        .list_targets_by_rule()
        .rule(hub_rule_name)
        .event_bus_name(bus_name)
        .send()
        .await
        .unwrap();
    let target = hub_targets.targets()[0].clone();
    assert_eq!(target.id(), "warden-dynatrace");
    assert_eq!(target.arn(), destination.api_destination_arn().unwrap());
    assert_eq!(
        target.role_arn(),
        Some(format!("arn:aws:iam::{DIRECT_ACCOUNT}:role/warden-dynatrace-{REGION}").as_str())
    );
    assert_eq!(
        target.dead_letter_config().and_then(|d| d.arn()),
        Some(format!("arn:aws:sqs:{REGION}:{DIRECT_ACCOUNT}:warden-events-dead-letter").as_str())
    );
    let ops_role = cloud
        .iam(DIRECT_ACCOUNT)
        .await
        .get_role()
        .role_name(format!("warden-dynatrace-{REGION}"))
        .send()
        .await
        .unwrap();
    let trust = bedrock_warden::policy::parse_document(
        ops_role
            .role()
            .unwrap()
            .assume_role_policy_document()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "events.amazonaws.com"
    );
    assert!(trust
        .to_string()
        .contains(&format!("rule/{bus_name}/{hub_rule_name}")));

    // The customer account: no connection, a rule per preset to the operations bus, with a
    // role that may only put events there.
    let missing = customer
        .describe_connection()
        .name("warden-dynatrace")
        .send()
        .await;
    assert!(
        missing.is_err(),
        "the token lives in the operations account only"
    );
    let rule_name = "warden-dynatrace-bedrock_api_calls";
    let rule = customer
        .describe_rule()
        .name(rule_name)
        .send()
        .await
        .unwrap();
    assert_eq!(rule.state(), Some(&RuleState::Enabled));
    let forward = customer
        .list_targets_by_rule()
        .rule(rule_name)
        .send()
        .await
        .unwrap();
    assert_eq!(forward.targets()[0].id(), "warden-ops-bus");
    assert_eq!(forward.targets()[0].arn(), bus.arn().unwrap());
    let iam = cloud.iam(CUSTOMER).await;
    let put_events = iam
        .get_role_policy()
        .role_name(format!("warden-dynatrace-{REGION}"))
        .policy_name("warden-put-events")
        .send()
        .await
        .unwrap();
    let put_events = bedrock_warden::policy::parse_document(put_events.policy_document()).unwrap();
    assert_eq!(put_events["Statement"][0]["Resource"], bus.arn().unwrap());
    let notify = customer
        .list_targets_by_rule()
        .rule("warden-notify-governance_tampering")
        .send()
        .await
        .unwrap();
    assert_eq!(
        notify.targets()[0].arn(),
        format!("arn:aws:sns:{REGION}:{CUSTOMER}:bedrock-governance-alerts")
    );

    // The guardrail rule's other targets: a log group with warden's own resource policy
    // (the other tool's policy untouched), and the operations bus with a role that may only
    // put events there.
    let guardrails = customer
        .list_targets_by_rule()
        .rule("bedrock-guardrail-changes")
        .send()
        .await
        .unwrap();
    let by_id = |id: &str| {
        guardrails
            .targets()
            .iter()
            .find(|t| t.id() == id)
            .unwrap_or_else(|| panic!("{id}: {:?}", guardrails.targets()))
            .clone()
    };
    assert_eq!(
        by_id("warden-logs-aws_events_bedrock-guardrails").arn(),
        format!("arn:aws:logs:{REGION}:{CUSTOMER}:log-group:/aws/events/bedrock-guardrails")
    );
    let to_bus = by_id(&format!("warden-bus-{DIRECT_ACCOUNT}-{bus_name}"));
    assert_eq!(to_bus.arn(), bus.arn().unwrap());
    let bus_role = to_bus
        .role_arn()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let bus_role_policy = iam
        .get_role_policy()
        .role_name(&bus_role)
        .policy_name("warden-put-events")
        .send()
        .await
        .unwrap();
    let bus_role_policy =
        bedrock_warden::policy::parse_document(bus_role_policy.policy_document()).unwrap();
    assert_eq!(
        bus_role_policy["Statement"][0]["Action"],
        "events:PutEvents"
    );
    assert_eq!(
        bus_role_policy["Statement"][0]["Resource"],
        bus.arn().unwrap()
    );
    let policies = customer_logs
        .describe_resource_policies()
        .send()
        .await
        .unwrap();
    let policy_of = |name: &str| {
        policies
            .resource_policies()
            .iter()
            .find(|p| p.policy_name() == Some(name))
            .and_then(|p| p.policy_document())
            .map(|d| bedrock_warden::policy::parse_document(d).unwrap())
    };
    let ours = policy_of("warden-events-events-test").expect("warden's own policy");
    assert_eq!(
        ours["Statement"][0]["Resource"],
        json!([format!(
            "arn:aws:logs:{REGION}:{CUSTOMER}:log-group:/aws/events/bedrock-guardrails:*"
        )])
    );
    assert_eq!(
        policy_of("TrustEventsToStoreLogEvent"),
        Some(bedrock_warden::policy::parse_document(&foreign_policy).unwrap()),
        "another tool's resource policy is left as it was"
    );
    customer_logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/events/bedrock-guardrails")
        .send()
        .await
        .unwrap()
        .log_groups()
        .first()
        .expect("the log group target was created");

    // A Bedrock-shaped event matches the rule's pattern as EventBridge holds it, and the
    // transformer EventBridge holds, rendered by warden, is the business event.
    let event = json!({
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "AWS API Call via CloudTrail", "source": "aws.bedrock",
        "account": CUSTOMER, "time": "2026-12-03T10:00:00Z", "region": REGION, "resources": [],
        "detail": {"eventSource": "bedrock.amazonaws.com", "eventName": "CreateModelCustomizationJob"}
    });
    for pattern in [
        rule.event_pattern().unwrap(),
        hub_rule.event_pattern().unwrap(),
    ] {
        let matched = customer
            .test_event_pattern()
            .event_pattern(pattern)
            .event(event.to_string())
            .send()
            .await
            .unwrap();
        assert!(matched.result(), "the Bedrock API call matches {pattern}");
    }
    let held = InputTransformer::from_sdk(target.input_transformer().unwrap());
    let business: Value =
        serde_json::from_str(&held.render(&event, &RenderContext::default()).unwrap()).unwrap();
    assert_eq!(business["type"], "gen_ai.auditing");
    assert_eq!(business["id"], event["id"]);
    assert_eq!(business["account"], CUSTOMER);
    assert_eq!(business["detail"], event["detail"]);

    // Re-plan: nothing to do. Ownership tags of rules, the topic and the queue come in bulk
    // (one GetResources per account and region), not one call per resource.
    let clean = cloud
        .warden_with_env(
            &[
                "plan",
                "-f",
                spec_file,
                "--detailed-exitcode",
                "--format",
                "json",
            ],
            &with_token,
        )
        .expect_code(0);
    seen(&mut outputs, &clean);
    let steady = clean.json();
    let per_resource_tag_reads: Vec<&Value> = steady["api_calls"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| {
            ["ListTagsForResource", "ListQueueTags"].contains(&o["operation"].as_str().unwrap())
        })
        .collect();
    assert!(
        per_resource_tag_reads.is_empty(),
        "{per_resource_tag_reads:#?}"
    );
    assert_eq!(api_operation(&steady, "GetResources")["calls"], 2);

    // Rotation: shown as `(changed)`, applied with UpdateConnection, in the secret store.
    let rotated_env = [("DT_BIZEVENTS_TOKEN", ROTATED)];
    let rotation = cloud
        .warden_with_env(
            &[
                "plan",
                "-f",
                spec_file,
                "--detailed-exitcode",
                "--account",
                "ops",
            ],
            &rotated_env,
        )
        .expect_code(2);
    assert!(
        rotation
            .stdout
            .contains("~ api_token: (changed) → (from ${env:DT_BIZEVENTS_TOKEN})"),
        "{}",
        rotation.stdout
    );
    seen(&mut outputs, &rotation);
    let rotated = cloud
        .warden_with_env(
            &[
                "apply",
                "-f",
                spec_file,
                "--auto-approve",
                "--account",
                "ops",
            ],
            &rotated_env,
        )
        .expect_code(0);
    seen(&mut outputs, &rotated);
    let secrets = secret_values(&cloud, DIRECT_ACCOUNT);
    assert!(
        secrets.contains(&format!("Api-Token {ROTATED}")),
        "the new token reached the secret store: {secrets}"
    );
    assert!(!secrets.contains(TOKEN));

    // Drift: the operations role widened to every API destination behind the tool's back.
    let ops_iam = cloud.iam(DIRECT_ACCOUNT).await;
    ops_iam
        .put_role_policy()
        .role_name(format!("warden-dynatrace-{REGION}"))
        .policy_name("warden-invoke-api-destination")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                   "Action": "events:InvokeApiDestination", "Resource": "*"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    // ... and the connection deauthorized (as AWS does when Dynatrace keeps refusing the key).
    ops.deauthorize_connection()
        .name("warden-dynatrace")
        .send()
        .await
        .unwrap();
    let widened = cloud
        .warden_with_env(
            &["drift", "-f", spec_file, "--account", "ops"],
            &rotated_env,
        )
        .expect_code(2);
    for words in [
        "the role may now invoke any API destination",
        "the Dynatrace token was refused (the connection is DEAUTHORIZED): rotate it",
    ] {
        assert!(
            widened.stdout.contains(words),
            "{words}: {}",
            widened.stdout
        );
    }
    seen(&mut outputs, &widened);
    cloud
        .warden_with_env(
            &[
                "apply",
                "-f",
                spec_file,
                "--auto-approve",
                "--account",
                "ops",
            ],
            &rotated_env,
        )
        .expect_code(0);

    let reauthorized = ops
        .describe_connection()
        .name("warden-dynatrace")
        .send()
        .await
        .unwrap();
    assert_eq!(
        reauthorized.connection_state().map(|s| s.as_str()),
        Some("AUTHORIZED"),
        "apply set the token again with UpdateConnection"
    );

    // Drift: the rule disabled behind the tool's back.
    customer
        .disable_rule()
        .name(rule_name)
        .send()
        .await
        .unwrap();
    let drift = cloud
        .warden_with_env(
            &["drift", "-f", spec_file, "--account", "customer-a"],
            &rotated_env,
        )
        .expect_code(2);
    assert!(
        drift.stdout.contains("rule is disabled"),
        "{}",
        drift.stdout
    );
    assert!(drift
        .stdout
        .contains("event_rule warden-dynatrace-bedrock_api_calls"));
    seen(&mut outputs, &drift);
    let repaired = cloud
        .warden_with_env(
            &[
                "apply",
                "-f",
                spec_file,
                "--auto-approve",
                "--account",
                "customer-a",
            ],
            &rotated_env,
        )
        .expect_code(0);
    seen(&mut outputs, &repaired);
    let rule = customer
        .describe_rule()
        .name(rule_name)
        .send()
        .await
        .unwrap();
    assert_eq!(rule.state(), Some(&RuleState::Enabled));
    let in_sync = cloud
        .warden_with_env(&["drift", "-f", spec_file], &rotated_env)
        .expect_code(0);
    seen(&mut outputs, &in_sync);

    // The other tool's rule and target are as they were.
    let other = customer
        .describe_rule()
        .name("other-tool")
        .send()
        .await
        .unwrap();
    assert_eq!(other.state(), Some(&RuleState::Enabled));
    let other_targets = customer
        .list_targets_by_rule()
        .rule("other-tool")
        .send()
        .await
        .unwrap();
    assert_eq!(other_targets.targets(), [theirs]);

    // A preset left out of the spec: its rules are ours, so `--prune` deletes them (warden's
    // targets first); the other tool's rule, untagged, is still left alone.
    let narrower = cloud.write(
        "narrower.yaml",
        &spec().replace(
            "events: [bedrock_configuration, bedrock_api_calls]",
            "events: [bedrock_api_calls]",
        ),
    );
    let narrower = path_str(&narrower);
    let pruning = cloud
        .warden_with_env(
            &["plan", "-f", narrower, "--prune", "--detailed-exitcode"],
            &rotated_env,
        )
        .expect_code(2);
    for gone in [
        "- event_rule warden-dynatrace-bedrock_configuration",
        "- event_rule warden-dynatrace-accounts-bedrock_configuration",
    ] {
        assert!(pruning.stdout.contains(gone), "{gone}: {}", pruning.stdout);
    }
    assert!(!pruning.stdout.contains("other-tool"), "{}", pruning.stdout);
    seen(&mut outputs, &pruning);
    let pruned = cloud
        .warden_with_env(
            &["apply", "-f", narrower, "--prune", "--auto-approve"],
            &rotated_env,
        )
        .expect_code(0);
    seen(&mut outputs, &pruned);
    assert!(customer
        .describe_rule()
        .name("warden-dynatrace-bedrock_configuration")
        .send()
        .await
        .is_err());
    assert!(customer
        .describe_rule()
        .name("other-tool")
        .send()
        .await
        .is_ok());
    cloud
        .warden_with_env(
            &["plan", "-f", narrower, "--prune", "--detailed-exitcode"],
            &rotated_env,
        )
        .expect_code(0);

    // Dynatrace forwarding left out of the spec: `--prune` finds the connection, destination,
    // dead-letter queue and bus by their mark or tag (they are named nowhere now) and deletes
    // them; another tool's connection and queue and another project's bus stay. A queue still
    // holding undelivered events is not deleted until it is empty.
    let ops_sqs = aws_sdk_sqs::Client::new(&cloud.sdk(DIRECT_ACCOUNT, REGION).await);
    ops.create_connection()
        .name("other-tool-conn")
        .authorization_type(aws_sdk_eventbridge::types::ConnectionAuthorizationType::ApiKey)
        .auth_parameters(
            aws_sdk_eventbridge::types::CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    aws_sdk_eventbridge::types::CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name("x-key")
                        .api_key_value("other")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    ops_sqs
        .create_queue()
        .queue_name("other-tool-queue")
        .send()
        .await
        .unwrap();
    ops.create_event_bus()
        .name("other-project-bus")
        .tags(
            aws_sdk_eventbridge::types::Tag::builder()
                .key("warden:managed-by")
                .value("someone-else")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let dead_letter = ops_sqs
        .get_queue_url()
        .queue_name("warden-events-dead-letter")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    ops_sqs
        .send_message()
        .queue_url(&dead_letter)
        .message_body("an undelivered event")
        .send()
        .await
        .unwrap();
    let no_dynatrace = spec()
        .split("  dynatrace:\n")
        .next()
        .unwrap()
        .to_string()
        + &spec()
            .split_once("  notify:\n")
            .map(|(_, rest)| format!("  notify:\n{rest}"))
            .unwrap()
            .replace(
                &format!(",\n              {{event_bus: \"arn:aws:events:{REGION}:{DIRECT_ACCOUNT}:event-bus/warden-bedrock-events\"}}"),
                "",
            );
    assert!(
        !no_dynatrace.contains("dynatrace:") && !no_dynatrace.contains("event_bus:"),
        "{no_dynatrace}"
    );
    let no_dynatrace = cloud.write("no-dynatrace.yaml", &no_dynatrace);
    let no_dynatrace = path_str(&no_dynatrace);
    let leaving = cloud
        .warden(&["plan", "-f", no_dynatrace, "--prune", "--account", "ops"])
        .expect_code(0);
    for gone in [
        "- event_connection warden-dynatrace",
        "- event_api_destination warden-dynatrace",
        "- sqs_queue warden-events-dead-letter",
        "- event_bus warden-bedrock-events",
    ] {
        assert!(leaving.stdout.contains(gone), "{gone}: {}", leaving.stdout);
    }
    for theirs in ["other-tool-conn", "other-tool-queue", "other-project-bus"] {
        assert!(
            !leaving.stdout.contains(theirs),
            "{theirs}: {}",
            leaving.stdout
        );
    }
    seen(&mut outputs, &leaving);
    let held = cloud
        .warden(&[
            "apply",
            "-f",
            no_dynatrace,
            "--prune",
            "--auto-approve",
            "--account",
            "ops",
        ])
        .expect_code(3);
    assert!(
        held.stdout
            .contains("still holds 1 undelivered event(s): not deleted"),
        "{}",
        held.stdout
    );
    for done in [
        "✓ delete ops/us-east-1/event_api_destination/warden-dynatrace",
        "✓ delete ops/us-east-1/event_connection/warden-dynatrace",
        "✓ delete ops/us-east-1/event_bus/warden-bedrock-events",
    ] {
        assert!(held.stdout.contains(done), "{done}: {}", held.stdout);
    }
    seen(&mut outputs, &held);
    ops_sqs
        .purge_queue()
        .queue_url(&dead_letter)
        .send()
        .await
        .unwrap();
    cloud
        .warden(&[
            "apply",
            "-f",
            no_dynatrace,
            "--prune",
            "--auto-approve",
            "--account",
            "ops",
        ])
        .expect_code(0);
    assert!(ops
        .describe_connection()
        .name("warden-dynatrace")
        .send()
        .await
        .is_err());
    assert!(ops
        .describe_api_destination()
        .name("warden-dynatrace")
        .send()
        .await
        .is_err());
    assert!(ops
        .describe_event_bus()
        .name(bus_name)
        .send()
        .await
        .is_err());
    assert!(ops_sqs
        .get_queue_url()
        .queue_name("warden-events-dead-letter")
        .send()
        .await
        .is_err());
    ops.describe_connection()
        .name("other-tool-conn")
        .send()
        .await
        .unwrap();
    ops.describe_event_bus()
        .name("other-project-bus")
        .send()
        .await
        .unwrap();
    ops_sqs
        .get_queue_url()
        .queue_name("other-tool-queue")
        .send()
        .await
        .unwrap();

    // The canary: neither token anywhere warden wrote.
    outputs.push(std::fs::read_to_string(&plan_path).unwrap());
    for text in &outputs {
        for token in [TOKEN, ROTATED] {
            assert!(!text.contains(token), "a token leaked:\n{text}");
        }
        assert!(!text.contains("CANARY"), "part of a token leaked:\n{text}");
    }
}

/// Regression: a PutTargets that partly fails (FailedEntryCount > 0) must fail the change and
/// name the target, not read as applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_targets_partial_failure_names_the_target() {
    let cloud = LocalCloud::start_with_env(&[(
        "WARDEN_MOTO_FAULTS",
        r#"{"events:PutTargets": {"times": 1, "partial": ["warden-sns-alerts"], "code": "InternalException", "message": "injected"}}"#,
    )]);
    let spec = format!(
        "version: 1\naccounts:\n  - name: ops\n    id: \"{DIRECT_ACCOUNT}\"\n    regions: [{REGION}]\nevent_rules:\n  - name: guardrails\n    pattern: '{{\"source\": [\"aws.bedrock\"]}}'\n    targets: [{{sns_topic: alerts}}]\n"
    );
    let path = cloud.write("partial.yaml", &spec);
    let run = cloud
        .warden(&["apply", "-f", path_str(&path), "--auto-approve"])
        .expect_code(3);
    assert!(
        run.stdout.contains("target warden-sns-alerts"),
        "{}",
        run.stdout
    );
    // The next apply puts the target.
    cloud
        .warden(&["apply", "-f", path_str(&path), "--auto-approve"])
        .expect_code(0);
    cloud
        .warden(&["plan", "-f", path_str(&path), "--detailed-exitcode"])
        .expect_code(0);
}
