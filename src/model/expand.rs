//! Expands a checked spec into desired resources: baseline × accounts × regions, with overrides merged.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::addr::{Kind, ResourceAddr};
use super::desired::{AccountTarget, Desired, DesiredResource, OWNER_TAG};
use super::logging;
use crate::data_protection::{self, DataProtectionSpec};
use crate::spec::env;
use crate::spec::invocation_logging::InvocationLogging;
use crate::spec::regions;
use crate::spec::retention::Retention;
use crate::spec::source::SourceFile;
use crate::spec::sp::Sp;
use crate::spec::types::{Account, LogGroup};
use crate::spec::{Diagnostic, LoadedSpec};

/// AWS allows at most 50 tags on a resource.
const MAX_TAGS: usize = 50;

/// The most desired resources a spec may expand to (accounts × regions × resources per
/// scope). The largest real estates (a thousand accounts in a few regions with a handful of
/// log groups each) stay well below it; it bounds memory (about 2 KB per resource in a plan)
/// and the API calls a plan makes (at least one read per resource), and it is checked before
/// anything is built, so a small spec cannot make warden allocate gigabytes.
pub const MAX_RESOURCES: u64 = 100_000;

/// Resources one scope's invocation logging can produce at most: the setting, its role and
/// up to two buckets.
const MAX_LOGGING_RESOURCES: u64 = 4;

/// How many resources the spec expands to (invocation logging counted at its most), computed
/// from the spec alone in time and memory proportional to the spec.
pub fn count_resources(spec: &crate::spec::Spec) -> u64 {
    let baseline: std::collections::HashSet<&str> =
        spec.log_groups.iter().map(|g| g.name.as_str()).collect();
    let mut total: u64 = 0;
    for account in spec.accounts.iter() {
        let regions = account.regions.as_ref().unwrap_or(&spec.defaults.regions);
        for region in regions {
            let applies = |only: &Option<Vec<Sp<String>>>| {
                only.as_ref()
                    .is_none_or(|only| only.iter().any(|r| r.get() == region.get()))
            };
            let mut groups = baseline.len() as u64;
            let mut present: std::collections::HashMap<&str, bool> =
                std::collections::HashMap::new();
            for item in account
                .overrides
                .iter()
                .filter(|o| applies(&o.regions))
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
            let protection =
                u64::from(effective_account_protection(spec, account, region).is_some());
            let logging = if effective_logging_is_set(spec, account, region) {
                MAX_LOGGING_RESOURCES
            } else {
                0
            };
            total = total.saturating_add(groups + protection + logging);
        }
    }
    total
}

fn effective_logging_is_set(spec: &crate::spec::Spec, account: &Account, region: &str) -> bool {
    spec.invocation_logging.is_some()
        || account.overrides.iter().any(|o| {
            o.invocation_logging.is_some()
                && o.regions
                    .as_ref()
                    .is_none_or(|only| only.iter().any(|r| r.get() == region))
        })
}

/// The located error for a spec over [`MAX_RESOURCES`].
fn too_many_resources(loaded: &LoadedSpec, count: u64) -> Diagnostic {
    let spec = &loaded.spec;
    let scopes: usize = spec
        .accounts
        .iter()
        .map(|a| a.regions.as_ref().unwrap_or(&spec.defaults.regions).len())
        .sum();
    // Point at where the list starts, not at the whole list (it can be thousands of lines).
    let at = spec
        .accounts
        .span()
        .start()
        .map(|m| marked_yaml::Span::new_start(*m));
    Diagnostic::error(
        &loaded.source,
        at.as_ref(),
        format!(
            "the spec expands to {count} resources ({} account(s), {scopes} account/region scope(s), {} baseline log group(s)), over the limit of {MAX_RESOURCES}",
            spec.accounts.len(),
            spec.log_groups.len()
        ),
    )
    .field("accounts")
    .label("in each of these accounts and their regions")
    .help("every log group is created in every account and region: split the spec (e.g. one spec per organisational unit or per region), or limit groups to some accounts with `overrides`")
}

