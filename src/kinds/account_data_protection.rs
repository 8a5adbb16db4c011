//! The account-wide CloudWatch Logs data-protection policy (one per account and region):
//! applies to every log group, including ones created later by other teams.

use aws_sdk_cloudwatchlogs::types::{PolicyType, Scope as PolicyScope};
use aws_sdk_cloudwatchlogs::Client;
use serde_json::{json, Value};

use crate::cloud::{classify, CloudError};
use crate::data_protection;
use crate::model::logging::SINGLETON;
use crate::model::{Kind, LiveResource, ResourceAddr};
use crate::spec::regions;

pub struct Scope<'a> {
    pub client: &'a Client,
    pub account_name: &'a str,
    pub region: &'a str,
}

/// Reads the singleton: `{"policy": null}` when the account has none. No tags: owned by `project`.
pub async fn read(scope: &Scope<'_>, project: &str) -> Result<LiveResource, CloudError> {
    let out = scope
        .client
        .describe_account_policies()
        .policy_type(PolicyType::DataProtectionPolicy)
        .send()
        .await
        .map_err(|e| classify("logs:DescribeAccountPolicies", e));
    // An account without one may answer ResourceNotFoundException rather than an empty list.
    let out = match out {
        Err(e) if e.is_not_found() => None,
        other => Some(other?),
    };
    let policy = out
        .as_ref()
        .and_then(|o| o.account_policies().first())
        .map(|p| {
            let mut props = p
                .policy_document()
                .map(data_protection::normalize_document)
                .transpose()
                .unwrap_or_else(|e| Some(json!({ "unrecognized_document": e.to_string() })))
                .unwrap_or(Value::Null);
            // The account policy's own name is what identifies it; prefer it to the document's.
            if let (Some(name), Some(obj)) = (p.policy_name(), props.as_object_mut()) {
                obj.insert("name".into(), json!(name));
            }
            props
        })
        .unwrap_or(Value::Null);
    Ok(LiveResource {
        addr: ResourceAddr::new(
            scope.account_name,
            scope.region,
            Kind::AccountDataProtection,
            SINGLETON,
        ),
        props: json!({ "policy": policy }),
        owner: Some(project.to_string()),
    })
}

pub fn explain(before: &Value, after: &Value) -> Option<String> {
    let lines = data_protection::describe_differences(&before["policy"], &after["policy"]);
    (!lines.is_empty()).then(|| format!("account data protection: {}", lines.join("; ")))
}

/// Puts the spec's policy. An account holds only one data-protection account policy, so one of
/// another name is deleted first; if the new one is then refused, the old one is put back.
pub async fn apply(scope: &Scope<'_>, before: &Value, after: &Value) -> Result<(), CloudError> {
    let name = after["policy"]["name"]
        .as_str()
        .unwrap_or(data_protection::DEFAULT_POLICY_NAME);
    let replaced = before["policy"]["name"].as_str().filter(|old| *old != name);
    if let Some(old) = replaced {
        scope
            .client
            .delete_account_policy()
            .policy_name(old)
            .policy_type(PolicyType::DataProtectionPolicy)
            .send()
            .await
            .map_err(|e| classify("logs:DeleteAccountPolicy", e))?;
    }
    let result = put(scope, name, &after["policy"]).await;
    match (result, replaced) {
        (Err(error), Some(old)) if before["policy"].get("unrecognized_document").is_none() => {
            let restored = put(scope, old, &before["policy"]).await;
            Err(CloudError::unexpected(
                "logs:PutAccountPolicy",
                format!(
                "{error}; the previous policy `{old}` {}",
                match restored {
                    Ok(()) => "was put back".to_string(),
                    Err(e) => format!("could NOT be put back ({e}): the account has no data-protection account policy now"),
                }
            )))
        }
        (result, _) => result,
    }
}

async fn put(scope: &Scope<'_>, name: &str, policy: &Value) -> Result<(), CloudError> {
    scope
        .client
        .put_account_policy()
        .policy_name(name)
        .policy_type(PolicyType::DataProtectionPolicy)
        .scope(PolicyScope::All)
        .policy_document(data_protection::build_document(
            policy,
            regions::partition(scope.region),
        ))
        .send()
        .await
        .map_err(|e| classify("logs:PutAccountPolicy", e))?;
    Ok(())
}
