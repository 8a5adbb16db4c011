//! Bedrock model invocation logging: one configuration per account and region. Read it, say in
//! plain words how it differs, put it (retrying IAM propagation delays), or delete it.

use std::time::{Duration, Instant};

use aws_sdk_bedrock::types::{CloudWatchConfig, LoggingConfig, S3Config};
use aws_sdk_bedrock::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::logging::SINGLETON;
use crate::model::{Kind, LiveResource};

/// How long to keep retrying "Failed to validate permissions" after a role was just created:
/// IAM changes take a minute or two to reach Bedrock.
pub const PROPAGATION_DEADLINE: Duration = Duration::from_secs(180);

pub type Scope<'a> = super::Scope<'a, Client>;

/// Bedrock's invocation logging setting: a singleton per account and region.
pub struct InvocationLoggingKind;

impl ResourceKind for InvocationLoggingKind {
    const KIND: Kind = Kind::InvocationLogging;
    const NAME: &'static str = "invocation_logging";
    const CONTROL: &'static str = "invocation logging";
    const RANK: u8 = 4;
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Singleton;
    const NOTES_UNMANAGED: bool = true;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.bedrock(region)
    }

    async fn read(
        scope: &Scope<'_>,
        _wanted: &[Named],
        _discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        Ok(vec![read(scope).await?])
    }

    fn comparable(_desired: &Value, live: &Value) -> Value {
        live.clone()
    }

    /// How the live setting differs from the spec, in the words a security reviewer would use.
    fn explain(before: &Value, after: &Value) -> Option<String> {
        let on = |v: &Value| v["enabled"].as_bool() == Some(true);
        if !on(before) && on(after) {
            return Some(
                "invocation logging is off in this account and region (never set up, or deleted)"
                    .into(),
            );
        }
        if on(before) && !on(after) {
            return Some(
                "invocation logging is on; the spec turns it off (`enabled: false`)".into(),
            );
        }
        let mut said = Vec::new();
        let shown = |v: &Value| match v {
            Value::Null => "nowhere".to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for (path, what) in [
            ("/s3/bucket", "S3 delivery"),
            ("/cloudwatch/log_group", "CloudWatch delivery"),
            ("/cloudwatch/role_arn", "the delivery role"),
            ("/cloudwatch/large_data/bucket", "large-data delivery"),
        ] {
            let (b, a) = (
                before.pointer(path).unwrap_or(&Value::Null),
                after.pointer(path).unwrap_or(&Value::Null),
            );
            if b != a {
                said.push(format!(
                    "{what} goes to {} instead of {}",
                    shown(b),
                    shown(a)
                ));
            }
        }
        for flag in ["text", "image", "embedding", "video"] {
            let (b, a) = (&before["data"][flag], &after["data"][flag]);
            if b != a {
                said.push(match b {
                    Value::Bool(false) => format!("{flag} data delivery was turned off"),
                    Value::Null => format!("{flag} data delivery is not set explicitly"),
                    _ => format!("{flag} data delivery is on; the spec turns it off"),
                });
            }
        }
        (!said.is_empty()).then(|| said.join("; "))
    }

    fn references(props: &Value, out: &mut Vec<(Kind, String)>) {
        super::log_group::mentioned_groups(props, out)
    }

    /// Where the spec has no invocation logging, its live setting is read so the plan can say
    /// it is left alone (removing the section never turns it off).
    async fn unmanaged_note(scope: &Scope<'_>) -> Result<Option<String>, CloudError> {
        Ok(unmanaged_note(&read(scope).await?.props))
    }

    async fn create(scope: &Scope<'_>, _name: &str, after: &Value) -> Result<(), CloudError> {
        apply(scope, after).await
    }

    async fn update(
        scope: &Scope<'_>,
        _name: &str,
        _before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        apply(scope, after).await
    }

    fn off() -> Option<Value> {
        Some(json!({ "enabled": false }))
    }

    /// Turns logging off (planned by `warden destroy` only: a singleton is never pruned).
    async fn delete(scope: &Scope<'_>, _name: &str, _before: &Value) -> Result<(), CloudError> {
        apply(scope, &json!({ "enabled": false })).await
    }
}

/// Reads the singleton. It always "exists": no configuration reads as `{"enabled": false}`.
/// It has no tags: the engine makes it the project's.
async fn read(scope: &Scope<'_>) -> Result<LiveResource, CloudError> {
    let out = scope
        .client
        .get_model_invocation_logging_configuration()
        .send()
        .await
        .map_err(|e| classify("bedrock:GetModelInvocationLoggingConfiguration", e))?;
    Ok(LiveResource {
        addr: scope.addr(Kind::InvocationLogging, SINGLETON),
        props: normalize(out.logging_config()),
        owner: None,
    })
}

