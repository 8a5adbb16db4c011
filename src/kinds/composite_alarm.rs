//! CloudWatch composite alarms ("governance record broken" = any delivery-failure alarm): read
//! with the metric alarms' batched DescribeAlarms, owned by the same description marker, and
//! created after the member alarms they name.

use aws_sdk_cloudwatch::types::AlarmType;
use aws_sdk_cloudwatch::Client;
use serde_json::{json, Value};

use super::metric_alarm::{self as alarms, Scope};
use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource};

/// A composite alarm.
pub struct CompositeAlarmKind;

impl ResourceKind for CompositeAlarmKind {
    const KIND: Kind = Kind::CompositeAlarm;
    const NAME: &'static str = "composite_alarm";
    const RANK: u8 = 8;
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
        let found =
            alarms::describe(scope, AlarmType::CompositeAlarm, &names, discover_owner).await?;
        let read: Vec<(String, Value, Option<&str>)> = found
            .composite_alarms
            .iter()
            .map(|alarm| {
                let name = alarm.alarm_name().unwrap_or_default().to_string();
                let props = json!({
                "AlarmName": name,
                "AlarmDescription": alarm.alarm_description(),
                "AlarmRule": alarm.alarm_rule(),
                "ActionsEnabled": alarm.actions_enabled(),
                "AlarmActions": alarm.alarm_actions(),
                "OKActions": alarm.ok_actions(),
                "InsufficientDataActions": alarm.insufficient_data_actions(),
                });
                (name, props, alarm.alarm_arn())
            })
            .collect();
        let index = alarms::unmarked_index(scope, &read).await?;
        let mut live = Vec::new();
        for (name, props, arn) in read {
            let named = names.contains(&name);
            let Some(resource) =
                alarms::finish(scope, Kind::CompositeAlarm, &name, props, arn, named, index)
                    .await?
            else {
                continue;
            };
            if alarms::keep(&resource, &names, discover_owner) {
                live.push(resource);
            }
        }
        Ok(live)
    }

    fn comparable(desired: &Value, live: &Value) -> Value {
        alarms::comparable_alarm(desired, live)
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        alarms::explain_alarm(before, after)
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
        alarms::tag_changes(scope, name, before, after).await?;
        put(scope, &after["alarm"], None).await
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        alarms::delete_alarm(scope, name).await
    }
}

/// PutCompositeAlarm with every member (it replaces the alarm too).
async fn put(scope: &Scope<'_>, alarm: &Value, tags: Option<&Value>) -> Result<(), CloudError> {
    let s = |k: &str| alarm[k].as_str().map(str::to_string);
    let list = |k: &str| {
        alarm[k].as_array().map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
    };
    scope
        .client
        .put_composite_alarm()
        .set_alarm_name(s("AlarmName"))
        .set_alarm_description(s("AlarmDescription"))
        .set_alarm_rule(s("AlarmRule"))
        .set_actions_enabled(alarm["ActionsEnabled"].as_bool())
        .set_alarm_actions(list("AlarmActions"))
        .set_ok_actions(list("OKActions"))
        .set_insufficient_data_actions(list("InsufficientDataActions"))
        .set_tags(alarms::tag_list(tags))
        .send()
        .await
        .map_err(|e| classify("cloudwatch:PutCompositeAlarm", e))?;
    Ok(())
}
