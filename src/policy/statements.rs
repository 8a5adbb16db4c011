//! Owning only our statements in shared policies (bucket policies hold other parties' statements).

use serde_json::{Map, Value};

use super::normalize::{document_statements, statement_list, POLICY_VERSION};

fn has_sid(statement: &Value, sid: &str) -> bool {
    statement.get("Sid").and_then(Value::as_str) == Some(sid)
}

/// The statements of `ours`: a policy document, a list of statements, or a single statement.
fn our_statements(ours: &Value) -> Vec<Value> {
    match ours {
        Value::Array(items) => items.clone(),
        Value::Object(map) if map.contains_key("Statement") => {
            document_statements(ours).into_iter().cloned().collect()
        }
        Value::Object(map) if map.contains_key("Effect") => vec![ours.clone()],
        _ => Vec::new(),
    }
}

/// `existing` with every statement whose Sid equals `sid` replaced by `ours`'s statements (or
/// appended). Never drops other statements.
///
/// - `ours` may be a policy document, a list of statements or one statement; its statements
///   should all carry `sid`, so a second upsert replaces them instead of adding copies.
/// - Our statements take the place of the first statement with `sid` (other statements keep
///   their order, so the change reads as small as it is); with none, they are appended.
/// - `existing`'s other elements (`Version`, `Id`, …) and key order are kept; its `Statement`
///   always comes back as a list. Without an existing policy (`None`, JSON `null`, or not an
///   object) the result is `ours`'s statements under `ours`'s `Version` (default `2012-10-17`).
/// - With an `ours` that has no statements, this removes the tool's statements; the result may
///   then have no statements at all, which S3 rejects: delete the bucket policy instead.
pub fn upsert_statements(existing: Option<&Value>, ours: &Value, sid: &str) -> Value {
    let mut replacement = Some(our_statements(ours));
    let Some(Value::Object(existing)) = existing else {
        let version = ours
            .get("Version")
            .cloned()
            .unwrap_or_else(|| Value::String(POLICY_VERSION.to_string()));
        let mut doc = Map::new();
        doc.insert("Version".to_string(), version);
        doc.insert(
            "Statement".to_string(),
            Value::Array(replacement.unwrap_or_default()),
        );
        return Value::Object(doc);
    };
    let mut statements = Vec::new();
    let existing_statements = existing.get("Statement").map(statement_list);
    for statement in existing_statements.unwrap_or_default() {
        if has_sid(statement, sid) {
            // The first one gives its place to ours; the others go.
            if let Some(ours) = replacement.take() {
                statements.extend(ours);
            }
        } else {
            statements.push(statement.clone());
        }
    }
    if let Some(ours) = replacement {
        statements.extend(ours);
    }
    let mut doc = existing.clone();
    // Replacing an existing key keeps its place; a missing one goes at the end.
    doc.insert("Statement".to_string(), Value::Array(statements));
    Value::Object(doc)
}

