//! Canonical form of IAM and resource policies, so documents that mean the same compare equal.
//!
//! Every rule here only merges forms that AWS documents as meaning the same thing: when in
//! doubt a difference is kept (a spurious change in a plan is a nuisance; a hidden one is a
//! security hole).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

/// The current policy language version, which the tool writes.
pub const POLICY_VERSION: &str = "2012-10-17";
/// The old policy language version, which AWS assumes when `Version` is absent.
const LEGACY_VERSION: &str = "2008-10-17";

/// Canonical form of an IAM or resource policy, so two documents that mean the same compare
/// equal:
///
/// - `Version`: absent means `2008-10-17` (AWS's default), and `2008-10-17` means the same as
///   `2012-10-17` unless the document uses policy variables (`${…}`), which only 2012 expands.
///   So without variables, absent / 2008 / 2012 all become `"2012-10-17"`. `Id` is kept.
/// - `Statement`: an object becomes a one-element list; statements are sorted by their canonical
///   JSON text (their order has no meaning). `Sid` is kept as is.
/// - `Action`, `NotAction`, `Resource`, `NotResource`: a string becomes a list; lists are sorted
///   and deduplicated. Actions are lowercased (IAM action names are case-insensitive).
/// - `Principal`, `NotPrincipal`: `"*"` becomes `{"AWS": ["*"]}`; each principal type's values
///   become a sorted, deduplicated list; a bare account ID `"123456789012"` in `AWS` becomes
///   `"arn:<partition>:iam::123456789012:root"`, the partition taken from the document's other
///   ARNs (`aws` when it has none; left as written when they disagree).
/// - `Condition`: operators are kept as written; condition key names are lowercased (they are
///   case-insensitive), except a `/suffix` such as a tag key, which is kept; each value becomes
///   a sorted, deduplicated list of strings, booleans and numbers as strings (`true` == `"true"`).
///   If two keys of one operator differ only in case, both are kept as written. An empty
///   `Condition` (`{}`) is the same as none.
/// - Keys of every object are sorted; anything unknown is kept (with its keys sorted).
///
/// A value that is not a JSON object is returned with its object keys sorted, nothing more.
pub fn normalize(doc: &Value) -> Value {
    let Some(parts) = normalize_parts(doc) else {
        return canonical(doc);
    };
    let mut out = parts.top;
    if let Some(statements) = parts.statements {
        out.insert("Statement".to_string(), Value::Array(sorted(statements)));
    }
    Value::Object(out.into_iter().collect())
}

/// `normalize(a) == normalize(b)`: the two documents mean the same.
pub fn equivalent(a: &Value, b: &Value) -> bool {
    normalize(a) == normalize(b)
}

/// A normalized document taken apart: what `describe_differences` needs to match statements.
pub(crate) struct NormalizedParts {
    /// Every top-level element except `Statement`, normalized.
    pub top: BTreeMap<String, Value>,
    /// The normalized statements in the document's own order; `None` without a `Statement`.
    pub statements: Option<Vec<Value>>,
}

/// The normalized parts of `doc`, or `None` when `doc` is not a JSON object.
pub(crate) fn normalize_parts(doc: &Value) -> Option<NormalizedParts> {
    let Value::Object(map) = doc else {
        return None;
    };
    let context = Context::of(doc);
    let mut top = BTreeMap::new();
    let mut statements = None;
    for (key, value) in map {
        match key.as_str() {
            "Statement" => {
                statements = Some(
                    statement_list(value)
                        .into_iter()
                        .map(|statement| normalize_statement(statement, &context))
                        .collect(),
                );
            }
            "Version" => {
                top.insert(key.clone(), context.version(Some(value)));
            }
            _ => {
                top.insert(key.clone(), canonical(value));
            }
        }
    }
    top.entry("Version".to_string())
        .or_insert_with(|| context.version(None));
    Some(NormalizedParts { top, statements })
}

