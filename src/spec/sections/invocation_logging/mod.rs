//! The `invocation_logging` section: Bedrock model invocation logging as users write it, and its
//! offline checks (destinations, role, buckets, data flags).

use schemars::JsonSchema;
use serde::Deserialize;

pub mod expand;

use std::borrow::Cow;

use super::{effective, is_set, Expansion, Merge, Scope, Section};
use crate::data_protection::KnownDestinations;
use crate::model::addr::Kind;
use crate::source::{Diagnostic, SourceFile, Sp};
use crate::spec::check::Checker;
use crate::spec::types::{Override, Spec};
use crate::spec::{check, env};

/// Bedrock model invocation logging for every account and region (a singleton per account/region).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvocationLogging {
    /// `true` (default) configures logging; `false` deletes the configuration.
    /// Removing the section instead leaves the live setting alone.
    #[serde(default)]
    pub enabled: Option<Sp<bool>>,
    /// Which data is delivered. Every flag is explicit in plans; each defaults to `true`.
    #[serde(default)]
    pub data: Option<DataDelivery>,
    /// Deliver to a CloudWatch Logs log group.
    #[serde(default)]
    pub cloudwatch: Option<CloudWatchDestination>,
    /// Deliver to an S3 bucket.
    #[serde(default)]
    pub s3: Option<S3Location>,
}

/// Data types delivered to the destinations.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataDelivery {
    #[serde(default)]
    pub text: Option<Sp<bool>>,
    #[serde(default)]
    pub image: Option<Sp<bool>>,
    #[serde(default)]
    pub embedding: Option<Sp<bool>>,
    #[serde(default)]
    pub video: Option<Sp<bool>>,
}

/// The CloudWatch Logs destination.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudWatchDestination {
    /// Log group name; it must be one of the spec's `log_groups` in the same account and region
    /// (so it is created first, with its retention) unless `external: true`.
    pub log_group: Sp<String>,
    /// The log group is managed outside this spec.
    #[serde(default)]
    pub external: Option<Sp<bool>>,
    /// An existing role Bedrock assumes to write the logs.
    #[serde(default)]
    pub role_arn: Option<Sp<String>>,
    /// A role the tool creates (trust limited to bedrock.amazonaws.com for this account and
    /// region, write access to exactly this log group).
    #[serde(default)]
    pub role: Option<RoleSpec>,
    /// Where bodies over ~100 KB and binary bodies go (they are not written to CloudWatch).
    #[serde(default)]
    pub large_data: Option<S3Location>,
}

/// A role created by the tool.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// Role name; default `warden-bedrock-logging-{region}`. Placeholders allowed.
    #[serde(default)]
    pub name: Option<Sp<String>>,
}

/// An S3 bucket and key prefix.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Location {
    /// Bucket name; may use `{account}` and `{region}` so one baseline fits every account.
    pub bucket: Sp<String>,
    /// Key prefix, e.g. `bedrock/invocations` (no leading or trailing `/`).
    #[serde(default)]
    pub key_prefix: Option<Sp<String>>,
    /// `true` (default): the tool creates and manages the bucket (policy for Bedrock, default
    /// encryption, public access blocked). `false`: the bucket exists and is managed elsewhere.
    #[serde(default)]
    pub create: Option<Sp<bool>>,
}

impl InvocationLogging {
    pub fn is_enabled(&self) -> bool {
        self.enabled.as_ref().is_none_or(|e| *e.get())
    }
}

/// An override's fields replace the baseline's (the data flags one by one).
impl Merge for InvocationLogging {
    fn merged<'a>(base: Cow<'a, Self>, over: &'a Self) -> Cow<'a, Self> {
        Cow::Owned(base.merged_with(over))
    }
}

impl InvocationLogging {
    /// `self` with the fields `other` sets replacing these (data flags one by one).
    pub fn merged_with(&self, other: &InvocationLogging) -> InvocationLogging {
        let data = match (&self.data, &other.data) {
            (Some(base), Some(top)) => Some(DataDelivery {
                text: top.text.clone().or(base.text.clone()),
                image: top.image.clone().or(base.image.clone()),
                embedding: top.embedding.clone().or(base.embedding.clone()),
                video: top.video.clone().or(base.video.clone()),
            }),
            (base, top) => top.clone().or(base.clone()),
        };
        InvocationLogging {
            enabled: other.enabled.clone().or(self.enabled.clone()),
            data,
            cloudwatch: other.cloudwatch.clone().or(self.cloudwatch.clone()),
            s3: other.s3.clone().or(self.s3.clone()),
        }
    }
}

