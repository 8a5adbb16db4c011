//! Unit tests of the monitoring templates: every built-in renders, errors are located, and
//! equivalent alarms and dashboards compare equal.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::normalize::{
    alarm_changes, alarm_put_json, canonical, dashboard_changes, normalize_alarm, DashboardChange,
};
use super::*;

const MODELS: [&str; 2] = [
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "amazon.titan-embed-text-v2:0",
];

fn models() -> Vec<String> {
    MODELS.iter().map(|m| m.to_string()).collect()
}

/// What `monitoring.alarm_name_prefix` defaults to for project `obs`.
const PREFIX: &str = "obs-";

fn eu() -> Bindings {
    Bindings::new("111111111111", "eu-west-1", "/aws/bedrock/invocations")
        .with("alarm_prefix", PREFIX)
}

fn us() -> Bindings {
    Bindings::new("111111111111", "us-east-1", "/aws/bedrock/invocations")
        .with("alarm_prefix", PREFIX)
}

fn pack(text: &str) -> Result<AlarmPack, TemplateError> {
    AlarmPack::parse("test-pack", "t.yaml", text)
}

const GOOD_ALARM: &str = r#"description: d
alarms:
  - id: Throttles
    name: "t-{model_id}"
    scope: per_model
    namespace: AWS/Bedrock
    metric: InvocationThrottles
    statistic: Sum
    period: 300
    evaluation_periods: 3
    comparison: GreaterThanThreshold
    threshold: 10
    treat_missing_data: notBreaching
    description: "over {threshold} in {region}"
"#;

#[test]
fn builtin_list_matches_the_templates_folder() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut on_disk = Vec::new();
    for kind in TemplateKind::ALL {
        for entry in std::fs::read_dir(root.join(kind.dir())).unwrap() {
            let path = entry.unwrap().path();
            on_disk.push((
                kind,
                path.file_stem().unwrap().to_string_lossy().to_string(),
                path.extension().unwrap().to_string_lossy().to_string(),
            ));
        }
    }
    on_disk.sort();
    let mut built_in: Vec<_> = BUILTIN
        .iter()
        .map(|(k, n, _)| (*k, n.to_string(), k.extension().to_string()))
        .collect();
    built_in.sort();
    assert_eq!(
        on_disk, built_in,
        "add new files under templates/ to BUILTIN in catalog.rs"
    );
}

#[test]
fn every_builtin_template_is_valid() {
    assert_eq!(Catalog::builtin().check_all(), vec![]);
}

