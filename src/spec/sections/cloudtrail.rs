//! The `cloudtrail` section: one audit trail per account recording Bedrock data events, its offline checks, override merge, and expansion into bucket → log group + role → trail.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{json, Value};

use super::invocation_logging::is_bucket_name;
use super::{effective, is_set, resolve, Expansion, Merge, Scope, Section};
use crate::cloudtrail::catalog;
use crate::cloudtrail::policy::{self as trail_policy, TrailSource};
use crate::cloudtrail::selectors::{self, ManagementEvents, SelectorIntent};
use crate::data_protection::KnownDestinations;
use crate::model::addr::{Kind, ResourceAddr};
use crate::model::desired::DesiredResource;
use crate::source::{regions, Diagnostic, SourceFile, Sp};
use crate::spec::check::{fill_samples, is_kms_key_arn, Checker};
use crate::spec::types::{Override, Spec};

/// Default trail name.
pub const DEFAULT_NAME: &str = "bedrock-audit";
/// Default name of the role CloudTrail assumes to deliver to CloudWatch Logs.
pub const DEFAULT_ROLE: &str = "warden-cloudtrail-logs";
/// Name of the inline policy on that role.
pub const ROLE_POLICY_NAME: &str = "warden-cloudtrail-logs-delivery";

/// A CloudTrail trail recording Bedrock data events: one per account, in its home region.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudTrail {
    /// Trail name (3-128 letters, digits, `.`, `_`, `-`); placeholders allowed. Default `bedrock-audit`.
    #[serde(default)]
    pub name: Option<Sp<String>>,
    /// Region the (multi-region) trail lives in; one of the account's regions. Default: the
    /// account's first region.
    #[serde(default)]
    pub home_region: Option<Sp<String>>,
    /// Record every region's events (default `true`).
    #[serde(default)]
    pub multi_region: Option<Sp<bool>>,
    /// Digest files that prove log files were not changed (default `true`).
    #[serde(default)]
    pub log_file_validation: Option<Sp<bool>>,
    /// Where log files go. Required.
    #[serde(default)]
    pub bucket: Option<TrailBucket>,
    /// KMS key ARN that encrypts the log files (its key policy must let CloudTrail use it).
    #[serde(default)]
    pub kms_key_id: Option<Sp<String>>,
    /// Also deliver events to a CloudWatch Logs log group (in the home region).
    #[serde(default)]
    pub cloudwatch: Option<TrailCloudWatch>,
    /// Which management events to record (default: all).
    #[serde(default)]
    pub management_events: Option<ManagementEventsSpec>,
    /// Which data events to record. An override replaces this block as a whole.
    #[serde(default)]
    pub data_events: Option<DataEvents>,
    /// Only in overrides: no trail in this account.
    #[serde(default)]
    pub skip: Option<Sp<bool>>,
}

/// The trail's bucket.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrailBucket {
    /// Bucket name, e.g. `bedrock-audit-{account}`; placeholders allowed.
    pub name: Sp<String>,
    /// Key prefix for log files (no leading or trailing `/`).
    #[serde(default)]
    pub key_prefix: Option<Sp<String>>,
    /// `true` (default): the tool creates the bucket in the home region with CloudTrail's
    /// statements (`AWSCloudTrailAclCheck`, `AWSCloudTrailWrite`), encryption and public access
    /// blocked. `false`: the bucket is managed elsewhere and its policy must let CloudTrail write.
    #[serde(default)]
    pub create: Option<Sp<bool>>,
}

/// Delivery to CloudWatch Logs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrailCloudWatch {
    /// Log group in the home region; created (never expiring) unless `log_groups` has it there.
    pub log_group: Sp<String>,
    /// A role the tool creates (trust `cloudtrail.amazonaws.com` for this account, write
    /// access to exactly this group).
    #[serde(default)]
    pub role: Option<TrailRoleSpec>,
    /// An existing role CloudTrail assumes instead.
    #[serde(default)]
    pub role_arn: Option<Sp<String>>,
}

/// The role warden creates for CloudTrail's delivery to CloudWatch Logs.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrailRoleSpec {
    /// Role name; default `warden-cloudtrail-logs`. Placeholders allowed.
    #[serde(default)]
    pub name: Option<Sp<String>>,
}

/// Management events.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagementEventsSpec {
    /// `all`, `write_only`, `read_only` or `none`.
    pub read_write: Sp<String>,
}

