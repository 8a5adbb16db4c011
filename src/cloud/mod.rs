//! Clients per (account, region): credentials (caller's or assumed role), retries with backoff,
//! explicit timeouts, a retry budget per account, and the API-call counter on every client.

pub mod counter;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod organization;
pub mod pace;
pub mod tagging;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_cloudwatchlogs::config::retry::RetryPartition;

pub use counter::{ApiCallReport, ApiCounter, OperationCalls};
use credentials::AssumedRole;
pub use error::{classify, CloudError};

use crate::deadline::Deadline;
use crate::model::AccountTarget;
use crate::spec::env;

/// Settings every client gets.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub max_attempts: u32,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            max_attempts: 8,
            attempt_timeout: Duration::from_secs(30),
            operation_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// The caller's AWS configuration (credential chain, `AWS_ENDPOINT_URL`, profile) plus the counter.
#[derive(Debug, Clone)]
pub struct CloudContext {
    base: SdkConfig,
    counter: ApiCounter,
    deadline: Deadline,
    pacer: pace::Pacer,
}

impl CloudContext {
    /// Loads the standard AWS configuration chain: env vars, profiles, SSO, web identity (OIDC).
    pub async fn from_environment(counter: ApiCounter, settings: &ClientSettings) -> Self {
        let retry = RetryConfig::standard()
            .with_max_attempts(settings.max_attempts)
            .with_initial_backoff(Duration::from_millis(200))
            .with_max_backoff(Duration::from_secs(20));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(settings.connect_timeout)
            .operation_attempt_timeout(settings.attempt_timeout)
            .operation_timeout(settings.operation_timeout)
            .build();
        let base = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry)
            .timeout_config(timeouts)
            .load()
            .await;
        // Every request waits for its slot below the operation's quota (see `pace`).
        let paced = match base.http_client() {
            Some(inner) => pace::PacedHttpClient::new(inner),
            None => pace::PacedHttpClient::around_default(),
        };
        let base = base.to_builder().http_client(paced).build();
        CloudContext {
            base,
            counter,
            deadline: Deadline::none(),
            pacer: pace::Pacer::default(),
        }
    }

    /// The run's per-(account, region, operation) pacing (quotas raised by the spec go here).
    pub fn pacer(&self) -> &pace::Pacer {
        &self.pacer
    }

    /// The same context with the run's time limit, which every read and change respects.
    pub fn with_deadline(mut self, deadline: Deadline) -> Self {
        self.deadline = deadline;
        self
    }

    pub fn counter(&self) -> &ApiCounter {
        &self.counter
    }

    pub fn deadline(&self) -> &Deadline {
        &self.deadline
    }

    /// AWS Organizations with the caller's credentials (a global service, read in us-east-1).
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        let conf = aws_sdk_organizations::config::Builder::from(&self.base)
            .region(Region::new("us-east-1"))
            .retry_partition(partition("organizations", "caller"))
            .interceptor(self.counter.clone())
            .interceptor(self.pacer.tag("caller", "global"))
            .interceptor(endpoint::NameEndpoint)
            .build();
        aws_sdk_organizations::Client::from_conf(conf)
    }

    fn sts(&self, config: &SdkConfig, account_id: &str, region: &str) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::config::Builder::from(config)
            .region(Region::new(region.to_string()))
            .retry_partition(partition("sts", account_id))
            .interceptor(self.counter.clone())
            // STS counts these calls against the caller (whose credentials sign them).
            .interceptor(self.pacer.tag("caller", region))
            .interceptor(endpoint::NameEndpoint)
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    /// Establishes credentials for an account and proves they belong to it:
    /// one AssumeRole (for a role) or one GetCallerIdentity (for the caller's own credentials).
    pub async fn connect(&self, account: &AccountTarget) -> Result<AccountSession, CloudError> {
        let home = account
            .regions
            .first()
            .cloned()
            .unwrap_or_else(|| "us-east-1".to_string());
        let credentials_error = |message: String| CloudError::Credentials {
            account: account.name.clone(),
            message: with_credentials_hint(message),
        };
        let (config, actual) = match &account.role_arn {
            None => {
                let out = self
                    .sts(&self.base, &account.id, &home)
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| classify("sts:GetCallerIdentity", e))
                    .map_err(|e| credentials_error(e.to_string()))?;
                (
                    self.base.clone(),
                    out.account().unwrap_or_default().to_string(),
                )
            }
            Some(role_arn) => {
                let external_id = match &account.external_id {
                    Some(raw) => Some(env::interpolate(raw, env::from_process).map_err(|e| {
                        credentials_error(format!("external_id cannot be resolved: {e:?}"))
                    })?),
                    None => None,
                };
                let role = AssumedRole::new(
                    self.sts(&self.base, &account.id, &home),
                    role_arn.clone(),
                    external_id,
                    "bedrock-warden".to_string(),
                );
                let actual = role.assume().await.map_err(|e| {
                    let hint = matches!(e, CloudError::AccessDenied { .. }).then(|| {
                        format!(
                            "\n  help: the trust policy of {role_arn} must allow your current credentials to assume it; if it requires an external id, the account's `external_id` must match"
                        )
                    });
                    credentials_error(format!("{e}{}", hint.unwrap_or_default()))
                })?;
                let config = self
                    .base
                    .to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(role))
                    .build();
                (config, actual)
            }
        };
        if actual != account.id {
            return Err(CloudError::WrongAccount {
                name: account.name.clone(),
                expected: account.id.clone(),
                actual,
            });
        }
        Ok(AccountSession {
            account_id: account.id.clone(),
            config,
            counter: self.counter.clone(),
            pacer: self.pacer.clone(),
        })
    }
}

