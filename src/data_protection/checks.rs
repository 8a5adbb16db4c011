//! Offline checks of a data_protection block: every rule PutDataProtectionPolicy would enforce, reported before any AWS call.

use std::collections::{BTreeSet, HashMap};

use marked_yaml::Span;

use super::catalog;
use super::document::build_document;
use super::{
    desired_policy, DataProtectionSpec, FindingsSpec, Mask, MAX_CUSTOM_IDENTIFIERS,
    MAX_CUSTOM_NAME_CHARS, MAX_CUSTOM_REGEX_CHARS, MAX_DOCUMENT_CHARS,
};
use crate::source::Sp;
use crate::source::PLACEHOLDERS;
use crate::source::{did_you_mean, regions, Diagnostic, SourceFile};

/// Symbols AWS documents as supported in custom identifier regexes, besides letters and digits.
const REGEX_SYMBOLS: &str = "_#=@/;,- ^$?[]{}|\\*+.";

/// Offline checks of one block; `field` is its path in the document (e.g.
/// `log_groups[0].data_protection`) for messages. Whether findings destinations exist in the
/// spec needs the whole spec: see [`check_destinations`].
pub fn check(spec: &DataProtectionSpec, source: &SourceFile, field: &str) -> Vec<Diagnostic> {
    let mut checker = Checker {
        source,
        field,
        found: Vec::new(),
    };
    checker.identifiers(spec);
    checker.custom_identifiers(spec);
    checker.nothing_audited(spec);
    checker.mask(spec);
    checker.findings(spec);
    checker.name(spec);
    if !checker.found.iter().any(Diagnostic::is_error) {
        checker.size(spec, MAX_DOCUMENT_CHARS);
    }
    checker.found
}

/// The size check alone, against any limit (the real one cannot be reached with today's
/// catalog, so tests use a smaller one to see the error).
#[cfg(test)]
pub(super) fn check_size(
    spec: &DataProtectionSpec,
    source: &SourceFile,
    field: &str,
    limit: usize,
) -> Vec<Diagnostic> {
    let mut checker = Checker {
        source,
        field,
        found: Vec::new(),
    };
    checker.size(spec, limit);
    checker.found
}

/// The destinations a spec defines, for [`check_destinations`]. Names are compared as written
/// (placeholders unexpanded), the way the spec defines them.
#[derive(Debug, Clone, Default)]
pub struct KnownDestinations {
    pub log_groups: Vec<String>,
    pub s3_buckets: Vec<String>,
    pub firehose_streams: Vec<String>,
}

/// Findings destinations must exist before the policy is written: each one must be defined in
/// the spec (so warden creates it first) unless the block says `external: true`.
pub fn check_destinations(
    spec: &DataProtectionSpec,
    source: &SourceFile,
    field: &str,
    known: &KnownDestinations,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let Some(findings) = &spec.findings else {
        return found;
    };
    if findings.external.as_ref().is_some_and(|e| *e.get()) {
        return found;
    }
    let wanted = [
        (
            "log_group",
            "log group",
            &findings.log_group,
            &known.log_groups,
            "define it under `log_groups`",
        ),
        (
            "s3_bucket",
            "S3 bucket",
            &findings.s3_bucket,
            &known.s3_buckets,
            "define it in this spec",
        ),
        (
            "firehose",
            "Firehose stream",
            &findings.firehose,
            &known.firehose_streams,
            "define it in this spec",
        ),
    ];
    for (key, what, name, defined, define) in wanted {
        let Some(name) = name else { continue };
        if defined.iter().any(|d| d == name.get()) {
            continue;
        }
        let hint = did_you_mean(name, defined.iter().map(String::as_str))
            .map(|d| format!("did you mean `{d}`? Otherwise "))
            .unwrap_or_default();
        found.push(
            Diagnostic::error(
                source,
                Some(&name.span()),
                format!(
                    "findings go to {what} `{}`, which this spec does not define",
                    name.get()
                ),
            )
            .field(format!("{field}.findings.{key}"))
            .help(format!(
                "{hint}{define}, or set `findings.external: true` if it exists outside this spec \
                 (CloudWatch Logs requires it to exist before the policy is written)"
            )),
        );
    }
    found
}

