//! SNS topics that alarms and EventBridge rules notify people through: the tool's own topic
//! policy statements (others kept), email subscriptions added once and never re-sent, tags.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_sns::types::Tag;
use aws_sdk_sns::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource, OWNER_TAG};
use crate::policy::{self, merge_owned};
use crate::spec::regions;

pub type Scope<'a> = super::Scope<'a, Client>;

/// What `ListSubscriptionsByTopic` says of an email address that has not confirmed yet.
const PENDING: &str = "PendingConfirmation";

/// SNS topics: tagged, per region. Properties: `policy` (the statements the tool owns, by Sid),
/// `email` (addresses that must be subscribed; others are left alone, and an address removed from
/// the spec is not unsubscribed) and `tags`.
pub struct SnsTopicKind;

/// The topic's ARN in a scope.
pub fn topic_arn(region: &str, account_id: &str, name: &str) -> String {
    format!(
        "arn:{}:sns:{region}:{account_id}:{name}",
        regions::partition(region)
    )
}

impl ResourceKind for SnsTopicKind {
    const KIND: Kind = Kind::SnsTopic;
    const NAME: &'static str = "sns_topic";
    const RANK: u8 = 0;
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Tagged;
    const NOTES_MANAGED: bool = true;
    const CONTROL: &'static str = "notification topics";
    // A service-wide filter: AWS and the local cloud both list topics under it.
    const TAGGING_RESOURCE_TYPE: Option<&'static str> = Some("sns");
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.sns(region)
    }

    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        _discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let mut found = Vec::new();
        for Named { name, props, .. } in wanted {
            let arn = topic_arn(scope.region, scope.account_id, name);
            if let Some(attributes) = attributes(&scope.client, &arn).await? {
                found.push((name, props, arn, attributes));
            }
        }
        // Tags from the scope's index where the engine offers one (the topics it lists).
        let index = scope.tag_index(found.len()).await?;
        let mut live = Vec::new();
        for (name, props, arn, attributes) in found {
            let policy_doc = attributes
                .get("Policy")
                .map(|text| {
                    policy::parse_document(text).map_err(|e| {
                        CloudError::unexpected("sns:GetTopicAttributes", e.to_string())
                    })
                })
                .transpose()?;
            let tags = match index.and_then(|i| i.tags(&arn)) {
                Some(tags) => tags.clone(),
                None => read_tags(&scope.client, &arn).await?,
            };
            // Subscriptions only where the spec asks for some (one call saved per topic otherwise).
            let asks_for_email = props["email"].as_array().is_some_and(|a| !a.is_empty());
            let (email, pending) = if asks_for_email {
                email_subscriptions(&scope.client, &arn).await?
            } else {
                (Vec::new(), Vec::new())
            };
            live.push(LiveResource {
                addr: scope.addr(Kind::SnsTopic, name),
                owner: tags.get(OWNER_TAG).cloned(),
                props: json!({
                    "policy": policy_doc,
                    "email": email,
                    "pending": pending,
                    "tags": tags,
                }),
            });
        }
        Ok(live)
    }

    fn comparable(desired: &Value, live: &Value) -> Value {
        let mut view = super::shared_policy_view(desired, live);
        // Only the addresses the spec names are governed: present (confirmed or pending) or not.
        let subscribed: BTreeSet<String> = strings(&live["email"])
            .into_iter()
            .map(|e| e.to_lowercase())
            .collect();
        let kept: Vec<Value> = strings(&desired["email"])
            .into_iter()
            .filter(|e| subscribed.contains(&e.to_lowercase()))
            .map(Value::String)
            .collect();
        view["email"] = Value::Array(kept);
        if let Some(map) = view.as_object_mut() {
            map.remove("pending");
        }
        view
    }

    fn describe(after: &Value) -> Vec<(&'static str, String)> {
        let mut said = Vec::new();
        let lines = policy::describe_document(&after["policy"]);
        if !lines.is_empty() {
            said.push(("policy", format!("topic policy: {}", lines.join("\n"))));
        }
        let email = strings(&after["email"]);
        if !email.is_empty() {
            said.push((
                "email",
                format!(
                    "subscribes {} (each confirms by email first)",
                    email.join(", ")
                ),
            ));
        }
        said
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        if before.is_null() {
            return None;
        }
        let mut said = Vec::new();
        let have = strings(&before["email"]);
        let missing: Vec<String> = strings(&after["email"])
            .into_iter()
            .filter(|e| !have.contains(e))
            .collect();
        if !missing.is_empty() {
            said.push(format!(
                "not subscribed: {} (each address gets AWS's confirmation email once)",
                missing.join(", ")
            ));
        }
        if before["policy"] != after["policy"] {
            let differences = policy::describe_differences(&before["policy"], &after["policy"]);
            if !differences.is_empty() {
                said.push(format!("topic policy: {}", differences.join("; ")));
            }
        }
        (!said.is_empty()).then(|| said.join("; "))
    }

    /// Addresses that have not confirmed their subscription receive nothing: say so on every plan.
    async fn managed_note(
        scope: &Scope<'_>,
        wanted: &[Named],
    ) -> Result<Option<String>, CloudError> {
        let mut notes = Vec::new();
        for Named { name, props, .. } in wanted {
            if props["email"].as_array().is_none_or(|a| a.is_empty()) {
                continue;
            }
            let arn = topic_arn(scope.region, scope.account_id, name);
            if attributes(&scope.client, &arn).await?.is_none() {
                continue;
            }
            let (_, pending) = email_subscriptions(&scope.client, &arn).await?;
            if !pending.is_empty() {
                notes.push(format!(
                    "topic `{name}`: {} pending confirmation; nothing reaches an address until it follows the link in AWS's email",
                    pending.join(", ")
                ));
            }
        }
        Ok((!notes.is_empty()).then(|| notes.join("\n")))
    }

    async fn create(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
        let arn = topic_arn(scope.region, scope.account_id, name);
        // CreateTopic hands back an existing topic of that name: never take one over unseen.
        if attributes(&scope.client, &arn).await?.is_some() {
            return Err(CloudError::AlreadyExists {
                operation: "sns:CreateTopic".into(),
                message: format!("topic `{name}` already exists"),
            });
        }
        // The tags (the ownership mark among them) come with the create itself.
        scope
            .client
            .create_topic()
            .name(name)
            .set_tags(Some(tag_list(&after["tags"])))
            .send()
            .await
            .map_err(|e| classify("sns:CreateTopic", e))?;
        let before = json!({"policy": null, "email": [], "tags": after["tags"]});
        Self::update(scope, name, &before, after).await
    }

    async fn update(
        scope: &Scope<'_>,
        name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        let client = &scope.client;
        let arn = topic_arn(scope.region, scope.account_id, name);
        if before["tags"] != after["tags"] {
            // TagResource adds and overwrites; tags the tool does not manage stay.
            client
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(tag_list(&after["tags"])))
                .send()
                .await
                .map_err(|e| classify("sns:TagResource", e))?;
        }
        if before["policy"] != after["policy"] {
            let current = attributes(client, &arn)
                .await?
                .and_then(|a| a.get("Policy").cloned())
                .map(|text| {
                    policy::parse_document(&text).map_err(|e| {
                        CloudError::unexpected("sns:GetTopicAttributes", e.to_string())
                    })
                })
                .transpose()?;
            if let Some(merged) = merge_owned(current.as_ref(), &after["policy"]) {
                client
                    .set_topic_attributes()
                    .topic_arn(&arn)
                    .attribute_name("Policy")
                    .attribute_value(merged.to_string())
                    .send()
                    .await
                    .map_err(|e| classify("sns:SetTopicAttributes", e))?;
            }
        }
        // `before` holds the addresses already subscribed (confirmed or pending): subscribing
        // one of those again would send it another confirmation email.
        let have: BTreeSet<String> = strings(&before["email"])
            .into_iter()
            .map(|e| e.to_lowercase())
            .collect();
        for address in strings(&after["email"]) {
            if have.contains(&address.to_lowercase()) {
                continue;
            }
            client
                .subscribe()
                .topic_arn(&arn)
                .protocol("email")
                .endpoint(&address)
                .send()
                .await
                .map_err(|e| classify("sns:Subscribe", e))?;
        }
        Ok(())
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        let arn = topic_arn(scope.region, scope.account_id, name);
        match scope.client.delete_topic().topic_arn(arn).send().await {
            Ok(_) => Ok(()),
            Err(e) => match classify("sns:DeleteTopic", e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }
}

