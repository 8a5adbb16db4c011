//! CloudWatch metric alarms (static thresholds, anomaly bands, Metrics Insights): read 100 names
//! per DescribeAlarms call, compared as normalized PutMetricAlarm members, written whole.
//!
//! Ownership is a marker line at the end of the description (`[warden:managed-by=<project>]`),
//! so a steady-state read costs one call per 100 alarms; tags (the ownership tag and the
//! spec's tags, written on create and by TagResource on adopt) are read only for alarms that
//! lack the marker, where they tell an alarm made by hand from one whose description was
//! overwritten. PutMetricAlarm replaces the whole alarm and ignores `Tags` on update, so every
//! update sends the full alarm and tags go through TagResource.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat,
    StandardUnit, Statistic, Tag,
};
use aws_sdk_cloudwatch::Client;
use serde_json::{json, Map, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::tagging::TagIndex;
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource, OWNER_TAG};
use crate::monitoring::normalize::{alarm_changes, normalize_alarm};
use crate::spec::regions;

/// `DescribeAlarms` takes at most 100 names per call.
pub const DESCRIBE_BATCH: usize = 100;
/// The marker that ends the description of every alarm warden writes.
const MARKER_START: &str = "[warden:managed-by=";

pub type Scope<'a> = super::Scope<'a, Client>;

/// A CloudWatch metric alarm.
pub struct MetricAlarmKind;

impl ResourceKind for MetricAlarmKind {
    const KIND: Kind = Kind::MetricAlarm;
    const NAME: &'static str = "metric_alarm";
    const RANK: u8 = 7;
    const CONTROL: &'static str = "alarms";
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Marked;
    const DISCOVERS: bool = true;
    const TAGGING_RESOURCE_TYPE: Option<&'static str> = Some("cloudwatch:alarm");
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.cloudwatch(region)
    }

    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let names: Vec<String> = wanted.iter().map(|n| n.name.clone()).collect();
        let alarms = describe(scope, AlarmType::MetricAlarm, &names, discover_owner).await?;
        let read: Vec<(String, Value, Option<&str>)> = alarms
            .metric_alarms
            .iter()
            .map(|a| {
                let name = a.alarm_name().unwrap_or_default().to_string();
                (name, alarm_json(a), a.alarm_arn())
            })
            .collect();
        let index = unmarked_index(scope, &read).await?;
        let mut live = Vec::new();
        for (name, props, arn) in read {
            let named = names.contains(&name);
            let Some(resource) =
                finish(scope, Kind::MetricAlarm, &name, props, arn, named, index).await?
            else {
                continue;
            };
            if keep(&resource, &names, discover_owner) {
                live.push(resource);
            }
        }
        Ok(live)
    }

    fn comparable(desired: &Value, live: &Value) -> Value {
        comparable_alarm(desired, live)
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        explain_alarm(before, after)
    }

    async fn create(scope: &Scope<'_>, _name: &str, after: &Value) -> Result<(), CloudError> {
        put(scope, &after["alarm"], Some(&after["tags"])).await
    }

    async fn update(
        scope: &Scope<'_>,
        name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        // Tags first (an adopt stopped halfway is already ours), then the whole alarm.
        tag_changes(scope, name, before, after).await?;
        put(scope, &after["alarm"], None).await
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        delete_alarm(scope, name).await
    }
}

/// Both kinds of alarms of one DescribeAlarms answer.
#[derive(Default)]
pub struct Described {
    pub metric_alarms: Vec<MetricAlarm>,
    pub composite_alarms: Vec<aws_sdk_cloudwatch::types::CompositeAlarm>,
}