#[test]
fn runtime_pack_renders_per_model_and_all_models_alarms() {
    let p = Catalog::builtin().alarm_pack("bedrock-runtime").unwrap();
    let overrides = BTreeMap::from([
        ("InvocationThrottles".to_string(), 5.0),
        ("InvocationLatency.p99".to_string(), 20000.0),
    ]);
    let (alarms, composites) = p.render(&eu(), &models(), &overrides).unwrap();
    assert!(composites.is_empty());
    assert_eq!(alarms.len(), 4 * 2 + 1);
    let throttles: Vec<_> = alarms
        .iter()
        .filter(|a| a.id == "InvocationThrottles")
        .collect();
    assert_eq!(
        throttles[0].alarm_name,
        format!("bedrock-{}-throttles", MODELS[0])
    );
    assert_eq!(
        throttles[0].dimensions,
        vec![("ModelId".to_string(), MODELS[0].to_string())]
    );
    assert_eq!(throttles[0].threshold, Threshold::Static(5.0));
    assert!(
        throttles[0]
            .alarm_description
            .contains("throttled more than 5 times"),
        "{}",
        throttles[0].alarm_description
    );
    assert!(throttles[0].alarm_description.contains("eu-west-1"));
    let latency = alarms
        .iter()
        .find(|a| a.id == "InvocationLatency.p99")
        .unwrap();
    assert_eq!(
        (
            latency.extended_statistic.as_deref(),
            latency.statistic.as_deref()
        ),
        (Some("p99"), None)
    );
    assert_eq!(latency.threshold, Threshold::Static(20000.0));
    let spike = alarms.iter().find(|a| a.id == "Invocations.spike").unwrap();
    assert_eq!(spike.model_id, None);
    assert_eq!(spike.metric_name, None);
    assert_eq!(spike.metrics.len(), 1);
    assert_eq!(
        spike.metrics[0].expression.as_deref(),
        Some(r#"SELECT SUM(Invocations) FROM SCHEMA("AWS/Bedrock", ModelId)"#)
    );
    assert_eq!(spike.metrics[0].period, Some(300));
}

#[test]
fn governance_pack_has_a_composite_over_its_delivery_alarms() {
    let p = Catalog::builtin().alarm_pack("governance-health").unwrap();
    let (alarms, composites) = p.render(&eu(), &models(), &BTreeMap::new()).unwrap();
    assert_eq!(alarms.len(), 2);
    assert!(alarms[0]
        .alarm_description
        .contains("/aws/bedrock/invocations"));
    assert_eq!(
        alarms[0].metrics[0].expression.as_deref(),
        Some(
            r#"SELECT SUM(ModelInvocationLogsCloudWatchDeliveryFailure) FROM SCHEMA("AWS/Bedrock")"#
        )
    );
    assert_eq!(composites.len(), 1);
    assert_eq!(
        composites[0].alarm_rule,
        r#"ALARM("bedrock-governance-cloudwatch-delivery-failure") OR ALARM("bedrock-governance-s3-delivery-failure")"#
    );
}

#[test]
fn anomaly_band_alarm_uses_threshold_metric_id() {
    let text = GOOD_ALARM.replace(
        "comparison: GreaterThanThreshold\n    threshold: 10",
        "comparison: GreaterThanUpperThreshold\n    anomaly_band: 2",
    );
    let (alarms, _) = pack(&text)
        .unwrap()
        .render(&eu(), &models()[..1], &BTreeMap::new())
        .unwrap();
    let a = &alarms[0];
    assert_eq!(
        a.threshold,
        Threshold::Band {
            threshold_metric_id: "band".into(),
            width: 2.0
        }
    );
    assert_eq!(
        a.metrics[1].expression.as_deref(),
        Some("ANOMALY_DETECTION_BAND(m1, 2)")
    );
    let put = alarm_put_json(a, &[], &[]);
    assert_eq!(put["ThresholdMetricId"], "band");
    assert!(put.get("Threshold").is_none() && put.get("MetricName").is_none());
    assert_eq!(
        put["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Value"],
        MODELS[0]
    );
}

#[test]
fn unknown_placeholder_is_located_with_a_suggestion() {
    let e = pack(&GOOD_ALARM.replace("t-{model_id}", "t-{model_id}-{regoin}")).unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line, e.column, e.field.as_str()),
        ("t.yaml", 4, 11, "alarms[0].name")
    );
    assert_eq!(e.message, "unknown placeholder `{regoin}`");
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `{region}`?"),
        "{e:?}"
    );
}

#[test]
fn unknown_field_is_located_with_a_suggestion() {
    let e = pack(&GOOD_ALARM.replace("    period: 300", "    periode: 300")).unwrap_err();
    assert_eq!(
        (e.line, e.column, e.field.as_str()),
        (9, 5, "alarms[0].periode"),
        "{e:?}"
    );
    assert_eq!(e.message, "unknown field `periode`");
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `period`?"),
        "{e:?}"
    );
}

#[test]
fn invalid_alarm_settings_are_located() {
    let cases = [
        (
            "statistic: Sum",
            "statistic: Total",
            "alarms[0].statistic",
            8,
        ),
        ("period: 300", "period: 90", "alarms[0].period", 9),
        ("threshold: 10", "threshold: ten", "alarms[0].threshold", 12),
        (
            "comparison: GreaterThanThreshold",
            "comparison: GreaterThanUpperThreshold",
            "alarms[0].comparison",
            11,
        ),
        (
            "treat_missing_data: notBreaching",
            "treat_missing_data: notbreaching",
            "alarms[0].treat_missing_data",
            13,
        ),
        ("name: \"t-{model_id}\"", "name: \"t\"", "alarms[0].name", 4),
    ];
    for (from, to, field, line) in cases {
        let e = pack(&GOOD_ALARM.replace(from, to)).unwrap_err();
        assert_eq!((e.field.as_str(), e.line), (field, line), "{to}: {e:?}");
    }
    let e = pack(&GOOD_ALARM.replace(
        "treat_missing_data: notBreaching",
        "treat_missing_data: notbreaching",
    ))
    .unwrap_err();
    assert_eq!(e.help.as_deref(), Some("did you mean `notBreaching`?"));
    let all = GOOD_ALARM
        .replace(
            "scope: per_model",
            "scope: all_models\n    schema: [ModelId]",
        )
        .replace("t-{model_id}", "t")
        .replace("statistic: Sum", "statistic: p99");
    let e = pack(&all).unwrap_err();
    assert!(e.message.contains("no percentiles"), "{e}");
}

