//! `warden destroy`: the sandbox teardown. Shows, then deletes, everything the spec's project
//! owns in the selected accounts and regions, in reverse dependency order, through the same
//! executor as `apply` (ownership re-read before each delete, verification, leases).

use std::collections::HashMap;

use serde_json::{json, Value};

use super::common::{cloud_context, confirm, load_for_aws, print_stdout, progress, spec_path};
use super::plan::outcome;
use super::{ApplyFormat, DestroyArgs};
use crate::apply::{self as executor, lease};
use crate::error::{Outcome, WardenError};
use crate::kinds::{self, Ownership};
use crate::model::{Desired, LiveResource, ResourceAddr};
use crate::plan::build::in_dependency_order;
use crate::plan::diff::field_changes;
use crate::plan::read::{names_by_scope, LiveRead, Reader, ScopeKey};
use crate::plan::{Action, Plan, ResourceChange, ScopeNote, PLAN_FORMAT_VERSION};
use crate::render::{self, apply_report, Format, Mode};

pub async fn run(args: &DestroyArgs, verbose: bool) -> Result<Outcome, WardenError> {
    let file = spec_path(args.file.as_deref())?;
    if file == crate::spec::STDIN && !args.auto_approve {
        return Err(WardenError::usage(
            "destroy -f - reads the spec from standard input, so it cannot also ask for confirmation there",
            Some("pass --auto-approve, or save the spec to a file"),
        ));
    }
    let ctx = cloud_context(&args.scope).await;
    let desired = load_for_aws(&file, &args.scope, &ctx).await?;
    let bars = progress(desired.accounts.len(), "reading");
    let reader = Reader::new(
        &ctx,
        &desired.accounts,
        &desired.project,
        args.scope.parallelism.into(),
        bars.as_ref(),
    );
    let scopes: Vec<ScopeKey> = desired
        .scopes()
        .into_iter()
        .map(|(a, r)| (a.name.clone(), r.to_string()))
        .collect();
    // As in apply: the leases first, so nothing this project applies meanwhile is missed.
    lease::take_all(&reader, &scopes, args.lease_wait).await;
    let result = destroy(args, &reader, &desired, &scopes, &file, verbose).await;
    lease::release_all(&reader).await;
    result
}

async fn destroy(
    args: &DestroyArgs,
    reader: &Reader<'_>,
    desired: &Desired,
    scopes: &[ScopeKey],
    file: &str,
    verbose: bool,
) -> Result<Outcome, WardenError> {
    let names = names_by_scope(desired.resources.iter().map(|r| (&r.addr, &r.props)));
    // Owned resources the spec no longer names are found too (kinds that can discover).
    let read = reader
        .read(scopes, &names, Some(desired.project.as_str()))
        .await;
    let mut plan = destroy_plan(desired, read, file);
    // What a delete would destroy besides the resource (a bucket's objects).
    let mut to_empty: Vec<ResourceAddr> = Vec::new();
    let mut held: Vec<ResourceAddr> = Vec::new();
    for change in plan.changes.iter_mut() {
        let addr = &change.address;
        let Ok(session) = reader.session(&addr.account).await else {
            continue;
        };
        match kinds::contents(addr.kind, &session, &addr.account, &addr.region, &addr.name).await {
            Ok(None) => {}
            Ok(Some(what)) if args.force_delete_bucket_contents => {
                change.reason = Some(format!(
                    "{what}: emptied first (--force-delete-bucket-contents), then deleted"
                ));
                to_empty.push(addr.clone());
            }
            Ok(Some(what)) => {
                plan.notes.push(ScopeNote {
                    account: addr.account.clone(),
                    region: addr.region.clone(),
                    message: format!(
                        "{addr} {what}: not emptied and not deleted (pass --force-delete-bucket-contents to empty and delete it)"
                    ),
                });
                held.push(addr.clone());
            }
            Err(e) => plan.errors.push(crate::plan::ScopeError {
                account: addr.account.clone(),
                region: Some(addr.region.clone()),
                address: Some(addr.clone()),
                message: format!("its contents could not be listed ({e}): not deleted"),
            }),
        }
    }
    let in_error: Vec<ResourceAddr> = plan
        .errors
        .iter()
        .filter_map(|e| e.address.clone())
        .collect();
    plan.changes
        .retain(|c| !held.contains(&c.address) && !in_error.contains(&c.address));
    plan.summary = Plan::summarize(&plan.changes, plan.errors.len());
    plan.api_calls = reader.api_calls();

    let shown = if plan.has_changes() || !plan.errors.is_empty() {
        render::plan(&plan, Format::Text, Mode::Plan, false)
    } else {
        // "No changes … match the spec" would read oddly here.
        let mut text: String = plan
            .notes
            .iter()
            .map(|n| format!("note: {}/{}: {}\n", n.account, n.region, n.message))
            .collect();
        text.push_str(&format!(
            "Nothing to destroy: project `{}` owns nothing else in the selected accounts and regions.\n",
            plan.project
        ));
        text
    };
    match args.format {
        ApplyFormat::Text => print_stdout(&shown)?,
        ApplyFormat::Json if !args.auto_approve && plan.has_changes() => {
            let mut err = anstream::stderr();
            std::io::Write::write_all(&mut err, shown.as_bytes())?;
        }
        ApplyFormat::Json => {}
    }
    if !plan.has_changes() {
        if args.format == ApplyFormat::Json {
            print_stdout(&render::json(&json!({ "plan": plan, "report": null })))?;
        }
        return match outcome(&plan, false)? {
            Outcome::Clean if !held.is_empty() => Ok(Outcome::Partial),
            other => Ok(other),
        };
    }
    if !args.auto_approve {
        let count = plan.pending().count();
        if !confirm(&format!(
            "\nDestroy these {count} resource(s) of project `{}`? This cannot be undone.",
            plan.project
        ))? {
            return Err(WardenError::Cancelled);
        }
    }
    let mut emptying_failed: Vec<crate::plan::ScopeError> = Vec::new();
    for addr in &to_empty {
        if let Err(message) = empty_owned(reader, addr, &plan.project).await {
            emptying_failed.push(crate::plan::ScopeError {
                account: addr.account.clone(),
                region: Some(addr.region.clone()),
                address: Some(addr.clone()),
                message,
            });
        }
    }
    if !emptying_failed.is_empty() {
        plan.changes.retain(|c| {
            !emptying_failed
                .iter()
                .any(|e| e.address.as_ref() == Some(&c.address))
        });
        plan.errors.extend(emptying_failed);
    }
    let report = executor::apply(reader, &plan).await;
    match args.format {
        ApplyFormat::Json => {
            print_stdout(&render::json(&json!({ "plan": plan, "report": report })))?
        }
        ApplyFormat::Text => print_stdout(&apply_report::text(&report, verbose))?,
    }
    if report.failed() == 0 && report.unverified() == 0 && held.is_empty() {
        Ok(Outcome::Clean)
    } else if report.succeeded() == 0 && report.unverified() == 0 {
        Err(WardenError::usage(
            "nothing could be destroyed; see the report above",
            None,
        ))
    } else {
        Ok(Outcome::Partial)
    }
}

