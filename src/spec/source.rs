//! The spec file's text and the mapping from YAML markers (line, column) to byte ranges for error labels.

use std::sync::Arc;

use marked_yaml::{Marker, Span};

/// A spec file as read from disk, shared by every diagnostic that points into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<String>,
}

/// A point in the file, 1-based as editors show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            path: path.into(),
            text: Arc::new(text.into()),
        }
    }

    /// Byte offset of a 1-based (line, column-in-characters) position, clamped to the text.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let text = self.text.as_str();
        let mut line_start = 0;
        for _ in 1..line.max(1) {
            match text[line_start..].find('\n') {
                Some(i) => line_start += i + 1,
                None => return text.len(),
            }
        }
        let line_text = &text[line_start..];
        let column_bytes: usize = line_text
            .chars()
            .take_while(|c| *c != '\n')
            .take(column.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        line_start + column_bytes
    }

    /// The byte range a span covers; a span with only a start covers the token that starts there.
    pub fn byte_range(&self, span: &Span) -> Option<(usize, usize)> {
        let start = span.start()?;
        let from = self.marker_offset(start);
        let to = match span.end() {
            Some(end) if self.marker_offset(end) > from => self.marker_offset(end),
            _ => from + self.token_len(from),
        };
        Some((from, to.max(from)))
    }

    pub fn location(span: &Span) -> Option<Location> {
        span.start().map(|m| Location {
            line: m.line(),
            column: m.column(),
        })
    }

    fn marker_offset(&self, marker: &Marker) -> usize {
        self.offset_of(marker.line(), marker.column())
    }

    /// Length of the scalar that starts at `from`: a quoted string up to its closing quote,
    /// otherwise up to the end of the line (without a trailing comment or spaces).
    fn token_len(&self, from: usize) -> usize {
        let rest = &self.text[from.min(self.text.len())..];
        let line = rest.split('\n').next().unwrap_or("");
        let mut chars = line.char_indices();
        match chars.next() {
            Some((_, quote @ ('"' | '\''))) => chars
                .find(|(_, c)| *c == quote)
                .map(|(i, _)| i + 1)
                .unwrap_or(line.len()),
            Some(_) => {
                let without_comment = line.find(" #").map(|i| &line[..i]).unwrap_or(line);
                without_comment.trim_end().len()
            }
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_characters_not_bytes() {
        let file = SourceFile::new("x.yaml", "a: 1\nné: \"two\" # c\n");
        assert_eq!(file.offset_of(1, 1), 0);
        assert_eq!(file.offset_of(2, 1), 5);
        // `"two"` starts at character column 5 of line 2; `é` is two bytes.
        assert_eq!(file.offset_of(2, 5), 5 + 5);
        assert_eq!(file.token_len(10), 5);
        assert_eq!(file.offset_of(9, 1), file.text.len());
    }
}
