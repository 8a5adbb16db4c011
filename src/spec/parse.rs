//! Reads a spec file into typed values, turning every YAML or shape problem into a located diagnostic.

use marked_yaml::{
    from_node, parse_yaml_with_options, Error as NodeError, LoadError, LoaderOptions, Node, Span,
};

use marked_yaml::types::MarkedScalarNode;

use super::diagnostic::Diagnostic;
use super::retention::ALLOWED_RETENTION_DAYS;
use super::source::{Location, SourceFile};
use super::types::Spec;
use crate::source::did_you_mean;

/// Larger files are refused before parsing: a governance spec is a few kilobytes, and a huge
/// file is far more likely a mistake (or an attack) than a spec.
pub const MAX_SPEC_BYTES: usize = 4 * 1024 * 1024;

/// Deeper nesting is refused before parsing: a spec nests about ten levels, and the YAML
/// parser recurses (and can overflow its stack) on pathologically deep input.
pub const MAX_NESTING: usize = 64;

/// The `-f` value that reads the spec from standard input.
pub const STDIN: &str = "-";

/// How a spec path is shown in messages: `<stdin>` for `-`.
pub fn shown_path(path: &str) -> &str {
    if path == STDIN {
        "<stdin>"
    } else {
        path
    }
}

/// Reads a spec from disk (or standard input for `-`); IO problems are diagnostics too, so
/// that callers report one way.
#[allow(clippy::result_large_err)] // one diagnostic, once per run
pub fn read_source(path: &str) -> Result<SourceFile, Diagnostic> {
    if path == STDIN {
        return read_bytes(shown_path(path), std::io::stdin().lock());
    }
    let empty = SourceFile::new(path, "");
    let metadata = std::fs::metadata(path).map_err(|e| {
        Diagnostic::error(&empty, None, format!("cannot read the spec file: {e}"))
            .help("pass the path of a spec file with -f, e.g. `-f examples/quickstart.yaml`")
    })?;
    if metadata.is_dir() {
        return Err(
            Diagnostic::error(&empty, None, "the spec path is a directory, not a file")
                .help("pass the path of a spec file with -f, e.g. `-f examples/quickstart.yaml`"),
        );
    }
    if metadata.len() > MAX_SPEC_BYTES as u64 {
        return Err(too_large(&empty, Some(metadata.len())));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| Diagnostic::error(&empty, None, format!("cannot read the spec file: {e}")))?;
    read_bytes(path, file)
}

/// Reads at most one byte past the size limit (a pipe or device has no size to check first)
/// and decodes the text.
#[allow(clippy::result_large_err)] // one diagnostic, once per run
fn read_bytes(path: &str, input: impl std::io::Read) -> Result<SourceFile, Diagnostic> {
    let empty = SourceFile::new(path, "");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(input, MAX_SPEC_BYTES as u64 + 1),
        &mut bytes,
    )
    .map_err(|e| Diagnostic::error(&empty, None, format!("cannot read the spec file: {e}")))?;
    if bytes.len() > MAX_SPEC_BYTES {
        return Err(too_large(&empty, None));
    }
    match String::from_utf8(bytes) {
        // Editors on Windows may save a byte order mark; it is not part of the YAML.
        Ok(text) => match text.strip_prefix('\u{feff}') {
            Some(rest) => Ok(SourceFile::new(path, rest)),
            None => Ok(SourceFile::new(path, text)),
        },
        Err(e) => Err(not_utf8(&empty, e.as_bytes(), e.utf8_error().valid_up_to())),
    }
}

/// `bytes` is the size when the file system knows it (not for a pipe).
fn too_large(file: &SourceFile, bytes: Option<u64>) -> Diagnostic {
    let limit = MAX_SPEC_BYTES / (1024 * 1024);
    let message = match bytes {
        Some(bytes) => format!(
            "the spec file is {bytes} bytes ({:.1} MiB), over the limit of {limit} MiB",
            bytes as f64 / (1024.0 * 1024.0),
        ),
        None => format!("the spec is over the limit of {limit} MiB"),
    };
    Diagnostic::error(file, None, message).help(
        "a spec is a few kilobytes: check that -f points at the spec and not at a log or data file",
    )
}

/// The file is not UTF-8: say where, since the text cannot be shown.
fn not_utf8(file: &SourceFile, bytes: &[u8], valid_up_to: usize) -> Diagnostic {
    let before = String::from_utf8_lossy(&bytes[..valid_up_to]);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let byte = bytes.get(valid_up_to).copied().unwrap_or_default();
    let mut d = Diagnostic::error(
        file,
        None,
        format!(
            "the spec file is not UTF-8 text: byte 0x{byte:02X} at line {line}, column {column} is not valid UTF-8"
        ),
    )
    .help("save the file as UTF-8 (it may be in Latin-1 or Windows-1252, or not a text file at all)");
    d.location = Some(Location { line, column });
    d
}

