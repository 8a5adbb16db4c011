//! CloudWatch Logs resource policies of warden's own name (`warden-events-<project>`): what lets EventBridge write to the log groups `event_rules` targets, without touching any other policy of the account and region.
//!
//! Logs resource policies are one per name per account and region (at most 10), untagged:
//! `PutResourcePolicy` of a name replaces that policy whole. warden therefore owns whole
//! policies by name, never statements in another tool's policy: the name is the ownership mark
//! (`warden-events-<project>` belongs to `<project>`). Properties: `policy` (the document).

use aws_sdk_cloudwatchlogs::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource};
use crate::policy;

pub type Scope<'a> = super::Scope<'a, Client>;

/// Names of warden's policies start with this; the rest is the project.
pub const NAME_PREFIX: &str = "warden-events-";
/// CloudWatch Logs refuses resource policy documents longer than this.
pub const MAX_DOCUMENT_CHARS: usize = 5120;

/// The name of `project`'s policy in each account and region.
pub fn policy_name(project: &str) -> String {
    format!("{NAME_PREFIX}{project}")
}

/// The project a policy of this name belongs to, when warden named it.
fn owner_of(name: &str) -> Option<String> {
    name.strip_prefix(NAME_PREFIX)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
}

/// Logs resource policies: marked by name, regional, before the rules that write through them.
pub struct LogsResourcePolicyKind;

/// Every resource policy of the scope: (name, document text).
async fn list(scope: &Scope<'_>) -> Result<Vec<(String, String)>, CloudError> {
    super::all_pages(|token| async move {
        let out = scope
            .client
            .describe_resource_policies()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("logs:DescribeResourcePolicies", e))?;
        let found = out
            .resource_policies()
            .iter()
            .filter_map(|p| {
                Some((
                    p.policy_name()?.to_string(),
                    p.policy_document().unwrap_or_default().to_string(),
                ))
            })
            .collect();
        Ok((found, out.next_token().map(str::to_string)))
    })
    .await
}

async fn put(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
    scope
        .client
        .put_resource_policy()
        .policy_name(name)
        .policy_document(after["policy"].to_string())
        .send()
        .await
        .map_err(|e| classify("logs:PutResourcePolicy", e))?;
    Ok(())
}

impl ResourceKind for LogsResourcePolicyKind {
    const KIND: Kind = Kind::LogsResourcePolicy;
    const NAME: &'static str = "logs_resource_policy";
    const RANK: u8 = 3;
    const CONTROL: &'static str = "event rules";
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Marked;
    const DISCOVERS: bool = true;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.logs(region)
    }

    /// One DescribeResourcePolicies (all of the scope's, 10 at most) serves every name; with
    /// `discover_owner` (prune), that project's policy is found by its name too.
    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let mine = discover_owner.map(policy_name);
        let mut live = Vec::new();
        for (name, text) in list(scope).await? {
            let named = wanted.iter().any(|n| n.name == name);
            if !named && mine.as_deref() != Some(name.as_str()) {
                continue;
            }
            let doc = policy::parse_document(&text).map_err(|e| {
                CloudError::unexpected("logs:DescribeResourcePolicies", e.to_string())
            })?;
            live.push(LiveResource {
                addr: scope.addr(Kind::LogsResourcePolicy, &name),
                owner: owner_of(&name),
                props: json!({"policy": doc}),
            });
        }
        Ok(live)
    }

    /// A document that means the same as the spec's is shown in the spec's spelling.
    fn comparable(desired: &Value, live: &Value) -> Value {
        let mut view = json!({"policy": live["policy"]});
        super::align_policy(desired, &mut view, "/policy");
        view
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        let differences = policy::describe_differences(&before["policy"], &after["policy"]);
        (!differences.is_empty()).then(|| {
            format!(
                "the resource policy that lets EventBridge write to the log groups: {}",
                differences.join("; ")
            )
        })
    }

    async fn create(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
        put(scope, name, after).await
    }

    async fn update(
        scope: &Scope<'_>,
        name: &str,
        _before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        put(scope, name, after).await
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        match scope
            .client
            .delete_resource_policy()
            .policy_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match classify("logs:DeleteResourcePolicy", e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::policy::logs_write_policy;

    #[test]
    fn the_name_is_the_ownership_mark() {
        assert_eq!(owner_of(&policy_name("a-b")).as_deref(), Some("a-b"));
        assert_eq!(owner_of("TrustEventsToStoreLogEvent"), None);
        assert_eq!(owner_of(NAME_PREFIX), None);
    }

    #[test]
    fn an_equivalent_document_is_no_change_and_a_wider_one_is_said() {
        let want = json!({"policy": logs_write_policy("aws", "us-east-1", "1", &["/aws/events/a".into()])});
        let mut reordered = want.clone();
        reordered["policy"]["Statement"][0]["Action"] =
            json!(["logs:PutLogEvents", "logs:CreateLogStream"]);
        assert_eq!(LogsResourcePolicyKind::comparable(&want, &reordered), want);
        let mut wider = want.clone();
        wider["policy"]["Statement"][0]["Resource"] = json!("*");
        let view = LogsResourcePolicyKind::comparable(&want, &wider);
        assert_ne!(view, want);
        assert!(LogsResourcePolicyKind::explain(&view, &want).is_some());
    }
}