/// The statements of a `Statement` element: a list as is, a single statement as a list of one.
pub(crate) fn statement_list(statement: &Value) -> Vec<&Value> {
    match statement {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// The statements of a document (its `Statement` element), or none.
pub(crate) fn document_statements(doc: &Value) -> Vec<&Value> {
    doc.get("Statement").map(statement_list).unwrap_or_default()
}

/// Lowercases a condition key name (`AWS:SourceArn` → `aws:sourcearn`), keeping any `/suffix`
/// (`aws:ResourceTag/Project` → `aws:resourcetag/Project`): tag keys may be case-sensitive.
pub(crate) fn lowercase_condition_key(key: &str) -> String {
    match key.split_once('/') {
        Some((name, rest)) => format!("{}/{rest}", name.to_ascii_lowercase()),
        None => key.to_ascii_lowercase(),
    }
}

/// Lowercases an action name (`S3:PutObject` → `s3:putobject`).
pub(crate) fn lowercase_action(action: &str) -> String {
    action.to_ascii_lowercase()
}

/// What the rules need to know about the whole document.
struct Context {
    /// Partition for bare account IDs, or `None` when the document's ARNs disagree.
    partition: Option<String>,
    /// Whether any string contains a policy variable (`${…}`).
    uses_variables: bool,
}

impl Context {
    fn of(doc: &Value) -> Self {
        let mut partitions = BTreeSet::new();
        let mut uses_variables = false;
        visit_strings(doc, &mut |text| {
            if text.contains("${") {
                uses_variables = true;
            }
            if let Some(rest) = text.strip_prefix("arn:") {
                if let Some((partition, _)) = rest.split_once(':') {
                    if !partition.is_empty() {
                        partitions.insert(partition.to_string());
                    }
                }
            }
        });
        let partition = match partitions.len() {
            0 => Some("aws".to_string()),
            1 => partitions.into_iter().next(),
            _ => None,
        };
        Context {
            partition,
            uses_variables,
        }
    }

    /// The normalized `Version` element (`None` when absent).
    fn version(&self, version: Option<&Value>) -> Value {
        match version {
            None => self.legacy_version(),
            Some(Value::String(text)) if text == LEGACY_VERSION => self.legacy_version(),
            Some(other) => canonical(other),
        }
    }

    /// What `2008-10-17` (or no `Version`) means: the same as `2012-10-17` unless the document
    /// has policy variables, which 2008-10-17 reads as literal text.
    fn legacy_version(&self) -> Value {
        let version = if self.uses_variables {
            LEGACY_VERSION
        } else {
            POLICY_VERSION
        };
        Value::String(version.to_string())
    }

    /// `"123456789012"` → `"arn:aws:iam::123456789012:root"`; anything else unchanged.
    fn account_principal(&self, value: &str) -> String {
        let is_account_id = value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit());
        match &self.partition {
            Some(partition) if is_account_id => format!("arn:{partition}:iam::{value}:root"),
            _ => value.to_string(),
        }
    }
}

fn visit_strings(value: &Value, visit: &mut impl FnMut(&str)) {
    match value {
        Value::String(text) => visit(text),
        Value::Array(items) => items.iter().for_each(|item| visit_strings(item, visit)),
        Value::Object(map) => map.values().for_each(|item| visit_strings(item, visit)),
        _ => {}
    }
}

fn normalize_statement(statement: &Value, context: &Context) -> Value {
    let Value::Object(map) = statement else {
        return canonical(statement);
    };
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let normalized = match key.as_str() {
            "Action" | "NotAction" => string_set(value, lowercase_action),
            "Resource" | "NotResource" => string_set(value, str::to_string),
            "Principal" | "NotPrincipal" => normalize_principal(value, context),
            "Condition" => normalize_condition(value),
            _ => canonical(value),
        };
        if key == "Condition" && normalized.as_object().is_some_and(Map::is_empty) {
            continue; // `"Condition": {}` sets no condition
        }
        out.insert(key.clone(), normalized);
    }
    Value::Object(out.into_iter().collect())
}