/// Parses YAML text into a [`Spec`]; only the shape is checked here, the meaning in `check`.
#[allow(clippy::result_large_err)] // one diagnostic, once per run
pub fn parse_spec(source: &SourceFile) -> Result<Spec, Diagnostic> {
    let text = source.text.as_str();
    if text.len() > MAX_SPEC_BYTES {
        return Err(too_large(source, Some(text.len() as u64)));
    }
    if let Some(d) = forbidden_character(source) {
        return Err(d);
    }
    let content = text.trim_start_matches('\u{feff}');
    if content.trim().is_empty() {
        return Err(Diagnostic::error(source, None, "the spec file is empty").help(
            "start from `examples/quickstart.yaml`; a spec needs at least `version: 1` and `accounts:`",
        ));
    }
    if content.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    }) {
        return Err(Diagnostic::error(
            source,
            None,
            "the spec file has no content, only comments",
        )
        .help(
            "start from `examples/quickstart.yaml`; a spec needs at least `version: 1` and `accounts:`",
        ));
    }
    let structure = scan(text, usize::MAX);
    if let Some((line, column)) = structure.too_deep {
        return Err(Diagnostic::error(
            source,
            Some(&source.span_chars(line, column, 1)),
            format!("the YAML is nested more than {MAX_NESTING} levels deep"),
        )
        .label("too deep")
        .help("a spec nests a few levels (accounts, overrides, log groups, tags); check that -f points at the spec"));
    }
    if let Some((line, column, after_end)) = structure.second_document {
        let d = if after_end {
            Diagnostic::error(
                source,
                Some(&source.span_at(line, column)),
                "content after the document end marker `...` would be ignored",
            )
            .help("remove the `...` line: a spec is one YAML document")
        } else {
            Diagnostic::error(
                source,
                Some(&source.span_chars(line, column, 3)),
                "the file holds more than one YAML document",
            )
            .label("a second document starts here")
            .help("a spec is one YAML document: remove this `---` and what follows, or put it in a spec file of its own")
        };
        return Err(d);
    }
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    // `read_source` drops a byte order mark; text given in memory may still have one.
    let yaml = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut node = parse_yaml_with_options(0, yaml, options).map_err(|e| load_error(source, e))?;
    point_empty_values_at_keys(&mut node);
    if let Some(d) = null_tag_value(source, &node, "") {
        return Err(d);
    }
    if let Some(d) = list_where_mapping_belongs(source, &node) {
        return Err(d);
    }
    from_node::<Spec>(&node).map_err(|e| {
        let path = e.path().map(str::to_string);
        shape_error(source, &node, path, e.into_inner())
    })
}

// ----------------------------------------------------------------------------------------------
// Characters YAML does not allow.

/// Whether YAML 1.2 allows `c` in a stream (`c-printable`: tab, LF, CR, x20–x7E, x85,
/// xA0–xD7FF, xE000–xFFFD, x10000–x10FFFF), less what warden refuses on top:
/// a byte order mark after the start, and the Unicode line and paragraph separators.
fn is_allowed_character(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
        | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
        && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// A readable name for a refused character, after its code point.
fn character_name(c: char) -> &'static str {
    match c {
        '\0' => "NUL, which the YAML parser takes for the end of the file",
        '\u{1b}' => "ESC",
        '\u{7f}' => "DEL",
        '\r' => "a carriage return not followed by a line feed",
        '\u{feff}' => "a byte order mark (zero-width no-break space) after the start of the file",
        '\u{2028}' => "LINE SEPARATOR, which some editors show as a line break but YAML does not",
        '\u{2029}' => {
            "PARAGRAPH SEPARATOR, which some editors show as a line break but YAML does not"
        }
        '\u{fffe}' | '\u{ffff}' => "a Unicode noncharacter",
        '\u{80}'..='\u{9f}' => "a C1 control character",
        _ => "a control character",
    }
}

