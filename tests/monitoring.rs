//! The `monitoring` section end to end, through the binary, on one local cloud: two accounts
//! (one by assume role, with its own thresholds and packs) × two regions. Every alarm,
//! composite alarm, dashboard, saved query and metric filter reads back with the SDK as the
//! templates say; the re-plan is empty and reads alarms in batches; a threshold changed, an
//! alarm action removed and a dashboard widget deleted behind the tool's back are drift naming
//! the field or widget, a dashboard re-saved with reordered keys and positions is not; apply
//! repairs. Alarm names carry the project (`obs-…`), so another project with the same pack in
//! the same account and region (here one that keeps the templates' names to adopt an alarm
//! made by hand) never clashes with it.

mod common;

use std::collections::BTreeSet;

use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, Dimension, MetricAlarm, Statistic};
use aws_sdk_cloudwatch::Client;
use common::{api_operation, path_str, LocalCloud, DIRECT_ACCOUNT};
use serde_json::Value;

const CUSTOMER: &str = "111111111111";
const CLAUDE: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const TITAN: &str = "amazon.titan-embed-text-v2:0";
const MARKER: &str = "[warden:managed-by=obs]";

/// Another project in ops/us-east-1 with a pack `obs` uses too, keeping the templates' alarm
/// names to adopt an alarm made by hand under one of them.
const LEGACY: &str = r#"
version: 1
project: legacy
accounts:
  - name: ops
    id: "123456789012"
    regions: [us-east-1]
monitoring:
  notify: {name: legacy-alerts}
  models: all
  alarm_name_prefix: ""
  alarm_packs: [bedrock-runtime]
"#;

const SPEC: &str = r#"
version: 1
project: obs
defaults:
  regions: [us-east-1, eu-west-1]
accounts:
  - name: ops
    id: "123456789012"
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
    overrides:
      - monitoring:
          alarm_packs: [{name: bedrock-runtime, thresholds: {InvocationThrottles: 3}}]
          dashboards: [bedrock-overview]
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 30
monitoring:
  notify: {name: bedrock-alerts, email: [oncall@example.com]}
  models: [anthropic.claude-3-5-sonnet-20240620-v1:0, amazon.titan-embed-text-v2:0]
  log_group: /aws/bedrock/invocations
  alarm_packs:
    - bedrock-runtime
    - bedrock-guardrails
    - bedrock-agents
    - governance-health
    - name: bedrock-runtime
      thresholds: {InvocationThrottles: 5, InvocationLatency.p99: 20000}
  anomaly_detection: [InputTokenCount, OutputTokenCount, Invocations]
  dashboards: [bedrock-overview, bedrock-governance]
  queries: [latest-invocations, prompt-patterns, tokens-by-caller]
  token_metrics_by_caller: true
"#;

async fn cloudwatch(cloud: &LocalCloud, account: &str, region: &str) -> Client {
    Client::new(&cloud.sdk(account, region).await)
}

async fn alarms(cw: &Client) -> Vec<MetricAlarm> {
    cw.describe_alarms()
        .max_records(100)
        .send()
        .await
        .expect("describe alarms")
        .metric_alarms()
        .to_vec()
}

fn alarm<'a>(all: &'a [MetricAlarm], name: &str) -> &'a MetricAlarm {
    all.iter()
        .find(|a| a.alarm_name() == Some(name))
        .unwrap_or_else(|| panic!("no alarm {name}"))
}

async fn dashboard(cw: &Client, name: &str) -> Value {
    let got = cw
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .expect("get dashboard");
    serde_json::from_str(got.dashboard_body().expect("body")).expect("JSON body")
}

fn titles(body: &Value) -> Vec<String> {
    body["widgets"]
        .as_array()
        .expect("widgets")
        .iter()
        .filter_map(|w| w["properties"]["title"].as_str().map(str::to_string))
        .collect()
}