/// The statements of `doc` whose Sid is `sid`, as a policy document (for comparing just what
/// the tool owns). Keeps `doc`'s `Version` when it has one (`Version` governs every
/// statement); the `Statement` list is empty when none matches.
pub fn statements_with_sid(doc: &Value, sid: &str) -> Value {
    let mut out = Map::new();
    if let Some(version) = doc.get("Version") {
        out.insert("Version".to_string(), version.clone());
    }
    let statements = document_statements(doc)
        .into_iter()
        .filter(|statement| has_sid(statement, sid))
        .cloned()
        .collect();
    out.insert("Statement".to_string(), Value::Array(statements));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{bedrock_logging_bucket_policy, equivalent, BEDROCK_LOGS_SID};
    use serde_json::json;

    fn ours() -> Value {
        bedrock_logging_bucket_policy("aws", "logs", "bedrock", "123456789012", "us-east-1")
    }

    fn our_statement() -> Value {
        ours()["Statement"][0].clone()
    }

    /// A bucket policy as S3 returns it, with other parties' statements.
    fn foreign() -> Value {
        json!({
            "Version": "2012-10-17",
            "Id": "LogBucketPolicy",
            "Statement": [
                {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                {"Sid": "AWSCloudTrailWrite", "Effect": "Allow",
                 "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
                 "Resource": "arn:aws:s3:::logs/AWSLogs/123456789012/*",
                 "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}
            ]
        })
    }

    #[test]
    fn without_an_existing_policy_the_result_is_ours() {
        assert_eq!(upsert_statements(None, &ours(), BEDROCK_LOGS_SID), ours());
        assert_eq!(
            upsert_statements(Some(&Value::Null), &ours(), BEDROCK_LOGS_SID),
            ours()
        );
    }

    #[test]
    fn ours_is_appended_after_foreign_statements() {
        let merged = upsert_statements(Some(&foreign()), &ours(), BEDROCK_LOGS_SID);
        let statements = merged["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[0], foreign()["Statement"][0]);
        assert_eq!(statements[1], foreign()["Statement"][1]);
        assert_eq!(statements[2], our_statement());
        assert_eq!(merged["Id"], "LogBucketPolicy");
        assert_eq!(
            merged.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["Version", "Id", "Statement"]
        );
    }

    #[test]
    fn ours_replaces_the_old_statement_in_place() {
        let mut stale = our_statement();
        stale["Condition"] = json!({}); // someone loosened it
        let mut existing = foreign();
        existing["Statement"]
            .as_array_mut()
            .unwrap()
            .insert(1, stale.clone());
        let merged = upsert_statements(Some(&existing), &ours(), BEDROCK_LOGS_SID);
        let statements = merged["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[0]["Sid"], "DenyInsecureTransport");
        assert_eq!(statements[1], our_statement());
        assert_eq!(statements[2]["Sid"], "AWSCloudTrailWrite");
    }

    #[test]
    fn duplicate_statements_with_our_sid_are_collapsed() {
        let mut existing = foreign();
        let list = existing["Statement"].as_array_mut().unwrap();
        list.insert(0, our_statement());
        list.push(our_statement());
        let merged = upsert_statements(Some(&existing), &ours(), BEDROCK_LOGS_SID);
        let sids: Vec<&str> = merged["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect();
        assert_eq!(
            sids,
            [
                "AmazonBedrockLogsWrite",
                "DenyInsecureTransport",
                "AWSCloudTrailWrite"
            ]
        );
    }

    #[test]
    fn upsert_is_idempotent() {
        let once = upsert_statements(Some(&foreign()), &ours(), BEDROCK_LOGS_SID);
        let twice = upsert_statements(Some(&once), &ours(), BEDROCK_LOGS_SID);
        assert_eq!(once, twice);
    }

    #[test]
    fn single_statement_object_and_statement_without_sid_are_kept() {
        let existing = json!({"Version": "2008-10-17", "Statement":
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}});
        let merged = upsert_statements(Some(&existing), &ours(), BEDROCK_LOGS_SID);
        assert_eq!(merged["Version"], "2008-10-17");
        assert_eq!(
            merged["Statement"],
            json!([existing["Statement"].clone(), our_statement()])
        );
    }

    #[test]
    fn ours_may_be_a_statement_or_a_list_of_statements() {
        let from_doc = upsert_statements(Some(&foreign()), &ours(), BEDROCK_LOGS_SID);
        let from_statement =
            upsert_statements(Some(&foreign()), &our_statement(), BEDROCK_LOGS_SID);
        let from_list = upsert_statements(
            Some(&foreign()),
            &json!([our_statement()]),
            BEDROCK_LOGS_SID,
        );
        assert_eq!(from_doc, from_statement);
        assert_eq!(from_doc, from_list);
    }

    #[test]
    fn empty_ours_removes_only_our_statements() {
        let merged = upsert_statements(Some(&foreign()), &ours(), BEDROCK_LOGS_SID);
        let removed = upsert_statements(Some(&merged), &json!({"Statement": []}), BEDROCK_LOGS_SID);
        assert_eq!(removed, foreign());
    }

    #[test]
    fn statements_with_sid_extracts_what_the_tool_owns() {
        let merged = upsert_statements(Some(&foreign()), &ours(), BEDROCK_LOGS_SID);
        let owned = statements_with_sid(&merged, BEDROCK_LOGS_SID);
        assert_eq!(owned, ours());
        assert!(equivalent(&owned, &ours()));
        // Nothing owned yet: an empty statement list, so the comparison shows it missing.
        let none = statements_with_sid(&foreign(), BEDROCK_LOGS_SID);
        assert_eq!(none, json!({"Version": "2012-10-17", "Statement": []}));
        assert!(!equivalent(&none, &ours()));
        // A single statement object is found too; no Version stays absent.
        let single = json!({"Statement": our_statement()});
        assert_eq!(
            statements_with_sid(&single, BEDROCK_LOGS_SID),
            json!({"Statement": [our_statement()]})
        );
        assert!(equivalent(
            &statements_with_sid(&single, BEDROCK_LOGS_SID),
            &ours()
        ));
    }
}
