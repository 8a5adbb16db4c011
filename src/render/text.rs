//! The plan and drift report for people: grouped by account and region, colored on a terminal.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use super::group::{self, Family, Item};
use super::style::{self, BOLD, DIM, ERROR};
use super::value::{is_long, show, unified};
use super::{Mode, View};
use crate::cloud::ApiCallReport;
use crate::plan::{Action, FieldChange, Plan, ResourceChange};

fn word(action: Action, mode: Mode) -> &'static str {
    match (mode, action) {
        (Mode::Plan, a) => a.as_str(),
        (Mode::Drift, Action::Create) => "missing",
        (Mode::Drift, Action::Update | Action::Replace) => "drifted",
        (Mode::Drift, Action::Adopt) => "unmanaged",
        (Mode::Drift, Action::Delete) => "orphaned",
        (Mode::Drift, Action::NoOp) => "in sync",
    }
}

pub fn plan(plan: &Plan, mode: Mode, verbose: bool) -> String {
    plan_view(
        plan,
        mode,
        View {
            verbose,
            summary_only: false,
        },
    )
}

/// The plan: a tally per account first, then each change made the same way in several places
/// once (with the places and the exceptions), then the changes made in one place only, by
/// account and region. `view.summary_only` stops after the tallies.
pub fn plan_view(plan: &Plan, mode: Mode, view: View) -> String {
    let verbose = view.verbose;
    let mut out = String::new();
    if view.summary_only || plan.has_changes() || !plan.errors.is_empty() {
        by_account(&mut out, plan, mode);
    }
    if view.summary_only {
        // Errors stay: a notification must not read as clean when a scope was not read.
        errors(&mut out, plan);
        totals(&mut out, plan, mode, verbose);
        return out;
    }
    let families = group::families(plan);
    let grouped: Vec<&Family> = families.iter().filter(|f| !f.is_single()).collect();
    if !grouped.is_empty() {
        let _ = writeln!(out, "{BOLD}Changes made alike in several places{BOLD:#}");
        for family in grouped {
            family_text(&mut out, family, mode, verbose);
        }
        out.push('\n');
    }
    let singles: HashSet<*const ResourceChange> = families
        .iter()
        .filter(|f| f.is_single())
        .map(|f| f.main().first as *const ResourceChange)
        .collect();
    let mut accounts: BTreeMap<(&str, &str), BTreeMap<&str, Vec<&ResourceChange>>> =
        BTreeMap::new();
    for change in plan
        .pending()
        .filter(|c| singles.contains(&(*c as *const ResourceChange)))
    {
        accounts
            .entry((change.address.account.as_str(), change.account_id.as_str()))
            .or_default()
            .entry(change.address.region.as_str())
            .or_default()
            .push(change);
    }
    for ((account, id), regions) in &accounts {
        let _ = writeln!(out, "{BOLD}account {account} ({id}){BOLD:#}");
        for (region, changes) in regions {
            let _ = writeln!(out, "  {BOLD}{region}{BOLD:#}");
            for change in changes {
                resource(&mut out, change, mode, verbose);
            }
        }
        out.push('\n');
    }
    errors(&mut out, plan);
    notes(&mut out, plan);
    totals(&mut out, plan, mode, verbose);
    out
}

/// The closing lines: the totals, what is incomplete, the API calls.
fn totals(out: &mut String, plan: &Plan, mode: Mode, verbose: bool) {
    let s = &plan.summary;
    if plan.changes.is_empty() && !plan.errors.is_empty() {
        out.push_str(&format!("{ERROR}Nothing could be compared:{ERROR:#} every scope failed (see the errors above).\n"));
        api_calls(out, &plan.api_calls, verbose);
        return;
    }
    let line = match mode {
        Mode::Plan if !plan.has_changes() => format!(
            "{BOLD}No changes.{BOLD:#} {} the spec.",
            count(s.no_op, "resource matches", "resources match")
        ),
        Mode::Plan => format!(
            "{BOLD}Plan:{BOLD:#} {} to create, {} to adopt, {} to update, {}{} to delete, {} unchanged.",
            s.create,
            s.adopt,
            s.update,
            // Said only when there is one, so plans without a replace read as before.
            if s.replace > 0 { format!("{} to replace, ", s.replace) } else { String::new() },
            s.delete,
            s.no_op
        ),
        Mode::Drift if !plan.has_changes() => format!(
            "{BOLD}No drift.{BOLD:#} {} the spec.",
            count(s.no_op, "resource matches", "resources match")
        ),
        Mode::Drift => format!(
            "{BOLD}Drift:{BOLD:#} {} from the spec ({} missing, {} drifted, {} unmanaged, {} orphaned); {} in sync.",
            count(s.create + s.adopt + s.update + s.replace + s.delete, "resource differs", "resources differ"),
            s.create, s.update + s.replace, s.adopt, s.delete, s.no_op
        ),
    };
    out.push_str(&line);
    out.push('\n');
    if !plan.errors.is_empty() {
        // A scope that could not be read and a resource that could not be settled (owned by
        // another project, say) are different troubles: each is counted as what it is.
        let unread = plan.errors.iter().filter(|e| e.address.is_none()).count();
        let unsettled = plan.errors.len() - unread;
        let mut parts = Vec::new();
        if unread > 0 {
            parts.push(format!("{unread} scope(s) could not be read"));
        }
        if unsettled > 0 {
            parts.push(format!(
                "{unsettled} resource(s) are in error and will not be changed"
            ));
        }
        let _ = writeln!(
            out,
            "{ERROR}Incomplete:{ERROR:#} {}; see errors above.",
            parts.join(", ")
        );
    }
    api_calls(out, &plan.api_calls, verbose);
}

