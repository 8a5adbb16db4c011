//! Expands a checked spec into desired resources: accounts × regions × spec sections (each
//! section expands itself, overrides merged, in `crate::spec::sections`), within a size limit.

use std::collections::BTreeMap;

use super::addr::Kind;
use super::desired::{AccountTarget, Desired, DesiredResource};
use crate::spec::sections::{resolve, Expansion, Scope, SECTIONS};
use crate::spec::source::SourceFile;
use crate::spec::{Diagnostic, LoadedSpec};

/// The most desired resources a spec may expand to (accounts × regions × resources per
/// scope). The largest real estates (a thousand accounts in a few regions with a handful of
/// log groups each) stay well below it; it bounds memory (about 2 KB per resource in a plan)
/// and the API calls a plan makes (at least one read per resource), and it is checked before
/// anything is built, so a small spec cannot make warden allocate gigabytes.
pub const MAX_RESOURCES: u64 = 100_000;

/// How many resources the spec expands to (each section counted at its most), computed
/// from the spec alone in time and memory proportional to the spec.
pub fn count_resources(spec: &crate::spec::Spec) -> u64 {
    SECTIONS.iter().fold(0u64, |total, section| {
        total.saturating_add(section.count(spec))
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
    let mut out = Expansion {
        resources: Vec::with_capacity(count as usize),
        problems: Vec::new(),
        scope_start: 0,
    };
    let mut accounts = Vec::new();

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
            let scope = Scope {
                loaded,
                project: &project,
                account,
                target: &target,
                region,
            };
            out.scope_start = out.resources.len();
            for section in SECTIONS {
                section.expand(&scope, &mut out);
            }
        }
        accounts.push(target);
    }
    let Expansion {
        resources,
        mut problems,
        ..
    } = out;
    problems.extend(global_name_conflicts(&loaded.source, &resources));
    if problems.is_empty() {
        Ok(Desired {
            project,
            accounts,
            resources,
            quotas: spec
                .defaults
                .quotas
                .iter()
                .map(|(k, v)| (k.clone(), *v.get()))
                .collect(),
            discovered: Vec::new(),
        })
    } else {
        Err(problems)
    }
}

/// Some names are global in an account (IAM roles, S3 buckets), but the tool plans them per
/// region: the same name in two regions of one account would be one resource with two
/// conflicting definitions (a role's trust names its region; a bucket lives in one region).
fn global_name_conflicts(source: &SourceFile, resources: &[DesiredResource]) -> Vec<Diagnostic> {
    let mut first_region: BTreeMap<(&str, Kind, &str), &str> = BTreeMap::new();
    let mut reported = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for r in resources {
        let Some(global) = r.addr.kind.global_name() else {
            continue;
        };
        let key = (r.addr.account.as_str(), r.addr.kind, r.addr.name.as_str());
        let Some(other) = first_region.get(&key).copied() else {
            first_region.insert(key, &r.addr.region);
            continue;
        };
        if other == r.addr.region || !reported.insert(key) {
            continue;
        }
        let span = r.origin.map(|at| source.span_at(at.line, at.column));
        problems.push(
            Diagnostic::error(
                source,
                span.as_ref(),
                format!(
                    "{} `{}` would be created in both {other} and {} of account `{}`",
                    global.what, r.addr.name, r.addr.region, r.addr.account
                ),
            )
            .help(global.help),
        );
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{load_source, EnvMode};
    use serde_json::{json, Value};

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
