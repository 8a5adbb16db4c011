//! The governance report against the local cloud: after an apply and two changes behind the
//! tool's back, the HTML parses, has exactly one cell per account, region and control, and the
//! cells say in sync, drifted and missing where they are; each cell links to its details.

mod common;

use common::{path_str, LocalCloud, DIRECT_ACCOUNT};
use scraper::{Html, Selector};

const SPEC: &str = r#"
version: 1
project: report
defaults:
  regions: [us-east-1, eu-west-1]
accounts:
  - name: ops
    id: "123456789012"
  - name: customer-a
    id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/warden
log_groups:
  - name: /aws/bedrock/invocations
    retention_days: 1827
  - name: /bedrock-warden/audit
    retention_days: 365
account_data_protection:
  identifiers: [EmailAddress]
"#;

const ACCOUNTS: &[&str] = &["ops", "customer-a"];
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];
const CONTROLS: &[&str] = &["log groups", "account data protection"];

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn report_cells_show_drift_made_behind_the_tools_back() {
    let cloud = LocalCloud::start();
    let spec = cloud.write("spec.yaml", SPEC);
    let spec = path_str(&spec);
    cloud
        .warden(&["apply", "-f", spec, "--auto-approve"])
        .expect_code(0);

    // Behind the tool's back: a retention shortened in one place, a group deleted in another.
    cloud
        .logs("111111111111", "eu-west-1")
        .await
        .put_retention_policy()
        .log_group_name("/aws/bedrock/invocations")
        .retention_in_days(30)
        .send()
        .await
        .expect("put retention");
    cloud
        .logs(DIRECT_ACCOUNT, "us-east-1")
        .await
        .delete_log_group()
        .log_group_name("/bedrock-warden/audit")
        .send()
        .await
        .expect("delete group");

    let run = cloud.warden(&["report", "-f", spec]).expect_code(2);
    let doc = Html::parse_document(&run.stdout);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    // Self-contained: no stylesheet, script or image fetched from elsewhere.
    for css in ["link", "script[src]", "img", "iframe"] {
        assert_eq!(doc.select(&selector(css)).count(), 0, "{css} in the report");
    }
    assert_eq!(doc.select(&selector("head style")).count(), 1);

    let cells: Vec<_> = doc.select(&selector("#matrix td.state")).collect();
    assert_eq!(cells.len(), ACCOUNTS.len() * REGIONS.len() * CONTROLS.len());
    for account in ACCOUNTS {
        for region in REGIONS {
            for control in CONTROLS {
                let here: Vec<_> = cells
                    .iter()
                    .filter(|c| {
                        let a = |k: &str| c.value().attr(k).unwrap_or_default().to_string();
                        a("data-account") == *account
                            && a("data-region") == *region
                            && a("data-control") == *control
                    })
                    .collect();
                assert_eq!(here.len(), 1, "{account}/{region}/{control}");
                let cell = here[0];
                let expected = match (*account, *region, *control) {
                    ("customer-a", "eu-west-1", "log groups") => "drifted",
                    ("ops", "us-east-1", "log groups") => "missing",
                    _ => "in-sync",
                };
                assert_eq!(
                    cell.value().attr("data-state"),
                    Some(expected),
                    "{account}/{region}/{control}: {}",
                    cell.html()
                );
                // The cell links to its details, which exist and name the resource's state.
                let link = cell
                    .select(&selector("a"))
                    .next()
                    .unwrap_or_else(|| panic!("no link in {}", cell.html()));
                let target = link.value().attr("href").unwrap().trim_start_matches('#');
                let section = doc
                    .select(&selector(&format!("section[id=\"{target}\"]")))
                    .next()
                    .unwrap_or_else(|| panic!("no details for #{target}"));
                let details = section.text().collect::<String>();
                if expected == "drifted" {
                    assert!(
                        details.contains("retention_days: live 30, spec 1827"),
                        "{details}"
                    );
                }
                if expected == "missing" {
                    assert!(
                        details.contains("ops/us-east-1/log_group//bedrock-warden/audit: missing"),
                        "{details}"
                    );
                }
            }
        }
    }

    // The Markdown variant: the same matrix as a table, one row per account and region.
    let md = cloud
        .warden(&["report", "-f", spec, "--format", "markdown"])
        .expect_code(2)
        .stdout;
    assert!(
        md.contains(
            "| `customer-a` | eu-west-1 | [🟡 drifted](#d-customer-a-eu-west-1-log-groups) | [🟢 in sync](#d-customer-a-eu-west-1-account-data-protection) |"
        ),
        "{md}"
    );
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| `")).count(),
        4,
        "{md}"
    );
}
