//! EventBridge rules with their targets as one resource: the pattern compared by meaning, warden's targets (Id prefix `warden-`) put and removed, other tools' targets never touched.
//!
//! Properties: `bus` (`default` or a bus name), `description`, `pattern` (the canonical
//! [`EventPattern`] value), `state` (`ENABLED`/`DISABLED`), `targets` (by Id, each `{arn}` or
//! `{api_destination}` — an API destination's ARN has a generated suffix, so the name is what
//! the spec knows — plus `role_arn`, `input_transformer` `{paths, template}` and
//! `dead_letter_arn`), `tags`.

use std::collections::BTreeMap;

use aws_sdk_eventbridge::types::{DeadLetterConfig, RuleState, Tag, Target};
use aws_sdk_eventbridge::Client;
use serde_json::{json, Map, Value};

use super::event_api_destination::{arn_of, destination_name};
use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::tagging::{TagIndex, BULK_FROM};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::events::pattern::{describe_differences, EventPattern};
use crate::events::transformer::InputTransformer;
use crate::model::{Kind, LiveResource, OWNER_TAG};

pub type Scope<'a> = super::Scope<'a, Client>;

/// Ids of the targets warden owns on a rule start with this.
pub const TARGET_PREFIX: &str = "warden-";

/// Rules and their targets: tagged, regional, after everything their targets point at.
pub struct EventRuleKind;

fn bus_of(props: &Value) -> Option<String> {
    props["bus"]
        .as_str()
        .filter(|b| *b != "default")
        .map(str::to_string)
}

fn target_to_json(target: &Target) -> Value {
    let arn = target.arn();
    let mut out = Map::new();
    match destination_name(arn) {
        Some(name) => out.insert("api_destination".into(), json!(name)),
        None => out.insert("arn".into(), json!(arn)),
    };
    out.insert("role_arn".into(), json!(target.role_arn()));
    out.insert(
        "input_transformer".into(),
        target
            .input_transformer()
            .map(|t| {
                let t = InputTransformer::from_sdk(t);
                json!({"paths": t.paths, "template": t.template})
            })
            .unwrap_or(Value::Null),
    );
    out.insert(
        "dead_letter_arn".into(),
        json!(target.dead_letter_config().and_then(|d| d.arn())),
    );
    Value::Object(out)
}

fn transformer_of(value: &Value) -> Option<InputTransformer> {
    let paths: BTreeMap<String, String> = value["paths"]
        .as_object()?
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    Some(InputTransformer {
        paths,
        template: value["template"].as_str()?.to_string(),
    })
}

/// Where a target sends events, in words.
fn destination_words(target: &Value) -> String {
    match (target["api_destination"].as_str(), target["arn"].as_str()) {
        (Some(name), _) => format!("API destination {name}"),
        (None, Some(arn)) => arn.to_string(),
        _ => "(nowhere)".to_string(),
    }
}

async fn sdk_target(scope: &Scope<'_>, id: &str, t: &Value) -> Result<Target, CloudError> {
    let arn = match t["api_destination"].as_str() {
        Some(name) => arn_of(&scope.client, name).await?,
        None => t["arn"].as_str().unwrap_or_default().to_string(),
    };
    let mut builder = Target::builder()
        .id(id)
        .arn(arn)
        .set_role_arn(t["role_arn"].as_str().map(str::to_string));
    if let Some(transformer) = transformer_of(&t["input_transformer"]) {
        builder = builder.input_transformer(transformer.to_sdk());
    }
    if let Some(dlq) = t["dead_letter_arn"].as_str() {
        builder = builder.dead_letter_config(DeadLetterConfig::builder().arn(dlq).build());
    }
    builder
        .build()
        .map_err(|e| CloudError::unexpected("events:PutTargets", e.to_string()))
}

/// PutTargets for `targets` (id → properties); a partial failure is an error naming each
/// target that failed and why.
async fn put_targets(
    scope: &Scope<'_>,
    rule: &str,
    bus: Option<String>,
    targets: &[(&String, &Value)],
) -> Result<(), CloudError> {
    if targets.is_empty() {
        return Ok(());
    }
    let mut sdk = Vec::new();
    for (id, t) in targets {
        sdk.push(sdk_target(scope, id, t).await?);
    }
    let out = scope
        .client
        .put_targets()
        .rule(rule)
        .set_event_bus_name(bus)
        .set_targets(Some(sdk))
        .send()
        .await
        .map_err(|e| classify("events:PutTargets", e))?;
    if out.failed_entry_count() > 0 {
        let failed: Vec<String> = out
            .failed_entries()
            .iter()
            .map(|f| {
                format!(
                    "target {} ({}: {})",
                    f.target_id().unwrap_or("?"),
                    f.error_code().unwrap_or("error"),
                    f.error_message().unwrap_or("")
                )
            })
            .collect();
        return Err(CloudError::Service {
            operation: "events:PutTargets".into(),
            code: "FailedEntries".into(),
            message: format!(
                "{} of the rule's targets could not be put: {}",
                out.failed_entry_count(),
                failed.join("; ")
            ),
        });
    }
    Ok(())
}