/// Bedrock data events.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataEvents {
    /// Bedrock resource types (`AgentAlias`, `Guardrail`, `KnowledgeBase`, …), or `all` for the
    /// whole catalog. An empty list records no data events.
    #[serde(default)]
    pub bedrock: Option<Sp<TypeList>>,
    /// `true`: only read-only events; `false`: only write events; omitted: both.
    #[serde(default)]
    pub read_only: Option<Sp<bool>>,
    /// ARN prefixes narrowing every data selector, e.g.
    /// `arn:aws:bedrock:{region}:{account}:agent-alias/`; Bedrock ARNs of the account.
    #[serde(default)]
    pub resources: Vec<Sp<String>>,
}

/// A list of Bedrock resource type names, or the word `all`.
#[derive(Debug, Clone, Default)]
pub struct TypeList(pub Vec<Sp<String>>);

impl<'de> Deserialize<'de> for TypeList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = TypeList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a list of Bedrock resource types such as [AgentAlias, Guardrail], or `all`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TypeList, E> {
                if v == catalog::ALL {
                    Ok(TypeList(vec![Sp::synthetic(v.to_string())]))
                } else {
                    Err(E::custom(format!(
                        "`{v}` is not a list: write `[{v}]`, or `all` for every type"
                    )))
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TypeList, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Sp<String>>()? {
                    out.push(item);
                }
                Ok(TypeList(out))
            }
        }
        deserializer.deserialize_any(ListVisitor)
    }
}

impl JsonSchema for TypeList {
    fn schema_name() -> Cow<'static, str> {
        "BedrockDataEventTypes".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let described: Vec<String> = catalog::all()
            .iter()
            .map(|t| format!("{}: {}", t.name, t.description))
            .collect();
        let names: Vec<&str> = catalog::all().iter().map(|t| t.name).collect();
        json_schema!({
            "description": format!(
                "Bedrock resource types whose data events are recorded, or `all`. Known types: {}. Other names are accepted with a warning (AWS adds types).",
                described.join("; ")
            ),
            "oneOf": [
                { "type": "string", "enum": ["all"] },
                { "type": "array", "items": { "type": "string", "examples": names } }
            ]
        })
    }
}

/// An override's fields replace the baseline's; `bucket`, `cloudwatch` and `data_events`
/// each as a whole.
impl Merge for CloudTrail {
    fn merged<'a>(base: Cow<'a, Self>, over: &'a Self) -> Cow<'a, Self> {
        let base = base.into_owned();
        Cow::Owned(CloudTrail {
            name: over.name.clone().or(base.name),
            home_region: over.home_region.clone().or(base.home_region),
            multi_region: over.multi_region.clone().or(base.multi_region),
            log_file_validation: over
                .log_file_validation
                .clone()
                .or(base.log_file_validation),
            bucket: over.bucket.clone().or(base.bucket),
            kms_key_id: over.kms_key_id.clone().or(base.kms_key_id),
            cloudwatch: over.cloudwatch.clone().or(base.cloudwatch),
            management_events: over.management_events.clone().or(base.management_events),
            data_events: over.data_events.clone().or(base.data_events),
            skip: over.skip.clone().or(base.skip),
        })
    }
}

impl CloudTrail {
    fn skipped(&self) -> bool {
        self.skip.as_ref().is_some_and(|s| *s.get())
    }

    fn management(&self) -> ManagementEvents {
        self.management_events
            .as_ref()
            .and_then(|m| ManagementEvents::parse(m.read_write.get()))
            .unwrap_or_default()
    }
}

/// The section in the registry of [`super::SECTIONS`].
pub struct CloudTrailSection;

fn pick(block: &Override) -> Option<&CloudTrail> {
    block.cloudtrail.as_ref()
}

/// Resources one account's trail can produce at most: bucket, log group, role, trail.
const MAX_TRAIL_RESOURCES: u64 = 4;

/// CloudTrail trail names: 3-128 characters, letters, digits, `.`, `_`, `-`, starting and
/// ending with a letter or digit, no `..`, `._`, `-_` and the like, not an IP address.
fn is_trail_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !["..", "._", "_.", "-.", ".-", "_-", "-_", "--", "__"]
            .iter()
            .any(|p| name.contains(p))
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

