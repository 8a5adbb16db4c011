//! Scale: ownership read in bulk (Tagging API) instead of one tag read per resource, and runs
//! under AWS-like quotas that finish without throttled retries (issue 16).

mod common;

use common::{api_operation, path_str, LocalCloud};

const DIRECT_ACCOUNT: &str = "123456789012";

fn calls(report: &serde_json::Value, operation: &str) -> u64 {
    report["api_calls"]["operations"]
        .as_array()
        .expect("api_calls.operations")
        .iter()
        .filter(|o| o["operation"] == operation)
        .map(|o| o["calls"].as_u64().unwrap())
        .sum()
}

fn spec_of(groups: std::ops::Range<usize>) -> String {
    let mut spec = String::from(
        "version: 1\nproject: scale\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1]\nlog_groups:\n",
    );
    for i in groups {
        spec.push_str(&format!(
            "  - name: /scale/group-{i:03}\n    retention_days: 30\n    tags: {{index: \"{i}\"}}\n"
        ));
    }
    spec
}

#[tokio::test(flavor = "multi_thread")]
async fn ownership_is_read_one_call_per_hundred_groups_not_one_per_group() {
    let cloud = LocalCloud::start();
    let logs = cloud.logs(DIRECT_ACCOUNT, "us-east-1").await;
    // Made by hand: one the spec names (adopted, its tags read directly), one it does not, and
    // one that another project owns.
    for (name, owner) in [
        ("/scale/group-000", None),
        ("/team/hand-made", None),
        ("/scale/group-001", Some("someone-else")),
    ] {
        logs.create_log_group()
            .log_group_name(name)
            .set_tags(owner.map(|o| [("warden:managed-by".to_string(), o.to_string())].into()))
            .send()
            .await
            .unwrap();
    }
    let spec = cloud.write("spec.yaml", &spec_of(0..120));
    let spec = path_str(&spec);
    let first = cloud
        .warden(&["plan", "-f", spec, "--format", "json"])
        .expect_code(3)
        .json();
    assert_eq!(first["summary"]["create"], 118, "{}", first["summary"]);
    assert_eq!(first["summary"]["adopt"], 1, "{}", first["summary"]);
    assert_eq!(
        first["errors"][0]["address"],
        "ops/us-east-1/log_group//scale/group-001"
    );
    // The adopted group (not in the index: no ownership tag) is read directly; the other
    // project's is in the index.
    assert_eq!(calls(&first, "ListTagsForResource"), 1, "{first:#}");
    assert_eq!(calls(&first, "GetResources"), 1);

    cloud
        .warden(&["apply", "-f", spec, "--auto-approve", "--format", "json"])
        .expect_code(3);
    let steady = cloud
        .warden(&["plan", "-f", spec, "--format", "json"])
        .expect_code(3)
        .json();
    assert_eq!(steady["summary"]["no_op"], 119, "{}", steady["summary"]);
    // 120 groups: 3 DescribeLogGroups (50 each), 2 tagging pages (100 each), no tag read
    // per group.
    assert_eq!(calls(&steady, "ListTagsForResource"), 0, "{steady:#}");
    assert_eq!(api_operation(&steady, "GetResources")["calls"], 2);
    assert_eq!(api_operation(&steady, "DescribeLogGroups")["calls"], 3);
    // The apply lease is looked up only where the plan has changes or errors (here: the
    // other project's group is an error in the one scope).
    assert_eq!(api_operation(&steady, "DescribeLogStreams")["calls"], 1);

    // Pruning: the owned group that left the spec is found in the index and deleted; the
    // hand-made and the other project's groups are never candidates (no tag read for them).
    let smaller = cloud.write("smaller.yaml", &spec_of(0..119));
    let pruning = cloud
        .warden(&[
            "plan",
            "-f",
            path_str(&smaller),
            "--prune",
            "--format",
            "json",
        ])
        .expect_code(3)
        .json();
    let deletes: Vec<&str> = pruning["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "delete")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(deletes, ["ops/us-east-1/log_group//scale/group-119"]);
    assert_eq!(calls(&pruning, "ListTagsForResource"), 0, "{pruning:#}");
    // No alarm, rule, bus or queue carries an ownership tag in the scope's index: the prune does
    // not list them to look for this project's leftovers.
    for listing in [
        "DescribeAlarms",
        "ListRules",
        "ListEventBuses",
        "ListQueues",
    ] {
        assert_eq!(calls(&pruning, listing), 0, "{listing}: {pruning:#}");
    }
    cloud
        .warden(&[
            "apply",
            "-f",
            path_str(&smaller),
            "--prune",
            "--auto-approve",
        ])
        .expect_code(3);
    let gone = logs
        .describe_log_groups()
        .log_group_name_prefix("/scale/group-119")
        .send()
        .await
        .unwrap();
    assert!(gone.log_groups().is_empty());
    let kept = logs
        .describe_log_groups()
        .log_group_name_prefix("/team/hand-made")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.log_groups().len(), 1);
}

