//! The CloudTrail groundwork against the local cloud: the bucket policy and event selectors that
//! `src/cloudtrail` generates are what CloudTrail (as the harness models it) accepts and holds,
//! and read back, they compare equal by meaning. One server, one customer account reached by
//! assume role.

mod common;

use aws_sdk_cloudtrail::Client;
use bedrock_warden::cloudtrail::{catalog, convert, policy, selectors};
use common::LocalCloud;
use serde_json::json;

const CUSTOMER: &str = "111111111111";
const REGION: &str = "us-east-1";
const BUCKET: &str = "bedrock-audit-111111111111";
const PREFIX: &str = "trail";
const TRAIL: &str = "bedrock-audit";

fn error_code<E: aws_sdk_cloudtrail::error::ProvideErrorMetadata>(err: &E) -> String {
    err.code().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_bucket_policy_and_selectors_are_accepted_and_read_back_equal() {
    let cloud = LocalCloud::start();
    let config = cloud.sdk(CUSTOMER, REGION).await;
    let trails = Client::new(&config);
    let s3 = cloud.s3(CUSTOMER, REGION).await;

    // A bucket whose owner already has a statement of their own: it is kept.
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let theirs = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }]});
    let source = policy::TrailSource {
        account: CUSTOMER.to_string(),
        trail_arn: policy::trail_arn("aws", REGION, CUSTOMER, TRAIL),
    };
    let ours = policy::bucket_policy("aws", BUCKET, PREFIX, &[source]);
    let merged = policy::merge_bucket_policy(Some(&theirs), &ours);
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(merged.to_string())
        .send()
        .await
        .unwrap();

    // The statements are bound to this trail by aws:SourceArn: another trail may not use them.
    let refused = trails
        .create_trail()
        .name("someone-else")
        .s3_bucket_name(BUCKET)
        .s3_key_prefix(PREFIX)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&refused), "InsufficientS3BucketPolicyException");

    let created = trails
        .create_trail()
        .name(TRAIL)
        .s3_bucket_name(BUCKET)
        .s3_key_prefix(PREFIX)
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.trail_arn(),
        Some(policy::trail_arn("aws", REGION, CUSTOMER, TRAIL).as_str())
    );
    // A second CreateTrail (a re-run that did not see the first) is refused, never a reset.
    let again = trails
        .create_trail()
        .name(TRAIL)
        .s3_bucket_name(BUCKET)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&again), "TrailAlreadyExistsException");

    // Before any selectors: AWS's default, which means "no Bedrock data events".
    let intent = selectors::SelectorIntent {
        management: selectors::ManagementEvents::All,
        data_types: catalog::expand(&[catalog::ALL.to_string()]),
        read_only: Some(false),
        arn_prefixes: vec![format!("arn:aws:bedrock:{REGION}:{CUSTOMER}:")],
    };
    let desired_json = selectors::generate(&intent);
    let desired = selectors::normalize(&desired_json).unwrap();
    let before = trails
        .get_event_selectors()
        .trail_name(TRAIL)
        .send()
        .await
        .unwrap();
    assert!(before.advanced_event_selectors().is_empty());
    let basic: Vec<serde_json::Value> = before
        .event_selectors()
        .iter()
        .map(|s| {
            json!({
                "ReadWriteType": s.read_write_type().map(|r| r.as_str()).unwrap_or("All"),
                "IncludeManagementEvents": s.include_management_events().unwrap_or(true),
            })
        })
        .collect();
    let words =
        selectors::describe_differences(&selectors::normalize_basic(&basic).unwrap(), &desired);
    assert!(
        words.contains(&"data events for Guardrail are no longer recorded".to_string()),
        "{words:?}"
    );

    selectors::check_limit(&desired_json).unwrap();
    trails
        .put_event_selectors()
        .trail_name(TRAIL)
        .set_advanced_event_selectors(Some(convert::list_to_sdk(&desired_json).unwrap()))
        .send()
        .await
        .unwrap();

    let read = trails
        .get_event_selectors()
        .trail_name(TRAIL)
        .send()
        .await
        .unwrap();
    assert!(read.event_selectors().is_empty());
    let live =
        selectors::normalize(&convert::list_from_sdk(read.advanced_event_selectors())).unwrap();
    assert_eq!(live, desired);
    assert!(selectors::describe_differences(&live, &desired).is_empty());

    let trail = trails.get_trail().name(TRAIL).send().await.unwrap();
    let trail = trail.trail().unwrap();
    assert_eq!(trail.has_custom_event_selectors(), Some(true));
    assert_eq!(trail.s3_key_prefix(), Some(PREFIX));
    assert_eq!(trail.log_file_validation_enabled(), Some(true));

    // The owner's statement survived next to CloudTrail's two.
    let held = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    let held: serde_json::Value = serde_json::from_str(held.policy().unwrap()).unwrap();
    let sids: Vec<&str> = held["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(
        sids,
        [
            "DenyInsecureTransport",
            policy::ACL_CHECK_SID,
            policy::WRITE_SID
        ]
    );
}
