//! The spec file's text and the mapping from YAML markers (line, column) to byte ranges for error labels.

use std::sync::Arc;

use marked_yaml::{Marker, Span};

/// A spec file as read from disk, shared by every diagnostic that points into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<String>,
    /// Where lines start, so that every position lookup is a binary search and a short walk
    /// instead of a scan of the file (which made checking quadratic in the number of values).
    index: Arc<LineIndex>,
}

/// Byte and character offsets of line starts, and of every [`CHECKPOINT`]-th character.
#[derive(Debug, Default)]
struct LineIndex {
    /// Byte offset of each line's first character (the first is 0).
    line_bytes: Vec<usize>,
    /// Character index of each line's first character.
    line_chars: Vec<usize>,
    /// Byte offset of character `k * CHECKPOINT`.
    checkpoints: Vec<usize>,
    chars: usize,
}

/// Characters between two checkpoints: converting a character index to a byte offset walks at
/// most this many characters.
const CHECKPOINT: usize = 64;

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut index = LineIndex {
            line_bytes: vec![0],
            line_chars: vec![0],
            ..LineIndex::default()
        };
        let mut chars = 0;
        for (byte, c) in text.char_indices() {
            if chars % CHECKPOINT == 0 {
                index.checkpoints.push(byte);
            }
            chars += 1;
            if c == '\n' {
                index.line_bytes.push(byte + 1);
                index.line_chars.push(chars);
            }
        }
        index.chars = chars;
        index
    }
}

/// A point in the file, 1-based as editors show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        let text: String = text.into();
        SourceFile {
            path: path.into(),
            index: Arc::new(LineIndex::new(&text)),
            text: Arc::new(text),
        }
    }

    /// Byte offset of a 1-based (line, column-in-characters) position, clamped to the text.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let index = &self.index;
        let Some(&line_char) = index.line_chars.get(line.max(1) - 1) else {
            return self.text.len();
        };
        // Characters on the line, without its line break.
        let line_end = index
            .line_chars
            .get(line.max(1))
            .map_or(index.chars, |next| next - 1);
        self.byte_of_char(line_char + column.saturating_sub(1).min(line_end - line_char))
    }

    /// Byte offset of the character with this 0-based index (the text's length past the end).
    fn byte_of_char(&self, char_index: usize) -> usize {
        let Some(&from) = self.index.checkpoints.get(char_index / CHECKPOINT) else {
            return self.text.len();
        };
        let walk = char_index % CHECKPOINT;
        self.text[from..]
            .char_indices()
            .nth(walk)
            .map_or(self.text.len(), |(i, _)| from + i)
    }

    /// 0-based character index of a byte offset (at a character boundary).
    fn char_of_byte(&self, offset: usize) -> usize {
        let checkpoint = self.index.checkpoints.partition_point(|b| *b <= offset);
        match checkpoint.checked_sub(1) {
            Some(k) => {
                k * CHECKPOINT + self.text[self.index.checkpoints[k]..offset].chars().count()
            }
            None => 0,
        }
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
        let offset = self.boundary(offset);
        let line = self
            .index
            .line_bytes
            .partition_point(|start| *start <= offset);
        let column = self.char_of_byte(offset) - self.index.line_chars[line - 1] + 1;
        (line, column)
    }

    /// The offset clamped to the text and moved back to a character boundary.
    fn boundary(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// Byte offset of the start of a 0-based line (the text's length past the end).
    pub(crate) fn line_start(&self, line_index: usize) -> usize {
        self.index
            .line_bytes
            .get(line_index)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// 0-based line of a byte offset.
    pub(crate) fn line_index_of(&self, offset: usize) -> usize {
        self.index
            .line_bytes
            .partition_point(|start| *start <= offset)
            .saturating_sub(1)
    }

    /// A span that starts at a 1-based (line, column) position, for places found in the text
    /// rather than by the YAML parser; its end is the token that starts there.
    pub fn span_at(&self, line: usize, column: usize) -> Span {
        let offset = self.offset_of(line, column);
        let character = self.char_of_byte(offset);
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
            let character = self.char_of_byte(self.boundary(offset));
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

    /// The indexed lookups give what a scan of the text gives, on every position of a text
    /// with multi-byte characters, long lines (past several checkpoints) and empty lines.
    #[test]
    fn indexed_positions_match_a_scan_of_the_text() {
        let long = "é".repeat(150) + &"x".repeat(70);
        let text = format!("a: 1\n\n{long}: 🦀\r\nnö: [x, y]\nlast");
        let file = SourceFile::new("x.yaml", text.as_str());
        let lines: Vec<&str> = text.split('\n').collect();
        for (l, line) in lines.iter().enumerate() {
            let start: usize = lines[..l].iter().map(|x| x.len() + 1).sum();
            for column in 1..line.chars().count() + 3 {
                let expected = start
                    + line
                        .chars()
                        .take(column - 1)
                        .map(char::len_utf8)
                        .sum::<usize>();
                assert_eq!(
                    file.offset_of(l + 1, column),
                    expected,
                    "{}:{column}",
                    l + 1
                );
            }
        }
        assert_eq!(file.offset_of(lines.len() + 1, 1), text.len());
        for offset in (0..=text.len()).filter(|o| text.is_char_boundary(*o)) {
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            assert_eq!(file.line_column(offset), (line, column), "offset {offset}");
            assert_eq!(file.char_of_byte(offset), before.chars().count());
            assert_eq!(file.line_index_of(offset), line - 1);
        }
    }

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
