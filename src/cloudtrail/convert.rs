//! Conversion between the JSON selector shape of this module and the SDK's `AdvancedEventSelector`.

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
use serde_json::{Map, Value};

use super::selectors::{SelectorError, OPERATORS};

fn malformed(index: usize, problem: impl Into<String>) -> SelectorError {
    SelectorError::Malformed {
        index,
        problem: problem.into(),
    }
}

fn string_list(index: usize, value: &Value, what: &str) -> Result<Vec<String>, SelectorError> {
    value
        .as_array()
        .ok_or_else(|| malformed(index, format!("{what} must be a list of strings")))?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| malformed(index, format!("{what} must be a list of strings")))
        })
        .collect()
}

/// One JSON selector (`{"Name"?, "FieldSelectors": [{"Field", "Equals"?, …}]}`) as the SDK type.
/// `index` locates errors in a list.
pub fn to_sdk(index: usize, selector: &Value) -> Result<AdvancedEventSelector, SelectorError> {
    let fields = selector
        .get("FieldSelectors")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(index, "FieldSelectors must be a list"))?;
    let mut builder = AdvancedEventSelector::builder();
    if let Some(name) = selector.get("Name") {
        let name = name
            .as_str()
            .ok_or_else(|| malformed(index, "Name must be a string"))?;
        builder = builder.name(name);
    }
    for field_selector in fields {
        let field = field_selector
            .get("Field")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(index, "every field selector needs a Field"))?;
        let values = |op: &str| -> Result<Option<Vec<String>>, SelectorError> {
            field_selector
                .get(op)
                .map(|v| string_list(index, v, &format!("{field} {op}")))
                .transpose()
        };
        let built = AdvancedFieldSelector::builder()
            .field(field)
            .set_equals(values("Equals")?)
            .set_starts_with(values("StartsWith")?)
            .set_ends_with(values("EndsWith")?)
            .set_not_equals(values("NotEquals")?)
            .set_not_starts_with(values("NotStartsWith")?)
            .set_not_ends_with(values("NotEndsWith")?)
            .build()
            .map_err(|e| malformed(index, e.to_string()))?;
        builder = builder.field_selectors(built);
    }
    builder.build().map_err(|e| malformed(index, e.to_string()))
}

/// A JSON selector list as the SDK's `AdvancedEventSelectors`.
pub fn list_to_sdk(selectors: &[Value]) -> Result<Vec<AdvancedEventSelector>, SelectorError> {
    selectors
        .iter()
        .enumerate()
        .map(|(index, s)| to_sdk(index, s))
        .collect()
}

/// The SDK type as a JSON selector; operators AWS left out (or sent empty) are omitted.
pub fn from_sdk(selector: &AdvancedEventSelector) -> Value {
    let fields: Vec<Value> = selector
        .field_selectors()
        .iter()
        .map(|f| {
            let mut map = Map::new();
            map.insert("Field".into(), Value::String(f.field().to_string()));
            let lists: [&[String]; 6] = [
                f.equals(),
                f.starts_with(),
                f.ends_with(),
                f.not_equals(),
                f.not_starts_with(),
                f.not_ends_with(),
            ];
            for (op, values) in OPERATORS.iter().zip(lists) {
                if !values.is_empty() {
                    map.insert(
                        (*op).into(),
                        values.iter().cloned().map(Value::String).collect(),
                    );
                }
            }
            Value::Object(map)
        })
        .collect();
    let mut out = Map::new();
    if let Some(name) = selector.name() {
        out.insert("Name".into(), Value::String(name.to_string()));
    }
    out.insert("FieldSelectors".into(), Value::Array(fields));
    Value::Object(out)
}

/// The SDK's `AdvancedEventSelectors` (as GetEventSelectors returns them) as JSON selectors.
pub fn list_from_sdk(selectors: &[AdvancedEventSelector]) -> Vec<Value> {
    selectors.iter().map(from_sdk).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::selectors::{generate, normalize, ManagementEvents, SelectorIntent};
    use serde_json::json;

    fn sample() -> Vec<Value> {
        generate(&SelectorIntent {
            management: ManagementEvents::ReadOnly,
            data_types: vec![
                "AWS::Bedrock::Guardrail".into(),
                "AWS::Bedrock::Session".into(),
            ],
            read_only: Some(false),
            arn_prefixes: vec!["arn:aws:bedrock:us-east-1:123456789012:guardrail/".into()],
        })
    }

    #[test]
    fn generated_selectors_survive_the_round_trip_exactly() {
        let json = sample();
        let sdk = list_to_sdk(&json).unwrap();
        assert_eq!(sdk.len(), 3);
        assert_eq!(sdk[1].field_selectors()[1].field(), "resources.type");
        assert_eq!(
            sdk[1].field_selectors()[1].equals(),
            ["AWS::Bedrock::Guardrail".to_string()]
        );
        assert_eq!(
            sdk[1].name(),
            Some("warden data events AWS Bedrock Guardrail")
        );
        assert_eq!(list_from_sdk(&sdk), json);
    }

    #[test]
    fn every_operator_and_a_missing_name_round_trip() {
        let selector = json!({"FieldSelectors": [{
            "Field": "resources.ARN",
            "Equals": ["a"], "StartsWith": ["b"], "EndsWith": ["c"],
            "NotEquals": ["d"], "NotStartsWith": ["e"], "NotEndsWith": ["f", "g"]
        }]});
        let sdk = to_sdk(0, &selector).unwrap();
        assert_eq!(sdk.name(), None);
        assert_eq!(sdk.field_selectors()[0].not_ends_with().len(), 2);
        assert_eq!(from_sdk(&sdk), selector);
    }

    #[test]
    fn what_aws_sends_without_optional_lists_compares_equal_to_what_warden_wrote() {
        // AWS omits empty operator lists; an empty list in our JSON means the same.
        let ours = vec![json!({"Name": "n", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"], "StartsWith": []}
        ]})];
        let back = list_from_sdk(&list_to_sdk(&ours).unwrap());
        assert_eq!(
            back,
            vec![json!({"Name": "n", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]}
            ]})]
        );
        assert_eq!(normalize(&back).unwrap(), normalize(&ours).unwrap());
    }

    #[test]
    fn malformed_json_is_a_located_error() {
        let bad = [
            json!({"Name": "no fields"}),
            json!({"FieldSelectors": [{"Equals": ["Data"]}]}),
            json!({"FieldSelectors": [{"Field": "eventCategory", "Equals": "Data"}]}),
            json!({"Name": 3, "FieldSelectors": []}),
        ];
        for selector in bad {
            let mut list = sample();
            list.push(selector.clone());
            match list_to_sdk(&list) {
                Err(SelectorError::Malformed { index: 3, .. }) => {}
                other => panic!("{selector}: {other:?}"),
            }
        }
    }
}
