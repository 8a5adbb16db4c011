//! CloudWatch Logs log groups: read in batches of 50, normalize, create, update and delete.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_cloudwatchlogs::types::{DataProtectionStatus, LogGroup};
use aws_sdk_cloudwatchlogs::Client;
use futures::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Map, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::data_protection;
use crate::model::{Kind, LiveResource, ResourceAddr, OWNER_TAG};
use crate::spec::regions;

/// `DescribeLogGroups` takes at most 50 names per call.
const DESCRIBE_BATCH: usize = 50;
/// Tag reads are 5 TPS per account and region: stay under it.
const TAG_READ_CONCURRENCY: usize = 4;

/// Where one scope's log groups live.
pub type Scope<'a> = super::Scope<'a, Client>;

/// CloudWatch Logs log groups: tagged, per region, discoverable for prune.
pub struct LogGroupKind;

impl ResourceKind for LogGroupKind {
    const KIND: Kind = Kind::LogGroup;
    const NAME: &'static str = "log_group";
    const CONTROL: &'static str = "log groups";
    const RANK: u8 = 2;
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Tagged;
    const DISCOVERS: bool = true;
    const TAGGING_RESOURCE_TYPE: Option<&'static str> = Some("logs:log-group");
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.logs(region)
    }

    /// Reads the named groups (missing ones are simply absent from the result). With
    /// `discover_owner`, also reads every other group in the region and returns those whose
    /// ownership tag equals it, so pruning can find managed groups that left the spec.
    async fn read(
        scope: &Scope<'_>,
        named: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let names: Vec<String> = named.iter().map(|n| n.name.clone()).collect();
        let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
        let groups = if discover_owner.is_some() {
            describe(&scope.client, None).await?
        } else {
            let mut found = Vec::new();
            for chunk in names.chunks(DESCRIBE_BATCH) {
                found.extend(describe(&scope.client, Some(chunk)).await?);
            }
            found
        };
        let groups: Vec<LogGroup> = groups
            .into_iter()
            .filter(|g| {
                g.log_group_name()
                    .is_some_and(|n| discover_owner.is_some() || wanted.contains(n))
            })
            .collect();
        let wanted = &wanted;
        // Ownership tags in bulk where the engine offers them (one call per 100 owned groups).
        let index = scope.tag_index(groups.len()).await?;
        let live: Vec<Option<LiveResource>> = stream::iter(groups)
            .map(|group| async move {
                let name = group.log_group_name().unwrap_or_default().to_string();
                let named = wanted.contains(name.as_str());
                let tags = match index.map(|i| i.tags(&arn(scope, &name))) {
                    Some(Some(tags)) => tags.clone(),
                    // Not in the index: no ownership tag, so a group the spec does not name
                    // is not this project's; a named one may be adopted: read its tags.
                    Some(None) if !named => return Ok(None),
                    _ => list_tags(scope, &name).await?,
                };
                let keep = named
                    || (discover_owner.is_some()
                        && tags.get(OWNER_TAG).map(String::as_str) == discover_owner);
                if !keep {
                    return Ok::<_, CloudError>(None);
                }
                let protection = read_data_protection(scope, &group).await?;
                Ok(Some(normalize(
                    scope.addr(Kind::LogGroup, &name),
                    &group,
                    tags,
                    protection,
                )))
            })
            .buffer_unordered(TAG_READ_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(live.into_iter().flatten().collect())
    }

    /// The part of the live state the spec governs: tags the spec does not name are left alone,
    /// so they are not compared either.
    fn comparable(desired: &Value, live: &Value) -> Value {
        super::project_keys(desired, live, "tags")
    }

    /// The data-protection policy as its identifiers.
    fn describe(after: &Value) -> Vec<(&'static str, String)> {
        data_protection::describe_policy(&after["data_protection"])
            .map(|words| vec![("data_protection", format!("data protection: {words}"))])
            .unwrap_or_default()
    }

    /// The data-protection difference as identifiers added/removed and settings changed.
    fn explain(before: &Value, after: &Value) -> Option<String> {
        let lines = data_protection::describe_differences(
            &before["data_protection"],
            &after["data_protection"],
        );
        (!lines.is_empty()).then(|| format!("data protection: {}", lines.join("; ")))
    }

    fn warnings(before: &Value, after: &Value) -> Option<String> {
        protection_removed(before, after)
    }

    fn references(props: &Value, out: &mut Vec<(Kind, String)>) {
        mentioned_groups(props, out)
    }

    async fn create(scope: &Scope<'_>, name: &str, props: &Value) -> Result<(), CloudError> {
        scope
            .client
            .create_log_group()
            .log_group_name(name)
            .set_kms_key_id(props["kms_key_id"].as_str().map(str::to_string))
            .set_tags(Some(string_map(&props["tags"])))
            .send()
            .await
            .map_err(|e| classify("logs:CreateLogGroup", e))?;
        if let Some(days) = props["retention_days"].as_i64() {
            put_retention(scope, name, days).await?;
        }
        if !props["data_protection"].is_null() {
            put_data_protection(scope, name, &props["data_protection"]).await?;
        }
        Ok(())
    }

    /// Brings an existing group from `before` to `after`, touching only fields that differ.
    async fn update(
        scope: &Scope<'_>,
        name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        // Tags (the ownership mark among them) first, so an adopt stopped halfway is already ours.
        let empty = Map::new();
        let old_tags = before["tags"].as_object().unwrap_or(&empty);
        let changed: BTreeMap<String, String> = string_map(&after["tags"])
            .into_iter()
            .filter(|(k, v)| old_tags.get(k).and_then(Value::as_str) != Some(v.as_str()))
            .collect();
        if !changed.is_empty() {
            scope
                .client
                .tag_resource()
                .resource_arn(arn(scope, name))
                .set_tags(Some(changed.into_iter().collect()))
                .send()
                .await
                .map_err(|e| classify("logs:TagResource", e))?;
        }
        if before["retention_days"] != after["retention_days"] {
            match after["retention_days"].as_i64() {
                Some(days) => put_retention(scope, name, days).await?,
                None => {
                    scope
                        .client
                        .delete_retention_policy()
                        .log_group_name(name)
                        .send()
                        .await
                        .map_err(|e| classify("logs:DeleteRetentionPolicy", e))?;
                }
            }
        }
        if before["kms_key_id"] != after["kms_key_id"] {
            match after["kms_key_id"].as_str() {
                Some(key) => {
                    scope
                        .client
                        .associate_kms_key()
                        .log_group_name(name)
                        .kms_key_id(key)
                        .send()
                        .await
                        .map_err(|e| classify("logs:AssociateKmsKey", e))?;
                }
                None => {
                    scope
                        .client
                        .disassociate_kms_key()
                        .log_group_name(name)
                        .send()
                        .await
                        .map_err(|e| classify("logs:DisassociateKmsKey", e))?;
                }
            }
        }
        if before["data_protection"] != after["data_protection"] {
            if after["data_protection"].is_null() {
                scope
                    .client
                    .delete_data_protection_policy()
                    .log_group_identifier(name)
                    .send()
                    .await
                    .map_err(|e| classify("logs:DeleteDataProtectionPolicy", e))?;
            } else {
                put_data_protection(scope, name, &after["data_protection"]).await?;
            }
        }
        Ok(())
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        match scope
            .client
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(|e| classify("logs:DeleteLogGroup", e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

/// A plain warning when the change takes away encryption or a data-protection policy because
/// the spec does not name them (absent fields are enforced as absent).
fn protection_removed(before: &Value, after: &Value) -> Option<String> {
    let removed = |field: &str| !before[field].is_null() && after.get(field) == Some(&Value::Null);
    let mut lost = Vec::new();
    if removed("kms_key_id") {
        lost.push("its KMS key (set `kms_key_id` to keep it)");
    }
    if removed("data_protection") {
        lost.push("its data-protection policy (set `data_protection` to keep it)");
    }
    (!lost.is_empty()).then(|| format!("this REMOVES {}", lost.join(" and ")))
}

/// Every log group named under a `log_group` key, at any depth (an external logging
/// destination or a findings group): a group the spec still points at is in use, even when
/// `log_groups` no longer lists it.
pub fn mentioned_groups(value: &Value, out: &mut Vec<(Kind, String)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("log_group", Value::String(name)) => out.push((Kind::LogGroup, name.clone())),
                    _ => mentioned_groups(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| mentioned_groups(v, out)),
        _ => {}
    }
}

/// The ARN of the group `name` in the scope (tag calls take it).
fn arn(scope: &Scope<'_>, name: &str) -> String {
    format!(
        "arn:{}:logs:{}:{}:log-group:{}",
        regions::partition(scope.region),
        scope.region,
        scope.account_id,
        name
    )
}

async fn describe(client: &Client, names: Option<&[String]>) -> Result<Vec<LogGroup>, CloudError> {
    let mut request = client.describe_log_groups();
    if let Some(names) = names {
        request = request.set_log_group_identifiers(Some(names.to_vec()));
    }
    let pages: Vec<_> = request
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    pages
        .into_iter()
        .map(|r| r.map_err(|e| classify("logs:DescribeLogGroups", e)))
        .collect()
}

async fn list_tags(scope: &Scope<'_>, name: &str) -> Result<BTreeMap<String, String>, CloudError> {
    let out = scope
        .client
        .list_tags_for_resource()
        .resource_arn(arn(scope, name))
        .send()
        .await
        .map_err(|e| classify("logs:ListTagsForResource", e))?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// The group's data-protection policy, normalized; read only when DescribeLogGroups says the
/// group has an active one (one call, at 5 TPS, only where needed).
async fn read_data_protection(scope: &Scope<'_>, group: &LogGroup) -> Result<Value, CloudError> {
    if group.data_protection_status() != Some(&DataProtectionStatus::Activated) {
        return Ok(Value::Null);
    }
    let out = scope
        .client
        .get_data_protection_policy()
        .log_group_identifier(group.log_group_name().unwrap_or_default())
        .send()
        .await
        .map_err(|e| classify("logs:GetDataProtectionPolicy", e))?;
    Ok(match out.policy_document() {
        None => Value::Null,
        Some(text) => data_protection::normalize_document(text).unwrap_or_else(|e| {
            // Shown as drift and replaced by the spec's policy on apply.
            json!({ "unrecognized_document": e.to_string() })
        }),
    })
}

/// The normalized view of a live group: same fields as the desired properties.
pub fn normalize(
    addr: ResourceAddr,
    group: &LogGroup,
    tags: BTreeMap<String, String>,
    data_protection: Value,
) -> LiveResource {
    let owner = tags.get(OWNER_TAG).cloned();
    LiveResource {
        addr,
        props: json!({
            "retention_days": group.retention_in_days(),
            "kms_key_id": group.kms_key_id(),
            "tags": tags,
            "data_protection": data_protection,
        }),
        owner,
    }
}

async fn put_data_protection(
    scope: &Scope<'_>,
    name: &str,
    props: &Value,
) -> Result<(), CloudError> {
    let document = data_protection::build_document(props, regions::partition(scope.region));
    scope
        .client
        .put_data_protection_policy()
        .log_group_identifier(name)
        .policy_document(document)
        .send()
        .await
        .map_err(|e| classify("logs:PutDataProtectionPolicy", e))?;
    Ok(())
}

async fn put_retention(scope: &Scope<'_>, name: &str, days: i64) -> Result<(), CloudError> {
    scope
        .client
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days as i32)
        .send()
        .await
        .map_err(|e| classify("logs:PutRetentionPolicy", e))?;
    Ok(())
}

fn string_map(value: &Value) -> std::collections::HashMap<String, String> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_groups_normalize_to_the_desired_shape() {
        let group = LogGroup::builder()
            .log_group_name("/aws/bedrock/invocations")
            .retention_in_days(1827)
            .build();
        let tags = BTreeMap::from([
            (OWNER_TAG.to_string(), "default".to_string()),
            ("team".to_string(), "ai".to_string()),
        ]);
        let addr = ResourceAddr::new(
            "ops",
            "us-east-1",
            Kind::LogGroup,
            "/aws/bedrock/invocations",
        );
        let live = normalize(addr, &group, tags, Value::Null);
        assert_eq!(live.owner.as_deref(), Some("default"));
        assert_eq!(
            live.props,
            json!({"retention_days": 1827, "kms_key_id": null, "tags": {"team": "ai", "warden:managed-by": "default"}, "data_protection": null})
        );
    }

    #[test]
    fn tags_outside_the_spec_are_not_compared() {
        let desired = json!({"retention_days": null, "kms_key_id": null, "tags": {"team": "ai"}});
        let live = json!({"retention_days": 30, "kms_key_id": null, "tags": {"team": "ml", "cost-center": "42"}});
        assert_eq!(
            LogGroupKind::comparable(&desired, &live),
            json!({"retention_days": 30, "kms_key_id": null, "tags": {"team": "ml"}})
        );
    }
}