/// Expands the spec; errors found only once values are combined (too many tags, a KMS key in
/// another region) come back as diagnostics pointing at the spec.
pub fn expand(loaded: &LoadedSpec) -> Result<Desired, Vec<Diagnostic>> {
    let spec = &loaded.spec;
    let project = spec
        .project
        .as_ref()
        .map(|p| p.get().clone())
        .unwrap_or_else(|| "default".to_string());
    let count = count_resources(spec);
    if count > MAX_RESOURCES {
        return Err(vec![too_many_resources(loaded, count)]);
    }
    let mut problems = Vec::new();
    let mut accounts = Vec::new();
    let mut resources = Vec::with_capacity(count as usize);

    for account in spec.accounts.iter() {
        let target = AccountTarget {
            name: account.name.get().clone(),
            id: resolve(&account.id),
            role_arn: account.role_arn.as_ref().map(resolve),
            external_id: account.external_id.as_ref().map(|e| e.get().clone()),
            regions: account
                .regions
                .as_ref()
                .unwrap_or(&spec.defaults.regions)
                .iter()
                .map(|r| r.get().clone())
                .collect(),
        };
        for region in &target.regions {
            let mut group_names = Vec::new();
            for group in effective_log_groups(&spec.log_groups, account, region) {
                match log_group_resource(loaded, &project, &target, region, account, &group) {
                    Ok(r) => {
                        group_names.push(r.addr.name.clone());
                        resources.push(r);
                    }
                    Err(d) => problems.push(*d),
                }
            }
            if let Some(protection) = effective_account_protection(spec, account, region) {
                let fill = |t: &str| fill(t, &target, region);
                let policy = data_protection::desired_props(protection, &fill);
                // A findings log group in the spec is created before the policy that names it.
                let depends_on = policy["findings"]["log_group"]
                    .as_str()
                    .filter(|g| group_names.iter().any(|n| n == g))
                    .map(|g| vec![ResourceAddr::new(&target.name, region, Kind::LogGroup, g)])
                    .unwrap_or_default();
                resources.push(DesiredResource {
                    addr: ResourceAddr::new(
                        &target.name,
                        region,
                        Kind::AccountDataProtection,
                        logging::SINGLETON,
                    ),
                    props: json!({ "policy": policy }),
                    depends_on,
                    origin: None,
                });
            }
            if let Some(logging) =
                effective_logging(spec.invocation_logging.as_ref(), account, region)
            {
                let tags = scope_tags(loaded, account, &target, region, &project);
                let fill = |t: &str| fill(t, &target, region);
                let scope = logging::Scope {
                    source: &loaded.source,
                    target: &target,
                    region,
                    tags: &tags,
                    log_groups: &group_names,
                    fill: &fill,
                };
                match logging::expand(&logging, &scope) {
                    Ok(rs) => resources.extend(rs),
                    Err(ds) => problems.extend(ds),
                }
            }
        }
        accounts.push(target);
    }
    problems.extend(global_name_conflicts(&loaded.source, &resources));
    if problems.is_empty() {
        Ok(Desired {
            project,
            accounts,
            resources,
        })
    } else {
        Err(problems)
    }
}

/// IAM role and S3 bucket names are global (per account, per partition), but the tool plans
/// them per region: the same name in two regions of one account would be one resource with two
/// conflicting definitions (the role's trust names its region; a bucket lives in one region).
fn global_name_conflicts(source: &SourceFile, resources: &[DesiredResource]) -> Vec<Diagnostic> {
    let mut first_region: BTreeMap<(&str, Kind, &str), &str> = BTreeMap::new();
    let mut reported = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for r in resources {
        if !matches!(r.addr.kind, Kind::IamRole | Kind::S3Bucket) {
            continue;
        }
        let key = (r.addr.account.as_str(), r.addr.kind, r.addr.name.as_str());
        let Some(other) = first_region.get(&key).copied() else {
            first_region.insert(key, &r.addr.region);
            continue;
        };
        if other == r.addr.region || !reported.insert(key) {
            continue;
        }
        let span = r.origin.map(|at| source.span_at(at.line, at.column));
        let (what, help) = match r.addr.kind {
            Kind::IamRole => ("IAM role", "role names are global in an account and the tool makes one role per region: put `{region}` in `role.name`, or leave the name out (the default is `warden-bedrock-logging-{region}`)"),
            _ => ("S3 bucket", "bucket names are global and a bucket lives in one region: put `{region}` in the bucket name, e.g. `bedrock-logs-{account}-{region}`"),
        };
        problems.push(
            Diagnostic::error(
                source,
                span.as_ref(),
                format!(
                    "{what} `{}` would be created in both {other} and {} of account `{}`",
                    r.addr.name, r.addr.region, r.addr.account
                ),
            )
            .help(help),
        );
    }
    problems
}

/// Resolves `${env:…}`. Unresolvable values were already reported by the checks (as errors in
/// strict mode, so expansion never runs with them); in lenient mode the reference stands in.
fn resolve(value: &Sp<String>) -> String {
    env::interpolate(value, env::from_process).unwrap_or_else(|_| value.get().clone())
}

