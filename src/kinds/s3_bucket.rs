//! S3 buckets the tool creates for Bedrock log delivery: the tool's bucket policy statement
//! (other statements are kept), default encryption, public access block, tags.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging,
};
use aws_sdk_s3::Client;
use serde_json::{json, Value};

use super::{GlobalName, Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource, OWNER_TAG};
use crate::policy::{self, merge_owned};
use crate::spec::regions;

pub type Scope<'a> = super::Scope<'a, Client>;

/// S3 buckets: tagged. A bucket owns the policy statements whose Sids its properties' policy
/// has (other statements are kept), so any kind can ask for "a bucket this service may write
/// to" with its own statement.
pub struct S3BucketKind;

impl ResourceKind for S3BucketKind {
    const KIND: Kind = Kind::S3Bucket;
    const NAME: &'static str = "s3_bucket";
    const CONTROL: &'static str = "S3 buckets";
    const RANK: u8 = 0;
    const GLOBAL_NAME: Option<GlobalName> = Some(GlobalName {
        what: "S3 bucket",
        help: "bucket names are global and a bucket lives in one region: put `{region}` in the bucket name, e.g. `bedrock-logs-{account}-{region}`",
    });
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Tagged;
    // A service-wide filter: the Tagging API lists buckets under `s3` (AWS and the local cloud).
    const TAGGING_RESOURCE_TYPE: Option<&'static str> = Some("s3");
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.s3(region)
    }

    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        _discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let mut live = Vec::new();
        // The scope's tag index, asked for at the first bucket that exists.
        let mut index = None;
        for Named { name, .. } in wanted {
            // With the expected owner, a bucket of that name in another account answers 403
            // instead of being read (and later written) as if it were ours.
            let head = scope
                .client
                .head_bucket()
                .bucket(name)
                .expected_bucket_owner(scope.account_id)
                .send()
                .await;
            if let Err(e) = head {
                let status = e.raw_response().map(|r| r.status().as_u16());
                match (status, classify("s3:HeadBucket", e)) {
                    (_, e) if e.is_not_found() || e.code() == Some("NotFound") => continue,
                    (Some(403), _) => return Err(CloudError::unexpected(
                        "s3:HeadBucket",
                        format!("bucket `{name}` exists but is not this account's ({}) or may not be read by it: bucket names are global, so choose another name (e.g. with {{account}} and {{region}}), or grant s3:ListBucket", scope.account_id),
                    )),
                    (Some(301), _) => return Err(CloudError::unexpected(
                        "s3:HeadBucket",
                        format!("bucket `{name}` exists in another region than {}: Bedrock needs it in the same region as the logging setting; choose another name (e.g. with {{region}})", scope.region),
                    )),
                    (_, e) => return Err(e),
                }
            }
            let policy_doc = match scope.client.get_bucket_policy().bucket(name).send().await {
                Ok(out) => Some(
                    policy::parse_document(out.policy().unwrap_or("{}"))
                        .map_err(|e| CloudError::unexpected("s3:GetBucketPolicy", e.to_string()))?,
                ),
                Err(e) => match classify("s3:GetBucketPolicy", e) {
                    e if absent(&e, &["NoSuchBucketPolicy"]) => None,
                    e => return Err(e),
                },
            };
            let encryption = match scope
                .client
                .get_bucket_encryption()
                .bucket(name)
                .send()
                .await
            {
                Ok(out) => out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_string()),
                Err(e) => match classify("s3:GetBucketEncryption", e) {
                    e if absent(&e, &["ServerSideEncryptionConfigurationNotFoundError"]) => None,
                    e => return Err(e),
                },
            };
            let blocked = match scope
                .client
                .get_public_access_block()
                .bucket(name)
                .send()
                .await
            {
                Ok(out) => out.public_access_block_configuration().is_some_and(|c| {
                    c.block_public_acls() == Some(true)
                        && c.ignore_public_acls() == Some(true)
                        && c.block_public_policy() == Some(true)
                        && c.restrict_public_buckets() == Some(true)
                }),
                Err(e) => match classify("s3:GetPublicAccessBlock", e) {
                    e if absent(&e, &["NoSuchPublicAccessBlockConfiguration"]) => false,
                    e => return Err(e),
                },
            };
            if index.is_none() {
                index = Some(scope.tag_index(wanted.len()).await?);
            }
            let arn = format!("arn:{}:s3:::{name}", regions::partition(scope.region));
            let tags = match index.flatten().and_then(|i| i.tags(&arn)) {
                Some(tags) => tags.clone(),
                None => read_tags(&scope.client, name).await?,
            };
            live.push(LiveResource {
                addr: scope.addr(Kind::S3Bucket, name),
                owner: tags.get(OWNER_TAG).cloned(),
                // The whole policy: `comparable` keeps the statements the spec's policy owns.
                props: json!({
                    "policy": policy_doc,
                    "encryption": encryption,
                    "public_access_block": blocked,
                    "tags": tags,
                }),
            });
        }
        Ok(live)
    }

    fn comparable(desired: &Value, live: &Value) -> Value {
        let mut view = super::shared_policy_view(desired, live);
        let stronger = view["encryption"]
            .as_str()
            .is_some_and(|e| STRONGER_THAN_SSE_S3.contains(&e));
        if desired["encryption"] == "AES256" && stronger {
            view["encryption"] = desired["encryption"].clone();
        }
        view
    }

    /// The bucket policy as what it allows.
    fn describe(after: &Value) -> Vec<(&'static str, String)> {
        let lines = policy::describe_document(&after["policy"]);
        if lines.is_empty() {
            return Vec::new();
        }
        vec![("policy", format!("bucket policy: {}", lines.join("\n")))]
    }

    /// How the statements the bucket owns differ, in words (e.g. a loosened condition).
    fn explain(before: &Value, after: &Value) -> Option<String> {
        if before.is_null() || before["policy"] == after["policy"] {
            return None;
        }
        let differences = policy::describe_differences(&before["policy"], &after["policy"]);
        (!differences.is_empty()).then(|| format!("bucket policy: {}", differences.join("; ")))
    }

    async fn create(scope: &Scope<'_>, name: &str, props: &Value) -> Result<(), CloudError> {
        let mut request = scope.client.create_bucket().bucket(name);
        if scope.region != "us-east-1" {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(scope.region))
                    .build(),
            );
        }
        request
            .send()
            .await
            .map_err(|e| classify("s3:CreateBucket", e))?;
        // Ownership first: the tags (with `warden:managed-by`) are the very next call, so a run
        // stopped at any later step leaves a bucket that reads as this project's, with the rest as
        // an update. (CreateBucketConfiguration.Tags would do it in one call, but it needs the
        // newer s3:TagResource permission and moto 5.2.5 ignores it.) In us-east-1, CreateBucket on
        // a bucket the account already has succeeds: a bucket that carries an owner tag already was
        // not created by this call, and is handed back as existing.
        let existing = read_tags(&scope.client, name).await?;
        if existing.contains_key(OWNER_TAG) {
            return Err(CloudError::AlreadyExists {
                operation: "s3:CreateBucket".into(),
                message: format!("bucket `{name}` already exists and carries `{OWNER_TAG}`"),
            });
        }
        put_tags(&scope.client, name, existing, &props["tags"]).await?;
        let before = json!({ "policy": null, "encryption": null, "public_access_block": false, "tags": props["tags"] });
        Self::update(scope, name, &before, props).await
    }

    async fn update(
        scope: &Scope<'_>,
        name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        let client = &scope.client;
        // Tags (the ownership mark among them) first, so an adopt stopped halfway is already ours.
        if before["tags"] != after["tags"] {
            let current = read_tags(client, name).await?;
            put_tags(client, name, current, &after["tags"]).await?;
        }
        if before["public_access_block"] != after["public_access_block"] {
            let on = after["public_access_block"].as_bool().unwrap_or(true);
            client
                .put_public_access_block()
                .bucket(name)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(on)
                        .ignore_public_acls(on)
                        .block_public_policy(on)
                        .restrict_public_buckets(on)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| classify("s3:PutPublicAccessBlock", e))?;
        }
        if before["encryption"] != after["encryption"] {
            let rule = ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::from(
                            after["encryption"].as_str().unwrap_or("AES256"),
                        ))
                        .build()
                        .map_err(|e| {
                            CloudError::unexpected("s3:PutBucketEncryption", e.to_string())
                        })?,
                )
                .build();
            client
                .put_bucket_encryption()
                .bucket(name)
                .server_side_encryption_configuration(
                    ServerSideEncryptionConfiguration::builder()
                        .rules(rule)
                        .build()
                        .map_err(|e| {
                            CloudError::unexpected("s3:PutBucketEncryption", e.to_string())
                        })?,
                )
                .send()
                .await
                .map_err(|e| classify("s3:PutBucketEncryption", e))?;
        }
        if before["policy"] != after["policy"] {
            // Replace only the tool's statement; every other statement of the policy stays.
            let current = match client.get_bucket_policy().bucket(name).send().await {
                Ok(out) => Some(
                    policy::parse_document(out.policy().unwrap_or("{}"))
                        .map_err(|e| CloudError::unexpected("s3:GetBucketPolicy", e.to_string()))?,
                ),
                Err(e) => match classify("s3:GetBucketPolicy", e) {
                    e if absent(&e, &["NoSuchBucketPolicy"]) => None,
                    e => return Err(e),
                },
            };
            // Each owned Sid's statements take the place of the live ones with that Sid.
            let Some(merged) = merge_owned(current.as_ref(), &after["policy"]) else {
                return Ok(());
            };
            client
                .put_bucket_policy()
                .bucket(name)
                .policy(merged.to_string())
                .send()
                .await
                .map_err(|e| classify("s3:PutBucketPolicy", e))?;
        }
        Ok(())
    }

    /// The bucket's objects (every version and delete marker, which also block `DeleteBucket`),
    /// counted up to one page.
    async fn contents(scope: &Scope<'_>, name: &str) -> Result<Option<String>, CloudError> {
        let out = scope
            .client
            .list_object_versions()
            .bucket(name)
            .max_keys(1000)
            .send()
            .await
            .map_err(|e| classify("s3:ListObjectVersions", e))?;
        let count = out.versions().len() + out.delete_markers().len();
        Ok(match (count, out.is_truncated() == Some(true)) {
            (0, _) => None,
            (n, true) => Some(format!("holds more than {n} objects")),
            (1, false) => Some("holds 1 object".to_string()),
            (n, false) => Some(format!("holds {n} objects")),
        })
    }

    /// Deletes every object version and delete marker, a page (≤ 1,000) per `DeleteObjects`.
    async fn delete_contents(scope: &Scope<'_>, name: &str) -> Result<(), CloudError> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        loop {
            let out = scope
                .client
                .list_object_versions()
                .bucket(name)
                .max_keys(1000)
                .send()
                .await
                .map_err(|e| classify("s3:ListObjectVersions", e))?;
            let ids = out
                .versions()
                .iter()
                .map(|v| (v.key(), v.version_id()))
                .chain(
                    out.delete_markers()
                        .iter()
                        .map(|m| (m.key(), m.version_id())),
                )
                .filter_map(|(key, version)| {
                    ObjectIdentifier::builder()
                        .key(key?)
                        .set_version_id(version.filter(|v| *v != "null").map(str::to_string))
                        .build()
                        .ok()
                })
                .collect::<Vec<_>>();
            if ids.is_empty() {
                return Ok(());
            }
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| CloudError::unexpected("s3:DeleteObjects", e.to_string()))?;
            let result = scope
                .client
                .delete_objects()
                .bucket(name)
                .delete(delete)
                .send()
                .await
                .map_err(|e| classify("s3:DeleteObjects", e))?;
            if let Some(failed) = result.errors().first() {
                return Err(CloudError::unexpected(
                    "s3:DeleteObjects",
                    format!(
                        "{} of the objects could not be deleted, e.g. {}: {}",
                        result.errors().len(),
                        failed.key().unwrap_or("?"),
                        failed.message().unwrap_or("no message")
                    ),
                ));
            }
        }
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        match scope.client.delete_bucket().bucket(name).send().await {
            Ok(_) => Ok(()),
            Err(e) => match classify("s3:DeleteBucket", e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }
}

