//! Bounded work on large specs: large specs are checked whole and correctly (the time it takes
//! is measured by `scripts/bench.sh validate`, never asserted here), and a spec that would expand
//! to more resources than the documented limit is refused before anything is built.

use bedrock_warden::model;
use bedrock_warden::spec::{load_source, EnvMode, SourceFile};

const HEAD: &str = "version: 1\nproject: p\ndefaults:\n  regions: [us-east-1]\naccounts:\n  - name: a\n    id: \"123456789012\"\n";

/// Loads, checks and expands; returns the number of resources.
fn validate(text: String) -> usize {
    let loaded = load_source(SourceFile::new("big.yaml", text), EnvMode::Lenient)
        .unwrap_or_else(|e| panic!("refused: {:?}", &e.diagnostics[..1]));
    let desired = model::expand(&loaded).unwrap_or_else(|d| panic!("refused: {:?}", &d[..1]));
    desired.resources.len()
}

/// Issue 9: 2k/4k/8k log groups with one tag each took 3.3/13.5/59 s (release) to validate,
/// because each tag's position was found by rescanning the file (`scripts/bench.sh validate`
/// measures it now). Here: every group and tag of a large spec is seen, and a problem in its
/// last tag is located on its own line.
#[test]
fn eight_thousand_tagged_log_groups_are_all_checked_and_located() {
    let mut text = format!("{HEAD}log_groups:\n");
    for i in 0..8000 {
        text.push_str(&format!("  - name: /g/{i}\n    tags:\n      team: t{i}\n"));
    }
    assert_eq!(validate(text.clone()), 8000);
    let bad = text.replacen("team: t7999\n", "team: \"t😀\"\n", 1);
    let problems = load_source(SourceFile::new("big.yaml", bad), EnvMode::Lenient)
        .expect_err("an emoji tag value is refused")
        .diagnostics;
    let at = problems[0].location.expect("located");
    assert_eq!(at.line, 8 + 3 * 7999 + 3, "{}", problems[0]);
}

/// The same on a single line (flow style), where a per-value walk of the line was quadratic
/// too (52 s in a debug build).
#[test]
fn eight_thousand_tagged_log_groups_on_one_line_are_all_checked() {
    let items: Vec<String> = (0..8000)
        .map(|i| format!("{{name: /g/{i}, tags: {{team: t{i}}}}}"))
        .collect();
    let text = format!("{HEAD}log_groups: [{}]\n", items.join(", "));
    assert_eq!(validate(text), 8000);
}

/// A spec of `accounts` accounts in `regions` regions with `groups` baseline log groups, and
/// `extra` to append (e.g. overrides of the first account).
fn estate(accounts: usize, regions: usize, groups: usize, first_account_extra: &str) -> String {
    let all = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"];
    let mut text = format!(
        "version: 1\ndefaults:\n  regions: [{}]\naccounts:\n",
        all[..regions].join(", ")
    );
    for a in 0..accounts {
        text.push_str(&format!(
            "  - name: a{a}\n    id: \"{}\"\n",
            100_000_000_000u64 + a as u64
        ));
        if a == 0 {
            text.push_str(first_account_extra);
        }
    }
    text.push_str("log_groups:\n");
    for g in 0..groups {
        text.push_str(&format!("  - name: /g/{g}\n"));
    }
    text
}

/// Issue 9: a 37 KB spec (500 accounts × 4 regions × 1000 groups) aborted with `memory
/// allocation … failed` under a 2 GB limit. It is now refused before expansion, at once, with
/// the count and the limit, pointing at the accounts.
#[test]
fn a_spec_expanding_to_two_million_resources_is_refused_before_expansion() {
    let text = estate(500, 4, 1000, "");
    assert!(text.len() < 40_000, "{} bytes", text.len());
    let loaded = load_source(SourceFile::new("bomb.yaml", text), EnvMode::Lenient)
        .expect("the spec itself is valid");
    let problems = model::expand(&loaded).expect_err("must be refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
    let d = &problems[0];
    assert!(
        d.message.contains("2000000 resources") && d.message.contains("limit of 100000"),
        "{d}"
    );
    let at = d.location.expect("located");
    assert_eq!((at.line, at.column), (5, 3), "{d}");
}

/// The limit is exact, and overrides that skip or add groups are counted as expansion will.
#[test]
fn the_expansion_limit_is_exact_and_counts_overrides() {
    assert_eq!(model::MAX_RESOURCES, 100_000);
    assert_eq!(validate(estate(100, 1, 1000, "")), 100_000);
    // One group skipped and one added in the first account: still 100,000.
    let swap = "    overrides:\n      - log_groups:\n          - name: /g/0\n            skip: true\n          - name: /extra/1\n";
    assert_eq!(validate(estate(100, 1, 1000, swap)), 100_000);
    // One more added: 100,001 is over.
    let over = format!("{swap}          - name: /extra/2\n");
    let loaded = load_source(
        SourceFile::new("over.yaml", estate(100, 1, 1000, &over)),
        EnvMode::Lenient,
    )
    .expect("valid");
    assert_eq!(model::count_resources(&loaded.spec), 100_001);
    let problems = model::expand(&loaded).expect_err("over the limit");
    assert!(
        problems[0].message.contains("100001 resources"),
        "{problems:?}"
    );
}