/// A log group after the baseline and the account's overrides for one region are merged.
struct MergedLogGroup<'a> {
    name: &'a Sp<String>,
    retention: Option<&'a Sp<Retention>>,
    kms_key_id: Option<&'a Sp<String>>,
    tags: BTreeMap<&'a str, &'a Sp<String>>,
    data_protection: Option<&'a DataProtectionSpec>,
}

fn effective_log_groups<'a>(
    baseline: &'a [LogGroup],
    account: &'a Account,
    region: &str,
) -> Vec<MergedLogGroup<'a>> {
    // Skipped groups become `None` (positions stay valid); names are found through a map, so
    // merging is linear in the baseline and the overrides.
    let mut merged: Vec<Option<MergedLogGroup<'a>>> = baseline
        .iter()
        .map(|g| Some(MergedLogGroup::from(g)))
        .collect();
    let mut position: std::collections::HashMap<&str, usize> = baseline
        .iter()
        .enumerate()
        .map(|(i, g)| (g.name.as_str(), i))
        .collect();
    let applies = |regions: &Option<Vec<Sp<String>>>| {
        regions
            .as_ref()
            .is_none_or(|only| only.iter().any(|r| r.get() == region))
    };
    for block in account.overrides.iter().filter(|o| applies(&o.regions)) {
        for item in &block.log_groups {
            let name = item.name.as_str();
            let here = position.get(name).copied().filter(|i| merged[*i].is_some());
            if item.skip.as_ref().is_some_and(|s| *s.get()) {
                if let Some(i) = here {
                    merged[i] = None;
                }
                continue;
            }
            match here {
                Some(i) => {
                    if let Some(m) = merged[i].as_mut() {
                        m.apply(item);
                    }
                }
                None => {
                    position.insert(name, merged.len());
                    merged.push(Some(MergedLogGroup::from(item)));
                }
            }
        }
    }
    merged.into_iter().flatten().collect()
}

impl<'a> From<&'a LogGroup> for MergedLogGroup<'a> {
    fn from(group: &'a LogGroup) -> Self {
        MergedLogGroup {
            name: &group.name,
            retention: group.retention_days.as_ref(),
            kms_key_id: group.kms_key_id.as_ref(),
            tags: group.tags.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            data_protection: group.data_protection.as_ref(),
        }
    }
}

impl<'a> MergedLogGroup<'a> {
    fn apply(&mut self, item: &'a LogGroup) {
        if let Some(r) = &item.retention_days {
            self.retention = Some(r);
        }
        if let Some(k) = &item.kms_key_id {
            self.kms_key_id = Some(k);
        }
        if let Some(protection) = &item.data_protection {
            self.data_protection = Some(protection);
        }
        self.tags
            .extend(item.tags.iter().map(|(k, v)| (k.as_str(), v)));
    }
}

/// The baseline's invocation logging with the account's overrides for `region` merged in;
/// `None` when the spec does not mention it for this scope (the live setting is left alone).
fn effective_logging(
    baseline: Option<&InvocationLogging>,
    account: &Account,
    region: &str,
) -> Option<InvocationLogging> {
    let mut merged = baseline.cloned();
    for block in &account.overrides {
        let applies = block
            .regions
            .as_ref()
            .is_none_or(|only| only.iter().any(|r| r.get() == region));
        if let (true, Some(top)) = (applies, &block.invocation_logging) {
            merged = Some(match merged {
                Some(base) => base.merged_with(top),
                None => top.clone(),
            });
        }
    }
    merged
}

/// The account-wide data-protection policy for this scope: the last override that sets it
/// (for all regions or this one), else the baseline.
fn effective_account_protection<'a>(
    spec: &'a crate::spec::Spec,
    account: &'a Account,
    region: &str,
) -> Option<&'a DataProtectionSpec> {
    account
        .overrides
        .iter()
        .filter(|o| {
            o.regions
                .as_ref()
                .is_none_or(|only| only.iter().any(|r| r.get() == region))
        })
        .filter_map(|o| o.account_data_protection.as_ref())
        .next_back()
        .or(spec.account_data_protection.as_ref())
}

