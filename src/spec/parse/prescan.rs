//! A cheap structural pre-scan of the spec text (nesting depth, open brackets, extra documents),
//! run before the recursive YAML parser sees the text.

use super::MAX_NESTING;

/// A `[` or `{` that is open at some point of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OpenBracket {
    pub(super) bracket: char,
    pub(super) line: usize,
    pub(super) column: usize,
    /// Indentation of the line the bracket is on.
    pub(super) indent: usize,
}

#[derive(Debug, Default)]
pub(super) struct Structure {
    /// Flow collections (`[`, `{`) still open where the scan stopped.
    pub(super) open: Vec<OpenBracket>,
    /// First (line, column) where nesting exceeds [`MAX_NESTING`].
    pub(super) too_deep: Option<(usize, usize)>,
    /// Where a second YAML document starts: (line, column, after a `...` end marker).
    pub(super) second_document: Option<(usize, usize, bool)>,
}

/// Scans the text up to (not including) `stop_line`, tracking quotes, comments, block scalars,
/// flow brackets and indentation well enough to measure nesting without a recursive parser.
pub(super) fn scan(text: &str, stop_line: usize) -> Structure {
    let mut found = Structure::default();
    let mut indents: Vec<usize> = Vec::new();
    let mut quote: Option<char> = None;
    // While inside a block scalar (`|`, `>`): its lines are indented more than this.
    let mut block_scalar: Option<usize> = None;
    let mut seen_content = false;
    let mut ended = false;
    let mut at_value_start = true;

    for (index, raw) in text.split('\n').enumerate() {
        let line_no = index + 1;
        if line_no >= stop_line {
            break;
        }
        let chars: Vec<char> = raw.trim_end_matches('\r').chars().collect();
        let indent = chars.iter().take_while(|c| **c == ' ').count();
        let blank = chars[indent..].iter().all(|c| c.is_whitespace());
        if let Some(parent) = block_scalar {
            if blank || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        let mut pos = 0;
        if quote.is_none() && found.open.is_empty() {
            let marker = |m: &str| {
                chars.len() >= 3
                    && chars[..3].iter().copied().eq(m.chars())
                    && chars.get(3).is_none_or(|c| c.is_whitespace())
            };
            if marker("---") {
                if (seen_content || ended) && found.second_document.is_none() {
                    found.second_document = Some((line_no, 1, false));
                }
                indents.clear();
                pos = 3;
            } else if marker("...") {
                ended = true;
                continue;
            } else if chars.first() == Some(&'%') {
                continue;
            }
            let first = chars[pos..].iter().position(|c| *c != ' ');
            let Some(first) = first.map(|f| f + pos) else {
                continue;
            };
            if chars[first] == '#' || chars[first..].iter().all(|c| c.is_whitespace()) {
                continue;
            }
            if ended && found.second_document.is_none() {
                found.second_document = Some((line_no, first + 1, true));
            }
            seen_content = true;
            if pos == 0 {
                while indents.last().is_some_and(|top| *top > indent) {
                    indents.pop();
                }
                if indents.last() != Some(&indent) {
                    indents.push(indent);
                }
            }
            pos = first;
            at_value_start = true;
        } else if !blank {
            seen_content = true;
        }

        let mut compact = 0;
        let mut parent_column = pos;
        let mut i = pos;
        while i < chars.len() {
            let c = chars[i];
            if let Some(q) = quote {
                if q == '"' && c == '\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == '\'' && chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                    at_value_start = false;
                }
                i += 1;
                continue;
            }
            if c == '#' && (i == 0 || chars[i - 1].is_whitespace()) {
                break;
            }
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            let next_blank = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
            let in_flow = !found.open.is_empty();
            match c {
                '[' | '{' if in_flow || at_value_start => {
                    found.open.push(OpenBracket {
                        bracket: c,
                        line: line_no,
                        column: i + 1,
                        indent,
                    });
                    at_value_start = true;
                }
                ']' | '}' if in_flow => {
                    found.open.pop();
                    at_value_start = false;
                }
                ',' if in_flow => at_value_start = true,
                '-' | '?' | ':' if at_value_start && next_blank => {
                    if !in_flow {
                        compact += 1;
                        parent_column = i;
                    }
                }
                ':' if next_blank
                    || (in_flow && chars.get(i + 1).is_some_and(|n| ",[]{}".contains(*n))) =>
                {
                    at_value_start = true
                }
                '"' | '\'' if at_value_start => quote = Some(c),
                '&' | '!' if at_value_start => {
                    while i < chars.len() && !chars[i].is_whitespace() {
                        i += 1;
                    }
                    continue;
                }
                '|' | '>' if at_value_start && !in_flow => {
                    let header_ends = chars[i + 1..]
                        .iter()
                        .position(|h| !(h.is_ascii_digit() || *h == '-' || *h == '+'))
                        .map(|p| i + 1 + p);
                    let is_header = header_ends.is_none_or(|e| {
                        chars[e].is_whitespace()
                            && chars[e..]
                                .iter()
                                .find(|h| !h.is_whitespace())
                                .is_none_or(|h| *h == '#')
                    });
                    if is_header {
                        block_scalar = Some(parent_column);
                        break;
                    }
                    at_value_start = false;
                }
                _ => {
                    if at_value_start && !in_flow {
                        parent_column = i;
                    }
                    at_value_start = false;
                }
            }
            if indents.len() + compact + found.open.len() > MAX_NESTING {
                found.too_deep = Some((line_no, i + 1));
                return found;
            }
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_nesting_without_parsing() {
        let deep = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert_eq!(scan(&deep, usize::MAX).too_deep, Some((1, 3 + MAX_NESTING)));
        let compact = format!("a:\n{}x\n", "- ".repeat(100));
        assert!(scan(&compact, usize::MAX).too_deep.is_some());
        let quoted = format!(
            "a: \"{}\"\nb: '{}' # {}\n",
            "[".repeat(100),
            "{".repeat(100),
            "[".repeat(100)
        );
        assert_eq!(scan(&quoted, usize::MAX).too_deep, None);
        let block = format!("a: |\n  {}\nb: 1\n", "[".repeat(100));
        assert_eq!(scan(&block, usize::MAX).too_deep, None);
        let plain = "a: see [docs\nb: it's {fine\n";
        assert!(scan(plain, usize::MAX).open.is_empty());
    }

    #[test]
    fn finds_second_documents() {
        assert_eq!(scan("---\na: 1\n", usize::MAX).second_document, None);
        assert_eq!(
            scan("a: 1\n---\nb: 2\n", usize::MAX).second_document,
            Some((2, 1, false))
        );
        assert_eq!(
            scan("a: 1\n...\nb: 2\n", usize::MAX).second_document,
            Some((3, 1, true))
        );
        assert_eq!(scan("a: |\n  ---\n", usize::MAX).second_document, None);
    }

    #[test]
    fn tracks_open_brackets_per_line() {
        let text = "a: [x, y\nb: 1\n";
        let open = scan(text, 2).open;
        assert_eq!(open.len(), 1);
        assert_eq!((open[0].line, open[0].column), (1, 4));
        let multi = "a: [\n  x,\n]\nb: 1\n";
        assert!(scan(multi, 4).open.is_empty());
    }
}
