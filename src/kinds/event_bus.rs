//! EventBridge event buses the tool creates (the operations account's bus for `via: ops`): the tool's bus policy statements by Sid (others kept), tags.
//!
//! Properties: `policy` (a document of the statements the bus owns: exactly the governed
//! accounts may put events), `tags`.

use aws_sdk_eventbridge::types::Tag;
use aws_sdk_eventbridge::Client;
use serde_json::{json, Value};

use super::event_rule::{sdk_tags, tags_of};
use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::tagging::{TagIndex, BULK_FROM};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource, OWNER_TAG};
use crate::policy;

pub type Scope<'a> = super::Scope<'a, Client>;

/// Event buses: tagged (tags in `CreateEventBus`), regional, before the rules on them.
pub struct EventBusKind;

fn has_statements(doc: &Value) -> bool {
    doc["Statement"].as_array().is_some_and(|s| !s.is_empty())
}

/// The bus's live policy (None without one) and ARN.
async fn describe(client: &Client, name: &str) -> Result<(Option<Value>, String), CloudError> {
    let out = client
        .describe_event_bus()
        .name(name)
        .send()
        .await
        .map_err(|e| classify("events:DescribeEventBus", e))?;
    let policy = match out.policy() {
        Some(text) if !text.is_empty() => Some(
            policy::parse_document(text)
                .map_err(|e| CloudError::unexpected("events:DescribeEventBus", e.to_string()))?,
        ),
        _ => None,
    };
    Ok((policy, out.arn().unwrap_or_default().to_string()))
}

/// PutPermission with the live policy where the statements with our Sids are ours.
async fn put_policy(scope: &Scope<'_>, name: &str, ours: &Value) -> Result<(), CloudError> {
    if !has_statements(ours) {
        return Ok(());
    }
    let (current, _) = describe(&scope.client, name).await?;
    let Some(doc) = policy::merge_owned(current.as_ref(), ours) else {
        return Ok(());
    };
    scope
        .client
        .put_permission()
        .event_bus_name(name)
        .policy(doc.to_string())
        .send()
        .await
        .map_err(|e| classify("events:PutPermission", e))?;
    Ok(())
}

/// One bus, or None when it does not exist; its tags from the scope's tag index where it lists the bus, else one call.
async fn read_one(
    scope: &Scope<'_>,
    name: &str,
    index: Option<&TagIndex>,
) -> Result<Option<LiveResource>, CloudError> {
    let (policy_doc, arn) = match describe(&scope.client, name).await {
        Ok(found) => found,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let tags = match index.and_then(|i| i.tags(&arn)) {
        Some(tags) => tags.clone(),
        None => tags_of(scope, &arn).await?,
    };
    Ok(Some(LiveResource {
        addr: scope.addr(Kind::EventBus, name),
        owner: tags.get(OWNER_TAG).cloned(),
        props: json!({"policy": policy_doc, "tags": tags}),
    }))
}

/// Every bus of the scope: (name, ARN).
pub(super) async fn list_buses(scope: &Scope<'_>) -> Result<Vec<(String, String)>, CloudError> {
    super::all_pages(|token| async move {
        let out = scope
            .client
            .list_event_buses()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("events:ListEventBuses", e))?;
        let buses = out
            .event_buses()
            .iter()
            .filter_map(|b| Some((b.name()?.to_string(), b.arn()?.to_string())))
            .collect();
        Ok((buses, out.next_token().map(str::to_string)))
    })
    .await
}

/// The names of the rules still on bus `name`.
async fn rules_on(scope: &Scope<'_>, name: &str) -> Result<Vec<String>, CloudError> {
    super::all_pages(|token| async move {
        let out = scope
            .client
            .list_rules()
            .event_bus_name(name)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("events:ListRules", e))?;
        let rules = out
            .rules()
            .iter()
            .filter_map(|r| r.name().map(str::to_string))
            .collect();
        Ok((rules, out.next_token().map(str::to_string)))
    })
    .await
}

