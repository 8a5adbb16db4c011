//! The policy document CloudWatch Logs expects, built from normalized properties, and live documents read back into them.
//!
//! AWS's rules (PutDataProtectionPolicy API reference): one statement with an `Audit`
//! operation (`FindingsDestination`, possibly `{}`), one with a `Deidentify` operation
//! (`MaskConfig: {}`); managed identifiers are referenced by ARN, custom identifiers by bare
//! name and declared under `Configuration.CustomDataIdentifier`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{json, Map, Value};

use super::catalog;
use super::props::{Findings, Policy};
use super::{DEFAULT_POLICY_NAME, POLICY_VERSION};

/// `Sid`s of the statements warden writes (ignored when reading: only meaning is compared).
pub const AUDIT_SID: &str = "audit";
pub const DEIDENTIFY_SID: &str = "mask";

/// A live document warden cannot read back into properties.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the data-protection policy is not valid JSON: {0}")]
    Json(String),
    #[error("in the data-protection policy, `{path}` should be {expected}")]
    Shape {
        path: String,
        expected: &'static str,
    },
    #[error("the data-protection policy has a field warden does not know: `{0}`")]
    UnknownField(String),
    #[error("the data-protection policy has no Audit statement")]
    NoAudit,
    #[error("the data-protection policy has {0} Audit statements; CloudWatch Logs allows one")]
    SeveralAudits(usize),
    #[error(
        "statement {index} of the data-protection policy has an unknown operation `{operation}`"
    )]
    UnknownOperation { index: usize, operation: String },
    #[error("`{0}` is not a data identifier warden can read (expected a managed identifier ARN or a custom identifier name)")]
    UnknownIdentifier(String),
    #[error(
        "the data-protection policy sends findings to `{0}`, a destination warden does not know"
    )]
    UnknownDestination(String),
}

/// The policy document for normalized properties (see [`super::desired_props`]), as compact
/// JSON. Stable: the same properties always give the same bytes.
pub fn build_document(props: &Value, partition: &str) -> String {
    let policy = Policy::from_props(props);
    let reference = |name: &String| -> Value {
        if policy.custom.contains_key(name) {
            Value::String(name.clone())
        } else {
            Value::String(catalog::arn(partition, name))
        }
    };
    // Managed ARNs first, then custom names, each sorted: a fixed order for fixed bytes.
    let ordered = |names: &BTreeSet<String>| -> Vec<Value> {
        let (custom, managed): (Vec<&String>, Vec<&String>) =
            names.iter().partition(|n| policy.custom.contains_key(*n));
        managed.into_iter().chain(custom).map(reference).collect()
    };

    let mut destination = Map::new();
    if let Some(group) = &policy.findings.log_group {
        destination.insert("CloudWatchLogs".into(), json!({ "LogGroup": group }));
    }
    if let Some(bucket) = &policy.findings.s3_bucket {
        destination.insert("S3".into(), json!({ "Bucket": bucket }));
    }
    if let Some(stream) = &policy.findings.firehose {
        destination.insert("Firehose".into(), json!({ "DeliveryStream": stream }));
    }

    let mut document = Map::new();
    document.insert(
        "Name".into(),
        json!(policy.name.as_deref().unwrap_or(DEFAULT_POLICY_NAME)),
    );
    document.insert("Version".into(), json!(POLICY_VERSION));
    if !policy.custom.is_empty() {
        let declared: Vec<Value> = policy
            .custom
            .iter()
            .map(|(name, regex)| json!({ "Name": name, "Regex": regex }))
            .collect();
        document.insert(
            "Configuration".into(),
            json!({ "CustomDataIdentifier": declared }),
        );
    }
    document.insert(
        "Statement".into(),
        json!([
            {
                "Sid": AUDIT_SID,
                "DataIdentifier": ordered(&policy.audited()),
                "Operation": { "Audit": { "FindingsDestination": destination } },
            },
            {
                "Sid": DEIDENTIFY_SID,
                "DataIdentifier": ordered(&policy.mask),
                "Operation": { "Deidentify": { "MaskConfig": {} } },
            },
        ]),
    );
    serde_json::to_string(&Value::Object(document)).unwrap_or_default()
}