struct Checker<'a> {
    source: &'a SourceFile,
    field: &'a str,
    found: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, span: Option<Span>, path: &str, message: String, help: Option<String>) {
        let field = if path.is_empty() {
            self.field.to_string()
        } else {
            format!("{}.{path}", self.field)
        };
        let mut d = Diagnostic::error(self.source, span.as_ref(), message).field(field);
        if let Some(h) = help {
            d = d.help(h);
        }
        self.found.push(d);
    }

    fn identifiers(&mut self, spec: &DataProtectionSpec) {
        let custom: Vec<&str> = spec
            .custom_identifiers
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (i, id) in spec.identifiers.iter().enumerate() {
            let path = format!("identifiers[{i}]");
            if let Some(first) = seen.insert(id.as_str(), id.span()) {
                self.error(
                    Some(id.span()),
                    &path,
                    format!("identifier `{}` is listed twice", id.get()),
                    Some(format!(
                        "remove one of them (the first is at line {})",
                        line(&first)
                    )),
                );
                continue;
            }
            if catalog::is_managed(id) {
                continue;
            }
            let (message, help) = unknown_identifier(id, &custom);
            self.error(Some(id.span()), &path, message, Some(help));
        }
    }

    fn custom_identifiers(&mut self, spec: &DataProtectionSpec) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (i, custom) in spec.custom_identifiers.iter().enumerate() {
            let path = format!("custom_identifiers[{i}]");
            let name = &custom.name;
            if i == MAX_CUSTOM_IDENTIFIERS {
                self.error(
                    Some(name.span()),
                    &path,
                    format!(
                        "a data-protection policy holds at most {MAX_CUSTOM_IDENTIFIERS} custom identifiers; this block has {}",
                        spec.custom_identifiers.len()
                    ),
                    Some("merge related patterns into one regex with `|`, or split the log groups".into()),
                );
            }
            if let Some(first) = seen.insert(name.as_str(), name.span()) {
                self.error(
                    Some(name.span()),
                    &format!("{path}.name"),
                    format!("custom identifier `{}` is defined twice", name.get()),
                    Some(format!(
                        "rename or remove one of them (the first is at line {})",
                        line(&first)
                    )),
                );
            }
            let length = name.chars().count();
            let charset = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if length == 0 || length > MAX_CUSTOM_NAME_CHARS || !charset {
                self.error(
                    Some(name.span()),
                    &format!("{path}.name"),
                    format!("`{}` is not a valid custom identifier name", name.get()),
                    Some(format!(
                        "use 1-{MAX_CUSTOM_NAME_CHARS} letters, digits, `_` or `-`, e.g. `EmployeeId`"
                    )),
                );
            }
            if let Some(managed) = catalog::all().find(|m| m.eq_ignore_ascii_case(name)) {
                self.error(
                    Some(name.span()),
                    &format!("{path}.name"),
                    format!("custom identifier `{}` has the name of the managed identifier `{managed}`", name.get()),
                    Some(format!(
                        "CloudWatch Logs does not allow it: to use the managed one, list `{managed}` under `identifiers`; otherwise rename this one, e.g. `Custom{managed}`"
                    )),
                );
            }
            self.regex(&custom.regex, name, &format!("{path}.regex"));
        }
    }

    fn regex(&mut self, regex: &Sp<String>, name: &Sp<String>, path: &str) {
        let what = format!("custom identifier `{}`", name.get());
        let length = regex.chars().count();
        if length == 0 {
            self.error(
                Some(regex.span()),
                path,
                format!("{what} has an empty regex"),
                Some("write the pattern to find, e.g. `EMP-\\d{6}` (in single quotes)".into()),
            );
            return;
        }
        if length > MAX_CUSTOM_REGEX_CHARS {
            self.error(
                Some(regex.span()),
                path,
                format!("{what}: the regex is {length} characters; CloudWatch Logs allows {MAX_CUSTOM_REGEX_CHARS}"),
                Some("shorten it, or split it into several custom identifiers".into()),
            );
        }
        let unsupported: BTreeSet<char> = regex
            .chars()
            .filter(|c| !c.is_ascii_alphanumeric() && !REGEX_SYMBOLS.contains(*c))
            .collect();
        if !unsupported.is_empty() {
            let list: Vec<String> = unsupported.iter().map(|c| format!("`{c}`")).collect();
            let groups = if unsupported.contains(&'(') || unsupported.contains(&')') {
                "; groups are not supported: write alternatives at the top level (`EMP-\\d{6}|CON-\\d{4}`)"
            } else {
                ""
            };
            self.error(
                Some(regex.span()),
                path,
                format!("{what}: the regex uses {} which CloudWatch Logs does not support", list.join(", ")),
                Some(format!(
                    "custom identifier regexes may use letters, digits, space and `{REGEX_SYMBOLS}`{groups}"
                )),
            );
            return;
        }
        if let Err(e) = regex::Regex::new(regex) {
            let (reason, at) = regex_error(&e);
            self.error(
                Some(regex.span()),
                path,
                format!("{what}: the regex does not compile: {reason}"),
                at.map(|at| format!("the problem is here:\n{at}")),
            );
        }
    }

    fn nothing_audited(&mut self, spec: &DataProtectionSpec) {
        if !spec.identifiers.is_empty() || !spec.custom_identifiers.is_empty() {
            return;
        }
        // The block itself has no span: point at the first value written in it.
        let findings = spec.findings.as_ref().and_then(|f| first_value(f));
        let span = [
            findings,
            spec.mask.as_ref().map(Sp::span),
            spec.name.as_ref().map(Sp::span),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|s| s.start().map(|m| (m.line(), m.column())));
        self.error(
            span,
            "identifiers",
            "the data-protection policy audits no identifier".into(),
            Some("list managed identifiers, e.g. `identifiers: [EmailAddress, AwsSecretKey]`, or add `custom_identifiers`; remove the block to have no policy".into()),
        );
        if let Some(last) = self.found.pop() {
            self.found
                .push(last.label("this block has no `identifiers`"));
        }
    }

    fn mask(&mut self, spec: &DataProtectionSpec) {
        let Some(mask) = &spec.mask else { return };
        let audited: BTreeSet<&str> = spec
            .identifiers
            .iter()
            .map(|i| i.as_str())
            .chain(spec.custom_identifiers.iter().map(|c| c.name.as_str()))
            .collect();
        match mask.get() {
            Mask::All(true) => {}
            Mask::All(false) => self.error(
                Some(mask.span()),
                "mask",
                "masking cannot be turned off".into(),
                Some(
                    "CloudWatch Logs has no audit-only policy: PutDataProtectionPolicy requires a Deidentify \
                     statement with the same identifiers as the Audit statement, so everything audited is masked. \
                     People who must read the data need the `logs:Unmask` permission (they then see clear text); \
                     remove `mask: false` (masking is the default), or drop the identifier from `identifiers` to \
                     stop auditing it"
                        .into(),
                ),
            ),
            Mask::Only(names) => self.mask_list(mask, names, &audited),
        }
    }

    fn mask_list(&mut self, mask: &Sp<Mask>, names: &[String], audited: &BTreeSet<&str>) {
        if names.is_empty() {
            self.error(
                Some(mask.span()),
                "mask",
                "`mask` lists no identifier".into(),
                Some("write `mask: true` to mask every audited identifier".into()),
            );
            return;
        }
        let mut seen = BTreeSet::new();
        let mut valid = true;
        for (i, name) in names.iter().enumerate() {
            let path = format!("mask[{i}]");
            if !seen.insert(name.as_str()) {
                valid = false;
                self.error(
                    Some(mask.span()),
                    &path,
                    format!("`{name}` is listed twice in `mask`"),
                    Some("remove one of them".into()),
                );
            } else if !audited.contains(name.as_str()) {
                valid = false;
                let only = "nly audited identifiers can be masked: add it to `identifiers` (or `custom_identifiers`), or remove it from `mask`";
                let help = match did_you_mean(name, audited.iter().copied()) {
                    Some(a) => format!("did you mean `{a}`? O{only}"),
                    None => format!("o{only}"),
                };
                self.error(
                    Some(mask.span()),
                    &path,
                    format!("`{name}` is masked but not audited"),
                    Some(help),
                );
            }
        }
        let unmasked: Vec<&str> = audited
            .iter()
            .copied()
            .filter(|a| !seen.contains(a))
            .collect();
        if valid && !unmasked.is_empty() {
            let list: Vec<String> = unmasked.iter().map(|u| format!("`{u}`")).collect();
            self.error(
                Some(mask.span()),
                "mask",
                format!("{} would be audited but not masked, which CloudWatch Logs does not allow", list.join(", ")),
                Some(
                    "PutDataProtectionPolicy requires the Deidentify statement to name exactly the identifiers of \
                     the Audit statement. Write `mask: true`, or stop auditing what should stay readable by removing \
                     it from `identifiers`"
                        .into(),
                ),
            );
        }
    }

    fn findings(&mut self, spec: &DataProtectionSpec) {
        let Some(findings) = &spec.findings else {
            return;
        };
        if findings.log_group.is_none()
            && findings.s3_bucket.is_none()
            && findings.firehose.is_none()
        {
            let at = first_value(findings)
                .or_else(|| findings.span().start().copied().map(Span::new_start));
            self.error(
                at,
                "findings",
                "`findings` names no destination".into(),
                Some("add `log_group`, `s3_bucket` or `firehose` (any of them); remove `findings` to only count findings in CloudWatch metrics".into()),
            );
        }
        if let Some(group) = &findings.log_group {
            let path = "findings.log_group";
            if self.placeholders(group, path) {
                let sample = fill_samples(group);
                let ok = (1..=512).contains(&sample.len())
                    && sample
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c));
                if !ok {
                    self.error(
                        Some(group.span()),
                        path,
                        format!("`{}` is not a valid log group name", group.get()),
                        Some("use 1-512 characters from letters, digits and `._-/#`; placeholders {account}, {account_name}, {region} are allowed".into()),
                    );
                }
            }
        }
        if let Some(bucket) = &findings.s3_bucket {
            let path = "findings.s3_bucket";
            if self.placeholders(bucket, path) {
                if let Some(problem) = bucket_problem(&fill_samples(bucket)) {
                    self.error(
                        Some(bucket.span()),
                        path,
                        format!("`{}` is not a valid S3 bucket name: {problem}", bucket.get()),
                        Some("bucket names are 3-63 characters of lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit, e.g. `bedrock-findings-{account}-{region}`".into()),
                    );
                }
            }
        }
        if let Some(stream) = &findings.firehose {
            let path = "findings.firehose";
            if self.placeholders(stream, path) {
                let sample = fill_samples(stream);
                let ok = (1..=64).contains(&sample.len())
                    && sample
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if !ok {
                    self.error(
                        Some(stream.span()),
                        path,
                        format!("`{}` is not a valid Firehose stream name", stream.get()),
                        Some("use 1-64 letters, digits, `_`, `.` or `-` (the stream's name, not its ARN)".into()),
                    );
                }
            }
        }
    }

    /// Reports unknown placeholders; `true` when there are none.
    fn placeholders(&mut self, value: &Sp<String>, path: &str) -> bool {
        let mut ok = true;
        let mut rest = value.as_str();
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let placeholder = &rest[start..start + len + 1];
            if !PLACEHOLDERS.contains(&placeholder) {
                ok = false;
                let hint = did_you_mean(placeholder, PLACEHOLDERS.iter().copied())
                    .map(|p| format!("did you mean `{p}`? "))
                    .unwrap_or_default();
                self.error(
                    Some(value.span()),
                    path,
                    format!("unknown placeholder `{placeholder}`"),
                    Some(format!("{hint}placeholders: {}", PLACEHOLDERS.join(", "))),
                );
            }
            rest = &rest[start + len + 1..];
        }
        ok
    }

    fn name(&mut self, spec: &DataProtectionSpec) {
        let Some(name) = &spec.name else { return };
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            self.error(
                Some(name.span()),
                "name",
                format!(
                    "`{}` is not a valid data-protection policy name",
                    name.get()
                ),
                Some("use letters, digits, `-` and `_` only, e.g. `bedrock-invocations`".into()),
            );
        }
    }

    /// Builds the document with sample values (and the longest partition name, which every
    /// managed identifier ARN repeats) and measures it.
    fn size(&mut self, spec: &DataProtectionSpec, limit: usize) {
        let policy = desired_policy(spec, &|s: &str| fill_samples(s));
        let partition = regions::all()
            .map(regions::partition)
            .max_by_key(|p| p.len())
            .unwrap_or("aws");
        let chars = build_document(&policy.to_props(), partition)
            .chars()
            .count();
        if chars > limit {
            let span = spec
                .identifiers
                .first()
                .map(Sp::span)
                .or_else(|| spec.custom_identifiers.first().map(|c| c.name.span()));
            self.error(
                span,
                "",
                format!("the policy document would be about {chars} characters; CloudWatch Logs accepts {limit}"),
                Some("audit fewer identifiers, or shorten the custom identifier regexes".into()),
            );
        }
    }
}