async fn list_targets(
    scope: &Scope<'_>,
    rule: &str,
    bus: Option<String>,
) -> Result<Vec<Target>, CloudError> {
    super::all_pages(|token| {
        let bus = bus.clone();
        async move {
            let out = scope
                .client
                .list_targets_by_rule()
                .rule(rule)
                .set_event_bus_name(bus)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| classify("events:ListTargetsByRule", e))?;
            Ok((out.targets().to_vec(), out.next_token().map(str::to_string)))
        }
    })
    .await
}

async fn remove_targets(
    scope: &Scope<'_>,
    rule: &str,
    bus: Option<String>,
    ids: Vec<String>,
) -> Result<(), CloudError> {
    if ids.is_empty() {
        return Ok(());
    }
    let out = scope
        .client
        .remove_targets()
        .rule(rule)
        .set_event_bus_name(bus)
        .set_ids(Some(ids))
        .send()
        .await
        .map_err(|e| classify("events:RemoveTargets", e))?;
    if out.failed_entry_count() > 0 {
        let failed: Vec<&str> = out
            .failed_entries()
            .iter()
            .filter_map(|f| f.target_id())
            .collect();
        return Err(CloudError::unexpected(
            "events:RemoveTargets",
            format!("targets {} could not be removed", failed.join(", ")),
        ));
    }
    Ok(())
}

/// The spec's tags as EventBridge tags (rules and buses).
pub(super) fn sdk_tags(value: &Value) -> Vec<Tag> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v.as_str()?).build().ok())
        .collect()
}

async fn put_rule(
    scope: &Scope<'_>,
    name: &str,
    after: &Value,
    with_tags: bool,
) -> Result<String, CloudError> {
    let pattern = after["pattern"].to_string();
    let state = RuleState::from(after["state"].as_str().unwrap_or("ENABLED"));
    let mut request = scope
        .client
        .put_rule()
        .name(name)
        .set_event_bus_name(bus_of(after))
        .event_pattern(pattern)
        .state(state)
        .set_description(after["description"].as_str().map(str::to_string));
    if with_tags {
        request = request.set_tags(Some(sdk_tags(&after["tags"])));
    }
    let out = request
        .send()
        .await
        .map_err(|e| classify("events:PutRule", e))?;
    Ok(out.rule_arn().unwrap_or_default().to_string())
}

/// One rule with its tags and targets, or None when it does not exist.
async fn read_rule(
    scope: &Scope<'_>,
    name: &str,
    bus: Option<String>,
    index: Option<&TagIndex>,
) -> Result<Option<LiveResource>, CloudError> {
    let rule = match scope
        .client
        .describe_rule()
        .name(name)
        .set_event_bus_name(bus.clone())
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => match classify("events:DescribeRule", e) {
            e if e.is_not_found() => return Ok(None),
            e => return Err(e),
        },
    };
    let pattern = match rule.event_pattern() {
        Some(text) => match EventPattern::parse(text) {
            Ok(p) => p.as_value().clone(),
            Err(_) => json!(text),
        },
        None => Value::Null,
    };
    let tags: BTreeMap<String, String> = match rule.arn() {
        Some(arn) => match index.and_then(|i| i.tags(arn)) {
            Some(tags) => tags.clone(),
            None => tags_of(scope, arn).await?,
        },
        None => BTreeMap::new(),
    };
    let targets: Map<String, Value> = list_targets(scope, name, bus)
        .await?
        .iter()
        .map(|t| (t.id().to_string(), target_to_json(t)))
        .collect();
    Ok(Some(LiveResource {
        addr: scope.addr(Kind::EventRule, name),
        owner: tags.get(OWNER_TAG).cloned(),
        props: json!({
            "bus": rule.event_bus_name().unwrap_or("default"),
            "description": rule.description(),
            "pattern": pattern,
            "state": rule.state().map(|s| s.as_str()),
            "targets": targets,
            "tags": tags,
        }),
    }))
}

