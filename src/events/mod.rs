//! EventBridge forwarding groundwork (issue 12): event patterns, presets, input transformers, the Dynatrace side, and a secret that never prints.
//!
//! Pure: nothing here calls AWS. The event-forwarding kinds build on it:
//!
//! * [`pattern`]: [`pattern::EventPattern`] parses and normalizes a pattern (key order, value
//!   order, duplicates, `\u003e` vs `>`), so equivalent patterns compare equal;
//!   [`pattern::describe_differences`] says how two patterns differ, in words.
//! * [`presets`]: `bedrock_configuration`, `bedrock_api_calls`, `governance_tampering` — data in
//!   `presets.json`; [`presets::lookup`] with "did you mean".
//! * [`transformer`]: [`transformer::InputTransformer`] checked against EventBridge's rules
//!   (100 variables, no placeholder as a key, JSON once filled), compared by meaning,
//!   rendered for an event as the user guide describes, converted to and from the SDK type.
//! * [`dynatrace`]: the environment URL, the API destination (POST
//!   `<env>/api/v2/bizevents/ingest`, rate), the connection's `Authorization: Api-Token …`
//!   key, and the transformer that builds the business event (`"type": "gen_ai.auditing"`).
//! * [`secret`]: [`secret::Secret`], redacted in Debug, Display and Serialize.
//! * [`policy`]: the documents EventBridge needs — the target role's trust (`events.amazonaws.com`,
//!   `aws:SourceAccount`, `aws:SourceArn` of the rules) and permissions (`events:InvokeApiDestination`
//!   on exactly the destination, or `events:PutEvents` on the operations bus), the SNS topic
//!   statement, the operations bus statement; rule and bus ARNs.
//!
//! ```
//! use bedrock_warden::events::{dynatrace, pattern, presets, secret::Secret};
//!
//! let url = dynatrace::EnvironmentUrl::parse("https://abc12345.live.dynatrace.com").unwrap();
//! let destination = dynatrace::api_destination(&url, Some(10)).unwrap();
//! assert_eq!(destination.invocation_endpoint, "https://abc12345.live.dynatrace.com/api/v2/bizevents/ingest");
//! let auth = dynatrace::connection_auth(&Secret::new("dt0c01.TOKEN")).unwrap();
//! assert_eq!(format!("{:?}", auth.api_key_value), "Secret((secret))");
//!
//! let desired = &presets::lookup("bedrock_api_calls").unwrap().pattern;
//! let live = pattern::EventPattern::parse(
//!     r#"{"detail":{"eventSource":["bedrock.amazonaws.com"]},"detail-type":["AWS API Call via CloudTrail"],"source":["aws.bedrock"]}"#,
//! ).unwrap();
//! assert_eq!(&live, desired);
//! ```

pub mod dynatrace;
pub mod pattern;
pub mod policy;
pub mod presets;
pub mod secret;
pub mod transformer;