/// The first character the YAML parser must not see. The parser reads NUL as the end of the
/// input (so everything after it would silently vanish from the spec), a lone carriage
/// return as a line break that editors and diagnostics do not count, and the rest are not
/// YAML at all; each is refused with its line and column rather than trusted.
fn forbidden_character(source: &SourceFile) -> Option<Diagnostic> {
    let text = source.text.as_str();
    let text_start = usize::from(text.starts_with('\u{feff}')) * '\u{feff}'.len_utf8();
    let (mut line, mut column) = (1, 1);
    let mut chars = text[text_start..].chars().peekable();
    while let Some(c) = chars.next() {
        let lone_cr = c == '\r' && chars.peek() != Some(&'\n');
        if lone_cr || !is_allowed_character(c) {
            return Some(
                Diagnostic::error(
                    source,
                    Some(&source.span_chars(line, column, 1)),
                    format!(
                        "the spec contains the character U+{:04X} ({}), which is not allowed in a spec",
                        c as u32,
                        character_name(c)
                    ),
                )
                .label(format!("U+{:04X}", c as u32))
                .help(if lone_cr {
                    "save the file with LF (Unix) or CRLF (Windows) line endings"
                } else {
                    "delete the character: most editors do not show it (it often comes from a copy-paste, or the file is not a text file); the position above says where it is"
                }),
            );
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    None
}

// ----------------------------------------------------------------------------------------------
// A cheap structural pre-scan of the text: nesting depth, open brackets, extra documents.

/// A `[` or `{` that is open at some point of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OpenBracket {
    bracket: char,
    line: usize,
    column: usize,
    /// Indentation of the line the bracket is on.
    indent: usize,
}

#[derive(Debug, Default)]
struct Structure {
    /// Flow collections (`[`, `{`) still open where the scan stopped.
    open: Vec<OpenBracket>,
    /// First (line, column) where nesting exceeds [`MAX_NESTING`].
    too_deep: Option<(usize, usize)>,
    /// Where a second YAML document starts: (line, column, after a `...` end marker).
    second_document: Option<(usize, usize, bool)>,
}

/// Scans the text up to (not including) `stop_line`, tracking quotes, comments, block scalars,
/// flow brackets and indentation well enough to measure nesting without a recursive parser.
fn scan(text: &str, stop_line: usize) -> Structure {
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

// ----------------------------------------------------------------------------------------------
// YAML errors.

fn load_error(source: &SourceFile, error: LoadError) -> Diagnostic {
    let at = |m: &marked_yaml::Marker| Span::new_start(*m);
    match error {
        LoadError::TopLevelMustBeMapping(m) => Diagnostic::error(
            source,
            Some(&at(&m)),
            "the top level of a spec must be a mapping",
        )
        .help("a spec starts with keys such as `version: 1` and `accounts:`"),
        LoadError::TopLevelMustBeSequence(m) => {
            Diagnostic::error(source, Some(&at(&m)), "unexpected YAML document shape")
        }
        LoadError::UnexpectedAnchor(m) => anchors_unsupported(source, anchor_before(source, &m)),
        LoadError::MappingKeyMustBeScalar(m) => {
            Diagnostic::error(source, Some(&at(&m)), "mapping keys must be plain strings")
                .help("write keys as `name: value`")
        }
        LoadError::UnexpectedTag(m) => Diagnostic::error(
            source,
            Some(&tag_before(source, &m)),
            "YAML tags (`!tag`) are not supported in specs",
        )
        .help("remove the tag; use `${env:NAME}` to take a value from the environment"),
        LoadError::ScanError(m, e) => syntax_error(source, &m, e.info()),
        LoadError::DuplicateKey(inner) => {
            let first = inner
                .prev_key
                .span()
                .start()
                .map(|m| format!("line {}", m.line()))
                .unwrap_or_else(|| "earlier".into());
            Diagnostic::error(
                source,
                Some(inner.key.span()),
                format!("`{}` is set twice in the same mapping", inner.key.as_str()),
            )
            .label("second definition")
            .help(format!("remove one of them (the first is at {first})"))
        }
    }
}

fn anchors_unsupported(source: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        source,
        Some(&span),
        "YAML anchors and aliases (`&name`, `*name`) are not supported in specs",
    )
    .help(
        "write the values out; to share settings, put them in the top-level baseline \
         (e.g. `log_groups:`) and change them per account with `overrides:`",
    )
}

/// The parser reports an anchor at the node it names; point at the `&name` itself.
fn anchor_before(source: &SourceFile, marker: &marked_yaml::Marker) -> Span {
    token_before(source, marker, '&')
}

fn tag_before(source: &SourceFile, marker: &marked_yaml::Marker) -> Span {
    token_before(source, marker, '!')
}

/// The span of the last `sigil`-prefixed token (`&name`, `!tag`) that starts at most two lines
/// above `marker`, or the marker itself. The parser reports the node an anchor or tag belongs
/// to, which can be a line below it (`- &common` then `name: prod`).
fn token_before(source: &SourceFile, marker: &marked_yaml::Marker, sigil: char) -> Span {
    let text = source.text.as_str();
    let offset = source.offset_of(marker.line(), marker.column());
    let token = |start: usize| {
        let len = text[start..]
            .find(|c: char| c.is_whitespace() || ",[]{}".contains(c))
            .unwrap_or(text.len() - start);
        source.span_between(start, start + len)
    };
    if text[offset..].starts_with(sigil) {
        return token(offset);
    }
    let from = source.offset_of(marker.line().saturating_sub(2), 1);
    let region = &text[from..offset];
    region
        .char_indices()
        .rfind(|(i, c)| {
            *c == sigil
                && region[..*i]
                    .chars()
                    .next_back()
                    .is_none_or(|p| p.is_whitespace() || "[{,".contains(p))
        })
        .map(|(i, _)| token(from + i))
        .unwrap_or_else(|| Span::new_start(*marker))
}

fn syntax_error(source: &SourceFile, marker: &marked_yaml::Marker, info: &str) -> Diagnostic {
    // Indentation problems concern the whole line: point at its first character.
    let about_indentation = info.contains("indentation")
        || info.contains("did not find expected '-' indicator")
        || info.contains("did not find expected key");
    let here = if about_indentation && !info.contains("quoted scalar") {
        let text = source.line_text(marker.line());
        let first = text.chars().take_while(|c| *c == ' ').count() + 1;
        if first <= marker.column() && first <= text.chars().count() {
            source.span_at(marker.line(), first)
        } else {
            Span::new_start(*marker)
        }
    } else {
        Span::new_start(*marker)
    };
    let generic = |message: String, help: &str| {
        Diagnostic::error(source, Some(&here), format!("YAML syntax error: {message}")).help(help)
    };
    if info.contains("unknown anchor") {
        return anchors_unsupported(source, here);
    }
    if info.contains("tab") {
        if let Some(tab) = indentation_tab(source, marker.line()) {
            return Diagnostic::error(
                source,
                Some(&tab),
                "YAML syntax error: this line is indented with a tab; YAML allows only spaces",
            )
            .label("tab")
            .help("replace the tab with spaces (two per level is usual)");
        }
    }
    if let Some(open) = unclosed_bracket(source, marker) {
        let (closer, what) = match open.bracket {
            '[' => (']', "list"),
            _ => ('}', "mapping"),
        };
        return Diagnostic::error(
            source,
            Some(&source.span_chars(open.line, open.column, 1)),
            format!("YAML syntax error: this `{}` is never closed", open.bracket),
        )
        .label(format!("this {what} has no `{closer}`"))
        .help(format!(
            "close the {what} with `{closer}` at the end of its items (the parser gave up at line {}, column {}: {info})",
            marker.line(),
            marker.column()
        ));
    }
    if info.contains("quoted scalar") {
        if info.contains("escape") || info.contains("hexadecimal") {
            return generic(
                "invalid escape sequence in a double-quoted value".into(),
                "in double quotes a backslash starts an escape: write `\\\\` for a backslash, or use single quotes",
            );
        }
        return Diagnostic::error(
            source,
            Some(&source.span_chars(marker.line(), marker.column(), 1)),
            "YAML syntax error: this quoted value is not closed",
        )
        .label("opening quote")
        .help("end the value with the same quote character, on the same line");
    }
    if info.contains("expect ':'")
        || info.contains("expected ':'")
        || info.contains("did not find expected key")
    {
        if let Some(line) = line_without_colon(source, marker.line()) {
            let text = source.line_text(line);
            let column = text.chars().take_while(|c| *c == ' ').count() + 1;
            return Diagnostic::error(
                source,
                Some(&source.span_at(line, column)),
                "YAML syntax error: this line has no `:` between key and value",
            )
            .label("expected `key: value`")
            .help(
                "write `key: value` with a colon and a space (quote the value if it contains `: `)",
            );
        }
    }
    match info {
        i if i.contains("mapping values are not allowed") => generic(
            "unexpected `:` here".into(),
            "a value that contains `: ` must be quoted (`\"a: b\"`); otherwise check this line's indentation",
        ),
        i if i.contains("while parsing a flow sequence") => generic(
            "expected `,` or `]` in this list".into(),
            "separate the items with `, ` and close the list with `]`",
        ),
        i if i.contains("while parsing a flow mapping") => generic(
            "expected `,` or `}` in this mapping".into(),
            "separate the entries with `, ` and close the mapping with `}`",
        ),
        i if i.contains("did not find expected '-' indicator") => generic(
            "this line does not line up with the list above it".into(),
            "list items start with `- ` at the same indentation, and the keys of one item line up under each other",
        ),
        i if i.contains("block sequence entries are not allowed") => generic(
            "a list item (`- `) cannot start here".into(),
            "start the list on the next line, indented under its key",
        ),
        "invalid indentation" => generic(
            "unexpected indentation".into(),
            "keys of the same mapping must line up; check this line and the lines above it",
        ),
        i if i.starts_with("unexpected character") => generic(
            i.to_string(),
            "quote values that start with a special character, e.g. `\"@team\"`",
        ),
        i => generic(
            i.to_string(),
            "check the indentation, colons and quotes on this line and the lines above it",
        ),
    }
}

/// A tab in the leading whitespace of the error line or one of the next two lines.
fn indentation_tab(source: &SourceFile, line: usize) -> Option<Span> {
    (line..line + 3).find_map(|l| {
        let text = source.line_text(l);
        let leading = text.len() - text.trim_start_matches([' ', '\t']).len();
        text[..leading]
            .find('\t')
            .map(|i| source.span_chars(l, text[..i].chars().count() + 1, 1))
    })
}

/// A `[` or `{` opened on an earlier line that is evidently never closed: a later line, up to
/// the error, is indented like a new key rather than like a continued list.
fn unclosed_bracket(source: &SourceFile, marker: &marked_yaml::Marker) -> Option<OpenBracket> {
    let error_line = marker.line();
    let structure = scan(source.text.as_str(), error_line);
    let open = *structure.open.last()?;
    let lines = source.text.split('\n').map(|l| l.trim_end_matches('\r'));
    let mut after = lines.skip(open.line).take(error_line - open.line);
    let dedented = after.any(|text| {
        let trimmed = text.trim_start_matches(' ');
        let indent = text.len() - trimmed.len();
        !trimmed.is_empty()
            && !trimmed.starts_with('#')
            && indent <= open.indent
            && !trimmed.starts_with([']', '}', ','])
    });
    let at_end = error_line > source.text.lines().count();
    (dedented || at_end).then_some(open)
}

/// The nearest content line above `line` (or `line` itself) that looks like a key without `:`.
fn line_without_colon(source: &SourceFile, line: usize) -> Option<usize> {
    let lines: Vec<&str> = source.text.split('\n').take(line).collect();
    let candidates = lines.iter().enumerate().rev().filter(|(_, t)| {
        let t = t.trim();
        !t.is_empty() && !t.starts_with('#')
    });
    for (index, t) in candidates.take(2) {
        let l = index + 1;
        let t = t.trim();
        let t = t.split(" #").next().unwrap_or(t).trim_end();
        let has_colon = t.contains(": ") || t.ends_with(':');
        let is_item = t.starts_with("- ") || t == "-";
        let is_flow = t.starts_with(['[', '{', '"', '\'', ']', '}']);
        if !has_colon && !is_item && !is_flow {
            return Some(l);
        }
    }
    None
}

// ----------------------------------------------------------------------------------------------
// Shape errors (serde): find the node the error is about, and say it in the spec's terms.

/// A `key:` with nothing after it is an empty scalar that the parser places at the next token
/// (often the next key); point it at its own key instead.
fn point_empty_values_at_keys(node: &mut Node) {
    match node {
        Node::Mapping(map) => {
            for (key, value) in map.iter_mut() {
                if let Node::Scalar(scalar) = value {
                    let key_line = key.span().start().map(|m| m.line());
                    let value_line = scalar.span().start().map(|m| m.line());
                    if scalar.as_str().is_empty() && scalar.may_coerce() && key_line != value_line {
                        *scalar.span_mut() = *key.span();
                    }
                } else {
                    point_empty_values_at_keys(value);
                }
            }
        }
        Node::Sequence(items) => items.iter_mut().for_each(point_empty_values_at_keys),
        Node::Scalar(_) => {}
    }
}

/// A tag written as `key: null`, `key: ~` or `key:` has no value (YAML null); read as text it
/// would become the word `null` or an empty value without the user asking for either.
fn null_tag_value(source: &SourceFile, node: &Node, path: &str) -> Option<Diagnostic> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match node {
        Node::Mapping(map) => map.iter().find_map(|(key, value)| {
            let here = join(key.as_str());
            if let (Some(tags), "tags") = (value.as_mapping(), key.as_str()) {
                for (tag, tag_value) in tags.iter() {
                    let Node::Scalar(scalar) = tag_value else {
                        continue;
                    };
                    let is_null = scalar.may_coerce()
                        && matches!(scalar.as_str(), "" | "~" | "null" | "Null" | "NULL");
                    if is_null {
                        let written = if scalar.as_str().is_empty() {
                            String::new()
                        } else {
                            format!(" (`{}` is YAML for no value)", scalar.as_str())
                        };
                        let span = if scalar.as_str().is_empty() {
                            *tag.span()
                        } else {
                            *scalar.span()
                        };
                        return Some(
                            Diagnostic::error(
                                source,
                                Some(&span),
                                format!("tag `{}` has no value{written}", tag.as_str()),
                            )
                            .label("no value")
                            .help(if scalar.as_str().is_empty() {
                                format!("write `{}: \"\"` for an empty value", tag.as_str())
                            } else {
                                format!(
                                    "write `{}: \"\"` for an empty value, or quote the word (`\"{}\"`) if it is the value",
                                    tag.as_str(),
                                    scalar.as_str()
                                )
                            })
                            .field(format!("{here}.{}", tag.as_str())),
                        );
                    }
                }
                return None;
            }
            null_tag_value(source, value, &here)
        }),
        Node::Sequence(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| null_tag_value(source, item, &format!("{path}[{i}]"))),
        Node::Scalar(_) => None,
    }
}