/// Empties a resource after re-reading that this project still owns it.
async fn empty_owned(
    reader: &Reader<'_>,
    addr: &ResourceAddr,
    project: &str,
) -> Result<(), String> {
    let key = (addr.account.clone(), addr.region.clone());
    let names = names_by_scope([(addr, &Value::Null)]);
    let read = reader
        .read_quietly(std::slice::from_ref(&key), &names)
        .await;
    if let Some(e) = read.errors.first() {
        return Err(format!(
            "its owner could not be re-read ({}): not emptied",
            e.message
        ));
    }
    let owner = read
        .live
        .get(&key)
        .and_then(|l| l.iter().find(|r| &r.addr == addr))
        .and_then(|r| r.owner.clone());
    if owner.as_deref() != Some(project) {
        return Err(format!(
            "it is no longer managed by this project ({}): not emptied",
            owner.map_or("no warden:managed-by tag".to_string(), |o| format!(
                "owner `{o}`"
            ))
        ));
    }
    let session = reader
        .session(&addr.account)
        .await
        .map_err(|e| e.to_string())?;
    kinds::delete_contents(addr.kind, &session, &addr.account, &addr.region, &addr.name)
        .await
        .map_err(|e| format!("emptying it failed: {e}"))
}

/// The plan of a destroy: a delete for every live resource this project owns (singletons the
/// spec names: when set), in reverse dependency order; what the spec names but warden does not
/// own is left alone with a note.
pub fn destroy_plan(desired: &Desired, read: LiveRead, file: &str) -> Plan {
    let depends: HashMap<&ResourceAddr, &Vec<ResourceAddr>> = desired
        .resources
        .iter()
        .map(|r| (&r.addr, &r.depends_on))
        .collect();
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    for ((_, _), live) in read.live {
        for resource in live {
            match decide(&desired.project, &resource) {
                Decision::Delete => {
                    let account_id = desired
                        .account(&resource.addr.account)
                        .map(|a| a.id.clone())
                        .unwrap_or_default();
                    changes.push(ResourceChange {
                        fields: field_changes(&resource.props, &Value::Null),
                        depends_on: depends
                            .get(&resource.addr)
                            .map(|d| d.to_vec())
                            .unwrap_or_default(),
                        address: resource.addr,
                        account_id,
                        action: Action::Delete,
                        before: Some(resource.props),
                        after: None,
                        reason: Some(format!(
                            "owned by project `{}` (warden destroy)",
                            desired.project
                        )),
                        forces_replacement: Vec::new(),
                    });
                }
                Decision::Nothing => {}
                Decision::LeaveAlone(why) => notes.push(ScopeNote {
                    account: resource.addr.account.clone(),
                    region: resource.addr.region.clone(),
                    message: format!("{} {why}: left alone", resource.addr),
                }),
            }
        }
    }
    let changes = in_dependency_order(changes);
    let summary = Plan::summarize(&changes, read.errors.len());
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        warden_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        spec_file: file.to_string(),
        project: desired.project.clone(),
        prune: true,
        accounts: desired.accounts.clone(),
        summary,
        changes,
        errors: read.errors,
        notes,
        api_calls: Default::default(),
    }
}

