//! Reading the spec: from a file or standard input, within a size cap, as UTF-8 text without
//! the characters YAML does not allow.

use crate::source::{Diagnostic, Location, SourceFile};

/// Larger files are refused before parsing: a governance spec is a few kilobytes, and a huge
/// file is far more likely a mistake (or an attack) than a spec.
pub const MAX_SPEC_BYTES: usize = 4 * 1024 * 1024;

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
pub(super) fn too_large(file: &SourceFile, bytes: Option<u64>) -> Diagnostic {
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
pub(super) fn forbidden_character(source: &SourceFile) -> Option<Diagnostic> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