/// The named alarms of `kind`, 100 names per call; with `discover_owner`, every alarm of that
/// kind in the region (paginated), for pruning.
pub async fn describe(
    scope: &Scope<'_>,
    kind: AlarmType,
    names: &[String],
    discover_owner: Option<&str>,
) -> Result<Described, CloudError> {
    let mut out = Described::default();
    let mut collect =
        |page: aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput| {
            out.metric_alarms
                .extend(page.metric_alarms().iter().cloned());
            out.composite_alarms
                .extend(page.composite_alarms().iter().cloned());
        };
    if discover_owner.is_some() {
        // Alarms are tagged when created: with none named here and no alarm with an ownership
        // tag in the scope's tag index, there is nothing of this project's to find.
        if names.is_empty() && !scope.index_may_hold(":alarm:").await? {
            return Ok(out);
        }
        let mut pages = scope
            .client
            .describe_alarms()
            .alarm_types(kind)
            .max_records(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            collect(page.map_err(|e| classify("cloudwatch:DescribeAlarms", e))?);
        }
        return Ok(out);
    }
    for chunk in names.chunks(DESCRIBE_BATCH) {
        let page = scope
            .client
            .describe_alarms()
            .alarm_types(kind.clone())
            .set_alarm_names(Some(chunk.to_vec()))
            .max_records(100)
            .send()
            .await
            .map_err(|e| classify("cloudwatch:DescribeAlarms", e))?;
        collect(page);
    }
    Ok(out)
}

/// Whether a read alarm is asked for, or (pruning) owned by the project being pruned.
pub fn keep(resource: &LiveResource, names: &[String], discover_owner: Option<&str>) -> bool {
    names.contains(&resource.addr.name)
        || (discover_owner.is_some() && resource.owner.as_deref() == discover_owner)
}

/// The scope's tag index when two or more of these alarms (name, PutMetricAlarm members,
/// ARN) lack the marker, so their tags are needed (a prune in a region of hand-made alarms).
pub async fn unmarked_index<'a>(
    scope: &'a Scope<'_>,
    read: &[(String, Value, Option<&str>)],
) -> Result<Option<&'a TagIndex>, CloudError> {
    let unmarked = read
        .iter()
        .filter(|(_, a, _)| {
            marker_owner(a["AlarmDescription"].as_str().unwrap_or_default()).is_none()
        })
        .count();
    scope.tag_index(unmarked).await
}

/// The live resource from the alarm's PutMetricAlarm-shaped members: the owner from the
/// description's marker, or (only where it has none) from its tags, taken from `index` where
/// it lists the alarm, else read. An unmarked alarm the spec does not name (`named`) that the
/// index does not list carries no ownership tag: `None`, nothing read.
pub async fn finish(
    scope: &Scope<'_>,
    kind: Kind,
    name: &str,
    alarm: Value,
    arn: Option<&str>,
    named: bool,
    index: Option<&TagIndex>,
) -> Result<Option<LiveResource>, CloudError> {
    let marked = marker_owner(alarm["AlarmDescription"].as_str().unwrap_or_default());
    let mut props = json!({ "alarm": normalize_alarm(&alarm) });
    let owner = match marked {
        Some(owner) => Some(owner),
        None => {
            let arn = arn
                .map(str::to_string)
                .unwrap_or_else(|| alarm_arn(scope, name));
            let tags = match index.map(|i| i.tags(&arn)) {
                Some(Some(tags)) => tags.clone(),
                Some(None) if !named => return Ok(None),
                _ => list_tags(scope, &arn).await?,
            };
            let owner = tags.get(OWNER_TAG).cloned();
            props["tags"] = json!(tags);
            owner
        }
    };
    Ok(Some(LiveResource {
        addr: scope.addr(kind, name),
        props,
        owner,
    }))
}

/// `description` followed by the ownership marker of `project`.
pub fn marked_description(description: &str, project: &str) -> String {
    let description = description.trim_end();
    if description.is_empty() {
        format!("{MARKER_START}{project}]")
    } else {
        format!("{description}\n\n{MARKER_START}{project}]")
    }
}

/// The project named by the marker at the end of an alarm description.
pub fn marker_owner(description: &str) -> Option<String> {
    let line = description.trim_end().lines().last()?.trim();
    line.strip_prefix(MARKER_START)?
        .strip_suffix(']')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
}