#[test]
fn unknown_override_and_template_names_are_errors() {
    let p = Catalog::builtin().alarm_pack("bedrock-runtime").unwrap();
    let err = p.check_overrides(["InvocationThrottle"]).unwrap_err();
    assert!(err.contains("did you mean `InvocationThrottles`?"), "{err}");
    match Catalog::builtin().alarm_pack("bedrock-runtim") {
        Err(CatalogError::Unknown {
            suggestion, known, ..
        }) => {
            assert_eq!(suggestion.as_deref(), Some("bedrock-runtime"));
            assert_eq!(known.len(), 4);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Catalog::builtin().dashboard("nope"),
        Err(CatalogError::Unknown { .. })
    ));
}

#[test]
fn templates_dir_overrides_and_extends_the_builtins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("alarms")).unwrap();
    std::fs::create_dir_all(dir.path().join("queries")).unwrap();
    std::fs::write(dir.path().join("alarms/bedrock-runtime.yaml"), GOOD_ALARM).unwrap();
    std::fs::write(
        dir.path().join("queries/mine.yaml"),
        "description: x\nquery: fields @message | limit 5\n",
    )
    .unwrap();
    let c = Catalog::load(Some(dir.path())).unwrap();
    assert_eq!(
        c.alarm_pack("bedrock-runtime").unwrap().ids(),
        vec!["Throttles"]
    );
    assert!(matches!(
        c.origin(TemplateKind::AlarmPack, "bedrock-runtime"),
        Some(Origin::Dir(_))
    ));
    assert_eq!(
        c.origin(TemplateKind::AlarmPack, "bedrock-agents"),
        Some(&Origin::BuiltIn)
    );
    assert_eq!(
        c.names(TemplateKind::Query),
        vec![
            "latest-invocations",
            "mine",
            "prompt-patterns",
            "tokens-by-caller"
        ]
    );
    std::fs::write(dir.path().join("alarms/typo.yml"), GOOD_ALARM).unwrap();
    match Catalog::load(Some(dir.path())) {
        Err(CatalogError::Template(e)) => assert!(
            e.file.ends_with("typo.yml") && e.message.contains(".yaml"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Catalog::load(Some(&dir.path().join("missing"))),
        Err(CatalogError::Io { .. })
    ));
}

#[test]
fn dashboards_render_one_row_per_region_and_pass_the_body_check() {
    for name in ["bedrock-overview", "bedrock-governance"] {
        let d = Catalog::builtin().dashboard(name).unwrap();
        let body: Value = serde_json::from_str(&d.render(&[eu(), us()]).unwrap()).unwrap();
        assert_eq!(check_dashboard_body(&body), vec![]);
        let text = body.to_string();
        assert!(
            !text.contains('$')
                && !text.contains("{region}")
                && !text.contains("{account}")
                && !text.contains("{log_group}"),
            "{text}"
        );
        let widgets = body["widgets"].as_array().unwrap();
        let regions: Vec<_> = widgets
            .iter()
            .filter_map(|w| w["properties"]["region"].as_str())
            .collect();
        assert!(regions.contains(&"eu-west-1") && regions.contains(&"us-east-1"));
    }
    let overview = Catalog::builtin().dashboard("bedrock-overview").unwrap();
    let body: Value = serde_json::from_str(&overview.render(&[eu(), us()]).unwrap()).unwrap();
    assert_eq!(body["widgets"].as_array().unwrap().len(), 14);
    let log = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["type"] == "log")
        .unwrap();
    assert!(log["properties"]["query"]
        .as_str()
        .unwrap()
        .starts_with("SOURCE '/aws/bedrock/invocations' | fields @timestamp"));
    // SEARCH's braces are text, not placeholders.
    assert!(body
        .to_string()
        .contains("SEARCH('{AWS/Bedrock,ModelId} MetricName=\\\"Invocations\\\"'"));
}

