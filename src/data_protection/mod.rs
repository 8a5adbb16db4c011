//! CloudWatch Logs data protection (audit and mask sensitive data in invocation logs): the spec block, its offline checks, and the policy document.
//!
//! Users write a short block; warden builds the policy document AWS expects and compares live
//! policies by meaning, never by layout. Everything here is pure (no AWS calls).
//!
//! ```yaml
//! data_protection:
//!   identifiers: [EmailAddress, IpAddress, AwsSecretKey, CreditCardNumber]
//!   custom_identifiers:
//!     - { name: EmployeeId, regex: 'EMP-\d{6}' }
//!   findings:
//!     log_group: /aws/bedrock/data-protection-findings
//!   mask: true
//! ```
//!
//! Facts relied on (PutDataProtectionPolicy API reference; CloudWatch Logs user guide,
//! "Custom data identifiers"):
//! - the document is at most [`MAX_DOCUMENT_CHARS`] characters;
//! - it holds one Audit statement and one Deidentify statement whose `DataIdentifier` arrays
//!   "must exactly match", so every audited identifier is masked: masking cannot be off,
//!   and readers with `logs:Unmask` still see clear text;
//! - at most [`MAX_CUSTOM_IDENTIFIERS`] custom identifiers per policy, names of at most
//!   [`MAX_CUSTOM_NAME_CHARS`] characters from `[A-Za-z0-9_-]`, not a managed identifier's
//!   name; regexes of at most [`MAX_CUSTOM_REGEX_CHARS`] characters from a documented set;
//! - findings destinations (log group, S3 bucket, Firehose stream) must already exist;
//! - the policy `Name` may only use letters, digits, `-` and `_` (aws/aws-cdk#33557).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::source::Sp;

pub mod catalog;
mod checks;
mod diff;
pub mod document;
mod props;

pub use checks::{check, check_destinations, KnownDestinations};
pub use diff::{describe_differences, describe_policy};
pub use document::{build_document, normalize_document, DocumentError};

use props::{Findings, Policy};

/// Policy name used when the block does not give one.
pub const DEFAULT_POLICY_NAME: &str = "warden-data-protection";
/// The only policy language version.
pub const POLICY_VERSION: &str = "2021-06-01";
/// Longest policy document PutDataProtectionPolicy accepts, in characters.
pub const MAX_DOCUMENT_CHARS: usize = 30_720;
/// Custom data identifiers allowed in one policy.
pub const MAX_CUSTOM_IDENTIFIERS: usize = 10;
/// Longest custom identifier name.
pub const MAX_CUSTOM_NAME_CHARS: usize = 128;
/// Longest custom identifier regex.
pub const MAX_CUSTOM_REGEX_CHARS: usize = 200;

/// The spec block, as users write it under a log group (also usable in the baseline).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataProtectionSpec {
    /// Managed identifier names, e.g. [EmailAddress, IpAddress, AwsSecretKey, CreditCardNumber].
    /// Names are case-sensitive; region-dependent ones carry a country code (`DriversLicense-US`).
    #[serde(default)]
    #[schemars(schema_with = "managed_identifiers_schema")]
    pub identifiers: Vec<Sp<String>>,
    /// Your own identifiers: a name and a regular expression (at most 10 per policy).
    /// They are audited and masked like managed ones.
    #[serde(default)]
    pub custom_identifiers: Vec<CustomIdentifierSpec>,
    /// Where audit findings are sent: any of a log group, an S3 bucket and a Firehose stream.
    /// Without it, findings are only counted in CloudWatch metrics.
    #[serde(default)]
    pub findings: Option<Sp<FindingsSpec>>,
    /// `true` (default): mask every audited identifier. A list of identifier names must name
    /// every audited identifier, since CloudWatch Logs masks exactly what it audits.
    /// `false` is refused: AWS has no audit-only policy.
    #[serde(default)]
    pub mask: Option<Sp<Mask>>,
    /// Policy name, shown as a dimension of the audit metrics (default "warden-data-protection").
    /// Letters, digits, `-` and `_`.
    #[serde(default)]
    pub name: Option<Sp<String>>,
}

/// A custom data identifier.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomIdentifierSpec {
    /// Name, 1-128 letters, digits, `_` or `-`; must differ from every managed identifier.
    pub name: Sp<String>,
    /// Regular expression, at most 200 characters, e.g. `EMP-\d{6}`. Quote it in YAML.
    pub regex: Sp<String>,
}