/// The harness's counts of throttled and answered calls (`GET /moto-api/warden/pace`).
fn pace_counts(cloud: &LocalCloud) -> serde_json::Value {
    use std::io::{Read, Write};
    let address = cloud.endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the local cloud");
    write!(
        stream,
        "GET /moto-api/warden/pace HTTP/1.0\r\nHost: {address}\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let body = answer.split_once("\r\n\r\n").expect("an HTTP answer").1;
    serde_json::from_str(body).expect("JSON counts")
}

fn retries(report: &serde_json::Value) -> u64 {
    let calls = &report["api_calls"];
    calls["total_attempts"].as_u64().unwrap() - calls["total_calls"].as_u64().unwrap()
}

fn organization(accounts: usize, groups: usize) -> String {
    let mut spec = String::from(
        "version: 1\nproject: paced\ndefaults:\n  regions: [us-east-1, eu-west-1]\naccounts:\n",
    );
    for i in 0..accounts {
        let id = format!("{:012}", 100_000_000_000u64 + i as u64);
        spec.push_str(&format!(
            "  - name: acct-{i}\n    id: \"{id}\"\n    role_arn: arn:aws:iam::{id}:role/warden\n"
        ));
    }
    spec.push_str("log_groups:\n");
    for g in 0..groups {
        spec.push_str(&format!(
            "  - name: /paced/group-{g:02}\n    retention_days: 30\n"
        ));
    }
    spec
}

#[tokio::test(flavor = "multi_thread")]
async fn under_aws_quotas_a_plan_and_an_apply_of_many_accounts_finish_without_throttled_retries() {
    let cloud = LocalCloud::start_with_env(&[("WARDEN_MOTO_QUOTAS", "aws")]);
    let spec = cloud.write("org.yaml", &organization(10, 30));
    let spec = path_str(&spec);
    let parallelism = ["--parallelism", "20"];
    let plan = cloud
        .warden(&[&["plan", "-f", spec, "--format", "json"][..], &parallelism].concat())
        .expect_code(0)
        .json();
    assert_eq!(plan["summary"]["create"], 600);
    assert_eq!(retries(&plan), 0, "{:#}", plan["api_calls"]);
    let applied = cloud
        .warden(
            &[
                &["apply", "-f", spec, "--auto-approve", "--format", "json"][..],
                &parallelism,
            ]
            .concat(),
        )
        .expect_code(0)
        .json();
    let statuses: std::collections::BTreeSet<&str> = applied["report"]["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["applied"].into());
    assert_eq!(
        retries(&applied["report"]),
        0,
        "{:#}",
        applied["report"]["api_calls"]
    );
    let steady = cloud
        .warden(
            &[
                &[
                    "plan",
                    "-f",
                    spec,
                    "--format",
                    "json",
                    "--detailed-exitcode",
                ][..],
                &parallelism,
            ]
            .concat(),
        )
        .expect_code(0)
        .json();
    assert_eq!(steady["summary"]["no_op"], 600);
    assert_eq!(retries(&steady), 0);
    // What AWS (the harness) saw: quotas enforced, nothing refused.
    let counts = pace_counts(&cloud);
    assert!(
        counts["answered"]["logs:PutRetentionPolicy"].as_u64() >= Some(600),
        "{counts}"
    );
    assert_eq!(counts["throttled"], serde_json::json!({}), "{counts}");
}

#[tokio::test(flavor = "multi_thread")]
async fn shards_split_the_accounts_disjointly_and_a_shards_saved_plan_applies_to_it_alone() {
    let cloud = LocalCloud::start();
    let spec = cloud.write("org.yaml", &organization(6, 1));
    let spec = path_str(&spec);
    let mut seen: Vec<String> = Vec::new();
    let mut shard_files = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let plan = cloud
            .warden(&["plan", "-f", spec, "--shard", &shard, "--format", "json"])
            .expect_code(0)
            .json();
        let accounts: Vec<String> = plan["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .collect();
        // Every change belongs to the shard's accounts.
        for change in plan["changes"].as_array().unwrap() {
            assert!(accounts.contains(
                &change["address"]
                    .as_str()
                    .unwrap()
                    .split('/')
                    .next()
                    .unwrap()
                    .to_string()
            ));
        }
        seen.extend(accounts);
        shard_files.push(cloud.write(&format!("plan-{k}.json"), &plan.to_string()));
    }
    seen.sort();
    let all: Vec<String> = (0..6).map(|i| format!("acct-{i}")).collect();
    assert_eq!(seen, all, "each account in exactly one shard");

    // The matrix's plans join into one report: one summary, the exit code of a single run.
    let mut merge = vec!["report", "merge", "--format", "json"];
    merge.extend(shard_files.iter().map(|f| path_str(f)));
    let joined = cloud.warden(&merge).expect_code(2).json();
    assert_eq!(joined["summary"]["create"], 12, "{}", joined["summary"]);
    assert_eq!(joined["accounts"].as_array().unwrap().len(), 6);
    let markdown = cloud
        .warden(
            &[
                &["report", "merge", "--drift", "--format", "markdown"][..],
                &merge[4..],
            ]
            .concat(),
        )
        .expect_code(2);
    assert!(markdown.stdout.contains("| "), "{}", markdown.stdout);
    let twice = cloud
        .warden(&[
            "report",
            "merge",
            path_str(&shard_files[0]),
            path_str(&shard_files[0]),
        ])
        .expect_code(1);
    assert!(
        twice.stderr.contains("shards never share an account"),
        "{}",
        twice.stderr
    );

    // A saved plan of shard 1 applies there and nowhere else.
    let out = cloud.workdir.path().join("plan-1.json");
    cloud
        .warden(&[
            "plan",
            "-f",
            spec,
            "--shard",
            "1/3",
            "--out",
            path_str(&out),
        ])
        .expect_code(0);
    let applied = cloud
        .warden(&[
            "apply",
            path_str(&out),
            "--auto-approve",
            "--format",
            "json",
        ])
        .expect_code(0)
        .json();
    let in_shard: std::collections::BTreeSet<String> = applied["plan"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    let full = cloud
        .warden(&["plan", "-f", spec, "--format", "json"])
        .expect_code(0)
        .json();
    for change in full["changes"].as_array().unwrap() {
        let account = change["address"]
            .as_str()
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        let want = if in_shard.contains(account) {
            "no-op"
        } else {
            "create"
        };
        assert_eq!(change["action"], want, "{}", change["address"]);
    }
    assert!(cloud
        .warden(&["plan", "-f", spec, "--shard", "4/3"])
        .expect_code(1)
        .stderr
        .contains("K/N"));
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_come_from_an_organizational_unit_and_a_new_one_makes_a_saved_plan_stale() {
    use aws_sdk_organizations::types::OrganizationFeatureSet as FeatureSet;
    let cloud = LocalCloud::start();
    let org = aws_sdk_organizations::Client::new(&cloud.sdk(DIRECT_ACCOUNT, "us-east-1").await);
    org.create_organization()
        .feature_set(FeatureSet::All)
        .send()
        .await
        .unwrap();
    let root = org.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_string();
    let unit = |parent: String, name: &'static str| {
        let org = org.clone();
        async move {
            org.create_organizational_unit()
                .parent_id(parent)
                .name(name)
                .send()
                .await
                .unwrap()
                .organizational_unit()
                .unwrap()
                .id()
                .unwrap()
                .to_string()
        }
    };
    let customers = unit(root.clone(), "customers").await;
    let eu = unit(customers.clone(), "eu").await;
    let account = |name: &'static str, parent: String| {
        let (org, root) = (org.clone(), root.clone());
        async move {
            let status = org
                .create_account()
                .account_name(name)
                .email(format!("{}@example.com", name.replace(' ', ".")))
                .send()
                .await
                .unwrap();
            let id = status
                .create_account_status()
                .unwrap()
                .account_id()
                .unwrap()
                .to_string();
            org.move_account()
                .account_id(&id)
                .source_parent_id(root)
                .destination_parent_id(parent)
                .send()
                .await
                .unwrap();
            id
        }
    };
    let a = account("Customer A", customers.clone()).await;
    let b = account("Customer B", customers.clone()).await;
    let c = account("Customer C", eu.clone()).await;
    let excluded = account("Customer E", eu.clone()).await;
    let _elsewhere = account("Sandbox", root.clone()).await;
    let spec = format!(
        r#"
version: 1
project: org
defaults:
  regions: [us-east-1]
accounts:
  - name: ops
    id: "123456789012"
  - name: cust-b                 # listed by hand: this entry, with its override, is account B
    id: "{b}"
    role_arn: arn:aws:iam::{b}:role/warden
    overrides:
      - log_groups:
          - name: /org/audit
            retention_days: 90
accounts_from:
  organization: {{ou: {customers}, recursive: true}}
  role_name: warden
  exclude: ["Customer E"]
log_groups:
  - name: /org/audit
    retention_days: 30
"#
    );
    let spec = cloud.write("org.yaml", &spec);
    let saved = cloud.workdir.path().join("plan.json");
    let plan = cloud
        .warden(&[
            "plan",
            "-f",
            path_str(&spec),
            "--out",
            path_str(&saved),
            "--format",
            "json",
        ])
        .expect_code(0)
        .json();
    let accounts: std::collections::BTreeMap<String, String> = plan["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap().into(),
                x["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: std::collections::BTreeMap<String, String> = [
        ("ops", DIRECT_ACCOUNT),
        ("cust-b", b.as_str()),
        ("customer-a", a.as_str()),
        ("customer-c", c.as_str()),
    ]
    .into_iter()
    .map(|(n, i)| (n.to_string(), i.to_string()))
    .collect();
    assert_eq!(
        accounts, want,
        "{excluded} excluded, Sandbox outside the unit"
    );
    let discovered: Vec<&str> = plan["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["message"].as_str().unwrap().contains("discovered in"))
        .map(|n| n["account"].as_str().unwrap())
        .collect();
    assert_eq!(discovered, ["customer-a", "customer-c"]);
    let retention = |account: &str| {
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|ch| ch["address"] == format!("{account}/us-east-1/log_group//org/audit"))
            .map(|ch| ch["after"]["retention_days"].clone())
    };
    assert_eq!(retention("cust-b"), Some(serde_json::json!(90)));
    assert_eq!(retention("customer-a"), Some(serde_json::json!(30)));

    // A new account in the unit since the plan was saved: the saved plan is stale.
    let d = account("Customer D", customers.clone()).await;
    let refused = cloud
        .warden(&["apply", path_str(&saved), "--auto-approve"])
        .expect_code(1);
    assert!(refused.stderr.contains("stale"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!("customer-d ({d})")),
        "{}",
        refused.stderr
    );
    assert!(
        cloud
            .logs(&a, "us-east-1")
            .await
            .describe_log_groups()
            .send()
            .await
            .unwrap()
            .log_groups()
            .is_empty(),
        "nothing applied"
    );
}
