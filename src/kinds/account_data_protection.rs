//! The account-wide CloudWatch Logs data-protection policy (one per account and region):
//! applies to every log group, including ones created later by other teams.

use aws_sdk_cloudwatchlogs::types::{PolicyType, Scope as PolicyScope};
use aws_sdk_cloudwatchlogs::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::data_protection;
use crate::model::logging::SINGLETON;
use crate::model::{Kind, LiveResource};
use crate::spec::regions;

pub type Scope<'a> = super::Scope<'a, Client>;

/// The account's data-protection policy: a singleton per account and region.
pub struct AccountDataProtectionKind;

impl ResourceKind for AccountDataProtectionKind {
    const KIND: Kind = Kind::AccountDataProtection;
    const NAME: &'static str = "account_data_protection";
    const CONTROL: &'static str = "account data protection";
    const RANK: u8 = 3;
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Singleton;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.logs(region)
    }

    async fn read(
        scope: &Scope<'_>,
        _wanted: &[Named],
        _discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        Ok(vec![read(scope).await?])
    }

    fn comparable(_desired: &Value, live: &Value) -> Value {
        live.clone()
    }

    /// The policy as its identifiers.
    fn describe(after: &Value) -> Vec<(&'static str, String)> {
        data_protection::describe_policy(&after["policy"])
            .map(|words| vec![("policy", format!("account data protection: {words}"))])
            .unwrap_or_default()
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        let lines = data_protection::describe_differences(&before["policy"], &after["policy"]);
        (!lines.is_empty()).then(|| format!("account data protection: {}", lines.join("; ")))
    }

    fn references(props: &Value, out: &mut Vec<(Kind, String)>) {
        super::log_group::mentioned_groups(props, out)
    }

    async fn create(scope: &Scope<'_>, _name: &str, after: &Value) -> Result<(), CloudError> {
        apply(scope, &json!({ "policy": null }), after).await
    }

    async fn update(
        scope: &Scope<'_>,
        _name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        apply(scope, before, after).await
    }

    fn off() -> Option<Value> {
        Some(json!({ "policy": null }))
    }

    /// Removes the policy (planned by `warden destroy` only: a singleton is never pruned).
    async fn delete(scope: &Scope<'_>, _name: &str, before: &Value) -> Result<(), CloudError> {
        let Some(name) = before["policy"]["name"].as_str() else {
            return Ok(());
        };
        match scope
            .client
            .delete_account_policy()
            .policy_name(name)
            .policy_type(PolicyType::DataProtectionPolicy)
            .send()
            .await
            .map_err(|e| classify("logs:DeleteAccountPolicy", e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

/// Reads the singleton: `{"policy": null}` when the account has none. No tags: the engine
/// makes it the project's.
async fn read(scope: &Scope<'_>) -> Result<LiveResource, CloudError> {
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
        addr: scope.addr(Kind::AccountDataProtection, SINGLETON),
        props: json!({ "policy": policy }),
        owner: None,
    })
}

/// Puts the spec's policy. An account holds only one data-protection account policy, so one of
/// another name is deleted first; if the new one is then refused, the old one is put back.
async fn apply(scope: &Scope<'_>, before: &Value, after: &Value) -> Result<(), CloudError> {
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
