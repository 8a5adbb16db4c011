//! The registry of resource kinds: each kind's module knows how to read, compare and write it;
//! this file routes the engine's generic calls to the right module.

pub mod account_data_protection;
pub mod iam_role;
pub mod invocation_logging;
pub mod log_group;
pub mod s3_bucket;

use serde_json::Value;

use crate::cloud::{AccountSession, CloudError};
use crate::model::{Kind, LiveResource};
use crate::plan::{Action, ResourceChange};

/// Reads the live state of the named resources of every kind in one account and region.
/// With `discover_owner`, also returns log groups tagged as owned by that project that are not
/// named (pruning). `project` owns the singletons, which carry no tags.
pub async fn read_scope(
    session: &AccountSession,
    account_name: &str,
    region: &str,
    names: &[(Kind, String)],
    project: &str,
    discover_owner: Option<&str>,
) -> Result<Vec<LiveResource>, CloudError> {
    let mut live = Vec::new();
    for kind in Kind::ALL {
        let of_kind: Vec<String> = names
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| n.clone())
            .collect();
        let discover = discover_owner.filter(|_| *kind == Kind::LogGroup);
        if of_kind.is_empty() && discover.is_none() {
            continue;
        }
        match kind {
            Kind::LogGroup => {
                let client = session.logs(region);
                let scope = log_group::Scope {
                    client: &client,
                    account_name,
                    account_id: &session.account_id,
                    region,
                };
                live.extend(log_group::read(&scope, &of_kind, discover).await?);
            }
            Kind::IamRole => {
                let client = session.iam(region);
                let scope = iam_role::Scope {
                    client: &client,
                    account_name,
                    region,
                };
                live.extend(iam_role::read(&scope, &of_kind).await?);
            }
            Kind::S3Bucket => {
                let client = session.s3(region);
                let scope = s3_bucket::Scope {
                    client: &client,
                    account_name,
                    account_id: &session.account_id,
                    region,
                };
                live.extend(s3_bucket::read(&scope, &of_kind).await?);
            }
            Kind::InvocationLogging => {
                let client = session.bedrock(region);
                let scope = invocation_logging::Scope {
                    client: &client,
                    account_name,
                    region,
                };
                live.push(invocation_logging::read(&scope, project).await?);
            }
            Kind::AccountDataProtection => {
                let client = session.logs(region);
                let scope = account_data_protection::Scope {
                    client: &client,
                    account_name,
                    region,
                };
                live.push(account_data_protection::read(&scope, project).await?);
            }
        }
    }
    Ok(live)
}

/// The part of `live` that the desired properties govern (what the diff compares).
pub fn comparable(kind: Kind, desired: &Value, live: &Value) -> Value {
    match kind {
        Kind::LogGroup => log_group::comparable(desired, live),
        Kind::IamRole => iam_role::comparable(desired, live),
        Kind::S3Bucket => s3_bucket::comparable(desired, live),
        Kind::InvocationLogging | Kind::AccountDataProtection => live.clone(),
    }
}

/// Plain words for how `before` (live) differs from `after` (spec), where a field list is not enough.
pub fn explain(kind: Kind, before: &Value, after: &Value) -> Option<String> {
    match kind {
        Kind::InvocationLogging => invocation_logging::explain(before, after),
        Kind::IamRole => iam_role::explain(before, after),
        Kind::LogGroup => log_group::explain(before, after),
        Kind::AccountDataProtection => account_data_protection::explain(before, after),
        Kind::S3Bucket => None,
    }
}

/// `live` with the object at `key` reduced to the keys `desired` has there: tags and inline
/// policies that the spec does not name are left alone, so they are not compared either.
pub fn project_keys(desired: &Value, live: &Value, key: &str) -> Value {
    let mut view = live.clone();
    let wanted: Vec<&String> = desired
        .get(key)
        .and_then(Value::as_object)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    if let Some(map) = view.get_mut(key).and_then(Value::as_object_mut) {
        map.retain(|k, _| wanted.contains(&k));
    }
    view
}

/// Where the live policy document at `pointer` means the same as the desired one (key order,
/// single values vs lists, case of actions, account-id forms), shows it in the desired spelling,
/// so equivalent documents never appear as a change.
pub fn align_policy(desired: &Value, live: &mut Value, pointer: &str) {
    let (Some(want), Some(have)) = (desired.pointer(pointer), live.pointer_mut(pointer)) else {
        return;
    };
    if !want.is_null() && !have.is_null() && crate::policy::equivalent(want, have) {
        *have = want.clone();
    }
}

/// Carries out one planned change.
pub async fn execute(session: &AccountSession, change: &ResourceChange) -> Result<(), CloudError> {
    let addr = &change.address;
    let null = Value::Null;
    let before = change.before.as_ref().unwrap_or(&null);
    let after = change.after.as_ref().unwrap_or(&null);
    let (account_name, region, name) = (
        addr.account.as_str(),
        addr.region.as_str(),
        addr.name.as_str(),
    );
    if change.action == Action::NoOp {
        return Ok(());
    }
    match addr.kind {
        Kind::LogGroup => {
            let client = session.logs(region);
            let scope = log_group::Scope {
                client: &client,
                account_name,
                account_id: &session.account_id,
                region,
            };
            match change.action {
                Action::Create => log_group::create(&scope, name, after).await,
                Action::Update | Action::Adopt => {
                    log_group::update(&scope, name, before, after).await
                }
                Action::Delete => log_group::delete(&scope, name).await,
                Action::NoOp => Ok(()),
            }
        }
        Kind::IamRole => {
            let client = session.iam(region);
            let scope = iam_role::Scope {
                client: &client,
                account_name,
                region,
            };
            match change.action {
                Action::Create => iam_role::create(&scope, name, after).await,
                Action::Update | Action::Adopt => {
                    iam_role::update(&scope, name, before, after).await
                }
                Action::Delete => iam_role::delete(&scope, name, before).await,
                Action::NoOp => Ok(()),
            }
        }
        Kind::S3Bucket => {
            let client = session.s3(region);
            let scope = s3_bucket::Scope {
                client: &client,
                account_name,
                account_id: &session.account_id,
                region,
            };
            match change.action {
                Action::Create => s3_bucket::create(&scope, name, after).await,
                Action::Update | Action::Adopt => {
                    s3_bucket::update(&scope, name, before, after).await
                }
                Action::Delete => s3_bucket::delete(&scope, name).await,
                Action::NoOp => Ok(()),
            }
        }
        Kind::InvocationLogging => {
            let client = session.bedrock(region);
            let scope = invocation_logging::Scope {
                client: &client,
                account_name,
                region,
            };
            invocation_logging::apply(&scope, after).await
        }
        Kind::AccountDataProtection => {
            let client = session.logs(region);
            let scope = account_data_protection::Scope {
                client: &client,
                account_name,
                region,
            };
            account_data_protection::apply(&scope, before, after).await
        }
    }
}
