//! The bad-input corpus: every file in `tests/data/bad-specs/` has exactly one problem, and
//! `warden validate` must reject it with exit code 1 and a located, readable error (never a
//! panic). The rendered stderr of each file is an insta snapshot in `tests/snapshots/`. `plan`,
//! `drift` and `apply` give the same error without opening a connection.
//!
//! After changing a message: `INSTA_UPDATE=always cargo test --test bad_specs`, then read the
//! changed `tests/snapshots/bad_specs__*.snap` files as a user would.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CORPUS: &str = "tests/data/bad-specs";

/// Files whose problem has no line to point at (the position is the file itself).
const NO_POSITION: &[&str] = &["empty-file.yaml", "only-comments.yaml", "not-utf8.yaml"];

/// Runs the built binary from the crate root, with a clean environment.
fn warden(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run warden")
}

fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry"))
        .filter(|entry| entry.path().is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// Whether `text` contains `path:LINE:COLUMN`.
fn has_position(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(i, _)| {
        let rest = &text[i + path.len()..];
        let mut parts = rest.splitn(3, ':');
        let _ = parts.next();
        let line = parts.next().unwrap_or("");
        let column: String = parts
            .next()
            .unwrap_or("")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        rest.starts_with(':')
            && !line.is_empty()
            && line.chars().all(|c| c.is_ascii_digit())
            && !column.is_empty()
    })
}

/// What is wrong with warden's answer to one bad spec (empty when it is right).
fn misbehaviour(file: &str, rel: &str, out: &Output) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(1) {
        problems.push(format!("exit code {:?}, expected 1", out.status.code()));
    }
    if stdout.contains("valid:") || stdout.contains("is valid") {
        problems.push(format!("stdout says the spec is valid: {stdout}"));
    }
    if stderr.trim().is_empty() {
        problems.push("stderr is empty".into());
    }
    for crash in [
        "panicked",
        "RUST_BACKTRACE",
        "overflowed its stack",
        "fatal runtime error",
    ] {
        if stderr.contains(crash) {
            problems.push(format!("stderr shows a crash ({crash})"));
        }
    }
    if !stderr.contains(rel) {
        problems.push(format!("stderr does not mention {rel}"));
    }
    if !NO_POSITION.contains(&file) && !has_position(&stderr, rel) {
        problems.push(format!("stderr has no {rel}:LINE:COLUMN position"));
    }
    problems
}