#[test]
fn dashboard_template_errors_are_located() {
    let text = "{\n  \"widgets\": [\n    {\"type\": \"text\", \"width\": 6, \"height\": 2,\n     \"properties\": {\"markdown\": \"in {region}\"}}\n  ]\n}\n";
    let e = DashboardTemplate::parse("d", "d.json", text).unwrap_err();
    assert_eq!(
        (e.line, e.field.as_str()),
        (4, "/widgets/0/properties/markdown"),
        "{e:?}"
    );
    assert!(e.help.unwrap().contains("\"$repeat\": \"region\""));
    let bad_type = text
        .replace("\"text\"", "\"graph\"")
        .replace("in {region}", "x");
    let e = DashboardTemplate::parse("d", "d.json", &bad_type).unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (3, "/widgets/0/type"), "{e:?}");
    let no_region = "{\"widgets\": [{\"$repeat\": \"region\", \"type\": \"metric\", \"width\": 6, \"height\": 6, \"properties\": {\"metrics\": [[\"AWS/Bedrock\", \"Invocations\"]]}}]}";
    let e = DashboardTemplate::parse("d", "d.json", no_region).unwrap_err();
    assert_eq!(e.field, "/widgets/0/properties/region");
    let e = DashboardTemplate::parse("d", "d.json", "{\"widgets\": [}").unwrap_err();
    assert_eq!(
        (e.line, e.column, e.field.as_str()),
        (1, 14, "(file)"),
        "{e:?}"
    );
    let e = DashboardTemplate::parse("d", "d.json", "{\"widgets\": [], \"$loop\": 1}").unwrap_err();
    assert_eq!(e.field, "/$loop");
}

#[test]
fn equivalent_dashboards_show_no_change() {
    let desired = r#"{"widgets":[{"type":"metric","width":12,"height":6,"properties":{"title":"Tokens","region":"eu-west-1","period":300,"metrics":[["AWS/Bedrock","InputTokenCount"]]}}]}"#;
    // Re-saved by the console: keys reordered, pretty-printed, 300.0, positions written.
    let actual = r#"{
      "widgets": [ { "height": 6, "x": 0, "y": 0, "width": 12, "type": "metric",
        "properties": { "metrics": [ [ "AWS/Bedrock", "InputTokenCount" ] ], "period": 300.0, "region": "eu-west-1", "title": "Tokens" } } ]
    }"#;
    assert_eq!(dashboard_changes(desired, actual).unwrap(), vec![]);
}

#[test]
fn dashboard_changes_name_the_widget() {
    let d = Catalog::builtin().dashboard("bedrock-overview").unwrap();
    let desired = d.render(&[eu()]).unwrap();
    let mut actual: Value = serde_json::from_str(&desired).unwrap();
    let removed = actual["widgets"].as_array_mut().unwrap().remove(2);
    actual["widgets"][1]["properties"]["stacked"] = json!(false);
    let changes = dashboard_changes(&desired, &actual.to_string()).unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes.contains(&DashboardChange::WidgetChanged {
        index: 1,
        label: "Invocations by model (eu-west-1)".into(),
        fields: vec!["/properties/stacked".into()]
    }));
    assert!(changes.contains(&DashboardChange::WidgetAdded {
        index: 2,
        label: removed["properties"]["title"].as_str().unwrap().to_string()
    }));
}

