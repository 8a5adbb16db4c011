//! Findings about a spec (errors and warnings) with the file, line, column and field they concern,
//! rendered for people by miette and serialisable for machines.

use std::fmt;

use marked_yaml::Span;
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use super::file::{Location, SourceFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about the spec.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where in the document, e.g. `accounts[1].id`.
    pub field: Option<String>,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    pub file: String,
    pub location: Option<Location>,
    #[serde(skip)]
    range: Option<(usize, usize)>,
    #[serde(skip)]
    label: String,
}

impl Diagnostic {
    pub fn error(source: &SourceFile, span: Option<&Span>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, source, span, message)
    }

    pub fn warning(source: &SourceFile, span: Option<&Span>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, source, span, message)
    }

    fn new(
        severity: Severity,
        source: &SourceFile,
        span: Option<&Span>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            field: None,
            message: printable(message.into()),
            help: None,
            file: source.path.clone(),
            location: span.and_then(SourceFile::location),
            range: span.and_then(|s| source.byte_range(s)),
            label: "here".to_string(),
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(printable(field.into()));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(printable(help.into()));
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = printable(label.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column` as compilers print it.
    pub fn position(&self) -> String {
        match self.location {
            Some(l) => format!("{}:{}:{}", self.file, l.line, l.column),
            None => self.file.clone(),
        }
    }

    /// Renders with the source snippet; `color` adds ANSI styling.
    pub fn render(&self, source: &SourceFile, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(100)
            .with_links(false);
        let shown = self.range.and_then(|range| snippet_source(source, range));
        let (text, range, first_line) = match shown {
            Some((text, range, first_line)) => (text, Some(range), first_line),
            None => (String::new(), None, 0),
        };
        let report = Rendered {
            diagnostic: self,
            range,
            source: Snippet {
                name: source.path.clone(),
                text,
                first_line,
            },
        };
        let mut out = String::new();
        if handler.render_report(&mut out, &report).is_err() {
            out = self.to_string();
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{kind}: {}: ", self.position())?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Lines longer than this are cut in snippets (a minified or generated file can have a single
/// line of megabytes).
const MAX_SHOWN_LINE_CHARS: usize = 120;
/// A label that starts further right than this is not drawn (its position is still printed).
const MAX_LABEL_COLUMN: usize = 1000;

/// The text miette draws from: only the lines around the label, each cut to
/// [`MAX_SHOWN_LINE_CHARS`]; the label's range in that text; and the 0-based line of the file
/// the text starts at. `None` when the label starts beyond the cut (the position is still
/// printed).
fn snippet_source(
    source: &SourceFile,
    (from, to): (usize, usize),
) -> Option<(String, (usize, usize), usize)> {
    let text = source.text.as_str();
    let line_of = |offset: usize| source.line_index_of(offset.min(text.len()));
    let first = line_of(from);
    let last = line_of(to.saturating_sub(1).max(from));
    let window = first.saturating_sub(2)..=last + 2;
    let mut out = String::new();
    let (mut new_from, mut new_to) = (None, None);
    // Only the lines around the label are read (a file can have thousands of diagnostics).
    let skipped = *window.start();
    let mut start = source.line_start(skipped);
    for (index, line) in text[start..]
        .split_inclusive('\n')
        .enumerate()
        .map(|(i, line)| (i + skipped, line))
    {
        let content = line.trim_end_matches('\n').trim_end_matches('\r');
        if window.contains(&index) {
            // Cut long lines, but keep the label's start (and a little of it) when it is far right.
            let keep = if (start..=start + content.len()).contains(&from) {
                let label_column = content[..from - start].chars().count();
                if label_column > MAX_LABEL_COLUMN {
                    return None;
                }
                MAX_SHOWN_LINE_CHARS.max(label_column + 40)
            } else {
                MAX_SHOWN_LINE_CHARS
            };
            let cut = content
                .char_indices()
                .nth(keep)
                .map_or(content.len(), |(i, _)| i);
            let on_line = |offset: usize| (start..=start + content.len()).contains(&offset);
            if new_from.is_none() && on_line(from) {
                if from - start > cut {
                    return None;
                }
                new_from = Some(out.len() + (from - start));
            }
            if new_to.is_none() && on_line(to) {
                new_to = Some(out.len() + (to - start).min(cut));
            }
            out.push_str(&content[..cut]);
            if cut < content.len() {
                out.push('…');
            }
        } else if index > last + 2 {
            break;
        }
        if line.ends_with('\n') {
            out.push('\n');
        }
        start += line.len();
    }
    let new_from = new_from.unwrap_or(out.len());
    let new_to = new_to.unwrap_or(out.len()).max(new_from);
    let (out, range) = visible(&out, (new_from, new_to));
    Some((out, range, skipped))
}

/// Lines of the spec file around a label, numbered as in the file.
struct Snippet {
    name: String,
    text: String,
    /// 0-based line of the file that `text` starts at.
    first_line: usize,
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// The snippet with control and invisible characters drawn as `U+XXXX` stand-ins, so that a
/// bad character in the spec is seen (and never sent raw to a terminal), and the label's range
/// moved to match.
fn visible(text: &str, (from, to): (usize, usize)) -> (String, (usize, usize)) {
    let mut out = String::with_capacity(text.len());
    let (mut new_from, mut new_to) = (None, None);
    for (i, c) in text.char_indices() {
        if i == from {
            new_from = Some(out.len());
        }
        if i == to {
            new_to = Some(out.len());
        }
        let shown = c == '\n' || c == '\t' || !(c.is_control() || is_invisible(c));
        if shown {
            out.push(c);
        } else {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        }
    }
    let new_from = new_from.unwrap_or(out.len());
    let new_to = new_to.unwrap_or(out.len()).max(new_from);
    (out, (new_from, new_to))
}

/// Text for a message with control and invisible characters (from values in the spec, such
/// as a `"\e[2J"` escape) written as `<U+XXXX>`, so that a spec cannot drive the terminal.
fn printable(text: String) -> String {
    if !text
        .chars()
        .any(|c| (c.is_control() && c != '\n') || is_invisible(c))
    {
        return text;
    }
    text.chars()
        .map(|c| {
            if (c.is_control() && c != '\n') || is_invisible(c) {
                format!("<U+{:04X}>", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Characters that take no room on a line (or break it) in some terminals and editors.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{ffff}')
}

/// Adapter that lets miette draw a [`Diagnostic`] against its source text.
struct Rendered<'a> {
    diagnostic: &'a Diagnostic,
    /// The label's range in `source`.
    range: Option<(usize, usize)>,
    source: Snippet,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = &self.diagnostic.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let position = format!("at {}", self.diagnostic.position());
        Some(Box::new(match &self.diagnostic.help {
            Some(help) => format!("{help}\n{position}"),
            None => position,
        }))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.range.map(|_| &self.source as _)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (from, to) = self.range?;
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(self.diagnostic.label.clone()),
            from,
            to - from,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::snippet_source;
    use crate::source::SourceFile;

    #[test]
    fn messages_never_carry_control_characters() {
        let file = SourceFile::new("x.yaml", "a: 1\n");
        let d = super::Diagnostic::error(&file, None, "name `\u{1b}[2Jx\u{0}` is bad")
            .help("tab\there")
            .field("tags.k\u{7f}");
        assert_eq!(d.message, "name `<U+001B>[2Jx<U+0000>` is bad");
        assert_eq!(d.help.as_deref(), Some("tab<U+0009>here"));
        assert_eq!(d.field.as_deref(), Some("tags.k<U+007F>"));
    }

    #[test]
    fn snippets_never_cut_inside_a_character() {
        let text = "a: é\nname: /logs/café\nü: 🦀 x\n";
        let file = SourceFile::new("x.yaml", text);
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        for &from in &boundaries {
            for &to in boundaries.iter().filter(|to| **to >= from) {
                let (shown, (a, b), _) = snippet_source(&file, (from, to)).expect("a snippet");
                assert!(a <= b && b <= shown.len(), "{from}..{to} gave {a}..{b}");
                assert!(shown.is_char_boundary(a) && shown.is_char_boundary(b));
            }
        }
    }
}
