//! Bounded work on large specs: checking is linear in the size of the spec (it was quadratic
//! in the number of tags), and a spec that would expand to more resources than the documented
//! limit is refused before anything is built.

use std::time::{Duration, Instant};

use bedrock_warden::model;
use bedrock_warden::spec::{load_source, EnvMode, SourceFile};

const HEAD: &str = "version: 1\nproject: p\ndefaults:\n  regions: [us-east-1]\naccounts:\n  - name: a\n    id: \"123456789012\"\n";

/// Loads, checks and expands; returns the number of resources and how long it took.
fn validate(text: String) -> (usize, Duration) {
    let started = Instant::now();
    let loaded = load_source(SourceFile::new("big.yaml", text), EnvMode::Lenient)
        .unwrap_or_else(|e| panic!("refused: {:?}", &e.diagnostics[..1]));
    let desired = model::expand(&loaded).unwrap_or_else(|d| panic!("refused: {:?}", &d[..1]));
    (desired.resources.len(), started.elapsed())
}

/// Issue 9: 2k/4k/8k log groups with one tag each took 3.3/13.5/59 s (release) to validate,
/// because each tag's position was found by rescanning the file. 8k now takes about a second
/// in a debug build; the bound leaves room for a loaded machine and fails for the old code
/// (112 s in a debug build).
#[test]
fn validation_of_eight_thousand_tagged_log_groups_is_linear() {
    let mut text = format!("{HEAD}log_groups:\n");
    for i in 0..8000 {
        text.push_str(&format!("  - name: /g/{i}\n    tags:\n      team: t{i}\n"));
    }
    let (resources, took) = validate(text);
    assert_eq!(resources, 8000);
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// The same on a single line (flow style), where a per-value walk of the line was quadratic
/// too (52 s in a debug build).
#[test]
fn validation_of_eight_thousand_tagged_log_groups_on_one_line_is_linear() {
    let items: Vec<String> = (0..8000)
        .map(|i| format!("{{name: /g/{i}, tags: {{team: t{i}}}}}"))
        .collect();
    let text = format!("{HEAD}log_groups: [{}]\n", items.join(", "));
    let (resources, took) = validate(text);
    assert_eq!(resources, 8000);
    assert!(took < Duration::from_secs(30), "took {took:?}");
}
