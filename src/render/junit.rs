//! JUnit XML for `plan` and `drift`: one test case per resource (failing when it drifted or
//! would change), one erroring case per scope or address in error, so GitLab and Jenkins drift
//! jobs show drift in their test reports.

use std::fmt::Write as _;

use super::Mode;
use crate::plan::{Action, Plan, ResourceChange};

pub fn plan(plan: &Plan, mode: Mode) -> String {
    let what = match mode {
        Mode::Plan => "plan",
        Mode::Drift => "drift",
    };
    let failures = plan.pending().count();
    let mut cases = String::new();
    for change in &plan.changes {
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml(&format!(
                "{}/{}",
                change.address.account, change.address.region
            )),
            xml(&format!("{}/{}", change.address.kind, change.address.name)),
        );
        if change.action == Action::NoOp {
            cases.push_str("/>\n");
            continue;
        }
        let _ = write!(
            cases,
            ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
            word(change.action, mode),
            xml(&headline(change, mode)),
            xml(&details(change)),
        );
    }
    for error in &plan.errors {
        let place = match (&error.address, &error.region) {
            (Some(addr), _) => addr.to_string(),
            (None, Some(region)) => format!("{}/{region}", error.account),
            (None, None) => error.account.clone(),
        };
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\">\n      <error type=\"unreadable\" message=\"{}\"/>\n    </testcase>\n",
            xml(&error.account),
            xml(&place),
            xml(&error.message),
        );
    }
    let tests = plan.changes.len() + plan.errors.len();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"warden {what}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n  \
         <testsuite name=\"warden {what}: {project}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" timestamp=\"{time}\">\n\
         {cases}  </testsuite>\n</testsuites>\n",
        errors = plan.errors.len(),
        project = xml(&plan.project),
        time = xml(&plan.created_at),
    )
}

fn word(action: Action, mode: Mode) -> &'static str {
    match (mode, action) {
        (Mode::Drift, Action::Create) => "missing",
        (Mode::Drift, Action::Update | Action::Replace) => "drifted",
        (Mode::Drift, Action::Adopt) => "unmanaged",
        (Mode::Drift, Action::Delete) => "orphaned",
        (_, action) => action.as_str(),
    }
}

fn headline(change: &ResourceChange, mode: Mode) -> String {
    let mut text = format!("{}: {}", change.address, word(change.action, mode));
    if let Some(reason) = &change.reason {
        text.push_str(&format!(" ({reason})"));
    }
    text
}

fn details(change: &ResourceChange) -> String {
    change
        .fields
        .iter()
        .map(|f| format!("{}: {} -> {}", f.path, f.before, f.after))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text escaped for XML attributes and content; characters XML 1.0 cannot hold are dropped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, ResourceAddr};
    use crate::plan::{FieldChange, ScopeError};
    use serde_json::json;

    #[test]
    fn drifted_resources_fail_and_unreadable_scopes_error() {
        let change = |name: &str, action, fields: Vec<FieldChange>| ResourceChange {
            address: ResourceAddr::new("a", "us-east-1", Kind::LogGroup, name),
            account_id: "123456789012".into(),
            action,
            before: None,
            after: None,
            fields,
            reason: None,
            depends_on: vec![],
            forces_replacement: vec![],
        };
        let plan = Plan {
            format_version: 1,
            warden_version: "0".into(),
            created_at: "2026-12-03T00:00:00Z".into(),
            spec_file: "w.yaml".into(),
            project: "p&q".into(),
            prune: false,
            accounts: vec![],
            summary: Default::default(),
            changes: vec![
                change("/ok", Action::NoOp, vec![]),
                change(
                    "/x<y>",
                    Action::Update,
                    vec![FieldChange {
                        path: "retention_days".into(),
                        before: json!(7),
                        after: json!(30),
                    }],
                ),
            ],
            errors: vec![ScopeError {
                account: "b".into(),
                region: None,
                address: None,
                message: "AccessDenied \"x\"".into(),
            }],
            notes: vec![],
            api_calls: Default::default(),
        };
        let text = super::plan(&plan, Mode::Drift);
        assert!(
            text.contains(r#"<testsuites name="warden drift" tests="3" failures="1" errors="1">"#),
            "{text}"
        );
        assert!(text.contains(r#"<testsuite name="warden drift: p&amp;q""#));
        assert!(text.contains(r#"<testcase classname="a/us-east-1" name="log_group//ok"/>"#));
        assert!(text.contains(r#"<failure type="drifted" message="a/us-east-1/log_group//x&lt;y&gt;: drifted">retention_days: 7 -&gt; 30</failure>"#), "{text}");
        assert!(text.contains(r#"<error type="unreadable" message="AccessDenied &quot;x&quot;"/>"#));
    }
}