/// serde builds a struct from a list as well as from a mapping (`- [prod, "111111111111"]`
/// would fill `name` and `id` in order), so a list where the schema wants a mapping is
/// refused here, before deserialising.
fn list_where_mapping_belongs(source: &SourceFile, root: &Node) -> Option<Diagnostic> {
    let schema = super::json_schema();
    let defs = schema.get("$defs").cloned().unwrap_or_default();
    let (path, node, name) = find_list_for_mapping(root, &schema, &defs, String::new())?;
    let message = format!(
        "invalid type: sequence, expected struct {}",
        name.unwrap_or("Object")
    );
    let span = node.span().start().map(|m| Span::new_start(*m));
    let d = Diagnostic::error(source, span.as_ref(), humanize(&message)).help(type_help(&message));
    Some(if path.is_empty() { d } else { d.field(path) })
}

/// The schema alternatives a value may match (through `$ref`, `anyOf`, `oneOf`), each with
/// the name of its definition when it has one.
fn alternatives<'s>(
    schema: &'s serde_json::Value,
    defs: &'s serde_json::Value,
    depth: usize,
) -> Vec<(&'s serde_json::Value, Option<&'s str>)> {
    if depth > 16 {
        return Vec::new();
    }
    if let Some(reference) = schema.get("$ref").and_then(|r| r.as_str()) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return match defs.get(name) {
            Some(def) => alternatives(def, defs, depth + 1)
                .into_iter()
                .map(|(s, n)| (s, n.or(Some(name))))
                .collect(),
            None => Vec::new(),
        };
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(|o| o.as_array()) {
            return options
                .iter()
                .flat_map(|o| alternatives(o, defs, depth + 1))
                .collect();
        }
    }
    vec![(schema, None)]
}