/// Tags for resources that have no tags of their own in the spec: defaults, account, ownership.
fn scope_tags(
    loaded: &LoadedSpec,
    account: &Account,
    target: &AccountTarget,
    region: &str,
    project: &str,
) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = loaded
        .spec
        .defaults
        .tags
        .iter()
        .chain(account.tags.iter())
        .map(|(k, v)| (k.clone(), fill(&resolve(v), target, region)))
        .collect();
    tags.insert(OWNER_TAG.to_string(), project.to_string());
    tags
}

fn fill(template: &str, target: &AccountTarget, region: &str) -> String {
    template
        .replace("{account}", &target.id)
        .replace("{account_name}", &target.name)
        .replace("{region}", region)
        .replace("{partition}", regions::partition(region))
}

fn log_group_resource(
    loaded: &LoadedSpec,
    project: &str,
    target: &AccountTarget,
    region: &str,
    account: &Account,
    group: &MergedLogGroup,
) -> Result<DesiredResource, Box<Diagnostic>> {
    let source: &SourceFile = &loaded.source;
    let name = fill(group.name, target, region);
    let kms_key_id = match group.kms_key_id {
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
        group.tags.iter().map(|(k, v)| (*k, *v)).collect(),
    ];
    for (key, value) in layers.into_iter().flatten() {
        tags.insert(key.to_string(), fill(&resolve(value), target, region));
    }
    tags.insert(OWNER_TAG.to_string(), project.to_string());
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
    let retention = match group.retention.map(|r| *r.get()) {
        Some(Retention::Days(d)) => json!(d),
        Some(Retention::Never) | None => Value::Null,
    };
    let filler = |t: &str| fill(t, target, region);
    let data_protection = group
        .data_protection
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{load_source, EnvMode};

    fn expand_text(text: &str) -> Desired {
        let loaded = load_source(SourceFile::new("t.yaml", text), EnvMode::Strict)
            .unwrap_or_else(|e| panic!("spec rejected: {:?}", e.diagnostics));
        expand(&loaded).unwrap_or_else(|d| panic!("expansion failed: {d:?}"))
    }

    fn group<'a>(desired: &'a Desired, account: &str, name: &str) -> &'a Value {
        &desired
            .resources
            .iter()
            .find(|r| r.addr.account == account && r.addr.name == name)
            .unwrap_or_else(|| panic!("no {name} in {account}"))
            .props
    }

    #[test]
    fn the_resource_count_matches_expansion_with_overrides() {
        let text = r#"
version: 1
defaults:
  regions: [us-east-1, eu-west-1]
accounts:
  - name: a
    id: "111111111111"
    overrides:
      - regions: [eu-west-1]
        log_groups:
          - name: /one
            skip: true
      - regions: [eu-west-1]
        log_groups:
          - name: /one
          - name: /eu-only
      - log_groups:
          - name: /two
            skip: true
      - log_groups:
          - name: /two
            skip: true
        account_data_protection:
          identifiers: [EmailAddress]
  - name: b
    id: "222222222222"
    regions: [us-west-2]
log_groups:
  - name: /one
  - name: /two
  - name: /three
"#;
        let loaded = load_source(SourceFile::new("t.yaml", text), EnvMode::Strict)
            .unwrap_or_else(|e| panic!("spec rejected: {:?}", e.diagnostics));
        let desired = expand(&loaded).expect("expands");
        // a/us-east-1: /one /three + policy; a/eu-west-1: /three /one /eu-only + policy;
        // b/us-west-2: the three baseline groups.
        assert_eq!(desired.resources.len(), 3 + 4 + 3);
        assert_eq!(
            count_resources(&loaded.spec),
            desired.resources.len() as u64
        );
    }

    #[test]
    fn overrides_replace_the_baselines_data_protection() {
        let desired = expand_text(
            r#"
version: 1
accounts:
  - name: plain
    id: "111111111111"
  - name: strict
    id: "222222222222"
    overrides:
      - log_groups:
          - name: /bedrock/invocations
            data_protection:
              identifiers: [EmailAddress, AwsSecretKey]
defaults:
  regions: [us-east-1]
log_groups:
  - name: /bedrock/invocations
    retention_days: 30
    data_protection:
      identifiers: [EmailAddress]
"#,
        );
        let identifiers = |account| {
            group(&desired, account, "/bedrock/invocations")["data_protection"]["identifiers"]
                .clone()
        };
        assert_eq!(identifiers("plain"), json!({"EmailAddress": true}));
        assert_eq!(
            identifiers("strict"),
            json!({"AwsSecretKey": true, "EmailAddress": true})
        );
        assert_eq!(
            group(&desired, "strict", "/bedrock/invocations")["retention_days"],
            json!(30)
        );
    }
}
