//! The `event_rules` section: EventBridge rules written out (name, pattern, targets) — the general form the `event_forwarding` presets expand into — with located checks, merge by name, and expansion into rules whose targets are an SNS topic or the Dynatrace destination.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::event_forwarding::{
    dynatrace_target, is_set_anywhere, rule_resource, topic_target, RuleHead,
};
use super::notify::{self, Publisher, TopicSpec};
use super::{effective, Expansion, Merge, Scope, Section};
use crate::events::dynatrace::check_name;
use crate::events::pattern::{EventPattern, PatternError};
use crate::model::addr::Kind;
use crate::source::{did_you_mean, Diagnostic, SourceFile, Sp};
use crate::spec::check::Checker;
use crate::spec::types::{Override, Spec};

/// EventBridge allows at most 5 targets per rule.
pub const MAX_TARGETS: usize = 5;

/// An event pattern as written in the spec: a YAML mapping, or a JSON object in a string.
///
/// In the YAML form, scalars that read as `true`, `false`, `null` or a number are those JSON
/// values (YAML does not tell warden whether they were quoted); write the pattern as a JSON
/// string to match, say, the string `"0"`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternValue(pub Value);

fn scalar(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" | "~" => Value::Null,
        _ => match serde_json::from_str::<serde_json::Number>(text) {
            Ok(n) if !text.starts_with('+') => Value::Number(n),
            _ => Value::String(text.to_string()),
        },
    }
}

/// Reads any YAML value as JSON, scalars coerced as [`scalar`] says.
struct Loose;

impl<'de> Visitor<'de> for Loose {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event pattern value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(scalar(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(json!(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(json!(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(json!(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(LooseValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some((k, LooseValue(v))) = map.next_entry::<String, LooseValue>()? {
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

struct LooseValue(Value);

impl<'de> Deserialize<'de> for LooseValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Loose).map(LooseValue)
    }
}

impl<'de> Deserialize<'de> for PatternValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Top;
        impl<'de> Visitor<'de> for Top {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an event pattern: a mapping such as {source: [aws.bedrock]}, or a JSON object in a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                serde_json::from_str(v).map_err(|e| {
                    E::custom(format!(
                        "the pattern string is not JSON ({e}); write the pattern as a YAML mapping or a JSON object"
                    ))
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
                Loose.visit_map(map)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
                Loose.visit_seq(seq)
            }
        }
        d.deserialize_any(Top).map(PatternValue)
    }
}

impl JsonSchema for PatternValue {
    fn schema_name() -> Cow<'static, str> {
        "EventPattern".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An EventBridge event pattern: a mapping of field names to lists of match values (e.g. {source: [aws.bedrock], detail: {eventName: [{prefix: UpdateGuardrail}]}}), or the same as a JSON string. Unquoted true/false/null/numbers are JSON values; use a JSON string to match such text exactly.",
            "oneOf": [ { "type": "object" }, { "type": "string" } ]
        })
    }
}

/// One target of a rule: an SNS topic or the Dynatrace destination of `event_forwarding`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTarget {
    /// An SNS topic warden creates in each account and region (topic policy lets only this
    /// account's rules publish): `{name, email: [...]}`, or just its name.
    #[serde(default)]
    pub sns_topic: Option<TopicOrName>,
    /// `true`: forward matching events to Dynatrace through `event_forwarding.dynatrace`'s API
    /// destination (business events, with its input transformer, role and dead-letter queue).
    #[serde(default)]
    pub dynatrace: Option<Sp<bool>>,
}

/// A topic given as `{name, email}` or as its name alone.
#[derive(Debug, Clone)]
pub struct TopicOrName(pub TopicSpec);

impl<'de> Deserialize<'de> for TopicOrName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Clone)]
        enum Raw {
            Name(String),
            Full(TopicSpec),
        }
        impl<'de> Deserialize<'de> for Raw {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Raw;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a topic name, or {name: …, email: [...]}")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
                        Ok(Raw::Name(v.to_string()))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Raw, A::Error> {
                        TopicSpec::deserialize(de::value::MapAccessDeserializer::new(map))
                            .map(Raw::Full)
                    }
                }
                d.deserialize_any(V)
            }
        }
        // Read through `Sp` so that a name given alone keeps its place in the file.
        let raw = Sp::<Raw>::deserialize(d)?;
        let span = raw.span();
        Ok(TopicOrName(match raw.get().clone() {
            Raw::Name(name) => TopicSpec {
                name: Sp::with_span(span, name),
                email: Vec::new(),
            },
            Raw::Full(spec) => spec,
        }))
    }
}