/// A string or list of strings as a sorted, deduplicated list, each string mapped by `map`.
/// Anything malformed (non-string items, objects) is kept in canonical form.
fn string_set(value: &Value, map: impl Fn(&str) -> String) -> Value {
    let item = |value: &Value| match value {
        Value::String(text) => Value::String(map(text)),
        other => canonical(other),
    };
    match value {
        Value::String(_) => Value::Array(vec![item(value)]),
        Value::Array(items) => Value::Array(sorted_unique(items.iter().map(item).collect())),
        other => canonical(other),
    }
}

fn normalize_principal(principal: &Value, context: &Context) -> Value {
    match principal {
        Value::String(text) if text == "*" => {
            let mut out = Map::new();
            out.insert("AWS".to_string(), Value::Array(vec![principal.clone()]));
            Value::Object(out)
        }
        Value::Object(map) => {
            let out: BTreeMap<String, Value> = map
                .iter()
                .map(|(kind, values)| {
                    let normalized = if kind == "AWS" {
                        string_set(values, |value| context.account_principal(value))
                    } else {
                        string_set(values, str::to_string)
                    };
                    (kind.clone(), normalized)
                })
                .collect();
            Value::Object(out.into_iter().collect())
        }
        other => canonical(other),
    }
}

fn normalize_condition(condition: &Value) -> Value {
    let Value::Object(operators) = condition else {
        return canonical(condition);
    };
    let mut out = BTreeMap::new();
    for (operator, block) in operators {
        let normalized = match block {
            Value::Object(keys) => {
                let mut seen: HashMap<String, usize> = HashMap::new();
                for key in keys.keys() {
                    *seen.entry(lowercase_condition_key(key)).or_default() += 1;
                }
                let block: BTreeMap<String, Value> = keys
                    .iter()
                    .map(|(key, values)| {
                        let lower = lowercase_condition_key(key);
                        let name = if seen[&lower] == 1 {
                            lower
                        } else {
                            key.clone()
                        };
                        (name, condition_values(values))
                    })
                    .collect();
                Value::Object(block.into_iter().collect())
            }
            other => canonical(other),
        };
        out.insert(operator.clone(), normalized);
    }
    Value::Object(out.into_iter().collect())
}

/// Condition values as a sorted, deduplicated list of strings: IAM compares booleans and
/// numbers by their text (`true` == `"true"`, `12` == `"12"`).
fn condition_values(values: &Value) -> Value {
    let item = |value: &Value| match value {
        Value::Bool(flag) => Value::String(flag.to_string()),
        Value::Number(number) => Value::String(number.to_string()),
        other => canonical(other),
    };
    match values {
        Value::Array(items) => Value::Array(sorted_unique(items.iter().map(item).collect())),
        Value::Object(_) => canonical(values),
        scalar => Value::Array(vec![item(scalar)]),
    }
}

