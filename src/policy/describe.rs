//! Says in plain words how two policies differ, so a plan shows what a policy change means.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::normalize::{
    document_statements, lowercase_action, lowercase_condition_key, normalize, normalize_parts,
    text_of, NormalizedParts,
};

/// How two policies differ, in plain words for plan output, e.g.
/// `condition ArnLike aws:SourceArn removed from statement AmazonBedrockLogsWrite`,
/// `principal * added to statement #1`, `action s3:GetObject added to statement #2`.
///
/// Works on the normalized documents, so layout differences are never reported: equivalent
/// documents give an empty list. Statements are matched by `Sid` when they have one; statements
/// without a `Sid` are matched first to an identical statement, then in document order.
/// An unnamed statement is called `#n`, its 1-based position in its own document.
/// `before` or `after` may be JSON `null` (no policy): every statement is then added or removed.
/// Action names and condition keys are compared case-insensitively but shown as the documents
/// spell them (`after`'s spelling first); names only seen in lowercase (e.g. in documents that
/// were already normalized) are shown in their usual spelling when it is known
/// (`aws:SourceArn`, `sts:AssumeRole`, …).
pub fn describe_differences(before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let names = DisplayNames::of(&[after, before]);
    let (before_parts, after_parts) = match (normalize_parts(before), normalize_parts(after)) {
        (None, None) => {
            if normalize(before) != normalize(after) {
                out.push("policy document changed".to_string());
            }
            return out;
        }
        (Some(b), Some(a)) => {
            describe_top(&b.top, &a.top, &mut out);
            (b, a)
        }
        (b, a) => (b.unwrap_or_else(empty_parts), a.unwrap_or_else(empty_parts)),
    };
    let before_statements = labelled(before_parts.statements.unwrap_or_default());
    let after_statements = labelled(after_parts.statements.unwrap_or_default());
    let pairs = match_statements(&before_statements, &after_statements);

    let mut matched_before = vec![false; before_statements.len()];
    for (index, statement) in after_statements.iter().enumerate() {
        match pairs[index] {
            Some(before_index) => {
                matched_before[before_index] = true;
                let old = &before_statements[before_index];
                describe_statement(
                    &statement.label,
                    &old.body,
                    &statement.body,
                    &names,
                    &mut out,
                );
            }
            None => out.push(format!(
                "{} added: {}",
                statement.label,
                summary(&statement.body, &names)
            )),
        }
    }
    for (statement, matched) in before_statements.iter().zip(matched_before) {
        if !matched {
            out.push(format!(
                "{} removed: {}",
                statement.label,
                summary(&statement.body, &names)
            ));
        }
    }
    out
}

fn empty_parts() -> NormalizedParts {
    NormalizedParts {
        top: BTreeMap::new(),
        statements: None,
    }
}

/// A normalized statement with the name it goes by in messages.
struct Statement {
    sid: Option<String>,
    label: String,
    body: Value,
}

fn labelled(statements: Vec<Value>) -> Vec<Statement> {
    statements
        .into_iter()
        .enumerate()
        .map(|(index, body)| {
            let sid = body
                .get("Sid")
                .and_then(Value::as_str)
                .filter(|sid| !sid.is_empty())
                .map(str::to_string);
            let label = match &sid {
                Some(sid) => format!("statement {sid}"),
                None => format!("statement #{}", index + 1),
            };
            Statement { sid, label, body }
        })
        .collect()
}

/// For each `after` statement, the index of its `before` statement, if any.
fn match_statements(before: &[Statement], after: &[Statement]) -> Vec<Option<usize>> {
    let mut taken = vec![false; before.len()];
    let mut pairs = vec![None; after.len()];
    let pair = |pairs: &mut Vec<Option<usize>>,
                taken: &mut Vec<bool>,
                accept: &dyn Fn(&Statement, &Statement) -> bool| {
        for (index, statement) in after.iter().enumerate() {
            if pairs[index].is_some() {
                continue;
            }
            let found = before
                .iter()
                .enumerate()
                .position(|(i, old)| !taken[i] && accept(old, statement));
            if let Some(found) = found {
                taken[found] = true;
                pairs[index] = Some(found);
            }
        }
    };
    // By Sid; then unnamed statements to an identical one; then unnamed ones in order.
    pair(&mut pairs, &mut taken, &|old, new| {
        new.sid.is_some() && old.sid == new.sid
    });
    pair(&mut pairs, &mut taken, &|old, new| {
        new.sid.is_none() && old.sid.is_none() && old.body == new.body
    });
    pair(&mut pairs, &mut taken, &|old, new| {
        new.sid.is_none() && old.sid.is_none()
    });
    pairs
}

