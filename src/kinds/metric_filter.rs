//! CloudWatch Logs metric filters on the invocation log group that publish token use per caller
//! and model into a custom namespace (FinOps). Metric filters have no tags: the name's folder
//! `warden/<project>/` marks them, and one DescribeMetricFilters per log group (name prefix =
//! that folder) reads them all. Pruning lists every filter of the region (DescribeMetricFilters
//! takes a name prefix only together with a log group, and a filter that left the spec may sit
//! on a group the spec no longer names) and keeps those in the project's folder.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::{MetricFilter, MetricTransformation};
use aws_sdk_cloudwatchlogs::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource};

pub type Scope<'a> = super::Scope<'a, Client>;

/// The folder (name prefix) of `project`'s filters.
pub fn folder(project: &str) -> String {
    format!("warden/{project}/")
}

fn owner_of(name: &str) -> Option<String> {
    let (project, rest) = name.strip_prefix("warden/")?.split_once('/')?;
    (!project.is_empty() && !rest.is_empty()).then(|| project.to_string())
}

/// A metric filter (the log group is one of its properties).
pub struct MetricFilterKind;

impl ResourceKind for MetricFilterKind {
    const KIND: Kind = Kind::MetricFilter;
    const NAME: &'static str = "metric_filter";
    const RANK: u8 = 6;
    const CONTROL: &'static str = "token metrics";
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Marked;
    const DISCOVERS: bool = true;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.logs(region)
    }

    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        // One listing per (log group, folder).
        let mut lists: BTreeMap<(String, String), ()> = BTreeMap::new();
        for n in wanted {
            if let (Some(group), Some(owner)) = (n.props["log_group"].as_str(), owner_of(&n.name)) {
                lists.insert((group.to_string(), folder(&owner)), ());
            }
        }
        let mut live = Vec::new();
        for (group, prefix) in lists.keys() {
            let filters = match list(&scope.client, Some(group), Some(prefix)).await {
                // The log group does not exist (yet): neither do its filters.
                Err(e) if e.is_not_found() => continue,
                other => other?,
            };
            for f in filters {
                let Some(name) = f.filter_name() else {
                    continue;
                };
                let asked = wanted
                    .iter()
                    .any(|n| n.name == name && n.props["log_group"].as_str() == Some(group));
                if asked {
                    live.push(LiveResource {
                        addr: scope.addr(Kind::MetricFilter, name),
                        props: props_of(group, &f),
                        owner: owner_of(name),
                    });
                }
            }
        }
        if let Some(project) = discover_owner {
            for f in list(&scope.client, None, None).await? {
                let (Some(name), Some(group)) = (f.filter_name(), f.log_group_name()) else {
                    continue;
                };
                let named = wanted.iter().any(|n| n.name == name);
                if !named && owner_of(name).as_deref() == Some(project) {
                    live.push(LiveResource {
                        addr: scope.addr(Kind::MetricFilter, name),
                        props: props_of(group, &f),
                        owner: owner_of(name),
                    });
                }
            }
        }
        Ok(live)
    }

    fn comparable(_desired: &Value, live: &Value) -> Value {
        live.clone()
    }

    fn plan_note(after: &Value) -> Option<String> {
        let dims = after["metric"]["dimensions"].as_object()?;
        (!dims.is_empty()).then(|| {
            format!(
                "metric filters with dimensions ({}) publish one custom metric per distinct combination of values, each billed per metric-month; see https://aws.amazon.com/cloudwatch/pricing/",
                dims.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }

    fn forces_replacement(path: &str) -> bool {
        path == "log_group"
    }

    fn references(props: &Value, out: &mut Vec<(Kind, String)>) {
        if let Some(group) = props["log_group"].as_str() {
            out.push((Kind::LogGroup, group.to_string()));
        }
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

    async fn delete(scope: &Scope<'_>, name: &str, before: &Value) -> Result<(), CloudError> {
        match scope
            .client
            .delete_metric_filter()
            .log_group_name(before["log_group"].as_str().unwrap_or_default())
            .filter_name(name)
            .send()
            .await
            .map_err(|e| classify("logs:DeleteMetricFilter", e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

fn props_of(group: &str, f: &MetricFilter) -> Value {
    let t = f.metric_transformations().first();
    let dimensions: BTreeMap<String, String> = t
        .and_then(|t| t.dimensions())
        .map(|d| d.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    json!({
        "log_group": group,
        "filter_pattern": f.filter_pattern().unwrap_or_default(),
        "metric": t.map(|t| json!({
            "namespace": t.metric_namespace(),
            "name": t.metric_name(),
            "value": t.metric_value(),
            "dimensions": dimensions,
        })),
    })
}

/// The filters of `group` whose names start with `prefix`; without a group, every filter of
/// the region (AWS ignores a prefix without a group).
async fn list(
    client: &Client,
    group: Option<&str>,
    prefix: Option<&str>,
) -> Result<Vec<MetricFilter>, CloudError> {
    super::all_pages(|token| async move {
        let page = client
            .describe_metric_filters()
            .set_log_group_name(group.map(str::to_string))
            .set_filter_name_prefix(prefix.filter(|_| group.is_some()).map(str::to_string))
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("logs:DescribeMetricFilters", e))?;
        Ok((
            page.metric_filters().to_vec(),
            page.next_token().map(str::to_string),
        ))
    })
    .await
}

async fn put(scope: &Scope<'_>, name: &str, props: &Value) -> Result<(), CloudError> {
    let m = &props["metric"];
    let dimensions = m["dimensions"].as_object().map(|d| {
        d.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect()
    });
    let transformation = MetricTransformation::builder()
        .metric_namespace(m["namespace"].as_str().unwrap_or_default())
        .metric_name(m["name"].as_str().unwrap_or_default())
        .metric_value(m["value"].as_str().unwrap_or_default())
        .set_dimensions(dimensions)
        .build()
        .map_err(|e| CloudError::unexpected("logs:PutMetricFilter", e.to_string()))?;
    scope
        .client
        .put_metric_filter()
        .log_group_name(props["log_group"].as_str().unwrap_or_default())
        .filter_name(name)
        .filter_pattern(props["filter_pattern"].as_str().unwrap_or_default())
        .metric_transformations(transformation)
        .send()
        .await
        .map_err(|e| classify("logs:PutMetricFilter", e))?;
    Ok(())
}