enum Decision {
    Delete,
    /// Not there (a singleton that is not set).
    Nothing,
    LeaveAlone(String),
}

fn decide(project: &str, resource: &LiveResource) -> Decision {
    let kind = resource.addr.kind;
    if kind.ownership() == Ownership::Singleton {
        // The engine makes a singleton the project's whose spec names it; only read if named.
        return match kinds::off(kind) {
            Some(off) if off == resource.props => Decision::Nothing,
            _ => Decision::Delete,
        };
    }
    match resource.owner.as_deref() {
        Some(owner) if owner == project => Decision::Delete,
        Some(other) => {
            Decision::LeaveAlone(format!("is managed by another warden project `{other}`"))
        }
        None => Decision::LeaveAlone(format!(
            "exists but is not managed by warden (no {} tag)",
            crate::model::OWNER_TAG
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a "not set" value, destroy could not tell a singleton that is off from one to
    /// delete, and the delete would never verify: every singleton kind must give one.
    #[test]
    fn every_singleton_kind_says_what_not_set_reads_as() {
        for kind in crate::kinds::ALL {
            if kind.ownership() == Ownership::Singleton {
                assert!(
                    kinds::off(*kind).is_some(),
                    "singleton kind `{kind}` has no `off()` value (src/kinds/{kind}.rs)"
                );
            }
        }
    }

    #[test]
    fn only_what_the_project_owns_is_deleted_in_reverse_dependency_order() {
        use crate::model::{AccountTarget, DesiredResource, Kind};
        let addr = |kind, name: &str| ResourceAddr::new("a", "us-east-1", kind, name);
        let live = |kind, name: &str, owner: Option<&str>, props: Value| LiveResource {
            addr: addr(kind, name),
            props,
            owner: owner.map(str::to_string),
        };
        let desired = Desired {
            project: "p".into(),
            quotas: Default::default(),
            discovered: Vec::new(),
            accounts: vec![AccountTarget {
                name: "a".into(),
                id: "123456789012".into(),
                role_arn: None,
                external_id: None,
                regions: vec!["us-east-1".into()],
            }],
            resources: vec![DesiredResource {
                addr: addr(Kind::InvocationLogging, "default"),
                props: json!({"enabled": true}),
                depends_on: vec![
                    addr(Kind::S3Bucket, "b"),
                    addr(Kind::IamRole, "r"),
                    addr(Kind::LogGroup, "mine"),
                ],
                origin: None,
            }],
        };
        let mut read = LiveRead::default();
        read.live.insert(
            ("a".into(), "us-east-1".into()),
            vec![
                live(Kind::S3Bucket, "b", Some("p"), json!({})),
                live(Kind::IamRole, "r", Some("p"), json!({})),
                live(Kind::LogGroup, "mine", Some("p"), json!({})),
                live(Kind::LogGroup, "theirs", Some("q"), json!({})),
                live(Kind::LogGroup, "untagged", None, json!({})),
                live(
                    Kind::InvocationLogging,
                    "default",
                    Some("p"),
                    json!({"enabled": true}),
                ),
                live(
                    Kind::AccountDataProtection,
                    "default",
                    Some("p"),
                    json!({"policy": null}),
                ),
            ],
        );
        let plan = destroy_plan(&desired, read, "w.yaml");
        // The order the executor runs them in (it orders each scope's changes again).
        let order: Vec<String> = crate::plan::order::execution_order(&plan.changes)
            .iter()
            .map(|c| c.address.to_string())
            .collect();
        assert_eq!(
            order,
            [
                "a/us-east-1/invocation_logging/default",
                "a/us-east-1/log_group/mine",
                "a/us-east-1/iam_role/r",
                "a/us-east-1/s3_bucket/b",
            ]
        );
        assert!(plan.changes.iter().all(|c| c.action == Action::Delete));
        let notes: Vec<&str> = plan.notes.iter().map(|n| n.message.as_str()).collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("log_group/theirs is managed by another warden project `q`"));
        assert!(notes[1].contains("log_group/untagged exists but is not managed by warden"));
    }
}
