//! The governance report: accounts × regions × controls, each cell in sync, drifted, missing or
//! in error and linking to its details — one self-contained HTML file (no external assets) a
//! drift job can publish, or Markdown for a GitHub step summary. Controls are the kinds' own
//! `CONTROL` names, so any kind shows up without a line here.

use std::collections::HashMap;
use std::fmt::Write;

use super::group::{self, Item};
use super::value::show;
use crate::model::Kind;
use crate::plan::{Action, Plan, ResourceChange, ScopeError};

/// What a cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// The control has no resource in this account and region.
    NotHere,
    InSync,
    Drifted,
    Missing,
    Error,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::NotHere => "not managed here",
            State::InSync => "in sync",
            State::Drifted => "drifted",
            State::Missing => "missing",
            State::Error => "error",
        }
    }

    /// The CSS class and `data-state` value.
    pub fn slug(self) -> &'static str {
        match self {
            State::NotHere => "none",
            State::InSync => "in-sync",
            State::Drifted => "drifted",
            State::Missing => "missing",
            State::Error => "error",
        }
    }

    fn icon(self) -> &'static str {
        match self {
            State::NotHere => "—",
            State::InSync => "🟢",
            State::Drifted => "🟡",
            State::Missing => "🔴",
            State::Error => "⛔",
        }
    }

    fn of(action: Action) -> State {
        match action {
            Action::NoOp => State::InSync,
            Action::Create => State::Missing,
            Action::Update | Action::Adopt | Action::Replace | Action::Delete => State::Drifted,
        }
    }
}

/// One account × region × control.
#[derive(Debug, Clone)]
pub struct Cell<'a> {
    pub state: State,
    pub changes: Vec<&'a ResourceChange>,
    pub errors: Vec<&'a ScopeError>,
}

#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub account: String,
    pub account_id: String,
    pub region: String,
    pub cells: Vec<Cell<'a>>,
}

/// The matrix: one column per control present in the plan (in the registry's order), one row
/// per account and region of the plan.
#[derive(Debug, Clone)]
pub struct Matrix<'a> {
    pub controls: Vec<&'static str>,
    pub rows: Vec<Row<'a>>,
}

impl<'a> Matrix<'a> {
    pub fn of(plan: &'a Plan) -> Self {
        let present = |kind: &Kind| {
            plan.changes.iter().any(|c| c.address.kind == *kind)
                || plan
                    .errors
                    .iter()
                    .any(|e| e.address.as_ref().is_some_and(|a| a.kind == *kind))
        };
        let mut controls: Vec<&'static str> = Vec::new();
        for kind in Kind::ALL.iter().filter(|k| present(k)) {
            if !controls.contains(&kind.control()) {
                controls.push(kind.control());
            }
        }
        // Indexed once, so the matrix costs one pass over the plan, not one per cell.
        type CellKey<'k> = (&'k str, &'k str, &'static str);
        let mut changes_at: HashMap<CellKey, Vec<&ResourceChange>> = HashMap::new();
        for c in &plan.changes {
            let key = (
                c.address.account.as_str(),
                c.address.region.as_str(),
                c.address.kind.control(),
            );
            changes_at.entry(key).or_default().push(c);
        }
        let mut errors_at: HashMap<CellKey, Vec<&ScopeError>> = HashMap::new();
        for e in &plan.errors {
            if let Some(a) = &e.address {
                let key = (a.account.as_str(), a.region.as_str(), a.kind.control());
                errors_at.entry(key).or_default().push(e);
            }
        }
        let mut rows = Vec::new();
        for account in &plan.accounts {
            for region in &account.regions {
                let scope_errors: Vec<&ScopeError> = plan
                    .errors
                    .iter()
                    .filter(|e| {
                        e.account == account.name
                            && e.address.is_none()
                            && e.region.as_deref().is_none_or(|r| r == region)
                    })
                    .collect();
                let cells = controls
                    .iter()
                    .map(|control| {
                        let key = (account.name.as_str(), region.as_str(), *control);
                        let changes = changes_at.get(&key).cloned().unwrap_or_default();
                        let mut errors = scope_errors.clone();
                        errors.extend(errors_at.get(&key).into_iter().flatten());
                        let state = if errors.is_empty() {
                            changes
                                .iter()
                                .map(|c| State::of(c.action))
                                .max()
                                .unwrap_or(State::NotHere)
                        } else {
                            State::Error
                        };
                        Cell {
                            state,
                            changes,
                            errors,
                        }
                    })
                    .collect();
                rows.push(Row {
                    account: account.name.clone(),
                    account_id: account.id.clone(),
                    region: region.clone(),
                    cells,
                });
            }
        }
        Matrix { controls, rows }
    }

    /// How many cells are in each state (not-here cells not counted).
    fn counts(&self) -> Vec<(State, usize)> {
        [State::InSync, State::Drifted, State::Missing, State::Error]
            .into_iter()
            .map(|s| {
                let n = self
                    .rows
                    .iter()
                    .flat_map(|r| &r.cells)
                    .filter(|c| c.state == s)
                    .count();
                (s, n)
            })
            .collect()
    }
}

