//! `warden permissions`: the least-privilege IAM policy for running warden on a spec, and
//! (`--onboarding`) the role a customer account deploys for the operations account.

use super::common::{
    expand, filter_desired, print_stdout, render_diagnostics, spec_path, stderr_color,
};
use super::PermissionsArgs;
use crate::error::{Outcome, WardenError};
use crate::permissions::{self, Onboarding};
use crate::render;
use crate::source::regions;
use crate::spec::{self, EnvMode};

pub fn run(args: &PermissionsArgs) -> Result<Outcome, WardenError> {
    let file = spec_path(args.file.as_deref())?;
    // Offline, like validate: `${env:…}` need not be set (unresolved ones stay references).
    let loaded = spec::load(&file, EnvMode::Lenient).map_err(WardenError::Spec)?;
    if !loaded.warnings.is_empty() {
        eprint!(
            "{}",
            render_diagnostics(&loaded.source, &loaded.warnings, stderr_color())
        );
    }
    let everything = expand(&loaded)?;
    let desired = filter_desired(everything.clone(), &args.scope)?;
    if !args.onboarding {
        let policy = permissions::policy(&desired, args.read_only);
        print_stdout(&render::json(&policy))?;
        return Ok(Outcome::Clean);
    }
    // The governed account: the one --account names, else the first reached by a role.
    let governed = desired
        .accounts
        .iter()
        .find(|a| a.role_arn.is_some())
        .or_else(|| desired.accounts.first())
        .ok_or_else(|| WardenError::usage("the spec has no account in scope", None))?;
    let operations = match &args.operations_account {
        Some(id) => id.clone(),
        None => {
            let direct: Vec<&str> = everything
                .accounts
                .iter()
                .filter(|a| a.role_arn.is_none())
                .map(|a| a.id.as_str())
                .collect();
            match direct.as_slice() {
                [one] => one.to_string(),
                _ => {
                    return Err(WardenError::usage(
                        "which account runs warden? the spec does not say (it is the one listed without role_arn)",
                        Some("pass --operations-account 123456789012"),
                    ))
                }
            }
        }
    };
    if operations.len() != 12 || !operations.chars().all(|c| c.is_ascii_digit()) {
        return Err(WardenError::usage(
            format!("--operations-account {operations}: an account id is 12 digits"),
            None,
        ));
    }
    let role_name = governed
        .role_arn
        .as_deref()
        .and_then(|arn| arn.rsplit('/').next())
        .unwrap_or("bedrock-warden")
        .to_string();
    let mut only = desired.clone();
    only.accounts.retain(|a| a.name == governed.name);
    only.resources.retain(|r| r.addr.account == governed.name);
    // The role itself assumes nothing.
    for account in &mut only.accounts {
        account.role_arn = None;
    }
    let onboarding = Onboarding {
        role_name,
        operations_account: operations,
        account_id: governed.id.clone(),
        policy: permissions::policy(&only, args.read_only),
    };
    let partition =
        regions::partition(governed.regions.first().map_or("us-east-1", String::as_str));
    let document = if args.plain {
        onboarding.plain(partition)
    } else {
        onboarding.cloudformation()
    };
    print_stdout(&render::json(&document))?;
    Ok(Outcome::Clean)
}