/// The normalized view; a configuration with neither destination means logging is off
/// (that is what the service returns after a delete).
pub fn normalize(config: Option<&LoggingConfig>) -> Value {
    let Some(config) =
        config.filter(|c| c.cloud_watch_config().is_some() || c.s3_config().is_some())
    else {
        return json!({ "enabled": false });
    };
    let location = |s: &S3Config| {
        json!({
            "bucket": s.bucket_name(),
            "key_prefix": s.key_prefix().filter(|p| !p.is_empty()),
        })
    };
    json!({
        "enabled": true,
        "data": {
            "text": config.text_data_delivery_enabled(),
            "image": config.image_data_delivery_enabled(),
            "embedding": config.embedding_data_delivery_enabled(),
            "video": config.video_data_delivery_enabled(),
        },
        "cloudwatch": config.cloud_watch_config().map(|c| json!({
            "log_group": c.log_group_name(),
            "role_arn": c.role_arn(),
            "large_data": c.large_data_delivery_s3_config().map(location),
        })),
        "s3": config.s3_config().map(location),
    })
}

/// What to tell the user about a live setting in a scope whose spec has no `invocation_logging`:
/// nothing when logging is off, otherwise where it goes and that it is left as it is.
fn unmanaged_note(live: &Value) -> Option<String> {
    if live["enabled"].as_bool() != Some(true) {
        return None;
    }
    let mut goes_to = Vec::new();
    if let Some(group) = live
        .pointer("/cloudwatch/log_group")
        .and_then(Value::as_str)
    {
        goes_to.push(format!("CloudWatch log group {group}"));
    }
    if let Some(bucket) = live.pointer("/s3/bucket").and_then(Value::as_str) {
        goes_to.push(format!("S3 bucket {bucket}"));
    }
    Some(format!(
        "invocation logging is on here (to {}) but the spec has no `invocation_logging` for this account and region: warden leaves it as it is; to turn it off, set `invocation_logging: {{enabled: false}}`",
        goes_to.join(" and ")
    ))
}

fn logging_config(props: &Value) -> Result<LoggingConfig, CloudError> {
    let op = "bedrock:PutModelInvocationLoggingConfiguration";
    let s3 = |v: &Value| -> Result<Option<S3Config>, CloudError> {
        if v.is_null() {
            return Ok(None);
        }
        S3Config::builder()
            .bucket_name(v["bucket"].as_str().unwrap_or_default())
            .set_key_prefix(v["key_prefix"].as_str().map(str::to_string))
            .build()
            .map(Some)
            .map_err(|e| CloudError::unexpected(op, e.to_string()))
    };
    let cloudwatch = match &props["cloudwatch"] {
        Value::Null => None,
        cw => Some(
            CloudWatchConfig::builder()
                .log_group_name(cw["log_group"].as_str().unwrap_or_default())
                .role_arn(cw["role_arn"].as_str().unwrap_or_default())
                .set_large_data_delivery_s3_config(s3(&cw["large_data"])?)
                .build()
                .map_err(|e| CloudError::unexpected(op, e.to_string()))?,
        ),
    };
    let flag = |name: &str| props["data"][name].as_bool().unwrap_or(true);
    Ok(LoggingConfig::builder()
        .set_cloud_watch_config(cloudwatch)
        .set_s3_config(s3(&props["s3"])?)
        .text_data_delivery_enabled(flag("text"))
        .image_data_delivery_enabled(flag("image"))
        .embedding_data_delivery_enabled(flag("embedding"))
        .video_data_delivery_enabled(flag("video"))
        .build())
}

/// The error Bedrock returns until a just-created role or bucket policy has propagated.
pub fn is_propagation_error(error: &CloudError) -> bool {
    match error {
        CloudError::Service { code, message, .. } => {
            code == "ValidationException"
                && message
                    .to_ascii_lowercase()
                    .contains("failed to validate permissions")
        }
        _ => false,
    }
}

/// Puts (or, for `enabled: false`, deletes) the configuration.
async fn apply(scope: &Scope<'_>, after: &Value) -> Result<(), CloudError> {
    if after["enabled"].as_bool() != Some(true) {
        scope
            .client
            .delete_model_invocation_logging_configuration()
            .send()
            .await
            .map_err(|e| classify("bedrock:DeleteModelInvocationLoggingConfiguration", e))?;
        return Ok(());
    }
    let config = logging_config(after)?;
    retry_while_propagating(PROPAGATION_DEADLINE, Duration::from_secs(1), || async {
        scope
            .client
            .put_model_invocation_logging_configuration()
            .logging_config(config.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("bedrock:PutModelInvocationLoggingConfiguration", e))
    })
    .await
}