/// The anchor of a cell's details: `d-ops-us-east-1-log-groups`. Account names (letters,
/// digits, `-`, `_`) and regions are kept as they are, so two cells never share one.
pub fn anchor(account: &str, region: &str, control: &str) -> String {
    let raw = format!("d-{account}-{region}-{control}");
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// One line per resource of a cell: its address, state and what differs, in drift wording.
fn detail_lines(cell: &Cell) -> Vec<String> {
    let mut lines = Vec::new();
    for e in &cell.errors {
        let place = e
            .address
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| match &e.region {
                Some(r) => format!("{}/{r}", e.account),
                None => format!("account {}", e.account),
            });
        lines.push(format!("error: {place}: {}", e.message.replace('\n', " ")));
    }
    for c in &cell.changes {
        let mut line = format!("{}: {}", c.address, State::of(c.action).as_str());
        if let Some(reason) = &c.reason {
            line.push_str(&format!(" — {reason}"));
        }
        let items = group::items(c.address.kind, c.action, c.after.as_ref(), &c.fields, false);
        let parts: Vec<String> = items
            .iter()
            .map(|item| match item {
                Item::Words(words) => words.replace('\n', "; "),
                Item::Field(f) if c.action == Action::Create => {
                    format!("{} = {}", f.path, short(&show(&f.after)))
                }
                Item::Field(f) => format!(
                    "{}: live {}, spec {}",
                    f.path,
                    short(&show(&f.before)),
                    short(&show(&f.after))
                ),
                Item::Unchanged(path) => path.to_string(),
            })
            .collect();
        if !parts.is_empty() {
            line.push_str(&format!(" ({})", parts.join("; ")));
        }
        lines.push(line);
    }
    lines
}