/// Reads a live document (as `GetDataProtectionPolicy` returns it) into normalized
/// properties. Layout never matters: key order and case, whitespace, identifier order, ARN
/// partition (`aws`, `aws-cn`, `${Partition}`, …), bare managed names, `Sid`s,
/// `Description` and `Version` all normalize away. Shapes warden does not understand give a
/// [`DocumentError`] rather than a guess.
pub fn normalize_document(text: &str) -> Result<Value, DocumentError> {
    let root: Value = serde_json::from_str(text).map_err(|e| DocumentError::Json(e.to_string()))?;
    let root = object(&root, "(document)")?;
    only_fields(
        root,
        "",
        &[
            "Name",
            "Description",
            "Version",
            "Statement",
            "Configuration",
        ],
    )?;

    let name = match field(root, "Name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(shape("Name", "a string")),
    };
    let custom = custom_identifiers(root)?;

    let statements: Vec<&Value> = match field(root, "Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        Some(_) => return Err(shape("Statement", "a list of statements")),
        None => Vec::new(),
    };
    let mut audits: Vec<(BTreeSet<String>, Findings)> = Vec::new();
    let mut mask = BTreeSet::new();
    for (index, statement) in statements.into_iter().enumerate() {
        let path = format!("Statement[{index}]");
        let statement = object(statement, &path)?;
        only_fields(statement, &path, &["Sid", "DataIdentifier", "Operation"])?;
        let identifiers = data_identifiers(statement, &path, &custom)?;
        let operation_path = format!("{path}.Operation");
        let operation = field(statement, "Operation")
            .ok_or_else(|| shape(&operation_path, "an object with `Audit` or `Deidentify`"))?;
        let operation = object(operation, &operation_path)?;
        if operation.is_empty() {
            return Err(shape(
                &operation_path,
                "an object with `Audit` or `Deidentify`",
            ));
        }
        for (key, value) in operation {
            if key.eq_ignore_ascii_case("Audit") {
                let findings = findings(value, &format!("{operation_path}.{key}"))?;
                audits.push((identifiers.clone(), findings));
            } else if key.eq_ignore_ascii_case("Deidentify") {
                mask.extend(identifiers.iter().cloned());
            } else {
                return Err(DocumentError::UnknownOperation {
                    index,
                    operation: key.clone(),
                });
            }
        }
    }
    let (audited, findings) = match audits.len() {
        0 => return Err(DocumentError::NoAudit),
        1 => audits.remove(0),
        n => return Err(DocumentError::SeveralAudits(n)),
    };
    let policy = Policy {
        name,
        identifiers: audited
            .into_iter()
            .filter(|n| !custom.contains_key(n))
            .collect(),
        custom,
        findings,
        mask,
    };
    Ok(policy.to_props())
}

/// A key of `map`, matched without regard to case (CDK once wrote `dataIdentifier`).
fn field<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn only_fields(map: &Map<String, Value>, path: &str, known: &[&str]) -> Result<(), DocumentError> {
    match map
        .keys()
        .find(|k| !known.iter().any(|n| n.eq_ignore_ascii_case(k)))
    {
        Some(unknown) if path.is_empty() => Err(DocumentError::UnknownField(unknown.clone())),
        Some(unknown) => Err(DocumentError::UnknownField(format!("{path}.{unknown}"))),
        None => Ok(()),
    }
}

fn object<'v>(value: &'v Value, path: &str) -> Result<&'v Map<String, Value>, DocumentError> {
    value.as_object().ok_or_else(|| shape(path, "an object"))
}

fn shape(path: &str, expected: &'static str) -> DocumentError {
    DocumentError::Shape {
        path: path.to_string(),
        expected,
    }
}

/// `Configuration.CustomDataIdentifier` as name → regex.
fn custom_identifiers(
    root: &Map<String, Value>,
) -> Result<BTreeMap<String, String>, DocumentError> {
    let mut custom = BTreeMap::new();
    let Some(configuration) = field(root, "Configuration") else {
        return Ok(custom);
    };
    let configuration = object(configuration, "Configuration")?;
    only_fields(configuration, "Configuration", &["CustomDataIdentifier"])?;
    let list = match field(configuration, "CustomDataIdentifier") {
        None | Some(Value::Null) => return Ok(custom),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(shape(
                "Configuration.CustomDataIdentifier",
                "a list of {Name, Regex}",
            ))
        }
    };
    for (i, entry) in list.iter().enumerate() {
        let path = format!("Configuration.CustomDataIdentifier[{i}]");
        let entry = object(entry, &path)?;
        only_fields(entry, &path, &["Name", "Regex"])?;
        let text = |key: &str| {
            field(entry, key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| shape(&format!("{path}.{key}"), "a string"))
        };
        custom.insert(text("Name")?, text("Regex")?);
    }
    Ok(custom)
}

