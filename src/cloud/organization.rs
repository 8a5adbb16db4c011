//! Accounts discovered from AWS Organizations: the active accounts of an organizational unit
//! (and, when asked, of the units below it), so a spec need not list every account by hand.

use aws_sdk_organizations::types::{AccountState, AccountStatus, ChildType};

use super::{classify, CloudError};

/// An active account found under the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    /// Its name in the organization.
    pub name: String,
}

/// The active accounts directly under `parent` (an OU id or the root id), and with
/// `recursive` those of every unit below it, sorted by id. Calls are made with the caller's
/// credentials (the management account or a delegated administrator).
pub async fn active_accounts(
    client: &aws_sdk_organizations::Client,
    parent: &str,
    recursive: bool,
) -> Result<Vec<Member>, CloudError> {
    let mut found = Vec::new();
    let mut parents = vec![parent.to_string()];
    while let Some(parent) = parents.pop() {
        let mut pages = client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("organizations:ListAccountsForParent", e))?;
            for account in page.accounts() {
                if is_active(account) {
                    if let Some(id) = account.id() {
                        found.push(Member {
                            id: id.to_string(),
                            name: account.name().unwrap_or(id).to_string(),
                        });
                    }
                }
            }
        }
        if recursive {
            let mut pages = client
                .list_children()
                .parent_id(&parent)
                .child_type(ChildType::OrganizationalUnit)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| classify("organizations:ListChildren", e))?;
                parents.extend(
                    page.children()
                        .iter()
                        .filter_map(|c| c.id().map(str::to_string)),
                );
            }
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found.dedup_by(|a, b| a.id == b.id);
    Ok(found)
}

/// ACTIVE by `State` (the newer field) or, where only the older one is sent, by `Status`.
#[allow(deprecated)]
fn is_active(account: &aws_sdk_organizations::types::Account) -> bool {
    match account.state() {
        Some(state) => *state == AccountState::Active,
        None => account.status() == Some(&AccountStatus::Active),
    }
}

/// An address name for a discovered account: its organization name in lowercase with runs of
/// other characters as `-` (`Customer A (prod)` → `customer-a-prod`); the id when nothing is left.
pub fn address_name(member: &Member) -> String {
    let mut name = String::new();
    for c in member.name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-').to_string();
    if name.is_empty() {
        member.id.clone()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovered_accounts_get_address_names() {
        let member = |name: &str| Member {
            id: "111111111111".into(),
            name: name.into(),
        };
        assert_eq!(
            address_name(&member("Customer A (prod)")),
            "customer-a-prod"
        );
        assert_eq!(address_name(&member("team_ml")), "team_ml");
        assert_eq!(address_name(&member("  ")), "111111111111");
    }
}
