//! The `log_groups` section: CloudWatch Logs log groups as users write them, their offline
//! checks, how overrides merge onto them (by name), and their expansion into desired resources.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{effective, fill, resolve, Expansion, Merge, Scope, Section};
use crate::data_protection::{self, KnownDestinations};
use crate::model::addr::{Kind, ResourceAddr};
use crate::model::desired::{DesiredResource, OWNER_TAG};
use crate::source::{did_you_mean, Diagnostic, SourceFile, Sp};
use crate::spec::check::{fill_samples, is_kms_key_arn, join_and, Checker};
use crate::spec::retention::{Retention, ALLOWED_RETENTION_DAYS};
use crate::spec::types::{Override, Spec};

/// AWS allows at most 50 tags on a resource.
const MAX_TAGS: usize = 50;

/// A CloudWatch Logs log group.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogGroup {
    /// Log group name, e.g. `/aws/bedrock/invocations`. May use `{account}`, `{account_name}`, `{region}`.
    pub name: Sp<String>,
    /// Days to keep events (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
    /// 1827, 2192, 2557, 2922, 3288, 3653) or `never`. Default: `never`.
    #[serde(default)]
    pub retention_days: Option<Sp<Retention>>,
    /// KMS key ARN that encrypts the group, e.g. `arn:aws:kms:{region}:{account}:key/<id>`.
    /// `none` removes a key set by the baseline.
    #[serde(default)]
    pub kms_key_id: Option<Sp<String>>,
    /// Tags for this group (merged onto defaults and account tags).
    #[serde(default)]
    pub tags: BTreeMap<String, Sp<String>>,
    /// In an override: `true` removes this baseline group from the account/regions.
    #[serde(default)]
    pub skip: Option<Sp<bool>>,
    /// A CloudWatch Logs data-protection policy: audit and mask sensitive data (e-mail
    /// addresses, keys, card numbers, …) in this group. Without it the group has no policy:
    /// removing the block removes the policy (shown in the plan first).
    #[serde(default)]
    pub data_protection: Option<crate::data_protection::DataProtectionSpec>,
}

/// Overrides merge log groups by name: fields given replace the baseline's, tags are merged,
/// `skip: true` removes the group, and a new name adds a group (at the end).
impl Merge for Vec<LogGroup> {
    fn merged<'a>(base: Cow<'a, Self>, over: &'a Self) -> Cow<'a, Self> {
        // Skipped groups become `None` (positions stay valid); names are found through a map,
        // so merging is linear in the groups.
        let mut merged: Vec<Option<LogGroup>> = base.into_owned().into_iter().map(Some).collect();
        let mut position: HashMap<String, usize> = merged
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.as_ref().map(|g| (g.name.get().clone(), i)))
            .collect();
        for item in over {
            let name = item.name.as_str();
            let here = position.get(name).copied().filter(|i| merged[*i].is_some());
            if item.skip.as_ref().is_some_and(|s| *s.get()) {
                if let Some(i) = here {
                    merged[i] = None;
                }
                continue;
            }
            match here.and_then(|i| merged[i].as_mut()) {
                Some(group) => group.apply(item),
                None => {
                    position.insert(name.to_string(), merged.len());
                    merged.push(Some(item.clone()));
                }
            }
        }
        Cow::Owned(merged.into_iter().flatten().collect())
    }
}