fn describe_top(
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
    out: &mut Vec<String>,
) {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        match (before.get(key), after.get(key)) {
            (Some(old), Some(new)) if old != new => out.push(format!(
                "policy {key} changed from {} to {}",
                display(old),
                display(new)
            )),
            (None, Some(new)) => out.push(format!("policy {key} {} added", display(new))),
            (Some(_), None) => out.push(format!("policy {key} removed")),
            _ => {}
        }
    }
}

/// Statement elements in the order messages about them appear; any others follow, sorted.
const ELEMENT_ORDER: [&str; 8] = [
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn describe_statement(
    label: &str,
    before: &Value,
    after: &Value,
    names: &DisplayNames,
    out: &mut Vec<String>,
) {
    if before == after {
        return;
    }
    let (Value::Object(old), Value::Object(new)) = (before, after) else {
        out.push(format!("{label} changed"));
        return;
    };
    let others: BTreeSet<&str> = old
        .keys()
        .chain(new.keys())
        .map(String::as_str)
        .filter(|key| *key != "Sid" && !ELEMENT_ORDER.contains(key))
        .collect();
    for key in ELEMENT_ORDER.into_iter().chain(others) {
        let (old_value, new_value) = (old.get(key), new.get(key));
        if old_value == new_value {
            continue;
        }
        let described = match key {
            "Effect" => false,
            "Principal" | "NotPrincipal" => describe_set(
                key,
                label,
                principals(old_value),
                principals(new_value),
                out,
            ),
            "Action" | "NotAction" => describe_set(
                key,
                label,
                strings(old_value).map(|set| names.actions(set)),
                strings(new_value).map(|set| names.actions(set)),
                out,
            ),
            "Resource" | "NotResource" => {
                describe_set(key, label, strings(old_value), strings(new_value), out)
            }
            "Condition" => describe_conditions(label, old_value, new_value, names, out),
            _ => false,
        };
        if !described {
            let noun = match key {
                "Effect" => "effect",
                "Principal" => "principal",
                "Action" => "action",
                "Resource" => "resource",
                "Condition" => "condition",
                other => other,
            };
            out.push(match (old_value, new_value) {
                (Some(old), Some(new)) => format!(
                    "{noun} of {label} changed from {} to {}",
                    display(old),
                    display(new)
                ),
                (None, Some(new)) => format!("{noun} {} added to {label}", display(new)),
                _ => format!("{noun} removed from {label}"),
            });
        }
    }
}

/// Reports set differences of one element; `false` when either side is not a set of strings.
fn describe_set(
    key: &str,
    label: &str,
    old: Option<BTreeSet<String>>,
    new: Option<BTreeSet<String>>,
    out: &mut Vec<String>,
) -> bool {
    let (Some(old), Some(new)) = (old, new) else {
        return false;
    };
    let noun = match key {
        "Principal" => "principal",
        "Action" => "action",
        "Resource" => "resource",
        other => other, // NotPrincipal, NotAction, NotResource: the element's own name
    };
    for item in old.difference(&new) {
        out.push(format!("{noun} {item} removed from {label}"));
    }
    for item in new.difference(&old) {
        out.push(format!("{noun} {item} added to {label}"));
    }
    true
}

/// A normalized string list as a set (absent = empty); `None` if it is anything else.
fn strings(value: Option<&Value>) -> Option<BTreeSet<String>> {
    match value {
        None => Some(BTreeSet::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect(),
        Some(_) => None,
    }
}

/// A normalized principal as readable names (`*`, `service bedrock.amazonaws.com`, an ARN, …).
fn principals(value: Option<&Value>) -> Option<BTreeSet<String>> {
    let Some(value) = value else {
        return Some(BTreeSet::new());
    };
    let Value::Object(kinds) = value else {
        return None;
    };
    let mut out = BTreeSet::new();
    for (kind, values) in kinds {
        for value in strings(Some(values))? {
            out.insert(principal_name(kind, &value));
        }
    }
    Some(out)
}

fn principal_name(kind: &str, value: &str) -> String {
    match kind {
        "AWS" => value.to_string(),
        "Service" => format!("service {value}"),
        "Federated" => format!("federated {value}"),
        "CanonicalUser" => format!("canonical user {value}"),
        other => format!("{other} {value}"),
    }
}

/// `(operator, key) → values` of a normalized `Condition`; `None` if it is malformed.
fn conditions(value: Option<&Value>) -> Option<BTreeMap<(String, String), Vec<String>>> {
    let Some(value) = value else {
        return Some(BTreeMap::new());
    };
    let Value::Object(operators) = value else {
        return None;
    };
    let mut out = BTreeMap::new();
    for (operator, block) in operators {
        let Value::Object(keys) = block else {
            return None;
        };
        for (key, values) in keys {
            let values = match values {
                Value::Array(items) => items
                    .iter()
                    .map(|item| item.as_str().map_or_else(|| text_of(item), str::to_string))
                    .collect(),
                other => vec![text_of(other)],
            };
            out.insert((operator.clone(), key.clone()), values);
        }
    }
    Some(out)
}

fn describe_conditions(
    label: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    names: &DisplayNames,
    out: &mut Vec<String>,
) -> bool {
    let (Some(old), Some(new)) = (conditions(old), conditions(new)) else {
        return false;
    };
    let keys: BTreeSet<&(String, String)> = old.keys().chain(new.keys()).collect();
    for entry in keys {
        let (operator, key) = entry;
        let key = names.condition_key(key);
        match (old.get(entry), new.get(entry)) {
            (Some(before), Some(after)) if before != after => out.push(format!(
                "condition {operator} {key} of {label} changed from {} to {}",
                list(before),
                list(after)
            )),
            (Some(_), None) => out.push(format!("condition {operator} {key} removed from {label}")),
            (None, Some(after)) => out.push(format!(
                "condition {operator} {key} {} added to {label}",
                list(after)
            )),
            _ => {}
        }
    }
    true
}

/// One line about a whole statement: `Allow sts:AssumeRole for service bedrock.amazonaws.com
/// with conditions on aws:SourceAccount, aws:SourceArn`.
fn summary(statement: &Value, names: &DisplayNames) -> String {
    let Value::Object(map) = statement else {
        return display(statement);
    };
    let joined = |items: BTreeSet<String>| items.into_iter().collect::<Vec<_>>().join(", ");
    let mut parts = vec![map
        .get("Effect")
        .map_or_else(|| "(no Effect)".to_string(), display)];
    let element = |key: &str| map.get(key).map(|value| strings(Some(value)));
    if let Some(actions) = element("Action") {
        parts.push(actions.map_or_else(|| "(odd Action)".into(), |a| joined(names.actions(a))));
    }
    if let Some(actions) = element("NotAction") {
        let actions =
            actions.map_or_else(|| "(odd NotAction)".into(), |a| joined(names.actions(a)));
        parts.push(format!("all actions except {actions}"));
    }
    let principal = |key: &str| map.get(key).map(|value| principals(Some(value)));
    if let Some(who) = principal("Principal") {
        parts.push(format!(
            "for {}",
            who.map_or_else(|| "(odd Principal)".into(), joined)
        ));
    }
    if let Some(who) = principal("NotPrincipal") {
        let who = who.map_or_else(|| "(odd NotPrincipal)".into(), joined);
        parts.push(format!("for everyone except {who}"));
    }
    if let Some(resources) = element("Resource") {
        parts.push(format!(
            "on {}",
            resources.map_or_else(|| "(odd Resource)".into(), joined)
        ));
    }
    if let Some(resources) = element("NotResource") {
        let resources = resources.map_or_else(|| "(odd NotResource)".into(), joined);
        parts.push(format!("on everything except {resources}"));
    }
    match conditions(map.get("Condition")) {
        Some(found) if found.is_empty() => {
            if map.contains_key("Principal") || map.contains_key("NotPrincipal") {
                parts.push("without conditions".to_string());
            }
        }
        Some(found) => {
            let keys: BTreeSet<String> = found
                .keys()
                .map(|(_, key)| names.condition_key(key))
                .collect();
            parts.push(format!("with conditions on {}", joined(keys)));
        }
        None => parts.push("with conditions".to_string()),
    }
    parts.join(" ")
}

fn list(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

/// A value in a message: strings as they are, anything else as compact JSON.
fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => text_of(other),
    }
}

/// How the documents spell names that normalization lowercases.
struct DisplayNames {
    actions: HashMap<String, String>,
    condition_keys: HashMap<String, String>,
}

impl DisplayNames {
    /// Spellings from `docs`, the first document's first. All-lowercase spellings are not
    /// recorded: they are what normalized documents carry, and the usual spelling reads better.
    fn of(docs: &[&Value]) -> Self {
        let mut names = DisplayNames {
            actions: HashMap::new(),
            condition_keys: HashMap::new(),
        };
        for doc in docs {
            for statement in document_statements(doc) {
                for key in ["Action", "NotAction"] {
                    let written = match statement.get(key) {
                        Some(Value::String(action)) => vec![action.as_str()],
                        Some(Value::Array(items)) => {
                            items.iter().filter_map(Value::as_str).collect()
                        }
                        _ => Vec::new(),
                    };
                    for action in written {
                        let lowered = lowercase_action(action);
                        if lowered != *action {
                            names
                                .actions
                                .entry(lowered)
                                .or_insert_with(|| action.to_string());
                        }
                    }
                }
                let operators = statement.get("Condition").and_then(Value::as_object);
                for block in operators.into_iter().flat_map(Map::values) {
                    for key in block.as_object().into_iter().flat_map(Map::keys) {
                        let lowered = lowercase_condition_key(key);
                        if lowered != *key {
                            names
                                .condition_keys
                                .entry(lowered)
                                .or_insert_with(|| key.clone());
                        }
                    }
                }
            }
        }
        names
    }

    fn actions(&self, actions: BTreeSet<String>) -> BTreeSet<String> {
        actions
            .into_iter()
            .map(|action| match self.actions.get(&action) {
                Some(written) => written.clone(),
                None => well_known(&action, WELL_KNOWN_ACTIONS).unwrap_or(action),
            })
            .collect()
    }

    fn condition_key(&self, key: &str) -> String {
        match self.condition_keys.get(key) {
            Some(written) => written.clone(),
            None => well_known(key, WELL_KNOWN_CONDITION_KEYS).unwrap_or_else(|| key.to_string()),
        }
    }
}

/// Usual spellings of actions, for documents that were already normalized (all lowercase).
const WELL_KNOWN_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "s3:PutObject",
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:GetBucketAcl",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
    "bedrock:PutModelInvocationLoggingConfiguration",
    "bedrock:DeleteModelInvocationLoggingConfiguration",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "iam:PassRole",
];

