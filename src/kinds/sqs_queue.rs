//! SQS queues the tool creates as dead-letter queues of EventBridge targets: the tool's queue policy statements (others kept), message retention, tags.
//!
//! Properties: `policy` (a document of the statements the queue owns, by Sid: EventBridge may
//! send the events it could not deliver, only for the spec's rules), `message_retention_seconds`,
//! `tags`.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::tagging::{TagIndex, BULK_FROM};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource, OWNER_TAG};
use crate::policy;
use crate::spec::regions;

pub type Scope<'a> = super::Scope<'a, Client>;

/// SQS queues: tagged (tags in `CreateQueue`, so the mark is there first).
pub struct SqsQueueKind;

/// `arn:{partition}:sqs:{region}:{account}:{name}`.
pub fn queue_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:sqs:{region}:{account}:{name}")
}

fn is_missing(e: &CloudError) -> bool {
    e.is_not_found()
        || matches!(
            e.code(),
            Some("AWS.SimpleQueueService.NonExistentQueue") | Some("QueueDoesNotExist")
        )
}

async fn url_of(client: &Client, name: &str) -> Result<Option<String>, CloudError> {
    match client.get_queue_url().queue_name(name).send().await {
        Ok(out) => Ok(out.queue_url().map(str::to_string)),
        Err(e) => match classify("sqs:GetQueueUrl", e) {
            e if is_missing(&e) => Ok(None),
            e => Err(e),
        },
    }
}

/// `current` with the statements of `ours` put in place of those with the same Sids.
fn merged(current: Option<&Value>, ours: &Value) -> Value {
    policy::merge_owned(current, ours).unwrap_or_else(|| ours.clone())
}

fn tags(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect()
}

async fn queue_tags(scope: &Scope<'_>, url: &str) -> Result<BTreeMap<String, String>, CloudError> {
    let out = scope
        .client
        .list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .map_err(|e| classify("sqs:ListQueueTags", e))?;
    Ok(out
        .tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// One queue (known to exist at `url`) as a live resource.
async fn read_one(
    scope: &Scope<'_>,
    name: &str,
    url: &str,
    index: Option<&TagIndex>,
) -> Result<LiveResource, CloudError> {
    let attributes = scope
        .client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::Policy)
        .attribute_names(QueueAttributeName::MessageRetentionPeriod)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", e))?;
    let attrs = attributes.attributes();
    let policy_doc = match attrs.and_then(|a| a.get(&QueueAttributeName::Policy)) {
        Some(text) if !text.is_empty() => Some(
            policy::parse_document(text)
                .map_err(|e| CloudError::unexpected("sqs:GetQueueAttributes", e.to_string()))?,
        ),
        _ => None,
    };
    let retention = attrs
        .and_then(|a| a.get(&QueueAttributeName::MessageRetentionPeriod))
        .and_then(|r| r.parse::<i64>().ok());
    let arn = attrs.and_then(|a| a.get(&QueueAttributeName::QueueArn));
    // From the scope's tag index where it lists the queue, else one ListQueueTags.
    let tags = match index.zip(arn).and_then(|(i, arn)| i.tags(arn)) {
        Some(tags) => tags.clone(),
        None => queue_tags(scope, url).await?,
    };
    Ok(LiveResource {
        addr: scope.addr(Kind::SqsQueue, name),
        owner: tags.get(OWNER_TAG).cloned(),
        props: json!({
            "policy": policy_doc,
            "message_retention_seconds": retention,
            "tags": tags,
        }),
    })
}

/// The URLs of every queue of the scope.
async fn list_urls(scope: &Scope<'_>) -> Result<Vec<String>, CloudError> {
    super::all_pages(|token| async move {
        let out = scope
            .client
            .list_queues()
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("sqs:ListQueues", e))?;
        Ok((
            out.queue_urls().to_vec(),
            out.next_token().map(str::to_string),
        ))
    })
    .await
}

/// Messages the queue holds (visible and in flight): undelivered events.
async fn messages_in(scope: &Scope<'_>, url: &str) -> Result<u64, CloudError> {
    let out = scope
        .client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", e))?;
    Ok(out
        .attributes()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .sum())
}

