//! Property test of the spec pipeline against damaged input: a valid spec with characters
//! inserted, replaced or deleted (control characters, odd Unicode, YAML indicators) must either
//! be refused or still contain every account and log group written on a line the damage did
//! not touch. A parser that stops early (a NUL once ended the file) would silently shrink the
//! spec, and `apply --prune` would then delete what vanished.
//!
//! Deterministic (fixed seed and case count, a few seconds); a failure prints the damaged text.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use bedrock_warden::model::{self, Kind};
use bedrock_warden::spec::{load_source, EnvMode, SourceFile};

const CASES: usize = 4000;
const SEED: u64 = 9;

/// A valid spec, and the account and log-group items it declares with their 0-based lines.
struct Base {
    text: String,
    accounts: Vec<(usize, String)>,
    groups: Vec<(usize, String)>,
}

fn base() -> Base {
    let mut lines: Vec<String> = [
        "# governance for the payments team",
        "version: 1",
        "project: payments",
        "defaults:",
        "  regions: [us-east-1, eu-west-1]",
        "  tags:",
        "    team: \"platform\"",
        "accounts:",
    ]
    .iter()
    .map(|l| l.to_string())
    .collect();
    let mut accounts = Vec::new();
    for (i, name) in ["prod", "staging", "dev"].iter().enumerate() {
        accounts.push((lines.len(), name.to_string()));
        lines.push(format!("  - name: {name}"));
        match i {
            0 => lines.push("    id: \"111111111111\"".into()),
            1 => {
                lines.push("    id: '222222222222'".into());
                lines.push("    regions: [us-east-1]".into());
            }
            _ => {
                lines.push("    id: \"333333333333\"".into());
                lines.push("    tags: {env: dev}".into());
            }
        }
    }
    lines.push("log_groups:".into());
    let mut groups = Vec::new();
    for i in 0..8 {
        let name = format!("/bedrock/g{i}");
        groups.push((lines.len(), name.clone()));
        match i % 4 {
            0 => lines.push(format!("  - name: {name}")),
            1 => {
                lines.push(format!("  - name: \"{name}\""));
                lines.push("    retention_days: 30".into());
            }
            2 => {
                lines.push(format!("  - name: {name}  # kept a year"));
                lines.push("    retention_days: 365".into());
                lines.push("    tags:".into());
                lines.push("      data-class: internal".into());
            }
            _ => {
                lines.push(format!("  - name: '{name}'"));
                lines.push("    tags: {owner: ops}".into());
            }
        }
        if i == 4 {
            lines.push("# a comment between items".into());
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    Base {
        text,
        accounts,
        groups,
    }
}

/// Characters the damage is made of: every C0 control, DEL, every C1 control, invisible and
/// separator characters, noncharacters, YAML indicators and ordinary text.
fn alphabet() -> Vec<String> {
    let mut chars: Vec<char> = (0u32..0x20)
        .chain(0x7f..0xa0)
        .filter_map(char::from_u32)
        .collect();
    chars.extend([
        '\u{a0}',
        '\u{2028}',
        '\u{2029}',
        '\u{feff}',
        '\u{fffe}',
        '\u{ffff}',
        '\u{200b}',
        '\u{202e}',
        '\u{fffd}',
        '\u{1f600}',
        '\u{10ffff}',
        'é',
    ]);
    chars.extend("#\"'|>-:&*!%@`[]{},? \\azZ09./".chars());
    let mut all: Vec<String> = chars.into_iter().map(String::from).collect();
    all.extend(
        [
            "---",
            "...",
            "\r\n",
            "\n  ",
            ": ",
            " #",
            "\0\0",
            "- name: /x",
        ]
        .map(String::from),
    );
    all
}

enum Op {
    Insert(String),
    Replace(String),
    Delete,
}

/// 0-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count()
}

/// Applies 1-3 random edits; returns the damaged text and the original lines it touched.
fn mutate(text: &str, rng: &mut fastrand::Rng, alphabet: &[String]) -> (String, BTreeSet<usize>) {
    let boundaries: Vec<usize> = (0..=text.len())
        .filter(|i| text.is_char_boundary(*i))
        .collect();
    let mut edits: Vec<(usize, Op)> = (0..rng.usize(1..=3))
        .map(|_| {
            let at = boundaries[rng.usize(..boundaries.len())];
            let piece = alphabet[rng.usize(..alphabet.len())].clone();
            let op = match (rng.u8(..3), at == text.len()) {
                (0, _) | (_, true) => Op::Insert(piece),
                (1, _) => Op::Replace(piece),
                _ => Op::Delete,
            };
            (at, op)
        })
        .collect();
    // Later offsets first, so that earlier ones stay valid; one edit per offset.
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    edits.dedup_by_key(|e| e.0);
    let mut out = text.to_string();
    let mut touched = BTreeSet::new();
    for (at, op) in edits {
        let line = line_of(text, at);
        touched.insert(line);
        let old_len = text[at..].chars().next().map_or(0, char::len_utf8);
        let removes_break = text[at..].starts_with('\n');
        match op {
            Op::Insert(piece) => out.insert_str(at, &piece),
            Op::Replace(piece) => {
                out.replace_range(at..at + old_len, &piece);
                if removes_break {
                    touched.insert(line + 1);
                }
            }
            Op::Delete => {
                out.replace_range(at..at + old_len, "");
                if removes_break {
                    touched.insert(line + 1);
                }
            }
        }
    }
    (out, touched)
}

/// What is wrong with the pipeline's answer for one damaged spec (None when it is right).
fn verdict(base: &Base, text: &str, touched: &BTreeSet<usize>) -> Option<String> {
    let source = SourceFile::new("damaged.yaml", text);
    let loaded = match load_source(source, EnvMode::Lenient) {
        Ok(loaded) => loaded,
        Err(errors) => {
            // Refused: fine, if the refusal says where (an empty or comment-only file has no
            // position to give).
            let unlocated = errors
                .diagnostics
                .iter()
                .find(|d| d.is_error() && d.location.is_none());
            return unlocated
                .filter(|d| !d.message.contains("empty") && !d.message.contains("only comments"))
                .map(|d| format!("refused without a position: {d}"));
        }
    };
    let desired = match model::expand(&loaded) {
        Ok(desired) => desired,
        Err(_) => return None,
    };
    let accounts: BTreeSet<&str> = desired.accounts.iter().map(|a| a.name.as_str()).collect();
    let groups: BTreeSet<&str> = desired
        .resources
        .iter()
        .filter(|r| r.addr.kind == Kind::LogGroup)
        .map(|r| r.addr.name.as_str())
        .collect();
    let missing: Vec<&str> = base
        .accounts
        .iter()
        .filter(|(line, name)| !touched.contains(line) && !accounts.contains(name.as_str()))
        .chain(
            base.groups
                .iter()
                .filter(|(line, name)| !touched.contains(line) && !groups.contains(name.as_str())),
        )
        .map(|(_, name)| name.as_str())
        .collect();
    (!missing.is_empty()).then(|| {
        format!("accepted, but lost {missing:?} (accounts {accounts:?}, log groups {groups:?})")
    })
}

#[test]
fn damaged_specs_are_refused_or_keep_every_untouched_item() {
    let base = base();
    // The undamaged spec keeps everything.
    assert_eq!(verdict(&base, &base.text, &BTreeSet::new()), None);
    let loaded = load_source(
        SourceFile::new("base.yaml", base.text.as_str()),
        EnvMode::Lenient,
    )
    .unwrap_or_else(|e| panic!("the base spec is invalid: {:?}", e.diagnostics));
    assert_eq!(
        model::expand(&loaded)
            .expect("base expands")
            .resources
            .len(),
        // prod and dev in two regions, staging in one: five scopes of eight groups.
        5 * 8
    );

    let alphabet = alphabet();
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut failures = Vec::new();
    let (mut refused, mut accepted) = (0, 0);
    for case in 0..CASES {
        let (text, touched) = mutate(&base.text, &mut rng, &alphabet);
        let outcome = catch_unwind(AssertUnwindSafe(|| verdict(&base, &text, &touched)));
        let problem = match outcome {
            Ok(problem) => problem,
            Err(_) => Some("panicked".to_string()),
        };
        match &problem {
            Some(p) if failures.len() < 10 => failures.push(format!(
                "case {case}: {p}\n  touched lines {touched:?}\n  text: {text:?}"
            )),
            _ => {}
        }
        let ok = load_source(SourceFile::new("d.yaml", text.as_str()), EnvMode::Lenient).is_ok();
        if ok {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} damaged specs mishandled:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The damage is varied enough to exercise both outcomes.
    assert!(
        accepted > CASES / 20 && refused > CASES / 20,
        "accepted {accepted}, refused {refused}"
    );
}

#[test]
fn the_nul_byte_reproduction_is_refused_at_its_position() {
    // Issue 9's reproduction: a NUL in a comment ended the document there, so `/c` and `/d`
    // vanished from a spec that was reported valid.
    let text = "version: 1\nproject: p\ndefaults:\n  regions: [us-east-1]\naccounts:\n  - name: a\n    id: \"123456789012\"\nlog_groups:\n  - name: /a\n  - name: /b\n# x \0\n  - name: /c\n  - name: /d\n";
    let errors = load_source(SourceFile::new("nul.yaml", text), EnvMode::Lenient)
        .expect_err("a spec with a NUL must be refused");
    let d = &errors.diagnostics[0];
    assert!(d.message.contains("U+0000"), "{d}");
    let at = d.location.expect("located");
    assert_eq!((at.line, at.column), (11, 5));
}