/// The tags of an EventBridge resource (rule or bus).
pub(super) async fn tags_of(
    scope: &Scope<'_>,
    arn: &str,
) -> Result<BTreeMap<String, String>, CloudError> {
    Ok(scope
        .client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| classify("events:ListTagsForResource", e))?
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// The owner of the rule `arn`: from the index, where a rule it does not list carries no
/// ownership tag, or else read.
async fn rule_owner(
    scope: &Scope<'_>,
    arn: &str,
    index: Option<&TagIndex>,
) -> Result<Option<String>, CloudError> {
    if let Some(index) = index {
        return Ok(index.tags(arn).and_then(|t| t.get(OWNER_TAG).cloned()));
    }
    Ok(tags_of(scope, arn).await?.remove(OWNER_TAG))
}

/// Every rule of a bus: (name, ARN).
async fn list_rules(
    scope: &Scope<'_>,
    bus: Option<String>,
) -> Result<Vec<(String, String)>, CloudError> {
    super::all_pages(|token| {
        let bus = bus.clone();
        async move {
            let out = match scope
                .client
                .list_rules()
                .set_event_bus_name(bus)
                .set_next_token(token)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => match classify("events:ListRules", e) {
                    // a bus the spec names that does not exist yet has no rules
                    e if e.is_not_found() => return Ok((Vec::new(), None)),
                    e => return Err(e),
                },
            };
            let rules = out
                .rules()
                .iter()
                .filter_map(|r| Some((r.name()?.to_string(), r.arn()?.to_string())))
                .collect();
            Ok((rules, out.next_token().map(str::to_string)))
        }
    })
    .await
}

fn warden_ids(targets: &Value) -> Vec<String> {
    targets
        .as_object()
        .into_iter()
        .flatten()
        .map(|(id, _)| id.clone())
        .filter(|id| id.starts_with(TARGET_PREFIX))
        .collect()
}

