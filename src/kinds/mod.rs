//! The registry of resource kinds: each kind's module knows how to read, compare and write it;
//! this file routes the engine's generic calls to the right module.

pub mod log_group;

use serde_json::Value;

use crate::cloud::{AccountSession, CloudError};
use crate::model::{Kind, LiveResource};
use crate::plan::{Action, ResourceChange};

/// Reads the live state of the named resources of every kind in one account and region.
/// With `discover_owner`, also returns resources tagged as owned by that project that are not named.
pub async fn read_scope(
    session: &AccountSession,
    account_name: &str,
    region: &str,
    names: &[(Kind, String)],
    discover_owner: Option<&str>,
) -> Result<Vec<LiveResource>, CloudError> {
    let mut live = Vec::new();
    for kind in Kind::ALL {
        let of_kind: Vec<String> = names
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| n.clone())
            .collect();
        if of_kind.is_empty() && discover_owner.is_none() {
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
                live.extend(log_group::read(&scope, &of_kind, discover_owner).await?);
            }
        }
    }
    Ok(live)
}

/// The part of `live` that the desired properties govern (what the diff compares).
pub fn comparable(kind: Kind, desired: &Value, live: &Value) -> Value {
    match kind {
        Kind::LogGroup => log_group::comparable(desired, live),
    }
}

/// Carries out one planned change.
pub async fn execute(session: &AccountSession, change: &ResourceChange) -> Result<(), CloudError> {
    let addr = &change.address;
    let null = Value::Null;
    let before = change.before.as_ref().unwrap_or(&null);
    let after = change.after.as_ref().unwrap_or(&null);
    match addr.kind {
        Kind::LogGroup => {
            let client = session.logs(&addr.region);
            let scope = log_group::Scope {
                client: &client,
                account_name: &addr.account,
                account_id: &session.account_id,
                region: &addr.region,
            };
            match change.action {
                Action::Create => log_group::create(&scope, &addr.name, after).await,
                Action::Update | Action::Adopt => {
                    log_group::update(&scope, &addr.name, before, after).await
                }
                Action::Delete => log_group::delete(&scope, &addr.name).await,
                Action::NoOp => Ok(()),
            }
        }
    }
}