/// Whether a schema allows a JSON type (`object`, `array`); `None` when it does not say.
fn allows(schema: &serde_json::Value, kind: &str) -> Option<bool> {
    match schema.get("type") {
        Some(serde_json::Value::String(t)) => Some(t == kind),
        Some(serde_json::Value::Array(types)) => Some(types.iter().any(|t| t == kind)),
        _ if schema.get("properties").is_some() || schema.get("additionalProperties").is_some() => {
            Some(kind == "object")
        }
        _ if schema.get("items").is_some() => Some(kind == "array"),
        _ => None,
    }
}

fn find_list_for_mapping<'n, 's>(
    node: &'n Node,
    schema: &'s serde_json::Value,
    defs: &'s serde_json::Value,
    path: String,
) -> Option<(String, &'n Node, Option<&'s str>)> {
    let options = alternatives(schema, defs, 0);
    match node {
        Node::Sequence(items) => {
            let typed: Vec<_> = options
                .iter()
                .filter(|(s, _)| allows(s, "array").is_some())
                .collect();
            let array = typed.iter().any(|(s, _)| allows(s, "array") == Some(true));
            if let Some((_, name)) = typed
                .iter()
                .find(|(s, _)| allows(s, "object") == Some(true))
                .filter(|_| !array)
            {
                return Some((path, node, *name));
            }
            let item_schema = options.iter().find_map(|(s, _)| s.get("items"))?;
            items.iter().enumerate().find_map(|(i, item)| {
                find_list_for_mapping(item, item_schema, defs, format!("{path}[{i}]"))
            })
        }
        Node::Mapping(map) => {
            let object = options
                .iter()
                .find(|(s, _)| allows(s, "object") == Some(true))?
                .0;
            map.iter().find_map(|(key, value)| {
                let sub = object
                    .get("properties")
                    .and_then(|p| p.get(key.as_str()))
                    .or_else(|| object.get("additionalProperties").filter(|a| a.is_object()))?;
                let path = if path.is_empty() {
                    key.as_str().to_string()
                } else {
                    format!("{path}.{}", key.as_str())
                };
                find_list_for_mapping(value, sub, defs, path)
            })
        }
        Node::Scalar(_) => None,
    }
}