/// `value` with the keys of every object sorted, recursively; nothing else changed.
pub(crate) fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> = map
                .iter()
                .map(|(key, item)| (key, canonical(item)))
                .collect();
            Value::Object(
                sorted
                    .into_iter()
                    .map(|(key, item)| (key.clone(), item))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The compact JSON text of a (canonical) value, which orders and identifies it.
pub(crate) fn text_of(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn sorted(values: Vec<Value>) -> Vec<Value> {
    let mut keyed: Vec<(String, Value)> = values.into_iter().map(|v| (text_of(&v), v)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, value)| value).collect()
}

fn sorted_unique(values: Vec<Value>) -> Vec<Value> {
    let mut keyed: Vec<(String, Value)> = values.into_iter().map(|v| (text_of(&v), v)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    keyed.into_iter().map(|(_, value)| value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Keys of every object, in their stored order.
    fn keys_in_order(value: &Value, out: &mut Vec<Vec<String>>) {
        match value {
            Value::Object(map) => {
                out.push(map.keys().cloned().collect());
                map.values().for_each(|item| keys_in_order(item, out));
            }
            Value::Array(items) => items.iter().for_each(|item| keys_in_order(item, out)),
            _ => {}
        }
    }

    fn assert_keys_sorted(value: &Value) {
        let mut all = Vec::new();
        keys_in_order(value, &mut all);
        for keys in all {
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted, "object keys not sorted in {value}");
        }
    }

    /// The trust policy as the tool writes it.
    fn trust() -> Value {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:us-east-1:123456789012:*"}
            }
        }]})
    }

    #[test]
    fn absent_version_is_2012_without_policy_variables() {
        let mut without = trust();
        without.as_object_mut().unwrap().remove("Version");
        assert_eq!(normalize(&without)["Version"], json!("2012-10-17"));
        assert!(equivalent(&without, &trust()));
        // Old S3 bucket policies say 2008-10-17: the same without variables.
        let mut legacy = trust();
        legacy["Version"] = json!("2008-10-17");
        assert!(equivalent(&legacy, &trust()));
    }

    #[test]
    fn absent_version_is_not_2012_with_policy_variables() {
        // Under 2008-10-17 (the default) `${aws:username}` is a literal, not a variable.
        let with_variable = json!({"Statement": [{
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::home/${aws:username}/*"
        }]});
        let mut current = with_variable.clone();
        current["Version"] = json!("2012-10-17");
        assert_eq!(normalize(&with_variable)["Version"], json!("2008-10-17"));
        assert!(!equivalent(&with_variable, &current));
    }

    #[test]
    fn id_and_sid_are_kept() {
        let doc = json!({"Version": "2012-10-17", "Id": "BucketPolicy-1", "Statement": [{
            "Sid": "AmazonBedrockLogsWrite", "Effect": "Allow", "Action": "s3:PutObject",
            "Principal": {"Service": "bedrock.amazonaws.com"}, "Resource": "arn:aws:s3:::b/*"
        }]});
        let normalized = normalize(&doc);
        assert_eq!(normalized["Id"], json!("BucketPolicy-1"));
        assert_eq!(
            normalized["Statement"][0]["Sid"],
            json!("AmazonBedrockLogsWrite")
        );
        let mut other_id = doc.clone();
        other_id["Id"] = json!("BucketPolicy-2");
        assert!(!equivalent(&doc, &other_id));
    }

    #[test]
    fn single_statement_object_equals_one_element_list() {
        let mut as_object = trust();
        as_object["Statement"] = trust()["Statement"][0].clone();
        assert!(equivalent(&as_object, &trust()));
        assert!(normalize(&as_object)["Statement"].is_array());
    }

    #[test]
    fn statement_order_does_not_matter() {
        let a = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::logs-bucket", "arn:aws:s3:::logs-bucket/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "AmazonBedrockLogsWrite", "Effect": "Allow",
             "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": ["s3:PutObject"],
             "Resource": ["arn:aws:s3:::logs-bucket/AWSLogs/123456789012/BedrockModelInvocationLogs/*"]}
        ]});
        let mut b = a.clone();
        b["Statement"].as_array_mut().unwrap().reverse();
        assert_ne!(a, b);
        assert!(equivalent(&a, &b));
        assert_eq!(normalize(&a), normalize(&b));
    }

    #[test]
    fn object_keys_are_sorted_everywhere() {
        let doc = json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "X", "Effect": "Allow", "Action": "s3:PutObject",
            "Principal": {"Service": "bedrock.amazonaws.com", "AWS": "arn:aws:iam::123456789012:root"},
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "1", "aws:PrincipalOrgID": "o-1"},
                          "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:*"}},
            "Unknown": {"z": 1, "a": {"y": 2, "b": 3}}
        }]});
        let normalized = normalize(&doc);
        assert_keys_sorted(&normalized);
        // The text is therefore stable: the same document written in another key order gives
        // the very same text.
        let reordered: Value = serde_json::from_str(
            r#"{"Statement":[{"Unknown":{"a":{"b":3,"y":2},"z":1},"Resource":"*",
                "Principal":{"AWS":"arn:aws:iam::123456789012:root","Service":"bedrock.amazonaws.com"},
                "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:bedrock:*"},
                             "StringEquals":{"aws:PrincipalOrgID":"o-1","aws:SourceAccount":"1"}},
                "Effect":"Allow","Action":"s3:PutObject","Sid":"X"}],"Version":"2012-10-17"}"#,
        )
        .unwrap();
        assert_eq!(text_of(&normalize(&reordered)), text_of(&normalized));
    }

    #[test]
    fn actions_are_lists_sorted_deduplicated_and_lowercased() {
        let a = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["logs:PutLogEvents", "Logs:CreateLogStream", "logs:putlogevents"],
            "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:bedrock:log-stream:aws/bedrock/modelinvocations"
        }]});
        let b = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": ["arn:aws:logs:us-east-1:123456789012:log-group:bedrock:log-stream:aws/bedrock/modelinvocations"]
        }]});
        assert!(equivalent(&a, &b));
        assert_eq!(
            normalize(&a)["Statement"][0]["Action"],
            json!(["logs:createlogstream", "logs:putlogevents"])
        );
        let single =
            json!({"Statement": {"Effect": "Allow", "Action": "S3:PutObject", "Resource": "*"}});
        let list = json!({"Statement": [{"Effect": "Allow", "Action": ["s3:putobject"], "Resource": ["*"]}]});
        assert!(equivalent(&single, &list));
        let not_action =
            json!({"Statement": {"Effect": "Deny", "NotAction": "IAM:*", "Resource": "*"}});
        assert_eq!(
            normalize(&not_action)["Statement"][0]["NotAction"],
            json!(["iam:*"])
        );
    }

    #[test]
    fn resources_are_lists_sorted_deduplicated_but_case_sensitive() {
        let a = json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]}]});
        let b = json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]}]});
        assert!(equivalent(&a, &b));
        let upper = json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": ["arn:aws:s3:::A/*", "arn:aws:s3:::b/*"]}]});
        assert!(!equivalent(&b, &upper));
        let not_resource = json!({"Statement": [{"Effect": "Deny", "Action": "s3:*",
            "NotResource": "arn:aws:s3:::a/*"}]});
        assert_eq!(
            normalize(&not_resource)["Statement"][0]["NotResource"],
            json!(["arn:aws:s3:::a/*"])
        );
    }

    #[test]
    fn star_principal_equals_aws_star() {
        let star = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]});
        let aws_star = json!({"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}]});
        let aws_star_list = json!({"Statement": [{"Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": "s3:*", "Resource": "*"}]});
        assert!(equivalent(&star, &aws_star));
        assert!(equivalent(&star, &aws_star_list));
        assert_eq!(
            normalize(&star)["Statement"][0]["Principal"],
            json!({"AWS": ["*"]})
        );
        let not_principal = json!({"Statement": [{"Effect": "Deny", "NotPrincipal": "*", "Action": "s3:*", "Resource": "*"}]});
        assert_eq!(
            normalize(&not_principal)["Statement"][0]["NotPrincipal"],
            json!({"AWS": ["*"]})
        );
    }

    #[test]
    fn principal_values_are_sorted_deduplicated_lists() {
        let a = json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": ["lambda.amazonaws.com", "bedrock.amazonaws.com", "bedrock.amazonaws.com"]}}]});
        let b = json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": ["bedrock.amazonaws.com", "lambda.amazonaws.com"]}}]});
        assert!(equivalent(&a, &b));
        let single = json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "bedrock.amazonaws.com"}}]});
        assert_eq!(
            normalize(&single)["Statement"][0]["Principal"],
            json!({"Service": ["bedrock.amazonaws.com"]})
        );
    }

    #[test]
    fn account_id_principal_equals_root_arn() {
        // IAM stores `"AWS": "111122223333"` and returns the root ARN.
        let written = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:role/Auditor"]},
            "Action": "sts:AssumeRole"}]});
        let returned = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:role/Auditor"]},
            "Action": "sts:AssumeRole"}]});
        assert!(equivalent(&written, &returned));
        // No other ARN: the `aws` partition.
        let bare = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(
            normalize(&bare)["Statement"][0]["Principal"]["AWS"],
            json!(["arn:aws:iam::111122223333:root"])
        );
        // Not a 12-digit ID: unchanged.
        let odd = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "11112222333"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(
            normalize(&odd)["Statement"][0]["Principal"]["AWS"],
            json!(["11112222333"])
        );
    }

    #[test]
    fn account_id_principal_takes_the_partition_of_the_documents_arns() {
        let china = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"},
            "Action": "s3:GetObject", "Resource": "arn:aws-cn:s3:::bucket/*"}]});
        assert_eq!(
            normalize(&china)["Statement"][0]["Principal"]["AWS"],
            json!(["arn:aws-cn:iam::111122223333:root"])
        );
        // ARNs of two partitions: nothing is guessed.
        let mixed = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"},
            "Action": "s3:GetObject", "Resource": ["arn:aws-cn:s3:::a/*", "arn:aws:s3:::b/*"]}]});
        assert_eq!(
            normalize(&mixed)["Statement"][0]["Principal"]["AWS"],
            json!(["111122223333"])
        );
        // Only `AWS` principals are account principals.
        let service = json!({"Statement": [{"Effect": "Allow", "Principal": {"CanonicalUser": "111122223333"}, "Action": "s3:GetObject"}]});
        assert_eq!(
            normalize(&service)["Statement"][0]["Principal"]["CanonicalUser"],
            json!(["111122223333"])
        );
    }

    #[test]
    fn condition_keys_are_case_insensitive_and_values_are_string_lists() {
        let written = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": 123456789012_u64},
            "ArnLike": {"AWS:SourceArn": ["arn:aws:bedrock:us-east-1:123456789012:*"]},
            "Bool": {"aws:SecureTransport": true}
        }}]});
        let returned = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {
            "ArnLike": {"aws:sourcearn": "arn:aws:bedrock:us-east-1:123456789012:*"},
            "Bool": {"aws:SecureTransport": "true"},
            "StringEquals": {"aws:SourceAccount": "123456789012"}
        }}]});
        assert!(equivalent(&written, &returned));
        assert_eq!(
            normalize(&written)["Statement"][0]["Condition"],
            json!({
                "ArnLike": {"aws:sourcearn": ["arn:aws:bedrock:us-east-1:123456789012:*"]},
                "Bool": {"aws:securetransport": ["true"]},
                "StringEquals": {"aws:sourceaccount": ["123456789012"]}
            })
        );
    }

    #[test]
    fn condition_values_are_sorted_and_deduplicated_but_case_sensitive() {
        let a = json!({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ["222222222222", "111111111111", "111111111111"]}}}]});
        let b = json!({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ["111111111111", "222222222222"]}}}]});
        assert!(equivalent(&a, &b));
        let name = |value: &str| {
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                "Condition": {"StringEquals": {"aws:username": value}}}]})
        };
        assert!(!equivalent(&name("johndoe"), &name("JohnDoe")));
    }

    #[test]
    fn empty_condition_equals_no_condition() {
        let none = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "sts:AssumeRole"}]});
        let empty = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "sts:AssumeRole", "Condition": {}}]});
        assert!(equivalent(&none, &empty));
        assert!(normalize(&empty)["Statement"][0].get("Condition").is_none());
    }

    #[test]
    fn condition_operators_are_kept_as_written() {
        let a = json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}}]});
        let b = json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:TagKeys": "team"}}}]});
        assert!(!equivalent(&a, &b));
        assert!(normalize(&a)["Statement"][0]["Condition"]
            .get("ForAnyValue:StringEquals")
            .is_some());
    }

    #[test]
    fn tag_keys_in_condition_keys_keep_their_case() {
        let doc = json!({"Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*",
            "Condition": {"StringEquals": {"AWS:ResourceTag/Project": "ai"}}}]});
        assert_eq!(
            normalize(&doc)["Statement"][0]["Condition"]["StringEquals"],
            json!({"aws:resourcetag/Project": ["ai"]})
        );
        let other_tag = json!({"Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/project": "ai"}}}]});
        assert!(!equivalent(&doc, &other_tag));
    }

    #[test]
    fn condition_keys_differing_only_in_case_are_both_kept() {
        // Two tests of one key (both must hold): merging them would change the meaning.
        let doc = json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringLike": {"aws:SourceArn": "arn:aws:bedrock:*", "AWS:SOURCEARN": "*:123456789012:*"}}}]});
        assert_eq!(
            normalize(&doc)["Statement"][0]["Condition"]["StringLike"],
            json!({"AWS:SOURCEARN": ["*:123456789012:*"], "aws:SourceArn": ["arn:aws:bedrock:*"]})
        );
    }

    #[test]
    fn effect_and_unknown_elements_are_kept() {
        let allow = json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
        let deny = json!({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]});
        assert!(!equivalent(&allow, &deny));
        let unknown = json!({"Version": "2012-10-17", "Custom": {"b": [2, 1], "a": true},
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Future": ["y", "x"]}]});
        let normalized = normalize(&unknown);
        // Unknown lists keep their order: nothing says it has no meaning.
        assert_eq!(normalized["Custom"], json!({"a": true, "b": [2, 1]}));
        assert_eq!(normalized["Statement"][0]["Future"], json!(["y", "x"]));
    }

    #[test]
    fn the_same_policy_written_two_ways_is_equivalent() {
        // What the tool writes vs. what GetRole gives back after a console edit.
        let written = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "bedrock.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": "123456789012"},
                    "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:us-east-1:123456789012:*"}
                }
            }]
        });
        let returned = crate::policy::parse_document(
            "%7B%22Statement%22%3A%7B%22Condition%22%3A%7B%22ArnLike%22%3A%7B%22AWS%3ASourceArn%22%3A%5B%22arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3A%2A%22%5D%7D%2C%22StringEquals%22%3A%7B%22aws%3Asourceaccount%22%3A123456789012%7D%7D%2C%22Action%22%3A%5B%22STS%3AAssumeRole%22%5D%2C%22Principal%22%3A%7B%22Service%22%3A%5B%22bedrock.amazonaws.com%22%5D%7D%2C%22Effect%22%3A%22Allow%22%7D%7D",
        )
        .unwrap();
        assert!(equivalent(&written, &returned));
    }

    #[test]
    fn normalize_is_idempotent() {
        let docs = [
            trust(),
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "S3:Get*",
                "Resource": "arn:aws-us-gov:s3:::b/*", "Condition": {"StringLike": {"a:B": "x", "A:b": 1}}}]}),
            json!({"Id": "x", "Statement": {"Effect": "Deny", "NotPrincipal": "*", "NotAction": "iam:*",
                "Resource": "arn:aws:s3:::home/${aws:username}"}}),
            json!(["not", "a", "document"]),
        ];
        for doc in docs {
            let once = normalize(&doc);
            assert_eq!(normalize(&once), once, "not idempotent for {doc}");
            assert_keys_sorted(&once);
        }
    }

    #[test]
    fn a_non_object_value_only_gets_its_keys_sorted() {
        let value = json!([{"b": 1, "a": 2}, "x"]);
        assert_eq!(normalize(&value), value);
        assert_keys_sorted(&normalize(&value));
    }
}
