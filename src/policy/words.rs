//! A whole policy document said as what it allows ("bedrock.amazonaws.com may s3:PutObject on …
//! when aws:SourceAccount is …"), so a plan shows a new policy in words rather than as JSON.

use serde_json::Value;

use super::normalize::{document_statements, statement_list};

/// One line per statement of `doc`, e.g. `bedrock.amazonaws.com may sts:AssumeRole when
/// aws:SourceAccount is 111111111111 and aws:SourceArn is like arn:aws:bedrock:us-east-1:…:*`.
/// A statement without a principal (an identity policy) starts with `may`. Spellings are the
/// document's own; `null` (no policy) gives no lines.
pub fn describe_document(doc: &Value) -> Vec<String> {
    if doc.is_null() {
        return Vec::new();
    }
    document_statements(doc)
        .into_iter()
        .flat_map(statement_list)
        .map(describe_statement)
        .collect()
}

fn describe_statement(statement: &Value) -> String {
    let mut line = String::new();
    if let Some(who) = statement.get("Principal") {
        line.push_str(&principals(who));
        line.push(' ');
    } else if let Some(who) = statement.get("NotPrincipal") {
        line.push_str(&format!("everyone except {} ", principals(who)));
    }
    let deny = statement.get("Effect").and_then(Value::as_str) == Some("Deny");
    line.push_str(if deny { "may not " } else { "may " });
    match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => line.push_str(&joined(actions)),
        (None, Some(actions)) => line.push_str(&format!("anything except {}", joined(actions))),
        (None, None) => line.push_str("(no action)"),
    }
    match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(resources), _) => line.push_str(&format!(" on {}", joined(resources))),
        (None, Some(resources)) => {
            line.push_str(&format!(" on anything except {}", joined(resources)))
        }
        (None, None) => {}
    }
    let conditions = conditions(statement.get("Condition"));
    if !conditions.is_empty() {
        line.push_str(&format!(" when {}", conditions.join(" and ")));
    }
    line
}

/// `bedrock.amazonaws.com`, `arn:aws:iam::1:root`, `anyone` (for `*`).
fn principals(who: &Value) -> String {
    match who {
        Value::String(s) if s == "*" => "anyone".to_string(),
        Value::Object(map) => map
            .iter()
            .flat_map(|(_, v)| strings(v))
            .map(|s| if s == "*" { "anyone".to_string() } else { s })
            .collect::<Vec<_>>()
            .join(", "),
        other => joined(other),
    }
}

/// `aws:SourceAccount is 1`, `aws:SourceArn is like arn:…`, `k is one of a, b`.
fn conditions(condition: Option<&Value>) -> Vec<String> {
    let Some(Value::Object(operators)) = condition else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else {
            continue;
        };
        for (key, values) in keys {
            let values = strings(values);
            let verb = match operator.as_str() {
                "StringEquals" | "ArnEquals" | "NumericEquals" | "Bool" => "is",
                "StringLike" | "ArnLike" => "is like",
                "StringNotEquals" | "ArnNotEquals" | "NumericNotEquals" => "is not",
                "StringNotLike" | "ArnNotLike" => "is not like",
                other => {
                    out.push(format!("{other} {key} {}", values.join(", ")));
                    continue;
                }
            };
            let values = match values.as_slice() {
                [one] => one.clone(),
                many => format!("one of {}", many.join(", ")),
            };
            out.push(format!("{key} {verb} {values}"));
        }
    }
    out
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::String(s) => vec![s.clone()],
        Value::Null => Vec::new(),
        other => vec![other.to_string()],
    }
}

fn joined(value: &Value) -> String {
    strings(value).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{bedrock_logging_bucket_policy, bedrock_logging_trust_policy};
    use serde_json::json;

    #[test]
    fn a_bucket_policy_reads_as_what_it_allows() {
        let doc = bedrock_logging_bucket_policy(
            "aws",
            "bedrock-logs",
            "invocations",
            "111111111111",
            "eu-west-1",
        );
        assert_eq!(
            describe_document(&doc),
            ["bedrock.amazonaws.com may s3:PutObject on arn:aws:s3:::bedrock-logs/invocations/AWSLogs/111111111111/BedrockModelInvocationLogs/* when aws:SourceAccount is 111111111111 and aws:SourceArn is like arn:aws:bedrock:eu-west-1:111111111111:*"]
        );
    }

    #[test]
    fn trust_and_identity_policies_deny_and_lists() {
        let trust = bedrock_logging_trust_policy("aws", "111111111111", "us-east-1");
        assert!(describe_document(&trust)[0]
            .starts_with("bedrock.amazonaws.com may sts:AssumeRole when "));
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:x"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:b",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"k": ["a", "b"]}}}
        ]});
        assert_eq!(
            describe_document(&doc),
            [
                "may logs:CreateLogStream, logs:PutLogEvents on arn:x",
                "anyone may not s3:* on arn:b when aws:SecureTransport is false and k is one of a, b"
            ]
        );
        assert!(describe_document(&Value::Null).is_empty());
    }
}
