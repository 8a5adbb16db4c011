//! Concurrent and interrupted runs against the local cloud: two applies at once converge, a
//! resource created but not finished reads as this project's, a create that finds its resource
//! already there converges when it is ours and leaves it when not, and the apply lease (taken
//! over from a dead run, respected from a live one, shown by plan).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{path_str, LocalCloud, Run, DIRECT_ACCOUNT};
use serde_json::{json, Value};

const CUSTOMER: &str = "111111111111";

/// The invocation-logging chain (two buckets, a role, a log group, the setting) in two accounts
/// and two regions: four scopes.
const CHAIN: &str = r#"
version: 1
project: gov
defaults:
  regions: [us-east-1, eu-west-1]
accounts:
  - name: ops
    id: "123456789012"
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
    external_id: ext-a
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 1827
invocation_logging:
  data:
    video: false
  cloudwatch:
    log_group: /aws/bedrock/invocations
    role: {}
    large_data:
      bucket: bedrock-large-{account}-{region}
      key_prefix: large
  s3:
    bucket: bedrock-logs-{account}-{region}
    key_prefix: invocations
"#;

/// The same chain in one account, in the given regions.
fn one_account_chain(project: &str, regions: &str) -> String {
    format!(
        r#"
version: 1
project: {project}
defaults:
  regions: [{regions}]
accounts:
  - name: ops
    id: "123456789012"
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 1827
invocation_logging:
  data:
    video: false
  cloudwatch:
    log_group: /aws/bedrock/invocations
    role: {{}}
    large_data:
      bucket: bedrock-large-{{account}}-{{region}}
      key_prefix: large
  s3:
    bucket: bedrock-logs-{{account}}-{{region}}
    key_prefix: invocations
"#
    )
}