/// `1 resource matches` / `2 resources match`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One line per account: what the plan does there (`ops (123456789012)  12 to create, 1 to
/// update, 3 unchanged`), accounts in the spec's order.
fn by_account(out: &mut String, plan: &Plan, mode: Mode) {
    let tallies = account_tallies(plan, mode);
    let width = tallies
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "{BOLD}By account{BOLD:#}");
    for (label, tally) in &tallies {
        let _ = writeln!(out, "  {label:<width$}  {tally}");
    }
    out.push('\n');
}

/// `(account label, tally)` per account of the plan, in the spec's order.
pub fn account_tallies(plan: &Plan, mode: Mode) -> Vec<(String, String)> {
    let mut names: Vec<(&str, &str)> = plan
        .accounts
        .iter()
        .map(|a| (a.name.as_str(), a.id.as_str()))
        .collect();
    for c in &plan.changes {
        if !names.iter().any(|(n, _)| *n == c.address.account) {
            names.push((&c.address.account, &c.account_id));
        }
    }
    let tallies = group::tallies(plan);
    names
        .into_iter()
        .map(|(name, id)| {
            let s = tallies.get(name).cloned().unwrap_or_default();
            let errors = s.errors;
            let parts: Vec<(usize, &str)> = match mode {
                Mode::Plan => vec![
                    (s.create, "to create"),
                    (s.adopt, "to adopt"),
                    (s.update, "to update"),
                    (s.replace, "to replace"),
                    (s.delete, "to delete"),
                    (s.no_op, "unchanged"),
                ],
                Mode::Drift => vec![
                    (s.create, "missing"),
                    (s.update + s.replace, "drifted"),
                    (s.adopt, "unmanaged"),
                    (s.delete, "orphaned"),
                    (s.no_op, "in sync"),
                ],
            };
            let mut words: Vec<String> = parts
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
            if errors > 0 {
                words.push(count(errors, "error", "errors"));
            }
            if words.is_empty() {
                words.push("nothing in scope".to_string());
            }
            (format!("{name} ({id})"), words.join(", "))
        })
        .collect()
}

/// A change made in several places: once, with its places, then each exception with what
/// differs there.
fn family_text(out: &mut String, family: &Family, mode: Mode, verbose: bool) {
    let rule = family.main();
    let t = &rule.templated;
    let st = style::action(t.action);
    let _ = writeln!(
        out,
        "  {st}{} {} {}{st:#}  {DIM}{}{DIM:#} {}",
        style::marker(t.action),
        t.kind,
        t.name,
        word(t.action, mode),
        group::count_places(t.kind, family.len())
    );
    let _ = writeln!(
        out,
        "      {DIM}{}{DIM:#}",
        group::list_places(&rule.places, verbose)
    );
    if let Some(reason) = &t.reason {
        reason_lines(out, reason, "      ");
    }
    let items = group::items(t.kind, t.action, t.after.as_ref(), &t.fields, verbose);
    for item in &items {
        item_lines(out, t.action, item, mode, &t.forces_replacement, "      ");
    }
    let (shown, folded) = group::split_exceptions(family, verbose);
    for exception in shown {
        let e = &exception.templated;
        let _ = writeln!(
            out,
            "      {BOLD}except{BOLD:#} {}:",
            group::list_places(&exception.places, verbose)
        );
        if e.reason != t.reason {
            if let Some(reason) = &e.reason {
                reason_lines(out, reason, "        ");
            }
        }
        for item in group::exception_items(t, e, verbose) {
            item_lines(
                out,
                e.action,
                &item,
                mode,
                &e.forces_replacement,
                "        ",
            );
        }
    }
    for fold in folded {
        let _ = writeln!(
            out,
            "      {BOLD}except{BOLD:#} {} places with other values of {} (-v shows each): {}",
            fold.places.len(),
            fold.paths.join(", "),
            group::list_places(&fold.places, verbose)
        );
    }
}

