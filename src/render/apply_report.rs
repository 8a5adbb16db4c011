//! The apply report for people: what succeeded, what failed and why, what was skipped.

use std::fmt::Write;

use super::style::{self, BOLD, DIM, ERROR, OK};
use super::text::api_calls;
use super::value::show;
use crate::apply::{ApplyReport, Status};
use crate::plan::saved::StaleEntry;

pub fn text(report: &ApplyReport, verbose: bool) -> String {
    let mut out = String::new();
    for o in &report.outcomes {
        let st = style::action(o.action);
        let (mark, detail) = match &o.status {
            Status::Applied => (format!("{OK}✓{OK:#}"), String::new()),
            Status::Unverified { remaining } => (
                format!("{ERROR}?{ERROR:#}"),
                format!(
                    " — applied, but AWS still differs: {}",
                    remaining
                        .iter()
                        .map(|f| format!(
                            "{} is {} (want {})",
                            f.path,
                            show(&f.before),
                            show(&f.after)
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ),
            Status::NotVerified { error } => (
                format!("{ERROR}?{ERROR:#}"),
                format!(" — applied, but the re-read to verify it failed: {error}"),
            ),
            Status::Failed { error } => (format!("{ERROR}✗{ERROR:#}"), format!(" — {error}")),
            Status::Skipped { because } => {
                (format!("{DIM}-{DIM:#}"), format!(" — skipped: {because}"))
            }
        };
        let _ = writeln!(
            out,
            "{mark} {st}{}{st:#} {}{detail}",
            o.action.as_str(),
            o.address
        );
    }
    for e in &report.errors {
        let place = match (&e.address, &e.region) {
            (Some(address), _) => address.to_string(),
            (None, Some(region)) => format!("{}/{region}", e.account),
            (None, None) => e.account.clone(),
        };
        let _ = writeln!(
            out,
            "{ERROR}error:{ERROR:#} {place}: {} (not planned, nothing attempted)",
            e.message
        );
    }
    let failed = report.failed();
    let unverified = report.unverified();
    let _ = writeln!(
        out,
        "\n{BOLD}Apply {}:{BOLD:#} {} applied, {}{} not applied.",
        if failed + unverified == 0 {
            "complete"
        } else {
            "incomplete"
        },
        report.succeeded(),
        if unverified > 0 {
            format!("{unverified} applied but not verified (run `warden plan` to see), ")
        } else {
            String::new()
        },
        failed
    );
    api_calls(&mut out, &report.api_calls, verbose);
    out
}

/// Why a saved plan was refused: each address where it and a fresh plan of its spec differ.
pub fn stale(entries: &[StaleEntry]) -> String {
    let mut out = if entries.iter().all(|e| e.live_moved) {
        format!(
            "{ERROR}error:{ERROR:#} the saved plan is stale: {} resource(s) changed since it was made; nothing was applied.\n",
            entries.len()
        )
    } else {
        format!(
            "{ERROR}error:{ERROR:#} the saved plan does not match a fresh plan of its own spec against live state: {} resource(s) differ; nothing was applied.\n",
            entries.len()
        )
    };
    for e in entries {
        let action = |a: Option<crate::plan::Action>| a.map_or("no change", |a| a.as_str());
        let label = if e.live_moved || e.planned == e.now || e.now.is_none() {
            format!("{} planned", action(e.planned))
        } else {
            format!("{} planned, {} now", action(e.planned), action(e.now))
        };
        let _ = writeln!(
            out,
            "  {} ({label}): {}",
            printable(&e.address.to_string()),
            e.note
        );
        let (then, now) = if e.live_moved {
            ("at plan time", "now")
        } else {
            ("in the plan file", "from its spec")
        };
        for f in &e.moved {
            let _ = writeln!(
                out,
                "      {}: {} {then}, {} {now}",
                f.path,
                show(&f.before),
                show(&f.after)
            );
        }
    }
    if entries.iter().all(|e| e.live_moved) {
        out.push_str("  help: run `warden plan` again, review it, and apply the new plan\n");
    } else {
        out.push_str("  help: a saved plan is applied only as `warden plan --out` wrote it; make a new plan from the spec, review it, and apply that\n");
    }
    out
}

/// Control characters (a NUL written into a plan file) shown escaped, never sent raw to the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