/// The live view with the tags the spec names; where tags were not read (the marker made the
/// owner plain) they are not compared.
pub fn comparable_alarm(desired: &Value, live: &Value) -> Value {
    let mut view = live.clone();
    if view.get("tags").is_none() {
        view["tags"] = desired.get("tags").cloned().unwrap_or(Value::Null);
        return view;
    }
    super::project_keys(desired, &view, "tags")
}

/// "threshold 10 → 5; actions removed: …" in words.
pub fn explain_alarm(before: &Value, after: &Value) -> Option<String> {
    let (b, a) = (&before["alarm"], &after["alarm"]);
    if b.is_null() || a.is_null() {
        return None;
    }
    let fields = alarm_changes(a, b);
    if fields.is_empty() {
        return None;
    }
    let mut said = Vec::new();
    for field in &fields {
        let key = field.trim_start_matches('/');
        let top = key.split('/').next().unwrap_or(key);
        let words = match top {
            "AlarmActions" | "OKActions" | "InsufficientDataActions" => {
                let list = |v: &Value| -> Vec<String> {
                    v[top]
                        .as_array()
                        .map(|l| {
                            l.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let (had, want) = (list(b), list(a));
                let gone: Vec<&String> = want.iter().filter(|x| !had.contains(x)).collect();
                let extra: Vec<&String> = had.iter().filter(|x| !want.contains(x)).collect();
                let mut parts = Vec::new();
                if !gone.is_empty() {
                    parts.push(format!("{top}: {} was removed", join(&gone)));
                }
                if !extra.is_empty() {
                    parts.push(format!("{top}: {} was added", join(&extra)));
                }
                parts.join("; ")
            }
            "Metrics" => "the metric queries differ".to_string(),
            _ => format!("{top} is {} (spec: {})", show(b.get(top)), show(a.get(top))),
        };
        if !words.is_empty() && !said.contains(&words) {
            said.push(words);
        }
    }
    Some(said.join("; "))
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "absent".into(),
        Some(Value::String(s)) if s.chars().count() > 80 => {
            format!("\"{}…\"", s.chars().take(77).collect::<String>())
        }
        Some(other) => other.to_string(),
    }
}

/// The ARN of the alarm `name` in the scope.
pub fn alarm_arn(scope: &Scope<'_>, name: &str) -> String {
    format!(
        "arn:{}:cloudwatch:{}:{}:alarm:{}",
        regions::partition(scope.region),
        scope.region,
        scope.account_id,
        name
    )
}

pub async fn list_tags(
    scope: &Scope<'_>,
    arn: &str,
) -> Result<BTreeMap<String, String>, CloudError> {
    let out = scope
        .client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| classify("cloudwatch:ListTagsForResource", e))?;
    Ok(out
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// TagResource with the tags of `after` that `before` does not have with the same value.
pub async fn tag_changes(
    scope: &Scope<'_>,
    name: &str,
    before: &Value,
    after: &Value,
) -> Result<(), CloudError> {
    let empty = Map::new();
    let old = before["tags"].as_object().unwrap_or(&empty);
    let changed: Vec<Tag> = after["tags"]
        .as_object()
        .unwrap_or(&empty)
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .filter_map(|(k, v)| Some(Tag::builder().key(k).value(v.as_str()?).build()))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    scope
        .client
        .tag_resource()
        .resource_arn(alarm_arn(scope, name))
        .set_tags(Some(changed))
        .send()
        .await
        .map_err(|e| classify("cloudwatch:TagResource", e))?;
    Ok(())
}

pub async fn delete_alarm(scope: &Scope<'_>, name: &str) -> Result<(), CloudError> {
    scope
        .client
        .delete_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| classify("cloudwatch:DeleteAlarms", e))?;
    Ok(())
}

/// Tags for a create call.
pub fn tag_list(tags: Option<&Value>) -> Option<Vec<Tag>> {
    tags.and_then(Value::as_object).map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some(Tag::builder().key(k).value(v.as_str()?).build()))
            .collect()
    })
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|l| {
        l.iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    })
}