/// The span of the first value written in a `findings` mapping (a mapping's own span runs
/// into the next key).
fn first_value(findings: &FindingsSpec) -> Option<Span> {
    let names = [&findings.log_group, &findings.s3_bucket, &findings.firehose];
    names
        .into_iter()
        .flatten()
        .map(Sp::span)
        .chain(findings.external.as_ref().map(Sp::span))
        .min_by_key(|s| s.start().map(|m| (m.line(), m.column())))
}

/// What to say about a name that is not a managed identifier.
fn unknown_identifier(id: &str, custom: &[&str]) -> (String, String) {
    let see = format!(
        "`warden schema` lists every managed identifier (under `identifiers`); AWS documents them at {}",
        catalog::DOCS_URL
    );
    let message = format!("`{id}` is not a CloudWatch Logs managed data identifier");
    if custom.contains(&id) {
        return (
            format!("`{id}` is a custom identifier, not a managed one"),
            "custom identifiers are audited without being listed here: remove it from `identifiers`".into(),
        );
    }
    if let Some(name) = id.rsplit_once("data-identifier/").map(|(_, n)| n) {
        return (
            message,
            format!("write the name only (`{name}`): warden builds the ARN for each partition"),
        );
    }
    let variants = catalog::regional_variants(id);
    if !variants.is_empty() {
        return (
            message,
            format!(
                "`{id}` needs a country or region code: {}",
                variants.join(", ")
            ),
        );
    }
    match catalog::suggest(id) {
        Some(best) => (
            message,
            format!("did you mean `{best}`? Names are case-sensitive. {see}"),
        ),
        None => (message, see),
    }
}