impl JsonSchema for TopicOrName {
    fn schema_name() -> Cow<'static, str> {
        "SnsTopicOrName".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let full = generator.subschema_for::<TopicSpec>();
        json_schema!({
            "description": "An SNS topic: `{name, email: [...]}` or its name alone.",
            "oneOf": [ { "type": "string" }, full ]
        })
    }
}

/// An EventBridge rule on the account's default bus.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRuleSpec {
    /// Rule name: 1-64 letters, digits, `.`, `_`, `-`.
    pub name: Sp<String>,
    /// The event pattern (compared with AWS's by meaning, never as text).
    #[serde(default)]
    pub pattern: Option<Sp<PatternValue>>,
    /// Where matching events go (at most 5).
    #[serde(default)]
    pub targets: Vec<RuleTarget>,
    /// `false` creates the rule disabled (default `true`).
    #[serde(default)]
    pub enabled: Option<Sp<bool>>,
    /// In an override: `true` removes this baseline rule here.
    #[serde(default)]
    pub skip: Option<Sp<bool>>,
}

/// Overrides merge rules by name: a rule given replaces the baseline's of that name as a
/// whole, `skip: true` removes it, a new name adds one.
impl Merge for Vec<EventRuleSpec> {
    fn merged<'a>(base: Cow<'a, Self>, over: &'a Self) -> Cow<'a, Self> {
        let mut merged: Vec<EventRuleSpec> = base.into_owned();
        for item in over {
            let here = merged.iter().position(|r| r.name.get() == item.name.get());
            let skip = item.skip.as_ref().is_some_and(|s| *s.get());
            match (here, skip) {
                (Some(i), true) => {
                    merged.remove(i);
                }
                (None, true) => {}
                (Some(i), false) => merged[i] = item.clone(),
                (None, false) => merged.push(item.clone()),
            }
        }
        Cow::Owned(merged)
    }
}

/// The section in the registry of [`super::SECTIONS`].
pub struct EventRulesSection;

fn pick(block: &Override) -> Option<&Vec<EventRuleSpec>> {
    Some(&block.event_rules).filter(|rules| !rules.is_empty())
}

/// The Id of the target that sends to topic `name` (Ids are 1-64 of `.-_A-Za-z0-9`).
pub fn topic_target_id(name: &str) -> String {
    format!("warden-sns-{name}")
}

