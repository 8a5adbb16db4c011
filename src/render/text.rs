//! The plan and drift report for people: grouped by account and region, colored on a terminal.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::style::{self, BOLD, DIM, ERROR};
use super::value::{is_long, show, unified};
use super::Mode;
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
    let mut out = String::new();
    let mut accounts: BTreeMap<(&str, &str), BTreeMap<&str, Vec<&ResourceChange>>> =
        BTreeMap::new();
    for change in plan.pending() {
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
                resource(&mut out, change, mode);
            }
        }
        out.push('\n');
    }
    errors(&mut out, plan);
    notes(&mut out, plan);
    let s = &plan.summary;
    if plan.changes.is_empty() && !plan.errors.is_empty() {
        out.push_str(&format!("{ERROR}Nothing could be compared:{ERROR:#} every scope failed (see the errors above).\n"));
        api_calls(&mut out, &plan.api_calls, verbose);
        return out;
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
    api_calls(&mut out, &plan.api_calls, verbose);
    out
}

/// `1 resource matches` / `2 resources match`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn resource(out: &mut String, change: &ResourceChange, mode: Mode) {
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
        // Reasons list several findings separated by "; ": one per line reads better.
        for (i, part) in reason.split("; ").enumerate() {
            let indent = if i == 0 { "" } else { "  " };
            let _ = writeln!(out, "        {indent}{DIM}{part}{DIM:#}");
        }
    }
    for field in &change.fields {
        let forces = change.forces_replacement.contains(&field.path);
        field_line(out, change.action, field, mode, forces);
    }
}

fn field_line(out: &mut String, action: Action, field: &FieldChange, mode: Mode, forces: bool) {
    let st = style::action(action);
    let forcing = if forces { " (forces replacement)" } else { "" };
    if is_long(&field.before) || is_long(&field.after) {
        let _ = writeln!(out, "        {st}{}{st:#}{forcing}:", field.path);
        for line in unified(&field.before, &field.after).lines() {
            let _ = writeln!(out, "          {line}");
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
        "        {st}{}{st:#} {text}{forcing}",
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
