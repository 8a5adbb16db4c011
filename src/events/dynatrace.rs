//! The Dynatrace side of forwarding: environment URL, API destination and connection parameters, and the transformer that builds the business event.
//!
//! Events reach Dynatrace through an EventBridge API destination that POSTs to
//! `<environment>/api/v2/bizevents/ingest` with the header `Authorization: Api-Token <token>`
//! (token scope `bizevents.ingest`). The input transformer turns each EventBridge event into a
//! business event whose `type` (default `gen_ai.auditing`) is what an OpenPipeline dynamic route
//! matches on (`matchesValue(event.type, "gen_ai.auditing")`).

use std::fmt;

use thiserror::Error;

use super::secret::Secret;
use super::transformer::InputTransformer;

/// The business-event type OpenPipeline routes on, unless the spec says otherwise.
pub const DEFAULT_EVENT_TYPE: &str = "gen_ai.auditing";
/// Path of the business-events ingest API, appended to the environment URL.
pub const INGEST_PATH: &str = "/api/v2/bizevents/ingest";
/// The header the connection sends, and the scheme before the token.
pub const API_KEY_NAME: &str = "Authorization";
pub const API_KEY_PREFIX: &str = "Api-Token ";
/// `AuthHeaderParametersSensitive` in the EventBridge API model: at most 512 characters.
pub const MAX_API_KEY_VALUE_CHARS: usize = 512;
/// `ConnectionName`, `ApiDestinationName`, `RuleName`, `TargetId`: 1–64 of `.-_A-Za-z0-9`.
pub const MAX_NAME_CHARS: usize = 64;

/// Something about the Dynatrace settings EventBridge or Dynatrace would refuse. Never holds
/// the token: token problems are described, not quoted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DynatraceError {
    #[error("environment_url `{url}`: {problem}")]
    EnvironmentUrl { url: String, problem: String },
    #[error("event_type `{0}`: use 1-128 letters, digits, `.`, `_` or `-` (the default is `gen_ai.auditing`)")]
    EventType(String),
    #[error("invocation_rate_per_second is {0}; EventBridge needs at least 1 (omit it for AWS's default of 300)")]
    Rate(i64),
    #[error("api_token: {0}")]
    Token(&'static str),
    #[error("{kind} name `{name}`: use 1-64 letters, digits, `.`, `_` or `-`")]
    Name { kind: &'static str, name: String },
}

/// A checked Dynatrace environment URL: `https://<host>[:port][/e/<environment id>]`, no
/// trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentUrl(String);

impl EnvironmentUrl {
    /// Accepts SaaS (`https://abc12345.live.dynatrace.com`) and Managed or ActiveGate URLs
    /// (`https://dt.example.com/e/<environment id>`); explains what to write otherwise.
    pub fn parse(text: &str) -> Result<Self, DynatraceError> {
        let err = |problem: &str| DynatraceError::EnvironmentUrl {
            url: text.to_string(),
            problem: problem.to_string(),
        };
        let trimmed = text.trim().trim_end_matches('/');
        if trimmed.starts_with("http://") {
            return Err(err(
                "EventBridge API destinations only call HTTPS endpoints; write https://",
            ));
        }
        let Some(rest) = trimmed.strip_prefix("https://") else {
            return Err(err(
                "write the full URL, e.g. https://abc12345.live.dynatrace.com",
            ));
        };
        if rest.ends_with(INGEST_PATH) || rest.contains("/api/") {
            return Err(err("give the environment URL only (e.g. https://abc12345.live.dynatrace.com); warden appends /api/v2/bizevents/ingest"));
        }
        if rest.contains(['?', '#', '@', ' ']) {
            return Err(err(
                "a query, fragment, user name or space has no place in the environment URL",
            ));
        }
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let host = authority.split_once(':').map_or(authority, |(h, port)| {
            if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
                ""
            } else {
                h
            }
        });
        let host_ok = !host.is_empty()
            && host.contains('.')
            && host.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !host_ok {
            return Err(err("the host name is not valid"));
        }
        if host.to_ascii_lowercase().ends_with(".apps.dynatrace.com") {
            return Err(err(
                "this is the Dynatrace platform (apps) URL; API tokens ingest on the environment's \
                 live URL, e.g. https://abc12345.live.dynatrace.com",
            ));
        }
        if !path.is_empty() {
            let env_id = path.strip_prefix("e/").unwrap_or("");
            if env_id.is_empty()
                || !env_id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(err(
                    "the only path allowed is /e/<environment id> (Managed or ActiveGate); \
                     for SaaS write just https://<environment id>.live.dynatrace.com",
                ));
            }
        }
        // host names are case-insensitive, paths are not
        Ok(Self(format!(
            "https://{}{}",
            authority.to_ascii_lowercase(),
            &rest[authority.len()..]
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `InvocationEndpoint` of the API destination.
    pub fn ingest_endpoint(&self) -> String {
        format!("{}{INGEST_PATH}", self.0)
    }
}

impl fmt::Display for EnvironmentUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a name for a connection, API destination, rule or target id.
pub fn check_name(kind: &'static str, name: &str) -> Result<(), DynatraceError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(DynatraceError::Name {
            kind,
            name: name.to_string(),
        })
    }
}