fn dimensions(v: &Value) -> Option<Vec<Dimension>> {
    v.as_array().map(|l| {
        l.iter()
            .map(|d| {
                Dimension::builder()
                    .set_name(d["Name"].as_str().map(str::to_string))
                    .set_value(d["Value"].as_str().map(str::to_string))
                    .build()
            })
            .collect()
    })
}

fn int(v: &Value) -> Option<i32> {
    v.as_i64().map(|n| n as i32)
}

/// PutMetricAlarm with every member of `alarm` (the whole alarm: AWS replaces it).
async fn put(scope: &Scope<'_>, alarm: &Value, tags: Option<&Value>) -> Result<(), CloudError> {
    let s = |k: &str| alarm[k].as_str().map(str::to_string);
    let metrics = alarm["Metrics"].as_array().map(|queries| {
        queries
            .iter()
            .map(|q| {
                let stat = q.get("MetricStat").map(|m| {
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .set_namespace(
                                    m["Metric"]["Namespace"].as_str().map(str::to_string),
                                )
                                .set_metric_name(
                                    m["Metric"]["MetricName"].as_str().map(str::to_string),
                                )
                                .set_dimensions(dimensions(&m["Metric"]["Dimensions"]))
                                .build(),
                        )
                        .set_period(int(&m["Period"]))
                        .set_stat(m["Stat"].as_str().map(str::to_string))
                        .set_unit(m["Unit"].as_str().map(StandardUnit::from))
                        .build()
                });
                MetricDataQuery::builder()
                    .set_id(q["Id"].as_str().map(str::to_string))
                    .set_expression(q["Expression"].as_str().map(str::to_string))
                    .set_label(q["Label"].as_str().map(str::to_string))
                    .set_period(int(&q["Period"]))
                    .set_return_data(q["ReturnData"].as_bool())
                    .set_metric_stat(stat)
                    .build()
            })
            .collect()
    });
    scope
        .client
        .put_metric_alarm()
        .set_alarm_name(s("AlarmName"))
        .set_alarm_description(s("AlarmDescription"))
        .set_actions_enabled(alarm["ActionsEnabled"].as_bool())
        .set_alarm_actions(strings(&alarm["AlarmActions"]))
        .set_ok_actions(strings(&alarm["OKActions"]))
        .set_insufficient_data_actions(strings(&alarm["InsufficientDataActions"]))
        .set_metric_name(s("MetricName"))
        .set_namespace(s("Namespace"))
        .set_statistic(alarm["Statistic"].as_str().map(Statistic::from))
        .set_extended_statistic(s("ExtendedStatistic"))
        .set_dimensions(dimensions(&alarm["Dimensions"]))
        .set_period(int(&alarm["Period"]))
        .set_unit(alarm["Unit"].as_str().map(StandardUnit::from))
        .set_evaluation_periods(int(&alarm["EvaluationPeriods"]))
        .set_datapoints_to_alarm(int(&alarm["DatapointsToAlarm"]))
        .set_threshold(alarm["Threshold"].as_f64())
        .set_comparison_operator(
            alarm["ComparisonOperator"]
                .as_str()
                .map(ComparisonOperator::from),
        )
        .set_treat_missing_data(s("TreatMissingData"))
        .set_evaluate_low_sample_count_percentile(s("EvaluateLowSampleCountPercentile"))
        .set_metrics(metrics)
        .set_threshold_metric_id(s("ThresholdMetricId"))
        .set_tags(tag_list(tags))
        .send()
        .await
        .map_err(|e| classify("cloudwatch:PutMetricAlarm", e))?;
    Ok(())
}