impl ResourceKind for EventRuleKind {
    const KIND: Kind = Kind::EventRule;
    const NAME: &'static str = "event_rule";
    const RANK: u8 = 6;
    const CONTROL: &'static str = "event rules";
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Tagged;
    const TAGGING_RESOURCE_TYPE: Option<&'static str> = Some("events:rule");
    const DISCOVERS: bool = true;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.events(region)
    }

    /// DescribeRule, ListTagsForResource, ListTargetsByRule per named rule. With
    /// `discover_owner` (prune), also ListEventBuses, ListRules of every bus of the scope (a bus
    /// that left the spec may still hold this project's rules), and ListTagsForResource of each
    /// rule the spec does not name: those that project owns are read too.
    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        // Tags from the scope's index where the engine offers one: every rule of a prune's
        // listing needs its owner, so the index is read for two or more of them.
        let index = scope
            .tag_index(wanted.len() + usize::from(discover_owner.is_some()) * BULK_FROM)
            .await?;
        let mut live = Vec::new();
        for Named { name, props, .. } in wanted {
            if let Some(found) = read_rule(scope, name, bus_of(props), index).await? {
                live.push(found);
            }
        }
        let Some(owner) = discover_owner else {
            return Ok(live);
        };
        // Rules are tagged when created: with none named here and no rule with an ownership tag
        // in the scope's tag index, there is nothing of this project's to find.
        if wanted.is_empty() && !scope.index_may_hold(":rule/").await? {
            return Ok(live);
        }
        // Every bus of the scope: a bus that left the spec may still hold this project's rules.
        let mut buses: Vec<Option<String>> = vec![None];
        for n in wanted {
            let bus = bus_of(&n.props);
            if !buses.contains(&bus) {
                buses.push(bus);
            }
        }
        for (bus, _) in super::event_bus::list_buses(scope).await? {
            let bus = Some(bus).filter(|b| b != "default");
            if !buses.contains(&bus) {
                buses.push(bus);
            }
        }
        for bus in buses {
            for (name, arn) in list_rules(scope, bus.clone()).await? {
                let named = wanted
                    .iter()
                    .any(|n| n.name == name && bus_of(&n.props) == bus);
                if named || rule_owner(scope, &arn, index).await?.as_deref() != Some(owner) {
                    continue;
                }
                if let Some(found) = read_rule(scope, &name, bus.clone(), index).await? {
                    live.push(found);
                }
            }
        }
        Ok(live)
    }

    /// What the rule's targets send to (a bus by ARN, an API destination, a dead-letter
    /// queue) is in use: `--prune` never deletes it while a rule of the spec points at it.
    fn references(props: &Value, out: &mut Vec<(Kind, String)>) {
        for target in props["targets"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, t)| t)
        {
            if let Some(name) = target["api_destination"].as_str() {
                out.push((Kind::EventApiDestination, name.to_string()));
            }
            if let Some((_, bus)) = target["arn"]
                .as_str()
                .and_then(|a| a.split_once(":event-bus/"))
            {
                out.push((Kind::EventBus, bus.to_string()));
            }
            if let Some(queue) = target["dead_letter_arn"]
                .as_str()
                .and_then(|a| a.rsplit(':').next())
            {
                out.push((Kind::SqsQueue, queue.to_string()));
            }
        }
    }

    /// Only warden's targets and the spec's tag keys are compared; transformers that send the
    /// same payload as the spec's are shown in the spec's spelling.
    fn comparable(desired: &Value, live: &Value) -> Value {
        let mut view = super::project_keys(desired, live, "tags");
        if let Some(targets) = view["targets"].as_object_mut() {
            targets.retain(|id, _| id.starts_with(TARGET_PREFIX));
            for (id, target) in targets.iter_mut() {
                let want = &desired["targets"][id]["input_transformer"];
                if let (Some(w), Some(h)) = (
                    transformer_of(want),
                    transformer_of(&target["input_transformer"]),
                ) {
                    if w.equivalent(&h) {
                        target["input_transformer"] = want.clone();
                    }
                }
            }
        }
        view
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        let mut lines = Vec::new();
        if before["state"] == json!("DISABLED") && after["state"] == json!("ENABLED") {
            lines.push("rule is disabled".to_string());
        }
        if let (Ok(live), Ok(want)) = (
            EventPattern::from_value(&before["pattern"]),
            EventPattern::from_value(&after["pattern"]),
        ) {
            lines.extend(describe_differences(&live, &want));
        }
        let empty = Map::new();
        let have = before["targets"].as_object().unwrap_or(&empty);
        let want = after["targets"].as_object().unwrap_or(&empty);
        for (id, w) in want {
            match have.get(id) {
                None => lines.push(format!("target {id} was removed")),
                Some(h) => {
                    if destination_words(h) != destination_words(w) {
                        lines.push(format!(
                            "events now go to {} instead of {}",
                            destination_words(h),
                            destination_words(w)
                        ));
                    }
                    if h["input_transformer"] != w["input_transformer"] {
                        lines.push(format!("target {id} changes the events differently"));
                    }
                }
            }
        }
        for id in have.keys().filter(|id| !want.contains_key(*id)) {
            lines.push(format!(
                "target {id} is no longer in the spec and is removed"
            ));
        }
        (!lines.is_empty()).then(|| lines.join("; "))
    }

    /// PutRule (with tags), then PutTargets.
    async fn create(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
        put_rule(scope, name, after, true).await?;
        let targets: Vec<(&String, &Value)> =
            after["targets"].as_object().into_iter().flatten().collect();
        put_targets(scope, name, bus_of(after), &targets).await
    }

    /// Tags first (ownership), PutRule when the rule itself differs, warden's targets that
    /// left the spec removed, changed ones put.
    async fn update(
        scope: &Scope<'_>,
        name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        let bus = bus_of(after);
        let rule_differs = ["pattern", "state", "description", "bus"]
            .iter()
            .any(|k| before.get(*k) != after.get(*k));
        let arn = put_rule_if(scope, name, after, rule_differs).await?;
        let changed_tags: Vec<Tag> = sdk_tags(&after["tags"])
            .into_iter()
            .filter(|t| before["tags"][t.key()].as_str() != Some(t.value()))
            .collect();
        if !changed_tags.is_empty() {
            scope
                .client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(changed_tags))
                .send()
                .await
                .map_err(|e| classify("events:TagResource", e))?;
        }
        let gone: Vec<String> = warden_ids(&before["targets"])
            .into_iter()
            .filter(|id| after["targets"].get(id).is_none())
            .collect();
        remove_targets(scope, name, bus.clone(), gone).await?;
        let changed: Vec<(&String, &Value)> = after["targets"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(id, t)| before["targets"].get(id.as_str()) != Some(*t))
            .collect();
        put_targets(scope, name, bus, &changed).await
    }

    /// warden's targets first (a rule with targets cannot be deleted); a rule that still has
    /// other tools' targets is not deleted.
    async fn delete(scope: &Scope<'_>, name: &str, before: &Value) -> Result<(), CloudError> {
        let bus = bus_of(before);
        let targets = match list_targets(scope, name, bus.clone()).await {
            Ok(t) => t,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        let (ours, theirs): (Vec<&Target>, Vec<&Target>) = targets
            .iter()
            .partition(|t| t.id().starts_with(TARGET_PREFIX));
        remove_targets(
            scope,
            name,
            bus.clone(),
            ours.iter().map(|t| t.id().to_string()).collect(),
        )
        .await?;
        if !theirs.is_empty() {
            let ids: Vec<&str> = theirs.iter().map(|t| t.id()).collect();
            return Err(CloudError::unexpected(
                "events:DeleteRule",
                format!(
                    "rule {name} also has targets warden does not manage ({}): warden's targets were removed, the rule is left for them",
                    ids.join(", ")
                ),
            ));
        }
        match scope
            .client
            .delete_rule()
            .name(name)
            .set_event_bus_name(bus)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match classify("events:DeleteRule", e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }
}

/// PutRule when `differs`, else the rule's ARN (for tagging) from DescribeRule.
async fn put_rule_if(
    scope: &Scope<'_>,
    name: &str,
    after: &Value,
    differs: bool,
) -> Result<String, CloudError> {
    if differs {
        return put_rule(scope, name, after, false).await;
    }
    let out = scope
        .client
        .describe_rule()
        .name(name)
        .set_event_bus_name(bus_of(after))
        .send()
        .await
        .map_err(|e| classify("events:DescribeRule", e))?;
    Ok(out.arn().unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::dynatrace::business_event_transformer;

    fn desired() -> Value {
        let t = business_event_transformer("gen_ai.auditing").unwrap();
        json!({
            "bus": "default",
            "description": "d",
            "pattern": EventPattern::from_value(&json!({"source": ["aws.bedrock"]})).unwrap().as_value(),
            "state": "ENABLED",
            "targets": {"warden-dynatrace": {"api_destination": "warden-dynatrace",
                "role_arn": "arn:aws:iam::1:role/r", "input_transformer": {"paths": t.paths, "template": t.template},
                "dead_letter_arn": null}},
            "tags": {"warden:managed-by": "p"},
        })
    }

    #[test]
    fn other_tools_targets_are_not_compared_and_equivalent_templates_are_equal() {
        let want = desired();
        let mut live = want.clone();
        live["targets"]["theirs"] = json!({"arn": "arn:aws:sns:us-east-1:1:t"});
        let template = want["targets"]["warden-dynatrace"]["input_transformer"]["template"]
            .as_str()
            .unwrap()
            .replace(", ", ",   ");
        live["targets"]["warden-dynatrace"]["input_transformer"]["template"] = json!(template);
        live["tags"]["other"] = json!("x");
        assert_eq!(EventRuleKind::comparable(&want, &live), want);
    }

    #[test]
    fn what_targets_point_at_is_never_pruned() {
        let mut rule = desired();
        rule["targets"]["warden-bus-2-central"] =
            json!({"arn": "arn:aws:events:us-east-1:2:event-bus/central"});
        rule["targets"]["warden-dynatrace"]["dead_letter_arn"] =
            json!("arn:aws:sqs:us-east-1:1:dlq");
        let mut out = Vec::new();
        EventRuleKind::references(&rule, &mut out);
        out.sort();
        assert_eq!(
            out,
            vec![
                (Kind::EventApiDestination, "warden-dynatrace".to_string()),
                (Kind::SqsQueue, "dlq".to_string()),
                (Kind::EventBus, "central".to_string()),
            ]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn drift_in_words() {
        let want = desired();
        let mut live = want.clone();
        live["state"] = json!("DISABLED");
        live["targets"] = json!({});
        let words = EventRuleKind::explain(&live, &want).unwrap();
        assert!(words.contains("rule is disabled"), "{words}");
        assert!(
            words.contains("target warden-dynatrace was removed"),
            "{words}"
        );
        let mut redirected = want.clone();
        redirected["targets"]["warden-dynatrace"] = json!({"arn": "arn:aws:sns:us-east-1:1:elsewhere", "role_arn": null,
                   "input_transformer": null, "dead_letter_arn": null});
        let words = EventRuleKind::explain(&redirected, &want).unwrap();
        assert!(
            words.contains("events now go to arn:aws:sns:us-east-1:1:elsewhere instead of API destination warden-dynatrace"),
            "{words}"
        );
    }
}
