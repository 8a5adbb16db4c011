//! The policy documents a CloudTrail trail needs: its bucket's statements and the role it assumes to deliver to CloudWatch Logs.

use serde_json::{json, Value};

use crate::policy::{statements_with_sid, upsert_statements, POLICY_VERSION};

/// The service principal CloudTrail uses to deliver log files and to assume its Logs role.
pub const CLOUDTRAIL_SERVICE_PRINCIPAL: &str = "cloudtrail.amazonaws.com";
/// Sid of the statement letting CloudTrail read the bucket ACL (checked before each delivery).
pub const ACL_CHECK_SID: &str = "AWSCloudTrailAclCheck";
/// Sid of the statement letting CloudTrail write log and digest files.
pub const WRITE_SID: &str = "AWSCloudTrailWrite";
/// CloudTrail writes objects with this canned ACL; the write statement requires it.
pub const BUCKET_OWNER_FULL_CONTROL: &str = "bucket-owner-full-control";

/// `arn:{partition}:cloudtrail:{home_region}:{account}:trail/{name}`: the value of
/// `aws:SourceArn` when this trail (multi-region or not) delivers.
pub fn trail_arn(partition: &str, home_region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:cloudtrail:{home_region}:{account}:trail/{name}")
}

/// One trail delivering to a bucket: its account (the `AWSLogs/<account>/` path) and its ARN
/// (the `aws:SourceArn` condition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailSource {
    pub account: String,
    pub trail_arn: String,
}

/// `arn:{partition}:s3:::{bucket}/{prefix/}AWSLogs/{account}/*`: where CloudTrail writes this
/// account's log and digest files. `prefix` may be empty; leading and trailing `/` are ignored.
pub fn log_objects_arn(partition: &str, bucket: &str, prefix: &str, account: &str) -> String {
    let prefix = prefix.trim_matches('/');
    let key_prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    format!("arn:{partition}:s3:::{bucket}/{key_prefix}AWSLogs/{account}/*")
}

/// One value, or a list when there are several (how AWS documents single-trail policies).
fn one_or_many(mut values: Vec<String>) -> Value {
    values.sort();
    values.dedup();
    if values.len() == 1 {
        Value::String(values.remove(0))
    } else {
        json!(values)
    }
}

/// The bucket policy statements CloudTrail needs (Sids [`ACL_CHECK_SID`] and [`WRITE_SID`]),
/// as a policy document. Each statement is limited to the given trails by `aws:SourceArn`
/// (confused-deputy protection); the write statement covers each trail's account path under
/// `prefix` and requires `s3:x-amz-acl` = `bucket-owner-full-control`, as CloudTrail sends it.
/// A bucket shared by several accounts' trails gets one pair of statements listing them all.
///
/// Merge into a bucket's existing policy with [`merge_bucket_policy`].
pub fn bucket_policy(partition: &str, bucket: &str, prefix: &str, trails: &[TrailSource]) -> Value {
    let source_arns = one_or_many(trails.iter().map(|t| t.trail_arn.clone()).collect());
    let objects = one_or_many(
        trails
            .iter()
            .map(|t| log_objects_arn(partition, bucket, prefix, &t.account))
            .collect(),
    );
    json!({
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": ACL_CHECK_SID,
                "Effect": "Allow",
                "Principal": {"Service": CLOUDTRAIL_SERVICE_PRINCIPAL},
                "Action": "s3:GetBucketAcl",
                "Resource": format!("arn:{partition}:s3:::{bucket}"),
                "Condition": {"StringEquals": {"aws:SourceArn": source_arns}}
            },
            {
                "Sid": WRITE_SID,
                "Effect": "Allow",
                "Principal": {"Service": CLOUDTRAIL_SERVICE_PRINCIPAL},
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringEquals": {
                    "s3:x-amz-acl": BUCKET_OWNER_FULL_CONTROL,
                    "aws:SourceArn": source_arns
                }}
            }
        ]
    })
}

/// `existing` (a bucket's policy, if any) with CloudTrail's two statements from `ours` (see
/// [`bucket_policy`]) put in place of any statements with the same Sids; every other statement
/// is kept as it is.
pub fn merge_bucket_policy(existing: Option<&Value>, ours: &Value) -> Value {
    let with_acl = upsert_statements(
        existing,
        &statements_with_sid(ours, ACL_CHECK_SID),
        ACL_CHECK_SID,
    );
    upsert_statements(
        Some(&with_acl),
        &statements_with_sid(ours, WRITE_SID),
        WRITE_SID,
    )
}