/// The topic's attributes, or `None` when there is no such topic.
async fn attributes(
    client: &Client,
    arn: &str,
) -> Result<Option<std::collections::HashMap<String, String>>, CloudError> {
    match client.get_topic_attributes().topic_arn(arn).send().await {
        Ok(out) => Ok(Some(out.attributes().cloned().unwrap_or_default())),
        Err(e) => match classify("sns:GetTopicAttributes", e) {
            e if e.is_not_found() => Ok(None),
            e => Err(e),
        },
    }
}

async fn read_tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, CloudError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| classify("sns:ListTagsForResource", e))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// Email addresses subscribed to the topic (sorted), and those of them not yet confirmed.
async fn email_subscriptions(
    client: &Client,
    arn: &str,
) -> Result<(Vec<String>, Vec<String>), CloudError> {
    let subscriptions = super::all_pages(|token| async move {
        let out = client
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("sns:ListSubscriptionsByTopic", e))?;
        Ok((
            out.subscriptions().to_vec(),
            out.next_token().map(str::to_string),
        ))
    })
    .await?;
    let mut email = BTreeSet::new();
    let mut pending = BTreeSet::new();
    for s in subscriptions
        .iter()
        .filter(|s| s.protocol() == Some("email"))
    {
        let Some(address) = s.endpoint() else {
            continue;
        };
        email.insert(address.to_string());
        if s.subscription_arn() == Some(PENDING) {
            pending.insert(address.to_string());
        }
    }
    Ok((email.into_iter().collect(), pending.into_iter().collect()))
}

