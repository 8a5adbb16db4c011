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
    let _ = writeln!(out, "## {title}: `{}`\n", plan.spec_file);
    let s = &plan.summary;
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
                Action::NoOp => "",
            };
            let fields: Vec<String> = c
                .fields
                .iter()
                .map(|f| {
                    if is_long(&f.before) || is_long(&f.after) {
                        format!("`{}` (see diff)", f.path)
                    } else if c.action == Action::Create {
                        format!("`{}` = `{}`", f.path, show(&f.after))
                    } else {
                        format!("`{}`: `{}` → `{}`", f.path, show(&f.before), show(&f.after))
                    }
                })
                .collect();
            let mut details = fields.join("<br>");
            if let Some(reason) = &c.reason {
                details = format!("_{}_<br>{details}", reason.replace('|', "\\|"));
            }
            let _ = writeln!(
                out,
                "| {icon} | `{}` | {} | {details} |",
                c.address,
                c.action.as_str(),
            );
        }
        for c in plan.pending() {
            for f in c
                .fields
                .iter()
                .filter(|f| is_long(&f.before) || is_long(&f.after))
            {
                let _ = writeln!(
                    out,
                    "\n<details><summary><code>{}</code> {}</summary>\n\n```diff\n{}```\n</details>",
                    c.address,
                    f.path,
                    unified(&f.before, &f.after)
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
            let _ = writeln!(out, "- `{place}`: {}", e.message);
        }
    }
    let _ = writeln!(
        out,
        "\n<sub>AWS API calls: {} · project `{}` · {}</sub>",
        plan.api_calls.total_calls, plan.project, plan.created_at
    );
    out
}