impl ResourceKind for EventBusKind {
    const KIND: Kind = Kind::EventBus;
    const NAME: &'static str = "event_bus";
    const RANK: u8 = 0;
    const CONTROL: &'static str = "event forwarding";
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Tagged;
    const DISCOVERS: bool = true;
    const TAGGING_RESOURCE_TYPE: Option<&'static str> = Some("events:event-bus");
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.events(region)
    }

    /// DescribeEventBus per named bus, its tags from the scope's tag index where the engine
    /// offers one (else ListTagsForResource). With `discover_owner` (prune), also
    /// ListEventBuses: each bus the spec does not name (never `default`) that the project
    /// tagged is read too.
    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let index = scope.tag_index(wanted.len()).await?;
        let mut live = Vec::new();
        for Named { name, .. } in wanted {
            if let Some(found) = read_one(scope, name, index).await? {
                live.push(found);
            }
        }
        let Some(owner) = discover_owner else {
            return Ok(live);
        };
        // Buses are tagged when created: with no bus with an ownership tag in the scope's index,
        // there is nothing of this project's to find.
        if !scope.index_may_hold(":event-bus/").await? {
            return Ok(live);
        }
        // The index lists every bus with an ownership tag: the others are not candidates.
        let index = scope.tag_index(BULK_FROM).await?;
        for (name, arn) in list_buses(scope).await? {
            if name == "default" || wanted.iter().any(|n| n.name == name) {
                continue;
            }
            let tags = match index {
                Some(index) => match index.tags(&arn) {
                    Some(tags) => tags.clone(),
                    None => continue,
                },
                None => match tags_of(scope, &arn).await {
                    Ok(tags) => tags,
                    Err(e) if e.is_not_found() => continue,
                    Err(e) => return Err(e),
                },
            };
            if tags.get(OWNER_TAG).map(String::as_str) != Some(owner) {
                continue;
            }
            if let Some(found) = read_one(scope, &name, index).await? {
                live.push(found);
            }
        }
        Ok(live)
    }

    /// Only the statements with the spec's Sids and the spec's tag keys are compared.
    fn comparable(desired: &Value, live: &Value) -> Value {
        super::shared_policy_view(desired, live)
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        let differences = policy::describe_differences(&before["policy"], &after["policy"]);
        (!differences.is_empty()).then(|| format!("bus policy: {}", differences.join("; ")))
    }

    async fn create(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
        scope
            .client
            .create_event_bus()
            .name(name)
            .set_tags(Some(sdk_tags(&after["tags"])))
            .send()
            .await
            .map_err(|e| classify("events:CreateEventBus", e))?;
        put_policy(scope, name, &after["policy"]).await
    }

    /// Tags first (ownership), then the policy with our statements.
    async fn update(
        scope: &Scope<'_>,
        name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        let changed: Vec<Tag> = sdk_tags(&after["tags"])
            .into_iter()
            .filter(|t| before["tags"][t.key()].as_str() != Some(t.value()))
            .collect();
        if !changed.is_empty() {
            let (_, arn) = describe(&scope.client, name).await?;
            scope
                .client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(changed))
                .send()
                .await
                .map_err(|e| classify("events:TagResource", e))?;
        }
        if before["policy"] != after["policy"] {
            put_policy(scope, name, &after["policy"]).await?;
        }
        Ok(())
    }

    /// Not while rules (another tool's: warden's are deleted first) are still on it.
    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        let rules = match rules_on(scope, name).await {
            Ok(rules) => rules,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        if !rules.is_empty() {
            return Err(CloudError::unexpected(
                "events:DeleteEventBus",
                format!(
                    "bus {name} still has rules warden does not manage ({}): not deleted",
                    rules.join(", ")
                ),
            ));
        }
        match scope.client.delete_event_bus().name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) => match classify("events:DeleteEventBus", e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::policy::bus_put_events_policy;

    #[test]
    fn the_bus_owns_only_its_statement() {
        let ours = bus_put_events_policy(
            "aws",
            "arn:aws:events:us-east-1:123456789012:event-bus/b",
            &["111111111111".into()],
        );
        let theirs = json!({"Sid": "Theirs", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                            "Action": "events:PutEvents", "Resource": "arn:aws:events:us-east-1:123456789012:event-bus/b"});
        let live_policy = policy::merge_owned(
            Some(&json!({"Version": "2012-10-17", "Statement": [theirs]})),
            &ours,
        )
        .unwrap();
        let desired = json!({"policy": ours, "tags": {"warden:managed-by": "p"}});
        let live = json!({"policy": live_policy, "tags": {"warden:managed-by": "p", "x": "y"}});
        assert_eq!(EventBusKind::comparable(&desired, &live), desired);
        // an account more than the spec's is a difference said in words
        let wider = bus_put_events_policy(
            "aws",
            "arn:aws:events:us-east-1:123456789012:event-bus/b",
            &["111111111111".into(), "999999999999".into()],
        );
        let view = EventBusKind::comparable(
            &desired,
            &json!({"policy": wider, "tags": {"warden:managed-by": "p"}}),
        );
        assert!(EventBusKind::explain(&view, &desired).is_some());
    }
}
