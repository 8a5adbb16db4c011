//! `warden import`: writes a spec that describes what is live in an account and region
//! (adopting an existing setup), read through the kinds' own readers so that planning it
//! right after shows only `adopt` (the ownership tag) for what it names.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::common::{cloud_context, print_stdout, DEFAULT_SPEC};
use super::{ImportArgs, ScopeArgs};
use crate::error::{Outcome, WardenError};
use crate::kinds::{self, Named};
use crate::model::{AccountTarget, Kind, LiveResource};
use crate::plan::read::Reader;
use crate::progress::Silent;

/// How each spec section is imported: a writer of its YAML block from the live resources
/// read, or why it is not imported. A spec section without an entry makes a test fail.
pub const SECTION_IMPORTS: &[(&str, Import)] = &[
    ("log_groups", Import::Writer(log_groups)),
    ("account_data_protection", Import::Writer(account_data_protection)),
    ("invocation_logging", Import::Writer(invocation_logging)),
    (
        "cloudtrail",
        Import::Not("a trail's bucket policy, selectors and role are rewritten to warden's own form on adoption; declare the trail yourself"),
    ),
    (
        "event_forwarding",
        Import::Not("the Dynatrace token cannot be read back from AWS, and rules made by hand do not map to presets; declare forwarding yourself"),
    ),
    (
        "event_rules",
        Import::Not("EventBridge rules of other tools share the bus; name the rules warden should own yourself"),
    ),
    (
        "monitoring",
        Import::Not("alarms and dashboards made by hand do not map to template packs; declare monitoring yourself (hand-made alarms of a pack's names are adopted)"),
    ),
];