/// A statement's `DataIdentifier` list as names (managed names without their ARN).
fn data_identifiers(
    statement: &Map<String, Value>,
    path: &str,
    custom: &BTreeMap<String, String>,
) -> Result<BTreeSet<String>, DocumentError> {
    let path = format!("{path}.DataIdentifier");
    let raw: Vec<&Value> = match field(statement, "DataIdentifier") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single @ Value::String(_)) => vec![single],
        _ => return Err(shape(&path, "a list of data identifiers")),
    };
    raw.into_iter()
        .map(|v| {
            let text = v
                .as_str()
                .ok_or_else(|| shape(&path, "a list of strings"))?;
            identifier_name(text, custom)
        })
        .collect()
}

/// `arn:<partition>:dataprotection::aws:data-identifier/<Name>` → `<Name>`. The partition may
/// be a template (`${Partition}`, `${AWS::Partition}`); a region, if present, is ignored.
fn identifier_name(raw: &str, custom: &BTreeMap<String, String>) -> Result<String, DocumentError> {
    static ARN: OnceLock<Regex> = OnceLock::new();
    static BARE: OnceLock<Regex> = OnceLock::new();
    let arn = ARN.get_or_init(|| {
        Regex::new(
            r"^arn:(?:\$\{[^}]*\}|[A-Za-z0-9-]+):dataprotection:[A-Za-z0-9-]*:aws:data-identifier/([A-Za-z0-9_-]+)$",
        )
        .expect("valid pattern")
    });
    let bare = BARE.get_or_init(|| Regex::new(r"^[A-Za-z0-9_-]+$").expect("valid pattern"));
    let trimmed = raw.trim();
    if let Some(captures) = arn.captures(trimmed) {
        return Ok(captures[1].to_string());
    }
    if custom.contains_key(trimmed) || bare.is_match(trimmed) {
        return Ok(trimmed.to_string());
    }
    Err(DocumentError::UnknownIdentifier(raw.to_string()))
}

/// `Operation.Audit.FindingsDestination`; destinations given as ARNs read as their names.
fn findings(audit: &Value, path: &str) -> Result<Findings, DocumentError> {
    let mut found = Findings::default();
    let audit = match audit {
        Value::Null => return Ok(found),
        other => object(other, path)?,
    };
    let path = format!("{path}.FindingsDestination");
    let destination = match field(audit, "FindingsDestination") {
        None | Some(Value::Null) => return Ok(found),
        Some(d) => object(d, &path)?,
    };
    for (key, value) in destination {
        let inner_path = format!("{path}.{key}");
        let inner = object(value, &inner_path)?;
        let name = |field_name: &str| -> Result<String, DocumentError> {
            field(inner, field_name)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_string())
                .ok_or_else(|| shape(&format!("{inner_path}.{field_name}"), "a name"))
        };
        if key.eq_ignore_ascii_case("CloudWatchLogs") {
            only_fields(inner, &inner_path, &["LogGroup"])?;
            found.log_group = Some(log_group_name(&name("LogGroup")?));
        } else if key.eq_ignore_ascii_case("S3") {
            only_fields(inner, &inner_path, &["Bucket"])?;
            found.s3_bucket = Some(bucket_name(&name("Bucket")?));
        } else if key.eq_ignore_ascii_case("Firehose") {
            only_fields(inner, &inner_path, &["DeliveryStream"])?;
            found.firehose = Some(stream_name(&name("DeliveryStream")?));
        } else {
            return Err(DocumentError::UnknownDestination(key.clone()));
        }
    }
    Ok(found)
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` → `<name>`; names pass through.
fn log_group_name(value: &str) -> String {
    let parts: Vec<&str> = value.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", _, "logs", _, _, "log-group", name] => {
            name.strip_suffix(":*").unwrap_or(name).to_string()
        }
        _ => value.to_string(),
    }
}

/// `arn:aws:s3:::<bucket>` → `<bucket>`.
fn bucket_name(value: &str) -> String {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "s3", "", "", bucket] => bucket.to_string(),
        _ => value.to_string(),
    }
}

/// `arn:aws:firehose:<region>:<account>:deliverystream/<name>` → `<name>`.
fn stream_name(value: &str) -> String {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "firehose", _, _, resource] => resource
            .strip_prefix("deliverystream/")
            .unwrap_or(value)
            .to_string(),
        _ => value.to_string(),
    }
}
