//! `accounts_from`: the accounts of an AWS Organizations unit, found when the spec is loaded
//! for a command that talks to AWS, added to the accounts listed by hand (which win by id).

use schemars::JsonSchema;
use serde::Deserialize;

use super::check::Checker;
use super::types::Spec;
use crate::source::Sp;

/// Where to find accounts, and how to reach them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountsFrom {
    /// The organizational unit whose ACTIVE accounts are governed.
    pub organization: OrganizationSource,
    /// The role warden assumes in each discovered account: `arn:aws:iam::<id>:role/<role_name>`.
    pub role_name: Sp<String>,
    /// External id the role's trust policy requires; usually `${env:NAME}`.
    #[serde(default)]
    pub external_id: Option<Sp<String>>,
    /// Accounts of the unit to leave out, by 12-digit id or by their name in the organization.
    #[serde(default)]
    pub exclude: Vec<Sp<String>>,
}

/// An organizational unit.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationSource {
    /// The unit's id (`ou-abcd-12345678`) or the root's (`r-abcd`).
    pub ou: Sp<String>,
    /// Also the accounts of every unit below it. Default: false.
    #[serde(default)]
    pub recursive: bool,
}

impl Checker<'_> {
    /// The unit and role name as AWS writes them; discovered accounts need default regions.
    pub(crate) fn accounts_from(&mut self, spec: &Spec) {
        let Some(from) = &spec.accounts_from else {
            return;
        };
        let ou = from.organization.ou.get();
        if !(is_ou_id(ou) || is_root_id(ou)) {
            self.error(
                from.organization.ou.span(),
                "accounts_from.organization.ou".into(),
                format!("`{ou}` is not an organizational unit or root id"),
                Some("write the unit's id as AWS Organizations shows it, e.g. `ou-abcd-12345678` (or the root, `r-abcd`)".into()),
            );
        }
        let role = from.role_name.get();
        let role_ok = !role.is_empty()
            && role.len() <= 64
            && role
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !role_ok {
            self.error(
                from.role_name.span(),
                "accounts_from.role_name".into(),
                format!("`{role}` is not an IAM role name"),
                Some(
                    "1-64 letters, digits and `+=,.@_-`, without a path, e.g. `bedrock-warden`"
                        .into(),
                ),
            );
        }
        if spec.defaults.regions.is_empty() {
            self.error(
                from.role_name.span(),
                "accounts_from".into(),
                "discovered accounts take `defaults.regions`, which is empty".into(),
                Some("add `defaults: {regions: [us-east-1]}`".into()),
            );
        }
    }
}

fn is_ou_id(text: &str) -> bool {
    let mut parts = text.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("ou"), Some(root), Some(unit), None)
            if (4..=32).contains(&root.len()) && (8..=32).contains(&unit.len())
                && root.chars().chain(unit.chars()).all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    )
}

fn is_root_id(text: &str) -> bool {
    text.strip_prefix("r-").is_some_and(|rest| {
        (4..=32).contains(&rest.len())
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_and_root_ids_are_recognised() {
        assert!(is_ou_id("ou-abcd-12345678"));
        assert!(is_root_id("r-abcd"));
        for bad in [
            "ou-abcd",
            "ou-ABCD-12345678",
            "abcd-12345678",
            "r-",
            "ou-ab-12345678",
        ] {
            assert!(!is_ou_id(bad) && !is_root_id(bad), "{bad}");
        }
    }
}