impl Checker<'_> {
    fn event_rules(
        &mut self,
        spec: &Spec,
        rules: &[EventRuleSpec],
        field: &str,
        in_override: bool,
    ) {
        self.duplicates(
            rules.iter().map(|r| (r.name.get().as_str(), r.name.span())),
            field,
            "rule",
        );
        for (i, rule) in rules.iter().enumerate() {
            let rfield = format!("{field}[{i}]");
            if let Err(e) = check_name("rule", rule.name.get()) {
                self.error(
                    rule.name.span(),
                    format!("{rfield}.name"),
                    e.to_string(),
                    Some(
                        "EventBridge rule names are 1-64 letters, digits, `.`, `_` and `-`".into(),
                    ),
                );
            }
            if rule.skip.as_ref().is_some_and(|s| *s.get()) {
                if !in_override {
                    let skip = rule.skip.as_ref().expect("checked");
                    self.error(
                        skip.span(),
                        format!("{rfield}.skip"),
                        "`skip` only means something in an account's `overrides`".into(),
                        Some("remove the rule from the list instead".into()),
                    );
                } else if !spec
                    .event_rules
                    .iter()
                    .any(|b| b.name.get() == rule.name.get())
                {
                    let hint = did_you_mean(
                        rule.name.get(),
                        spec.event_rules.iter().map(|b| b.name.as_str()),
                    )
                    .map(|b| format!("did you mean `{b}`?"))
                    .unwrap_or_else(|| "check the name against the top-level `event_rules`".into());
                    self.error(
                        rule.name.span(),
                        format!("{rfield}.skip"),
                        format!(
                            "`{}` is not in the baseline, so there is nothing to skip",
                            rule.name.get()
                        ),
                        Some(hint),
                    );
                }
                continue;
            }
            match &rule.pattern {
                None => self.error(
                    rule.name.span(),
                    format!("{rfield}.pattern"),
                    format!("rule `{}` has no `pattern`", rule.name.get()),
                    Some("add e.g. `pattern: {source: [aws.bedrock], detail-type: [AWS API Call via CloudTrail]}`".into()),
                ),
                Some(pattern) => {
                    if let Err(e) = EventPattern::from_value(&pattern.get().0) {
                        self.error(
                            self.pattern_field_span(pattern.span(), &e),
                            format!("{rfield}.pattern"),
                            e.to_string(),
                            Some("see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html".into()),
                        );
                    }
                }
            }
            if rule.targets.is_empty() || rule.targets.len() > MAX_TARGETS {
                self.error(
                    rule.name.span(),
                    format!("{rfield}.targets"),
                    format!(
                        "rule `{}` has {} targets; EventBridge takes 1 to {MAX_TARGETS}",
                        rule.name.get(),
                        rule.targets.len()
                    ),
                    Some("list where matching events go, e.g. `targets: [{sns_topic: bedrock-governance-alerts}]`".into()),
                );
            }
            for (j, target) in rule.targets.iter().enumerate() {
                let tfield = format!("{rfield}.targets[{j}]");
                match (&target.sns_topic, &target.dynatrace) {
                    (Some(topic), None) => {
                        notify::check_topic(spec, &topic.0, &format!("{tfield}.sns_topic"), self);
                        if topic_target_id(topic.0.name.get()).len() > 64 {
                            self.error(
                                topic.0.name.span(),
                                format!("{tfield}.sns_topic.name"),
                                "the topic name is too long for a target Id (`warden-sns-<name>` must fit in 64 characters)".into(),
                                Some("use a topic name of at most 53 characters".into()),
                            );
                        }
                    }
                    (None, Some(flag)) => {
                        if *flag.get() && !is_set_anywhere(spec) {
                            self.error(
                                flag.span(),
                                format!("{tfield}.dynatrace"),
                                "this target forwards to Dynatrace, but the spec has no `event_forwarding.dynatrace`".into(),
                                Some("add `event_forwarding: {dynatrace: {environment_url: …, api_token: ${env:…}, events: […]}}`".into()),
                            );
                        }
                    }
                    _ => self.error(
                        rule.name.span(),
                        tfield,
                        "each target is exactly one of `sns_topic` or `dynatrace: true`".into(),
                        Some("write e.g. `- sns_topic: alerts` or `- dynatrace: true`".into()),
                    ),
                }
            }
        }
    }
}

