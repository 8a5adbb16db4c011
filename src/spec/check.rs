//! Offline checks of a parsed spec: every rule AWS would enforce later, reported now with its location.

use std::collections::{BTreeMap, HashMap};

use marked_yaml::Span;

use super::env::{self, EnvError, EnvMode};
use super::sections::SECTIONS;
use super::types::{Account, Spec};
use crate::source::{did_you_mean, regions, Diagnostic, SourceFile, Sp};

/// Tag keys under this prefix are written by the tool itself.
pub const RESERVED_TAG_PREFIX: &str = "warden:";
pub use crate::source::PLACEHOLDERS;

/// Runs every check; an empty result with no errors means the spec can be expanded.
pub fn check(spec: &Spec, source: &SourceFile, mode: EnvMode) -> Vec<Diagnostic> {
    let mut checker = Checker {
        source,
        mode,
        found: Vec::new(),
        destinations: known_destinations(spec),
    };
    checker.spec(spec);
    let mut found = checker.found;
    found.sort_by_key(|d| d.location.map(|l| (l.line, l.column)));
    found
}

/// Collects the findings of every check; sections add theirs through its helpers.
pub struct Checker<'a> {
    pub(crate) source: &'a SourceFile,
    mode: EnvMode,
    pub(crate) found: Vec<Diagnostic>,
    /// What the spec itself creates, for findings destinations (names as written).
    destinations: crate::data_protection::KnownDestinations,
}

/// Log groups and buckets the spec defines anywhere (baseline and overrides), as each section
/// reports them.
fn known_destinations(spec: &Spec) -> crate::data_protection::KnownDestinations {
    let mut known = crate::data_protection::KnownDestinations {
        log_groups: Vec::new(),
        s3_buckets: Vec::new(),
        firehose_streams: Vec::new(),
    };
    for section in SECTIONS {
        section.destinations(spec, &mut known);
    }
    known
}

