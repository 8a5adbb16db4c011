//! The plan as Markdown, for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write;

use super::group::{self, Item};
use super::value::{is_long, show, unified};
use super::{Mode, View};
use crate::plan::{Action, FieldChange, Plan};

pub fn plan(plan: &Plan, mode: Mode) -> String {
    plan_view(plan, mode, View::default())
}

/// The plan as Markdown: totals, a table of tallies per account, then one row per change made
/// alike in several places (with its places, and a row per exception) and one per change made
/// in one place. `view.summary_only` stops after the tallies.
pub fn plan_view(plan: &Plan, mode: Mode, view: View) -> String {
    let mut out = String::new();
    let title = match mode {
        Mode::Plan => "warden plan",
        Mode::Drift => "warden drift report",
    };
    let _ = writeln!(out, "## {title}: {}\n", code(&plan.spec_file));
    let s = &plan.summary;
    tally_header(&mut out, "", s.replace > 0);
    tally_row(&mut out, "", s, s.replace > 0);
    out.push('\n');
    if plan.accounts.len() > 1 || view.summary_only {
        by_account(&mut out, plan, s.replace > 0);
    }
    if view.summary_only {
        footer(&mut out, plan);
        return out;
    }
    if !plan.has_changes() && plan.errors.is_empty() {
        let _ = writeln!(out, "No changes: the live accounts match the spec.");
    }
    if plan.has_changes() {
        changes(&mut out, plan, view.verbose);
    }
    if !plan.errors.is_empty() {
        let _ = writeln!(out, "\n### Errors\n");
        for e in &plan.errors {
            let place = e
                .address
                .as_ref()
                .map(|a| a.to_string())
                .or_else(|| e.region.as_ref().map(|r| format!("{}/{r}", e.account)))
                .unwrap_or_else(|| e.account.clone());
            let _ = writeln!(out, "- {}: {}", code(&place), e.message.replace('\n', " "));
        }
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\n### Notes\n");
        for n in &plan.notes {
            let place = format!("{}/{}", n.account, n.region);
            let _ = writeln!(out, "- {}: {}", code(&place), n.message.replace('\n', " "));
        }
    }
    footer(&mut out, plan);
    out
}

fn footer(out: &mut String, plan: &Plan) {
    let _ = writeln!(
        out,
        "\n<sub>AWS API calls: {} · project `{}` · {}</sub>",
        plan.api_calls.total_calls, plan.project, plan.created_at
    );
}

/// The counts table's header; the replace column only when there is one, so plans without a
/// replace read as before. `first` names a leading column (`account`), if any.
fn tally_header(out: &mut String, first: &str, replace: bool) {
    let lead = if first.is_empty() {
        String::new()
    } else {
        format!("| {first} ")
    };
    let align = if first.is_empty() { "" } else { "|---" };
    if replace {
        let _ = writeln!(
            out,
            "{lead}| create | adopt | update | replace | delete | unchanged | errors |"
        );
        let _ = writeln!(out, "{align}|---:|---:|---:|---:|---:|---:|---:|");
    } else {
        let _ = writeln!(
            out,
            "{lead}| create | adopt | update | delete | unchanged | errors |"
        );
        let _ = writeln!(out, "{align}|---:|---:|---:|---:|---:|---:|");
    }
}

fn tally_row(out: &mut String, first: &str, s: &crate::plan::Summary, replace: bool) {
    let lead = if first.is_empty() {
        String::new()
    } else {
        format!("| {first} ")
    };
    if replace {
        let _ = writeln!(
            out,
            "{lead}| {} | {} | {} | {} | {} | {} | {} |",
            s.create, s.adopt, s.update, s.replace, s.delete, s.no_op, s.errors
        );
    } else {
        let _ = writeln!(
            out,
            "{lead}| {} | {} | {} | {} | {} | {} |",
            s.create, s.adopt, s.update, s.delete, s.no_op, s.errors
        );
    }
}

/// One row of counts per account, in the spec's order.
fn by_account(out: &mut String, plan: &Plan, replace: bool) {
    let _ = writeln!(out, "### By account\n");
    tally_header(out, "account", replace);
    let tallies = group::tallies(plan);
    for account in &plan.accounts {
        let s = tallies
            .get(account.name.as_str())
            .cloned()
            .unwrap_or_default();
        let label = format!("{} ({})", cell_code(&account.name), account.id);
        tally_row(out, &label, &s, replace);
    }
    out.push('\n');
}

fn icon(action: Action) -> &'static str {
    match action {
        Action::Create => "➕",
        Action::Update => "✏️",
        Action::Adopt => "🔗",
        Action::Delete => "🗑️",
        Action::Replace => "-/+",
        Action::NoOp => "",
    }
}