#[derive(Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(|d| d.is_ascii_digit()) {
                    digits.push(d);
                }
                match (chars.peek(), digits.parse()) {
                    (Some(']'), Ok(index)) => {
                        chars.next();
                        if !key.is_empty() {
                            out.push(Segment::Key(std::mem::take(&mut key)));
                        }
                        out.push(Segment::Index(index));
                    }
                    _ => {
                        key.push('[');
                        key.push_str(&digits);
                    }
                }
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Segment::Key(key));
    }
    out
}

/// What a serde path leads to in the YAML tree.
struct Located<'a> {
    /// The deepest node reached.
    node: &'a Node,
    /// The key under which `node` was found, when it was found in a mapping.
    key: Option<&'a MarkedScalarNode>,
    /// The whole path was followed.
    complete: bool,
}

fn locate<'a>(root: &'a Node, path: Option<&str>) -> Located<'a> {
    let segments = path.map(segments).unwrap_or_default();
    let mut here = Located {
        node: root,
        key: None,
        complete: true,
    };
    let mut i = 0;
    while i < segments.len() {
        let step = match (&segments[i], here.node) {
            (Segment::Index(n), Node::Sequence(items)) => items.get(*n).map(|node| (node, None, 1)),
            (Segment::Key(_), Node::Mapping(map)) => {
                // A key may itself contain dots (tag keys): try the longest match first.
                (1..=segments.len() - i).rev().find_map(|take| {
                    let joined = segments[i..i + take]
                        .iter()
                        .map(|s| match s {
                            Segment::Key(k) => Some(k.as_str()),
                            Segment::Index(_) => None,
                        })
                        .collect::<Option<Vec<_>>>()?
                        .join(".");
                    map.iter()
                        .find(|(k, _)| k.as_str() == joined)
                        .map(|(k, node)| (node, Some(k), take))
                })
            }
            _ => None,
        };
        match step {
            Some((node, key, taken)) => {
                here.node = node;
                here.key = key;
                i += taken;
            }
            None => {
                here.complete = false;
                break;
            }
        }
    }
    here
}

/// Where to point for an error about `node`: a scalar itself, a collection's first line, and
/// an empty value's key.
fn span_of(located: &Located) -> Option<Span> {
    match located.node {
        Node::Scalar(s) if s.as_str().is_empty() && s.may_coerce() => {
            located.key.map(|k| *k.span()).or_else(|| Some(*s.span()))
        }
        // A mapping's own mark can be the first key's colon; point at the first key.
        Node::Mapping(map) => map
            .iter()
            .next()
            .map(|(k, _)| *k.span())
            .or_else(|| map.span().start().map(|m| Span::new_start(*m))),
        node => node.span().start().map(|m| Span::new_start(*m)),
    }
}

