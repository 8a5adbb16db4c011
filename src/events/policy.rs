//! The policy documents EventBridge forwarding needs: the role rules assume, the SNS topic policy, the bus policy of the operations account.
//!
//! Pure builders; compare them with what AWS holds through [`crate::policy::equivalent`] and
//! describe drift with [`crate::policy::describe_differences`] (so "the role may now invoke any
//! API destination" shows as a changed `Resource`).

use serde_json::{json, Value};

use crate::policy::POLICY_VERSION;

/// The service principal EventBridge uses to assume target roles and to publish to SNS.
pub const EVENTS_SERVICE_PRINCIPAL: &str = "events.amazonaws.com";
/// Sid of warden's statement in an SNS topic policy.
pub const TOPIC_PUBLISH_SID: &str = "WardenEventBridgePublish";
/// Sid of warden's statement in the operations account's bus policy.
pub const BUS_PUT_EVENTS_SID: &str = "WardenGovernedAccountsPutEvents";

/// `arn:{partition}:events:{region}:{account}:rule/[{bus}/]{name}` (the default bus is not
/// part of the ARN).
pub fn rule_arn(
    partition: &str,
    region: &str,
    account: &str,
    bus: Option<&str>,
    name: &str,
) -> String {
    match bus {
        None | Some("default") => format!("arn:{partition}:events:{region}:{account}:rule/{name}"),
        Some(bus) => format!("arn:{partition}:events:{region}:{account}:rule/{bus}/{name}"),
    }
}

/// `arn:{partition}:events:{region}:{account}:event-bus/{name}`.
pub fn event_bus_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:events:{region}:{account}:event-bus/{name}")
}

/// Trust policy of the role a rule's target uses: only EventBridge, only for this account's
/// `rule_arns` (confused-deputy protection with `aws:SourceAccount` and `aws:SourceArn`).
pub fn target_role_trust_policy(account: &str, rule_arns: &[String]) -> Value {
    let mut arns = rule_arns.to_vec();
    arns.sort();
    arns.dedup();
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": EVENTS_SERVICE_PRINCIPAL},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnEquals": {"aws:SourceArn": arns},
            }
        }]
    })
}

/// Permissions of that role for an API destination target: `events:InvokeApiDestination` on
/// exactly these destinations (their full ARNs, `…:api-destination/<name>/<uuid>`).
pub fn invoke_api_destination_policy(destination_arns: &[String]) -> Value {
    let mut arns = destination_arns.to_vec();
    arns.sort();
    arns.dedup();
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{"Effect": "Allow", "Action": "events:InvokeApiDestination", "Resource": arns}]
    })
}

/// Permissions of that role for a target that is another account's event bus.
pub fn put_events_policy(bus_arn: &str) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn}]
    })
}

/// Sid of warden's statement in its CloudWatch Logs resource policy.
pub const LOGS_WRITE_SID: &str = "WardenEventBridgeToLogGroups";

/// warden's CloudWatch Logs resource policy (`logs_resource_policy`): EventBridge may create
/// streams and put events in exactly these log groups of `account` and `region`. The principals
/// are the two AWS documents for log group targets (EventBridge, and the log delivery service
/// that writes for it).
pub fn logs_write_policy(partition: &str, region: &str, account: &str, groups: &[String]) -> Value {
    let mut arns: Vec<String> = groups
        .iter()
        .map(|g| format!("arn:{partition}:logs:{region}:{account}:log-group:{g}:*"))
        .collect();
    arns.sort();
    arns.dedup();
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": LOGS_WRITE_SID,
            "Effect": "Allow",
            "Principal": {"Service": [EVENTS_SERVICE_PRINCIPAL, "delivery.logs.amazonaws.com"]},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": arns,
        }]
    })
}