/// Checks `event_type` (it becomes a JSON string in the input template and the value
/// OpenPipeline matches).
pub fn check_event_type(event_type: &str) -> Result<(), DynatraceError> {
    let ok = !event_type.is_empty()
        && event_type.len() <= 128
        && event_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(DynatraceError::EventType(event_type.to_string()))
    }
}

/// The API destination's parameters (`CreateApiDestination` / `UpdateApiDestination`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiDestinationParams {
    pub invocation_endpoint: String,
    pub http_method: &'static str,
    /// None: AWS's default (300 per second).
    pub invocation_rate_limit_per_second: Option<i32>,
}

/// Parameters of the API destination for `url`, rate checked (`ApiDestinationInvocationRateLimitPerSecond`: min 1).
pub fn api_destination(
    url: &EnvironmentUrl,
    rate: Option<i64>,
) -> Result<ApiDestinationParams, DynatraceError> {
    let rate = match rate {
        None => None,
        Some(r) if (1..=i64::from(i32::MAX)).contains(&r) => Some(r as i32),
        Some(r) => return Err(DynatraceError::Rate(r)),
    };
    Ok(ApiDestinationParams {
        invocation_endpoint: url.ingest_endpoint(),
        http_method: "POST",
        invocation_rate_limit_per_second: rate,
    })
}

/// The connection's API key parameters: header name and (secret) value `Api-Token <token>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionAuth {
    pub api_key_name: &'static str,
    pub api_key_value: Secret,
}

impl ConnectionAuth {
    /// `AuthParameters` of `CreateConnection` (with `AuthorizationType::ApiKey`).
    pub fn create_parameters(
        &self,
    ) -> aws_sdk_eventbridge::types::CreateConnectionAuthRequestParameters {
        use aws_sdk_eventbridge::types::{
            CreateConnectionApiKeyAuthRequestParameters, CreateConnectionAuthRequestParameters,
        };
        let key = CreateConnectionApiKeyAuthRequestParameters::builder()
            .api_key_name(self.api_key_name)
            .api_key_value(self.api_key_value.expose())
            .build()
            .expect("both required fields are set");
        CreateConnectionAuthRequestParameters::builder()
            .api_key_auth_parameters(key)
            .build()
    }

    /// `AuthParameters` of `UpdateConnection`: the rotation (name and value).
    pub fn update_parameters(
        &self,
    ) -> aws_sdk_eventbridge::types::UpdateConnectionAuthRequestParameters {
        use aws_sdk_eventbridge::types::{
            UpdateConnectionApiKeyAuthRequestParameters, UpdateConnectionAuthRequestParameters,
        };
        let key = UpdateConnectionApiKeyAuthRequestParameters::builder()
            .api_key_name(self.api_key_name)
            .api_key_value(self.api_key_value.expose())
            .build();
        UpdateConnectionAuthRequestParameters::builder()
            .api_key_auth_parameters(key)
            .build()
    }
}

