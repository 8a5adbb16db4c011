//! Expands the effective `invocation_logging` of one account and region into the resources that
//! make up the chain: buckets, role, and the logging configuration that depends on them.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{is_bucket_name, InvocationLogging, S3Location};
use crate::model::addr::{Kind, ResourceAddr};
use crate::model::desired::{AccountTarget, DesiredResource};
use crate::policy;
use crate::source::{regions, Diagnostic, SourceFile, Sp};

/// The singleton's resource name in addresses: `ops/us-east-1/invocation_logging/default`.
pub const SINGLETON: &str = "default";
/// Name of the inline policy on the role the tool creates.
pub const ROLE_POLICY_NAME: &str = "warden-bedrock-invocation-logging";
/// Sid of the bucket policy statement the tool owns.
pub const BUCKET_SID: &str = "AmazonBedrockLogsWrite";

/// What the expansion needs to know about the scope.
pub struct Scope<'a> {
    pub source: &'a SourceFile,
    pub target: &'a AccountTarget,
    pub region: &'a str,
    /// Tags for managed resources here (defaults + account tags + ownership tag).
    pub tags: &'a BTreeMap<String, String>,
    /// Log groups the spec creates in this scope.
    pub log_groups: &'a [String],
    /// Replaces `{account}`, `{region}`, … in a template.
    pub fill: &'a dyn Fn(&str) -> String,
}