/// How a section is imported.
pub enum Import {
    /// Writes the section's YAML from what was read (empty when there is nothing to write).
    Writer(fn(&Live) -> String),
    /// Not imported, and why (said in the file).
    Not(&'static str),
}

/// What was read in the account and region.
pub struct Live {
    pub account_id: String,
    pub region: String,
    pub resources: Vec<LiveResource>,
}

impl Live {
    fn of(&self, kind: Kind) -> impl Iterator<Item = &LiveResource> {
        self.resources.iter().filter(move |r| r.addr.kind == kind)
    }
}

pub async fn run(args: &ImportArgs) -> Result<Outcome, WardenError> {
    let out = args.out.as_deref().unwrap_or(Path::new(DEFAULT_SPEC));
    if out.exists() && !args.force {
        return Err(WardenError::usage(
            format!("{} exists already; nothing was written", out.display()),
            Some("pass --force to overwrite it, or --out PATH to write elsewhere"),
        ));
    }
    let ctx = cloud_context(&ScopeArgs {
        timeout: std::time::Duration::from_secs(600),
        parallelism: 1,
        ..ScopeArgs::default()
    })
    .await;
    let (caller, chain_region) = ctx.caller().await.map_err(|e| {
        WardenError::Unreachable(format!(
            "cannot tell which account your credentials belong to: {e}"
        ))
    })?;
    if let Some(wanted) = &args.account {
        if wanted != &caller {
            return Err(WardenError::usage(
                format!("--account {wanted}: your credentials belong to account {caller}"),
                Some("import reads the account of your current credentials (set AWS_PROFILE, or assume the account's role first)"),
            ));
        }
    }
    let region = match (&args.region, chain_region) {
        (Some(r), _) => r.clone(),
        (None, Some(r)) => r,
        (None, None) => {
            return Err(WardenError::usage(
                "no region given and none in the AWS configuration",
                Some("pass --region us-east-1"),
            ))
        }
    };
    let target = AccountTarget {
        name: args.account_name.clone(),
        id: caller.clone(),
        role_arn: None,
        external_id: None,
        regions: vec![region.clone()],
    };
    let silent = Silent;
    let reader = Reader::new(
        &ctx,
        std::slice::from_ref(&target),
        &args.project,
        1,
        &silent,
    );
    let session = reader
        .session(&target.name)
        .await
        .map_err(|e| WardenError::Unreachable(format!("account {caller}: {e}")))?;
    let singleton = |kind| Named {
        kind,
        name: "default".to_string(),
        props: Value::Null,
    };
    let failed = |e: crate::cloud::CloudError| WardenError::Unreachable(e.to_string());
    let mut wanted = vec![
        singleton(Kind::InvocationLogging),
        singleton(Kind::AccountDataProtection),
    ];
    let first = kinds::read_scope(
        &session,
        &target.name,
        &region,
        &wanted,
        &args.project,
        None,
        true,
        false,
    )
    .await
    .map_err(failed)?;
    // Log groups: those under the prefixes, and those the live settings name.
    let mut groups: BTreeSet<String> = BTreeSet::new();
    let logs = session.logs(&region);
    for prefix in &args.log_group_prefixes {
        let mut pages = logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .into_paginator()
            .items()
            .send();
        while let Some(group) = pages.next().await {
            let group =
                group.map_err(|e| failed(crate::cloud::classify("logs:DescribeLogGroups", e)))?;
            groups.extend(group.log_group_name().map(str::to_string));
        }
    }
    for resource in &first {
        let mut mentioned = Vec::new();
        kinds::references(resource.addr.kind, &resource.props, &mut mentioned);
        groups.extend(
            mentioned
                .into_iter()
                .filter(|(k, _)| *k == Kind::LogGroup)
                .map(|(_, n)| n),
        );
    }
    wanted = groups
        .iter()
        .map(|name| Named {
            kind: Kind::LogGroup,
            name: name.clone(),
            props: Value::Null,
        })
        .collect();
    let mut resources = first;
    if !wanted.is_empty() {
        resources.extend(
            kinds::read_scope(
                &session,
                &target.name,
                &region,
                &wanted,
                &args.project,
                None,
                true,
                false,
            )
            .await
            .map_err(failed)?,
        );
    }
    // A group another warden project manages is not ours to import.
    let mut skipped = Vec::new();
    resources.retain(|r| match r.owner.as_deref() {
        Some(owner)
            if r.addr.kind.ownership() != kinds::Ownership::Singleton && owner != args.project =>
        {
            skipped.push(format!(
                "{} (managed by warden project `{owner}`)",
                r.addr.name
            ));
            false
        }
        _ => true,
    });
    let live = Live {
        account_id: caller.clone(),
        region: region.clone(),
        resources,
    };
    let text = spec_text(args, &live, &skipped);
    let loaded = crate::spec::load_source(
        crate::spec::SourceFile::new(out.display().to_string(), text.clone()),
        crate::spec::EnvMode::Lenient,
    )
    .map_err(WardenError::Spec)?;
    super::common::expand(&loaded)?;
    std::fs::write(out, &text)?;
    print_stdout(&format!(
        "Wrote {} from account {caller} in {region}: {} log group(s){}{}. Next: `warden plan{}` shows what warden would adopt.\n",
        out.display(),
        live.of(Kind::LogGroup).count(),
        if live.of(Kind::InvocationLogging).any(|r| r.props["enabled"] == true) { ", invocation logging" } else { "" },
        if live.of(Kind::AccountDataProtection).any(|r| !r.props["policy"].is_null()) { ", the account data-protection policy" } else { "" },
        if out == Path::new(DEFAULT_SPEC) { String::new() } else { format!(" -f {}", out.display()) },
    ))?;
    Ok(Outcome::Clean)
}

fn spec_text(args: &ImportArgs, live: &Live, skipped: &[String]) -> String {
    let mut text = format!(
        "# Written by `warden import` from account {account}, region {region}.\n\
         # `warden plan` right after shows `adopt` for each log group (warden adds its\n\
         # ownership tag) and nothing else; review, then `warden apply`.\n\
         version: 1\n\
         project: {project}\n\n\
         defaults:\n  regions: [{region}]\n\n\
         accounts:\n  - name: {name}\n    id: \"{account}\"\n",
        account = live.account_id,
        region = live.region,
        project = args.project,
        name = args.account_name,
    );
    for skipped in skipped {
        let _ = writeln!(text, "# not imported: log group {skipped}");
    }
    for (section, import) in SECTION_IMPORTS {
        match import {
            Import::Writer(write) => text.push_str(&write(live)),
            Import::Not(why) => {
                let _ = write!(text, "\n# `{section}` is not imported: {why}.\n");
            }
        }
    }
    text
}

/// A YAML scalar for any string (a JSON string is a valid double-quoted YAML scalar).
fn q(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn log_groups(live: &Live) -> String {
    let mut out = String::new();
    let names: BTreeSet<&str> = live
        .of(Kind::LogGroup)
        .map(|r| r.addr.name.as_str())
        .collect();
    for group in live.of(Kind::LogGroup) {
        if out.is_empty() {
            out.push_str("\nlog_groups:\n");
        }
        let props = &group.props;
        let _ = writeln!(out, "  - name: {}", q(&group.addr.name));
        if let Some(days) = props["retention_days"].as_i64() {
            let _ = writeln!(out, "    retention_days: {days}");
        }
        if let Some(key) = props["kms_key_id"].as_str() {
            let _ = writeln!(out, "    kms_key_id: {}", q(key));
        }
        if !props["data_protection"].is_null() {
            out.push_str("    data_protection:\n");
            out.push_str(&data_protection(
                &props["data_protection"],
                "      ",
                &names,
            ));
        }
    }
    out
}

fn account_data_protection(live: &Live) -> String {
    let names: BTreeSet<&str> = live
        .of(Kind::LogGroup)
        .map(|r| r.addr.name.as_str())
        .collect();
    live.of(Kind::AccountDataProtection)
        .find(|r| !r.props["policy"].is_null())
        .map(|r| {
            format!(
                "\naccount_data_protection:\n{}",
                data_protection(&r.props["policy"], "  ", &names)
            )
        })
        .unwrap_or_default()
}

/// A data-protection block (normalized policy properties) as spec YAML.
fn data_protection(props: &Value, indent: &str, groups: &BTreeSet<&str>) -> String {
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut out = String::new();
    if let Some(name) = props["name"].as_str() {
        let _ = writeln!(out, "{indent}name: {}", q(name));
    }
    let identifiers = keys(&props["identifiers"]);
    let list: Vec<String> = identifiers.iter().map(|i| q(i)).collect();
    let _ = writeln!(out, "{indent}identifiers: [{}]", list.join(", "));
    if let Some(custom) = props["custom_identifiers"]
        .as_object()
        .filter(|m| !m.is_empty())
    {
        let _ = writeln!(out, "{indent}custom_identifiers:");
        for (name, regex) in custom {
            let _ = writeln!(
                out,
                "{indent}  - {{name: {}, regex: {}}}",
                q(name),
                q(regex.as_str().unwrap_or_default())
            );
        }
    }
    let findings = &props["findings"];
    let mut parts = Vec::new();
    let mut external = false;
    for (key, value) in ["log_group", "s3_bucket", "firehose"].map(|k| (k, findings[k].as_str())) {
        if let Some(value) = value {
            parts.push(format!("{key}: {}", q(value)));
            external |= key != "log_group" || !groups.contains(value);
        }
    }
    if external {
        parts.push("external: true".into());
    }
    if !parts.is_empty() {
        let _ = writeln!(out, "{indent}findings: {{{}}}", parts.join(", "));
    }
    let mut audited: BTreeSet<String> = identifiers.into_iter().collect();
    audited.extend(keys(&props["custom_identifiers"]));
    let masked: BTreeSet<String> = keys(&props["mask"]).into_iter().collect();
    if masked != audited {
        let list: Vec<String> = masked.iter().map(|i| q(i)).collect();
        let _ = writeln!(out, "{indent}mask: [{}]", list.join(", "));
    }
    out
}

fn invocation_logging(live: &Live) -> String {
    let Some(config) = live
        .of(Kind::InvocationLogging)
        .map(|r| &r.props)
        .find(|p| p["enabled"] == true)
    else {
        return String::new();
    };
    let mut out = String::from("\ninvocation_logging:\n");
    let flag = |name: &str| match config["data"][name].as_bool() {
        Some(b) => b.to_string(),
        // Unset live: written as AWS's default; the plan shows it set explicitly.
        None => "true".to_string(),
    };
    let _ = writeln!(
        out,
        "  data: {{text: {}, image: {}, embedding: {}, video: {}}}",
        flag("text"),
        flag("image"),
        flag("embedding"),
        flag("video")
    );
    let location = |v: &Value| {
        let mut parts = vec![format!(
            "bucket: {}",
            q(v["bucket"].as_str().unwrap_or_default())
        )];
        if let Some(prefix) = v["key_prefix"].as_str() {
            parts.push(format!("key_prefix: {}", q(prefix)));
        }
        // Buckets stay as they are: warden would rewrite their policy, encryption and
        // public-access settings on adoption.
        parts.push("create: false".into());
        format!("{{{}}}", parts.join(", "))
    };
    let groups: BTreeSet<&str> = live
        .of(Kind::LogGroup)
        .map(|r| r.addr.name.as_str())
        .collect();
    if let Some(cw) = config["cloudwatch"].as_object() {
        out.push_str("  cloudwatch:\n");
        let group = cw
            .get("log_group")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let _ = writeln!(out, "    log_group: {}", q(group));
        if !groups.contains(group) {
            out.push_str("    external: true\n");
        }
        if let Some(role) = cw.get("role_arn").and_then(Value::as_str) {
            let _ = writeln!(out, "    role_arn: {}", q(role));
        }
        if let Some(large) = cw.get("large_data").filter(|v| !v.is_null()) {
            let _ = writeln!(out, "    large_data: {}", location(large));
        }
    }
    if !config["s3"].is_null() {
        let _ = writeln!(out, "  s3: {}", location(&config["s3"]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spec section added without saying how it is imported (or why not) fails here.
    #[test]
    fn every_spec_section_has_an_import_entry() {
        let schema = crate::spec::json_schema();
        let header = crate::spec::NON_SECTION_FIELDS;
        for section in schema["properties"].as_object().unwrap().keys() {
            if header.contains(&section.as_str()) {
                continue;
            }
            assert!(
                SECTION_IMPORTS.iter().any(|(name, _)| name == section),
                "spec section `{section}` has no entry in src/cli/import.rs SECTION_IMPORTS"
            );
        }
    }
}