/// Long values (documents) shortened for a report line; the plan has them in full.
fn short(text: &str) -> String {
    let flat = text.replace('\n', " ");
    if flat.chars().count() <= 160 {
        return flat;
    }
    let cut: String = flat.chars().take(157).collect();
    format!("{cut}…")
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;font-size:.9rem}
th{background:#f6f8fa}
td.state a{color:inherit;text-decoration:none;display:block}
td.in-sync{background:#dafbe1}
td.drifted{background:#fff8c5}
td.missing{background:#ffebe9}
td.error{background:#ff8182;color:#fff;font-weight:600}
td.none{color:#8c959f}
.legend span{display:inline-block;padding:.15rem .5rem;margin-right:.4rem;border:1px solid #d0d7de}
section{margin:.6rem 0;padding:.3rem .8rem;border-left:4px solid #d0d7de}
section:target{border-left-color:#0969da;background:#f6f8fa}
code{font-size:.85rem}
";

/// The report as one self-contained HTML document.
pub fn html(plan: &Plan) -> String {
    let matrix = Matrix::of(plan);
    let mut out = String::new();
    let title = format!("warden governance report: {}", plan.spec_file);
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>",
        html_escape(&title)
    );
    let _ = writeln!(out, "<h1>{}</h1>", html_escape(&title));
    let _ = writeln!(
        out,
        "<p>Project <code>{}</code> · read {} · {} AWS API calls</p>",
        html_escape(&plan.project),
        html_escape(&plan.created_at),
        plan.api_calls.total_calls
    );
    let _ = write!(out, "<p class=\"legend\">");
    for (state, n) in matrix.counts() {
        let _ = write!(
            out,
            "<span class=\"{}\">{} {}: {n}</span>",
            state.slug(),
            state.icon(),
            state.as_str()
        );
    }
    let _ = writeln!(out, "</p>");
    let _ = writeln!(
        out,
        "<table id=\"matrix\">\n<thead><tr><th>account</th><th>region</th>"
    );
    for control in &matrix.controls {
        let _ = write!(out, "<th>{}</th>", html_escape(control));
    }
    let _ = writeln!(out, "</tr></thead>\n<tbody>");
    for row in &matrix.rows {
        let _ = write!(
            out,
            "<tr><th title=\"{}\">{}</th><th>{}</th>",
            html_escape(&row.account_id),
            html_escape(&row.account),
            html_escape(&row.region)
        );
        for (control, cell) in matrix.controls.iter().zip(&row.cells) {
            let attributes = format!(
                "class=\"state {}\" data-account=\"{}\" data-region=\"{}\" data-control=\"{}\" data-state=\"{}\"",
                cell.state.slug(),
                html_escape(&row.account),
                html_escape(&row.region),
                html_escape(control),
                cell.state.slug()
            );
            if cell.state == State::NotHere {
                let _ = write!(out, "<td {attributes}>—</td>");
            } else {
                let _ = write!(
                    out,
                    "<td {attributes}><a href=\"#{}\">{} {}</a></td>",
                    anchor(&row.account, &row.region, control),
                    cell.state.icon(),
                    cell.state.as_str()
                );
            }
        }
        let _ = writeln!(out, "</tr>");
    }
    let _ = writeln!(out, "</tbody>\n</table>\n<h2>Details</h2>");
    for row in &matrix.rows {
        for (control, cell) in matrix.controls.iter().zip(&row.cells) {
            if cell.state == State::NotHere {
                continue;
            }
            let _ = writeln!(
                out,
                "<section id=\"{}\">\n<h3>{}/{} · {}: {}</h3>\n<ul>",
                anchor(&row.account, &row.region, control),
                html_escape(&row.account),
                html_escape(&row.region),
                html_escape(control),
                cell.state.as_str()
            );
            for line in detail_lines(cell) {
                let _ = writeln!(out, "<li>{}</li>", html_escape(&line));
            }
            let _ = writeln!(out, "</ul>\n</section>");
        }
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "<h2>Notes</h2>\n<ul>");
        for n in &plan.notes {
            let _ = writeln!(
                out,
                "<li><code>{}/{}</code>: {}</li>",
                html_escape(&n.account),
                html_escape(&n.region),
                html_escape(&n.message)
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(out, "</body>\n</html>");
    out
}

/// The report as Markdown (fits a GitHub step summary): the matrix with a link per cell, then
/// the details under anchors.
pub fn markdown(plan: &Plan) -> String {
    let matrix = Matrix::of(plan);
    let mut out = String::new();
    let _ = writeln!(out, "## warden governance report: `{}`\n", plan.spec_file);
    let counts: Vec<String> = matrix
        .counts()
        .into_iter()
        .map(|(s, n)| format!("{} {}: {n}", s.icon(), s.as_str()))
        .collect();
    let _ = writeln!(out, "{}\n", counts.join(" · "));
    let _ = write!(out, "| account | region |");
    for control in &matrix.controls {
        let _ = write!(out, " {control} |");
    }
    let _ = write!(out, "\n|---|---|");
    for _ in &matrix.controls {
        let _ = write!(out, "---|");
    }
    out.push('\n');
    for row in &matrix.rows {
        let _ = write!(out, "| `{}` | {} |", row.account, row.region);
        for (control, cell) in matrix.controls.iter().zip(&row.cells) {
            if cell.state == State::NotHere {
                let _ = write!(out, " — |");
            } else {
                let _ = write!(
                    out,
                    " [{} {}](#{}) |",
                    cell.state.icon(),
                    cell.state.as_str(),
                    anchor(&row.account, &row.region, control)
                );
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\n### Details");
    for row in &matrix.rows {
        for (control, cell) in matrix.controls.iter().zip(&row.cells) {
            if cell.state == State::NotHere {
                continue;
            }
            let _ = writeln!(
                out,
                "\n<a name=\"{}\"></a>\n**{}/{} · {}: {} {}**\n",
                anchor(&row.account, &row.region, control),
                row.account,
                row.region,
                control,
                cell.state.icon(),
                cell.state.as_str()
            );
            for line in detail_lines(cell) {
                let _ = writeln!(out, "- {}", md_escape(&line));
            }
        }
    }
    let _ = writeln!(
        out,
        "\n<sub>AWS API calls: {} · project `{}` · {}</sub>",
        plan.api_calls.total_calls, plan.project, plan.created_at
    );
    out
}

fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountTarget, ResourceAddr};
    use serde_json::json;

    fn change(account: &str, region: &str, kind: Kind, action: Action) -> ResourceChange {
        ResourceChange {
            address: ResourceAddr::new(account, region, kind, "x"),
            account_id: "123456789012".into(),
            action,
            before: Some(json!({"retention_days": 30})),
            after: Some(json!({"retention_days": 1827})),
            fields: vec![],
            reason: None,
            depends_on: vec![],
            forces_replacement: vec![],
        }
    }

    #[test]
    fn cells_take_the_worst_state_and_scope_errors_fill_their_row() {
        let account = |name: &str| AccountTarget {
            name: name.into(),
            id: "123456789012".into(),
            role_arn: None,
            external_id: None,
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
        };
        let plan = Plan {
            format_version: 1,
            warden_version: String::new(),
            created_at: String::new(),
            spec_file: "s.yaml".into(),
            project: "p".into(),
            prune: false,
            accounts: vec![account("a"), account("b")],
            summary: Default::default(),
            changes: vec![
                change("a", "us-east-1", Kind::LogGroup, Action::NoOp),
                change("a", "us-east-1", Kind::LogGroup, Action::Update),
                change("a", "eu-west-1", Kind::LogGroup, Action::NoOp),
                change("a", "eu-west-1", Kind::IamRole, Action::Create),
            ],
            errors: vec![ScopeError {
                account: "b".into(),
                region: Some("eu-west-1".into()),
                address: None,
                message: "denied".into(),
            }],
            notes: vec![],
            api_calls: Default::default(),
        };
        let m = Matrix::of(&plan);
        assert_eq!(m.controls, ["log groups", "IAM roles"]);
        let states: Vec<Vec<State>> = m
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| c.state).collect())
            .collect();
        assert_eq!(
            states,
            [
                vec![State::Drifted, State::NotHere],
                vec![State::InSync, State::Missing],
                vec![State::NotHere, State::NotHere],
                vec![State::Error, State::Error],
            ]
        );
        let html = html(&plan);
        assert!(
            html.contains("href=\"#d-a-us-east-1-log-groups\""),
            "{html}"
        );
        assert!(
            html.contains("<section id=\"d-a-us-east-1-log-groups\">"),
            "{html}"
        );
        assert!(
            !html.contains("http"),
            "self-contained: no external reference"
        );
        let md = markdown(&plan);
        assert!(
            md.contains("[🟡 drifted](#d-a-us-east-1-log-groups)"),
            "{md}"
        );
    }
}