/// Trust policy of the role CloudTrail assumes to deliver to CloudWatch Logs: only CloudTrail,
/// and only on behalf of this account (`aws:SourceAccount`).
pub fn logs_role_trust_policy(account: &str) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL_SERVICE_PRINCIPAL},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}}
        }]
    })
}

/// Inline policy of that role: create streams and put events in exactly this log group (which
/// lives in the trail's home region), nothing else.
pub fn logs_role_policy(partition: &str, region: &str, account: &str, log_group: &str) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": format!(
                "arn:{partition}:logs:{region}:{account}:log-group:{log_group}:log-stream:*"
            )
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::equivalent;

    const ACCOUNT: &str = "123456789012";

    fn source(account: &str) -> TrailSource {
        TrailSource {
            account: account.to_string(),
            trail_arn: trail_arn("aws", "us-east-1", account, "bedrock-audit"),
        }
    }

    #[test]
    fn trail_arn_names_the_home_region() {
        assert_eq!(
            trail_arn("aws", "eu-west-1", ACCOUNT, "bedrock-audit"),
            "arn:aws:cloudtrail:eu-west-1:123456789012:trail/bedrock-audit"
        );
    }

    #[test]
    fn bucket_policy_for_one_trail_is_the_documented_pair() {
        let doc = bucket_policy("aws", "audit-bucket", "trail", &[source(ACCOUNT)]);
        let arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/bedrock-audit";
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [
                {
                    "Sid": "AWSCloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": "arn:aws:s3:::audit-bucket",
                    "Condition": {"StringEquals": {"aws:SourceArn": arn}}
                },
                {
                    "Sid": "AWSCloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::audit-bucket/trail/AWSLogs/123456789012/*",
                    "Condition": {"StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceArn": arn
                    }}
                }
            ]})
        );
    }

    #[test]
    fn bucket_policy_without_prefix_and_with_slashes() {
        assert_eq!(
            log_objects_arn("aws", "b", "", ACCOUNT),
            "arn:aws:s3:::b/AWSLogs/123456789012/*"
        );
        assert_eq!(
            log_objects_arn("aws-cn", "b", "/audit/", ACCOUNT),
            "arn:aws-cn:s3:::b/audit/AWSLogs/123456789012/*"
        );
    }

    #[test]
    fn shared_bucket_lists_every_trail_and_account_path() {
        let doc = bucket_policy(
            "aws",
            "central",
            "",
            &[source("222222222222"), source("111111111111")],
        );
        let write = &doc["Statement"][1];
        assert_eq!(
            write["Resource"],
            json!([
                "arn:aws:s3:::central/AWSLogs/111111111111/*",
                "arn:aws:s3:::central/AWSLogs/222222222222/*"
            ])
        );
        assert_eq!(
            write["Condition"]["StringEquals"]["aws:SourceArn"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn bucket_statements_merge_into_an_existing_policy_keeping_others() {
        let existing = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "TheirOwn", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": "arn:aws:s3:::audit-bucket/*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        ]});
        let ours = bucket_policy("aws", "audit-bucket", "trail", &[source(ACCOUNT)]);
        let merged = merge_bucket_policy(Some(&existing), &ours);
        let statements = merged["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3, "{merged}");
        assert_eq!(statements[0], existing["Statement"][0]);
        // merging again changes nothing; a stale statement of ours is replaced, not kept
        assert!(equivalent(
            &merge_bucket_policy(Some(&merged), &ours),
            &merged
        ));
        let other_prefix = bucket_policy("aws", "audit-bucket", "elsewhere", &[source(ACCOUNT)]);
        let moved = merge_bucket_policy(Some(&merged), &other_prefix);
        assert_eq!(moved["Statement"].as_array().unwrap().len(), 3, "{moved}");
        assert!(equivalent(
            &merge_bucket_policy(None, &other_prefix),
            &other_prefix
        ));
    }

    #[test]
    fn logs_role_trusts_only_cloudtrail_for_this_account() {
        let doc = logs_role_trust_policy(ACCOUNT);
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#
        );
    }

    #[test]
    fn logs_role_may_write_only_to_that_groups_streams() {
        let doc = logs_role_policy("aws", "us-east-1", ACCOUNT, "/aws/cloudtrail/bedrock");
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/bedrock:log-stream:*"
            }]})
        );
    }
}