#[test]
fn every_bad_spec_is_rejected_with_a_located_error() {
    let files = corpus();
    assert!(
        files.len() >= 30,
        "expected at least 30 bad specs in {CORPUS}, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let rel = format!("{CORPUS}/{file}");
        let out = warden(&["validate", "-f", &rel]);
        let mut problems = misbehaviour(file, &rel, &out);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let name = file.strip_suffix(".yaml").unwrap_or(file);
        let snapshot = catch_unwind(AssertUnwindSafe(|| {
            insta::assert_snapshot!(name, stderr);
        }));
        if snapshot.is_err() {
            problems.push(format!(
                "stderr differs from tests/snapshots/bad_specs__{name}.snap (diff above)"
            ));
        }
        if !problems.is_empty() {
            failures.push(format!("{rel}:\n    - {}", problems.join("\n    - ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad specs are not handled as expected:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn a_bad_spec_never_reaches_aws() {
    // A listener stands in for AWS: any connection to it means a bad spec reached the network.
    let aws = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    aws.set_nonblocking(true).expect("nonblocking");
    let endpoint = format!("http://{}", aws.local_addr().expect("address"));
    let mut failures = Vec::new();
    for file in corpus() {
        let rel = format!("{CORPUS}/{file}");
        let offline = warden(&["validate", "-f", &rel]);
        for command in [
            vec!["plan", "-f", &rel],
            vec!["drift", "-f", &rel],
            vec!["apply", "-f", &rel, "--auto-approve"],
        ] {
            let out = Command::new(env!("CARGO_BIN_EXE_warden"))
                .args(&command)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env_clear()
                .env("NO_COLOR", "1")
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .stdin(Stdio::null())
                .output()
                .expect("run warden");
            if out.status.code() != Some(1) || out.stderr != offline.stderr {
                failures.push(format!(
                    "{rel}: `warden {}` exit {:?}, stderr differs from validate's:\n{}",
                    command[0],
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    match aws.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("a bad spec reached the network: {other:?}"),
    }
}

#[test]
fn errors_are_plain_when_piped_and_colored_when_asked() {
    let rel = format!("{CORPUS}/retention-1825.yaml");
    let piped = warden(&["validate", "-f", &rel]);
    assert!(!String::from_utf8_lossy(&piped.stderr).contains('\u{1b}'));
    // `--color always` wins over NO_COLOR (which the helper sets), as for the plan output.
    let asked = warden(&["validate", "-f", &rel, "--color", "always"]);
    let stderr = String::from_utf8_lossy(&asked.stderr);
    assert_eq!(asked.status.code(), Some(1));
    assert!(stderr.contains("\u{1b}["), "{stderr}");
    assert!(stderr.contains("retention-1825.yaml:17:21"), "{stderr}");
}

#[test]
fn every_bad_spec_says_what_is_wrong_in_its_first_line() {
    let mut failures = Vec::new();
    for file in corpus() {
        if file == "empty-file.yaml" || file == "not-utf8.yaml" {
            continue;
        }
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(CORPUS)
                .join(&file),
        )
        .unwrap_or_default();
        if !text.starts_with("# ") {
            failures.push(file);
        }
    }
    assert!(
        failures.is_empty(),
        "these bad specs do not start with a `# what is wrong` comment: {failures:?}"
    );
}

#[test]
fn a_ten_megabyte_spec_is_refused_with_a_size_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.yaml");
    let mut text = String::from(
        "version: 1\naccounts:\n  - name: prod\n    id: \"111111111111\"\n    regions: [us-east-1]\n",
    );
    let filler = "# padding that makes this spec far larger than any real one would be\n";
    text.reserve(10 * 1024 * 1024);
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(filler);
    }
    std::fs::write(&path, &text).expect("write huge spec");
    let shown = path.to_string_lossy().into_owned();

    let started = Instant::now();
    let out = warden(&["validate", "-f", &shown]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("valid"));
    assert!(stderr.contains(&shown), "stderr: {stderr}");
    assert!(
        stderr.contains("10.0 MiB") && stderr.contains("limit of 4 MiB"),
        "no clear size error: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[test]
fn cloudwatch_only_logging_is_valid_with_a_warning_about_large_bodies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cloudwatch-only.yaml");
    std::fs::write(
        &path,
        "version: 1\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1]\nlog_groups:\n  - name: /aws/bedrock/invocations\n    retention_days: 1827\ninvocation_logging:\n  cloudwatch:\n    log_group: /aws/bedrock/invocations\n    role: {}\n",
    )
    .expect("write spec");
    let shown = path.to_string_lossy().into_owned();
    let out = warden(&["validate", "-f", &shown]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("is valid"));
    assert!(
        stderr.contains("invocation_logging.cloudwatch.large_data")
            && stderr.contains("over ~100 KB")
            && stderr.contains("will be lost")
            && stderr.contains(&format!("{shown}:11:16")),
        "no located warning: {stderr}"
    );
}

#[test]
fn a_valid_four_kilobyte_spec_passes() {
    let mut text = String::from(
        "# A realistic spec of exactly 4 KiB: the harness must be able to pass.\n\
         version: 1\nproject: payments\n\ndefaults:\n  regions: [us-east-1, eu-west-1]\n  tags:\n    owner: platform-team\n\naccounts:\n",
    );
    for i in 1..=12 {
        text.push_str(&format!(
            "  - name: team-{i:02}\n    id: \"{:012}\"\n    role_arn: arn:aws:iam::{:012}:role/warden\n",
            100_000_000_000u64 + i,
            100_000_000_000u64 + i
        ));
        if i % 3 == 0 {
            text.push_str("    overrides:\n      - regions: [eu-west-1]\n        log_groups:\n          - name: /aws/bedrock/invocations\n            retention_days: 3653\n");
        }
    }
    text.push_str("\nlog_groups:\n");
    for (name, days) in [
        ("/aws/bedrock/invocations", 1827),
        ("/bedrock-warden/audit", 365),
        ("/bedrock-warden/{account_name}/gateway", 90),
    ] {
        text.push_str(&format!(
            "  - name: {name}\n    retention_days: {days}\n    tags:\n      data-class: internal\n"
        ));
    }
    assert!(text.len() < 4096, "the base spec is {} bytes", text.len());
    // Pad with one comment line to exactly 4 KiB.
    match 4096 - text.len() {
        1 => text.push('\n'),
        n => text.push_str(&format!("#{}\n", "-".repeat(n - 2))),
    }
    assert_eq!(text.len(), 4096);

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("four-kilobytes.yaml");
    std::fs::write(&path, &text).expect("write spec");
    let out = warden(&["validate", "-f", &path.to_string_lossy()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {stderr}\nspec:\n{text}"
    );
    assert!(stdout.contains("is valid"), "stdout: {stdout}");
    assert!(stderr.trim().is_empty(), "unexpected warnings: {stderr}");
}

#[test]
fn json_output_carries_file_position_field_and_message() {
    let cases = [
        (
            "retention-1825.yaml",
            17,
            21,
            "log_groups[0].retention_days",
        ),
        (
            "unknown-field-typo.yaml",
            14,
            5,
            "log_groups[0].retension_days",
        ),
        ("missing-account-id.yaml", 11, 5, "accounts[1]"),
        (
            "role-arn-other-account.yaml",
            14,
            15,
            "accounts[1].role_arn",
        ),
    ];
    for (file, line, column, field) in cases {
        let rel = format!("{CORPUS}/{file}");
        let out = warden(&["validate", "--format", "json", "-f", &rel]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{file}: stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        assert_eq!(report["valid"], false, "{file}: {report:#}");
        let diagnostics = report["diagnostics"].as_array().expect("diagnostics array");
        assert_eq!(diagnostics.len(), 1, "{file}: {report:#}");
        let d = &diagnostics[0];
        assert_eq!(d["severity"], "error", "{file}: {d:#}");
        assert_eq!(d["file"], rel.as_str(), "{file}: {d:#}");
        assert_eq!(d["location"]["line"], line, "{file}: {d:#}");
        assert_eq!(d["location"]["column"], column, "{file}: {d:#}");
        assert_eq!(d["field"], field, "{file}: {d:#}");
        assert!(
            d["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{file}: {d:#}"
        );
        assert!(
            d["help"].as_str().is_some_and(|h| !h.is_empty()),
            "{file}: {d:#}"
        );
    }
}

/// Runs warden with `input` on standard input.
fn warden_with_stdin(args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run warden");
    let mut stdin = child.stdin.take().expect("stdin");
    // warden may stop reading early (a size limit, a refusal): a broken pipe is fine.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().expect("wait for warden")
}

/// Issue 9: `-f -` was read as a file named `-`. It reads standard input, with the same size
/// limit, and diagnostics name it `<stdin>`.
#[test]
fn a_spec_can_be_read_from_stdin_with_the_same_checks() {
    let spec =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.yaml"))
            .expect("read example");
    let out = warden_with_stdin(&["validate", "-f", "-"], &spec, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("<stdin> is valid"), "{stdout}");

    let nul = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(CORPUS)
            .join("nul-byte-truncates-spec.yaml"),
    )
    .expect("read bad spec");
    let out = warden_with_stdin(&["validate", "-f", "-"], &nul, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("<stdin>:12:5") && stderr.contains("U+0000"),
        "{stderr}"
    );

    let huge = vec![b'#'; 5 * 1024 * 1024];
    let out = warden_with_stdin(&["validate", "-f", "-"], &huge, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("<stdin>") && stderr.contains("limit of 4 MiB"),
        "{stderr}"
    );
}

/// `apply -f -` cannot ask for confirmation on the standard input the spec came from: it is
/// refused before anything is read or sent, unless --auto-approve is given.
#[test]
fn apply_from_stdin_without_auto_approve_is_refused_before_any_call() {
    let aws = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    aws.set_nonblocking(true).expect("nonblocking");
    let endpoint = format!("http://{}", aws.local_addr().expect("address"));
    let spec =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.yaml"))
            .expect("read example");
    let out = warden_with_stdin(
        &["apply", "-f", "-"],
        &spec,
        &[
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("cannot also ask for confirmation") && stderr.contains("--auto-approve"),
        "{stderr}"
    );
    match aws.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("apply -f - reached the network: {other:?}"),
    }
}