/// The section in the registry of [`super::SECTIONS`].
pub struct InvocationLoggingSection;

fn pick(block: &Override) -> Option<&InvocationLogging> {
    block.invocation_logging.as_ref()
}

/// Resources one scope's invocation logging can produce at most: the setting, its role and
/// up to two buckets.
const MAX_LOGGING_RESOURCES: u64 = 4;

impl Section for InvocationLoggingSection {
    fn check_baseline(&self, spec: &Spec, checker: &mut Checker) {
        if let Some(logging) = &spec.invocation_logging {
            let found = check(logging, checker.source, "invocation_logging", true);
            checker.found.extend(found);
            checker.logging_env(logging, "invocation_logging");
        }
    }

    fn check_override(&self, _spec: &Spec, block: &Override, ofield: &str, checker: &mut Checker) {
        if let Some(logging) = &block.invocation_logging {
            let field = format!("{ofield}.invocation_logging");
            let found = check(logging, checker.source, &field, false);
            checker.found.extend(found);
            checker.logging_env(logging, &field);
        }
    }

    fn destinations(&self, spec: &Spec, known: &mut KnownDestinations) {
        let overrides = spec.accounts.iter().flat_map(|a| a.overrides.iter());
        let logging = spec
            .invocation_logging
            .iter()
            .chain(overrides.filter_map(|o| o.invocation_logging.as_ref()));
        let buckets = logging
            .flat_map(|l| {
                let large = l.cloudwatch.as_ref().and_then(|c| c.large_data.as_ref());
                l.s3.iter().chain(large)
            })
            .filter(|b| b.create.as_ref().is_none_or(|c| *c.get()))
            .map(|b| b.bucket.get().clone());
        known.s3_buckets.extend(buckets);
    }

    fn count(&self, spec: &Spec) -> u64 {
        let baseline = spec.invocation_logging.as_ref();
        let scopes = super::scopes(spec)
            .filter(|(account, region)| is_set(baseline, account, region, pick))
            .count() as u64;
        scopes.saturating_mul(MAX_LOGGING_RESOURCES)
    }

    fn expand(&self, scope: &Scope, out: &mut Expansion) {
        let baseline = scope.spec().invocation_logging.as_ref();
        let Some(logging) = effective(baseline, scope.account, scope.region, pick) else {
            return;
        };
        let tags = scope.tags();
        let group_names = out.created_here(Kind::LogGroup);
        let fill = |t: &str| scope.fill(t);
        let at = expand::Scope {
            source: &scope.loaded.source,
            target: scope.target,
            region: scope.region,
            tags: &tags,
            log_groups: &group_names,
            fill: &fill,
        };
        match expand::expand(&logging, &at) {
            Ok(rs) => out.resources.extend(rs),
            Err(ds) => out.problems.extend(ds),
        }
    }
}

impl Checker<'_> {
    /// The logging role ARN may come from the environment (`${env:…}`), like account roles.
    fn logging_env(&mut self, logging: &InvocationLogging, field: &str) {
        if let Some(arn) = logging
            .cloudwatch
            .as_ref()
            .and_then(|c| c.role_arn.as_ref())
        {
            if env::has_reference(arn) {
                let field = format!("{field}.cloudwatch.role_arn");
                if let Some(value) = self.resolve(arn, &field) {
                    if check::parse_role_arn(&value).is_none() {
                        self.error(
                            arn.span(),
                            field,
                            format!("`{value}` (from the environment) is not an IAM role ARN"),
                            Some("set the variable to `arn:aws:iam::<account>:role/<name>`".into()),
                        );
                    }
                }
            }
        }
    }
}

