//! The plan as Markdown, for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write;

use super::value::{is_long, show, unified};
use super::Mode;
use crate::plan::{Action, Plan};

pub fn plan(plan: &Plan, mode: Mode) -> String {
    let mut out = String::new();
    let title = match mode {
        Mode::Plan => "warden plan",
        Mode::Drift => "warden drift report",
    };
    let _ = writeln!(out, "## {title}: {}\n", code(&plan.spec_file));
    let s = &plan.summary;
    if s.replace > 0 {
        // The replace column only when there is one, so plans without a replace read as before.
        let _ = writeln!(
            out,
            "| create | adopt | update | replace | delete | unchanged | errors |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            s.create, s.adopt, s.update, s.replace, s.delete, s.no_op, s.errors
        );
    } else {
        let _ = writeln!(
            out,
            "| create | adopt | update | delete | unchanged | errors |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |\n",
            s.create, s.adopt, s.update, s.delete, s.no_op, s.errors
        );
    }
    if !plan.has_changes() && plan.errors.is_empty() {
        let _ = writeln!(out, "No changes: the live accounts match the spec.");
    }
    if plan.has_changes() {
        let _ = writeln!(out, "| | address | action | fields |");
        let _ = writeln!(out, "|---|---|---|---|");
        for c in plan.pending() {
            let icon = match c.action {
                Action::Create => "➕",
                Action::Update => "✏️",
                Action::Adopt => "🔗",
                Action::Delete => "🗑️",
                Action::Replace => "-/+",
                Action::NoOp => "",
            };
            let fields: Vec<String> = c
                .fields
                .iter()
                .map(|f| {
                    let forcing = if c.forces_replacement.contains(&f.path) {
                        " (forces replacement)"
                    } else {
                        ""
                    };
                    if is_long(&f.before) || is_long(&f.after) {
                        format!("{} (see diff){forcing}", cell_code(&f.path))
                    } else if c.action == Action::Create {
                        format!("{} = {}", cell_code(&f.path), cell_code(&show(&f.after)))
                    } else {
                        format!(
                            "{}: {} → {}{forcing}",
                            cell_code(&f.path),
                            cell_code(&show(&f.before)),
                            cell_code(&show(&f.after))
                        )
                    }
                })
                .collect();
            let mut details = fields.join("<br>");
            if let Some(reason) = &c.reason {
                details = format!("_{}_<br>{details}", cell_text(reason));
            }
            let _ = writeln!(
                out,
                "| {icon} | {} | {} | {details} |",
                cell_code(&c.address.to_string()),
                c.action.as_str(),
            );
        }
        for c in plan.pending() {
            for f in c
                .fields
                .iter()
                .filter(|f| is_long(&f.before) || is_long(&f.after))
            {
                let diff = unified(&f.before, &f.after);
                let fence = fence_for(&diff);
                let _ = writeln!(
                    out,
                    "\n<details><summary><code>{}</code> {}</summary>\n\n{fence}diff\n{diff}{fence}\n</details>",
                    html_escape(&c.address.to_string()),
                    html_escape(&f.path),
                );
            }
        }
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
    let _ = writeln!(
        out,
        "\n<sub>AWS API calls: {} · project `{}` · {}</sub>",
        plan.api_calls.total_calls, plan.project, plan.created_at
    );
    out
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
        assert_eq!(fence_for("has ``` inside"), "````");
    }
}
