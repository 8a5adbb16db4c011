//! The SNS topic people are notified through, as any section declares it (`{name, email}`):
//! its offline checks and its one desired resource per scope, however many sections use it.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Expansion, Scope};
use crate::events::policy::{topic_publish_policy, TOPIC_PUBLISH_SID};
use crate::kinds::sns_topic;
use crate::model::addr::{Kind, ResourceAddr};
use crate::model::desired::DesiredResource;
use crate::policy::{self, POLICY_VERSION};
use crate::source::{regions, SourceFile, Sp};
use crate::spec::check::{fill_samples, Checker};
use crate::spec::types::Spec;

/// Sid of the statement that lets this account's CloudWatch alarms publish.
pub const ALARMS_PUBLISH_SID: &str = "WardenCloudWatchAlarmsPublish";

/// An SNS topic warden creates in each account and region that uses it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// Topic name (1-256 letters, digits, `-`, `_`); placeholders allowed.
    pub name: Sp<String>,
    /// Email addresses to subscribe. Each gets AWS's confirmation email once and receives nothing
    /// until it confirms; an address removed here is not unsubscribed.
    #[serde(default)]
    pub email: Vec<Sp<String>>,
}

/// Who publishes to the topic: each adds its own statement to the topic policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publisher {
    /// EventBridge rules of this account and region.
    EventBridge,
    /// CloudWatch alarms of this account and region.
    CloudWatchAlarms,
}

/// Offline checks of a topic block at `field` (e.g. `monitoring.notify.sns_topic`).
pub fn check_topic(_spec: &Spec, topic: &TopicSpec, field: &str, checker: &mut Checker) {
    let name_field = format!("{field}.name");
    if checker.placeholders(&topic.name, topic.name.get(), &name_field) {
        let sample = fill_samples(topic.name.get());
        if !is_topic_name(&sample) {
            checker.error(
                topic.name.span(),
                name_field,
                format!("`{}` is not a valid SNS topic name", topic.name.get()),
                Some(
                    "use 1-256 letters, digits, `-` and `_` (FIFO topics cannot send email)".into(),
                ),
            );
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, address) in topic.email.iter().enumerate() {
        let item = format!("{field}.email[{i}]");
        if !is_email(address.get()) {
            checker.error(
                address.span(),
                item,
                format!("`{}` is not an email address", address.get()),
                Some("write one address per item, e.g. `secops@example.com`".into()),
            );
        } else if !seen.insert(address.to_lowercase()) {
            checker.warn(
                address.span(),
                item,
                format!("`{}` is listed twice", address.get()),
                Some("remove the second one".into()),
            );
        }
    }
}

/// The topic's ARN in this scope.
pub fn topic_arn(scope: &Scope, name: &str) -> String {
    sns_topic::topic_arn(scope.region, &scope.target.id, name)
}

/// Declares the topic in this scope for `publisher` and returns its address (for `depends_on`).
/// A topic another section already declared here is the same resource: addresses and
/// publishers are united.
pub fn declare_topic(
    scope: &Scope,
    out: &mut Expansion,
    topic: &TopicSpec,
    publisher: Publisher,
) -> ResourceAddr {
    let name = scope.fill(topic.name.get());
    let addr = ResourceAddr::new(&scope.target.name, scope.region, Kind::SnsTopic, &name);
    let statement = publish_statement(scope, &name, publisher);
    let emails: Vec<String> = topic.email.iter().map(|e| e.get().clone()).collect();
    let start = out.scope_start;
    if let Some(existing) = out.resources[start..].iter_mut().find(|r| r.addr == addr) {
        unite(&mut existing.props, &statement, &emails);
        return addr;
    }
    let mut props = json!({
        "policy": {"Version": POLICY_VERSION, "Statement": []},
        "email": [],
        "tags": scope.tags(),
    });
    unite(&mut props, &statement, &emails);
    out.resources.push(DesiredResource {
        addr: addr.clone(),
        props,
        depends_on: Vec::new(),
        origin: SourceFile::location(&topic.name.span()),
    });
    addr
}

/// Adds the publisher's statement (once per Sid) and the addresses (once each, sorted).
fn unite(props: &mut Value, statement: &Value, emails: &[String]) {
    let sid = statement["Sid"].as_str().unwrap_or_default().to_string();
    let merged = policy::upsert_statements(Some(&props["policy"]), statement, &sid);
    props["policy"] = merged;
    let mut all: Vec<String> = props["email"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    for e in emails {
        if !all.iter().any(|known| known.eq_ignore_ascii_case(e)) {
            all.push(e.clone());
        }
    }
    all.sort_by_key(|e| e.to_lowercase());
    props["email"] = json!(all);
}

/// The statement that lets exactly this account's rules or alarms (in this region) publish.
fn publish_statement(scope: &Scope, name: &str, publisher: Publisher) -> Value {
    let partition = regions::partition(scope.region);
    let account = &scope.target.id;
    let arn = topic_arn(scope, name);
    match publisher {
        Publisher::EventBridge => {
            let doc = topic_publish_policy(partition, scope.region, account, &arn);
            let statement = doc["Statement"][0].clone();
            debug_assert_eq!(statement["Sid"], TOPIC_PUBLISH_SID);
            statement
        }
        Publisher::CloudWatchAlarms => json!({
            "Sid": ALARMS_PUBLISH_SID,
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": format!("arn:{partition}:cloudwatch:{}:{account}:alarm:*", scope.region)},
            }
        }),
    }
}

/// SNS standard topic names: 1-256 ASCII letters, digits, `-` and `_`.
pub fn is_topic_name(name: &str) -> bool {
    (1..=256).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A plausible single email address (SNS validates the rest when it sends the confirmation).
pub fn is_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address.contains(char::is_whitespace)
        && !domain.contains('@')
        && address.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_and_addresses_are_checked_offline() {
        assert!(is_topic_name("bedrock-alerts_1"));
        assert!(!is_topic_name("alerts.fifo"));
        assert!(!is_topic_name(""));
        assert!(is_email("secops@example.com"));
        for bad in [
            "secops",
            "a@b",
            "a b@example.com",
            "@example.com",
            "a@@example.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn two_publishers_and_overlapping_addresses_unite_into_one_topic() {
        let mut props = json!({"policy": {"Version": POLICY_VERSION, "Statement": []}, "email": [], "tags": {}});
        let events = json!({"Sid": TOPIC_PUBLISH_SID, "Effect": "Allow", "Action": "sns:Publish"});
        let alarms = json!({"Sid": ALARMS_PUBLISH_SID, "Effect": "Allow", "Action": "sns:Publish"});
        unite(&mut props, &events, &["b@example.com".into()]);
        unite(
            &mut props,
            &alarms,
            &["B@example.com".into(), "a@example.com".into()],
        );
        unite(&mut props, &alarms, &[]);
        assert_eq!(props["email"], json!(["a@example.com", "b@example.com"]));
        let sids: Vec<&str> = props["policy"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect();
        assert_eq!(sids, [TOPIC_PUBLISH_SID, ALARMS_PUBLISH_SID]);
    }
}