fn topic(account: &str, region: &str) -> String {
    format!("arn:aws:sns:{region}:{account}:bedrock-alerts")
}

#[tokio::test(flavor = "multi_thread")]
async fn alarms_dashboards_queries_and_filters_are_built_read_back_and_repaired() {
    let cloud = LocalCloud::start();
    let spec_path = cloud.write("monitoring.yaml", SPEC);
    let spec = path_str(&spec_path);

    // An alarm of a pack's own name made by hand (no mark, no tag) is adopted, shown first, by
    // a spec that asks for the templates' names (`alarm_name_prefix: ""`).
    let cw = cloudwatch(&cloud, DIRECT_ACCOUNT, "us-east-1").await;
    cw.put_metric_alarm()
        .alarm_name("bedrock-invocations-spike")
        .namespace("AWS/Bedrock")
        .metric_name("Invocations")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(100.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("a hand-made alarm");
    let legacy_path = cloud.write("legacy.yaml", LEGACY);
    let legacy = path_str(&legacy_path);
    let first = cloud
        .warden(&["plan", "-f", legacy, "--format", "json"])
        .expect_code(0)
        .json();
    let spike_change = first["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "ops/us-east-1/metric_alarm/bedrock-invocations-spike")
        .expect("the spike alarm");
    assert_eq!(spike_change["action"], "adopt", "{spike_change:#}");
    cloud
        .warden(&["apply", "-f", legacy, "--auto-approve"])
        .expect_code(0);

    // The same pack in the same account and region, by project `obs`: its own alarms, no clash.
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);

    // ops/us-east-1: every alarm of the four packs and the bands, as the templates say.
    let everything = alarms(&cw).await;
    let all: Vec<MetricAlarm> = everything
        .iter()
        .filter(|a| a.alarm_name().unwrap().starts_with("obs-"))
        .cloned()
        .collect();
    assert_eq!(everything.len(), all.len() + 1, "{everything:#?}");
    let legacy_spike = alarm(&everything, "bedrock-invocations-spike");
    assert!(legacy_spike
        .alarm_description()
        .unwrap()
        .ends_with("[warden:managed-by=legacy]"));
    let names: BTreeSet<&str> = all.iter().filter_map(|a| a.alarm_name()).collect();
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for model in [CLAUDE, TITAN] {
        for suffix in ["throttles", "client-errors", "server-errors", "latency-p99"] {
            expected.insert(format!("obs-bedrock-{model}-{suffix}"));
        }
        for metric in ["InputTokenCount", "OutputTokenCount", "Invocations"] {
            expected.insert(format!("obs-bedrock-{model}-{metric}-anomaly"));
        }
    }
    for name in [
        "bedrock-invocations-spike",
        "bedrock-guardrails-intervened",
        "bedrock-guardrails-server-errors",
        "bedrock-guardrails-throttles",
        "bedrock-agents-server-errors",
        "bedrock-agents-client-errors",
        "bedrock-agents-model-throttles",
        "bedrock-agents-total-time",
        "bedrock-governance-cloudwatch-delivery-failure",
        "bedrock-governance-s3-delivery-failure",
    ] {
        expected.insert(format!("obs-{name}"));
    }
    let expected_names: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(names, expected_names);
    for a in &all {
        assert_eq!(
            a.alarm_actions(),
            [topic(DIRECT_ACCOUNT, "us-east-1")],
            "{a:?}"
        );
        assert_eq!(
            a.ok_actions(),
            [topic(DIRECT_ACCOUNT, "us-east-1")],
            "{a:?}"
        );
        assert!(a.alarm_description().unwrap().ends_with(MARKER), "{a:?}");
    }
    // A per-model static alarm with the spec's threshold.
    let throttles = alarm(&all, &format!("obs-bedrock-{CLAUDE}-throttles"));
    assert_eq!(throttles.namespace(), Some("AWS/Bedrock"));
    assert_eq!(throttles.metric_name(), Some("InvocationThrottles"));
    assert_eq!(
        throttles.dimensions(),
        [Dimension::builder().name("ModelId").value(CLAUDE).build()]
    );
    assert_eq!(throttles.statistic(), Some(&Statistic::Sum));
    assert_eq!(throttles.threshold(), Some(5.0));
    assert_eq!(
        (
            throttles.period(),
            throttles.evaluation_periods(),
            throttles.datapoints_to_alarm()
        ),
        (Some(300), Some(3), Some(2))
    );
    assert_eq!(throttles.treat_missing_data(), Some("notBreaching"));
    assert!(throttles.alarm_description().unwrap().starts_with(&format!(
        "{CLAUDE} in us-east-1 was throttled more than 5 times"
    )));
    let latency = alarm(&all, &format!("obs-bedrock-{TITAN}-latency-p99"));
    assert_eq!(latency.extended_statistic(), Some("p99"));
    assert_eq!(latency.threshold(), Some(20000.0));
    // Across all models: a Metrics Insights query.
    let spike = alarm(&all, "obs-bedrock-invocations-spike");
    let expressions: Vec<&str> = spike
        .metrics()
        .iter()
        .filter_map(|m| m.expression())
        .collect();
    assert_eq!(
        expressions,
        [r#"SELECT SUM(Invocations) FROM SCHEMA("AWS/Bedrock", ModelId)"#]
    );
    // An anomaly band on the model's metric.
    let band = alarm(
        &all,
        &format!("obs-bedrock-{CLAUDE}-InputTokenCount-anomaly"),
    );
    assert_eq!(band.threshold_metric_id(), Some("band"));
    assert_eq!(band.threshold(), None);
    assert_eq!(
        band.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanUpperThreshold)
    );
    let band_exprs: Vec<&str> = band
        .metrics()
        .iter()
        .filter_map(|m| m.expression())
        .collect();
    assert_eq!(band_exprs, ["ANOMALY_DETECTION_BAND(m1, 2)"]);
    // Tags went with the create.
    let tags = cw
        .list_tags_for_resource()
        .resource_arn(throttles.alarm_arn().unwrap())
        .send()
        .await
        .expect("alarm tags");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("warden:managed-by") && t.value() == Some("obs")),
        "{tags:?}"
    );
    // The composite "record broken" alarm over the delivery-failure alarms.
    let composites = cw
        .describe_alarms()
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .expect("composites");
    let composite = &composites.composite_alarms()[0];
    assert_eq!(
        composite.alarm_name(),
        Some("obs-bedrock-governance-record-broken")
    );
    assert_eq!(
        composite.alarm_rule(),
        Some(
            r#"ALARM("obs-bedrock-governance-cloudwatch-delivery-failure") OR ALARM("obs-bedrock-governance-s3-delivery-failure")"#
        )
    );
    assert_eq!(
        composite.alarm_actions(),
        [topic(DIRECT_ACCOUNT, "us-east-1")]
    );

    // customer-a/eu-west-1: its override's pack and threshold, the bands from the baseline.
    let cw_customer = cloudwatch(&cloud, CUSTOMER, "eu-west-1").await;
    let customer = alarms(&cw_customer).await;
    assert_eq!(customer.len(), 9 + 6, "{customer:#?}");
    let t = alarm(&customer, &format!("obs-bedrock-{TITAN}-throttles"));
    assert_eq!(t.threshold(), Some(3.0));
    assert_eq!(t.alarm_actions(), [topic(CUSTOMER, "eu-west-1")]);

    // Dashboards: once per account (home region), a row per governed region, the marker last.
    let overview = dashboard(&cw, "bedrock-overview").await;
    let shown = titles(&overview);
    for region in ["us-east-1", "eu-west-1"] {
        assert!(
            shown.contains(&format!("Invocations by model ({region})")),
            "{shown:?}"
        );
    }
    let marker = overview["widgets"].as_array().unwrap().last().unwrap();
    assert!(marker["properties"]["markdown"]
        .as_str()
        .unwrap()
        .starts_with("Managed by bedrock-warden (project `obs`)"));
    // The governance dashboard shows this project's alarms (their names carry the prefix).
    let governance = dashboard(&cw, "bedrock-governance").await.to_string();
    assert!(
        governance.contains(&format!(
            "arn:aws:cloudwatch:us-east-1:{DIRECT_ACCOUNT}:alarm:obs-bedrock-governance-record-broken"
        )),
        "{governance}"
    );
    let customer_dashboards = cloudwatch(&cloud, CUSTOMER, "us-east-1").await;
    let listed = customer_dashboards
        .list_dashboards()
        .send()
        .await
        .expect("list dashboards");
    let listed: Vec<&str> = listed
        .dashboard_entries()
        .iter()
        .filter_map(|d| d.dashboard_name())
        .collect();
    assert_eq!(listed, ["bedrock-overview"]);

    // Saved queries in the project's folder, scoped to the invocation log group.
    for (account, region) in [(DIRECT_ACCOUNT, "us-east-1"), (CUSTOMER, "eu-west-1")] {
        let logs = cloud.logs(account, region).await;
        let queries = logs
            .describe_query_definitions()
            .send()
            .await
            .expect("query definitions");
        let mut names: Vec<&str> = queries
            .query_definitions()
            .iter()
            .filter_map(|q| q.name())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "warden/obs/latest-invocations",
                "warden/obs/prompt-patterns",
                "warden/obs/tokens-by-caller"
            ]
        );
        for q in queries.query_definitions() {
            assert_eq!(q.log_group_names(), ["/aws/bedrock/invocations"]);
        }
        // Token use per caller and model, on the invocation log group.
        let filters = logs
            .describe_metric_filters()
            .log_group_name("/aws/bedrock/invocations")
            .send()
            .await
            .expect("metric filters");
        let mut seen: Vec<(String, String, String)> = filters
            .metric_filters()
            .iter()
            .map(|f| {
                let t = &f.metric_transformations()[0];
                let dims = t.dimensions().cloned().unwrap_or_default();
                assert_eq!(
                    dims.get("Caller").map(String::as_str),
                    Some("$.identity.arn")
                );
                assert_eq!(dims.get("ModelId").map(String::as_str), Some("$.modelId"));
                (
                    f.filter_name().unwrap().to_string(),
                    t.metric_namespace().to_string(),
                    t.metric_value().to_string(),
                )
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                (
                    "warden/obs/input-tokens-by-caller".to_string(),
                    "BedrockWarden/TokenUse".to_string(),
                    "$.input.inputTokenCount".to_string()
                ),
                (
                    "warden/obs/output-tokens-by-caller".to_string(),
                    "BedrockWarden/TokenUse".to_string(),
                    "$.output.outputTokenCount".to_string()
                ),
            ]
        );
    }

    // Steady state: nothing to do, alarms read 100 names per call, tags never read.
    let steady = cloud
        .warden(&[
            "plan",
            "-f",
            spec,
            "--detailed-exitcode",
            "--format",
            "json",
        ])
        .expect_code(0)
        .json();
    let alarms_total = steady["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["address"].as_str().unwrap().contains("_alarm/"))
        .count();
    assert_eq!(alarms_total, 2 * 24 + 2 + 2 * 15);
    // Per scope one DescribeAlarms for metric alarms, one for composites where there are some.
    assert_eq!(api_operation(&steady, "DescribeAlarms")["calls"], 6);
    assert_eq!(api_operation(&steady, "GetDashboard")["calls"], 3);
    let cloudwatch_tags = steady["api_calls"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["service"] == "cloudwatch" && o["operation"] == "ListTagsForResource");
    assert!(!cloudwatch_tags, "{}", steady["api_calls"]);
    println!("steady-state plan api_calls: {}", steady["api_calls"]);

    // Behind the tool's back, in ops/us-east-1: a threshold raised, an action removed...
    cw.put_metric_alarm()
        .alarm_name(throttles.alarm_name().unwrap())
        .alarm_description(throttles.alarm_description().unwrap())
        .namespace("AWS/Bedrock")
        .metric_name("InvocationThrottles")
        .dimensions(throttles.dimensions()[0].clone())
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .threshold(50.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .treat_missing_data("notBreaching")
        .alarm_actions(topic(DIRECT_ACCOUNT, "us-east-1"))
        .ok_actions(topic(DIRECT_ACCOUNT, "us-east-1"))
        .send()
        .await
        .expect("raise a threshold");
    let errors = alarm(&all, &format!("obs-bedrock-{CLAUDE}-server-errors"));
    cw.put_metric_alarm()
        .alarm_name(errors.alarm_name().unwrap())
        .alarm_description(errors.alarm_description().unwrap())
        .namespace("AWS/Bedrock")
        .metric_name("InvocationServerErrors")
        .dimensions(errors.dimensions()[0].clone())
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(2)
        .datapoints_to_alarm(2)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .treat_missing_data("notBreaching")
        .ok_actions(topic(DIRECT_ACCOUNT, "us-east-1"))
        .send()
        .await
        .expect("remove the alarm action");
    // ...a widget deleted from one dashboard...
    let mut edited = overview.clone();
    edited["widgets"]
        .as_array_mut()
        .unwrap()
        .retain(|w| w["properties"]["title"] != "Daily tokens (eu-west-1)");
    cw.put_dashboard()
        .dashboard_name("bedrock-overview")
        .dashboard_body(edited.to_string())
        .send()
        .await
        .expect("delete a widget");
    // ...and the other re-saved by the console: positions written, keys reordered, pretty.
    let mut resaved = dashboard(&cw, "bedrock-governance").await;
    for (i, w) in resaved["widgets"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        w["x"] = (i % 2 * 12).into();
        w["y"] = (i / 2 * 6).into();
    }
    let text = reorder_keys(&resaved);
    assert_ne!(text, resaved.to_string());
    cw.put_dashboard()
        .dashboard_name("bedrock-governance")
        .dashboard_body(text)
        .send()
        .await
        .expect("re-save a dashboard");

    let drift = cloud
        .warden(&["drift", "-f", spec, "--format", "json"])
        .expect_code(2)
        .json();
    let changed: Vec<&Value> = drift["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .collect();
    let addresses: Vec<&str> = changed
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses.len(),
        3,
        "only the three real changes drift: {changed:#?}"
    );
    let find = |tail: &str| {
        *changed
            .iter()
            .find(|c| c["address"].as_str().unwrap().ends_with(tail))
            .unwrap_or_else(|| panic!("no change for {tail}: {addresses:?}"))
    };
    let t = find(&format!("metric_alarm/obs-bedrock-{CLAUDE}-throttles"));
    assert_eq!(t["fields"][0]["path"], "alarm.Threshold");
    assert_eq!(t["fields"][0]["before"], 50);
    assert_eq!(t["fields"][0]["after"], 5);
    assert!(
        t["reason"]
            .as_str()
            .unwrap()
            .contains("Threshold is 50 (spec: 5)"),
        "{t:#}"
    );
    let e = find(&format!("metric_alarm/obs-bedrock-{CLAUDE}-server-errors"));
    assert_eq!(e["fields"][0]["path"], "alarm.AlarmActions");
    assert!(
        e["reason"].as_str().unwrap().contains(&format!(
            "AlarmActions: `{}` was removed",
            topic(DIRECT_ACCOUNT, "us-east-1")
        )),
        "{e:#}"
    );
    let d = find("dashboard/bedrock-overview");
    assert_eq!(d["address"], "ops/us-east-1/dashboard/bedrock-overview");
    assert_eq!(
        d["reason"], "widget `Daily tokens (eu-west-1)` was deleted",
        "{d:#}"
    );
    // One field for the widget, not its JSON leaf by leaf.
    let paths: Vec<&str> = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["widgets.Daily tokens (eu-west-1)"]);
    assert_eq!(d["fields"][0]["before"], Value::Null);

    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    cloud
        .warden(&["plan", "-f", spec, "--detailed-exitcode"])
        .expect_code(0);
    let repaired = alarms(&cw).await;
    assert_eq!(
        alarm(&repaired, &format!("obs-bedrock-{CLAUDE}-throttles")).threshold(),
        Some(5.0)
    );
    assert_eq!(
        alarm(&repaired, &format!("obs-bedrock-{CLAUDE}-server-errors")).alarm_actions(),
        [topic(DIRECT_ACCOUNT, "us-east-1")]
    );
    assert!(titles(&dashboard(&cw, "bedrock-overview").await)
        .contains(&"Daily tokens (eu-west-1)".to_string()));

    // Pruning: what leaves the spec and carries this project's mark is deleted; alarms made
    // by hand (no mark, no tag) are never touched.
    for name in ["hand-made", "hand-made-2"] {
        cw.put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/Bedrock")
            .metric_name("Invocations")
            .statistic(Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .expect("an alarm of somebody else");
    }
    // Dashboards and metric filters of somebody else: none made by hand (no marker, not in
    // a `warden/<project>/` folder) or of another project is ever pruned.
    let their_marker = "Managed by bedrock-warden (project `other`): changes made here are overwritten by the next `warden apply`; change the spec or its templates instead.";
    for (name, body) in [
        (
            "team-board",
            r#"{"widgets": [{"type": "text", "width": 6, "height": 2, "properties": {"markdown": "ours"}}]}"#.to_string(),
        ),
        (
            "their-board",
            serde_json::json!({"widgets": [{"type": "text", "width": 24, "height": 2, "properties": {"markdown": their_marker}}]}).to_string(),
        ),
    ] {
        cw.put_dashboard()
            .dashboard_name(name)
            .dashboard_body(body)
            .send()
            .await
            .expect("somebody else's dashboard");
    }
    let ops_logs = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    for name in ["team-filter", "warden/other/input-tokens-by-caller"] {
        ops_logs
            .put_metric_filter()
            .log_group_name("/aws/bedrock/invocations")
            .filter_name(name)
            .filter_pattern("{ $.input.inputTokenCount >= 0 }")
            .metric_transformations(
                aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
                    .metric_namespace("Team/Tokens")
                    .metric_name("InputTokenCount")
                    .metric_value("$.input.inputTokenCount")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("somebody else's metric filter");
    }
    let smaller = SPEC
        .replace(
            "  anomaly_detection: [InputTokenCount, OutputTokenCount, Invocations]\n",
            "",
        )
        .replace("prompt-patterns, ", "")
        .replace(
            "dashboards: [bedrock-overview, bedrock-governance]",
            "dashboards: [bedrock-overview]",
        )
        .replace("  token_metrics_by_caller: true\n", "");
    let smaller_path = cloud.write("smaller.yaml", &smaller);
    let smaller_spec = path_str(&smaller_path);
    let pruned = cloud
        .warden(&["plan", "-f", smaller_spec, "--prune", "--format", "json"])
        .expect_code(0)
        .json();
    // The hand-made alarms' owner comes from the ownership-tag index (they are not in it),
    // not from a tag read per alarm.
    let alarm_tag_reads = pruned["api_calls"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["service"] == "cloudwatch" && o["operation"] == "ListTagsForResource");
    assert!(!alarm_tag_reads, "{}", pruned["api_calls"]);
    let mut deleted: Vec<String> = pruned["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "delete")
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect();
    deleted.sort();
    // Per scope 6 bands, a query and 2 metric filters; ops's second dashboard.
    assert_eq!(deleted.len(), 4 * (6 + 1 + 2) + 1, "{deleted:#?}");
    assert!(deleted.iter().all(|a| a.ends_with("-anomaly")
        || a.ends_with("query_definition/warden/obs/prompt-patterns")
        || a.ends_with("-tokens-by-caller")
        || a == "ops/us-east-1/dashboard/bedrock-governance"));
    assert!(deleted.contains(&"ops/us-east-1/dashboard/bedrock-governance".to_string()));
    assert_eq!(
        deleted
            .iter()
            .filter(|a| a.contains("/metric_filter/warden/obs/"))
            .count(),
        8,
        "{deleted:#?}"
    );
    cloud
        .warden(&["apply", "-f", smaller_spec, "--prune", "--auto-approve"])
        .expect_code(0);
    let left = alarms(&cw).await;
    // Project obs's 24 less its 6 bands; legacy's alarm and the hand-made ones stay.
    assert_eq!(left.len(), 24 - 6 + 3, "{left:#?}");
    let boards = cw.list_dashboards().send().await.expect("dashboards");
    let mut boards: Vec<&str> = boards
        .dashboard_entries()
        .iter()
        .filter_map(|d| d.dashboard_name())
        .collect();
    boards.sort();
    assert_eq!(boards, ["bedrock-overview", "team-board", "their-board"]);
    let filters = ops_logs
        .describe_metric_filters()
        .send()
        .await
        .expect("metric filters");
    let mut filters: Vec<&str> = filters
        .metric_filters()
        .iter()
        .filter_map(|f| f.filter_name())
        .collect();
    filters.sort();
    assert_eq!(
        filters,
        ["team-filter", "warden/other/input-tokens-by-caller"]
    );
    assert!(left.iter().any(|a| a.alarm_name() == Some("hand-made")));
    // The adopted alarm carries legacy's mark and ownership tag.
    let spike = alarm(&left, "bedrock-invocations-spike");
    assert!(spike
        .alarm_description()
        .unwrap()
        .ends_with("[warden:managed-by=legacy]"));
    let tags = cw
        .list_tags_for_resource()
        .resource_arn(spike.alarm_arn().unwrap())
        .send()
        .await
        .expect("tags");
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == Some("warden:managed-by") && t.value() == Some("legacy")));

    // Another project's mark on an alarm the spec names: an error for that address, never
    // taken over (the alarm keeps its settings).
    cw.put_metric_alarm()
        .alarm_name("obs-bedrock-invocations-spike")
        .alarm_description("theirs\n\n[warden:managed-by=other]")
        .namespace("AWS/Bedrock")
        .metric_name("Invocations")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(7.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("another project's alarm");
    let run = cloud.warden(&[
        "apply",
        "-f",
        smaller_spec,
        "--auto-approve",
        "--format",
        "json",
    ]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("managed by another warden project `other` (its ownership mark)"),
        "{}",
        run.stdout
    );
    let theirs = alarms(&cw).await;
    assert_eq!(
        alarm(&theirs, "obs-bedrock-invocations-spike").threshold(),
        Some(7.0)
    );
}

/// `value` pretty-printed with every object's keys in reverse order (as another serializer
/// might write it).
fn reorder_keys(value: &Value) -> String {
    fn write(v: &Value, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent + 1);
        match v {
            Value::Object(m) => {
                out.push_str("{\n");
                let keys: Vec<&String> = m.keys().rev().collect();
                for (i, k) in keys.iter().enumerate() {
                    out.push_str(&format!("{pad}{}: ", Value::String((*k).clone())));
                    write(&m[*k], indent + 1, out);
                    if i + 1 < keys.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                out.push_str(&"  ".repeat(indent));
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(x, indent + 1, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, 0, &mut out);
    out
}
