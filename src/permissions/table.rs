//! The IAM actions each resource kind (and the engine itself) calls, as data: what
//! `warden permissions` turns into a least-privilege policy. A kind without an entry here
//! makes a test fail; an operation the integration tests record that no entry grants, too.

/// Whether a grant is needed by `plan`/`drift` (read) or only by `apply`/`destroy` (write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Some actions on some resources.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub access: Access,
    pub actions: &'static [&'static str],
    /// ARN templates: `{partition}`, `{region}`, `{account}`, `{project}` and, for one
    /// resource of the kind the spec names, `{name}`. `*` where IAM has no resource-level
    /// permission for the action.
    pub resources: &'static [&'static str],
    /// A condition block (JSON, same placeholders), or none.
    pub condition: Option<&'static str>,
}

const fn read(actions: &'static [&'static str], resources: &'static [&'static str]) -> Grant {
    Grant {
        access: Access::Read,
        actions,
        resources,
        condition: None,
    }
}

const fn write(actions: &'static [&'static str], resources: &'static [&'static str]) -> Grant {
    Grant {
        access: Access::Write,
        actions,
        resources,
        condition: None,
    }
}

const LOG_GROUP: &[&str] = &[
    "arn:{partition}:logs:{region}:{account}:log-group:{name}",
    "arn:{partition}:logs:{region}:{account}:log-group:{name}:*",
];
const ANY_LOG_GROUP: &[&str] = &["arn:{partition}:logs:{region}:{account}:log-group:*"];
const ROLE: &[&str] = &["arn:{partition}:iam::{account}:role/{name}"];
const BUCKET: &[&str] = &["arn:{partition}:s3:::{name}"];
const TRAIL: &[&str] = &["arn:{partition}:cloudtrail:{region}:{account}:trail/{name}"];
const TOPIC: &[&str] = &["arn:{partition}:sns:{region}:{account}:{name}"];
const CONNECTION: &[&str] = &["arn:{partition}:events:{region}:{account}:connection/{name}/*"];
const DESTINATION: &[&str] =
    &["arn:{partition}:events:{region}:{account}:api-destination/{name}/*"];
const RULE: &[&str] = &[
    "arn:{partition}:events:{region}:{account}:rule/{name}",
    "arn:{partition}:events:{region}:{account}:rule/*/{name}",
];
const BUS: &[&str] = &["arn:{partition}:events:{region}:{account}:event-bus/{name}"];
const QUEUE: &[&str] = &["arn:{partition}:sqs:{region}:{account}:{name}"];
const ALARM: &[&str] = &["arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"];
/// Every dashboard of the account: `--prune` reads the body of dashboards the spec does not
/// name (their marker says whose they are) and deletes the project's.
const ANY_DASHBOARD: &[&str] = &["arn:{partition}:cloudwatch::{account}:dashboard/*"];
const ANY: &[&str] = &["*"];