impl LogGroup {
    /// An override's item on top of this group (same name).
    fn apply(&mut self, item: &LogGroup) {
        if let Some(r) = &item.retention_days {
            self.retention_days = Some(r.clone());
        }
        if let Some(k) = &item.kms_key_id {
            self.kms_key_id = Some(k.clone());
        }
        if let Some(protection) = &item.data_protection {
            self.data_protection = Some(protection.clone());
        }
        self.tags
            .extend(item.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

/// The section in the registry of [`super::SECTIONS`].
pub struct LogGroups;

fn pick(block: &Override) -> Option<&Vec<LogGroup>> {
    Some(&block.log_groups).filter(|groups| !groups.is_empty())
}

impl Section for LogGroups {
    fn check_baseline(&self, spec: &Spec, checker: &mut Checker) {
        checker.log_groups(&spec.log_groups, "log_groups", false);
    }

    fn check_override(&self, spec: &Spec, block: &Override, ofield: &str, checker: &mut Checker) {
        checker.log_groups(&block.log_groups, &format!("{ofield}.log_groups"), true);
        for (i, group) in block.log_groups.iter().enumerate() {
            let skip = group.skip.as_ref().is_some_and(|s| *s.get());
            if skip
                && !spec
                    .log_groups
                    .iter()
                    .any(|b| b.name.get() == group.name.get())
            {
                checker.error(
                    group.name.span(),
                    format!("{ofield}.log_groups[{i}].skip"),
                    format!(
                        "`{}` is not in the baseline, so there is nothing to skip",
                        group.name.get()
                    ),
                    Some(
                        match did_you_mean(
                            group.name.get(),
                            spec.log_groups.iter().map(|b| b.name.as_str()),
                        ) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => "check the name against the top-level `log_groups`".into(),
                        },
                    ),
                );
            }
        }
    }

    fn destinations(&self, spec: &Spec, known: &mut KnownDestinations) {
        let overrides = spec.accounts.iter().flat_map(|a| a.overrides.iter());
        let groups = spec
            .log_groups
            .iter()
            .chain(overrides.flat_map(|o| o.log_groups.iter()));
        known
            .log_groups
            .extend(groups.map(|g| g.name.get().clone()));
    }

    fn count(&self, spec: &Spec) -> u64 {
        // Counted without merging: presence per name is enough.
        let baseline: HashSet<&str> = spec.log_groups.iter().map(|g| g.name.as_str()).collect();
        let mut total: u64 = 0;
        for (account, region) in super::scopes(spec) {
            let mut groups = baseline.len() as u64;
            let mut present: HashMap<&str, bool> = HashMap::new();
            for item in account
                .overrides
                .iter()
                .filter(|o| super::applies(o, region))
                .flat_map(|o| o.log_groups.iter())
            {
                let name = item.name.as_str();
                let here = present
                    .entry(name)
                    .or_insert_with(|| baseline.contains(name));
                let skip = item.skip.as_ref().is_some_and(|s| *s.get());
                match (skip, *here) {
                    (true, true) => groups -= 1,
                    (false, false) => groups += 1,
                    _ => {}
                }
                *here = !skip;
            }
            total = total.saturating_add(groups);
        }
        total
    }

    fn expand(&self, scope: &Scope, out: &mut Expansion) {
        let spec = scope.spec();
        let Some(groups) = effective(Some(&spec.log_groups), scope.account, scope.region, pick)
        else {
            return;
        };
        for group in groups.iter() {
            match log_group_resource(scope, group) {
                Ok(r) => out.resources.push(r),
                Err(d) => out.problems.push(*d),
            }
        }
    }
}

impl Checker<'_> {
    pub(crate) fn log_groups(&mut self, groups: &[LogGroup], field: &str, in_override: bool) {
        self.duplicates(
            groups
                .iter()
                .map(|g| (g.name.get().as_str(), g.name.span())),
            field,
            "log group",
        );
        for (i, group) in groups.iter().enumerate() {
            let gfield = format!("{field}[{i}]");
            self.log_group_name(&group.name, &format!("{gfield}.name"));
            if let Some(retention) = &group.retention_days {
                if let Retention::Days(days) = retention.get() {
                    if let Some(nearest) = Retention::closest_allowed(*days) {
                        self.error(
                            retention.span(),
                            format!("{gfield}.retention_days"),
                            format!("CloudWatch Logs does not accept a retention of {days} days"),
                            Some(format!(
                                "use {nearest} (the nearest allowed value); allowed: {}, or `never`",
                                ALLOWED_RETENTION_DAYS
                                    .iter()
                                    .map(u32::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        );
                    }
                }
            }
            if let Some(key) = &group.kms_key_id {
                let kfield = format!("{gfield}.kms_key_id");
                if key.get() == "none" && !in_override {
                    self.error(
                        key.span(),
                        kfield,
                        "`kms_key_id: none` only means something in an account's `overrides`".into(),
                        Some("in the baseline, leave `kms_key_id` out for a group without a customer key; `none` in an override removes the baseline's key".into()),
                    );
                } else if key.get() != "none" {
                    if let Some(value) = self.resolve(key, &kfield) {
                        self.placeholders(key, &value, &kfield);
                        if !is_kms_key_arn(&fill_samples(&value)) {
                            self.error(
                                key.span(),
                                kfield,
                                format!("`{value}` is not a KMS key ARN"),
                                Some("log groups need the key's ARN, e.g. `arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab` (aliases are not accepted by CloudWatch Logs)".into()),
                            );
                        }
                    }
                }
            }
            self.tags(&group.tags, &format!("{gfield}.tags"));
            if let Some(protection) = &group.data_protection {
                self.data_protection(protection, &format!("{gfield}.data_protection"));
            }
            if let Some(skip) = &group.skip {
                if !in_override {
                    self.error(
                        skip.span(),
                        format!("{gfield}.skip"),
                        "`skip` is only meaningful inside an account's `overrides`".into(),
                        Some(
                            "remove the group from the baseline instead, or skip it per account"
                                .into(),
                        ),
                    );
                }
            }
        }
    }

    fn log_group_name(&mut self, name: &Sp<String>, field: &str) {
        if !self.placeholders(name, name, field) {
            // The unknown placeholder is the problem; its braces would be reported again here.
            return;
        }
        let sample = fill_samples(name);
        let length = sample.chars().count();
        let mut bad: Vec<char> = sample
            .chars()
            .filter(|c| !(c.is_ascii_alphanumeric() || "._-/#".contains(*c)))
            .collect();
        bad.dedup();
        bad.sort_unstable();
        bad.dedup();
        let help = "use 1-512 characters from letters, digits and `._-/#`; placeholders {account}, {account_name}, {region} are allowed";
        let message = if length == 0 {
            Some("the log group name is empty".to_string())
        } else if length > 512 {
            Some(format!(
                "the log group name is {length} characters long; CloudWatch Logs allows at most 512"
            ))
        } else if !bad.is_empty() {
            let shown = bad
                .iter()
                .map(|c| match c {
                    ' ' => "` ` (space)".to_string(),
                    '\t' => "a tab".to_string(),
                    c => format!("`{c}`"),
                })
                .collect::<Vec<_>>();
            Some(format!(
                "`{}` is not a valid log group name: {} {} not allowed",
                name.get(),
                join_and(&shown),
                if shown.len() == 1 { "is" } else { "are" }
            ))
        } else {
            None
        };
        if let Some(message) = message {
            self.error(name.span(), field.to_string(), message, Some(help.into()));
        }
    }
}

/// One log group of one scope, or the problem that prevents it (a KMS key elsewhere, too many
/// tags).
fn log_group_resource(scope: &Scope, group: &LogGroup) -> Result<DesiredResource, Box<Diagnostic>> {
    let (loaded, target, region, account) =
        (scope.loaded, scope.target, scope.region, scope.account);
    let source: &SourceFile = &loaded.source;
    let name = fill(&group.name, target, region);
    let kms_key_id = match &group.kms_key_id {
        Some(k) if k.get() != "none" => {
            let arn = fill(&resolve(k), target, region);
            let parts: Vec<&str> = arn.splitn(6, ':').collect();
            if let [_, _, _, key_region, key_account, _] = parts.as_slice() {
                if *key_region != region || *key_account != target.id {
                    return Err(Box::new(Diagnostic::error(
                        source,
                        Some(&k.span()),
                        format!(
                            "log group `{name}` in {}/{region} would use a KMS key in {key_account}/{key_region}",
                            target.id
                        ),
                    )
                    .field("kms_key_id")
                    .help("CloudWatch Logs needs a key in the same account and region; write the ARN with {account} and {region} placeholders")));
                }
            }
            Some(arn)
        }
        _ => None,
    };
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    let layers = [
        loaded
            .spec
            .defaults
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect::<Vec<_>>(),
        account.tags.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        group.tags.iter().map(|(k, v)| (k.as_str(), v)).collect(),
    ];
    for (key, value) in layers.into_iter().flatten() {
        tags.insert(key.to_string(), fill(&resolve(value), target, region));
    }
    tags.insert(OWNER_TAG.to_string(), scope.project.to_string());
    if tags.len() > MAX_TAGS {
        return Err(Box::new(Diagnostic::error(
            source,
            Some(&group.name.span()),
            format!(
                "log group `{name}` would carry {} tags (defaults, account and group tags, plus `{OWNER_TAG}`); AWS allows {MAX_TAGS}",
                tags.len()
            ),
        )
        .help("remove some tags")));
    }
    let retention = match group.retention_days.as_ref().map(|r| *r.get()) {
        Some(Retention::Days(d)) => json!(d),
        Some(Retention::Never) | None => Value::Null,
    };
    let filler = |t: &str| fill(t, target, region);
    let data_protection = group
        .data_protection
        .as_ref()
        .map(|p| data_protection::desired_props(p, &filler))
        .unwrap_or(Value::Null);
    // A findings log group defined in the spec is created first.
    let depends_on = data_protection["findings"]["log_group"]
        .as_str()
        .filter(|g| *g != name)
        .map(|g| vec![ResourceAddr::new(&target.name, region, Kind::LogGroup, g)])
        .unwrap_or_default();
    Ok(DesiredResource {
        addr: ResourceAddr::new(&target.name, region, Kind::LogGroup, &name),
        props: json!({
            "retention_days": retention,
            "kms_key_id": kms_key_id,
            "tags": tags,
            "data_protection": data_protection,
        }),
        depends_on,
        origin: SourceFile::location(&group.name.span()),
    })
}
