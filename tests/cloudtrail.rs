//! The `cloudtrail` section end to end, through the binary, on one local cloud: two accounts
//! (one by assume role) × two regions, each account's trail in its own home region. An
//! unowned trail of the same name is adopted (and another trail left alone, with a note); a
//! PutEventSelectors that fails once after CreateTrail is repaired by the next apply; drift
//! behind the tool's back (logging stopped, a resource type removed, the bucket policy
//! loosened) is named in words and repaired.

mod common;

use aws_sdk_cloudtrail::Client;
use bedrock_warden::cloudtrail::{catalog, convert, policy, selectors};
use common::{path_str, LocalCloud, DIRECT_ACCOUNT};
use serde_json::{json, Value};

const CUSTOMER: &str = "111111111111";

const SPEC: &str = r#"
version: 1
project: audit
defaults:
  regions: [us-east-1, eu-west-1]
accounts:
  - name: ops
    id: "123456789012"
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
    overrides:
      - cloudtrail:
          home_region: eu-west-1
          data_events: {bedrock: [Guardrail, KnowledgeBase]}
cloudtrail:
  name: bedrock-audit
  home_region: us-east-1
  bucket: {name: "bedrock-audit-{account}", key_prefix: trail}
  cloudwatch: {log_group: /aws/cloudtrail/bedrock, role: {}}
  data_events:
    bedrock: all
"#;

/// The trails CloudTrail holds in a region (their own, not shadows).
async fn trail_names(client: &Client) -> Vec<String> {
    let out = client
        .describe_trails()
        .include_shadow_trails(false)
        .send()
        .await
        .expect("describe trails");
    let mut names: Vec<String> = out
        .trail_list()
        .iter()
        .filter_map(|t| t.name().map(str::to_string))
        .collect();
    names.sort();
    names
}

async fn selectors_of(client: &Client, trail: &str) -> selectors::CanonicalSelectors {
    let out = client
        .get_event_selectors()
        .trail_name(trail)
        .send()
        .await
        .expect("get event selectors");
    assert!(
        out.event_selectors().is_empty(),
        "warden writes advanced selectors only"
    );
    selectors::normalize(&convert::list_from_sdk(out.advanced_event_selectors())).unwrap()
}

fn expected_selectors(types: &[&str]) -> selectors::CanonicalSelectors {
    let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    selectors::normalize(&selectors::generate(&selectors::SelectorIntent {
        data_types: catalog::expand(&names),
        ..Default::default()
    }))
    .unwrap()
}

async fn is_logging(client: &Client, trail: &str) -> bool {
    client
        .get_trail_status()
        .name(trail)
        .send()
        .await
        .expect("trail status")
        .is_logging()
        .unwrap_or(false)
}

async fn bucket_policy(cloud: &LocalCloud, account: &str, region: &str) -> Value {
    let s3 = cloud.s3(account, region).await;
    let text = s3
        .get_bucket_policy()
        .bucket(format!("bedrock-audit-{account}"))
        .send()
        .await
        .expect("bucket policy")
        .policy()
        .unwrap_or_default()
        .to_string();
    serde_json::from_str(&text).expect("policy JSON")
}