/// Checks the token's shape, without ever quoting it, and builds the connection's API key.
pub fn connection_auth(token: &Secret) -> Result<ConnectionAuth, DynatraceError> {
    let t = token.expose();
    if t.trim().is_empty() {
        return Err(DynatraceError::Token(
            "the token is empty; set the variable it is read from",
        ));
    }
    if t.len() >= API_KEY_PREFIX.len()
        && t[..API_KEY_PREFIX.len()].eq_ignore_ascii_case(API_KEY_PREFIX)
    {
        return Err(DynatraceError::Token(
            "give the token itself, without `Api-Token ` in front; warden adds it",
        ));
    }
    if t.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ':')
    {
        return Err(DynatraceError::Token(
            "the token contains a space, a line break or `:`, which a Dynatrace token never does (check how the variable is set)",
        ));
    }
    if API_KEY_PREFIX.len() + t.chars().count() > MAX_API_KEY_VALUE_CHARS {
        return Err(DynatraceError::Token(
            "the token is longer than EventBridge accepts (512 characters with `Api-Token `)",
        ));
    }
    Ok(ConnectionAuth {
        api_key_name: API_KEY_NAME,
        api_key_value: token.map(|t| format!("{API_KEY_PREFIX}{t}")),
    })
}

/// A note (not an error) when the token does not look like a Dynatrace access token (`dt0c01.…`).
pub fn token_warning(token: &Secret) -> Option<&'static str> {
    (!token.expose().starts_with("dt0c01.")).then_some(
        "api_token does not start with `dt0c01.` as Dynatrace access tokens do; check that the variable holds the token",
    )
}