/// An error code that means "this part is not configured", not a failure.
fn absent(error: &CloudError, codes: &[&str]) -> bool {
    error.is_not_found() || error.code().is_some_and(|c| codes.contains(&c))
}

async fn read_tags(client: &Client, name: &str) -> Result<BTreeMap<String, String>, CloudError> {
    match client.get_bucket_tagging().bucket(name).send().await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) => match classify("s3:GetBucketTagging", e) {
            e if absent(&e, &["NoSuchTagSet", "NoSuchTagSetError"]) => Ok(BTreeMap::new()),
            e => Err(e),
        },
    }
}

/// Stronger default encryption than the spec asks for counts as meeting it: a bucket someone
/// set to SSE-KMS is never "downgraded" to SSE-S3.
const STRONGER_THAN_SSE_S3: &[&str] = &["aws:kms", "aws:kms:dsse"];

/// Writes `wanted` over `current` (PutBucketTagging replaces every tag: the ones the tool does
/// not manage are kept).
async fn put_tags(
    client: &Client,
    name: &str,
    mut current: BTreeMap<String, String>,
    wanted: &Value,
) -> Result<(), CloudError> {
    for (k, v) in wanted.as_object().into_iter().flatten() {
        current.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
    }
    let tag_set: Vec<Tag> = current
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect();
    client
        .put_bucket_tagging()
        .bucket(name)
        .tagging(
            Tagging::builder()
                .set_tag_set(Some(tag_set))
                .build()
                .map_err(|e| CloudError::unexpected("s3:PutBucketTagging", e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| classify("s3:PutBucketTagging", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sid: &str, service: &str) -> Value {
        json!({"Sid": sid, "Effect": "Allow", "Principal": {"Service": service},
               "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"})
    }

    #[test]
    fn a_bucket_owns_the_statements_whose_sids_its_policy_has() {
        // Any service's statement, not only Bedrock's: CloudTrail's here.
        let ours = json!({"Version": "2012-10-17", "Statement": [statement("TrailWrite", "cloudtrail.amazonaws.com")]});
        let live = json!({"Version": "2012-10-17", "Statement": [
            statement("Theirs", "logging.s3.amazonaws.com"),
            statement("TrailWrite", "old.amazonaws.com"),
        ]});
        let desired = json!({"policy": ours, "encryption": "AES256", "public_access_block": true, "tags": {}});
        let live_props = json!({"policy": live, "encryption": "AES256", "public_access_block": true, "tags": {}});
        let view = S3BucketKind::comparable(&desired, &live_props);
        assert_eq!(
            view["policy"]["Statement"],
            json!([statement("TrailWrite", "old.amazonaws.com")])
        );
        let merged = merge_owned(Some(&live), &ours).unwrap();
        assert_eq!(
            merged["Statement"],
            json!([
                statement("Theirs", "logging.s3.amazonaws.com"),
                statement("TrailWrite", "cloudtrail.amazonaws.com"),
            ])
        );
        assert_eq!(merge_owned(Some(&live), &json!(null)), None);
    }

    #[test]
    fn sse_kms_meets_the_default_encryption_and_none_does_not() {
        let desired = json!({"policy": null, "encryption": "AES256", "public_access_block": true, "tags": {}});
        let live = |encryption: Value| json!({"policy": null, "encryption": encryption, "public_access_block": true, "tags": {}});
        assert_eq!(
            S3BucketKind::comparable(&desired, &live(json!("aws:kms")))["encryption"],
            "AES256"
        );
        assert_eq!(
            S3BucketKind::comparable(&desired, &live(json!("aws:kms:dsse")))["encryption"],
            "AES256"
        );
        assert_eq!(
            S3BucketKind::comparable(&desired, &live(Value::Null))["encryption"],
            Value::Null
        );
    }
}
