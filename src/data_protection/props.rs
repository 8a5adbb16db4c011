//! One comparable shape for a data-protection policy, shared by the spec side and the AWS side so both normalize alike.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

/// A policy reduced to what it means: sets instead of lists, names instead of ARNs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Policy {
    pub name: Option<String>,
    /// Managed identifiers audited, by name (`EmailAddress`).
    pub identifiers: BTreeSet<String>,
    /// Custom identifiers: name → regex. All of them are audited.
    pub custom: BTreeMap<String, String>,
    pub findings: Findings,
    /// Identifiers (managed or custom) in the Deidentify statement.
    pub mask: BTreeSet<String>,
}

/// Where audit findings go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Findings {
    pub log_group: Option<String>,
    pub s3_bucket: Option<String>,
    pub firehose: Option<String>,
}

impl Policy {
    /// Every audited identifier name, managed and custom.
    pub fn audited(&self) -> BTreeSet<String> {
        self.identifiers
            .iter()
            .chain(self.custom.keys())
            .cloned()
            .collect()
    }

    /// The normalized properties: keys in a fixed order, identifier sets sorted, so the same
    /// policy always gives the same value and the same text.
    pub fn to_props(&self) -> Value {
        let flags = |names: &BTreeSet<String>| -> Value {
            Value::Object(
                names
                    .iter()
                    .map(|n| (n.clone(), Value::Bool(true)))
                    .collect::<Map<String, Value>>(),
            )
        };
        let custom: Map<String, Value> = self
            .custom
            .iter()
            .map(|(name, regex)| (name.clone(), Value::String(regex.clone())))
            .collect();
        json!({
            "name": self.name,
            "identifiers": flags(&self.identifiers),
            "custom_identifiers": custom,
            "findings": {
                "log_group": self.findings.log_group,
                "s3_bucket": self.findings.s3_bucket,
                "firehose": self.findings.firehose,
            },
            "mask": flags(&self.mask),
        })
    }

    /// Reads normalized properties back; missing or ill-typed parts read as empty, so any
    /// value (even `null`) gives a policy.
    pub fn from_props(props: &Value) -> Policy {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let set = |key: &str| -> BTreeSet<String> {
            props
                .get(key)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter(|(_, v)| v.as_bool().unwrap_or(false))
                        .map(|(k, _)| k.clone())
                        .collect()
                })
                .unwrap_or_default()
        };
        let findings = props.get("findings");
        Policy {
            name: text(props.get("name")),
            identifiers: set("identifiers"),
            custom: props
                .get("custom_identifiers")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            findings: Findings {
                log_group: text(findings.and_then(|f| f.get("log_group"))),
                s3_bucket: text(findings.and_then(|f| f.get("s3_bucket"))),
                firehose: text(findings.and_then(|f| f.get("firehose"))),
            },
            mask: set("mask"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn props_round_trip_and_are_canonical() {
        let policy = Policy {
            name: Some("p".into()),
            identifiers: ["IpAddress", "EmailAddress"]
                .into_iter()
                .map(String::from)
                .collect(),
            custom: [("EmployeeId".to_string(), r"EMP-\d{6}".to_string())].into(),
            findings: Findings {
                log_group: Some("/findings".into()),
                ..Findings::default()
            },
            mask: ["EmailAddress".to_string()].into(),
        };
        let props = policy.to_props();
        assert_eq!(Policy::from_props(&props), policy);
        assert_eq!(
            serde_json::to_string(&props).unwrap(),
            r#"{"name":"p","identifiers":{"EmailAddress":true,"IpAddress":true},"custom_identifiers":{"EmployeeId":"EMP-\\d{6}"},"findings":{"log_group":"/findings","s3_bucket":null,"firehose":null},"mask":{"EmailAddress":true}}"#
        );
        assert_eq!(Policy::from_props(&Value::Null), Policy::default());
    }
}