/// A described alarm as PutMetricAlarm members (what [`normalize_alarm`] compares).
pub fn alarm_json(a: &MetricAlarm) -> Value {
    let dims = |d: &[Dimension]| -> Value {
        d.iter()
            .map(|x| json!({"Name": x.name(), "Value": x.value()}))
            .collect()
    };
    let metrics: Vec<Value> = a
        .metrics()
        .iter()
        .map(|q| {
            let mut o = json!({
                "Id": q.id(),
                "Expression": q.expression(),
                "Label": q.label(),
                "ReturnData": q.return_data(),
                "Period": q.period(),
            });
            if let Some(stat) = q.metric_stat() {
                o["MetricStat"] = json!({
                    "Metric": {
                        "Namespace": stat.metric().and_then(|m| m.namespace()),
                        "MetricName": stat.metric().and_then(|m| m.metric_name()),
                        "Dimensions": dims(stat.metric().map(|m| m.dimensions()).unwrap_or_default()),
                    },
                    "Period": stat.period(),
                    "Stat": stat.stat(),
                    "Unit": stat.unit().map(|u| u.as_str()),
                });
            }
            o
        })
        .collect();
    let mut v = json!({
        "AlarmName": a.alarm_name(),
        "AlarmDescription": a.alarm_description(),
        "ActionsEnabled": a.actions_enabled(),
        "AlarmActions": a.alarm_actions(),
        "OKActions": a.ok_actions(),
        "InsufficientDataActions": a.insufficient_data_actions(),
        "MetricName": a.metric_name(),
        "Namespace": a.namespace(),
        "Statistic": a.statistic().map(|s| s.as_str()),
        "ExtendedStatistic": a.extended_statistic(),
        "Period": a.period(),
        "Unit": a.unit().map(|u| u.as_str()),
        "EvaluationPeriods": a.evaluation_periods(),
        "DatapointsToAlarm": a.datapoints_to_alarm(),
        "Threshold": a.threshold(),
        "ComparisonOperator": a.comparison_operator().map(|c| c.as_str()),
        "TreatMissingData": a.treat_missing_data(),
        "EvaluateLowSampleCountPercentile": a.evaluate_low_sample_count_percentile(),
        "ThresholdMetricId": a.threshold_metric_id(),
        "Metrics": metrics,
    });
    if a.metric_name().is_some() {
        v["Dimensions"] = dims(a.dimensions());
    }
    strip_nulls(&mut v);
    v
}

/// Removes `null` members at every depth (absent and null mean the same to the API).
pub fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(l) => l.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_names_the_project_and_nothing_else_does() {
        let d = marked_description("Throttled: raise the quota.", "ai-gov");
        assert_eq!(
            d,
            "Throttled: raise the quota.\n\n[warden:managed-by=ai-gov]"
        );
        assert_eq!(marker_owner(&d).as_deref(), Some("ai-gov"));
        assert_eq!(marker_owner("Throttled: raise the quota."), None);
        assert_eq!(marker_owner("[warden:managed-by=]"), None);
    }

    #[test]
    fn untagged_reads_compare_only_what_was_read() {
        let desired = json!({"alarm": {"Threshold": 5}, "tags": {"warden:managed-by": "p"}});
        let live = json!({"alarm": {"Threshold": 10}});
        assert_eq!(comparable_alarm(&desired, &live)["tags"], desired["tags"]);
        let live = json!({"alarm": {"Threshold": 10}, "tags": {"other": "x"}});
        assert_eq!(comparable_alarm(&desired, &live)["tags"], json!({}));
    }

    #[test]
    fn a_changed_threshold_and_a_removed_action_are_said_in_words() {
        let after = json!({"alarm": normalize_alarm(&json!({"AlarmName": "a", "Threshold": 5, "AlarmActions": ["arn:t"], "OKActions": ["arn:t"]}))});
        let before = json!({"alarm": normalize_alarm(&json!({"AlarmName": "a", "Threshold": 10.0, "AlarmActions": [], "OKActions": ["arn:t"]}))});
        let said = explain_alarm(&before, &after).expect("a difference");
        assert!(said.contains("Threshold is 10 (spec: 5)"), "{said}");
        assert!(said.contains("AlarmActions: `arn:t` was removed"), "{said}");
    }
}