/// Adds what to do when the SDK found no usable credentials at all.
fn with_credentials_hint(message: String) -> String {
    if message.contains("loading credentials") || message.contains("no credentials") {
        format!(
            "{message}\n  help: no usable AWS credentials were found: set AWS_PROFILE (and run `aws sso login` for SSO), \
             or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or in CI configure OIDC (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE)"
        )
    } else {
        message
    }
}

fn partition(service: &str, account_id: &str) -> RetryPartition {
    RetryPartition::new(format!("warden-{service}-{account_id}"))
}

/// Credentials for one account; hands out clients per region.
#[derive(Debug, Clone)]
pub struct AccountSession {
    pub account_id: String,
    config: SdkConfig,
    counter: ApiCounter,
    pacer: pace::Pacer,
}

/// A client constructor for one AWS service: every client gets the same retry partition per
/// account, the API call counter, pacing below the quotas of its account and region (IAM's are
/// per account: `global`) and the endpoint named in connection errors.
macro_rules! service_client {
    ($(#[$doc:meta])* $name:ident => $sdk:ident, quotas per $quota_scope:expr) => {
        $(#[$doc])*
        pub fn $name(&self, region: &str) -> $sdk::Client {
            let quota_region: &str = $quota_scope(region);
            let conf = $sdk::config::Builder::from(&self.config)
                .region(Region::new(region.to_string()))
                .retry_partition(partition(stringify!($name), &self.account_id))
                .interceptor(self.counter.clone())
                .interceptor(self.pacer.tag(&self.account_id, quota_region))
                .interceptor(endpoint::NameEndpoint)
                .build();
            $sdk::Client::from_conf(conf)
        }
    };
}

/// Quotas of most services are per account and region.
fn per_region(region: &str) -> &str {
    region
}

/// IAM's quotas are per account; the region only selects the partition's endpoint.
fn per_account(_region: &str) -> &'static str {
    "global"
}

impl AccountSession {
    service_client!(
        /// CloudWatch Logs (log groups, data protection, saved queries, metric filters, leases).
        logs => aws_sdk_cloudwatchlogs, quotas per per_region
    );
    service_client!(
        /// Bedrock (model invocation logging).
        bedrock => aws_sdk_bedrock, quotas per per_region
    );
    service_client!(
        /// IAM is global; the region only selects the partition's endpoint.
        iam => aws_sdk_iam, quotas per per_account
    );
    service_client!(
        /// The Resource Groups Tagging API (ownership tags in bulk, see `tagging`).
        tagging => aws_sdk_resourcegroupstagging, quotas per per_region
    );
    service_client!(
        /// CloudTrail; a multi-region trail is read and written in its home region.
        cloudtrail => aws_sdk_cloudtrail, quotas per per_region
    );
    service_client!(
        /// EventBridge (rules, targets, connections, API destinations, buses).
        events => aws_sdk_eventbridge, quotas per per_region
    );
    service_client!(
        /// SQS (the dead-letter queue of EventBridge targets).
        sqs => aws_sdk_sqs, quotas per per_region
    );
    service_client!(
        /// CloudWatch (alarms, dashboards): Smithy RPC v2 CBOR in the latest SDK.
        cloudwatch => aws_sdk_cloudwatch, quotas per per_region
    );
    service_client!(
        /// SNS: notification topics for alarms and EventBridge rules.
        sns => aws_sdk_sns, quotas per per_region
    );

    /// S3 with path-style addressing when a custom endpoint is configured (`AWS_ENDPOINT_URL`
    /// or the S3-only `AWS_ENDPOINT_URL_S3`): S3-compatible endpoints on an address rather than
    /// a domain cannot serve virtual hosts.
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let custom_endpoint = self.config.endpoint_url().is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|v| !v.is_empty());
        let conf = aws_sdk_s3::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_partition(partition("s3", &self.account_id))
            .interceptor(self.counter.clone())
            .interceptor(self.pacer.tag(&self.account_id, region))
            .interceptor(endpoint::NameEndpoint)
            .force_path_style(custom_endpoint)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

impl CloudContext {
    /// The caller's account id (`sts:GetCallerIdentity`) and the region of the AWS
    /// configuration chain (`AWS_REGION`, the profile), if one is set: what `warden init`
    /// writes a starter spec for.
    pub async fn caller(&self) -> Result<(String, Option<String>), CloudError> {
        let region = self.base.region().map(|r| r.to_string());
        let out = self
            .sts(
                &self.base,
                "caller",
                region.as_deref().unwrap_or("us-east-1"),
            )
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("sts:GetCallerIdentity", e))?;
        let account = out.account().unwrap_or_default().to_string();
        Ok((account, region))
    }
}