/// Owned, per kind (by its address name). Every registered kind must have an entry.
pub const KINDS: &[(&str, &[Grant])] = &[
    (
        "log_group",
        &[
            read(&["logs:DescribeLogGroups"], ANY),
            // --prune reads the tags of groups the spec does not name.
            read(&["logs:ListTagsForResource"], ANY_LOG_GROUP),
            read(&["logs:GetDataProtectionPolicy"], LOG_GROUP),
            write(
                &[
                    "logs:CreateLogGroup",
                    "logs:TagResource",
                    "logs:PutRetentionPolicy",
                    "logs:DeleteRetentionPolicy",
                    "logs:AssociateKmsKey",
                    "logs:DisassociateKmsKey",
                    "logs:PutDataProtectionPolicy",
                    "logs:DeleteDataProtectionPolicy",
                ],
                LOG_GROUP,
            ),
            // Pruning and destroy delete only groups that carry this project's tag.
            Grant {
                access: Access::Write,
                actions: &["logs:DeleteLogGroup"],
                resources: ANY_LOG_GROUP,
                condition: Some(
                    r#"{"StringEquals": {"aws:ResourceTag/warden:managed-by": "{project}"}}"#,
                ),
            },
        ],
    ),
    (
        "iam_role",
        &[
            read(&["iam:GetRole", "iam:GetRolePolicy"], ROLE),
            write(
                &[
                    "iam:CreateRole",
                    "iam:TagRole",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:PutRolePolicy",
                    "iam:DeleteRolePolicy",
                    "iam:DeleteRole",
                ],
                ROLE,
            ),
        ],
    ),
    (
        "s3_bucket",
        &[
            read(
                &[
                    "s3:ListBucket",
                    "s3:GetBucketPolicy",
                    "s3:GetEncryptionConfiguration",
                    "s3:GetBucketPublicAccessBlock",
                    "s3:GetBucketTagging",
                ],
                BUCKET,
            ),
            write(
                &[
                    "s3:CreateBucket",
                    "s3:PutBucketTagging",
                    "s3:PutBucketPolicy",
                    "s3:PutEncryptionConfiguration",
                    "s3:PutBucketPublicAccessBlock",
                    "s3:DeleteBucket",
                    // destroy: what a bucket holds, and --force-delete-bucket-contents.
                    "s3:ListBucketVersions",
                ],
                BUCKET,
            ),
            write(
                &["s3:DeleteObject", "s3:DeleteObjectVersion"],
                &["arn:{partition}:s3:::{name}/*"],
            ),
        ],
    ),
    (
        "invocation_logging",
        &[
            read(&["bedrock:GetModelInvocationLoggingConfiguration"], ANY),
            write(
                &[
                    "bedrock:PutModelInvocationLoggingConfiguration",
                    "bedrock:DeleteModelInvocationLoggingConfiguration",
                ],
                ANY,
            ),
            Grant {
                access: Access::Write,
                actions: &["iam:PassRole"],
                resources: &["arn:{partition}:iam::{account}:role/*"],
                condition: Some(
                    r#"{"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}"#,
                ),
            },
        ],
    ),
    (
        "account_data_protection",
        &[
            read(&["logs:DescribeAccountPolicies"], ANY),
            write(&["logs:PutAccountPolicy", "logs:DeleteAccountPolicy"], ANY),
        ],
    ),
    (
        "cloudtrail_trail",
        &[
            read(&["cloudtrail:DescribeTrails"], ANY),
            // Other trails' selectors, for the note on trails recording the same events.
            read(
                &["cloudtrail:GetEventSelectors"],
                &["arn:{partition}:cloudtrail:*:{account}:trail/*"],
            ),
            read(&["cloudtrail:ListTags", "cloudtrail:GetTrailStatus"], TRAIL),
            write(
                &[
                    "cloudtrail:CreateTrail",
                    "cloudtrail:UpdateTrail",
                    "cloudtrail:AddTags",
                    "cloudtrail:PutEventSelectors",
                    "cloudtrail:StartLogging",
                    "cloudtrail:StopLogging",
                    "cloudtrail:DeleteTrail",
                ],
                TRAIL,
            ),
            Grant {
                access: Access::Write,
                actions: &["iam:PassRole"],
                resources: &["arn:{partition}:iam::{account}:role/*"],
                condition: Some(
                    r#"{"StringEquals": {"iam:PassedToService": "cloudtrail.amazonaws.com"}}"#,
                ),
            },
        ],
    ),
    (
        "sns_topic",
        &[
            read(
                &[
                    "sns:GetTopicAttributes",
                    "sns:ListTagsForResource",
                    "sns:ListSubscriptionsByTopic",
                ],
                TOPIC,
            ),
            write(
                &[
                    "sns:CreateTopic",
                    "sns:TagResource",
                    "sns:SetTopicAttributes",
                    "sns:Subscribe",
                    "sns:DeleteTopic",
                ],
                TOPIC,
            ),
        ],
    ),
    (
        "event_connection",
        &[
            read(&["events:DescribeConnection"], CONNECTION),
            // --prune lists the connections and reads each one's ownership mark (Description);
            // a delete first checks that no API destination still uses the connection.
            read(&["events:ListConnections", "events:ListApiDestinations"], ANY),
            read(
                &["events:DescribeConnection"],
                &["arn:{partition}:events:{region}:{account}:connection/*"],
            ),
            write(
                &[
                    "events:CreateConnection",
                    "events:UpdateConnection",
                    "events:DeleteConnection",
                ],
                CONNECTION,
            ),
            // EventBridge keeps the connection's key in Secrets Manager, as the caller.
            write(
                &[
                    "secretsmanager:CreateSecret",
                    "secretsmanager:UpdateSecret",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:DeleteSecret",
                ],
                &["arn:{partition}:secretsmanager:{region}:{account}:secret:events!connection/{name}/*"],
            ),
        ],
    ),
    (
        "event_api_destination",
        &[
            read(&["events:DescribeApiDestination"], DESTINATION),
            // --prune lists the destinations and reads each one's ownership mark.
            read(&["events:ListApiDestinations"], ANY),
            read(
                &["events:DescribeApiDestination"],
                &["arn:{partition}:events:{region}:{account}:api-destination/*"],
            ),
            read(
                &["events:DescribeConnection"],
                &["arn:{partition}:events:{region}:{account}:connection/*"],
            ),
            write(
                &[
                    "events:CreateApiDestination",
                    "events:UpdateApiDestination",
                    "events:DeleteApiDestination",
                ],
                DESTINATION,
            ),
        ],
    ),
    (
        "event_rule",
        &[
            // --prune lists this project's rules (ListRules has no resource-level permission).
            read(&["events:ListRules", "events:ListEventBuses"], ANY),
            read(
                &[
                    "events:DescribeRule",
                    "events:ListTargetsByRule",
                    "events:ListTagsForResource",
                ],
                &["arn:{partition}:events:{region}:{account}:rule/*"],
            ),
            write(
                &[
                    "events:PutRule",
                    "events:TagResource",
                    "events:PutTargets",
                    "events:RemoveTargets",
                    "events:DeleteRule",
                ],
                RULE,
            ),
            Grant {
                access: Access::Write,
                actions: &["iam:PassRole"],
                resources: &["arn:{partition}:iam::{account}:role/*"],
                condition: Some(
                    r#"{"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}}"#,
                ),
            },
        ],
    ),
    (
        "event_bus",
        &[
            read(
                &["events:DescribeEventBus", "events:ListTagsForResource"],
                BUS,
            ),
            // --prune lists the buses and reads their tags; a delete first lists the rules
            // still on the bus.
            read(&["events:ListEventBuses", "events:ListRules"], ANY),
            read(
                &["events:DescribeEventBus", "events:ListTagsForResource"],
                &["arn:{partition}:events:{region}:{account}:event-bus/*"],
            ),
            write(
                &[
                    "events:CreateEventBus",
                    "events:TagResource",
                    "events:PutPermission",
                    "events:DeleteEventBus",
                ],
                BUS,
            ),
        ],
    ),
    (
        "logs_resource_policy",
        &[
            // no resource-level permissions for Logs resource policies
            read(&["logs:DescribeResourcePolicies"], ANY),
            write(
                &["logs:PutResourcePolicy", "logs:DeleteResourcePolicy"],
                ANY,
            ),
        ],
    ),
    (
        "sqs_queue",
        &[
            read(
                &[
                    "sqs:GetQueueUrl",
                    "sqs:GetQueueAttributes",
                    "sqs:ListQueueTags",
                ],
                QUEUE,
            ),
            // --prune lists the queues and reads their tags; a delete first counts the
            // messages (undelivered events) the queue holds.
            read(&["sqs:ListQueues"], ANY),
            read(
                &["sqs:ListQueueTags", "sqs:GetQueueAttributes"],
                &["arn:{partition}:sqs:{region}:{account}:*"],
            ),
            write(
                &[
                    "sqs:CreateQueue",
                    "sqs:TagQueue",
                    "sqs:SetQueueAttributes",
                    "sqs:DeleteQueue",
                ],
                QUEUE,
            ),
        ],
    ),
    (
        "metric_alarm",
        &[
            read(&["cloudwatch:DescribeAlarms"], ANY),
            read(&["cloudwatch:ListTagsForResource"], ALARM),
            write(
                &[
                    "cloudwatch:PutMetricAlarm",
                    "cloudwatch:TagResource",
                    "cloudwatch:DeleteAlarms",
                ],
                ALARM,
            ),
        ],
    ),
    (
        "composite_alarm",
        &[
            read(&["cloudwatch:DescribeAlarms"], ANY),
            read(&["cloudwatch:ListTagsForResource"], ALARM),
            write(
                &[
                    "cloudwatch:PutCompositeAlarm",
                    "cloudwatch:TagResource",
                    "cloudwatch:DeleteAlarms",
                ],
                ALARM,
            ),
        ],
    ),
    (
        "dashboard",
        &[
            // ListDashboards has no resource-level permissions.
            read(&["cloudwatch:ListDashboards"], ANY),
            read(&["cloudwatch:GetDashboard"], ANY_DASHBOARD),
            write(
                &["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
                ANY_DASHBOARD,
            ),
        ],
    ),
    (
        "query_definition",
        &[
            // Saved queries have no resource-level permissions.
            read(&["logs:DescribeQueryDefinitions"], ANY),
            write(
                &["logs:PutQueryDefinition", "logs:DeleteQueryDefinition"],
                ANY,
            ),
        ],
    ),
    (
        "metric_filter",
        &[
            read(&["logs:DescribeMetricFilters"], ANY_LOG_GROUP),
            write(
                &["logs:PutMetricFilter", "logs:DeleteMetricFilter"],
                ANY_LOG_GROUP,
            ),
        ],
    ),
];

/// What every run needs whatever the spec: proving the account and the apply lease. (Kinds
/// that note on scopes whose spec does not manage them get their read grants everywhere.)
pub const ENGINE: &[Grant] = &[
    read(&["sts:GetCallerIdentity"], ANY),
    // Ownership tags in bulk (no resource-level permission).
    read(&["tag:GetResources"], ANY),
    // `accounts_from`: the accounts of an organizational unit (list-only; called only when the
    // spec has it, but `permissions` works offline and cannot tell an empty unit from none).
    read(
        &[
            "organizations:ListAccountsForParent",
            "organizations:ListChildren",
        ],
        ANY,
    ),
    read(
        &["logs:DescribeLogStreams", "logs:GetLogEvents"],
        &[
            "arn:{partition}:logs:{region}:{account}:log-group:/warden/leases/{project}",
            "arn:{partition}:logs:{region}:{account}:log-group:/warden/leases/{project}:*",
        ],
    ),
    write(
        &[
            "logs:CreateLogGroup",
            "logs:TagResource",
            "logs:PutRetentionPolicy",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DeleteLogStream",
        ],
        &[
            "arn:{partition}:logs:{region}:{account}:log-group:/warden/leases/{project}",
            "arn:{partition}:logs:{region}:{account}:log-group:/warden/leases/{project}:*",
        ],
    ),
];

/// The grants of a kind, by its address name.
pub fn for_kind(kind: &str) -> Option<&'static [Grant]> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, g)| *g)
}

/// The IAM action an SDK operation is authorized as (`s3:HeadBucket` is `s3:ListBucket`).
pub fn iam_action(service: &str, operation: &str) -> Vec<String> {
    let s3 = |actions: &[&str]| actions.iter().map(|a| format!("s3:{a}")).collect();
    match (service, operation) {
        ("s3", "HeadBucket") => s3(&["ListBucket"]),
        ("s3", "GetBucketEncryption") => s3(&["GetEncryptionConfiguration"]),
        ("s3", "PutBucketEncryption") => s3(&["PutEncryptionConfiguration"]),
        ("s3", "GetPublicAccessBlock") => s3(&["GetBucketPublicAccessBlock"]),
        ("s3", "PutPublicAccessBlock") => s3(&["PutBucketPublicAccessBlock"]),
        ("s3", "ListObjectVersions") => s3(&["ListBucketVersions"]),
        ("s3", "DeleteObjects") => s3(&["DeleteObject", "DeleteObjectVersion"]),
        // The SDK's service is "tagging"; IAM's prefix for the Tagging API is "tag".
        ("tagging", operation) => vec![format!("tag:{operation}")],
        (service, operation) => vec![format!("{service}:{operation}")],
    }
}