impl Checker<'_> {
    /// Raised quotas: `service:Operation` of an operation warden paces, a positive rate.
    fn quotas(&mut self, quotas: &BTreeMap<String, Sp<f64>>) {
        let known = crate::cloud::pace::documented_quotas();
        for (key, rate) in quotas {
            let field = format!("defaults.quotas.{key}");
            if !known.contains_key(key) {
                let hint = did_you_mean(key, known.keys().map(String::as_str))
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                self.error(
                    rate.span(),
                    field,
                    format!("`{key}` is not an operation warden paces"),
                    Some(format!(
                        "{hint}name it `service:Operation` as in IAM policies, e.g. `logs:ListTagsForResource`"
                    )),
                );
            } else if !(rate.get().is_finite() && *rate.get() > 0.0) {
                self.error(
                    rate.span(),
                    field,
                    format!(
                        "a quota of {} requests per second paces nothing",
                        rate.get()
                    ),
                    Some(
                        "give the raised quota AWS granted, in requests per second (e.g. 20)"
                            .into(),
                    ),
                );
            }
        }
    }

    pub(crate) fn error(
        &mut self,
        span: Span,
        field: String,
        message: String,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::error(self.source, Some(&span), message).field(field);
        if let Some(h) = help {
            d = d.help(h);
        }
        self.found.push(d);
    }

    pub(crate) fn warn(
        &mut self,
        span: Span,
        field: String,
        message: String,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::warning(self.source, Some(&span), message).field(field);
        if let Some(h) = help {
            d = d.help(h);
        }
        self.found.push(d);
    }

    fn spec(&mut self, spec: &Spec) {
        if *spec.version.get() != 1 {
            self.error(
                spec.version.span(),
                "version".into(),
                format!("unsupported spec version {}", spec.version.get()),
                Some("this warden reads `version: 1`".into()),
            );
        }
        if let Some(project) = &spec.project {
            if !is_simple_name(project, 64) {
                self.error(
                    project.span(),
                    "project".into(),
                    format!("`{}` is not a valid project name", project.get()),
                    Some("use 1-64 letters, digits, `-`, `_` or `.`, starting with a letter or digit".into()),
                );
            }
        }
        for (i, region) in spec.defaults.regions.iter().enumerate() {
            self.region(region, format!("defaults.regions[{i}]"));
        }
        self.duplicates(
            spec.defaults
                .regions
                .iter()
                .map(|r| (r.get().as_str(), r.span())),
            "defaults.regions",
            "region",
        );
        self.tags(&spec.defaults.tags, "defaults.tags");
        self.quotas(&spec.defaults.quotas);

        self.accounts_from(spec);
        if spec.accounts.is_empty() && spec.accounts_from.is_none() {
            self.error(
                spec.accounts.span(),
                "accounts".into(),
                "the list is empty, so the spec governs no account".into(),
                Some("add at least one account with `name`, `id` and `regions`".into()),
            );
        }
        let mut names: HashMap<&str, Span> = HashMap::new();
        let mut ids: HashMap<String, Span> = HashMap::new();
        for (i, account) in spec.accounts.iter().enumerate() {
            let field = format!("accounts[{i}]");
            if let Some(first) = names.insert(account.name.as_str(), account.name.span()) {
                self.error(
                    account.name.span(),
                    format!("{field}.name"),
                    format!("account name `{}` is used twice", account.name.get()),
                    Some(format!(
                        "names must be unique (first use at line {})",
                        line(&first)
                    )),
                );
            }
            if let Some(id) = self.account(spec, account, &field) {
                if let Some(first) = ids.insert(id.clone(), account.id.span()) {
                    self.error(
                        account.id.span(),
                        format!("{field}.id"),
                        format!("account id {id} is listed twice"),
                        Some(format!(
                            "list each account once (first at line {}); use `regions` for more regions",
                            line(&first)
                        )),
                    );
                }
            }
        }
        for section in SECTIONS {
            section.check_baseline(spec, self);
        }
    }

    /// Checks one account; returns its resolved id when it is valid.
    fn account(&mut self, spec: &Spec, account: &Account, field: &str) -> Option<String> {
        if !is_simple_name(&account.name, 64) || account.name.contains('.') {
            self.error(
                account.name.span(),
                format!("{field}.name"),
                format!("`{}` is not a valid account name", account.name.get()),
                Some("use 1-64 letters, digits, `-` or `_` (it appears in addresses such as `prod-ops/us-east-1/…`)".into()),
            );
        }
        let id = self.resolve(&account.id, &format!("{field}.id"));
        if let Some(id) = &id {
            if !is_account_id(id) {
                let digits = id.chars().filter(char::is_ascii_digit).count();
                let detail = if id.chars().all(|c| c.is_ascii_digit()) {
                    format!(" (it has {digits} digits)")
                } else if digits == 12 {
                    " (write the 12 digits only, without separators)".to_string()
                } else {
                    String::new()
                };
                self.error(
                    account.id.span(),
                    format!("{field}.id"),
                    format!("`{id}` is not an AWS account id{detail}"),
                    Some("an account id is exactly 12 digits; quote it (`id: \"012345678901\"`) so leading zeros stay".into()),
                );
            }
        }
        if let Some(role) = &account.role_arn {
            if let Some(arn) = self.resolve(role, &format!("{field}.role_arn")) {
                match parse_role_arn(&arn) {
                    None => self.error(
                        role.span(),
                        format!("{field}.role_arn"),
                        format!("`{arn}` is not an IAM role ARN"),
                        Some("write `arn:aws:iam::<12-digit account id>:role/<role name>`".into()),
                    ),
                    Some(role_account) => {
                        if let Some(id) = id.as_ref().filter(|id| is_account_id(id)) {
                            if role_account != *id {
                                self.error(
                                    role.span(),
                                    format!("{field}.role_arn"),
                                    format!("the role is in account {role_account}, but this account's id is {id}"),
                                    Some("assume a role that lives in the governed account itself".into()),
                                );
                            }
                        }
                    }
                }
            }
        }
        if let Some(external_id) = &account.external_id {
            if account.role_arn.is_none() {
                self.error(
                    external_id.span(),
                    format!("{field}.external_id"),
                    "`external_id` is only used when assuming a role".into(),
                    Some("add `role_arn`, or remove `external_id`".into()),
                );
            }
            if let Some(value) = self.resolve(external_id, &format!("{field}.external_id")) {
                let ok = (2..=1224).contains(&value.len())
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
                if !ok {
                    self.error(
                        external_id.span(),
                        format!("{field}.external_id"),
                        "the external id is not valid for STS AssumeRole".into(),
                        Some("use 2-1224 characters from letters, digits and `+=,.@:/-_`".into()),
                    );
                }
            }
        }
        let regions: Vec<&Sp<String>> = match &account.regions {
            Some(own) => own.iter().collect(),
            None => spec.defaults.regions.iter().collect(),
        };
        if regions.is_empty() {
            self.error(
                account.name.span(),
                format!("{field}.regions"),
                format!("account `{}` has no regions", account.name.get()),
                Some("add `regions: [us-east-1]` to the account, or `defaults.regions`".into()),
            );
        }
        if let Some(own) = &account.regions {
            for (i, region) in own.iter().enumerate() {
                self.region(region, format!("{field}.regions[{i}]"));
            }
            self.duplicates(
                own.iter().map(|r| (r.get().as_str(), r.span())),
                &format!("{field}.regions"),
                "region",
            );
        }
        self.tags(&account.tags, &format!("{field}.tags"));
        for (o, block) in account.overrides.iter().enumerate() {
            let ofield = format!("{field}.overrides[{o}]");
            if let Some(only) = &block.regions {
                for (i, region) in only.iter().enumerate() {
                    let rfield = format!("{ofield}.regions[{i}]");
                    self.region(region, rfield.clone());
                    if regions::is_known(region) && !regions.iter().any(|r| r.get() == region.get())
                    {
                        self.error(
                            region.span(),
                            rfield,
                            format!(
                                "`{}` is not one of account `{}`'s regions",
                                region.get(),
                                account.name.get()
                            ),
                            Some(format!(
                                "the account governs: {}",
                                regions
                                    .iter()
                                    .map(|r| r.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        );
                    }
                }
            }
            for section in SECTIONS {
                section.check_override(spec, block, &ofield, self);
            }
        }
        id
    }

    pub(crate) fn data_protection(
        &mut self,
        protection: &crate::data_protection::DataProtectionSpec,
        field: &str,
    ) {
        let found = crate::data_protection::check(protection, self.source, field);
        self.found.extend(found);
        let found = crate::data_protection::check_destinations(
            protection,
            self.source,
            field,
            &self.destinations,
        );
        self.found.extend(found);
    }

    /// Reports unknown `{placeholders}`; `true` when there are none.
    pub(crate) fn placeholders(&mut self, at: &Sp<String>, value: &str, field: &str) -> bool {
        let mut known = true;
        let mut rest = value;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let placeholder = &rest[start..start + len + 1];
            if !PLACEHOLDERS.contains(&placeholder) {
                let hint = did_you_mean(placeholder, PLACEHOLDERS.iter().copied())
                    .map(|p| format!("did you mean `{p}`? "))
                    .unwrap_or_default();
                self.error(
                    at.span(),
                    field.to_string(),
                    format!("unknown placeholder `{placeholder}`"),
                    Some(format!("{hint}placeholders: {}", PLACEHOLDERS.join(", "))),
                );
                known = false;
            }
            rest = &rest[start + len + 1..];
        }
        known
    }

    pub(crate) fn region(&mut self, region: &Sp<String>, field: String) {
        if !regions::is_known(region) {
            let help = match did_you_mean(region, regions::all()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "use a region code such as `us-east-1` or `eu-central-1`".to_string(),
            };
            self.error(
                region.span(),
                field,
                format!("`{}` is not an AWS region", region.get()),
                Some(help),
            );
        }
    }

    pub(crate) fn tags(&mut self, tags: &BTreeMap<String, Sp<String>>, field: &str) {
        for (key, value) in tags {
            let tfield = format!("{field}.{key}");
            let key_span = self.key_span(value, key);
            let key_chars = key.chars().count();
            if key_chars == 0 || key_chars > 128 {
                self.error(
                    key_span,
                    tfield.clone(),
                    format!("tag keys must be 1-128 characters; this one has {key_chars}"),
                    Some("shorten the key".into()),
                );
            }
            if key.to_ascii_lowercase().starts_with("aws:") {
                self.error(
                    key_span,
                    tfield.clone(),
                    format!("tag key `{key}` uses the prefix `aws:`, which AWS reserves"),
                    Some("choose another key, e.g. without the `aws:` prefix".into()),
                );
            }
            if key.starts_with(RESERVED_TAG_PREFIX) {
                self.error(
                    key_span,
                    tfield.clone(),
                    format!("tag key `{key}` uses the prefix `{RESERVED_TAG_PREFIX}`, which warden reserves for ownership"),
                    Some("choose another key; warden sets `warden:managed-by` itself (from `project`)".into()),
                );
            }
            if let Some(bad) = first_non_tag_char(key) {
                self.error(
                    key_span,
                    tfield.clone(),
                    format!(
                        "tag key `{}` contains {}, which AWS does not accept in tags",
                        key.escape_debug(),
                        describe_char(bad)
                    ),
                    Some(TAG_CHARS_HELP.into()),
                );
            }
            let value_chars = value.chars().count();
            if value_chars > 256 {
                self.error(
                    value.span(),
                    tfield.clone(),
                    format!("tag values are at most 256 characters; this one has {value_chars}"),
                    Some("shorten the value".into()),
                );
            }
            // Placeholders and environment references are replaced before AWS sees the
            // value: check what they stand for (an unset variable is reported by `resolve`).
            let resolved = if env::has_reference(value) {
                self.resolve(value, &tfield)
            } else {
                Some(value.get().clone())
            };
            let filled = resolved.map(|v| {
                PLACEHOLDERS
                    .iter()
                    .fold(v, |v, placeholder| v.replace(placeholder, "x"))
            });
            if let Some(bad) = filled.as_deref().and_then(first_non_tag_char) {
                self.error(
                    value.span(),
                    tfield.clone(),
                    format!(
                        "the value of tag `{}` contains {}, which AWS does not accept in tags",
                        key.escape_debug(),
                        describe_char(bad)
                    ),
                    Some(TAG_CHARS_HELP.into()),
                );
            }
        }
    }

    pub(crate) fn duplicates<'s>(
        &mut self,
        items: impl Iterator<Item = (&'s str, Span)>,
        field: &str,
        what: &str,
    ) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (i, (value, span)) in items.enumerate() {
            if let Some(first) = seen.insert(value, span) {
                self.error(
                    span,
                    format!("{field}[{i}]"),
                    format!("{what} `{value}` is listed twice"),
                    Some(format!(
                        "remove one of them (the first is at line {})",
                        line(&first)
                    )),
                );
            }
        }
    }

    /// Where a mapping key is written, found from its value's position (tag keys are plain
    /// strings without spans): the key's last occurrence shortly before the value on its line.
    /// Only a bounded stretch before the value is searched, so that a spec written on one long
    /// line (flow style) is still checked in linear time.
    pub(crate) fn key_span(&self, value: &Sp<String>, key: &str) -> Span {
        const LOOK_BACK: usize = 1024;
        let span = value.span();
        let Some(start) = span.start() else {
            return span;
        };
        if key.is_empty() {
            return span;
        }
        let text = self.source.text.as_str();
        let value_at = self.source.offset_of(start.line(), start.column());
        let line_start = self.source.offset_of(start.line(), 1);
        let mut from = value_at
            .saturating_sub(key.len() + LOOK_BACK)
            .max(line_start);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        match text[from..value_at].rfind(key) {
            Some(i) => self.source.span_between(from + i, from + i + key.len()),
            None => span,
        }
    }

    /// Resolves `${env:…}`; `None` when the value is unknown here (reported as appropriate).
    pub(crate) fn resolve(&mut self, value: &Sp<String>, field: &str) -> Option<String> {
        match env::interpolate(value, env::from_process) {
            Ok(v) => Some(v),
            Err(EnvError::Missing(name)) => {
                let message = format!("environment variable `{name}` is not set");
                let help = Some(format!("export {name}=… before running warden"));
                match self.mode {
                    EnvMode::Strict => self.error(value.span(), field.to_string(), message, help),
                    EnvMode::Lenient => self.warn(
                        value.span(),
                        field.to_string(),
                        format!("{message}; the value is checked when `plan` runs"),
                        help,
                    ),
                }
                None
            }
            Err(EnvError::Malformed(text)) => {
                self.error(
                    value.span(),
                    field.to_string(),
                    format!("`{text}` is not a valid environment reference"),
                    Some("write `${env:NAME}` with NAME made of letters, digits and `_`".into()),
                );
                None
            }
        }
    }
}

