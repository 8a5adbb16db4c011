//! Findings about a spec (errors and warnings) with the file, line, column and field they concern,
//! rendered for people by miette and serialisable for machines.

use std::fmt;

use marked_yaml::Span;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;

use super::source::{Location, SourceFile};

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
            message: message.into(),
            help: None,
            file: source.path.clone(),
            location: span.and_then(SourceFile::location),
            range: span.and_then(|s| source.byte_range(s)),
            label: "here".to_string(),
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
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
        let report = Rendered {
            diagnostic: self,
            source: NamedSource::new(source.path.clone(), source.text.to_string()),
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

/// Adapter that lets miette draw a [`Diagnostic`] against its source text.
struct Rendered<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<String>,
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
        self.diagnostic.range.map(|_| &self.source as _)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (from, to) = self.diagnostic.range?;
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(self.diagnostic.label.clone()),
            from,
            to - from,
        ))))
    }
}