impl Checker<'_> {
    /// Checks of one `cloudtrail` block that need no account.
    fn cloudtrail(&mut self, trail: &CloudTrail, field: &str, baseline: bool) {
        if let Some(name) = &trail.name {
            if self.placeholders(name, name, &format!("{field}.name"))
                && !is_trail_name(&fill_samples(name))
            {
                self.error(
                    name.span(),
                    format!("{field}.name"),
                    format!("`{}` is not a valid trail name", name.get()),
                    Some("use 3-128 letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit, without two separators in a row".into()),
                );
            }
        }
        if let Some(region) = &trail.home_region {
            self.region(region, format!("{field}.home_region"));
        }
        if let Some(bucket) = &trail.bucket {
            let bfield = format!("{field}.bucket");
            if self.placeholders(&bucket.name, &bucket.name, &format!("{bfield}.name"))
                && !is_bucket_name(&fill_samples(&bucket.name))
            {
                self.error(
                    bucket.name.span(),
                    format!("{bfield}.name"),
                    format!("`{}` is not a valid S3 bucket name", bucket.name.get()),
                    Some("use 3-63 characters: lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit; `{account}` makes it unique per account".into()),
                );
            }
            if let Some(prefix) = &bucket.key_prefix {
                if prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains("//") {
                    self.error(
                        prefix.span(),
                        format!("{bfield}.key_prefix"),
                        format!(
                            "key prefix `{}` must not start or end with `/` or contain `//`",
                            prefix.get()
                        ),
                        Some("write e.g. `cloudtrail/bedrock`".into()),
                    );
                }
            }
        } else if baseline && !trail.skipped() {
            self.found.push(
                Diagnostic::error(self.source, trail.name.as_ref().map(|n| n.span()).as_ref(), "the trail needs a bucket for its log files")
                    .field(format!("{field}.bucket"))
                    .help("add `bucket: {name: bedrock-audit-{account}}` (created by warden) or an existing bucket with `create: false`"),
            );
        }
        if let Some(key) = &trail.kms_key_id {
            if !is_kms_key_arn(&fill_samples(key)) {
                self.error(
                    key.span(),
                    format!("{field}.kms_key_id"),
                    format!("`{}` is not a KMS key ARN", key.get()),
                    Some("write `arn:aws:kms:<home region>:{account}:key/<id>`; the key policy must let cloudtrail.amazonaws.com use it".into()),
                );
            }
        }
        if let Some(cw) = &trail.cloudwatch {
            let cfield = format!("{field}.cloudwatch");
            match (&cw.role, &cw.role_arn) {
                (None, None) => self.error(
                    cw.log_group.span(),
                    format!("{cfield}.role"),
                    "delivery to CloudWatch Logs needs a role CloudTrail can assume".into(),
                    Some("add `role: {}` (warden creates a least-privilege role) or `role_arn: arn:aws:iam::{account}:role/<name>`".into()),
                ),
                (Some(_), Some(arn)) => self.error(
                    arn.span(),
                    format!("{cfield}.role_arn"),
                    "give either `role_arn` (an existing role) or `role` (created by warden), not both".into(),
                    Some("remove one of them".into()),
                ),
                (None, Some(arn)) => {
                    if crate::spec::check::parse_role_arn(&fill_samples(arn)).is_none() {
                        self.error(
                            arn.span(),
                            format!("{cfield}.role_arn"),
                            format!("`{}` is not an IAM role ARN", arn.get()),
                            Some("write `arn:aws:iam::{account}:role/<name>`".into()),
                        );
                    }
                }
                (Some(role), None) => {
                    if let Some(name) = &role.name {
                        let sample = fill_samples(name);
                        let ok = (1..=64).contains(&sample.len())
                            && sample
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
                        if !ok {
                            self.error(
                                name.span(),
                                format!("{cfield}.role.name"),
                                format!("`{}` is not a valid IAM role name", name.get()),
                                Some("use 1-64 characters from letters, digits and `+=,.@_-`".into()),
                            );
                        }
                    }
                }
            }
        }
        if let Some(management) = &trail.management_events {
            let value = &management.read_write;
            if ManagementEvents::parse(value).is_none() {
                let hint =
                    crate::source::did_you_mean(value, ManagementEvents::NAMES.iter().copied())
                        .map(|b| format!("did you mean `{b}`? "))
                        .unwrap_or_default();
                self.error(
                    value.span(),
                    format!("{field}.management_events.read_write"),
                    format!("`{}` is not a management-event setting", value.get()),
                    Some(format!(
                        "{hint}use one of: {}",
                        ManagementEvents::NAMES.join(", ")
                    )),
                );
            }
        }
        if let Some(data) = &trail.data_events {
            let dfield = format!("{field}.data_events");
            if let Some(types) = &data.bedrock {
                for (i, name) in types.0.iter().enumerate() {
                    if name.get() == catalog::ALL {
                        continue;
                    }
                    if let catalog::Lookup::Unknown { suggestion } = catalog::lookup(name) {
                        let span = if name.span().start().is_some() {
                            name.span()
                        } else {
                            types.span()
                        };
                        self.warn(
                            span,
                            format!("{dfield}.bedrock[{i}]"),
                            format!("`{}` is not a Bedrock data-event type warden knows; it is written as `{}` anyway", name.get(), catalog::cloudtrail_type(name)),
                            Some(match suggestion {
                                Some(s) => format!("did you mean `{s}`? (types: {})", catalog::DOCS_URL),
                                None => format!("known types: {}; see {}", catalog::all().iter().map(|t| t.name).collect::<Vec<_>>().join(", "), catalog::DOCS_URL),
                            }),
                        );
                    }
                }
            }
            // The account of a written-out ARN is checked per account when the spec expands.
            for (i, prefix) in data.resources.iter().enumerate() {
                let sample = fill_samples(prefix);
                if let Some(problem) = selectors::arn_prefix_problem(&sample, "aws", "123456789012")
                    .filter(|p| !p.contains("names account"))
                {
                    self.error(
                        prefix.span(),
                        format!("{dfield}.resources[{i}]"),
                        problem,
                        Some("write a Bedrock ARN prefix of the account, e.g. `arn:{partition}:bedrock:{region}:{account}:agent-alias/`".into()),
                    );
                }
            }
            let intent = intent_of(trail, &fill_samples);
            if let Err(e) = selectors::check_limit(&selectors::generate(&intent)) {
                let span = data.bedrock.as_ref().map(|b| b.span());
                self.found.push(
                    Diagnostic::error(self.source, span.as_ref(), e.to_string())
                        .field(dfield.clone())
                        .help("list fewer types or ARN prefixes"),
                );
            }
        }
    }
}