fn resource(out: &mut String, change: &ResourceChange, mode: Mode, verbose: bool) {
    let st = style::action(change.action);
    let _ = writeln!(
        out,
        "    {st}{} {} {}{st:#}  {DIM}{}{DIM:#}",
        style::marker(change.action),
        change.address.kind,
        change.address.name,
        word(change.action, mode)
    );
    let _ = writeln!(out, "        {DIM}address: {}{DIM:#}", change.address);
    if let Some(reason) = &change.reason {
        reason_lines(out, reason, "        ");
    }
    let items = group::items(
        change.address.kind,
        change.action,
        change.after.as_ref(),
        &change.fields,
        verbose,
    );
    for item in &items {
        item_lines(
            out,
            change.action,
            item,
            mode,
            &change.forces_replacement,
            "        ",
        );
    }
}

/// Reasons list several findings separated by "; ": one per line reads better.
fn reason_lines(out: &mut String, reason: &str, indent: &str) {
    for (i, part) in reason.split("; ").enumerate() {
        let more = if i == 0 { "" } else { "  " };
        let _ = writeln!(out, "{indent}{more}{DIM}{part}{DIM:#}");
    }
}

fn item_lines(
    out: &mut String,
    action: Action,
    item: &Item,
    mode: Mode,
    forces: &[String],
    indent: &str,
) {
    let st = style::action(action);
    match item {
        Item::Words(words) => {
            for (i, line) in words.lines().enumerate() {
                if i == 0 {
                    let _ = writeln!(out, "{indent}{st}{}{st:#} {line}", style::marker(action));
                } else {
                    let _ = writeln!(out, "{indent}    {line}");
                }
            }
        }
        Item::Field(field) => {
            let forcing = forces.contains(&field.path);
            field_line(out, action, field, mode, forcing, indent);
        }
        Item::Unchanged(path) => {
            let what = if action == Action::Create {
                "not set here"
            } else {
                "not changed here"
            };
            let _ = writeln!(out, "{indent}{DIM}{path}: {what}{DIM:#}");
        }
    }
}

fn field_line(
    out: &mut String,
    action: Action,
    field: &FieldChange,
    mode: Mode,
    forces: bool,
    indent: &str,
) {
    let st = style::action(action);
    let forcing = if forces { " (forces replacement)" } else { "" };
    if is_long(&field.before) || is_long(&field.after) {
        let _ = writeln!(out, "{indent}{st}{}{st:#}{forcing}:", field.path);
        for line in unified(&field.before, &field.after).lines() {
            let _ = writeln!(out, "{indent}  {line}");
        }
        return;
    }
    let text = match (action, mode) {
        (Action::Create, _) => format!("{} = {}", field.path, show(&field.after)),
        (Action::Delete, _) => format!("{} = {}", field.path, show(&field.before)),
        (_, Mode::Plan) => format!(
            "{}: {} → {}",
            field.path,
            show(&field.before),
            show(&field.after)
        ),
        (_, Mode::Drift) => format!(
            "{}: live {}, spec {}",
            field.path,
            show(&field.before),
            show(&field.after)
        ),
    };
    let _ = writeln!(
        out,
        "{indent}{st}{}{st:#} {text}{forcing}",
        style::marker(action)
    );
}

fn errors(out: &mut String, plan: &Plan) {
    for e in &plan.errors {
        let place = match (&e.address, &e.region) {
            (Some(addr), _) => addr.to_string(),
            (None, Some(region)) => format!("{}/{region}", e.account),
            (None, None) => format!("account {}", e.account),
        };
        let _ = writeln!(out, "{ERROR}error:{ERROR:#} {place}: {}", e.message);
    }
    if !plan.errors.is_empty() {
        out.push('\n');
    }
}

fn notes(out: &mut String, plan: &Plan) {
    for n in &plan.notes {
        let _ = writeln!(
            out,
            "{BOLD}note:{BOLD:#} {}/{}: {}",
            n.account, n.region, n.message
        );
    }
    if !plan.notes.is_empty() {
        out.push('\n');
    }
}

/// API calls: the total always, per operation with `verbose`.
pub fn api_calls(out: &mut String, calls: &ApiCallReport, verbose: bool) {
    let retries = calls.total_attempts.saturating_sub(calls.total_calls);
    let _ = writeln!(
        out,
        "{DIM}AWS API calls: {} ({} retries){DIM:#}",
        calls.total_calls, retries
    );
    if verbose {
        for op in &calls.operations {
            let _ = writeln!(
                out,
                "{DIM}  {:>5}  {}:{}{}{DIM:#}",
                op.calls,
                op.service,
                op.operation,
                if op.attempts > op.calls {
                    format!(" ({} attempts)", op.attempts)
                } else {
                    String::new()
                }
            );
        }
    }
}