/// Warden's statement for an SNS topic policy: EventBridge may publish, only on behalf of
/// rules of `account` in `region`. Merge it into the topic's policy with
/// [`crate::policy::upsert_statements`] under [`TOPIC_PUBLISH_SID`].
pub fn topic_publish_policy(
    partition: &str,
    region: &str,
    account: &str,
    topic_arn: &str,
) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": TOPIC_PUBLISH_SID,
            "Effect": "Allow",
            "Principal": {"Service": EVENTS_SERVICE_PRINCIPAL},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": format!("arn:{partition}:events:{region}:{account}:rule/*")},
            }
        }]
    })
}

/// Warden's statement for the operations account's bus policy: exactly the governed
/// `accounts` may put events on `bus_arn`. Merge under [`BUS_PUT_EVENTS_SID`].
pub fn bus_put_events_policy(partition: &str, bus_arn: &str, accounts: &[String]) -> Value {
    let mut principals: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:{partition}:iam::{a}:root"))
        .collect();
    principals.sort();
    principals.dedup();
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": BUS_PUT_EVENTS_SID,
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": "events:PutEvents",
            "Resource": bus_arn,
        }]
    })
}

/// Whether a statement allows `events:InvokeApiDestination` (directly or by wildcard) on every
/// API destination (`*`, or `…:api-destination/*`).
fn invokes_any_destination(doc: &Value) -> bool {
    let statements = match &doc["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    };
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_lowercase))
                .collect(),
            Value::String(s) => vec![s.to_lowercase()],
            _ => Vec::new(),
        }
    };
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && list(&s["Action"])
                .iter()
                .any(|a| a == "*" || a == "events:*" || a == "events:invokeapidestination")
            && list(&s["Resource"])
                .iter()
                .any(|r| r == "*" || r.ends_with(":api-destination/*") || r.ends_with(":*"))
    })
}

/// Plain words for permissions of a target role that are wider than the spec's (`live` vs
/// `desired` policy document): "the role may now invoke any API destination".
pub fn describe_widening(live: &Value, desired: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    if invokes_any_destination(live) && !invokes_any_destination(desired) {
        lines.push("the role may now invoke any API destination".to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{describe_differences, equivalent};

    #[test]
    fn arns() {
        assert_eq!(
            rule_arn("aws", "eu-west-1", "111122223333", None, "r"),
            "arn:aws:events:eu-west-1:111122223333:rule/r"
        );
        assert_eq!(
            rule_arn("aws", "eu-west-1", "111122223333", Some("default"), "r"),
            "arn:aws:events:eu-west-1:111122223333:rule/r"
        );
        assert_eq!(
            rule_arn("aws", "eu-west-1", "111122223333", Some("ops"), "r"),
            "arn:aws:events:eu-west-1:111122223333:rule/ops/r"
        );
        assert_eq!(
            event_bus_arn("aws", "eu-west-1", "1", "ops"),
            "arn:aws:events:eu-west-1:1:event-bus/ops"
        );
    }

    #[test]
    fn the_trust_policy_names_the_account_and_the_rules() {
        let rule = rule_arn("aws", "eu-west-1", "111122223333", None, "warden-dynatrace");
        let trust = target_role_trust_policy("111122223333", &[rule.clone(), rule.clone()]);
        let statement = &trust["Statement"][0];
        assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
        assert_eq!(
            statement["Condition"]["StringEquals"]["aws:SourceAccount"],
            "111122223333"
        );
        assert_eq!(
            statement["Condition"]["ArnEquals"]["aws:SourceArn"],
            json!([rule])
        );
    }

    #[test]
    fn widening_the_role_shows_as_a_difference() {
        let arn = "arn:aws:events:eu-west-1:111122223333:api-destination/warden-dynatrace/0b5c"
            .to_string();
        let desired = invoke_api_destination_policy(std::slice::from_ref(&arn));
        let same_in_other_layout = json!({"Version": "2012-10-17", "Statement": {"Action": ["events:InvokeApiDestination"],
                                          "Effect": "Allow", "Resource": arn}});
        assert!(equivalent(&same_in_other_layout, &desired));
        let widened = invoke_api_destination_policy(&["*".to_string()]);
        assert!(!equivalent(&widened, &desired));
        assert!(!describe_differences(&desired, &widened).is_empty());
    }

    #[test]
    fn topic_and_bus_policies() {
        let topic = topic_publish_policy(
            "aws",
            "eu-west-1",
            "111122223333",
            "arn:aws:sns:eu-west-1:111122223333:alerts",
        );
        let s = &topic["Statement"][0];
        assert_eq!(s["Sid"], TOPIC_PUBLISH_SID);
        assert_eq!(
            s["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws:events:eu-west-1:111122223333:rule/*"
        );
        let bus = bus_put_events_policy(
            "aws",
            "arn:aws:events:eu-west-1:999:event-bus/ops",
            &["2".into(), "1".into(), "2".into()],
        );
        assert_eq!(
            bus["Statement"][0]["Principal"]["AWS"],
            json!(["arn:aws:iam::1:root", "arn:aws:iam::2:root"])
        );
    }

    #[test]
    fn a_role_widened_to_every_destination_is_said_in_words() {
        let own = invoke_api_destination_policy(&[
            "arn:aws:events:eu-west-1:1:api-destination/warden-dynatrace/*".to_string(),
        ]);
        let any = invoke_api_destination_policy(&["*".to_string()]);
        assert_eq!(
            describe_widening(&any, &own),
            ["the role may now invoke any API destination"]
        );
        let all_of_them = invoke_api_destination_policy(&[
            "arn:aws:events:eu-west-1:1:api-destination/*".to_string(),
        ]);
        assert_eq!(describe_widening(&all_of_them, &own).len(), 1);
        assert!(describe_widening(&own, &own).is_empty());
    }
}
