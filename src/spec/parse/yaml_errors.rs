//! YAML syntax errors (and anchors, tags, duplicate keys) said in the spec's terms, pointing at
//! the token that causes them.

use marked_yaml::{LoadError, Span};

use super::prescan::{scan, OpenBracket};
use crate::source::{Diagnostic, SourceFile};

pub(super) fn load_error(source: &SourceFile, error: LoadError) -> Diagnostic {
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
