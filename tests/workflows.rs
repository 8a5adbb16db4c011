//! The three daily workflows end to end through the binary: laptop bootstrap (default spec
//! path, `init`, `destroy`), CI (`--format sarif`, the example workflow files) and permissions.

mod common;

use common::LocalCloud;

/// The smallest spec that talks to the local cloud's default account.
const SMALL_SPEC: &str = "version: 1
project: wf
defaults: {regions: [us-east-1]}
accounts:
  - {name: sandbox, id: \"123456789012\"}
log_groups:
  - {name: /wf/one, retention_days: 30}
";

#[test]
fn default_spec_path_is_warden_yaml_in_the_working_directory() {
    let cloud = LocalCloud::start();
    let dir = cloud.workdir.path();
    // Missing: the error names the path looked for and -f.
    for command in [
        &["validate"][..],
        &["plan"],
        &["drift"],
        &["apply", "--auto-approve"],
    ] {
        let run = cloud.warden_in(dir, command).expect_code(1);
        assert!(
            run.stderr
                .contains(&format!("{}", dir.join("warden.yaml").display()))
                && run.stderr.contains("-f SPEC")
                && run.stderr.contains("warden init"),
            "{command:?}: {}",
            run.stderr
        );
    }
    cloud.write("warden.yaml", SMALL_SPEC);
    let run = cloud.warden_in(dir, &["validate"]).expect_code(0);
    assert!(
        run.stdout.starts_with("warden.yaml is valid"),
        "{}",
        run.stdout
    );
    let run = cloud
        .warden_in(dir, &["plan", "--detailed-exitcode"])
        .expect_code(2);
    assert!(run.stdout.contains("/wf/one"), "{}", run.stdout);
    cloud
        .warden_in(dir, &["apply", "--auto-approve"])
        .expect_code(0);
    cloud.warden_in(dir, &["drift"]).expect_code(0);
    // -f still wins over the default.
    let other = cloud.write("other.yaml", &SMALL_SPEC.replace("/wf/one", "/wf/two"));
    let run = cloud
        .warden_in(dir, &["plan", "-f", common::path_str(&other)])
        .expect_code(0);
    assert!(run.stdout.contains("/wf/two"), "{}", run.stdout);
}

#[test]
fn init_writes_a_starter_spec_that_plans_applies_and_replans_empty() {
    let cloud = LocalCloud::start();
    let dir = cloud.workdir.path();
    let run = cloud
        .warden_in(dir, &["init", "--non-interactive", "--project", "laptop"])
        .expect_code(0);
    assert!(
        run.stdout
            .contains("Wrote warden.yaml for account 123456789012 (us-east-1)"),
        "{}",
        run.stdout
    );
    let written = std::fs::read_to_string(dir.join("warden.yaml")).expect("warden.yaml");
    assert!(written.contains("id: \"123456789012\"") && written.contains("regions: [us-east-1]"));
    assert!(written.contains("project: laptop"));
    // Unchanged, it validates and plans (every section creates something), applies, re-plans empty.
    cloud.warden_in(dir, &["validate"]).expect_code(0);
    let plan = cloud
        .warden_in(dir, &["plan", "--detailed-exitcode", "--format", "json"])
        .expect_code(2)
        .json();
    let kinds: std::collections::BTreeSet<String> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            c["address"]
                .as_str()
                .unwrap()
                .split('/')
                .nth(2)
                .unwrap()
                .to_string()
        })
        .collect();
    for kind in [
        "log_group",
        "iam_role",
        "s3_bucket",
        "invocation_logging",
        "cloudtrail_trail",
    ] {
        assert!(kinds.contains(kind), "no {kind} in the plan: {kinds:?}");
    }
    cloud
        .warden_in(dir, &["apply", "--auto-approve"])
        .expect_code(0);
    cloud
        .warden_in(dir, &["plan", "--detailed-exitcode"])
        .expect_code(0);

    // Never overwrites without --force.
    let run = cloud
        .warden_in(dir, &["init", "--non-interactive", "--project", "other"])
        .expect_code(1);
    assert!(
        run.stderr.contains("exists already") && run.stderr.contains("--force"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("warden.yaml")).unwrap(),
        written
    );
    // Not on a terminal and not --non-interactive: it refuses to ask.
    let run = cloud
        .warden_in(dir, &["init", "--out", "x.yaml"])
        .expect_code(1);
    assert!(run.stderr.contains("--non-interactive"), "{}", run.stderr);
    assert!(!dir.join("x.yaml").exists());
    // A bad answer is reported by the spec's own checks, and nothing is written.
    let run = cloud
        .warden_in(
            dir,
            &[
                "init",
                "--non-interactive",
                "--out",
                "x.yaml",
                "--region",
                "us-moon-1",
            ],
        )
        .expect_code(1);
    assert!(run.stderr.contains("us-moon-1"), "{}", run.stderr);
    assert!(!dir.join("x.yaml").exists());

    // On a terminal it asks; the answers go into the file.
    let asked = dir.join("asked.yaml");
    let run = cloud.warden_on_terminal_typing(
        &["init", "--out", common::path_str(&asked)],
        &[],
        "team-x\ndev\neu-west-1, us-east-1\n",
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let text = std::fs::read_to_string(&asked).expect("asked.yaml");
    assert!(
        text.contains("project: team-x")
            && text.contains("- name: dev")
            && text.contains("regions: [eu-west-1, us-east-1]"),
        "{text}"
    );
}