/// Where audit findings go.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingsSpec {
    /// Log group name, e.g. `/aws/bedrock/data-protection-findings`. May use placeholders.
    #[serde(default)]
    pub log_group: Option<Sp<String>>,
    /// S3 bucket name, e.g. `findings-{account}-{region}`. May use placeholders.
    #[serde(default)]
    pub s3_bucket: Option<Sp<String>>,
    /// Kinesis Data Firehose delivery stream name.
    #[serde(default)]
    pub firehose: Option<Sp<String>>,
    /// `true` when the destinations exist outside this spec (AWS requires them to exist
    /// before the policy is written). Default: they must be defined in this spec.
    #[serde(default)]
    pub external: Option<Sp<bool>>,
}

/// Which audited identifiers are masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mask {
    /// `true`: every audited identifier; `false`: none (refused by the checks).
    All(bool),
    /// These identifiers only.
    Only(Vec<String>),
}

impl<'de> Deserialize<'de> for Mask {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MaskVisitor;
        impl<'de> Visitor<'de> for MaskVisitor {
            type Value = Mask;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`true`, `false` or a list of identifier names")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Mask, E> {
                Ok(Mask::All(v))
            }
            // The spec loader hands scalars over as text.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Mask, E> {
                match v.trim() {
                    t if t.eq_ignore_ascii_case("true") => Ok(Mask::All(true)),
                    t if t.eq_ignore_ascii_case("false") => Ok(Mask::All(false)),
                    t => Err(E::custom(format!(
                        "`{t}` is not a mask setting: write `true`, or a list such as `[{t}]`"
                    ))),
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Mask, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(Mask::Only(names))
            }
        }
        deserializer.deserialize_any(MaskVisitor)
    }
}

impl JsonSchema for Mask {
    fn schema_name() -> Cow<'static, str> {
        "Mask".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Which audited identifiers are masked: `true` (all, the default) or a list naming every audited identifier. `false` is refused: CloudWatch Logs masks whatever it audits.",
            "oneOf": [
                { "type": "boolean" },
                { "type": "array", "items": { "type": "string" }, "minItems": 1, "uniqueItems": true }
            ]
        })
    }
}

fn managed_identifiers_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = catalog::all().collect();
    json_schema!({
        "description": "CloudWatch Logs managed data identifier names.",
        "type": "array",
        "items": { "type": "string", "enum": names },
        "uniqueItems": true
    })
}

/// Normalized properties: the comparable shape the plan diffs. Identifier sets are objects so
/// a field diff reads as `identifiers.EmailAddress: (none) → true`:
///
/// ```json
/// {"name": "warden-data-protection",
///  "identifiers": {"EmailAddress": true, "IpAddress": true},
///  "custom_identifiers": {"EmployeeId": "EMP-\\d{6}"},
///  "findings": {"log_group": "/findings", "s3_bucket": null, "firehose": null},
///  "mask": {"EmailAddress": true, "EmployeeId": true, "IpAddress": true}}
/// ```
///
/// `fill` replaces placeholders such as `{account}`/`{region}` in destination names. Run
/// [`check`] first: this assumes a block that passed it.
pub fn desired_props(
    spec: &DataProtectionSpec,
    fill: &dyn Fn(&str) -> String,
) -> serde_json::Value {
    desired_policy(spec, fill).to_props()
}

fn desired_policy(spec: &DataProtectionSpec, fill: &dyn Fn(&str) -> String) -> Policy {
    let identifiers: BTreeSet<String> = spec.identifiers.iter().map(|i| i.get().clone()).collect();
    let custom = spec
        .custom_identifiers
        .iter()
        .map(|c| (c.name.get().clone(), c.regex.get().clone()))
        .collect();
    let destination = |d: &Option<Sp<String>>| d.as_ref().map(|name| fill(name));
    let findings = spec
        .findings
        .as_ref()
        .map(|f| Findings {
            log_group: destination(&f.log_group),
            s3_bucket: destination(&f.s3_bucket),
            firehose: destination(&f.firehose),
        })
        .unwrap_or_default();
    let mut policy = Policy {
        name: Some(
            spec.name
                .as_ref()
                .map(|n| n.get().clone())
                .unwrap_or_else(|| DEFAULT_POLICY_NAME.to_string()),
        ),
        identifiers,
        custom,
        findings,
        mask: BTreeSet::new(),
    };
    policy.mask = match spec.mask.as_ref().map(|m| m.get()) {
        None | Some(Mask::All(true)) => policy.audited(),
        Some(Mask::All(false)) => BTreeSet::new(),
        Some(Mask::Only(names)) => names.iter().cloned().collect(),
    };
    policy
}

#[cfg(test)]
mod tests;