fn shape_error(
    source: &SourceFile,
    root: &Node,
    path: Option<String>,
    error: NodeError,
) -> Diagnostic {
    let path = path.filter(|p| !p.is_empty() && p != ".");
    let located = locate(root, path.as_deref());
    let fallback = error.start_mark().map(Span::new_start);
    let value_span = if located.complete {
        span_of(&located).or(fallback)
    } else {
        fallback
    };
    let scalar_text = match located.node {
        Node::Scalar(s) if located.complete => Some(s.as_str()),
        _ => None,
    };
    let last_key = path
        .as_deref()
        .and_then(|p| {
            segments(p).into_iter().rev().find_map(|s| match s {
                Segment::Key(k) => Some(k),
                Segment::Index(_) => None,
            })
        })
        .unwrap_or_default();
    let diagnostic = match &error {
        NodeError::UnknownFieldError(field, expected, _) => {
            let span = if located.complete {
                located.key.map(|k| *k.span()).or(value_span)
            } else {
                fallback
            };
            let mut d =
                Diagnostic::error(source, span.as_ref(), format!("unknown field `{field}`"))
                    .label("not a field here");
            let allowed = expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ");
            d = match did_you_mean(field, expected.iter().copied()) {
                Some(best) => d.help(format!(
                    "did you mean `{best}`? Fields allowed here: {allowed}"
                )),
                None => match belongs_elsewhere(field) {
                    Some((name, place)) => d.help(format!(
                        "fields allowed here: {allowed}; `{name}` goes {place}"
                    )),
                    None => d.help(format!("fields allowed here: {allowed}")),
                },
            };
            d
        }
        NodeError::IntegerParseFailure(_, _) => {
            let message = match scalar_text {
                Some("") => "the value is missing; expected a whole number".to_string(),
                Some(text) => format!("expected a whole number, found `{text}`"),
                None => "expected a whole number".to_string(),
            };
            let help = match last_key.as_str() {
                "version" => "write `version: 1`".to_string(),
                "retention_days" => retention_help(),
                _ => "write digits only, e.g. `365`".to_string(),
            };
            Diagnostic::error(source, value_span.as_ref(), message).help(help)
        }
        NodeError::FloatParseFailure(e, _) => Diagnostic::error(
            source,
            value_span.as_ref(),
            format!("expected a number ({e})"),
        ),
        NodeError::NotBoolean(_) => {
            let message = match scalar_text {
                Some("") => "the value is missing; expected `true` or `false`".to_string(),
                Some(text) => format!("expected `true` or `false`, found `{text}`"),
                None => "expected `true` or `false`".to_string(),
            };
            Diagnostic::error(source, value_span.as_ref(), message).help(
                "write `true` or `false` (YAML 1.1 words such as `yes`, `no`, `on` and `off` are not booleans in a spec)",
            )
        }
        NodeError::Other(message, _) => {
            if let Some(field) = missing_field(message) {
                let what = match path.as_deref() {
                    None => "the top level".to_string(),
                    Some(p) if p.ends_with(']') => format!("this {}", item_name(p)),
                    Some(p) => format!("`{p}`"),
                };
                Diagnostic::error(
                    source,
                    value_span.as_ref(),
                    format!("missing field `{field}`"),
                )
                .label(format!("{what} has no `{field}`"))
                .help(missing_help(field, path.as_deref().unwrap_or("")))
            } else {
                let help = if last_key == "retention_days" {
                    retention_help()
                } else {
                    type_help(message)
                };
                let mut d =
                    Diagnostic::error(source, value_span.as_ref(), humanize(message)).help(help);
                if scalar_text == Some("") {
                    d = d.label("no value");
                }
                d
            }
        }
    };
    match path {
        Some(p) => diagnostic.field(p),
        None => diagnostic,
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
}

/// "account" for `accounts[1]`, "log group" for `log_groups[0]`, …
fn item_name(path: &str) -> &'static str {
    let list = path.rsplit('.').next().unwrap_or(path);
    match list.split('[').next().unwrap_or("") {
        "accounts" => "account",
        "log_groups" => "log group",
        "overrides" => "override",
        _ => "item",
    }
}

fn missing_help(field: &str, path: &str) -> String {
    match field {
        "version" => "add `version: 1` at the top of the file".into(),
        "accounts" => {
            "add an `accounts:` list with at least one account, e.g. `- name: prod` and `id: \"123456789012\"`".into()
        }
        "id" => "add the account's 12-digit id, e.g. `id: \"123456789012\"` (quoted)".into(),
        "name" if item_name(path) == "log group" => {
            "add the log group's name, e.g. `name: /aws/bedrock/invocations`".into()
        }
        "name" => "add a short name for the account, e.g. `name: prod`".into(),
        _ => "add the field; `warden schema` prints every field with its description".into(),
    }
}

/// Fields that exist elsewhere in a spec, for "goes under …" hints.
fn belongs_elsewhere(field: &str) -> Option<(&'static str, &'static str)> {
    const PLACES: &[(&str, &str)] = &[
        (
            "regions",
            "under `defaults:`, in an account, or in an override",
        ),
        (
            "tags",
            "under `defaults:`, in an account, or in a log group",
        ),
        (
            "retention_days",
            "in a log group (an item of `log_groups:`)",
        ),
        ("kms_key_id", "in a log group (an item of `log_groups:`)"),
        ("skip", "in a log group inside an account's `overrides:`"),
        ("role_arn", "in an account (an item of `accounts:`)"),
        ("external_id", "in an account (an item of `accounts:`)"),
        ("overrides", "in an account (an item of `accounts:`)"),
        ("log_groups", "at the top level or in an override"),
        ("accounts", "at the top level"),
        ("defaults", "at the top level"),
        ("project", "at the top level"),
    ];
    let best = did_you_mean(field, PLACES.iter().map(|(name, _)| *name))?;
    PLACES.iter().copied().find(|(name, _)| *name == best)
}