fn tag_list(tags: &Value) -> Vec<Tag> {
    tags.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v.as_str().unwrap_or_default())
                .build()
                .ok()
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sid: &str, service: &str) -> Value {
        json!({"Sid": sid, "Effect": "Allow", "Principal": {"Service": service},
               "Action": "sns:Publish", "Resource": "arn:aws:sns:eu-west-1:111111111111:alerts"})
    }

    fn desired() -> Value {
        json!({
            "policy": {"Version": "2012-10-17", "Statement": [statement("WardenAlarmsPublish", "cloudwatch.amazonaws.com")]},
            "email": ["secops@example.com", "oncall@example.com"],
            "tags": {"warden:managed-by": "p"},
        })
    }

    #[test]
    fn a_pending_subscription_counts_as_subscribed_and_others_are_not_governed() {
        let live = json!({
            "policy": {"Version": "2012-10-17", "Statement": [
                statement("__default_statement_ID", "x.amazonaws.com"),
                statement("WardenAlarmsPublish", "cloudwatch.amazonaws.com"),
            ]},
            "email": ["OnCall@example.com", "someone-else@example.com", "secops@example.com"],
            "pending": ["secops@example.com"],
            "tags": {"warden:managed-by": "p", "team": "x"},
        });
        // Equal: the default statement, another address, another tag and the case of an
        // address are not the tool's business; pending is subscribed.
        assert_eq!(SnsTopicKind::comparable(&desired(), &live), desired());
    }

    #[test]
    fn a_missing_address_and_a_loosened_statement_are_said_in_words() {
        let live = json!({
            "policy": {"Version": "2012-10-17", "Statement": [statement("WardenAlarmsPublish", "*")]},
            "email": ["oncall@example.com"],
            "pending": [],
            "tags": {"warden:managed-by": "p"},
        });
        let before = SnsTopicKind::comparable(&desired(), &live);
        let said = SnsTopicKind::explain(&before, &desired()).unwrap();
        assert!(
            said.contains("not subscribed: secops@example.com"),
            "{said}"
        );
        assert!(said.contains("topic policy:"), "{said}");
    }
}