impl ResourceKind for SqsQueueKind {
    const KIND: Kind = Kind::SqsQueue;
    const NAME: &'static str = "sqs_queue";
    const RANK: u8 = 0;
    const CONTROL: &'static str = "event forwarding";
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Tagged;
    const DISCOVERS: bool = true;
    // A service-wide filter: AWS and the local cloud both list queues under it.
    const TAGGING_RESOURCE_TYPE: Option<&'static str> = Some("sqs");
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.sqs(region)
    }

    /// GetQueueUrl and GetQueueAttributes (policy, retention, ARN) per queue; its tags from
    /// the scope's tag index where the engine offers one, else ListQueueTags. With
    /// `discover_owner` (prune), also ListQueues: each queue the spec does not name that the
    /// project tagged (by the index, else by its tags) is read too.
    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let mut found = Vec::new();
        for Named { name, .. } in wanted {
            if let Some(url) = url_of(&scope.client, name).await? {
                found.push((name.clone(), url));
            }
        }
        let index = scope.tag_index(found.len()).await?;
        let mut live = Vec::new();
        for (name, url) in &found {
            live.push(read_one(scope, name, url, index).await?);
        }
        let Some(owner) = discover_owner else {
            return Ok(live);
        };
        // Queues are tagged when created: with no queue with an ownership tag in the scope's
        // index, there is nothing of this project's to find.
        if !scope.index_may_hold(":sqs:").await? {
            return Ok(live);
        }
        // The index lists every queue with an ownership tag: the others are not candidates.
        let index = scope.tag_index(BULK_FROM).await?;
        for url in list_urls(scope).await? {
            let name = url.rsplit('/').next().unwrap_or_default().to_string();
            if name.is_empty() || wanted.iter().any(|n| n.name == name) {
                continue;
            }
            let arn = queue_arn(
                regions::partition(scope.region),
                scope.region,
                scope.account_id,
                &name,
            );
            let tags = match index {
                Some(index) => match index.tags(&arn) {
                    Some(tags) => tags.clone(),
                    None => continue,
                },
                None => match queue_tags(scope, &url).await {
                    Ok(tags) => tags,
                    Err(e) if is_missing(&e) => continue,
                    Err(e) => return Err(e),
                },
            };
            if tags.get(OWNER_TAG).map(String::as_str) == Some(owner) {
                live.push(read_one(scope, &name, &url, index).await?);
            }
        }
        Ok(live)
    }

    /// Only the spec's tag keys and the statements with the spec's Sids are compared.
    fn comparable(desired: &Value, live: &Value) -> Value {
        super::shared_policy_view(desired, live)
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        let differences = policy::describe_differences(&before["policy"], &after["policy"]);
        (!differences.is_empty()).then(|| format!("queue policy: {}", differences.join("; ")))
    }

    async fn create(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
        let mut request = scope
            .client
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::Policy, after["policy"].to_string())
            .set_tags(Some(tags(&after["tags"]).into_iter().collect()));
        if let Some(retention) = after["message_retention_seconds"].as_i64() {
            request = request.attributes(
                QueueAttributeName::MessageRetentionPeriod,
                retention.to_string(),
            );
        }
        request
            .send()
            .await
            .map_err(|e| classify("sqs:CreateQueue", e))?;
        Ok(())
    }

    /// Tags first (ownership), then the merged policy and the retention.
    async fn update(
        scope: &Scope<'_>,
        name: &str,
        _before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        let url = url_of(&scope.client, name)
            .await?
            .ok_or_else(|| CloudError::NotFound {
                operation: "sqs:GetQueueUrl".into(),
                message: format!("queue {name} is gone"),
            })?;
        scope
            .client
            .tag_queue()
            .queue_url(&url)
            .set_tags(Some(tags(&after["tags"]).into_iter().collect()))
            .send()
            .await
            .map_err(|e| classify("sqs:TagQueue", e))?;
        // The whole live policy is re-read so other statements are kept as they are now.
        let current = scope
            .client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::Policy)
            .send()
            .await
            .map_err(|e| classify("sqs:GetQueueAttributes", e))?;
        let current = current
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::Policy))
            .and_then(|t| policy::parse_document(t).ok());
        let doc = merged(current.as_ref(), &after["policy"]);
        let mut request = scope
            .client
            .set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::Policy, doc.to_string());
        if let Some(retention) = after["message_retention_seconds"].as_i64() {
            request = request.attributes(
                QueueAttributeName::MessageRetentionPeriod,
                retention.to_string(),
            );
        }
        request
            .send()
            .await
            .map_err(|e| classify("sqs:SetQueueAttributes", e))?;
        Ok(())
    }

    /// Not while it holds messages: those are events that could not be delivered.
    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        let Some(url) = url_of(&scope.client, name).await? else {
            return Ok(());
        };
        let held = messages_in(scope, &url).await?;
        if held > 0 {
            return Err(CloudError::unexpected(
                "sqs:DeleteQueue",
                format!("queue {name} still holds {held} undelivered event(s): not deleted (read or purge them, then prune again)"),
            ));
        }
        match scope.client.delete_queue().queue_url(url).send().await {
            Ok(_) => Ok(()),
            Err(e) => match classify("sqs:DeleteQueue", e) {
                e if is_missing(&e) => Ok(()),
                e => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_owns_only_its_statements() {
        let ours = json!({"Version": "2012-10-17", "Statement": [{"Sid": "WardenEventBridgeDeadLetter",
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:1:q"}]});
        let other = json!({"Sid": "Theirs", "Effect": "Allow", "Principal": "*",
            "Action": "sqs:ReceiveMessage", "Resource": "arn:aws:sqs:us-east-1:1:q"});
        let live = json!({"Version": "2012-10-17", "Statement": [other.clone()]});
        let doc = merged(Some(&live), &ours);
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 2);
        let desired = json!({"policy": ours, "message_retention_seconds": 1209600, "tags": {}});
        let have = json!({"policy": doc, "message_retention_seconds": 1209600, "tags": {"x": "y"}});
        assert_eq!(SqsQueueKind::comparable(&desired, &have), desired);
    }
}
