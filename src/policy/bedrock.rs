//! The policy documents the tool writes for Bedrock model invocation logging (see aws-facts.md).

use serde_json::{json, Value};

use super::normalize::POLICY_VERSION;

/// The Sid of the tool's statement in a log bucket's policy.
pub const BEDROCK_LOGS_SID: &str = "AmazonBedrockLogsWrite";
/// The service principal Bedrock uses to deliver invocation logs.
pub const BEDROCK_SERVICE_PRINCIPAL: &str = "bedrock.amazonaws.com";
/// The log stream Bedrock writes invocation logs to, in the configured log group.
pub const BEDROCK_LOG_STREAM: &str = "aws/bedrock/modelinvocations";

/// `arn:{partition}:bedrock:{region}:{account}:*`: only Bedrock acting for this account and
/// region matches (confused-deputy protection).
fn bedrock_source_arn(partition: &str, account: &str, region: &str) -> String {
    format!("arn:{partition}:bedrock:{region}:{account}:*")
}

/// The two confused-deputy conditions every Bedrock logging document carries.
fn source_conditions(partition: &str, account: &str, region: &str) -> Value {
    json!({
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": bedrock_source_arn(partition, account, region)}
    })
}

/// Trust policy: Bedrock may assume the role only for this account and region (confused-deputy
/// safe).
pub fn bedrock_logging_trust_policy(partition: &str, account: &str, region: &str) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": BEDROCK_SERVICE_PRINCIPAL},
            "Action": "sts:AssumeRole",
            "Condition": source_conditions(partition, account, region)
        }]
    })
}

/// Inline policy: write invocation logs into exactly this log group (and only into the stream
/// Bedrock uses).
pub fn bedrock_logging_role_policy(
    partition: &str,
    account: &str,
    region: &str,
    log_group: &str,
) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": format!(
                "arn:{partition}:logs:{region}:{account}:log-group:{log_group}:log-stream:{BEDROCK_LOG_STREAM}"
            )
        }]
    })
}

/// Bucket policy statement (Sid [`BEDROCK_LOGS_SID`]) letting Bedrock write invocation logs
/// under `prefix`, with the same two confused-deputy conditions as the trust policy.
///
/// `prefix` may be empty (objects then go to `{bucket}/AWSLogs/…`, no double slash); otherwise
/// it is used as written, so it should have no leading or trailing `/`.
/// Merge it into a bucket's existing policy with [`super::upsert_statements`].
pub fn bedrock_logging_bucket_policy(
    partition: &str,
    bucket: &str,
    prefix: &str,
    account: &str,
    region: &str,
) -> Value {
    let key_prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": BEDROCK_LOGS_SID,
            "Effect": "Allow",
            "Principal": {"Service": BEDROCK_SERVICE_PRINCIPAL},
            "Action": ["s3:PutObject"],
            "Resource": [format!(
                "arn:{partition}:s3:::{bucket}/{key_prefix}AWSLogs/{account}/BedrockModelInvocationLogs/*"
            )],
            "Condition": source_conditions(partition, account, region)
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{equivalent, normalize};

    #[test]
    fn trust_policy_lets_only_bedrock_of_this_account_and_region_assume_the_role() {
        let doc = bedrock_logging_trust_policy("aws", "123456789012", "eu-central-1");
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"},"ArnLike":{"aws:SourceArn":"arn:aws:bedrock:eu-central-1:123456789012:*"}}}]}"#
        );
    }

    #[test]
    fn trust_policy_uses_the_given_partition() {
        let doc = bedrock_logging_trust_policy("aws-cn", "123456789012", "cn-north-1");
        assert_eq!(
            doc["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws-cn:bedrock:cn-north-1:123456789012:*"
        );
    }

    #[test]
    fn role_policy_allows_writing_only_to_the_bedrock_stream_of_the_log_group() {
        let doc =
            bedrock_logging_role_policy("aws", "123456789012", "us-east-1", "/bedrock/invocations");
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/bedrock/invocations:log-stream:aws/bedrock/modelinvocations"
            }]})
        );
        let statements = doc["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1);
        assert!(statements[0].get("Principal").is_none());
    }

    #[test]
    fn bucket_policy_statement_with_prefix() {
        let doc = bedrock_logging_bucket_policy(
            "aws",
            "governance-logs",
            "bedrock",
            "123456789012",
            "us-west-2",
        );
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [{
                "Sid": "AmazonBedrockLogsWrite",
                "Effect": "Allow",
                "Principal": {"Service": "bedrock.amazonaws.com"},
                "Action": ["s3:PutObject"],
                "Resource": ["arn:aws:s3:::governance-logs/bedrock/AWSLogs/123456789012/BedrockModelInvocationLogs/*"],
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": "123456789012"},
                    "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:us-west-2:123456789012:*"}
                }
            }]})
        );
    }

    #[test]
    fn bucket_policy_without_prefix_has_no_double_slash() {
        let doc = bedrock_logging_bucket_policy(
            "aws-us-gov",
            "governance-logs",
            "",
            "123456789012",
            "us-gov-west-1",
        );
        let resource = doc["Statement"][0]["Resource"][0].as_str().unwrap();
        assert_eq!(
            resource,
            "arn:aws-us-gov:s3:::governance-logs/AWSLogs/123456789012/BedrockModelInvocationLogs/*"
        );
        assert!(!resource.contains("//"));
        assert_eq!(
            doc["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:*"
        );
    }

    #[test]
    fn documents_are_already_in_a_form_aws_returns_equivalently() {
        // What S3 gives back for the bucket policy: single values as strings, keys reordered.
        let returned = json!({"Version": "2012-10-17", "Statement": {
            "Condition": {
                "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:us-west-2:123456789012:*"},
                "StringEquals": {"aws:SourceAccount": "123456789012"}
            },
            "Resource": "arn:aws:s3:::logs/AWSLogs/123456789012/BedrockModelInvocationLogs/*",
            "Action": "s3:PutObject",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Effect": "Allow",
            "Sid": "AmazonBedrockLogsWrite"
        }});
        let ours = bedrock_logging_bucket_policy("aws", "logs", "", "123456789012", "us-west-2");
        assert!(equivalent(&ours, &returned));
        assert_eq!(normalize(&ours), normalize(&returned));
    }
}
