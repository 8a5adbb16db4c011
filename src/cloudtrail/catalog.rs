//! The Bedrock resource types CloudTrail records data events for, kept as data in bedrock_data_events.txt.

use std::sync::OnceLock;

use crate::spec::did_you_mean;

const CATALOG: &str = include_str!("bedrock_data_events.txt");

/// The prefix of every Bedrock CloudTrail resource type (`AWS::Bedrock::AgentAlias`).
pub const TYPE_PREFIX: &str = "AWS::Bedrock::";

/// Where AWS lists the data-event resource types; quoted in help texts and warnings.
pub const DOCS_URL: &str =
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html";

/// What the spec writes instead of a list to mean every type of the catalog.
pub const ALL: &str = "all";

/// One Bedrock data-event resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// The name a spec uses (`AgentAlias`).
    pub name: &'static str,
    /// One line for `warden schema` and the plan.
    pub description: &'static str,
}

impl ResourceType {
    /// The value of the selector field `resources.type` (`AWS::Bedrock::AgentAlias`).
    pub fn cloudtrail_type(&self) -> String {
        cloudtrail_type(self.name)
    }
}

/// What a name in a spec's `data_events.bedrock` list turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// In the catalog, spelled as AWS spells it.
    Known(&'static ResourceType),
    /// Not in the catalog. Still usable (AWS adds types faster than any tool), but worth a
    /// located warning; `suggestion` is the catalog name it was probably meant to be.
    Unknown { suggestion: Option<&'static str> },
}

fn parse(text: &'static str) -> Vec<ResourceType> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (name, description) = line
                .split_once('|')
                .expect("bedrock_data_events.txt: every entry is `Name | description`");
            ResourceType {
                name: name.trim(),
                description: description.trim(),
            }
        })
        .collect()
}

/// Every type of the catalog, in file order (parsed once).
pub fn all() -> &'static [ResourceType] {
    static PARSED: OnceLock<Vec<ResourceType>> = OnceLock::new();
    PARSED.get_or_init(|| parse(CATALOG))
}

/// `AWS::Bedrock::<name>`.
pub fn cloudtrail_type(name: &str) -> String {
    format!("{TYPE_PREFIX}{name}")
}

/// The short name of a Bedrock CloudTrail type (`AWS::Bedrock::Guardrail` → `Guardrail`), or
/// None for another service's type.
pub fn short_name(cloudtrail_type: &str) -> Option<&str> {
    cloudtrail_type
        .strip_prefix(TYPE_PREFIX)
        .filter(|rest| !rest.is_empty())
}

/// Look a spec's name up: exact match, or unknown with the nearest catalog name
/// (case-insensitive matches and near misses such as `Guardrails` → `Guardrail`).
pub fn lookup(name: &str) -> Lookup {
    if let Some(found) = all().iter().find(|t| t.name == name) {
        return Lookup::Known(found);
    }
    let suggestion = all()
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
        .map(|t| t.name)
        .or_else(|| did_you_mean(name, all().iter().map(|t| t.name)));
    Lookup::Unknown { suggestion }
}

/// The CloudTrail types a spec's list stands for: `["all"]` is the whole catalog; other
/// names map to `AWS::Bedrock::<name>` whether known or not (warn with [`lookup`]).
/// Duplicates are dropped; order is kept.
pub fn expand(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let types: Vec<String> = if name == ALL {
            all().iter().map(ResourceType::cloudtrail_type).collect()
        } else {
            vec![cloudtrail_type(name)]
        };
        for t in types {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_holds_the_console_types_and_the_documented_extras() {
        let names: Vec<&str> = all().iter().map(|t| t.name).collect();
        for wanted in [
            "AgentAlias",
            "Blueprint",
            "DataAutomationProfile",
            "DataAutomationProject",
            "FlowAlias",
            "Guardrail",
            "InlineAgent",
            "KnowledgeBase",
            "Model",
            "PromptVersion",
            "Session",
            "AsyncInvoke",
            "FlowExecution",
        ] {
            assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
        }
    }

    #[test]
    fn catalog_entries_are_well_formed_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for t in all() {
            assert!(seen.insert(t.name), "{} listed twice", t.name);
            assert!(
                !t.name.is_empty() && t.name.chars().all(|c| c.is_ascii_alphanumeric()),
                "{:?} is not shaped like a CloudTrail type name",
                t.name
            );
            assert!(!t.description.is_empty(), "{} has no description", t.name);
            assert!(!t.description.contains('|'), "{}: stray separator", t.name);
        }
    }

    #[test]
    fn cloudtrail_type_and_short_name_round_trip() {
        let guardrail = match lookup("Guardrail") {
            Lookup::Known(t) => t,
            other => panic!("{other:?}"),
        };
        assert_eq!(guardrail.cloudtrail_type(), "AWS::Bedrock::Guardrail");
        assert_eq!(short_name("AWS::Bedrock::Guardrail"), Some("Guardrail"));
        assert_eq!(short_name("AWS::S3::Object"), None);
        assert_eq!(short_name("AWS::Bedrock::"), None);
    }

    #[test]
    fn near_misses_get_a_suggestion() {
        assert_eq!(
            lookup("Guardrails"),
            Lookup::Unknown {
                suggestion: Some("Guardrail")
            }
        );
        assert_eq!(
            lookup("knowledgebase"),
            Lookup::Unknown {
                suggestion: Some("KnowledgeBase")
            }
        );
        assert_eq!(
            lookup("AgentAliases"),
            Lookup::Unknown {
                suggestion: Some("AgentAlias")
            }
        );
        assert_eq!(lookup("Xyzzy"), Lookup::Unknown { suggestion: None });
    }

    #[test]
    fn all_expands_to_the_catalog_and_unknown_names_pass_through() {
        let every = expand(&["all".to_string()]);
        assert_eq!(every.len(), all().len());
        assert!(every.contains(&"AWS::Bedrock::FlowExecution".to_string()));

        let some = expand(&[
            "Guardrail".to_string(),
            "BrandNewThing".to_string(),
            "Guardrail".to_string(),
        ]);
        assert_eq!(
            some,
            vec!["AWS::Bedrock::Guardrail", "AWS::Bedrock::BrandNewThing"]
        );

        let mixed = expand(&["Guardrail".to_string(), "all".to_string()]);
        assert_eq!(mixed.len(), all().len());
        assert_eq!(mixed[0], "AWS::Bedrock::Guardrail");
    }
}
