//! IAM roles the tool creates (e.g. the role Bedrock assumes to write invocation logs): trust
//! policy, the tool's inline policies and tags, compared as normalized policy documents.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use serde_json::{json, Map, Value};

use super::{GlobalName, Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource, OWNER_TAG};
use crate::policy;

pub type Scope<'a> = super::Scope<'a, Client>;

/// IAM roles: tagged. The role owns the inline policies its properties name, and the trust
/// policy names the service that assumes it, so any kind can ask for "a role this service
/// assumes". Placed per region today (one role per region, names carry `{region}`).
pub struct IamRoleKind;

impl ResourceKind for IamRoleKind {
    const KIND: Kind = Kind::IamRole;
    const NAME: &'static str = "iam_role";
    const RANK: u8 = 1;
    const GLOBAL_NAME: Option<GlobalName> = Some(GlobalName {
        what: "IAM role",
        help: "role names are global in an account and the tool makes one role per region: put `{region}` in `role.name`, or leave the name out (the default is `warden-bedrock-logging-{region}`)",
    });
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Tagged;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.iam(region)
    }

    /// Reads the named roles: GetRole (trust policy and tags) and the inline policies their
    /// properties name (one GetRolePolicy each).
    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        _discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let mut live = Vec::new();
        for Named { name, props, .. } in wanted {
            let role = match scope.client.get_role().role_name(name).send().await {
                Ok(out) => match out.role {
                    Some(role) => role,
                    None => continue,
                },
                Err(e) => match classify("iam:GetRole", e) {
                    e if e.is_not_found() => continue,
                    e => return Err(e),
                },
            };
            let trust = role
                .assume_role_policy_document()
                .map(policy::parse_document)
                .transpose()
                .map_err(|e| CloudError::unexpected("iam:GetRole", e.to_string()))?;
            let tags: BTreeMap<String, String> = role
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            let mut inline = Map::new();
            for policy_name in owned_inline_names(props) {
                match scope
                    .client
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(&policy_name)
                    .send()
                    .await
                {
                    Ok(out) => {
                        let doc = policy::parse_document(out.policy_document()).map_err(|e| {
                            CloudError::unexpected("iam:GetRolePolicy", e.to_string())
                        })?;
                        inline.insert(policy_name, doc);
                    }
                    Err(e) => match classify("iam:GetRolePolicy", e) {
                        e if e.is_not_found() => {}
                        e => return Err(e),
                    },
                }
            }
            live.push(LiveResource {
                addr: scope.addr(Kind::IamRole, name),
                owner: tags.get(OWNER_TAG).cloned(),
                props: json!({ "trust_policy": trust, "inline_policies": inline, "tags": tags }),
            });
        }
        Ok(live)
    }

    /// Tags and inline policies the spec does not name are not compared; policies that mean the
    /// same as the spec's are shown in the spec's spelling.
    fn comparable(desired: &Value, live: &Value) -> Value {
        let mut view = super::project_keys(desired, live, "tags");
        view = super::project_keys(desired, &view, "inline_policies");
        super::align_policy(desired, &mut view, "/trust_policy");
        for name in owned_inline_names(desired) {
            super::align_policy(desired, &mut view, &format!("/inline_policies/{name}"));
        }
        view
    }

    /// A plain-words account of how the trust policy differs (e.g. loosened conditions).
    fn explain(before: &Value, after: &Value) -> Option<String> {
        let differences =
            policy::describe_differences(&before["trust_policy"], &after["trust_policy"]);
        (!differences.is_empty()).then(|| format!("trust policy: {}", differences.join("; ")))
    }

    async fn create(scope: &Scope<'_>, name: &str, props: &Value) -> Result<(), CloudError> {
        scope
            .client
            .create_role()
            .role_name(name)
            .assume_role_policy_document(props["trust_policy"].to_string())
            .description("Created by bedrock-warden")
            .set_tags(Some(tags(&props["tags"])))
            .send()
            .await
            .map_err(|e| classify("iam:CreateRole", e))?;
        // IAM is eventually consistent: a role just created may briefly be NoSuchEntity elsewhere.
        let started = std::time::Instant::now();
        let mut delay = std::time::Duration::from_millis(250);
        loop {
            match put_inline(scope, name, &Value::Null, &props["inline_policies"]).await {
                Err(e) if e.is_not_found() && started.elapsed() + delay < NEW_ROLE_DEADLINE => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(4));
                }
                other => return other,
            }
        }
    }

    async fn update(
        scope: &Scope<'_>,
        name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        // Tags (the ownership mark among them) first, so an adopt stopped halfway is already ours.
        let changed: Vec<Tag> = tags(&after["tags"])
            .into_iter()
            .filter(|t| before["tags"][t.key()].as_str() != Some(t.value()))
            .collect();
        if !changed.is_empty() {
            scope
                .client
                .tag_role()
                .role_name(name)
                .set_tags(Some(changed))
                .send()
                .await
                .map_err(|e| classify("iam:TagRole", e))?;
        }
        if before["trust_policy"] != after["trust_policy"] {
            scope
                .client
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(after["trust_policy"].to_string())
                .send()
                .await
                .map_err(|e| classify("iam:UpdateAssumeRolePolicy", e))?;
        }
        put_inline(
            scope,
            name,
            &before["inline_policies"],
            &after["inline_policies"],
        )
        .await?;
        Ok(())
    }

    async fn delete(scope: &Scope<'_>, name: &str, before: &Value) -> Result<(), CloudError> {
        for policy_name in before["inline_policies"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
        {
            scope
                .client
                .delete_role_policy()
                .role_name(name)
                .policy_name(policy_name)
                .send()
                .await
                .map_err(|e| classify("iam:DeleteRolePolicy", e))?;
        }
        match scope.client.delete_role().role_name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) => match classify("iam:DeleteRole", e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }
}

/// The inline policies a role's properties name: the ones the tool owns on it.
fn owned_inline_names(props: &Value) -> Vec<String> {
    props["inline_policies"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// How long a role just created may read as absent before that is an error.
const NEW_ROLE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

async fn put_inline(
    scope: &Scope<'_>,
    name: &str,
    before: &Value,
    after: &Value,
) -> Result<(), CloudError> {
    for (policy_name, doc) in after.as_object().into_iter().flatten() {
        if before.get(policy_name) == Some(doc) {
            continue;
        }
        scope
            .client
            .put_role_policy()
            .role_name(name)
            .policy_name(policy_name)
            .policy_document(doc.to_string())
            .send()
            .await
            .map_err(|e| classify("iam:PutRolePolicy", e))?;
    }
    Ok(())
}

fn tags(value: &Value) -> Vec<Tag> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v.as_str()?).build().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_owns_the_inline_policies_its_properties_name() {
        // Any service's role, not only Bedrock's: EventBridge calling an API destination here.
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "events:InvokeApiDestination", "Resource": "*"}]});
        let desired = json!({"trust_policy": null, "inline_policies": {"invoke-destination": doc}, "tags": {}});
        assert_eq!(owned_inline_names(&desired), vec!["invoke-destination"]);
        let live = json!({"trust_policy": null, "tags": {}, "inline_policies": {
            "invoke-destination": doc, "someone-elses": {"Version": "2012-10-17", "Statement": []}}});
        assert_eq!(
            IamRoleKind::comparable(&desired, &live)["inline_policies"],
            json!({"invoke-destination": doc})
        );
    }
}