fn retention_help() -> String {
    format!(
        "write a number of days CloudWatch Logs accepts ({}) or `never`",
        ALLOWED_RETENTION_DAYS
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// serde's messages name Rust types (`u32`, `a sequence`); say it in the spec's terms.
fn humanize(message: &str) -> String {
    let message = message.replace("invalid type: ", "wrong type: found ");
    let (found, expected) = match message.split_once(", expected ") {
        Some((found, expected)) => (found.to_string(), Some(expected.to_string())),
        None => (message.clone(), None),
    };
    let found = found
        .replace("found map", "found a mapping")
        .replace("found sequence", "found a list")
        .replace("found unit value", "found an empty value")
        .replace("found string ", "found the text ");
    let Some(expected) = expected else {
        return found;
    };
    let expected = match expected.as_str() {
        "struct LogGroup" => "a log group (a mapping with `name:` and its settings)".to_string(),
        "struct Account" => "an account (a mapping with `name:` and `id:`)".to_string(),
        "struct Override" => {
            "an override (a mapping with `regions:` and/or `log_groups:`)".to_string()
        }
        "struct Defaults" => "a mapping with `regions:` and/or `tags:`".to_string(),
        "struct Spec" => "a mapping".to_string(),
        "a map" => "a mapping of `key: value` lines".to_string(),
        "a sequence" => "a list".to_string(),
        "u32" => "a whole number".to_string(),
        other if other.starts_with("struct ") => "a mapping of `key: value` lines".to_string(),
        other => other.to_string(),
    };
    format!("{found}, expected {expected}")
}

fn type_help(message: &str) -> String {
    let expected = message.split(", expected ").nth(1).unwrap_or("");
    match expected {
        "a sequence" => "write a list: `[a, b]` on one line, or one `- item` per line".into(),
        "a map" => "write `key: value` lines, indented under this key".into(),
        "struct LogGroup" => {
            "each log group is a mapping, e.g. `- name: /aws/bedrock/invocations` with `retention_days: 365` below it".into()
        }
        "struct Account" => {
            "each account is a mapping, e.g. `- name: prod` with `id: \"123456789012\"` below it".into()
        }
        "struct Override" => {
            "each override is a mapping, e.g. `- regions: [us-east-1]` with `log_groups:` below it".into()
        }
        "struct Defaults" => "write `regions:` and `tags:` indented under `defaults:`".into(),
        e if e.starts_with("struct ") => "write `key: value` lines, indented under this key".into(),
        e if e.contains("string") => "write the value as text; quote it if it looks like a number or a list".into(),
        _ => "see `warden schema` for the expected shape".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_serde_paths() {
        assert_eq!(
            segments("accounts[0].overrides[12].log_group"),
            vec![
                Segment::Key("accounts".into()),
                Segment::Index(0),
                Segment::Key("overrides".into()),
                Segment::Index(12),
                Segment::Key("log_group".into()),
            ]
        );
        assert_eq!(segments("[3]"), vec![Segment::Index(3)]);
    }

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
    fn refuses_every_character_yaml_does_not_allow_with_its_position() {
        let refused = (0u32..0x20)
            .filter(|c| ![0x09, 0x0a, 0x0d].contains(c))
            .chain(0x7f..0xa0)
            .filter(|c| *c != 0x85)
            .chain([0xfeff, 0xfffe, 0xffff, 0x2028, 0x2029])
            .filter_map(char::from_u32);
        for c in refused {
            let source = SourceFile::new("x.yaml", format!("version: 1\nproject: a{c}b\n"));
            let d = forbidden_character(&source)
                .unwrap_or_else(|| panic!("U+{:04X} accepted", c as u32));
            assert!(
                d.message.contains(&format!("U+{:04X}", c as u32)),
                "{}",
                d.message
            );
            let at = d.location.expect("located");
            assert_eq!((at.line, at.column), (2, 11), "U+{:04X}", c as u32);
        }
        let lone_cr = SourceFile::new("x.yaml", "version: 1\r\nproject: a\rb\n");
        let d = forbidden_character(&lone_cr).expect("a lone CR is refused");
        assert_eq!(d.location.map(|l| (l.line, l.column)), Some((2, 11)));
        let fine = "\u{feff}version: 1\r\nproject: \"a\tb\u{85}\u{a0}é😀\u{10ffff}\"\r\n";
        assert!(forbidden_character(&SourceFile::new("x.yaml", fine)).is_none());
    }

    #[test]
    fn a_tag_without_a_value_is_refused_wherever_tags_are() {
        let spec = |tags: &str| {
            format!(
                "version: 1\ndefaults:\n  tags: {{d: x}}\naccounts:\n  - name: a\n    id: \"111111111111\"\n    regions: [us-east-1]\n    overrides:\n      - log_groups:\n          - name: /g\n            tags: {tags}\n"
            )
        };
        for null in [
            "{v: null}",
            "{v: ~}",
            "{v: }",
            "{v: NULL}",
            "{a: b, v: Null}",
        ] {
            let source = SourceFile::new("t.yaml", spec(null));
            let d = parse_spec(&source).expect_err(null);
            assert!(d.message.contains("tag `v` has no value"), "{null}: {d}");
            assert_eq!(d.location.map(|l| l.line), Some(11), "{null}: {d}");
            assert_eq!(
                d.field.as_deref(),
                Some("accounts[0].overrides[0].log_groups[0].tags.v")
            );
        }
        for quoted in ["{v: \"null\"}", "{v: ''}", "{v: \"~\"}"] {
            let source = SourceFile::new("t.yaml", spec(quoted));
            assert!(parse_spec(&source).is_ok(), "{quoted}");
        }
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
