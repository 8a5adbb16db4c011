//! The EventBridge groundwork against the local cloud: what `src/events` builds (connection key,
//! API destination, presets, the business-event transformer) is what EventBridge (as the harness
//! models it) accepts and holds, and read back it compares equal by meaning. One server, one
//! customer account reached by assume role.

mod common;

use aws_sdk_eventbridge::types::{ApiDestinationHttpMethod, ConnectionAuthorizationType, Target};
use aws_sdk_eventbridge::Client;
use bedrock_warden::events::{
    dynatrace, pattern::EventPattern, presets, secret::Secret, transformer,
};
use common::LocalCloud;
use serde_json::json;

const CUSTOMER: &str = "111111111111";
const REGION: &str = "us-east-1";
const TOKEN: &str = "dt0c01.CANARYGROUNDWORK000000.0000000000000000";

fn error_code<E: aws_sdk_eventbridge::error::ProvideErrorMetadata>(err: &E) -> String {
    err.code().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynatrace_forwarding_parts_are_accepted_and_read_back_equal() {
    let cloud = LocalCloud::start();
    let events = Client::new(&cloud.sdk(CUSTOMER, REGION).await);

    // The connection: API key header built from the secret; a second create is refused.
    let auth = dynatrace::connection_auth(&Secret::new(TOKEN)).unwrap();
    let created = events
        .create_connection()
        .name("warden-dynatrace")
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(auth.create_parameters())
        .send()
        .await
        .unwrap();
    let connection_arn = created.connection_arn().unwrap().to_string();
    let again = events
        .create_connection()
        .name("warden-dynatrace")
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(auth.create_parameters())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&again), "ResourceAlreadyExistsException");
    // Rotation keeps the header name; the value is never described back.
    let rotated = dynatrace::connection_auth(&Secret::new(format!("{TOKEN}2"))).unwrap();
    events
        .update_connection()
        .name("warden-dynatrace")
        .auth_parameters(rotated.update_parameters())
        .send()
        .await
        .unwrap();
    let described = events
        .describe_connection()
        .name("warden-dynatrace")
        .send()
        .await
        .unwrap();
    let key = described
        .auth_parameters()
        .unwrap()
        .api_key_auth_parameters()
        .unwrap();
    assert_eq!(key.api_key_name(), Some("Authorization"));
    assert!(!format!("{described:?}").contains("CANARY"));

    // The API destination, on that connection only.
    let url = dynatrace::EnvironmentUrl::parse("https://abc12345.live.dynatrace.com").unwrap();
    let params = dynatrace::api_destination(&url, Some(10)).unwrap();
    let create_destination = |name: &str, connection: &str| {
        events
            .create_api_destination()
            .name(name)
            .connection_arn(connection)
            .invocation_endpoint(&params.invocation_endpoint)
            .http_method(ApiDestinationHttpMethod::from(params.http_method))
            .set_invocation_rate_limit_per_second(params.invocation_rate_limit_per_second)
            .send()
    };
    let ghost = connection_arn.replace("warden-dynatrace", "ghost");
    let refused = create_destination("warden-dynatrace", &ghost)
        .await
        .unwrap_err();
    assert_eq!(error_code(&refused), "ResourceNotFoundException");
    let destination_arn = create_destination("warden-dynatrace", &connection_arn)
        .await
        .unwrap()
        .api_destination_arn()
        .unwrap()
        .to_string();
    let destination = events
        .describe_api_destination()
        .name("warden-dynatrace")
        .send()
        .await
        .unwrap();
    assert_eq!(
        destination.invocation_endpoint(),
        Some("https://abc12345.live.dynatrace.com/api/v2/bizevents/ingest")
    );
    assert_eq!(destination.invocation_rate_limit_per_second(), Some(10));

    // Every preset is accepted as a rule and reads back equal by meaning.
    for preset in presets::all() {
        events
            .put_rule()
            .name(format!("warden-{}", preset.name))
            .event_pattern(preset.pattern.to_json())
            .send()
            .await
            .unwrap();
        let rule = events
            .describe_rule()
            .name(format!("warden-{}", preset.name))
            .send()
            .await
            .unwrap();
        assert_eq!(
            EventPattern::parse(rule.event_pattern().unwrap()).unwrap(),
            preset.pattern
        );
    }

    // A Bedrock-shaped API call matches bedrock_api_calls (EventBridge's TestEventPattern) ...
    let event = json!({
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.bedrock", "account": CUSTOMER, "time": "2026-12-03T10:00:00Z", "region": REGION,
        "resources": [], "detail": {"eventSource": "bedrock.amazonaws.com", "eventName": "DeleteGuardrail"}
    });
    let api_calls = &presets::lookup("bedrock_api_calls").unwrap().pattern;
    let matched = events
        .test_event_pattern()
        .event_pattern(api_calls.to_json())
        .event(event.to_string())
        .send()
        .await
        .unwrap();
    assert!(matched.result());

    // ... and the target's transformer, held by EventBridge, turns it into the business event.
    let business = dynatrace::business_event_transformer(dynatrace::DEFAULT_EVENT_TYPE).unwrap();
    let put = events
        .put_targets()
        .rule("warden-bedrock_api_calls")
        .targets(
            Target::builder()
                .id("dynatrace")
                .arn(&destination_arn)
                .role_arn(format!(
                    "arn:aws:iam::{CUSTOMER}:role/warden-events-dynatrace"
                ))
                .input_transformer(business.to_sdk())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(put.failed_entry_count(), 0);
    let targets = events
        .list_targets_by_rule()
        .rule("warden-bedrock_api_calls")
        .send()
        .await
        .unwrap();
    let held =
        transformer::InputTransformer::from_sdk(targets.targets()[0].input_transformer().unwrap());
    assert!(held.equivalent(&business));
    let payload: serde_json::Value = serde_json::from_str(
        &held
            .render(&event, &transformer::RenderContext::default())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["type"], "gen_ai.auditing");
    assert_eq!(payload["id"], event["id"]);
    assert_eq!(payload["detail"], event["detail"]);

    // A rule is deleted only after its targets.
    let blocked = events
        .delete_rule()
        .name("warden-bedrock_api_calls")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&blocked), "ValidationException");
}