/// Usual spellings of condition keys, for documents that were already normalized.
const WELL_KNOWN_CONDITION_KEYS: &[&str] = &[
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SecureTransport",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName",
    "aws:PrincipalType",
    "aws:CalledVia",
    "aws:ViaAWSService",
    "aws:MultiFactorAuthPresent",
    "aws:RequestedRegion",
    "aws:TagKeys",
    "aws:userid",
    "aws:username",
    "s3:x-amz-acl",
    "s3:x-amz-server-side-encryption",
    "iam:PassedToService",
];

/// The usual spelling of a lowercased name, if it is in `table`. A `/suffix` (tag key) is kept:
/// `aws:resourcetag/Project` → `aws:ResourceTag/Project`.
fn well_known(lowercased: &str, table: &[&str]) -> Option<String> {
    const TAG_KEYS: &[&str] = &["aws:PrincipalTag", "aws:ResourceTag", "aws:RequestTag"];
    if let Some((name, rest)) = lowercased.split_once('/') {
        let name = TAG_KEYS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(name))?;
        return Some(format!("{name}/{rest}"));
    }
    table
        .iter()
        .find(|known| known.eq_ignore_ascii_case(lowercased))
        .map(|known| known.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{
        bedrock_logging_bucket_policy, bedrock_logging_trust_policy, statements_with_sid,
        BEDROCK_LOGS_SID,
    };
    use serde_json::json;

    fn trust() -> Value {
        bedrock_logging_trust_policy("aws", "123456789012", "us-east-1")
    }

    #[test]
    fn equivalent_documents_have_no_differences() {
        let returned = json!({"Statement": {"Action": ["STS:AssumeRole"], "Effect": "Allow",
            "Principal": {"Service": ["bedrock.amazonaws.com"]},
            "Condition": {"ArnLike": {"aws:sourcearn": "arn:aws:bedrock:us-east-1:123456789012:*"},
                          "StringEquals": {"AWS:SourceAccount": 123456789012_u64}}}});
        assert_eq!(
            describe_differences(&trust(), &returned),
            Vec::<String>::new()
        );
    }

    #[test]
    fn trust_policy_loosened_by_removing_conditions() {
        let mut loosened = trust();
        loosened["Statement"][0]
            .as_object_mut()
            .unwrap()
            .remove("Condition");
        assert_eq!(
            describe_differences(&trust(), &loosened),
            [
                "condition ArnLike aws:SourceArn removed from statement #1",
                "condition StringEquals aws:SourceAccount removed from statement #1",
            ]
        );
        // And back: the plan that repairs it says what it adds.
        assert_eq!(
            describe_differences(&loosened, &trust()),
            [
                "condition ArnLike aws:SourceArn [arn:aws:bedrock:us-east-1:123456789012:*] added to statement #1",
                "condition StringEquals aws:SourceAccount [123456789012] added to statement #1",
            ]
        );
    }

    #[test]
    fn already_normalized_documents_are_shown_with_usual_spellings() {
        let mut loosened = trust();
        loosened["Statement"][0]["Condition"]
            .as_object_mut()
            .unwrap()
            .remove("ArnLike");
        loosened["Statement"][0]["Action"] = json!(["sts:AssumeRole", "sts:TagSession"]);
        assert_eq!(
            describe_differences(&normalize(&trust()), &normalize(&loosened)),
            [
                "action sts:tagsession added to statement #1",
                "condition ArnLike aws:SourceArn removed from statement #1",
            ]
        );
        let tagged = json!({"Statement": [{"Effect": "Allow", "Action": "BEDROCK:INVOKEMODEL", "Resource": "*",
            "Condition": {"StringEquals": {"AWS:RESOURCETAG/Project": "ai"}}}]});
        assert_eq!(
            describe_differences(&Value::Null, &normalize(&tagged)),
            ["statement #1 added: Allow bedrock:InvokeModel on * with conditions on aws:ResourceTag/Project"]
        );
    }

    #[test]
    fn trust_policy_loosened_by_dropping_one_condition() {
        let mut loosened = trust();
        loosened["Statement"][0]["Condition"]
            .as_object_mut()
            .unwrap()
            .remove("ArnLike");
        assert_eq!(
            describe_differences(&trust(), &loosened),
            ["condition ArnLike aws:SourceArn removed from statement #1"]
        );
    }

    #[test]
    fn trust_policy_loosened_by_principal_star() {
        let mut loosened = trust();
        loosened["Statement"][0]["Principal"] = json!("*");
        assert_eq!(
            describe_differences(&trust(), &loosened),
            [
                "principal service bedrock.amazonaws.com removed from statement #1",
                "principal * added to statement #1",
            ]
        );
    }

    #[test]
    fn condition_values_changed() {
        let mut other_account = trust();
        other_account["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] =
            json!("210987654321");
        assert_eq!(
            describe_differences(&trust(), &other_account),
            ["condition StringEquals aws:SourceAccount of statement #1 changed from [123456789012] to [210987654321]"]
        );
    }

    #[test]
    fn bucket_policy_statement_matched_by_sid() {
        let ours = bedrock_logging_bucket_policy("aws", "logs", "", "123456789012", "us-east-1");
        let mut live = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": "arn:aws:s3:::logs/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        ]});
        let mut tampered = ours["Statement"][0].clone();
        tampered["Action"] = json!(["s3:PutObject", "s3:GetObject"]);
        tampered["Condition"]
            .as_object_mut()
            .unwrap()
            .remove("ArnLike");
        live["Statement"].as_array_mut().unwrap().push(tampered);
        assert_eq!(
            describe_differences(&live, &crate::policy::upsert_statements(Some(&live), &ours, BEDROCK_LOGS_SID)),
            [
                "action s3:GetObject removed from statement AmazonBedrockLogsWrite",
                "condition ArnLike aws:SourceArn [arn:aws:bedrock:us-east-1:123456789012:*] added to statement AmazonBedrockLogsWrite",
            ]
        );
        // Comparing only what the tool owns gives the same, seen from the other side.
        assert_eq!(
            describe_differences(&ours, &statements_with_sid(&live, BEDROCK_LOGS_SID)),
            [
                "action s3:GetObject added to statement AmazonBedrockLogsWrite",
                "condition ArnLike aws:SourceArn removed from statement AmazonBedrockLogsWrite",
            ]
        );
    }

    #[test]
    fn statements_added_and_removed() {
        let ours = bedrock_logging_bucket_policy("aws", "logs", "", "123456789012", "us-east-1");
        assert_eq!(
            describe_differences(&Value::Null, &ours),
            ["statement AmazonBedrockLogsWrite added: Allow s3:PutObject for service bedrock.amazonaws.com \
              on arn:aws:s3:::logs/AWSLogs/123456789012/BedrockModelInvocationLogs/* \
              with conditions on aws:SourceAccount, aws:SourceArn"]
        );
        let empty = statements_with_sid(
            &json!({"Version": "2012-10-17", "Statement": []}),
            BEDROCK_LOGS_SID,
        );
        assert_eq!(
            describe_differences(&ours, &empty),
            ["statement AmazonBedrockLogsWrite removed: Allow s3:PutObject for service bedrock.amazonaws.com \
              on arn:aws:s3:::logs/AWSLogs/123456789012/BedrockModelInvocationLogs/* \
              with conditions on aws:SourceAccount, aws:SourceArn"]
        );
    }

    #[test]
    fn an_added_open_statement_says_it_has_no_conditions() {
        let mut widened = trust();
        widened["Statement"].as_array_mut().unwrap().push(json!({
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}));
        assert_eq!(
            describe_differences(&trust(), &widened),
            ["statement #2 added: Allow sts:AssumeRole for * without conditions"]
        );
    }

    #[test]
    fn unnamed_statements_match_identical_ones_before_going_by_order() {
        let read =
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/*"});
        let write =
            json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::a/*"});
        let mut write_more = write.clone();
        write_more["Resource"] = json!(["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]);
        let before = json!({"Version": "2012-10-17", "Statement": [read.clone(), write]});
        let after = json!({"Version": "2012-10-17", "Statement": [write_more, read]});
        assert_eq!(
            describe_differences(&before, &after),
            ["resource arn:aws:s3:::b/* added to statement #1"]
        );
    }

    #[test]
    fn effect_version_and_other_elements() {
        let before = json!({"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow",
            "Action": "s3:*", "NotResource": "arn:aws:s3:::a/*"}]});
        let after = json!({"Version": "2012-10-17", "Id": "P1", "Statement": [{"Sid": "A", "Effect": "Deny",
            "NotAction": "s3:*", "NotResource": "arn:aws:s3:::b/*"}]});
        assert_eq!(
            describe_differences(&before, &after),
            [
                "policy Id P1 added",
                "effect of statement A changed from Allow to Deny",
                "action s3:* removed from statement A",
                "NotAction s3:* added to statement A",
                "NotResource arn:aws:s3:::a/* removed from statement A",
                "NotResource arn:aws:s3:::b/* added to statement A",
            ]
        );
    }

    #[test]
    fn policy_variables_make_a_missing_version_a_difference() {
        let statement = json!({"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::home/${aws:username}/*"});
        let before = json!({"Statement": [statement.clone()]});
        let after = json!({"Version": "2012-10-17", "Statement": [statement]});
        assert_eq!(
            describe_differences(&before, &after),
            ["policy Version changed from 2008-10-17 to 2012-10-17"]
        );
    }
}