fn outcomes(run: &Run) -> Vec<Value> {
    run.json()["report"]["outcomes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// An address `account/region/kind/name` in its four parts.
fn address(value: &Value) -> [String; 4] {
    let parts: Vec<String> = value["address"]
        .as_str()
        .unwrap()
        .splitn(4, '/')
        .map(str::to_string)
        .collect();
    parts.try_into().expect("account/region/kind/name")
}

fn scope_of(outcome: &Value) -> (String, String) {
    let [account, region, ..] = address(outcome);
    (account, region)
}

fn is_lease_skip(outcome: &Value) -> bool {
    outcome["status"] == "skipped"
        && outcome["because"]
            .as_str()
            .is_some_and(|b| b.contains("another warden apply holds this project's lease"))
}

async fn logging_on(cloud: &LocalCloud, account: &str, region: &str) -> bool {
    let config = cloud
        .bedrock(account, region)
        .await
        .get_model_invocation_logging_configuration()
        .send()
        .await
        .expect("read invocation logging");
    config
        .logging_config()
        .and_then(|c| c.cloud_watch_config())
        .is_some()
}

/// Starts two `apply --auto-approve` of the chain at the same moment (with `extra` arguments),
/// checks that each scope was applied by exactly one of them, that neither reports anything but
/// applied changes and held-lease skips, and that AWS ends up as the spec says. Returns the exit
/// codes.
async fn race(extra: &[&str]) -> (i32, i32) {
    let cloud = LocalCloud::start();
    let spec = cloud.write("spec.yaml", CHAIN);
    let spec = path_str(&spec);
    let mut args = vec!["apply", "-f", spec, "--auto-approve", "--format", "json"];
    args.extend_from_slice(extra);
    let (first, second) = std::thread::scope(|s| {
        let a = s.spawn(|| cloud.warden(&args));
        let b = s.spawn(|| cloud.warden(&args));
        (a.join().unwrap(), b.join().unwrap())
    });

    let mut applied_by: BTreeMap<(String, String), BTreeSet<usize>> = BTreeMap::new();
    for (i, run) in [&first, &second].into_iter().enumerate() {
        assert!(
            !run.stderr.contains("panicked"),
            "run {i} panicked: {}",
            run.stderr
        );
        let outcomes = outcomes(run);
        for o in &outcomes {
            assert!(
                o["status"] == "applied" || is_lease_skip(o),
                "run {i}: only applied changes and held-lease skips, got {o:#}"
            );
            if o["status"] == "applied" {
                applied_by.entry(scope_of(o)).or_default().insert(i);
            }
        }
        let skipped = outcomes.iter().any(is_lease_skip);
        let applied = outcomes.iter().any(|o| o["status"] == "applied");
        let expected = match (applied, skipped) {
            (_, false) => 0,
            (true, true) => 3,
            // Everything it planned was held by the other run: nothing could be applied.
            (false, true) => 1,
        };
        assert_eq!(
            run.code, expected,
            "run {i}\n--- stdout\n{}\n--- stderr\n{}",
            run.stdout, run.stderr
        );
    }
    for account in ["ops", "customer-a"] {
        for region in ["us-east-1", "eu-west-1"] {
            let key = (account.to_string(), region.to_string());
            assert_eq!(
                applied_by.get(&key).map(BTreeSet::len),
                Some(1),
                "{account}/{region} is applied by exactly one run: {applied_by:?}"
            );
        }
    }
    for account in [DIRECT_ACCOUNT, CUSTOMER] {
        for region in ["us-east-1", "eu-west-1"] {
            assert!(
                logging_on(&cloud, account, region).await,
                "invocation logging is on in {account}/{region}"
            );
            // Every lease was given back.
            assert_eq!(
                lease_streams(&cloud, account, region).await,
                Vec::<String>::new()
            );
        }
    }
    cloud
        .warden(&["plan", "-f", spec, "--detailed-exitcode"])
        .expect_code(0);
    (first.code, second.code)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_applies_at_once_converge_and_each_scope_is_applied_by_one_run() {
    race(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_applies_at_once_with_lease_wait_both_succeed() {
    let codes = race(&["--lease-wait", "2m"]).await;
    assert_eq!(
        codes,
        (0, 0),
        "the second waits for the first, then has nothing left to do"
    );
}

async fn lease_streams(cloud: &LocalCloud, account: &str, region: &str) -> Vec<String> {
    let out = cloud
        .logs(account, region)
        .await
        .describe_log_streams()
        .log_group_name("/warden/leases/gov")
        .send()
        .await
        .expect("describe lease streams");
    out.log_streams()
        .iter()
        .filter_map(|s| s.log_stream_name().map(str::to_string))
        .collect()
}

/// Writes a lease as another run would: generation 1 with its holder record.
async fn write_lease(cloud: &LocalCloud, region: &str, holder: &str, expires_in: i64) {
    let logs = cloud.logs(DIRECT_ACCOUNT, region).await;
    logs.create_log_group()
        .log_group_name("/warden/leases/gov")
        .tags("warden:lease", "gov")
        .send()
        .await
        .expect("create lease group");
    logs.create_log_stream()
        .log_group_name("/warden/leases/gov")
        .log_stream_name("gen-0000000001")
        .send()
        .await
        .expect("create lease stream");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let record = json!({
        "holder": holder, "pid": 4242, "command": "warden apply -f spec.yaml",
        "run_id": "r-other", "acquired_at": now + expires_in - 3600, "expires_at": now + expires_in,
    });
    logs.put_log_events()
        .log_group_name("/warden/leases/gov")
        .log_stream_name("gen-0000000001")
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now * 1000)
                .message(record.to_string())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("write lease record");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_lease_skips_its_scope_and_shows_in_plan_and_a_dead_runs_lease_is_taken_over() {
    let cloud = LocalCloud::start();
    let spec = cloud.write(
        "spec.yaml",
        &one_account_chain("gov", "us-east-1, eu-west-1"),
    );
    let spec = path_str(&spec);
    write_lease(&cloud, "us-east-1", "bob@build-7", 3600).await;
    write_lease(&cloud, "eu-west-1", "carol@dead-host", -3600).await;

    // plan only reads leases: the live one is a note naming its holder, the expired one is not.
    let plan = cloud
        .warden(&["plan", "-f", spec, "--format", "json"])
        .expect_code(0);
    let notes = plan.json()["notes"].clone();
    let lease_notes: Vec<&Value> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["message"].as_str().unwrap().contains("holds the lease"))
        .collect();
    assert_eq!(lease_notes.len(), 1, "{notes:#}");
    assert_eq!(lease_notes[0]["region"], "us-east-1");
    let message = lease_notes[0]["message"].as_str().unwrap();
    assert!(
        message
            .contains("`bob@build-7` (pid 4242, run r-other, `warden apply -f spec.yaml`) since"),
        "{message}"
    );
    assert!(message.contains(", until "), "{message}");
    let text = cloud.warden(&["plan", "-f", spec]).expect_code(0);
    assert!(text.stdout.contains("bob@build-7"), "{}", text.stdout);
    assert_eq!(
        lease_streams(&cloud, DIRECT_ACCOUNT, "us-east-1").await,
        vec!["gen-0000000001"],
        "plan takes no lease"
    );

    let run = cloud.warden(&["apply", "-f", spec, "--auto-approve", "--format", "json"]);
    let run = run.expect_code(3);
    for o in outcomes(&run) {
        match scope_of(&o).1.as_str() {
            "us-east-1" => {
                assert!(is_lease_skip(&o), "{o:#}");
                assert!(
                    o["because"].as_str().unwrap().contains("bob@build-7"),
                    "{o:#}"
                );
            }
            _ => assert_eq!(o["status"], "applied", "{o:#}"),
        }
    }
    assert!(!logging_on(&cloud, DIRECT_ACCOUNT, "us-east-1").await);
    assert!(logging_on(&cloud, DIRECT_ACCOUNT, "eu-west-1").await);
    // The live lease is untouched; the dead run's was replaced by this run's, which was released.
    assert_eq!(
        lease_streams(&cloud, DIRECT_ACCOUNT, "us-east-1").await,
        vec!["gen-0000000001"]
    );
    assert_eq!(
        lease_streams(&cloud, DIRECT_ACCOUNT, "eu-west-1").await,
        Vec::<String>::new()
    );
    // The lease group is not a managed resource: plan of the applied region is empty.
    cloud
        .warden(&[
            "plan",
            "-f",
            spec,
            "--region",
            "eu-west-1",
            "--detailed-exitcode",
            "--prune",
        ])
        .expect_code(0);
}

async fn bucket_tags(cloud: &LocalCloud, region: &str, name: &str) -> BTreeMap<String, String> {
    cloud
        .s3(DIRECT_ACCOUNT, region)
        .await
        .get_bucket_tagging()
        .bucket(name)
        .send()
        .await
        .map(|out| {
            out.tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn change<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| address(c)[3] == name)
        .unwrap_or_else(|| panic!("no change for {name} in {plan:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_whose_public_access_block_failed_reads_as_ours_not_as_adoptable() {
    // Both buckets' first PutPublicAccessBlock fails: the first apply stops after tagging them.
    let faults = json!({"s3:PutPublicAccessBlock": {"times": 2, "status": 403, "code": "AccessDenied", "message": "injected"}}).to_string();
    let cloud = LocalCloud::start_with_env(&[("WARDEN_MOTO_FAULTS", &faults)]);
    let spec = cloud.write("spec.yaml", &one_account_chain("gov", "eu-west-1"));
    let spec = path_str(&spec);
    let bucket = "bedrock-logs-123456789012-eu-west-1";
    let first = cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(3);
    assert_eq!(
        bucket_tags(&cloud, "eu-west-1", bucket)
            .await
            .get("warden:managed-by")
            .map(String::as_str),
        Some("gov"),
        "the ownership tag is on before anything that can fail: {}",
        first.stdout
    );

    let plan = cloud
        .warden(&["plan", "-f", spec, "--format", "json"])
        .expect_code(0)
        .json();
    let bucket_change = change(&plan, bucket);
    assert_eq!(bucket_change["action"], "update", "{bucket_change:#}");
    let fields: Vec<&str> = bucket_change["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"public_access_block"), "{fields:?}");
    assert!(!fields.iter().any(|f| f.starts_with("tags")), "{fields:?}");

    // Another project is told the bucket is this one's, not offered to adopt it.
    let other = cloud.write("other.yaml", &one_account_chain("other", "eu-west-1"));
    let other_plan = cloud
        .warden(&["plan", "-f", path_str(&other), "--format", "json"])
        .expect_code(3)
        .json();
    let errors = other_plan["errors"].to_string();
    assert!(
        errors.contains(bucket) && errors.contains("managed by another warden project `gov`"),
        "{errors}"
    );
    assert!(!other_plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| address(c)[3] == bucket && c["action"] == "adopt"));

    // The fault is used up: apply repairs, and plan is empty.
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);
    cloud
        .warden(&["plan", "-f", spec, "--detailed-exitcode"])
        .expect_code(0);
    assert!(logging_on(&cloud, DIRECT_ACCOUNT, "eu-west-1").await);
}

/// Creates a bucket as another run would have, tagged with `owner`, nothing else configured.
async fn precreate_bucket(cloud: &LocalCloud, region: &str, name: &str, owner: &str) {
    let s3 = cloud.s3(DIRECT_ACCOUNT, region).await;
    let mut request = s3.create_bucket().bucket(name);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                .build(),
        );
    }
    request.send().await.expect("create bucket");
    s3.put_bucket_tagging()
        .bucket(name)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("warden:managed-by")
                        .value(owner)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("tag bucket");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_that_finds_its_bucket_already_there_converges_when_ours_and_leaves_it_when_not() {
    // The plan's four HeadBucket reads answer 404, so it plans creates for buckets that exist:
    // as a run sees a resource that another run creates between its read and its write.
    let faults =
        json!({"s3:HeadBucket": {"times": 4, "status": 404, "code": "NotFound"}}).to_string();
    let cloud = LocalCloud::start_with_env(&[("WARDEN_MOTO_FAULTS", &faults)]);
    let spec = cloud.write(
        "spec.yaml",
        &one_account_chain("gov", "us-east-1, eu-west-1"),
    );
    let spec = path_str(&spec);
    for region in ["us-east-1", "eu-west-1"] {
        precreate_bucket(
            &cloud,
            region,
            &format!("bedrock-logs-123456789012-{region}"),
            "gov",
        )
        .await;
        precreate_bucket(
            &cloud,
            region,
            &format!("bedrock-large-123456789012-{region}"),
            "other",
        )
        .await;
    }
    let run = cloud
        .warden(&["apply", "-f", spec, "--auto-approve", "--format", "json"])
        .expect_code(3);
    for o in outcomes(&run) {
        let [_, _, kind, name] = address(&o);
        let (kind, name) = (kind.as_str(), name.as_str());
        if name.starts_with("bedrock-logs-") {
            assert_eq!(o["action"], "create");
            assert_eq!(o["status"], "applied", "ours: converged as an update {o:#}");
        } else if name.starts_with("bedrock-large-") {
            assert_eq!(o["status"], "failed", "{o:#}");
            let error = o["error"].as_str().unwrap();
            assert!(
                error.contains("created meanwhile by another warden project `other`"),
                "{error}"
            );
        } else if kind == "invocation_logging" {
            assert_eq!(
                o["status"], "skipped",
                "it needs the other project's bucket: {o:#}"
            );
        }
    }
    for region in ["us-east-1", "eu-west-1"] {
        let large = bucket_tags(
            &cloud,
            region,
            &format!("bedrock-large-123456789012-{region}"),
        )
        .await;
        assert_eq!(
            large.get("warden:managed-by").map(String::as_str),
            Some("other"),
            "another project's bucket keeps its owner"
        );
        let logs = cloud.s3(DIRECT_ACCOUNT, region).await;
        let blocked = logs
            .get_public_access_block()
            .bucket(format!("bedrock-logs-123456789012-{region}"))
            .send()
            .await
            .expect("our bucket was brought to the spec");
        assert_eq!(
            blocked
                .public_access_block_configuration()
                .and_then(|c| c.block_public_acls()),
            Some(true)
        );
        let theirs = logs
            .get_public_access_block()
            .bucket(format!("bedrock-large-123456789012-{region}"))
            .send()
            .await;
        assert!(
            theirs.is_err(),
            "nothing is written to a bucket that is not ours"
        );
    }
}