/// The input transformer that turns an EventBridge event into a Dynatrace business event:
/// `type` is `event_type`; `id`, `time`, `account`, `region`, `source`, `detail-type`,
/// `resources` and `detail` are the original event's. Every placeholder stands outside quotes,
/// so values are inserted as JSON (EventBridge does not escape values inside quotes).
pub fn business_event_transformer(event_type: &str) -> Result<InputTransformer, DynatraceError> {
    check_event_type(event_type)?;
    let paths = [
        ("id", "$.id"),
        ("time", "$.time"),
        ("account", "$.account"),
        ("region", "$.region"),
        ("source", "$.source"),
        ("detailType", "$.detail-type"),
        ("resources", "$.resources"),
        ("detail", "$.detail"),
    ];
    let template = format!(
        "{{\"type\": {}, \"id\": <id>, \"time\": <time>, \"account\": <account>, \"region\": <region>, \
         \"source\": <source>, \"detail-type\": <detailType>, \"resources\": <resources>, \"detail\": <detail>}}",
        serde_json::Value::String(event_type.to_string())
    );
    let transformer = InputTransformer {
        paths: paths
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        template,
    };
    debug_assert!(transformer.validate().is_ok());
    Ok(transformer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::transformer::RenderContext;
    use serde_json::{json, Value};

    #[test]
    fn environment_urls_saas_managed_and_normalized() {
        let saas = EnvironmentUrl::parse(" https://ABC12345.live.dynatrace.com/ ").unwrap();
        assert_eq!(saas.as_str(), "https://abc12345.live.dynatrace.com");
        assert_eq!(
            saas.ingest_endpoint(),
            "https://abc12345.live.dynatrace.com/api/v2/bizevents/ingest"
        );
        let managed = EnvironmentUrl::parse("https://dt.example.com:9999/e/Env-1").unwrap();
        assert_eq!(
            managed.ingest_endpoint(),
            "https://dt.example.com:9999/e/Env-1/api/v2/bizevents/ingest"
        );
    }

    #[test]
    fn environment_url_mistakes_are_explained() {
        for (url, says) in [
            ("http://abc.live.dynatrace.com", "HTTPS"),
            ("abc.live.dynatrace.com", "full URL"),
            (
                "https://abc.live.dynatrace.com/api/v2/bizevents/ingest",
                "warden appends",
            ),
            ("https://abc.apps.dynatrace.com", "live URL"),
            (
                "https://abc.live.dynatrace.com/ui/apps",
                "/e/<environment id>",
            ),
            ("https://abc.live.dynatrace.com?x=1", "query"),
            ("https://user@abc.live.dynatrace.com", "user name"),
            ("https://localhost", "host name"),
            ("https://a..b", "host name"),
            ("https://abc.live.dynatrace.com:x", "host name"),
        ] {
            let err = EnvironmentUrl::parse(url).unwrap_err().to_string();
            assert!(err.contains(says), "{url}: {err}");
            assert!(
                err.contains(url.trim()),
                "{url}: the message names the URL: {err}"
            );
        }
    }

    #[test]
    fn api_destination_parameters() {
        let url = EnvironmentUrl::parse("https://abc12345.live.dynatrace.com").unwrap();
        let p = api_destination(&url, Some(10)).unwrap();
        assert_eq!(
            p,
            ApiDestinationParams {
                invocation_endpoint: "https://abc12345.live.dynatrace.com/api/v2/bizevents/ingest"
                    .into(),
                http_method: "POST",
                invocation_rate_limit_per_second: Some(10),
            }
        );
        assert_eq!(
            api_destination(&url, None)
                .unwrap()
                .invocation_rate_limit_per_second,
            None
        );
        assert_eq!(api_destination(&url, Some(0)), Err(DynatraceError::Rate(0)));
    }

    const CANARY: &str = "dt0c01.CANARY0123456789ABCDEFGH.0123456789abcdef";

    #[test]
    fn connection_auth_adds_the_scheme_and_never_quotes_the_token() {
        let auth = connection_auth(&Secret::new(CANARY)).unwrap();
        assert_eq!(auth.api_key_name, "Authorization");
        assert_eq!(auth.api_key_value.expose(), format!("Api-Token {CANARY}"));
        assert!(!format!("{auth:?}").contains("CANARY"));
        // the SDK request parameters carry it, and the SDK's Debug redacts it too
        let create = auth.create_parameters();
        let key = create.api_key_auth_parameters().unwrap();
        assert_eq!(
            (key.api_key_name(), key.api_key_value()),
            ("Authorization", format!("Api-Token {CANARY}").as_str())
        );
        let update = auth.update_parameters();
        assert_eq!(
            update.api_key_auth_parameters().unwrap().api_key_value(),
            Some(format!("Api-Token {CANARY}").as_str())
        );
        for debug in [format!("{create:?}"), format!("{update:?}")] {
            assert!(
                !debug.contains("CANARY"),
                "the SDK's Debug shows the token: {debug}"
            );
        }
        assert_eq!(token_warning(&Secret::new(CANARY)), None);
        assert!(token_warning(&Secret::new("CANARYnotdt")).is_some());
        for bad in [
            String::new(),
            format!("Api-Token {CANARY}"),
            format!("api-token {CANARY}"),
            format!("{CANARY}\n"),
            format!("CANARY {CANARY}"),
            format!("CANARY{}", "x".repeat(600)),
        ] {
            let err = connection_auth(&Secret::new(bad.clone())).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(
                !text.contains("CANARY"),
                "the token leaked into the error: {text}"
            );
        }
    }

    #[test]
    fn names_and_event_types() {
        assert!(check_name("connection", "warden-dynatrace").is_ok());
        assert!(check_name("connection", "a/b").is_err());
        assert!(check_name("rule", &"x".repeat(65)).is_err());
        assert!(check_event_type("gen_ai.auditing").is_ok());
        assert!(check_event_type("bad\"type").is_err());
        assert!(business_event_transformer("").is_err());
    }

    #[test]
    fn the_business_event_carries_the_type_and_the_original_event() {
        let transformer = business_event_transformer(DEFAULT_EVENT_TYPE).unwrap();
        transformer.validate().unwrap();
        assert!(transformer.paths.len() <= crate::events::transformer::MAX_VARIABLES);
        let event = json!({
            "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "AWS API Call via CloudTrail", "source": "aws.bedrock",
            "account": "111122223333", "time": "2026-12-03T10:00:00Z", "region": "eu-west-1",
            "resources": [],
            "detail": {"eventSource": "bedrock.amazonaws.com", "eventName": "DeleteGuardrail",
                       "requestParameters": {"guardrailIdentifier": "g \"quoted\" <x>"}}
        });
        let out = transformer
            .render(&event, &RenderContext::default())
            .unwrap();
        let business: Value = serde_json::from_str(&out).expect("the payload is JSON");
        assert_eq!(
            business,
            json!({
                "type": "gen_ai.auditing", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
                "time": "2026-12-03T10:00:00Z", "account": "111122223333", "region": "eu-west-1",
                "source": "aws.bedrock", "detail-type": "AWS API Call via CloudTrail", "resources": [],
                "detail": event["detail"].clone()
            })
        );
        let custom = business_event_transformer("acme.audit").unwrap();
        let out: Value =
            serde_json::from_str(&custom.render(&event, &RenderContext::default()).unwrap())
                .unwrap();
        assert_eq!(out["type"], "acme.audit");
    }
}
