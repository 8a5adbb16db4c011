//! The CloudTrail audit trail (one multi-region trail per account, in its home region): settings, advanced event selectors compared by meaning, logging on, tags.

use std::collections::BTreeMap;

use aws_sdk_cloudtrail::types::{EventSelector, Tag, Trail};
use aws_sdk_cloudtrail::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::cloudtrail::{catalog, convert, selectors};
use crate::model::{Kind, LiveResource, OWNER_TAG};
use crate::source::regions;

pub type Scope<'a> = super::Scope<'a, Client>;

/// CloudTrail trails: tagged (ownership in `CreateTrail`'s `TagsList`, so it is there first).
/// Created after its bucket, log group and role (it depends on them), so account-scoped yet
/// applied with its home region's regional resources.
pub struct CloudtrailTrailKind;

/// `arn:…:logs:<region>:<account>:log-group:<name>:*`, the form CloudTrail takes.
pub fn log_group_arn(partition: &str, region: &str, account: &str, group: &str) -> String {
    format!("arn:{partition}:logs:{region}:{account}:log-group:{group}:*")
}

/// The log group name in a CloudTrail log group ARN (AWS answers with or without `:*`).
fn log_group_name(arn: &str) -> String {
    let rest = arn.split_once(":log-group:").map_or(arn, |(_, r)| r);
    rest.strip_suffix(":*").unwrap_or(rest).to_string()
}

fn trail_arn(scope: &Scope<'_>, name: &str) -> String {
    crate::cloudtrail::policy::trail_arn(
        regions::partition(scope.region),
        scope.region,
        scope.account_id,
        name,
    )
}

/// An empty string is how a setting removed by UpdateTrail may read back: absent.
fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|s| !s.is_empty())
}

/// A trail's settings as the kind's properties (without selectors, logging and tags).
fn settings(trail: &Trail) -> Value {
    let cloudwatch = match (
        given(trail.cloud_watch_logs_log_group_arn()),
        given(trail.cloud_watch_logs_role_arn()),
    ) {
        (None, None) => Value::Null,
        (group, role) => json!({
            "log_group": group.map(log_group_name),
            "role_arn": role,
        }),
    };
    json!({
        "s3_bucket": trail.s3_bucket_name(),
        "s3_key_prefix": given(trail.s3_key_prefix()),
        "multi_region": trail.is_multi_region_trail().unwrap_or(false),
        "log_file_validation": trail.log_file_validation_enabled().unwrap_or(false),
        "kms_key_id": given(trail.kms_key_id()),
        "cloudwatch": cloudwatch,
    })
}

/// Basic event selectors as JSON, for [`selectors::normalize_basic`].
fn basic_to_json(list: &[EventSelector]) -> Vec<Value> {
    list.iter()
        .map(|s| {
            let resources: Vec<Value> = s
                .data_resources()
                .iter()
                .map(|d| json!({"Type": d.r#type(), "Values": d.values()}))
                .collect();
            json!({
                "ReadWriteType": s.read_write_type().map(|r| r.as_str().to_string()),
                "IncludeManagementEvents": s.include_management_events(),
                "DataResources": resources,
            })
        })
        .collect()
}

/// The trail's selectors in canonical form (advanced or basic, as it holds them).
async fn read_selectors(client: &Client, arn: &str) -> Result<Vec<Value>, CloudError> {
    let out = client
        .get_event_selectors()
        .trail_name(arn)
        .send()
        .await
        .map_err(|e| classify("cloudtrail:GetEventSelectors", e))?;
    let bad = |e: selectors::SelectorError| {
        CloudError::unexpected("cloudtrail:GetEventSelectors", e.to_string())
    };
    let canonical = if out.advanced_event_selectors().is_empty() {
        selectors::normalize_basic(&basic_to_json(out.event_selectors())).map_err(bad)?
    } else {
        selectors::normalize(&convert::list_from_sdk(out.advanced_event_selectors()))
            .map_err(bad)?
    };
    Ok(canonical.to_json())
}

fn canonical(list: &Value) -> Option<selectors::CanonicalSelectors> {
    selectors::normalize(list.as_array()?).ok()
}

fn tag_list(value: &Value) -> Vec<Tag> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v.as_str()?).build().ok())
        .collect()
}