impl Checker<'_> {
    /// The span of the field a pattern error names (its last key, searched within the
    /// pattern's own text), or the whole pattern when it cannot be found.
    fn pattern_field_span(
        &self,
        span: marked_yaml::Span,
        error: &PatternError,
    ) -> marked_yaml::Span {
        let path = match error {
            PatternError::BareValue { path, .. }
            | PatternError::EmptyList { path }
            | PatternError::BadOr { path } => path.as_str(),
            _ => return span,
        };
        let key = path.rsplit('.').next().unwrap_or(path);
        let Some((from, to)) = self.source.byte_range(&span) else {
            return span;
        };
        let text = &self.source.text[from..to];
        match text.find(key) {
            Some(i) if !key.is_empty() => self.source.span_between(from + i, from + i + key.len()),
            _ => span,
        }
    }
}

impl Section for EventRulesSection {
    fn check_baseline(&self, spec: &Spec, checker: &mut Checker) {
        checker.event_rules(spec, &spec.event_rules, "event_rules", false);
    }

    fn check_override(&self, spec: &Spec, block: &Override, field: &str, checker: &mut Checker) {
        checker.event_rules(
            spec,
            &block.event_rules,
            &format!("{field}.event_rules"),
            true,
        );
    }

    fn count(&self, spec: &Spec) -> u64 {
        let mut total: u64 = 0;
        for (account, region) in super::scopes(spec) {
            let overrides: usize = account
                .overrides
                .iter()
                .filter(|o| super::applies(o, region))
                .map(|o| o.event_rules.len() * (1 + MAX_TARGETS))
                .sum();
            let here = spec.event_rules.len() * (1 + MAX_TARGETS) + overrides;
            total = total.saturating_add(here as u64);
        }
        total
    }