/// The regex crate's reason, and the lines that point at the problem.
fn regex_error(error: &regex::Error) -> (String, Option<String>) {
    let text = error.to_string();
    let reason = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or(text.as_str())
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let at = match lines.as_slice() {
        [_, pattern, caret, ..] if caret.trim_start().starts_with('^') => {
            Some(format!("{pattern}\n{caret}"))
        }
        _ => None,
    };
    (reason, at)
}

/// Why `name` (placeholders filled) is not a valid S3 bucket name, if it is not.
fn bucket_problem(name: &str) -> Option<&'static str> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Some("it must be 3-63 characters long");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Some("only lowercase letters, digits, `.` and `-` are allowed");
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Some("it must start and end with a letter or digit");
    }
    if name.contains("..") {
        return Some("it must not contain `..`");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some("it must not look like an IP address");
    }
    if name.starts_with("xn--")
        || name.starts_with("sthree-")
        || name.ends_with("-s3alias")
        || name.ends_with("--ol-s3")
    {
        return Some("it uses a prefix or suffix AWS reserves");
    }
    None
}

/// Replaces placeholders with sample values so a template can be checked offline.
fn fill_samples(value: &str) -> String {
    value
        .replace("{account}", "123456789012")
        .replace("{account_name}", "sample")
        .replace("{region}", "us-east-1")
        .replace("{partition}", "aws")
}

fn line(span: &Span) -> usize {
    span.start().map(|m| m.line()).unwrap_or(0)
}