fn str_of<'a>(props: &'a Value, key: &str) -> Option<&'a str> {
    props.get(key).and_then(Value::as_str)
}

fn settings_differ(before: &Value, after: &Value) -> bool {
    [
        "s3_bucket",
        "s3_key_prefix",
        "multi_region",
        "log_file_validation",
        "kms_key_id",
        "cloudwatch",
    ]
    .iter()
    .any(|k| before.get(*k) != after.get(*k))
}

impl ResourceKind for CloudtrailTrailKind {
    const KIND: Kind = Kind::CloudtrailTrail;
    const NAME: &'static str = "cloudtrail_trail";
    const CONTROL: &'static str = "CloudTrail trail";
    const RANK: u8 = 5;
    const PLACEMENT: Placement = Placement::Account;
    const OWNERSHIP: Ownership = Ownership::Tagged;
    const NOTES_MANAGED: bool = true;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.cloudtrail(region)
    }

    /// DescribeTrails (the named trails), then per trail found: ListTags, GetEventSelectors,
    /// GetTrailStatus.
    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        _discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let arns: Vec<String> = wanted.iter().map(|n| trail_arn(scope, &n.name)).collect();
        let out = scope
            .client
            .describe_trails()
            .set_trail_name_list(Some(arns))
            .include_shadow_trails(false)
            .send()
            .await
            .map_err(|e| classify("cloudtrail:DescribeTrails", e))?;
        let mut live = Vec::new();
        for Named { name, .. } in wanted {
            let Some(trail) = out
                .trail_list()
                .iter()
                .find(|t| t.name() == Some(name) && t.home_region() == Some(scope.region))
            else {
                continue;
            };
            let arn = trail
                .trail_arn()
                .map_or_else(|| trail_arn(scope, name), str::to_string);
            let tags_out = scope
                .client
                .list_tags()
                .resource_id_list(&arn)
                .send()
                .await
                .map_err(|e| classify("cloudtrail:ListTags", e))?;
            let tags: BTreeMap<String, String> = tags_out
                .resource_tag_list()
                .iter()
                .flat_map(|r| r.tags_list())
                .map(|t| (t.key().to_string(), t.value().unwrap_or("").to_string()))
                .collect();
            let event_selectors = read_selectors(&scope.client, &arn).await?;
            let status = scope
                .client
                .get_trail_status()
                .name(&arn)
                .send()
                .await
                .map_err(|e| classify("cloudtrail:GetTrailStatus", e))?;
            let mut props = settings(trail);
            props["event_selectors"] = json!(event_selectors);
            props["logging"] = json!(status.is_logging().unwrap_or(false));
            props["tags"] = json!(tags);
            live.push(LiveResource {
                addr: scope.addr(Kind::CloudtrailTrail, name),
                owner: tags.get(OWNER_TAG).cloned(),
                props,
            });
        }
        Ok(live)
    }

    /// Tags the spec does not name are not compared; selectors that record the same events as
    /// the spec's are shown in the spec's spelling.
    fn comparable(desired: &Value, live: &Value) -> Value {
        let mut view = super::project_keys(desired, live, "tags");
        if let (Some(want), Some(have)) = (
            canonical(&desired["event_selectors"]),
            canonical(&live["event_selectors"]),
        ) {
            if want == have {
                view["event_selectors"] = desired["event_selectors"].clone();
            }
        }
        view
    }

    /// The event selectors as what the trail records.
    fn describe(after: &Value) -> Vec<(&'static str, String)> {
        let Some(list) = after["event_selectors"].as_array() else {
            return Vec::new();
        };
        let Ok(canonical) = selectors::normalize(list) else {
            return Vec::new();
        };
        let coverage = canonical.coverage();
        let mut words = format!("records management events: {}", coverage.management);
        let bedrock: Vec<&str> = coverage
            .bedrock_data_types()
            .into_iter()
            .filter_map(catalog::short_name)
            .collect();
        if !bedrock.is_empty() {
            words.push_str(&format!("; Bedrock data events: {}", bedrock.join(", ")));
        }
        let other = coverage.data.len() - coverage.bedrock_data_types().len() + coverage.other;
        if other > 0 {
            words.push_str(&format!("; {other} other selector(s)"));
        }
        vec![("event_selectors", words)]
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        let mut lines = Vec::new();
        if before["logging"] == json!(false) && after["logging"] == json!(true) {
            lines.push("logging is stopped".to_string());
        }
        if before["s3_bucket"] != after["s3_bucket"] {
            lines.push(format!(
                "delivers to bucket {} instead of {}",
                str_of(before, "s3_bucket").unwrap_or("(none)"),
                str_of(after, "s3_bucket").unwrap_or("(none)")
            ));
        }
        if before["s3_key_prefix"] != after["s3_key_prefix"] {
            lines.push(format!(
                "delivers under key prefix {} instead of {}",
                str_of(before, "s3_key_prefix").unwrap_or("(none)"),
                str_of(after, "s3_key_prefix").unwrap_or("(none)")
            ));
        }
        if before["log_file_validation"] == json!(false)
            && after["log_file_validation"] == json!(true)
        {
            lines.push("log file validation was turned off".to_string());
        }
        if before["multi_region"] == json!(false) && after["multi_region"] == json!(true) {
            lines.push("the trail records only its home region".to_string());
        }
        if before["kms_key_id"] != after["kms_key_id"] {
            lines.push(match str_of(before, "kms_key_id") {
                None => "log files are not encrypted with the spec's KMS key".to_string(),
                Some(key) => format!("log files are encrypted with {key}"),
            });
        }
        if before["cloudwatch"] != after["cloudwatch"] {
            lines.push(if before["cloudwatch"].is_null() {
                "does not deliver to CloudWatch Logs".to_string()
            } else {
                "delivers to CloudWatch Logs differently from the spec".to_string()
            });
        }
        if let (Some(live), Some(want)) = (
            canonical(&before["event_selectors"]),
            canonical(&after["event_selectors"]),
        ) {
            lines.extend(selectors::describe_differences(&live, &want));
        }
        (!lines.is_empty()).then(|| lines.join("; "))
    }

    fn plan_note(after: &Value) -> Option<String> {
        let records_data =
            canonical(&after["event_selectors"]).is_some_and(|c| !c.coverage().data.is_empty());
        records_data.then(|| {
            "CloudTrail data events are billed per event recorded (the first copy of management events is free); see https://aws.amazon.com/cloudtrail/pricing/".to_string()
        })
    }

    /// One DescribeTrails (every trail that applies to the home region, shadow and
    /// organization trails included), then GetEventSelectors of the other trails that have
    /// custom selectors: which of them already record Bedrock data events.
    async fn managed_note(
        scope: &Scope<'_>,
        wanted: &[Named],
    ) -> Result<Option<String>, CloudError> {
        let out = scope
            .client
            .describe_trails()
            .send()
            .await
            .map_err(|e| classify("cloudtrail:DescribeTrails", e))?;
        let ours: Vec<String> = wanted.iter().map(|n| trail_arn(scope, &n.name)).collect();
        let mut found = Vec::new();
        for trail in out.trail_list() {
            let Some(arn) = trail.trail_arn() else {
                continue;
            };
            if ours.iter().any(|o| o == arn) || trail.has_custom_event_selectors() != Some(true) {
                continue;
            }
            let Ok(list) = read_selectors(&scope.client, arn).await else {
                continue;
            };
            let Ok(canonical) = selectors::normalize(&list) else {
                continue;
            };
            let types: Vec<String> = canonical
                .coverage()
                .bedrock_data_types()
                .iter()
                .map(|t| catalog::short_name(t).unwrap_or(t).to_string())
                .collect();
            if !types.is_empty() {
                found.push(format!(
                    "trail {} already records Bedrock data events ({})",
                    trail.name().unwrap_or(arn),
                    types.join(", ")
                ));
            }
        }
        Ok((!found.is_empty()).then(|| {
            format!(
                "{}: the spec's trail records them too, and each copy is billed",
                found.join("; ")
            )
        }))
    }

    /// CreateTrail (with the ownership tag), PutEventSelectors, StartLogging. A trail created
    /// by a run that died before the rest reads as ours next time, and `update` finishes it.
    async fn create(scope: &Scope<'_>, name: &str, props: &Value) -> Result<(), CloudError> {
        let partition = regions::partition(scope.region);
        let cw = &props["cloudwatch"];
        scope
            .client
            .create_trail()
            .name(name)
            .s3_bucket_name(str_of(props, "s3_bucket").unwrap_or_default())
            .set_s3_key_prefix(str_of(props, "s3_key_prefix").map(str::to_string))
            .is_multi_region_trail(props["multi_region"].as_bool().unwrap_or(true))
            .enable_log_file_validation(props["log_file_validation"].as_bool().unwrap_or(true))
            .set_kms_key_id(str_of(props, "kms_key_id").map(str::to_string))
            .set_cloud_watch_logs_log_group_arn(
                str_of(cw, "log_group")
                    .map(|g| log_group_arn(partition, scope.region, scope.account_id, g)),
            )
            .set_cloud_watch_logs_role_arn(str_of(cw, "role_arn").map(str::to_string))
            .set_tags_list(Some(tag_list(&props["tags"])))
            .send()
            .await
            .map_err(|e| classify("cloudtrail:CreateTrail", e))?;
        put_selectors(scope, name, &props["event_selectors"]).await?;
        set_logging(scope, name, props["logging"].as_bool().unwrap_or(true)).await
    }

    /// Tags first (ownership of an adopted trail), then settings, selectors and logging, each
    /// only where it differs.
    async fn update(
        scope: &Scope<'_>,
        name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        let arn = trail_arn(scope, name);
        let missing: Vec<Tag> = tag_list(&after["tags"])
            .into_iter()
            .filter(|t| before["tags"].get(t.key()).and_then(Value::as_str) != t.value())
            .collect();
        if !missing.is_empty() {
            scope
                .client
                .add_tags()
                .resource_id(&arn)
                .set_tags_list(Some(missing))
                .send()
                .await
                .map_err(|e| classify("cloudtrail:AddTags", e))?;
        }
        if settings_differ(before, after) {
            let partition = regions::partition(scope.region);
            let cw = &after["cloudwatch"];
            // Only what differs is sent; an empty string removes an optional setting.
            let differs = |key: &str| before.get(key) != after.get(key);
            let mut request = scope
                .client
                .update_trail()
                .name(&arn)
                .s3_bucket_name(str_of(after, "s3_bucket").unwrap_or_default());
            if differs("s3_key_prefix") {
                request = request.s3_key_prefix(str_of(after, "s3_key_prefix").unwrap_or_default());
            }
            if differs("multi_region") {
                request =
                    request.is_multi_region_trail(after["multi_region"].as_bool().unwrap_or(true));
            }
            if differs("log_file_validation") {
                request = request.enable_log_file_validation(
                    after["log_file_validation"].as_bool().unwrap_or(true),
                );
            }
            if differs("kms_key_id") {
                request = request.kms_key_id(str_of(after, "kms_key_id").unwrap_or_default());
            }
            if differs("cloudwatch") {
                request = request
                    .cloud_watch_logs_log_group_arn(
                        str_of(cw, "log_group")
                            .map(|g| log_group_arn(partition, scope.region, scope.account_id, g))
                            .unwrap_or_default(),
                    )
                    .cloud_watch_logs_role_arn(str_of(cw, "role_arn").unwrap_or_default());
            }
            request
                .send()
                .await
                .map_err(|e| classify("cloudtrail:UpdateTrail", e))?;
        }
        let same_selectors = match (
            canonical(&before["event_selectors"]),
            canonical(&after["event_selectors"]),
        ) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        if !same_selectors {
            put_selectors(scope, name, &after["event_selectors"]).await?;
        }
        if before["logging"] != after["logging"] {
            set_logging(scope, name, after["logging"].as_bool().unwrap_or(true)).await?;
        }
        Ok(())
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        match scope
            .client
            .delete_trail()
            .name(trail_arn(scope, name))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match classify("cloudtrail:DeleteTrail", e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }
}

