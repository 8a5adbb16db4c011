//! Named event patterns (`bedrock_configuration`, `bedrock_api_calls`, `governance_tampering`): data in `presets.json`, looked up by name.
//!
//! A preset is only a name for a documented pattern, so adding one is an edit to
//! `presets.json`, not to code. Every preset is parsed and normalized once, on first use; the
//! unit tests check that each one parses.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use super::pattern::EventPattern;

const PRESETS_JSON: &str = include_str!("presets.json");

/// One preset: its name (as written in the spec), a one-line description, the pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub name: String,
    pub description: String,
    pub pattern: EventPattern,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreset {
    name: String,
    description: String,
    pattern: Value,
}

/// A name that is not a preset, with the closest known one when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{name}` is not an event preset{}; the presets are: {}",
        .suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(),
        .known.join(", "))]
pub struct UnknownPreset {
    pub name: String,
    pub suggestion: Option<String>,
    pub known: Vec<String>,
}

/// Every preset, in file order.
pub fn all() -> &'static [Preset] {
    static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
    PRESETS.get_or_init(|| {
        let raw: Vec<RawPreset> = serde_json::from_str(PRESETS_JSON)
            .expect("presets.json is valid (checked by the unit tests)");
        raw.into_iter()
            .map(|p| Preset {
                pattern: EventPattern::from_value(&p.pattern)
                    .unwrap_or_else(|e| panic!("preset {} in presets.json: {e}", p.name)),
                name: p.name,
                description: p.description,
            })
            .collect()
    })
}

/// The preset called `name`, or an error naming the closest preset.
pub fn lookup(name: &str) -> Result<&'static Preset, UnknownPreset> {
    let presets = all();
    if let Some(preset) = presets.iter().find(|p| p.name == name) {
        return Ok(preset);
    }
    let suggestion = presets
        .iter()
        .map(|p| {
            (
                strsim::jaro_winkler(&p.name, &name.to_lowercase().replace('-', "_")),
                &p.name,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.clone());
    Err(UnknownPreset {
        name: name.to_string(),
        suggestion,
        known: presets.iter().map(|p| p.name.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_preset_parses_has_a_description_and_a_unique_name() {
        let presets = all();
        let names: Vec<&str> = presets.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "bedrock_configuration",
                "bedrock_api_calls",
                "governance_tampering"
            ]
        );
        for p in presets {
            assert!(
                !p.description.is_empty() && !p.description.contains('\n'),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn bedrock_api_calls_is_the_documented_pattern() {
        let documented = EventPattern::parse(
            r#"{"source":["aws.bedrock"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["bedrock.amazonaws.com"]}}"#,
        )
        .unwrap();
        assert_eq!(lookup("bedrock_api_calls").unwrap().pattern, documented);
    }

    #[test]
    fn configuration_covers_the_state_change_events_not_api_calls() {
        let p = lookup("bedrock_configuration").unwrap().pattern.as_value();
        assert_eq!(p["source"], json!(["aws.bedrock"]));
        let types = p["detail-type"].as_array().unwrap();
        assert!(types.contains(&json!("Model Customization Job State Change")));
        assert!(types.contains(&json!("Batch Inference Job State Change")));
        assert!(types.contains(&json!("Bedrock Data Automation Job Succeeded")));
        assert!(!types.contains(&json!("AWS API Call via CloudTrail")));
    }

    #[test]
    fn tampering_lists_the_calls_that_weaken_governance() {
        let p = lookup("governance_tampering").unwrap().pattern.as_value();
        let names = p["detail"]["eventName"].as_array().unwrap();
        for call in [
            "DeleteModelInvocationLoggingConfiguration",
            "PutModelInvocationLoggingConfiguration",
            "StopLogging",
            "DeleteTrail",
            "UpdateTrail",
            "PutEventSelectors",
            "DeleteDataProtectionPolicy",
            "DeleteAccountPolicy",
            "DeleteRule",
            "DisableRule",
            "RemoveTargets",
            "DeleteGuardrail",
        ] {
            assert!(names.contains(&json!(call)), "{call} missing");
        }
        // each source goes with its CloudTrail event source
        for (source, event_source) in [
            ("aws.bedrock", "bedrock.amazonaws.com"),
            ("aws.cloudtrail", "cloudtrail.amazonaws.com"),
            ("aws.logs", "logs.amazonaws.com"),
            ("aws.events", "events.amazonaws.com"),
        ] {
            assert!(p["source"].as_array().unwrap().contains(&json!(source)));
            assert!(p["detail"]["eventSource"]
                .as_array()
                .unwrap()
                .contains(&json!(event_source)));
        }
    }

    #[test]
    fn an_unknown_name_suggests_the_closest_preset() {
        let err = lookup("governance-tampering").unwrap_err();
        assert_eq!(err.suggestion.as_deref(), Some("governance_tampering"));
        assert!(
            err.to_string()
                .contains("did you mean `governance_tampering`?"),
            "{err}"
        );
        let err = lookup("xyz").unwrap_err();
        assert_eq!(err.suggestion, None);
        assert!(
            err.to_string()
                .contains("bedrock_configuration, bedrock_api_calls, governance_tampering"),
            "{err}"
        );
    }
}
