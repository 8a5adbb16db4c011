//! Gate for issue 13: the latest aws-sdk-cloudwatch (Smithy RPC v2 CBOR) works against the
//! local cloud through the harness's CBOR route (tests/harness/moto_cbor.py).

mod common;

use aws_sdk_cloudwatch::operation::get_dashboard::GetDashboardError;
use aws_sdk_cloudwatch::operation::put_metric_alarm::PutMetricAlarmError;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricDataQuery, MetricStat, StandardUnit, StateValue,
    Statistic, Tag,
};
use common::{LocalCloud, DIRECT_ACCOUNT};

const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:bedrock-alerts";

#[tokio::test(flavor = "multi_thread")]
async fn latest_cloudwatch_sdk_round_trips_alarms_dashboards_and_errors_over_cbor() {
    let cloud = LocalCloud::start();
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk(DIRECT_ACCOUNT, "eu-west-1").await);
    let model = Dimension::builder()
        .name("ModelId")
        .value("anthropic.claude-3-5-sonnet-20240620-v1:0")
        .build();

    // A static-threshold alarm: every field the alarm kinds write comes back as written.
    cw.put_metric_alarm()
        .alarm_name("warden-throttles")
        .alarm_description("Throttled: raise the quota or spread the load")
        .namespace("AWS/Bedrock")
        .metric_name("InvocationThrottles")
        .dimensions(model.clone())
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .threshold(5.5)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .unit(StandardUnit::Count)
        .alarm_actions(TOPIC)
        .ok_actions(TOPIC)
        .tags(Tag::builder().key("managed-by").value("warden").build())
        .send()
        .await
        .expect("PutMetricAlarm over CBOR");

    // An anomaly-band alarm on a metric-math query (needs its detector in AWS and the harness).
    let invocations = MetricStat::builder()
        .metric(
            aws_sdk_cloudwatch::types::Metric::builder()
                .namespace("AWS/Bedrock")
                .metric_name("InputTokenCount")
                .dimensions(model.clone())
                .build(),
        )
        .period(300)
        .stat("Sum")
        .build();
    cw.put_anomaly_detector()
        .single_metric_anomaly_detector(
            aws_sdk_cloudwatch::types::SingleMetricAnomalyDetector::builder()
                .namespace("AWS/Bedrock")
                .metric_name("InputTokenCount")
                .dimensions(model.clone())
                .stat("Sum")
                .build(),
        )
        .send()
        .await
        .expect("PutAnomalyDetector over CBOR");
    cw.put_metric_alarm()
        .alarm_name("warden-input-tokens-band")
        .evaluation_periods(2)
        .comparison_operator(ComparisonOperator::GreaterThanUpperThreshold)
        .threshold_metric_id("band")
        .metrics(
            MetricDataQuery::builder()
                .id("m1")
                .metric_stat(invocations)
                .return_data(true)
                .build(),
        )
        .metrics(
            MetricDataQuery::builder()
                .id("band")
                .expression("ANOMALY_DETECTION_BAND(m1, 2)")
                .return_data(true)
                .build(),
        )
        .send()
        .await
        .expect("anomaly alarm over CBOR");

    let described = cw
        .describe_alarms()
        .alarm_names("warden-throttles")
        .alarm_names("warden-input-tokens-band")
        .send()
        .await
        .expect("DescribeAlarms over CBOR");
    let alarms = described.metric_alarms();
    assert_eq!(alarms.len(), 2, "{alarms:#?}");
    let a = alarms
        .iter()
        .find(|a| a.alarm_name() == Some("warden-throttles"))
        .expect("static alarm");
    assert_eq!(
        a.alarm_description(),
        Some("Throttled: raise the quota or spread the load")
    );
    assert_eq!(a.namespace(), Some("AWS/Bedrock"));
    assert_eq!(a.metric_name(), Some("InvocationThrottles"));
    assert_eq!(a.dimensions(), std::slice::from_ref(&model));
    assert_eq!(a.statistic(), Some(&Statistic::Sum));
    assert_eq!(
        (a.period(), a.evaluation_periods(), a.datapoints_to_alarm()),
        (Some(300), Some(3), Some(2))
    );
    assert_eq!(a.threshold(), Some(5.5)); // a double, decoded as f64
    assert_eq!(
        a.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanOrEqualToThreshold)
    );
    assert_eq!(a.treat_missing_data(), Some("notBreaching"));
    assert_eq!(a.alarm_actions(), [TOPIC]);
    assert_eq!(a.ok_actions(), [TOPIC]);
    assert_eq!(a.state_value(), Some(&StateValue::InsufficientData));
    assert_eq!(
        a.alarm_arn(),
        Some("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:warden-throttles")
    );
    // Timestamps travel as CBOR tag 1: the SDK refuses anything else.
    let updated = a
        .alarm_configuration_updated_timestamp()
        .expect("timestamp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (updated.secs() - now).abs() < 120,
        "{updated:?} is not about now ({now})"
    );
    let band = alarms
        .iter()
        .find(|a| a.alarm_name() == Some("warden-input-tokens-band"))
        .expect("band alarm");
    assert_eq!(band.threshold_metric_id(), Some("band"));
    let expressions: Vec<_> = band
        .metrics()
        .iter()
        .filter_map(|m| m.expression())
        .collect();
    assert_eq!(expressions, ["ANOMALY_DETECTION_BAND(m1, 2)"]);

    // Tags went with the create (PutMetricAlarm ignores them only on update).
    let tags = cw
        .list_tags_for_resource()
        .resource_arn(a.alarm_arn().unwrap())
        .send()
        .await
        .expect("ListTagsForResource over CBOR");
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].key(), Some("managed-by"));

    // Dashboards: the body comes back as put.
    let body = r#"{"widgets":[{"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"region":"eu-west-1","metrics":[["AWS/Bedrock","Invocations"]],"stat":"Sum","period":300}}]}"#;
    cw.put_dashboard()
        .dashboard_name("bedrock-overview")
        .dashboard_body(body)
        .send()
        .await
        .expect("PutDashboard over CBOR");
    let got = cw
        .get_dashboard()
        .dashboard_name("bedrock-overview")
        .send()
        .await
        .expect("GetDashboard over CBOR");
    assert_eq!(got.dashboard_body(), Some(body));
    assert_eq!(
        got.dashboard_arn(),
        Some("arn:aws:cloudwatch::123456789012:dashboard/bedrock-overview")
    );

    // Errors: a modelled error arrives as its typed variant (query-compatible code)...
    let err = cw
        .get_dashboard()
        .dashboard_name("no-such-dashboard")
        .send()
        .await
        .expect_err("missing dashboard");
    assert!(
        matches!(
            err.as_service_error(),
            Some(GetDashboardError::DashboardNotFoundError(_))
        ),
        "{err:?}"
    );
    // ...and a validation error the harness adds carries AWS's code and message.
    let err = cw
        .put_metric_alarm()
        .alarm_name("range-without-band")
        .namespace("AWS/Bedrock")
        .metric_name("Invocations")
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .comparison_operator(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold)
        .threshold(1.0)
        .send()
        .await
        .expect_err("range operator without ThresholdMetricId");
    let service_error = err.as_service_error().expect("a service error");
    assert!(
        !matches!(service_error, PutMetricAlarmError::LimitExceededFault(_)),
        "{err:?}"
    );
    assert_eq!(
        aws_sdk_cloudwatch::error::ProvideErrorMetadata::code(service_error),
        Some("ValidationError"),
        "{err:?}"
    );
}