fn sids(policy: &Value) -> Vec<String> {
    let mut sids: Vec<String> = policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["Sid"].as_str().map(str::to_string))
        .collect();
    sids.sort();
    sids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trails_are_created_adopted_repaired_and_kept_in_two_accounts() {
    // The first PutEventSelectors of warden (after the arrangement's own) fails: the run dies
    // between CreateTrail and the rest.
    let cloud = LocalCloud::start_with_env(&[(
        "WARDEN_MOTO_FAULTS",
        r#"{"cloudtrail:PutEventSelectors": {"times": 1, "after": 1, "code": "InsufficientDependencyServiceAccessPermissionException", "message": "injected"}}"#,
    )]);
    let spec = cloud.write("spec.yaml", SPEC);
    let spec = path_str(&spec);
    let ops = Client::new(&cloud.sdk(DIRECT_ACCOUNT, "us-east-1").await);
    let customer = Client::new(&cloud.sdk(CUSTOMER, "eu-west-1").await);

    // In ops, someone else's trail of the same name and another trail recording Guardrail
    // data events, both delivering to a bucket of theirs.
    let legacy = "legacy-audit-123456789012";
    let s3 = cloud.s3(DIRECT_ACCOUNT, "us-east-1").await;
    s3.create_bucket().bucket(legacy).send().await.unwrap();
    let sources: Vec<policy::TrailSource> = ["bedrock-audit", "security-org"]
        .iter()
        .map(|name| policy::TrailSource {
            account: DIRECT_ACCOUNT.to_string(),
            trail_arn: policy::trail_arn("aws", "us-east-1", DIRECT_ACCOUNT, name),
        })
        .collect();
    let legacy_policy = policy::bucket_policy("aws", legacy, "", &sources);
    s3.put_bucket_policy()
        .bucket(legacy)
        .policy(legacy_policy.to_string())
        .send()
        .await
        .unwrap();
    for name in ["bedrock-audit", "security-org"] {
        ops.create_trail()
            .name(name)
            .s3_bucket_name(legacy)
            .send()
            .await
            .unwrap();
    }
    let guardrails = selectors::generate(&selectors::SelectorIntent {
        data_types: catalog::expand(&["Guardrail".to_string()]),
        ..Default::default()
    });
    ops.put_event_selectors()
        .trail_name("security-org")
        .set_advanced_event_selectors(Some(convert::list_to_sdk(&guardrails).unwrap()))
        .send()
        .await
        .unwrap();

    let plan = cloud
        .warden(&["plan", "-f", spec, "--format", "json"])
        .expect_code(0)
        .json();
    let action = |plan: &Value, address: &str| {
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == address)
            .map(|c| c["action"].clone())
            .unwrap_or_else(|| panic!("{address} not in {plan:#}"))
    };
    assert_eq!(
        action(&plan, "ops/us-east-1/cloudtrail_trail/bedrock-audit"),
        "adopt"
    );
    assert_eq!(
        action(&plan, "customer-a/eu-west-1/cloudtrail_trail/bedrock-audit"),
        "create"
    );
    let notes = plan["notes"].to_string();
    assert!(notes.contains("billed per event"), "{notes}");
    assert!(
        notes.contains("trail security-org already records Bedrock data events (Guardrail)"),
        "{notes}"
    );
    assert_eq!(notes.matches("billed per event").count(), 1, "{notes}");

    // The first apply dies after a CreateTrail (or an adopt's AddTags and UpdateTrail).
    let first = cloud.warden(&["apply", "-f", spec, "--auto-approve"]);
    let first = first.expect_code(3);
    assert!(first.stdout.contains("injected"), "{}", first.stdout);
    // The next one finishes it: no second trail, no "already exists".
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);

    // One trail per account in its home region; the other trail of ops is left alone.
    assert_eq!(trail_names(&ops).await, ["bedrock-audit", "security-org"]);
    assert_eq!(trail_names(&customer).await, ["bedrock-audit"]);
    let customer_home_us = Client::new(&cloud.sdk(CUSTOMER, "us-east-1").await);
    assert!(trail_names(&customer_home_us).await.is_empty());
    let all: Vec<&str> = catalog::all().iter().map(|t| t.name).collect();
    assert_eq!(
        selectors_of(&ops, "bedrock-audit").await,
        expected_selectors(&all)
    );
    assert_eq!(
        selectors_of(&customer, "bedrock-audit").await,
        expected_selectors(&["Guardrail", "KnowledgeBase"])
    );
    assert!(is_logging(&ops, "bedrock-audit").await);
    assert!(is_logging(&customer, "bedrock-audit").await);
    let adopted = ops
        .get_trail()
        .name("bedrock-audit")
        .send()
        .await
        .unwrap()
        .trail
        .unwrap();
    assert_eq!(adopted.s3_bucket_name(), Some("bedrock-audit-123456789012"));
    assert_eq!(adopted.log_file_validation_enabled(), Some(true));
    assert_eq!(adopted.is_multi_region_trail(), Some(true));
    let customer_policy = bucket_policy(&cloud, CUSTOMER, "eu-west-1").await;
    assert_eq!(
        sids(&customer_policy),
        ["AWSCloudTrailAclCheck", "AWSCloudTrailWrite"]
    );
    assert_eq!(
        customer_policy["Statement"][1]["Condition"]["StringEquals"]["aws:SourceArn"],
        "arn:aws:cloudtrail:eu-west-1:111111111111:trail/bedrock-audit"
    );

    let steady = cloud
        .warden(&[
            "plan",
            "-f",
            spec,
            "--detailed-exitcode",
            "--format",
            "json",
        ])
        .expect_code(0)
        .json();
    println!("steady-state plan api_calls: {}", steady["api_calls"]);

    // Behind the tool's back in customer-a: logging stopped, Guardrail no longer recorded, the
    // bucket policy's write statement no longer bound to this trail.
    customer
        .stop_logging()
        .name("bedrock-audit")
        .send()
        .await
        .unwrap();
    let fewer = selectors::generate(&selectors::SelectorIntent {
        data_types: catalog::expand(&["KnowledgeBase".to_string()]),
        ..Default::default()
    });
    customer
        .put_event_selectors()
        .trail_name("bedrock-audit")
        .set_advanced_event_selectors(Some(convert::list_to_sdk(&fewer).unwrap()))
        .send()
        .await
        .unwrap();
    let mut loosened = customer_policy.clone();
    loosened["Statement"][1]["Principal"] = json!("*");
    loosened["Statement"][1]["Condition"] = json!({});
    cloud
        .s3(CUSTOMER, "eu-west-1")
        .await
        .put_bucket_policy()
        .bucket("bedrock-audit-111111111111")
        .policy(loosened.to_string())
        .send()
        .await
        .unwrap();

    let drift = cloud.warden(&["drift", "-f", spec]).expect_code(2);
    for words in [
        "logging is stopped",
        "data events for Guardrail are no longer recorded",
        "customer-a/eu-west-1/s3_bucket/bedrock-audit-111111111111",
        "bucket policy: principal * removed from statement AWSCloudTrailWrite",
    ] {
        assert!(
            drift.stdout.contains(words),
            "{words:?} not in\n{}",
            drift.stdout
        );
    }
    assert!(
        !drift.stdout.contains("ops/us-east-1/cloudtrail_trail"),
        "{}",
        drift.stdout
    );

    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    cloud
        .warden(&["plan", "-f", spec, "--detailed-exitcode"])
        .expect_code(0);
    assert!(is_logging(&customer, "bedrock-audit").await);
    assert_eq!(
        selectors_of(&customer, "bedrock-audit").await,
        expected_selectors(&["Guardrail", "KnowledgeBase"])
    );
    assert_eq!(
        bucket_policy(&cloud, CUSTOMER, "eu-west-1").await["Statement"][1],
        customer_policy["Statement"][1]
    );
    assert_eq!(trail_names(&ops).await, ["bedrock-audit", "security-org"]);
}
