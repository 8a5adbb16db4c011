//! Reads a spec file into typed values, turning every YAML or shape problem into a located diagnostic.

use marked_yaml::{
    from_node, parse_yaml_with_options, Error as NodeError, LoadError, LoaderOptions,
};

use super::diagnostic::Diagnostic;
use super::source::SourceFile;
use super::suggest::did_you_mean;
use super::types::Spec;

/// Larger files are refused before parsing: a governance spec is a few kilobytes, and a huge
/// file is far more likely a mistake (or an attack) than a spec.
pub const MAX_SPEC_BYTES: usize = 4 * 1024 * 1024;

/// Reads a spec from disk; IO problems are diagnostics too, so that callers report one way.
pub fn read_source(path: &str) -> Result<SourceFile, Diagnostic> {
    let empty = SourceFile::new(path, "");
    let metadata = std::fs::metadata(path).map_err(|e| {
        Diagnostic::error(&empty, None, format!("cannot read the spec file: {e}"))
            .help("pass the path of a spec file with -f, e.g. `-f examples/quickstart.yaml`")
    })?;
    if metadata.len() > MAX_SPEC_BYTES as u64 {
        return Err(Diagnostic::error(
            &empty,
            None,
            format!(
                "the spec file is {:.1} MiB; specs are limited to {} MiB",
                metadata.len() as f64 / (1024.0 * 1024.0),
                MAX_SPEC_BYTES / (1024 * 1024)
            ),
        )
        .help("check that -f points at the spec and not at a log or data file"));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::error(&empty, None, format!("cannot read the spec file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Diagnostic::error(
            &empty,
            None,
            format!(
                "the spec file is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
        .help("save the file as UTF-8")
    })?;
    Ok(SourceFile::new(path, text))
}

/// Parses YAML text into a [`Spec`]; only the shape is checked here, the meaning in `check`.
pub fn parse_spec(source: &SourceFile) -> Result<Spec, Diagnostic> {
    let text = source.text.as_str();
    if text.len() > MAX_SPEC_BYTES {
        return Err(Diagnostic::error(
            source,
            None,
            "the spec is larger than 4 MiB",
        ));
    }
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---")
    {
        return Err(Diagnostic::error(source, None, "the spec file is empty").help(
            "start from `examples/quickstart.yaml`; a spec needs at least `version: 1` and `accounts:`",
        ));
    }
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let node = parse_yaml_with_options(0, text, options).map_err(|e| load_error(source, e))?;
    from_node::<Spec>(&node).map_err(|e| {
        let path = e.path().map(str::to_string);
        shape_error(source, path, e.into_inner())
    })
}

fn load_error(source: &SourceFile, error: LoadError) -> Diagnostic {
    use marked_yaml::Span;
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
        LoadError::UnexpectedAnchor(m) => Diagnostic::error(
            source,
            Some(&at(&m)),
            "YAML anchors and aliases (`&name`, `*name`) are not supported in specs",
        )
        .help(
            "write the values out; to share settings, put them in the top-level baseline \
             (e.g. `log_groups:`) and change them per account with `overrides:`",
        ),
        LoadError::MappingKeyMustBeScalar(m) => {
            Diagnostic::error(source, Some(&at(&m)), "mapping keys must be plain strings")
                .help("write keys as `name: value`")
        }
        LoadError::UnexpectedTag(m) => Diagnostic::error(
            source,
            Some(&at(&m)),
            "YAML tags (`!tag`) are not supported in specs",
        )
        .help("remove the tag; use `${env:NAME}` to take a value from the environment"),
        LoadError::ScanError(m, e) => Diagnostic::error(
            source,
            Some(&at(&m)),
            format!("YAML syntax error: {}", e.info()),
        )
        .help("check indentation, colons and quotes on this line and the one above"),
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

fn shape_error(source: &SourceFile, path: Option<String>, error: NodeError) -> Diagnostic {
    let span = error.start_mark().map(marked_yaml::Span::new_start);
    let diagnostic = match &error {
        NodeError::UnknownFieldError(field, expected, _) => {
            let mut d =
                Diagnostic::error(source, span.as_ref(), format!("unknown field `{field}`"))
                    .label("not a field here");
            let allowed = expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>();
            d = match did_you_mean(field, expected.iter().copied()) {
                Some(best) => d.help(format!(
                    "did you mean `{best}`? Fields allowed here: {}",
                    allowed.join(", ")
                )),
                None => d.help(format!("fields allowed here: {}", allowed.join(", "))),
            };
            d
        }
        NodeError::IntegerParseFailure(e, _) => Diagnostic::error(
            source,
            span.as_ref(),
            format!("expected a whole number ({e})"),
        ),
        NodeError::FloatParseFailure(e, _) => {
            Diagnostic::error(source, span.as_ref(), format!("expected a number ({e})"))
        }
        NodeError::NotBoolean(_) => {
            Diagnostic::error(source, span.as_ref(), "expected `true` or `false`")
        }
        NodeError::Other(message, _) => {
            Diagnostic::error(source, span.as_ref(), humanize(message)).help(type_help(message))
        }
    };
    match path.filter(|p| !p.is_empty() && p != ".") {
        Some(p) => diagnostic.field(p),
        None => diagnostic,
    }
}

/// serde's messages name Rust types (`u32`, `a sequence`); say it in the spec's terms.
fn humanize(message: &str) -> String {
    message
        .replace("u32", "a whole number")
        .replace("a sequence", "a list")
        .replace("struct ", "")
        .replace("invalid type: ", "wrong type: found ")
}

fn type_help(message: &str) -> String {
    if message.starts_with("missing field") {
        "add the field; `warden schema` prints every field with its description".into()
    } else if message.contains("expected a list") || message.contains("sequence") {
        "write a list, one `- item` per line".into()
    } else if message.contains("map") {
        "write a mapping of `key: value` lines, indented under this key".into()
    } else {
        "see `warden schema` for the expected shape".into()
    }
}
