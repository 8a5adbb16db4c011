//! Reads a spec file into typed values, turning every YAML or shape problem into a located diagnostic.
//!
//! One job per module: `read` (the file or standard input: size cap, UTF-8, characters YAML
//! does not allow), `prescan` (nesting depth, open brackets, extra documents, before the YAML
//! parser runs), `yaml_errors` (syntax errors in the spec's terms) and `shape_errors` (serde's
//! errors located in the YAML tree, with hints derived from the JSON Schema).

mod hints;
mod prescan;
mod read;
mod shape_errors;
mod yaml_errors;

use marked_yaml::{from_node, parse_yaml_with_options, LoaderOptions};

use super::types::Spec;
use crate::source::{Diagnostic, SourceFile};

pub use read::{read_source, shown_path, MAX_SPEC_BYTES, STDIN};

/// Deeper nesting is refused before parsing: a spec nests about ten levels, and the YAML
/// parser recurses (and can overflow its stack) on pathologically deep input.
pub const MAX_NESTING: usize = 64;

/// Parses YAML text into a [`Spec`]; only the shape is checked here, the meaning in `check`.
#[allow(clippy::result_large_err)] // one diagnostic, once per run
pub fn parse_spec(source: &SourceFile) -> Result<Spec, Diagnostic> {
    let text = source.text.as_str();
    if text.len() > MAX_SPEC_BYTES {
        return Err(read::too_large(source, Some(text.len() as u64)));
    }
    if let Some(d) = read::forbidden_character(source) {
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
    let structure = prescan::scan(text, usize::MAX);
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
    let mut node = parse_yaml_with_options(0, yaml, options)
        .map_err(|e| yaml_errors::load_error(source, e))?;
    shape_errors::point_empty_values_at_keys(&mut node);
    if let Some(d) = shape_errors::null_tag_value(source, &node, "") {
        return Err(d);
    }
    if let Some(d) = shape_errors::list_where_mapping_belongs(source, &node) {
        return Err(d);
    }
    from_node::<Spec>(&node).map_err(|e| {
        let path = e.path().map(str::to_string);
        shape_errors::shape_error(source, &node, path, e.into_inner())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn misplaced_fields_in_invocation_logging_and_data_protection_get_a_hint() {
        let spec = |body: &str| {
            format!("version: 1\naccounts:\n  - name: a\n    id: \"111111111111\"\n    regions: [us-east-1]\n{body}")
        };
        let cases = [
            (
                "invocation_logging:\n  retention_days: 30\n",
                "`retention_days` goes in a log group (an item of `log_groups:`)",
            ),
            (
                "account_data_protection:\n  identifiers: [EmailAddress]\n  large_data: x\n",
                "`large_data` goes under `cloudwatch:`",
            ),
        ];
        for (body, hint) in cases {
            let d = parse_spec(&SourceFile::new("t.yaml", spec(body))).expect_err(body);
            let help = d.help.clone().unwrap_or_default();
            assert!(help.contains(hint), "{body}: {help}");
        }
    }
}