    fn expand(&self, scope: &Scope, out: &mut Expansion) {
        let baseline = &scope.spec().event_rules;
        let Some(rules) = effective(Some(baseline), scope.account, scope.region, pick) else {
            return;
        };
        for rule in rules.iter() {
            let name = rule.name.get().clone();
            let Some(pattern) = rule
                .pattern
                .as_ref()
                .and_then(|p| EventPattern::from_value(&p.get().0).ok())
            else {
                continue;
            };
            let mut targets: BTreeMap<String, Value> = BTreeMap::new();
            let mut depends_on = Vec::new();
            for target in &rule.targets {
                if let Some(topic) = &target.sns_topic {
                    let addr = notify::declare_topic(scope, out, &topic.0, Publisher::EventBridge);
                    let topic_name = addr.name.clone();
                    targets.insert(
                        topic_target_id(&topic_name),
                        topic_target(scope, &topic_name),
                    );
                    depends_on.push(addr);
                }
                if target.dynatrace.as_ref().is_some_and(|d| *d.get()) {
                    match dynatrace_target(scope, out, &name, None) {
                        Some((id, value, deps)) => {
                            targets.insert(id, value);
                            depends_on.extend(deps);
                        }
                        None => out.problems.push(
                            Diagnostic::error(
                                &scope.loaded.source,
                                Some(&rule.name.span()),
                                format!(
                                    "rule `{name}` forwards to Dynatrace, but account `{}` has no Dynatrace destination in {} (no `event_forwarding.dynatrace`, or it forwards `via` the operations account)",
                                    scope.target.name, scope.region
                                ),
                            )
                            .field("event_rules")
                            .help("give the account direct Dynatrace forwarding (baseline or override); with `via`, list the events in `event_forwarding.dynatrace.events` instead, or drop the `dynatrace` target there with an override"),
                        ),
                    }
                }
            }
            let enabled = rule.enabled.as_ref().is_none_or(|e| *e.get());
            let origin = SourceFile::location(&rule.name.span());
            let mut resource = rule_resource(
                scope,
                RuleHead {
                    bus: None,
                    name: &name,
                    pattern: &pattern,
                    description: format!("bedrock-warden: event_rules {name}"),
                },
                targets,
                depends_on,
                origin,
            );
            if !enabled {
                resource.props["state"] = json!("DISABLED");
            }
            if out.created_here(Kind::EventRule).contains(&name) {
                out.problems.push(
                    Diagnostic::error(
                        &scope.loaded.source,
                        Some(&rule.name.span()),
                        format!("rule `{name}` is also a rule `event_forwarding` makes"),
                    )
                    .field("event_rules")
                    .help("choose another name (warden's own rules start with the forwarding's name or `warden-notify-`)"),
                );
                continue;
            }
            out.resources.push(resource);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::source::{Diagnostic, SourceFile};
    use crate::spec::{load_source, EnvMode};

    const HEAD: &str =
        "version: 1\naccounts:\n  - name: a\n    id: \"111111111111\"\n    regions: [us-east-1]\n";

    fn findings(text: &str) -> Vec<Diagnostic> {
        match load_source(SourceFile::new("t.yaml", text), EnvMode::Strict) {
            Ok(loaded) => loaded.warnings,
            Err(e) => e.diagnostics,
        }
    }

    #[test]
    fn bad_patterns_are_located_with_their_field_path() {
        let text = format!("{HEAD}event_rules:\n  - name: r\n    pattern: {{detail: {{eventName: DeleteTrail}}}}\n    targets: [{{sns_topic: alerts}}]\n");
        let all = findings(&text);
        let d = all
            .iter()
            .find(|d| d.field.as_deref() == Some("event_rules[0].pattern"))
            .unwrap_or_else(|| panic!("{all:?}"));
        assert!(d.message.contains("`detail.eventName`"), "{d:?}");
        assert_eq!(
            d.position(),
            "t.yaml:8:24",
            "at the field, not the whole pattern"
        );
        let json = format!("{HEAD}event_rules:\n  - name: r\n    pattern: '{{\"source\": [\"aws.bedrock\"]'\n    targets: [{{sns_topic: alerts}}]\n");
        let all = findings(&json);
        assert!(
            all.iter()
                .any(|d| d.is_error() && d.message.contains("not JSON")),
            "{all:?}"
        );
    }

    #[test]
    fn targets_are_one_of_a_kind_and_dynatrace_needs_forwarding() {
        let text = format!("{HEAD}event_rules:\n  - name: r\n    pattern: {{source: [aws.bedrock]}}\n    targets: [{{dynatrace: true}}, {{}}]\n");
        let all = findings(&text);
        let fields: Vec<&str> = all.iter().filter_map(|d| d.field.as_deref()).collect();
        assert!(
            fields.contains(&"event_rules[0].targets[0].dynatrace"),
            "{all:?}"
        );
        assert!(fields.contains(&"event_rules[0].targets[1]"), "{all:?}");
        let many = format!("{HEAD}event_rules:\n  - name: r\n    pattern: {{source: [aws.bedrock]}}\n    targets: [{{sns_topic: a}}, {{sns_topic: b}}, {{sns_topic: c}}, {{sns_topic: d}}, {{sns_topic: e}}, {{sns_topic: f}}]\n");
        assert!(findings(&many)
            .iter()
            .any(|d| d.message.contains("EventBridge takes 1 to 5")));
    }

    #[test]
    fn an_override_skips_a_baseline_rule_by_name() {
        let text = "version: 1\naccounts:\n  - name: a\n    id: \"111111111111\"\n    regions: [us-east-1]\n    overrides:\n      - event_rules: [{name: r, skip: true}]\n  - name: b\n    id: \"222222222222\"\n    regions: [us-east-1]\nevent_rules:\n  - name: r\n    pattern: {source: [aws.bedrock]}\n    targets: [{sns_topic: alerts}]\n";
        let loaded = load_source(SourceFile::new("t.yaml", text), EnvMode::Strict)
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let desired = crate::model::expand(&loaded).expect("expands");
        assert!(desired.resources.iter().all(|r| r.addr.account == "b"));
        assert_eq!(desired.resources.len(), 2, "topic and rule in b");
        let typo = text.replace("{name: r, skip: true}", "{name: rr, skip: true}");
        assert!(findings(&typo)
            .iter()
            .any(|d| d.help.as_deref() == Some("did you mean `r`?")));
    }
}
