//! `apply PLAN` trusts no file: a saved plan carries its spec, is planned again against live
//! state and carried out only if it is that plan; ownership is re-read before every delete and
//! adopt; plan files are size-capped; no resolved secret is saved (issue 9, item 2).

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{api_operation, group_state, path_str, LocalCloud, DIRECT_ACCOUNT};
use serde_json::{json, Value};

const SPEC: &str = r#"
version: 1
project: governance
accounts:
  - name: ops
    id: "123456789012"
    regions: [us-east-1]
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 1827
"#;

const INVOCATIONS: &str = "ops/us-east-1/log_group//aws/bedrock/invocations";

async fn create_group(logs: &aws_sdk_cloudwatchlogs::Client, name: &str, owner: Option<&str>) {
    let mut call = logs.create_log_group().log_group_name(name);
    if let Some(owner) = owner {
        call = call.tags("warden:managed-by", owner);
    }
    call.send().await.expect("create log group");
}

/// Every tampering of the issue, each applied to a fresh copy of the same saved plan: refused
/// (exit 1) with a message naming what differs, and AWS keeps what it held.
#[tokio::test(flavor = "multi_thread")]
async fn a_hand_edited_saved_plan_is_refused_and_changes_nothing() {
    let cloud = LocalCloud::start();
    let logs = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    create_group(&logs, "/legacy/untagged", None).await;
    create_group(&logs, "/other/app", Some("other-project")).await;
    let spec = cloud.write("spec.yaml", SPEC);
    let plan_path = cloud.workdir.path().join("plan.json");
    cloud
        .warden(&["plan", "-f", path_str(&spec), "--out", path_str(&plan_path)])
        .expect_code(0);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    assert_eq!(saved["format_version"], 1);
    assert_eq!(saved["spec_text"].as_str(), Some(SPEC));
    let create = saved["changes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["address"] == INVOCATIONS)
        .expect("the create is planned");

    let apply = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut plan = saved.clone();
        edit(&mut plan);
        let path = cloud.write(name, &serde_json::to_string_pretty(&plan).unwrap());
        let run = cloud
            .warden(&["apply", path_str(&path), "--auto-approve"])
            .expect_code(1);
        assert!(
            run.stdout.is_empty(),
            "{name}: nothing is shown as planned: {}",
            run.stdout
        );
        run.stderr
    };
    // A delete as the old staleness check would have accepted it: `before` is the live state.
    let delete_of = |name: &str, tags: Value| {
        json!({
            "address": format!("ops/us-east-1/log_group/{name}"),
            "account_id": DIRECT_ACCOUNT,
            "action": "delete",
            "before": {"retention_days": null, "kms_key_id": null, "tags": tags, "data_protection": null},
            "after": null,
            "fields": []
        })
    };

    // `action: delete` added for an untagged group, and for another project's group.
    for (group, tags) in [
        ("/legacy/untagged", json!({})),
        ("/other/app", json!({"warden:managed-by": "other-project"})),
    ] {
        let stderr = apply("delete.json", &|p| {
            p["changes"]
                .as_array_mut()
                .unwrap()
                .push(delete_of(group, tags.clone()));
            p["prune"] = json!(true);
        });
        assert!(
            stderr.contains("the saved plan does not match a fresh plan of its own spec"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "ops/us-east-1/log_group/{group} (delete planned): the plan file has `delete` here, but a fresh plan of its spec has no such resource"
            )),
            "{stderr}"
        );
    }

    // Another project's ownership tag put on the group to create.
    let stderr = apply("foreign-tag.json", &|p| {
        p["changes"][create]["after"]["tags"]["warden:managed-by"] = json!("other-project");
    });
    assert!(
        stderr.contains(&format!(
            "{INVOCATIONS} (create planned): the plan file's values are not what its spec gives"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "tags.warden:managed-by: other-project in the plan file, governance from its spec"
        ),
        "{stderr}"
    );

    // Values the spec checks reject: retention 1825, a NUL in a name.
    let stderr = apply("retention.json", &|p| {
        p["changes"][create]["after"]["retention_days"] = json!(1825);
    });
    assert!(
        stderr.contains("retention_days: 1825 in the plan file, 1827 from its spec"),
        "{stderr}"
    );
    let stderr = apply("nul.json", &|p| {
        p["changes"][create]["address"] = json!(format!("{INVOCATIONS}\u{0}x"));
    });
    assert!(
        stderr.contains(&format!("{INVOCATIONS}\\u{{0}}x (create planned): the plan file has `create` here, but a fresh plan of its spec has no such resource")),
        "the NUL is shown escaped: {stderr:?}"
    );
    assert!(
        stderr.contains(&format!("{INVOCATIONS} (no change planned, create now): a fresh plan of its spec gives `create` here, but the plan file has no such resource")),
        "{stderr}"
    );
    // The same values in the embedded spec meet the spec checks, located in the embedded text.
    let stderr = apply("spec-retention.json", &|p| {
        p["spec_text"] = json!(SPEC.replace("1827", "1825"));
    });
    assert!(
        stderr.contains("plan.json") || stderr.contains("spec-retention.json"),
        "{stderr}"
    );
    assert!(stderr.contains("(embedded spec from "), "{stderr}");
    assert!(stderr.contains("1825"), "{stderr}");
    assert!(stderr.contains(":10:"), "located at line 10: {stderr}");
    assert!(stderr.contains("nothing was sent to AWS"), "{stderr}");

    // A role with a null trust policy, by changing an address's kind.
    let stderr = apply("kind.json", &|p| {
        p["changes"][create]["address"] = json!("ops/us-east-1/iam_role/bedrock-logging");
        p["changes"][create]["after"] =
            json!({"trust_policy": null, "tags": {"warden:managed-by": "governance"}});
    });
    assert!(
        stderr.contains("ops/us-east-1/iam_role/bedrock-logging (create planned): the plan file has `create` here, but a fresh plan of its spec has no such resource"),
        "{stderr}"
    );

    // A change moved to a region not in `accounts` is refused, not silently dropped…
    let stderr = apply("region.json", &|p| {
        p["changes"][create]["address"] = json!("ops/eu-west-1/log_group//aws/bedrock/invocations");
    });
    assert!(
        stderr.contains("change ops/eu-west-1/log_group//aws/bedrock/invocations is in account `ops`, region `eu-west-1`, which is not among the plan's accounts and regions"),
        "{stderr}"
    );
    // …and with that region added to `accounts` too, it is not what the spec gives there.
    let stderr = apply("region-and-accounts.json", &|p| {
        p["changes"][create]["address"] = json!("ops/eu-west-1/log_group//aws/bedrock/invocations");
        p["accounts"][0]["regions"] = json!(["us-east-1", "eu-west-1"]);
    });
    assert!(
        stderr.contains("ops/eu-west-1/log_group//aws/bedrock/invocations (create planned)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{INVOCATIONS} (no change planned, create now)")),
        "{stderr}"
    );

    // Another project's name on the plan.
    let stderr = apply("project.json", &|p| p["project"] = json!("other-project"));
    assert!(
        stderr.contains("says project `other-project` but its embedded spec says `governance`"),
        "{stderr}"
    );
    // A plan without its spec (as older wardens wrote them) cannot be checked.
    let stderr = apply("no-spec.json", &|p| {
        p.as_object_mut().unwrap().remove("spec_text");
    });
    assert!(
        stderr.contains("does not hold the spec it was made from"),
        "{stderr}"
    );

    // AWS holds what it held: both groups as they were, nothing created, no role.
    let untagged = group_state(&logs, DIRECT_ACCOUNT, "us-east-1", "/legacy/untagged")
        .await
        .expect("the untagged group is never deleted");
    assert!(untagged.tags.is_empty(), "{untagged:?}");
    let foreign = group_state(&logs, DIRECT_ACCOUNT, "us-east-1", "/other/app")
        .await
        .expect("another project's group is never deleted");
    assert_eq!(
        foreign.tags.get("warden:managed-by").map(String::as_str),
        Some("other-project")
    );
    assert_eq!(
        group_state(
            &logs,
            DIRECT_ACCOUNT,
            "us-east-1",
            "/aws/bedrock/invocations"
        )
        .await,
        None,
        "a refused plan creates nothing"
    );
    let roles = cloud
        .iam(DIRECT_ACCOUNT)
        .await
        .list_roles()
        .send()
        .await
        .unwrap();
    assert!(
        roles
            .roles()
            .iter()
            .all(|r| r.role_name() != "bedrock-logging"),
        "no role is created"
    );

    // The untouched saved plan still applies: its spec is planned again and gives the same.
    let applied = cloud
        .warden(&[
            "apply",
            path_str(&plan_path),
            "--auto-approve",
            "--format",
            "json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(applied["report"]["outcomes"][0]["status"], "applied");
    assert_eq!(
        group_state(
            &logs,
            DIRECT_ACCOUNT,
            "us-east-1",
            "/aws/bedrock/invocations"
        )
        .await
        .and_then(|g| g.retention),
        Some(1827)
    );
}

/// A plan file over the limit is refused before it is read whole.
#[test]
fn an_oversize_plan_file_is_refused() {
    let cloud = LocalCloud::start();
    let path = cloud.workdir.path().join("huge.json");
    let file = std::fs::File::create(&path).unwrap();
    // Sparse: the size is what is checked, no 64 MiB is written.
    file.set_len(64 * 1024 * 1024 + 1).unwrap();
    let run = cloud
        .warden(&["apply", path_str(&path), "--auto-approve"])
        .expect_code(1);
    assert!(
        run.stderr
            .contains("is over the limit of 64 MiB for a plan file (67108865 bytes)"),
        "{}",
        run.stderr
    );
}

/// The normal path: plan → apply the saved plan → plan is empty. The saved plan keeps
/// `${env:…}` as written (no external id in it) and needs the variable again to apply.
#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_applies_by_planning_its_spec_again_and_holds_no_secret() {
    let cloud = LocalCloud::start();
    let spec = cloud.write(
        "spec.yaml",
        r#"
version: 1
project: governance
accounts:
  - name: ops
    id: "123456789012"
    regions: [us-east-1]
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
    external_id: ${env:CUSTOMER_A_EXTERNAL_ID}
    regions: [us-east-1]
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 1827
  - name: /bedrock-warden/audit
    retention_days: 365
"#,
    );
    let secret = "ext-a-secret-5e8b";
    let env = &[("CUSTOMER_A_EXTERNAL_ID", secret)];
    let plan_path = cloud.workdir.path().join("plan.json");
    let plan_file = path_str(&plan_path);
    cloud
        .warden_with_env(&["plan", "-f", path_str(&spec), "--out", plan_file], env)
        .expect_code(0);
    let text = std::fs::read_to_string(&plan_path).unwrap();
    assert!(
        !text.contains(secret),
        "the saved plan holds the external id:\n{text}"
    );
    assert!(text.contains("${env:CUSTOMER_A_EXTERNAL_ID}"), "{text}");

    // The embedded spec is checked like any spec: the variable must be set to apply.
    let missing = cloud
        .warden(&["apply", plan_file, "--auto-approve"])
        .expect_code(1);
    assert!(
        missing.stderr.contains("(embedded spec from ")
            && missing.stderr.contains("CUSTOMER_A_EXTERNAL_ID"),
        "{}",
        missing.stderr
    );

    // `--account` narrows the saved plan: only customer-a's part is planned again and applied.
    let applied = cloud
        .warden_with_env(
            &[
                "apply",
                plan_file,
                "--account",
                "customer-a",
                "--auto-approve",
                "--format",
                "json",
            ],
            env,
        )
        .expect_code(0);
    assert!(!applied.stdout.contains(secret) && !applied.stderr.contains(secret));
    let applied = applied.json();
    let outcomes = applied["report"]["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 2, "{applied:#}");
    assert!(outcomes.iter().all(
        |o| o["address"].as_str().unwrap().starts_with("customer-a/") && o["status"] == "applied"
    ));
    // Planned again: its groups read in one batched describe before applying and one after to
    // verify, through one AssumeRole.
    assert_eq!(
        api_operation(&applied["report"], "DescribeLogGroups")["calls"],
        2
    );
    assert_eq!(api_operation(&applied["report"], "AssumeRole")["calls"], 1);

    // The whole plan is now stale in customer-a; ops alone still applies.
    let stale = cloud
        .warden_with_env(&["apply", plan_file, "--auto-approve"], env)
        .expect_code(1);
    assert!(
        stale.stderr.contains("the saved plan is stale: 2 resource(s) changed")
            && stale.stderr.contains(
                "customer-a/us-east-1/log_group//aws/bedrock/invocations (create planned): was absent when planned; it exists now"
            ),
        "{}",
        stale.stderr
    );
    cloud
        .warden_with_env(
            &["apply", plan_file, "--account", "ops", "--auto-approve"],
            env,
        )
        .expect_code(0);
    cloud
        .warden_with_env(&["plan", "-f", path_str(&spec), "--detailed-exitcode"], env)
        .expect_code(0);
}

/// Between the plan shown and the `yes` typed, another project tags the group about to be
/// pruned and the group about to be adopted, and someone removes the tag of another group about
/// to be pruned: none of them is touched, the rest applies.
#[tokio::test(flavor = "multi_thread")]
async fn ownership_is_read_again_right_before_a_delete_or_an_adopt() {
    let cloud = LocalCloud::start();
    let logs = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    create_group(&logs, "/old/managed", Some("governance")).await;
    create_group(&logs, "/old/untagged-since", Some("governance")).await;
    create_group(&logs, "/legacy/untagged", None).await;
    let spec = cloud.write(
        "spec.yaml",
        r#"
version: 1
project: governance
accounts:
  - name: ops
    id: "123456789012"
    regions: [us-east-1]
log_groups:
  - name: /legacy/untagged
    retention_days: 30
  - name: /new/group
    retention_days: 30
"#,
    );
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!(
                "'{}' apply -f '{}' --prune",
                env!("CARGO_BIN_EXE_warden"),
                path_str(&spec)
            ),
            "/dev/null",
        ])
        .current_dir(common::repo_root())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "dumb")
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", &cloud.endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run warden under script (util-linux)");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut shown = Vec::new();
    while !String::from_utf8_lossy(&shown).contains("Only 'yes' is accepted") {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(chunk) => shown.extend(chunk),
            Err(e) => panic!("no prompt ({e}): {}", String::from_utf8_lossy(&shown)),
        }
    }
    let plan = String::from_utf8_lossy(&shown).to_string();
    assert!(plan.contains("/old/managed"), "{plan}");
    assert!(plan.contains("/legacy/untagged"), "{plan}");
    for name in ["/old/managed", "/legacy/untagged"] {
        logs.tag_resource()
            .resource_arn(format!(
                "arn:aws:logs:us-east-1:{DIRECT_ACCOUNT}:log-group:{name}"
            ))
            .tags("warden:managed-by", "other-project")
            .send()
            .await
            .unwrap();
    }
    logs.untag_resource()
        .resource_arn(format!(
            "arn:aws:logs:us-east-1:{DIRECT_ACCOUNT}:log-group:/old/untagged-since"
        ))
        .tag_keys("warden:managed-by")
        .send()
        .await
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"yes\n").unwrap();
    stdin.flush().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    while let Ok(chunk) = rx.recv_timeout(Duration::from_secs(5)) {
        shown.extend(chunk);
    }
    let report = String::from_utf8_lossy(&shown).to_string();
    assert_eq!(status.code(), Some(3), "{report}");
    assert!(
        report.contains("delete ops/us-east-1/log_group//old/managed — it is now managed by another warden project `other-project`: not deleted"),
        "{report}"
    );
    assert!(
        report.contains("delete ops/us-east-1/log_group//old/untagged-since — it is not managed by warden (no warden:managed-by tag): not deleted"),
        "{report}"
    );
    assert!(
        group_state(&logs, DIRECT_ACCOUNT, "us-east-1", "/old/untagged-since")
            .await
            .is_some(),
        "a group whose tag was removed is not deleted"
    );
    assert!(
        report.contains("adopt ops/us-east-1/log_group//legacy/untagged — it is now managed by another warden project `other-project`: not adopted"),
        "{report}"
    );
    assert!(
        report.contains("create ops/us-east-1/log_group//new/group"),
        "{report}"
    );
    let old = group_state(&logs, DIRECT_ACCOUNT, "us-east-1", "/old/managed")
        .await
        .expect("not deleted");
    assert_eq!(
        old.tags.get("warden:managed-by").map(String::as_str),
        Some("other-project")
    );
    let legacy = group_state(&logs, DIRECT_ACCOUNT, "us-east-1", "/legacy/untagged")
        .await
        .expect("still there");
    assert_eq!(legacy.retention, None, "not adopted, so not changed");
    assert_eq!(
        legacy.tags.get("warden:managed-by").map(String::as_str),
        Some("other-project")
    );
    assert_eq!(
        group_state(&logs, DIRECT_ACCOUNT, "us-east-1", "/new/group")
            .await
            .and_then(|g| g.retention),
        Some(30)
    );
}
