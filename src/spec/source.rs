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

    /// The 1-based (line, column-in-characters) of a byte offset, clamped to the text.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let text = self.text.as_str();
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        (line, before[line_start..].chars().count() + 1)
    }

    /// A span that starts at a 1-based (line, column) position, for places found in the text
    /// rather than by the YAML parser; its end is the token that starts there.
    pub fn span_at(&self, line: usize, column: usize) -> Span {
        let offset = self.offset_of(line, column);
        let character = self.text[..offset].chars().count();
        Span::new_start(Marker::new(0, character, line, column))
    }

    /// A span that starts at a byte offset.
    pub fn span_at_offset(&self, offset: usize) -> Span {
        let (line, column) = self.line_column(offset);
        self.span_at(line, column)
    }

    /// A span covering the bytes `from..to` (at least one character).
    pub fn span_between(&self, from: usize, to: usize) -> Span {
        let marker = |offset: usize| {
            let (line, column) = self.line_column(offset);
            let character = self.text[..self.offset_of(line, column)].chars().count();
            Marker::new(0, character, line, column)
        };
        let end = to.max(
            from + self.text[from.min(self.text.len())..]
                .chars()
                .next()
                .map_or(0, char::len_utf8),
        );
        Span::new_with_marks(marker(from), marker(end))
    }

    /// A span covering `chars` characters from a 1-based (line, column) position.
    pub fn span_chars(&self, line: usize, column: usize, chars: usize) -> Span {
        let from = self.offset_of(line, column);
        let len: usize = self.text[from..]
            .chars()
            .take(chars.max(1))
            .map(char::len_utf8)
            .sum();
        self.span_between(from, from + len)
    }

    /// The text of a 1-based line, without its line break ("" past the end).
    pub fn line_text(&self, line: usize) -> &str {
        let from = self.offset_of(line, 1);
        let rest = &self.text[from..];
        let end = rest.find('\n').unwrap_or(rest.len());
        rest[..end].trim_end_matches('\r')
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
            Some((_, first)) => {
                let mut end = line.find(" #").unwrap_or(line.len());
                let structural =
                    "-?".contains(first) && line[1..].starts_with(' ') || "[{".contains(first);
                if !structural {
                    // A plain scalar ends before `: ` (it is a key), and in a flow collection
                    // (`[a, b]`, `{k: v}`) before `,`, `]` or `}`.
                    let line_start = self.text[..from].rfind('\n').map_or(0, |i| i + 1);
                    let before = &self.text[line_start..from];
                    let depth = before.matches(['[', '{']).count() as isize
                        - before.matches([']', '}']).count() as isize;
                    let key_end = line[..end]
                        .find(": ")
                        .or_else(|| line[..end].trim_end().strip_suffix(':').map(str::len));
                    let flow_end = (depth > 0)
                        .then(|| line[..end].find([',', ']', '}']))
                        .flatten();
                    end = [Some(end), key_end, flow_end]
                        .into_iter()
                        .flatten()
                        .min()
                        .unwrap_or(end);
                }
                line[..end].trim_end().len()
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
        let flow = SourceFile::new("x.yaml", "regions: [us-east1, eu-west-1]\nkey: value\n");
        assert_eq!(flow.token_len(10), "us-east1".len());
        assert_eq!(flow.token_len(20), "eu-west-1".len());
        assert_eq!(flow.token_len(31), "key".len());
        assert_eq!(file.offset_of(9, 1), file.text.len());
        assert_eq!(file.line_column(10), (2, 5));
        assert_eq!(file.line_text(2), "né: \"two\" # c");
        assert_eq!(file.line_text(7), "");
        let span = file.span_at_offset(10);
        assert_eq!(file.byte_range(&span), Some((10, 15)));
        assert_eq!(file.byte_range(&file.span_chars(2, 5, 1)), Some((10, 11)));
        assert_eq!(file.byte_range(&file.span_chars(2, 2, 1)), Some((6, 8)));
    }
}