/// What CloudWatch Logs (TagResource), IAM (TagRole) and S3 (PutBucketTagging) accept in tag
/// keys and values: `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$` in their API models.
const TAG_CHARS_HELP: &str = "tags may use letters, digits, spaces and `_ . : / = + - @` only (CloudWatch Logs, IAM and S3 reject other characters, such as emoji)";

/// The first character of `text` outside the tag alphabet of CloudWatch Logs, IAM and S3.
fn first_non_tag_char(text: &str) -> Option<char> {
    static OUTSIDE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let outside = OUTSIDE.get_or_init(|| {
        regex::Regex::new(r"[^\p{L}\p{Z}\p{N}_.:/=+\-@]").expect("a valid pattern")
    });
    outside.find(text).and_then(|m| m.as_str().chars().next())
}

/// `` `😀` (U+1F600) ``, or only the code point for characters a terminal would not show.
fn describe_char(c: char) -> String {
    if c.is_control()
        || c.is_whitespace()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
    {
        format!("U+{:04X}", c as u32)
    } else {
        format!("`{c}` (U+{:04X})", c as u32)
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn line(span: &Span) -> usize {
    span.start().map(|m| m.line()).unwrap_or(0)
}

fn is_simple_name(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// The account id of `arn:<partition>:iam::<account>:role/<name>`.
pub fn parse_role_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && is_account_id(account)
                && resource.strip_prefix("role/").is_some_and(|n| {
                    !n.is_empty()
                        && n.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
                }) =>
        {
            Some(account.to_string())
        }
        _ => None,
    }
}

pub(crate) fn is_kms_key_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(),
        ["arn", partition, "kms", region, account, resource]
            if partition.starts_with("aws")
                && !region.is_empty()
                && is_account_id(account)
                && resource.strip_prefix("key/").is_some_and(|k| !k.is_empty()))
}