/// Runs `attempt` until it succeeds, fails with another error, or the IAM propagation error
/// outlasts `deadline` (waits double from `first_delay`, at most 15 s each).
async fn retry_while_propagating<F, Fut>(
    deadline: Duration,
    first_delay: Duration,
    mut attempt: F,
) -> Result<(), CloudError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), CloudError>>,
{
    let started = Instant::now();
    let mut delay = first_delay;
    loop {
        match attempt().await {
            Ok(()) => return Ok(()),
            Err(e) if is_propagation_error(&e) && started.elapsed() + delay < deadline => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            Err(e) if is_propagation_error(&e) => {
                return Err(CloudError::Service {
                    operation: "bedrock:PutModelInvocationLoggingConfiguration".into(),
                    code: "ValidationException".into(),
                    message: format!(
                        "still failing after {}s of waiting for IAM to propagate: {e}",
                        started.elapsed().as_secs()
                    ),
                })
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn propagation() -> CloudError {
        CloudError::Service {
            operation: "bedrock:PutModelInvocationLoggingConfiguration".into(),
            code: "ValidationException".into(),
            message: "Failed to validate permissions for log group: /g, with role: arn:aws:iam::123456789012:role/r".into(),
        }
    }

    #[tokio::test]
    async fn propagation_errors_are_retried_until_they_clear() {
        let calls = AtomicUsize::new(0);
        let result =
            retry_while_propagating(Duration::from_secs(5), Duration::from_millis(1), || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 3 {
                        Err(propagation())
                    } else {
                        Ok(())
                    }
                }
            })
            .await;
        assert!(result.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn the_propagation_retry_gives_up_at_its_deadline_and_says_so() {
        let calls = AtomicUsize::new(0);
        let result =
            retry_while_propagating(Duration::from_millis(60), Duration::from_millis(5), || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(propagation()) }
            })
            .await;
        let message = result.unwrap_err().to_string();
        assert!(message.contains("still failing after"), "{message}");
        assert!(
            message.contains("waiting for IAM to propagate"),
            "{message}"
        );
        assert!(
            message.contains("Failed to validate permissions"),
            "{message}"
        );
        // Retried at least once (5 ms fits in 60 ms), and stopped: at most 5 + 10 + 20 ms fit.
        let calls = calls.load(Ordering::SeqCst);
        assert!((2..=4).contains(&calls), "{calls} calls");
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let calls = AtomicUsize::new(0);
        let result =
            retry_while_propagating(Duration::from_secs(5), Duration::from_millis(1), || {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(CloudError::AccessDenied {
                        operation: "bedrock:PutModelInvocationLoggingConfiguration".into(),
                        message: "no".into(),
                    })
                }
            })
            .await;
        assert!(matches!(result, Err(CloudError::AccessDenied { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn an_empty_configuration_means_logging_is_off() {
        assert_eq!(normalize(None), json!({"enabled": false}));
        let empty = LoggingConfig::builder().build();
        assert_eq!(normalize(Some(&empty)), json!({"enabled": false}));
    }

    #[test]
    fn redirection_and_switched_off_data_are_said_in_words() {
        let spec = json!({"enabled": true, "data": {"text": true, "image": true, "embedding": true, "video": true},
            "cloudwatch": null, "s3": {"bucket": "ours", "key_prefix": null}});
        let mut live = spec.clone();
        live["s3"]["bucket"] = json!("attacker");
        live["data"]["image"] = json!(false);
        let words = InvocationLoggingKind::explain(&live, &spec).unwrap();
        assert!(
            words.contains("S3 delivery goes to attacker instead of ours"),
            "{words}"
        );
        assert!(
            words.contains("image data delivery was turned off"),
            "{words}"
        );
        assert!(
            InvocationLoggingKind::explain(&json!({"enabled": false}), &spec)
                .unwrap()
                .contains("logging is off")
        );
    }

    #[test]
    fn only_the_permission_validation_error_is_retried() {
        let e = |code: &str, message: &str| CloudError::Service {
            operation: "x".into(),
            code: code.into(),
            message: message.into(),
        };
        assert!(is_propagation_error(&e(
            "ValidationException",
            "Failed to validate permissions for log group: /x"
        )));
        assert!(!is_propagation_error(&e(
            "ValidationException",
            "bucket does not exist"
        )));
        assert!(!is_propagation_error(&e(
            "AccessDeniedException",
            "Failed to validate permissions"
        )));
    }
}