/// What the trail records, with placeholders filled by `fill`.
fn intent_of(trail: &CloudTrail, fill: &dyn Fn(&str) -> String) -> SelectorIntent {
    let data = trail.data_events.clone().unwrap_or_default();
    let names: Vec<String> = data
        .bedrock
        .as_ref()
        .map(|l| l.0.iter().map(|n| n.get().clone()).collect())
        .unwrap_or_default();
    SelectorIntent {
        management: trail.management(),
        data_types: catalog::expand(&names),
        read_only: data.read_only.as_ref().map(|r| *r.get()),
        arn_prefixes: data.resources.iter().map(|p| fill(p)).collect(),
    }
}

impl Section for CloudTrailSection {
    fn check_baseline(&self, spec: &Spec, checker: &mut Checker) {
        if let Some(trail) = &spec.cloudtrail {
            if let Some(skip) = &trail.skip {
                checker.error(
                    skip.span(),
                    "cloudtrail.skip".into(),
                    "`skip` belongs in an account's override".into(),
                    Some("remove it here; to leave an account without a trail, add `overrides: [{cloudtrail: {skip: true}}]` to it".into()),
                );
            }
            checker.cloudtrail(trail, "cloudtrail", true);
        }
    }

    fn check_override(&self, _spec: &Spec, block: &Override, field: &str, checker: &mut Checker) {
        let Some(trail) = &block.cloudtrail else {
            return;
        };
        let field = format!("{field}.cloudtrail");
        if block.regions.is_some() {
            if let Some(home) = &trail.home_region {
                checker.error(
                    home.span(),
                    format!("{field}.home_region"),
                    "a trail is one per account: `home_region` cannot be set in an override limited to some `regions`".into(),
                    Some("move it to an override without `regions:`".into()),
                );
            }
        }
        checker.cloudtrail(trail, &field, false);
    }

