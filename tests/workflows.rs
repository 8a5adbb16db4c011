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