/// The resources for one scope, or the problems that prevent them.
pub fn expand(
    logging: &InvocationLogging,
    scope: &Scope,
) -> Result<Vec<DesiredResource>, Vec<Diagnostic>> {
    let addr = |kind, name: &str| ResourceAddr::new(&scope.target.name, scope.region, kind, name);
    let partition = regions::partition(scope.region);
    let account = scope.target.id.as_str();
    if !logging.is_enabled() {
        return Ok(vec![DesiredResource {
            addr: addr(Kind::InvocationLogging, SINGLETON),
            props: json!({ "enabled": false }),
            depends_on: Vec::new(),
            origin: logging
                .enabled
                .as_ref()
                .and_then(|e| SourceFile::location(&e.span())),
        }]);
    }
    let mut problems = Vec::new();
    if logging.cloudwatch.is_none() && logging.s3.is_none() {
        problems.push(
            Diagnostic::error(
                scope.source,
                None,
                format!(
                    "invocation logging in {}/{} has no destination after overrides are merged",
                    scope.target.name, scope.region
                ),
            )
            .field("invocation_logging")
            .help("add `cloudwatch:` and/or `s3:`, or `enabled: false`"),
        );
        return Err(problems);
    }
    let mut resources = Vec::new();
    let mut depends_on = Vec::new();
    // Buckets the tool creates: one resource per bucket, with a policy statement covering
    // every prefix Bedrock writes to in it.
    let mut buckets: BTreeMap<String, (Vec<String>, &S3Location)> = BTreeMap::new();
    let mut locations: Vec<&S3Location> = Vec::new();
    locations.extend(logging.s3.as_ref());
    locations.extend(
        logging
            .cloudwatch
            .as_ref()
            .and_then(|c| c.large_data.as_ref()),
    );
    for location in &locations {
        let name = (scope.fill)(location.bucket.get());
        // Checked offline with sample values; the real account name may still break S3's rules.
        if !is_bucket_name(&name) {
            problems.push(
                Diagnostic::error(
                    scope.source,
                    Some(&location.bucket.span()),
                    format!(
                        "`{name}` (for account `{}`) is not a valid S3 bucket name",
                        scope.target.name
                    ),
                )
                .field("invocation_logging")
                .help("bucket names are 3-63 lowercase letters, digits, `-` and `.`; use {account} rather than {account_name} if account names have capitals or `_`"),
            );
        }
        let prefix = location
            .key_prefix
            .as_ref()
            .map(|p| (scope.fill)(p.get()))
            .unwrap_or_default();
        if location.create.as_ref().is_none_or(|c| *c.get()) {
            let entry = buckets
                .entry(name)
                .or_insert_with(|| (Vec::new(), location));
            if !entry.0.contains(&prefix) {
                entry.0.push(prefix);
            }
        }
    }
    for (name, (prefixes, location)) in &buckets {
        let mut statements: Vec<Value> = Vec::new();
        for prefix in prefixes {
            let doc = policy::bedrock_logging_bucket_policy(
                partition,
                name,
                prefix,
                account,
                scope.region,
            );
            statements.extend(doc["Statement"].as_array().cloned().unwrap_or_default());
        }
        let policy_doc = merge_resources(statements);
        resources.push(DesiredResource {
            addr: addr(Kind::S3Bucket, name),
            props: json!({
                "policy": policy_doc,
                "encryption": "AES256",
                "public_access_block": true,
                "tags": scope.tags,
            }),
            depends_on: Vec::new(),
            origin: SourceFile::location(&location.bucket.span()),
        });
        depends_on.push(addr(Kind::S3Bucket, name));
    }

    let mut cloudwatch = Value::Null;
    if let Some(cw) = &logging.cloudwatch {
        let group = (scope.fill)(cw.log_group.get());
        let external = cw.external.as_ref().is_some_and(|e| *e.get());
        if scope.log_groups.contains(&group) {
            depends_on.push(addr(Kind::LogGroup, &group));
        } else if !external {
            problems.push(
                Diagnostic::error(scope.source, Some(&cw.log_group.span()), format!(
                    "log group `{group}` is not in `log_groups` for {}/{}",
                    scope.target.name, scope.region
                ))
                .field("invocation_logging.cloudwatch.log_group")
                .help("add it to `log_groups` (so it is created first, with its retention), or set `external: true` if it is managed elsewhere"),
            );
        }
        let role_arn = match (&cw.role_arn, &cw.role) {
            (Some(written), _) => {
                // `${env:…}` was checked (strict mode) before expansion.
                let resolved =
                    crate::spec::env::interpolate(written, crate::spec::env::from_process)
                        .unwrap_or_else(|_| written.get().clone());
                let arn = (scope.fill)(&resolved);
                let role_account = arn.split(':').nth(4).unwrap_or_default();
                if role_account != account {
                    problems.push(
                        Diagnostic::error(scope.source, Some(&written.span()), format!(
                            "the logging role is in account {role_account}, but the logging setting is in {account} ({})",
                            scope.target.name
                        ))
                        .field("invocation_logging.cloudwatch.role_arn")
                        .help("destinations and the role must be in the same account as the setting; use `{account}` in the ARN or `role: {}`"),
                    );
                }
                arn
            }
            (None, role) => {
                let written = role.as_ref().and_then(|r| r.name.as_ref());
                let name = written
                    .map(|n| (scope.fill)(n.get()))
                    .unwrap_or_else(|| format!("warden-bedrock-logging-{}", scope.region));
                resources.push(DesiredResource {
                    addr: addr(Kind::IamRole, &name),
                    props: json!({
                        "trust_policy": policy::bedrock_logging_trust_policy(partition, account, scope.region),
                        "inline_policies": {
                            ROLE_POLICY_NAME: policy::bedrock_logging_role_policy(partition, account, scope.region, &group),
                        },
                        "tags": scope.tags,
                    }),
                    depends_on: Vec::new(),
                    origin: SourceFile::location(
                        &written.map_or_else(|| cw.log_group.span(), |n| n.span()),
                    ),
                });
                depends_on.push(addr(Kind::IamRole, &name));
                format!("arn:{partition}:iam::{account}:role/{name}")
            }
        };
        cloudwatch = json!({
            "log_group": group,
            "role_arn": role_arn,
            "large_data": cw.large_data.as_ref().map(|l| location_props(l, scope.fill)),
        });
    }
    let data = logging.data.clone().unwrap_or_default();
    let flag = |f: &Option<Sp<bool>>| f.as_ref().is_none_or(|v| *v.get());
    resources.push(DesiredResource {
        addr: addr(Kind::InvocationLogging, SINGLETON),
        props: json!({
            "enabled": true,
            "data": {
                "text": flag(&data.text),
                "image": flag(&data.image),
                "embedding": flag(&data.embedding),
                "video": flag(&data.video),
            },
            "cloudwatch": cloudwatch,
            "s3": logging.s3.as_ref().map(|l| location_props(l, scope.fill)),
        }),
        depends_on,
        origin: None,
    });
    if problems.is_empty() {
        Ok(resources)
    } else {
        Err(problems)
    }
}

/// `{"bucket", "key_prefix"}` with an empty prefix as null (AWS treats both the same).
pub fn location_props(location: &S3Location, fill: &dyn Fn(&str) -> String) -> Value {
    let prefix = location
        .key_prefix
        .as_ref()
        .map(|p| fill(p.get()))
        .filter(|p| !p.is_empty());
    json!({ "bucket": fill(location.bucket.get()), "key_prefix": prefix })
}

/// One policy document whose single statement lists every resource of `statements`
/// (they differ only in the prefix they grant).
fn merge_resources(statements: Vec<Value>) -> Value {
    let mut iter = statements.into_iter();
    let Some(mut first) = iter.next() else {
        return json!({ "Version": "2012-10-17", "Statement": [] });
    };
    let mut resources: Vec<Value> = match first.get("Resource") {
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    for statement in iter {
        match statement.get("Resource") {
            Some(Value::Array(items)) => resources.extend(items.iter().cloned()),
            Some(one) => resources.push(one.clone()),
            None => {}
        }
    }
    first["Resource"] = Value::Array(resources);
    json!({ "Version": "2012-10-17", "Statement": [first] })
}