async fn put_selectors(scope: &Scope<'_>, name: &str, list: &Value) -> Result<(), CloudError> {
    let json: Vec<Value> = list.as_array().cloned().unwrap_or_default();
    let sdk = convert::list_to_sdk(&json)
        .map_err(|e| CloudError::unexpected("cloudtrail:PutEventSelectors", e.to_string()))?;
    scope
        .client
        .put_event_selectors()
        .trail_name(trail_arn(scope, name))
        .set_advanced_event_selectors(Some(sdk))
        .send()
        .await
        .map_err(|e| classify("cloudtrail:PutEventSelectors", e))?;
    Ok(())
}

async fn set_logging(scope: &Scope<'_>, name: &str, on: bool) -> Result<(), CloudError> {
    let arn = trail_arn(scope, name);
    if on {
        scope
            .client
            .start_logging()
            .name(arn)
            .send()
            .await
            .map_err(|e| classify("cloudtrail:StartLogging", e))?;
    } else {
        scope
            .client
            .stop_logging()
            .name(arn)
            .send()
            .await
            .map_err(|e| classify("cloudtrail:StopLogging", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::selectors::{generate, SelectorIntent};

    fn desired() -> Value {
        json!({
            "s3_bucket": "audit-111111111111",
            "s3_key_prefix": "trail",
            "multi_region": true,
            "log_file_validation": true,
            "kms_key_id": null,
            "cloudwatch": null,
            "event_selectors": generate(&SelectorIntent {
                data_types: catalog::expand(&["Guardrail".into(), "AgentAlias".into()]),
                ..Default::default()
            }),
            "logging": true,
            "tags": {"warden:managed-by": "p"},
        })
    }

    #[test]
    fn selectors_in_another_order_and_names_compare_equal() {
        let want = desired();
        let mut live = want.clone();
        let mut list = want["event_selectors"].as_array().unwrap().clone();
        list.reverse();
        for s in &mut list {
            s["Name"] = json!("console");
        }
        live["event_selectors"] = json!(list);
        live["tags"]["cost-center"] = json!("x");
        assert_eq!(CloudtrailTrailKind::comparable(&want, &live), want);
        assert_eq!(CloudtrailTrailKind::explain(&live, &want), None);
    }

    #[test]
    fn drift_is_explained_in_words() {
        let want = desired();
        let mut live = want.clone();
        live["logging"] = json!(false);
        live["log_file_validation"] = json!(false);
        live["s3_bucket"] = json!("elsewhere");
        live["event_selectors"] = json!(generate(&SelectorIntent {
            data_types: catalog::expand(&["AgentAlias".into()]),
            ..Default::default()
        }));
        let view = CloudtrailTrailKind::comparable(&want, &live);
        let words = CloudtrailTrailKind::explain(&view, &want).unwrap();
        for expected in [
            "logging is stopped",
            "log file validation was turned off",
            "delivers to bucket elsewhere instead of audit-111111111111",
            "data events for Guardrail are no longer recorded",
        ] {
            assert!(words.contains(expected), "{expected:?} not in {words:?}");
        }
    }

    #[test]
    fn the_billing_note_is_only_for_trails_with_data_events() {
        assert!(CloudtrailTrailKind::plan_note(&desired()).is_some());
        let mut management_only = desired();
        management_only["event_selectors"] = json!(generate(&SelectorIntent::default()));
        assert_eq!(CloudtrailTrailKind::plan_note(&management_only), None);
    }

    #[test]
    fn log_group_names_come_back_from_either_arn_form() {
        let arn = log_group_arn(
            "aws",
            "us-east-1",
            "111111111111",
            "/aws/cloudtrail/bedrock",
        );
        assert_eq!(log_group_name(&arn), "/aws/cloudtrail/bedrock");
        assert_eq!(
            log_group_name("arn:aws:logs:us-east-1:111111111111:log-group:/x"),
            "/x"
        );
    }
}