/// Replaces placeholders with sample values so a template can be checked offline.
pub(crate) fn fill_samples(value: &str) -> String {
    value
        .replace("{account}", "123456789012")
        .replace("{account_name}", "sample")
        .replace("{region}", "us-east-1")
        .replace("{partition}", "aws")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_errors(tags: &str) -> Vec<String> {
        let text = format!(
            "version: 1\naccounts:\n  - name: a\n    id: \"111111111111\"\n    regions: [us-east-1]\nlog_groups:\n  - name: /g\n    tags: {tags}\n"
        );
        let source = SourceFile::new("t.yaml", text);
        let spec = super::super::parse::parse_spec(&source).expect("parses");
        check(&spec, &source, EnvMode::Lenient)
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn tags_use_the_characters_aws_accepts() {
        for fine in [
            "{team: platform}",
            "{\"cost center\": \"A-1 / B:2 = C+3 @x_y.z\"}",
            "{stadt: Zürich, 東京: 値, n: \"١٢٣\"}",
            "{where: \"{account_name}-{region}\"}",
            "{empty: \"\"}",
        ] {
            assert_eq!(tag_errors(fine), Vec::<String>::new(), "{fine}");
        }
        for (bad, shown) in [
            ("{\"mood😀\": x}", "`😀` (U+1F600)"),
            ("{mood: \"ok 🚀\"}", "`🚀` (U+1F680)"),
            ("{k: \"a\\tb\"}", "U+0009"),
            ("{k: \"a#b\"}", "`#` (U+0023)"),
            ("{k: \"{unknown}\"}", "`{` (U+007B)"),
            ("{\"k\\e\": v}", "U+001B"),
        ] {
            let errors = tag_errors(bad);
            assert!(
                errors.len() == 1 && errors[0].contains(shown) && !errors[0].contains('\u{1b}'),
                "{bad}: {errors:?}"
            );
        }
    }

    #[test]
    fn recognises_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::111111111111:role/path/warden"),
            Some("111111111111".into())
        );
        assert_eq!(parse_role_arn("arn:aws:iam::1111:role/x"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::111111111111:user/x"), None);
        assert!(is_kms_key_arn("arn:aws:kms:us-east-1:111111111111:key/abc"));
        assert!(!is_kms_key_arn(
            "arn:aws:kms:us-east-1:111111111111:alias/abc"
        ));
    }
}