/// The table of changes, then the long values as collapsible diffs.
fn changes(out: &mut String, plan: &Plan, verbose: bool) {
    let families = group::families(plan);
    let _ = writeln!(out, "| | address | action | fields |");
    let _ = writeln!(out, "|---|---|---|---|");
    // (title, field) of every long value shown, for the diffs below the table.
    let mut long: Vec<(String, &FieldChange)> = Vec::new();
    for family in &families {
        let rule = family.main();
        if family.is_single() {
            let c = rule.first;
            let items = group::items(
                c.address.kind,
                c.action,
                c.after.as_ref(),
                &c.fields,
                verbose,
            );
            let mut details = cell_items(&items, c.action, &c.forces_replacement);
            if let Some(reason) = &c.reason {
                details = format!("_{}_<br>{details}", cell_text(reason));
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {details} |",
                icon(c.action),
                cell_code(&c.address.to_string()),
                c.action.as_str(),
            );
            long.extend(
                long_fields(&items)
                    .into_iter()
                    .map(|f| (c.address.to_string(), f)),
            );
            continue;
        }
        let t = &rule.templated;
        let items = group::items(t.kind, t.action, t.after.as_ref(), &t.fields, verbose);
        let mut details = cell_items(&items, t.action, &t.forces_replacement);
        if let Some(reason) = &t.reason {
            details = format!("_{}_<br>{details}", cell_text(reason));
        }
        let what = format!("{} {}", t.kind, t.name);
        let _ = writeln!(
            out,
            "| {} | {} {}:<br>{} | {} | {details} |",
            icon(t.action),
            cell_code(&what),
            group::count_places(t.kind, family.len()),
            cell_words(&group::list_places(&rule.places, verbose)),
            t.action.as_str(),
        );
        long.extend(long_fields(&items).into_iter().map(|f| (what.clone(), f)));
        let (shown, folded) = group::split_exceptions(family, verbose);
        for fold in folded {
            let _ = writeln!(
                out,
                "| | ↳ except {} | | {} places with other values of {} (-v shows each) |",
                cell_words(&group::list_places(&fold.places, verbose)),
                fold.places.len(),
                fold.paths
                    .iter()
                    .map(|p| cell_code(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for exception in shown {
            let e = &exception.templated;
            let items = group::exception_items(t, e, verbose);
            let mut details = cell_items(&items, e.action, &e.forces_replacement);
            if e.reason != t.reason {
                if let Some(reason) = &e.reason {
                    details = format!("_{}_<br>{details}", cell_text(reason));
                }
            }
            let _ = writeln!(
                out,
                "| | ↳ except {} | | {details} |",
                cell_words(&group::list_places(&exception.places, verbose)),
            );
            let title = format!("{what} in {}", group::list_places(&exception.places, false));
            long.extend(long_fields(&items).into_iter().map(|f| (title.clone(), f)));
        }
    }
    for (title, f) in long {
        let diff = unified(&f.before, &f.after);
        let fence = fence_for(&diff);
        let _ = writeln!(
            out,
            "\n<details><summary><code>{}</code> {}</summary>\n\n{fence}diff\n{diff}{fence}\n</details>",
            html_escape(&title),
            html_escape(&f.path),
        );
    }
}

fn long_fields<'a>(items: &[Item<'a>]) -> Vec<&'a FieldChange> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Field(f) if is_long(&f.before) || is_long(&f.after) => Some(*f),
            _ => None,
        })
        .collect()
}

/// What a change shows, in one table cell (`<br>` between parts).
fn cell_items(items: &[Item], action: Action, forces: &[String]) -> String {
    items
        .iter()
        .map(|item| match item {
            Item::Words(words) => cell_words(words),
            Item::Unchanged(path) => format!(
                "{}: {}",
                cell_code(path),
                if action == Action::Create {
                    "not set here"
                } else {
                    "not changed here"
                }
            ),
            Item::Field(f) => {
                let forcing = if forces.contains(&f.path) {
                    " (forces replacement)"
                } else {
                    ""
                };
                if is_long(&f.before) || is_long(&f.after) {
                    format!("{} (see diff){forcing}", cell_code(&f.path))
                } else if action == Action::Create {
                    format!("{} = {}", cell_code(&f.path), cell_code(&show(&f.after)))
                } else {
                    format!(
                        "{}: {} → {}{forcing}",
                        cell_code(&f.path),
                        cell_code(&show(&f.before)),
                        cell_code(&show(&f.after))
                    )
                }
            }
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// An inline code span that survives any content: a backtick fence longer than any run of
/// backticks inside, padded when the content starts or ends with one; newlines become spaces.
fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A code span inside a table cell: GitHub splits cells on `|` even inside code, unless escaped.
fn cell_code(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// Plain text inside a table cell.
fn cell_text(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

/// Words (which may hold ARNs with `*` and names with `_`) inside a table cell, read as
/// they are: Markdown and HTML characters escaped, lines joined with `<br>`.
fn cell_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '`' | '|' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A code-block fence longer than any backtick run in `text` (at least three).
fn fence_for(text: &str) -> String {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest_run + 1).max(3))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_listed_and_are_not_changes() {
        let plan = Plan {
            format_version: 1,
            warden_version: "0.1.0".into(),
            created_at: "2026-12-02T00:00:00Z".into(),
            spec_file: "spec.yaml".into(),
            project: "p".into(),
            prune: false,
            accounts: vec![],
            summary: Default::default(),
            changes: vec![],
            errors: vec![],
            notes: vec![crate::plan::ScopeNote {
                account: "ops".into(),
                region: "us-east-1".into(),
                message: "invocation logging is on here (to S3 bucket b) but the spec has no `invocation_logging` for this account and region: warden leaves it as it is".into(),
            }],
            api_calls: Default::default(),
        };
        let md = super::plan(&plan, Mode::Drift);
        assert!(
            md.contains("No changes: the live accounts match the spec."),
            "{md}"
        );
        assert!(
            md.contains("### Notes\n\n- `ops/us-east-1`: invocation logging is on here"),
            "{md}"
        );
    }

    #[test]
    fn values_with_pipes_and_backticks_stay_in_their_cell() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
        assert_eq!(cell_text("one|two\nthree"), "one\\|two three");
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(
            cell_words("arn:x/*, arn:y/* a_b <c>|d\ne"),
            "arn:x/\\*, arn:y/\\* a\\_b &lt;c&gt;\\|d<br>e"
        );
        assert_eq!(fence_for("has ``` inside"), "````");
    }
}
