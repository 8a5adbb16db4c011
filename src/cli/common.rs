//! Helpers the commands share: loading and filtering the spec, output, prompts, progress.

use std::io::{BufRead, IsTerminal, Write};

use super::ScopeArgs;
use crate::cloud::{ApiCounter, ClientSettings, CloudContext};
use crate::deadline::Deadline;
use crate::error::WardenError;
use crate::model::{self, Desired};
use crate::plan::Plan;
use crate::progress::{Progress, Silent};
use crate::render::progress::Bars;
use crate::spec::{self, regions, Diagnostic, EnvMode, LoadedSpec, SourceFile};

/// Whether diagnostics on stderr are colored: `--color always|never` decides; with `auto`,
/// only on a terminal and without `NO_COLOR`.
pub fn stderr_color() -> bool {
    match anstream::ColorChoice::global() {
        anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi => true,
        anstream::ColorChoice::Never => false,
        anstream::ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

/// Every diagnostic with its source snippet, then a one-line count.
pub fn render_diagnostics(source: &SourceFile, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render(source, color));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        out.push_str(&format!(
            "error: {} has {errors} error(s); nothing was sent to AWS\n",
            source.path
        ));
    }
    out
}

/// Writes to stdout; anstream drops color codes when stdout is not a terminal.
pub fn print_stdout(text: &str) -> Result<(), WardenError> {
    let mut out = anstream::stdout();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

pub fn expand(loaded: &LoadedSpec) -> Result<Desired, WardenError> {
    model::expand(loaded).map_err(|diagnostics| WardenError::Expand {
        source_file: loaded.source.clone(),
        diagnostics,
    })
}

/// Loads a spec for a command that talks to AWS: every `${env:…}` must resolve.
pub async fn load_for_aws(
    path: &str,
    scope: &ScopeArgs,
    ctx: &CloudContext,
) -> Result<Desired, WardenError> {
    load_for_aws_with_source(path, scope, ctx)
        .await
        .map(|(desired, _)| desired)
}

/// The same, also returning the spec text as read (for a saved plan to carry).
pub async fn load_for_aws_with_source(
    path: &str,
    scope: &ScopeArgs,
    ctx: &CloudContext,
) -> Result<(Desired, SourceFile), WardenError> {
    let source = spec::parse::read_source(path).map_err(|d| {
        WardenError::Spec(spec::SpecErrors {
            source_file: SourceFile::new(path, ""),
            diagnostics: vec![d],
        })
    })?;
    let desired = filter_desired(unfiltered(source.clone(), ctx).await?, scope)?;
    Ok((desired, source))
}

/// Parses, checks (every offline check; `${env:…}` must resolve), adds the accounts AWS
/// Organizations gives (`accounts_from`) and expands spec text already read: a spec file, or
/// the spec embedded in a saved plan.
pub async fn unfiltered(source: SourceFile, ctx: &CloudContext) -> Result<Desired, WardenError> {
    let mut loaded = spec::load_source(source, EnvMode::Strict).map_err(WardenError::Spec)?;
    if !loaded.warnings.is_empty() {
        eprint!(
            "{}",
            render_diagnostics(&loaded.source, &loaded.warnings, stderr_color())
        );
    }
    let discovered = discover_accounts(&mut loaded, ctx).await?;
    let mut desired = expand(&loaded)?;
    desired.discovered = discovered;
    Ok(desired)
}

/// Adds the active accounts of `accounts_from`'s unit to the spec's accounts (those listed by
/// hand win by id; `exclude` leaves some out by id or organization name), each reached through
/// the role `role_name`. Returns their names with where they came from.
async fn discover_accounts(
    loaded: &mut LoadedSpec,
    ctx: &CloudContext,
) -> Result<Vec<(String, String)>, WardenError> {
    use crate::cloud::organization::{active_accounts, address_name};
    use crate::source::Sp;
    let Some(from) = loaded.spec.accounts_from.clone() else {
        return Ok(Vec::new());
    };
    let ou = from.organization.ou.get().clone();
    let members = active_accounts(&ctx.organizations(), &ou, from.organization.recursive)
        .await
        .map_err(|e| {
            WardenError::usage(
                format!("accounts_from: the accounts of {ou} could not be listed: {e}"),
                Some("the caller needs organizations:ListAccountsForParent (and ListChildren with `recursive`) in the management account or a delegated administrator"),
            )
        })?;
    let span = from.role_name.span();
    let mut taken: std::collections::HashSet<String> = loaded
        .spec
        .accounts
        .iter()
        .map(|a| a.name.get().clone())
        .collect();
    let mut added = Vec::new();
    for member in members {
        let excluded = from
            .exclude
            .iter()
            .any(|x| x.get() == &member.id || x.get() == &member.name);
        let listed = loaded
            .spec
            .accounts
            .iter()
            .any(|a| a.id.get() == &member.id);
        if excluded || listed {
            continue;
        }
        let mut name = address_name(&member);
        if !taken.insert(name.clone()) {
            name = format!("{name}-{}", member.id);
            taken.insert(name.clone());
        }
        let partition = loaded
            .spec
            .defaults
            .regions
            .first()
            .map(|r| regions::partition(r.get()))
            .unwrap_or("aws");
        let role_arn = format!(
            "arn:{partition}:iam::{}:role/{}",
            member.id,
            from.role_name.get()
        );
        let account: spec::types::Account = spec::types::Account {
            name: Sp::with_span(span, name.clone()),
            id: Sp::with_span(span, member.id.clone()),
            role_arn: Some(Sp::with_span(span, role_arn)),
            external_id: from.external_id.clone(),
            regions: None,
            tags: Default::default(),
            overrides: Vec::new(),
        };
        let list_span = loaded.spec.accounts.span();
        let mut accounts = loaded.spec.accounts.get().clone();
        accounts.push(account);
        loaded.spec.accounts = Sp::with_span(list_span, accounts);
        added.push((name, ou.clone()));
    }
    Ok(added)
}

/// Keeps only the accounts and regions the filters name; an unknown name is an error.
pub fn filter_desired(mut desired: Desired, scope: &ScopeArgs) -> Result<Desired, WardenError> {
    check_filters(&desired.accounts, scope)?;
    desired
        .accounts
        .retain(|a| account_selected(&a.name, &a.id, scope));
    for account in &mut desired.accounts {
        account.regions.retain(|r| region_selected(r, scope));
    }
    desired.accounts.retain(|a| !a.regions.is_empty());
    let kept = desired.accounts.clone();
    desired.resources.retain(|r| {
        kept.iter()
            .any(|a| a.name == r.addr.account && a.regions.contains(&r.addr.region))
    });
    Ok(desired)
}

/// The same filters applied to a saved plan: its accounts, changes, errors and summary.
pub fn filter_plan(mut plan: Plan, scope: &ScopeArgs) -> Result<Plan, WardenError> {
    check_filters(&plan.accounts, scope)?;
    plan.accounts
        .retain(|a| account_selected(&a.name, &a.id, scope));
    for account in &mut plan.accounts {
        account.regions.retain(|r| region_selected(r, scope));
    }
    plan.accounts.retain(|a| !a.regions.is_empty());
    let kept = plan.accounts.clone();
    let in_scope = |account: &str, region: Option<&str>| {
        kept.iter()
            .any(|a| a.name == account && region.is_none_or(|r| a.regions.iter().any(|k| k == r)))
    };
    plan.changes
        .retain(|c| in_scope(&c.address.account, Some(&c.address.region)));
    plan.errors
        .retain(|e| in_scope(&e.account, e.region.as_deref()));
    plan.notes.retain(|n| in_scope(&n.account, Some(&n.region)));
    plan.summary = Plan::summarize(&plan.changes, plan.errors.len());
    Ok(plan)
}

fn check_filters(accounts: &[model::AccountTarget], scope: &ScopeArgs) -> Result<(), WardenError> {
    for wanted in &scope.accounts {
        if !accounts
            .iter()
            .any(|a| &a.name == wanted || &a.id == wanted)
        {
            let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
            let hint = spec::did_you_mean(wanted, names.iter().copied())
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            return Err(WardenError::usage(
                format!("--account {wanted}: no such account in the spec"),
                Some(&format!("{hint}accounts: {}", names.join(", "))),
            ));
        }
    }
    for wanted in &scope.regions {
        if !accounts.iter().any(|a| a.regions.contains(wanted)) {
            return Err(WardenError::usage(
                format!("--region {wanted}: no account in the spec governs this region"),
                None,
            ));
        }
    }
    Ok(())
}

pub fn account_selected(name: &str, id: &str, scope: &ScopeArgs) -> bool {
    (scope.accounts.is_empty() || scope.accounts.iter().any(|w| w == name || w == id))
        && scope.shard.is_none_or(|shard| shard.holds(id))
}

fn region_selected(region: &str, scope: &ScopeArgs) -> bool {
    scope.regions.is_empty() || scope.regions.iter().any(|r| r == region)
}

/// The AWS context of a run: the credential chain, the call counter and the run's time limit
/// (`--timeout`, counted from here).
pub async fn cloud_context(scope: &ScopeArgs) -> CloudContext {
    let deadline = Deadline::after(scope.timeout);
    CloudContext::from_environment(ApiCounter::new(), &ClientSettings::default())
        .await
        .with_deadline(deadline)
}

/// Progress bars for multi-account runs on a terminal, nothing otherwise.
pub fn progress(accounts: usize, verb: &'static str) -> Box<dyn Progress> {
    if accounts > 1 && std::io::stderr().is_terminal() {
        Box::new(Bars::new(verb))
    } else {
        Box::new(Silent)
    }
}

/// Asks on the terminal; refuses to prompt when stdin is not one.
pub fn confirm(question: &str) -> Result<bool, WardenError> {
    if !std::io::stdin().is_terminal() {
        return Err(WardenError::usage(
            "refusing to ask for confirmation: standard input is not a terminal",
            Some("review the plan, then pass --auto-approve (e.g. in CI)"),
        ));
    }
    eprint!("{question} Only 'yes' is accepted: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// The spec file used when `-f` is not given: `warden.yaml` in the working directory.
pub const DEFAULT_SPEC: &str = "warden.yaml";

/// The spec path a command works on: the `-f` value, or `warden.yaml` in the working directory
/// when that exists; otherwise an error naming the path looked for and `-f`.
pub fn spec_path(file: Option<&str>) -> Result<String, WardenError> {
    if let Some(file) = file {
        return Ok(file.to_string());
    }
    if std::path::Path::new(DEFAULT_SPEC).is_file() {
        return Ok(DEFAULT_SPEC.to_string());
    }
    let cwd = std::env::current_dir()
        .map(|d| d.join(DEFAULT_SPEC).display().to_string())
        .unwrap_or_else(|_| DEFAULT_SPEC.to_string());
    Err(WardenError::usage(
        format!("no spec given and there is no {cwd}"),
        Some("pass the spec with -f SPEC (e.g. `-f examples/quickstart.yaml`), or write a starter one here with `warden init`"),
    ))
}