/// Checks one `invocation_logging` block at `field`; `complete` is false for override blocks,
/// which may leave out what the baseline gives.
pub fn check(
    logging: &InvocationLogging,
    source: &SourceFile,
    field: &str,
    complete: bool,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let enabled = logging.is_enabled();
    if let Some(cw) = &logging.cloudwatch {
        let cfield = format!("{field}.cloudwatch");
        match (&cw.role_arn, &cw.role) {
            (None, None) => found.push(
                Diagnostic::error(source, Some(&cw.log_group.span()), "a CloudWatch destination needs a role Bedrock can assume to write the logs")
                    .field(format!("{cfield}.role"))
                    .help("add `role: {}` (the tool creates a least-privilege role) or `role_arn: arn:aws:iam::<account>:role/<name>`"),
            ),
            (Some(arn), Some(_)) => found.push(
                Diagnostic::error(source, Some(&arn.span()), "give either `role_arn` (an existing role) or `role` (created by the tool), not both")
                    .field(format!("{cfield}.role_arn"))
                    .help("remove `role` to use the existing role, or remove `role_arn` to let warden create one"),
            ),
            (Some(arn), None) => {
                if !env::has_reference(arn) && check::parse_role_arn(arn).is_none() {
                    found.push(
                        Diagnostic::error(source, Some(&arn.span()), format!("`{}` is not an IAM role ARN", arn.get()))
                            .field(format!("{cfield}.role_arn"))
                            .help("write `arn:aws:iam::{account}:role/<name>`; the role must be in the same account as the logging setting"),
                    );
                }
            }
            (None, Some(role)) => {
                if let Some(name) = &role.name {
                    let sample = fill_samples(name);
                    let ok = (1..=64).contains(&sample.len())
                        && sample.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
                    if !ok {
                        found.push(
                            Diagnostic::error(source, Some(&name.span()), format!("`{}` is not a valid IAM role name", name.get()))
                                .field(format!("{cfield}.role.name"))
                                .help("use 1-64 characters from letters, digits and `+=,.@_-` (placeholders {account} {region} allowed)"),
                        );
                    }
                }
            }
        }
        if let Some(large) = &cw.large_data {
            found.extend(check_location(
                large,
                source,
                &format!("{cfield}.large_data"),
            ));
        } else if enabled && complete && logging.s3.is_none() {
            found.push(
                Diagnostic::warning(source, Some(&cw.log_group.span()), "CloudWatch-only logging without a large-data bucket: request and response bodies over ~100 KB and binary bodies are not written to CloudWatch and will be lost")
                    .field(format!("{cfield}.large_data"))
                    .help("add `large_data: {bucket: …}` (or an `s3` destination) to keep full bodies"),
            );
        }
    }
    if let Some(s3) = &logging.s3 {
        found.extend(check_location(s3, source, &format!("{field}.s3")));
    }
    if enabled && complete && logging.cloudwatch.is_none() && logging.s3.is_none() {
        let span = logging.enabled.as_ref().map(|e| e.span());
        found.push(
            Diagnostic::error(
                source,
                span.as_ref(),
                "invocation logging needs a destination",
            )
            .field(field.to_string())
            .help("add `cloudwatch:` and/or `s3:`, or `enabled: false` to turn logging off"),
        );
    }
    if !enabled && (logging.cloudwatch.is_some() || logging.s3.is_some() || logging.data.is_some())
    {
        let span = logging.enabled.as_ref().map(|e| e.span());
        found.push(
            Diagnostic::warning(source, span.as_ref(), "`enabled: false` deletes the logging configuration; the destinations and data flags given here are ignored")
                .field(format!("{field}.enabled")),
        );
    }
    found
}

fn check_location(location: &S3Location, source: &SourceFile, field: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if !is_bucket_name(&fill_samples(&location.bucket)) {
        found.push(
            Diagnostic::error(source, Some(&location.bucket.span()), format!("`{}` is not a valid S3 bucket name", location.bucket.get()))
                .field(format!("{field}.bucket"))
                .help("use 3-63 characters: lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit; `{account}` and `{region}` make it unique per account and region"),
        );
    }
    if let Some(prefix) = &location.key_prefix {
        if prefix.starts_with('/')
            || prefix.ends_with('/')
            || prefix.contains("//")
            || prefix.len() > 1024
        {
            found.push(
                Diagnostic::error(
                    source,
                    Some(&prefix.span()),
                    format!(
                        "key prefix `{}` must not start or end with `/` or contain `//`",
                        prefix.get()
                    ),
                )
                .field(format!("{field}.key_prefix"))
                .help("write e.g. `bedrock/invocations`"),
            );
        }
    }
    found
}

/// S3 bucket naming rules for general purpose buckets.
pub fn is_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
        && !name.starts_with("xn--")
        && !name.ends_with("-s3alias")
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

fn fill_samples(value: &str) -> String {
    value
        .replace("{account}", "123456789012")
        .replace("{account_name}", "sample")
        .replace("{region}", "us-east-1")
        .replace("{partition}", "aws")
}

#[cfg(test)]
mod tests {
    use super::is_bucket_name;

    #[test]
    fn bucket_names_follow_s3_rules() {
        assert!(is_bucket_name("bedrock-logs-123456789012-us-east-1"));
        assert!(!is_bucket_name("Bedrock-Logs"));
        assert!(!is_bucket_name("ab"));
        assert!(!is_bucket_name("-bad"));
        assert!(!is_bucket_name("192.168.1.1"));
        assert!(!is_bucket_name("a..b"));
    }
}