    fn destinations(&self, spec: &Spec, known: &mut KnownDestinations) {
        let overrides = spec.accounts.iter().flat_map(|a| a.overrides.iter());
        let trails = spec
            .cloudtrail
            .iter()
            .chain(overrides.filter_map(|o| o.cloudtrail.as_ref()));
        for trail in trails {
            if let Some(bucket) = trail
                .bucket
                .as_ref()
                .filter(|b| b.create.as_ref().is_none_or(|c| *c.get()))
            {
                known.s3_buckets.push(bucket.name.get().clone());
            }
        }
    }

    fn count(&self, spec: &Spec) -> u64 {
        let baseline = spec.cloudtrail.as_ref();
        let accounts = spec
            .accounts
            .iter()
            .filter(|account| {
                let regions = account.regions.as_ref().unwrap_or(&spec.defaults.regions);
                regions.iter().any(|r| is_set(baseline, account, r, pick))
            })
            .count() as u64;
        accounts.saturating_mul(MAX_TRAIL_RESOURCES)
    }

    fn expand(&self, scope: &Scope, out: &mut Expansion) {
        let baseline = scope.spec().cloudtrail.as_ref();
        let Some(trail) = effective(baseline, scope.account, scope.region, pick) else {
            return;
        };
        if trail.skipped() {
            return;
        }
        let first = scope.target.regions.first().map(String::as_str);
        let home = trail
            .home_region
            .as_ref()
            .map(|h| h.get().as_str())
            .or(first)
            .unwrap_or(scope.region);
        if Some(scope.region) == first && !scope.target.regions.iter().any(|r| r == home) {
            let span = trail.home_region.as_ref().map(|h| h.span());
            out.problems.push(
                Diagnostic::error(&scope.loaded.source, span.as_ref(), format!(
                    "home_region `{home}` is not among the regions of account `{}` ({})",
                    scope.target.name,
                    scope.target.regions.join(", ")
                ))
                .field("cloudtrail.home_region")
                .help("add the region to the account's `regions`, or choose one of them (an override can set `home_region` per account)"),
            );
            return;
        }
        if scope.region != home {
            return;
        }
        match expand_trail(&trail, scope, out) {
            Ok(resources) => out.resources.extend(resources),
            Err(problems) => out.problems.extend(problems),
        }
    }
}

