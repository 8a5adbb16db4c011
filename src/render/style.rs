//! Terminal styles for actions; anstream strips them when output is not a terminal.

use anstyle::{AnsiColor, Style};

use crate::plan::Action;

pub const BOLD: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();
pub const ERROR: Style = AnsiColor::Red.on_default().bold();
pub const OK: Style = AnsiColor::Green.on_default();

pub fn action(action: Action) -> Style {
    match action {
        Action::Create => AnsiColor::Green.on_default(),
        Action::Update => AnsiColor::Yellow.on_default(),
        Action::Adopt => AnsiColor::Cyan.on_default(),
        Action::Delete => AnsiColor::Red.on_default(),
        Action::Replace => AnsiColor::Magenta.on_default(),
        Action::NoOp => Style::new().dimmed(),
    }
}

/// The one-character marker in front of a resource, as in Terraform plans.
pub fn marker(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Adopt => "&",
        Action::Delete => "-",
        Action::Replace => "-/+",
        Action::NoOp => " ",
    }
}