#[test]
fn alarms_normalize_defaults_order_and_numbers() {
    let p = Catalog::builtin().alarm_pack("bedrock-runtime").unwrap();
    let (alarms, _) = p.render(&eu(), &models(), &BTreeMap::new()).unwrap();
    let desired = alarm_put_json(&alarms[0], &["arn:b".into(), "arn:a".into()], &[]);
    // As read back: another order, AWS's defaults and read-only members, 10.0 for 10.
    let mut actual = canonical(&desired);
    let m = actual.as_object_mut().unwrap();
    m.insert("AlarmActions".into(), json!(["arn:a", "arn:b"]));
    m.insert("Threshold".into(), json!(10.0));
    m.insert("InsufficientDataActions".into(), json!([]));
    m.insert("StateValue".into(), json!("INSUFFICIENT_DATA"));
    m.insert(
        "AlarmArn".into(),
        json!("arn:aws:cloudwatch:eu-west-1:111111111111:alarm:x"),
    );
    assert_eq!(normalize_alarm(&desired), normalize_alarm(&actual));
    assert_eq!(alarm_changes(&desired, &actual), Vec::<String>::new());
    m_set(&mut actual, "Threshold", json!(5));
    m_set(&mut actual, "AlarmActions", json!(["arn:a"]));
    assert_eq!(
        alarm_changes(&desired, &actual),
        vec!["/AlarmActions".to_string(), "/Threshold".to_string()]
    );
}

fn m_set(v: &mut Value, k: &str, x: Value) {
    v.as_object_mut().unwrap().insert(k.into(), x);
}

#[test]
fn queries_render_into_a_project_folder() {
    let q = Catalog::builtin().query("latest-invocations").unwrap();
    let def = q.render("governance", &eu()).unwrap();
    assert_eq!(def.name, "warden/governance/latest-invocations");
    assert_eq!(def.log_group_names, vec!["/aws/bedrock/invocations"]);
    assert!(def.query_string.starts_with("fields @timestamp, modelId"));
    let e = QueryTemplate::parse(
        "q",
        "q.yaml",
        "description: x\nquery: SOURCE 'g' | limit 1\n",
    )
    .unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (2, "query"));
    let e = QueryTemplate::parse("q", "q.yaml", "description: x\nquery: fields {log_grp}\n")
        .unwrap_err();
    assert!(e.help.unwrap().contains("{log_group}"));
}

#[test]
fn rendered_builtins_snapshot() {
    let catalog = Catalog::builtin();
    let regions = [eu(), us()];
    let mut out = serde_json::Map::new();
    for name in catalog.names(TemplateKind::AlarmPack) {
        let p = catalog.alarm_pack(name).unwrap();
        let mut rendered = Vec::new();
        for b in &regions {
            let (mut alarms, mut composites) = p.render(b, &models(), &BTreeMap::new()).unwrap();
            prefix_names(PREFIX, &mut alarms, &mut composites);
            rendered.extend(alarms.iter().map(|a| {
                alarm_put_json(
                    a,
                    &["arn:aws:sns:REGION:111111111111:bedrock-alerts".into()],
                    &[],
                )
            }));
            rendered.extend(composites.iter().map(|c| serde_json::to_value(c).unwrap()));
        }
        out.insert(format!("alarms/{name}"), Value::Array(rendered));
    }
    for name in catalog.names(TemplateKind::Dashboard) {
        let body = catalog.dashboard(name).unwrap().render(&regions).unwrap();
        out.insert(
            format!("dashboards/{name}"),
            serde_json::from_str(&body).unwrap(),
        );
    }
    for name in catalog.names(TemplateKind::Query) {
        let q = catalog
            .query(name)
            .unwrap()
            .render("demo", &regions[0])
            .unwrap();
        out.insert(format!("queries/{name}"), json!({"name": q.name, "queryString": q.query_string, "logGroupNames": q.log_group_names}));
    }
    insta::assert_json_snapshot!("rendered_builtin_templates", Value::Object(out));
}

#[test]
fn placeholders_ignore_search_braces() {
    assert_eq!(
        placeholders::find("SEARCH('{AWS/Bedrock,ModelId} x') in {region}"),
        vec![(37, "region")]
    );
    assert_eq!(
        placeholders::render("{a}{b}", &Bindings::default().with("a", "1").with("b", "2")).unwrap(),
        "12"
    );
    assert_eq!(
        placeholders::render("{zz}", &Bindings::default()),
        Err("zz".to_string())
    );
}