/// The bucket, log group, role and trail of one account, in its home region (`scope`).
fn expand_trail(
    trail: &CloudTrail,
    scope: &Scope,
    out: &Expansion,
) -> Result<Vec<DesiredResource>, Vec<Diagnostic>> {
    let source = &scope.loaded.source;
    let region = scope.region;
    let partition = regions::partition(region);
    let account = scope.target.id.as_str();
    let addr = |kind, name: &str| ResourceAddr::new(&scope.target.name, region, kind, name);
    let tags = scope.tags();
    let mut problems = Vec::new();
    let mut resources = Vec::new();
    let mut depends_on = Vec::new();

    let name = trail
        .name
        .as_ref()
        .map(|n| scope.fill(n.get()))
        .unwrap_or_else(|| DEFAULT_NAME.to_string());
    let origin = trail
        .name
        .as_ref()
        .and_then(|n| SourceFile::location(&n.span()));
    let Some(bucket) = &trail.bucket else {
        problems.push(
            Diagnostic::error(
                source,
                None,
                format!("the trail of account `{}` has no bucket", scope.target.name),
            )
            .field("cloudtrail.bucket")
            .help("add `bucket: {name: …}` to the baseline or the account's override"),
        );
        return Err(problems);
    };
    let bucket_name = scope.fill(bucket.name.get());
    if !is_bucket_name(&bucket_name) {
        problems.push(
            Diagnostic::error(source, Some(&bucket.name.span()), format!("`{bucket_name}` (for account `{}`) is not a valid S3 bucket name", scope.target.name))
                .field("cloudtrail.bucket.name")
                .help("bucket names are 3-63 lowercase letters, digits, `-` and `.`; use {account} rather than {account_name} if account names have capitals or `_`"),
        );
    }
    let prefix = bucket
        .key_prefix
        .as_ref()
        .map(|p| scope.fill(p.get()))
        .filter(|p| !p.is_empty());
    let arn = trail_policy::trail_arn(partition, region, account, &name);
    if bucket.create.as_ref().is_none_or(|c| *c.get()) {
        if out.created_here(Kind::S3Bucket).contains(&bucket_name) {
            problems.push(
                Diagnostic::error(source, Some(&bucket.name.span()), format!("bucket `{bucket_name}` is also an invocation-logging bucket in {}/{region}", scope.target.name))
                    .field("cloudtrail.bucket.name")
                    .help("give the trail its own bucket (audit logs and model invocation logs have different readers)"),
            );
        }
        let policy = trail_policy::bucket_policy(
            partition,
            &bucket_name,
            prefix.as_deref().unwrap_or(""),
            &[TrailSource {
                account: account.to_string(),
                trail_arn: arn.clone(),
            }],
        );
        resources.push(DesiredResource {
            addr: addr(Kind::S3Bucket, &bucket_name),
            props: json!({
                "policy": policy,
                "encryption": "AES256",
                "public_access_block": true,
                "tags": tags,
            }),
            depends_on: Vec::new(),
            origin: SourceFile::location(&bucket.name.span()),
        });
        depends_on.push(addr(Kind::S3Bucket, &bucket_name));
    }

    for (i, prefix) in trail
        .data_events
        .iter()
        .flat_map(|d| d.resources.iter())
        .enumerate()
    {
        let problem = selectors::arn_prefix_problem(&scope.fill(prefix), partition, account)
            .filter(|p| p.contains("names account"));
        if let Some(problem) = problem {
            problems.push(
                Diagnostic::error(
                    source,
                    Some(&prefix.span()),
                    format!("{problem} (account `{}`)", scope.target.name),
                )
                .field(format!("cloudtrail.data_events.resources[{i}]"))
                .help("use `{account}` so each account's trail names its own resources"),
            );
        }
    }

    let mut cloudwatch = Value::Null;
    if let Some(cw) = &trail.cloudwatch {
        let group = scope.fill(cw.log_group.get());
        if !out.created_here(Kind::LogGroup).contains(&group) {
            resources.push(DesiredResource {
                addr: addr(Kind::LogGroup, &group),
                props: json!({
                    "retention_days": null,
                    "kms_key_id": null,
                    "tags": tags,
                    "data_protection": null,
                }),
                depends_on: Vec::new(),
                origin: SourceFile::location(&cw.log_group.span()),
            });
        }
        depends_on.push(addr(Kind::LogGroup, &group));
        let role_arn = match (&cw.role_arn, &cw.role) {
            (Some(written), _) => scope.fill(&resolve(written)),
            (None, role) => {
                let written = role.as_ref().and_then(|r| r.name.as_ref());
                let role_name = written
                    .map(|n| scope.fill(n.get()))
                    .unwrap_or_else(|| DEFAULT_ROLE.to_string());
                resources.push(DesiredResource {
                    addr: addr(Kind::IamRole, &role_name),
                    props: json!({
                        "trust_policy": trail_policy::logs_role_trust_policy(account),
                        "inline_policies": {
                            ROLE_POLICY_NAME: trail_policy::logs_role_policy(partition, region, account, &group),
                        },
                        "tags": tags,
                    }),
                    depends_on: Vec::new(),
                    origin: SourceFile::location(&cw.log_group.span()),
                });
                depends_on.push(addr(Kind::IamRole, &role_name));
                format!("arn:{partition}:iam::{account}:role/{role_name}")
            }
        };
        cloudwatch = json!({ "log_group": group, "role_arn": role_arn });
    }

    let fill = |t: &str| scope.fill(t);
    let event_selectors = selectors::generate(&intent_of(trail, &fill));
    resources.push(DesiredResource {
        addr: addr(Kind::CloudtrailTrail, &name),
        props: json!({
            "s3_bucket": bucket_name,
            "s3_key_prefix": prefix,
            "multi_region": trail.multi_region.as_ref().is_none_or(|m| *m.get()),
            "log_file_validation": trail.log_file_validation.as_ref().is_none_or(|v| *v.get()),
            "kms_key_id": trail.kms_key_id.as_ref().map(|k| scope.fill(&resolve(k))),
            "cloudwatch": cloudwatch,
            "event_selectors": event_selectors,
            "logging": true,
            "tags": tags,
        }),
        depends_on,
        origin,
    });
    if problems.is_empty() {
        Ok(resources)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::expand::expand;
    use crate::spec::{load_source, EnvMode};

    const HEAD: &str = "version: 1\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1, eu-west-1]\n";

    fn resources(text: &str) -> (Vec<DesiredResource>, Vec<Diagnostic>) {
        let loaded = load_source(SourceFile::new("t.yaml", text), EnvMode::Lenient)
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let warnings = loaded.warnings.clone();
        let desired = expand(&loaded).unwrap_or_else(|e| panic!("{e:?}"));
        (desired.resources, warnings)
    }

    fn trail(resources: &[DesiredResource]) -> &DesiredResource {
        resources
            .iter()
            .find(|r| r.addr.kind == Kind::CloudtrailTrail)
            .expect("a trail")
    }

    #[test]
    fn one_trail_per_account_in_its_home_region_after_its_bucket_group_and_role() {
        let text = format!("{HEAD}cloudtrail:\n  home_region: eu-west-1\n  bucket: {{name: \"audit-{{account}}\"}}\n  cloudwatch: {{log_group: /ct, role: {{}}}}\n  data_events: {{bedrock: all}}\n");
        let (rs, warnings) = resources(&text);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(rs.iter().all(|r| r.addr.region == "eu-west-1"), "{rs:?}");
        let kinds: Vec<Kind> = rs.iter().map(|r| r.addr.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::S3Bucket,
                Kind::LogGroup,
                Kind::IamRole,
                Kind::CloudtrailTrail
            ]
        );
        let t = trail(&rs);
        assert_eq!(t.depends_on.len(), 3);
        assert_eq!(t.props["multi_region"], true);
        assert_eq!(t.props["log_file_validation"], true);
        assert_eq!(t.props["logging"], true);
        // `all` is the catalog: one management selector plus one per type.
        assert_eq!(
            t.props["event_selectors"].as_array().unwrap().len(),
            1 + catalog::all().len()
        );
        let role = rs.iter().find(|r| r.addr.kind == Kind::IamRole).unwrap();
        assert_eq!(
            role.props["trust_policy"]["Statement"][0]["Principal"]["Service"],
            "cloudtrail.amazonaws.com"
        );
    }

    #[test]
    fn an_override_drops_data_events_or_keeps_its_own_bucket() {
        let text = "version: 1\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1]\n    overrides:\n      - cloudtrail:\n          data_events: {bedrock: []}\n          bucket: {name: central-audit, create: false}\ncloudtrail:\n  bucket: {name: \"audit-{account}\"}\n  data_events: {bedrock: [Guardrail]}\n";
        let (rs, _) = resources(text);
        assert_eq!(rs.len(), 1, "no bucket is created: {rs:?}");
        let t = trail(&rs);
        assert_eq!(t.props["s3_bucket"], "central-audit");
        assert!(t.depends_on.is_empty());
        assert_eq!(t.props["event_selectors"].as_array().unwrap().len(), 1);
        assert_eq!(
            crate::kinds::plan_note(Kind::CloudtrailTrail, &t.props),
            None
        );
    }

    #[test]
    fn unknown_data_event_types_are_located_warnings_with_a_suggestion() {
        let text = format!("{HEAD}cloudtrail:\n  bucket: {{name: \"audit-{{account}}\"}}\n  data_events: {{bedrock: [Guardrails, AgentAlias]}}\n");
        let (rs, warnings) = resources(&text);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let shown = format!("{:?}", warnings[0]);
        assert!(
            shown.contains("Guardrails") && shown.contains("did you mean `Guardrail`"),
            "{shown}"
        );
        assert_eq!(warnings[0].position(), "t.yaml:8:27");
        // Still written: AWS adds types faster than any catalog.
        assert!(trail(&rs).props["event_selectors"]
            .to_string()
            .contains("AWS::Bedrock::Guardrails"));
    }

    #[test]
    fn skip_in_an_override_leaves_the_account_without_a_trail() {
        let text = "version: 1\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1]\n    overrides: [{cloudtrail: {skip: true}}]\ncloudtrail:\n  bucket: {name: \"audit-{account}\"}\n";
        let (rs, _) = resources(text);
        assert!(rs.is_empty(), "{rs:?}");
    }

    #[test]
    fn trail_names_follow_cloudtrail_rules() {
        assert!(is_trail_name("bedrock-audit"));
        assert!(is_trail_name("audit.123456789012_x"));
        assert!(!is_trail_name("ab"));
        assert!(!is_trail_name("-audit"));
        assert!(!is_trail_name("a--b"));
        assert!(!is_trail_name("a b c"));
        assert!(!is_trail_name("10.0.0.1"));
    }
}
