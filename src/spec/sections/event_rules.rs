//! The `event_rules` section: EventBridge rules written out (name, pattern, targets) — the general form the `event_forwarding` presets expand into — with located checks, merge by name, and expansion into rules whose targets are an SNS topic or the Dynatrace destination.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::event_forwarding::{
    dynatrace_target, is_set_anywhere, rule_resource, source_arns, topic_target, RuleHead,
    PUT_EVENTS_POLICY_NAME,
};
use super::notify::{self, Publisher, TopicSpec};
use super::{effective, Expansion, Merge, Scope, Section};
use crate::events::dynatrace::check_name;
use crate::events::pattern::{EventPattern, PatternError};
use crate::events::policy as events_policy;
use crate::kinds::logs_resource_policy::{policy_name, MAX_DOCUMENT_CHARS};
use crate::model::addr::Kind;
use crate::model::addr::ResourceAddr;
use crate::model::desired::DesiredResource;
use crate::source::{did_you_mean, regions, Diagnostic, SourceFile, Sp};
use crate::spec::check::Checker;
use crate::spec::types::{Override, Spec};

/// EventBridge allows at most 5 targets per rule.
pub const MAX_TARGETS: usize = 5;
/// At most what one rule expands into: itself, and per target a topic, log group or role, plus
/// the scope's logs resource policy.
const RESOURCES_PER_RULE: usize = 2 + MAX_TARGETS;

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
    /// A CloudWatch Logs log group of the same account and region, e.g. `/aws/events/bedrock`:
    /// created (tagged) unless another section declares it; warden's own resource policy
    /// `warden-events-<project>` lets EventBridge write to exactly these groups.
    #[serde(default)]
    pub log_group: Option<Sp<String>>,
    /// Another account's event bus, by ARN (`arn:aws:events:<region>:<account>:event-bus/<name>`):
    /// the rule sends with a role that EventBridge alone may assume for this account's rules
    /// and that may only `events:PutEvents` on that bus. The bus's own policy must let this
    /// account put events (warden's `event_forwarding.dynatrace.via` bus does).
    #[serde(default)]
    pub event_bus: Option<Sp<String>>,
}

/// An event bus ARN as a target names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

/// Reads `arn:<partition>:events:<region>:<account>:event-bus/<name>`; the error says what is wrong.
pub fn parse_bus_arn(text: &str) -> Result<BusArn, String> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return Err(format!(
            "`{text}` is not an ARN (arn:aws:events:<region>:<account id>:event-bus/<name>)"
        ));
    };
    if arn != "arn" || !["aws", "aws-cn", "aws-us-gov"].contains(&partition) {
        return Err(format!(
            "`{text}` is not an ARN of an AWS partition (aws, aws-cn, aws-us-gov)"
        ));
    }
    if service != "events" {
        return Err(format!(
            "`{text}` is a `{service}` ARN, not an EventBridge event bus"
        ));
    }
    let region_ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !region_ok {
        return Err(format!("`{text}` names no region (e.g. us-east-1)"));
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("`{text}` does not name a 12-digit account id"));
    }
    let Some(name) = resource.strip_prefix("event-bus/") else {
        return Err(format!(
            "`{text}` is not an event bus (its resource must be `event-bus/<name>`)"
        ));
    };
    let name_ok = (1..=256).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
    if !name_ok {
        return Err(format!(
            "`{name}` is not an event bus name (1-256 letters, digits, `.`, `_`, `-`, `/`)"
        ));
    }
    Ok(BusArn {
        partition: partition.to_string(),
        region: region.to_string(),
        account: account.to_string(),
        name: name.to_string(),
    })
}

/// Whether `name` is a log group name CloudWatch Logs accepts.
pub fn log_group_name_ok(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c))
}

/// A short stable hash (8 hex digits) of `text`, to keep generated names unique and short.
fn short_hash(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// A target Id (1-64 of `.-_A-Za-z0-9`) `prefix` + `readable`, other characters as `_`; when too
/// long, cut and made unique by a hash of `readable`.
pub fn target_id(prefix: &str, readable: &str) -> String {
    let clean: String = readable
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('_');
    let id = format!("{prefix}{clean}");
    if id.len() <= 64 {
        return id;
    }
    let keep = 64 - prefix.len() - 9;
    format!("{prefix}{}-{}", &clean[..keep], short_hash(readable))
}

/// The role a rule of this scope sends to `bus` with (IAM names are per account: the region
/// and a hash of the bus ARN keep it to one bus).
pub fn bus_role_name(region: &str, bus_arn: &str) -> String {
    format!("warden-put-events-{region}-{}", short_hash(bus_arn))
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
                let given = [
                    target.sns_topic.is_some(),
                    target.dynatrace.is_some(),
                    target.log_group.is_some(),
                    target.event_bus.is_some(),
                ]
                .iter()
                .filter(|g| **g)
                .count();
                if given != 1 {
                    self.error(
                        rule.name.span(),
                        tfield,
                        "each target is exactly one of `sns_topic`, `dynatrace: true`, `log_group` or `event_bus`".into(),
                        Some("write e.g. `- sns_topic: alerts`, `- dynatrace: true`, `- log_group: /aws/events/bedrock` or `- event_bus: arn:aws:events:…:event-bus/…`".into()),
                    );
                    continue;
                }
                if let Some(topic) = &target.sns_topic {
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
                if let Some(flag) = &target.dynatrace {
                    if *flag.get() && !is_set_anywhere(spec) {
                        self.error(
                            flag.span(),
                            format!("{tfield}.dynatrace"),
                            "this target forwards to Dynatrace, but the spec has no `event_forwarding.dynatrace`".into(),
                            Some("add `event_forwarding: {dynatrace: {environment_url: …, api_token: ${env:…}, events: […]}}`".into()),
                        );
                    }
                }
                if let Some(group) = &target.log_group {
                    if !log_group_name_ok(group.get()) {
                        self.error(
                            group.span(),
                            format!("{tfield}.log_group"),
                            format!("`{}` is not a CloudWatch Logs log group name", group.get()),
                            Some("use 1-512 letters, digits, `.`, `_`, `-`, `/` and `#`, e.g. `/aws/events/bedrock`".into()),
                        );
                    }
                }
                if let Some(bus) = &target.event_bus {
                    if let Err(e) = parse_bus_arn(bus.get()) {
                        self.error(
                            bus.span(),
                            format!("{tfield}.event_bus"),
                            e,
                            Some("give the bus's ARN, e.g. `arn:aws:events:us-east-1:222222222222:event-bus/central`".into()),
                        );
                    }
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
                .map(|o| o.event_rules.len() * RESOURCES_PER_RULE)
                .sum();
            let here = spec.event_rules.len() * RESOURCES_PER_RULE + overrides;
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
            for target in &rule.targets {
                if let Some(group) = &target.log_group {
                    let (id, value, deps) = log_group_target(scope, out, group);
                    targets.insert(id, value);
                    depends_on.extend(deps);
                }
                if let Some(bus) = &target.event_bus {
                    if let Some((id, value, deps)) = bus_target(scope, out, &name, bus) {
                        targets.insert(id, value);
                        depends_on.extend(deps);
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

/// A rule's target that is a log group of this scope: the group (declared here unless another
/// section does) and warden's resource policy letting EventBridge write to it.
fn log_group_target(
    scope: &Scope,
    out: &mut Expansion,
    group: &Sp<String>,
) -> (String, Value, Vec<ResourceAddr>) {
    let name = group.get().clone();
    let partition = regions::partition(scope.region);
    let account = scope.target.id.clone();
    let addr = |kind, n: &str| ResourceAddr::new(&scope.target.name, scope.region, kind, n);
    let origin = SourceFile::location(&group.span());
    if !out.created_here(Kind::LogGroup).contains(&name) {
        out.resources.push(DesiredResource {
            addr: addr(Kind::LogGroup, &name),
            props: json!({
                "retention_days": null,
                "kms_key_id": null,
                "tags": scope.tags(),
                "data_protection": null,
            }),
            depends_on: Vec::new(),
            origin,
        });
    }
    let policy_addr = addr(Kind::LogsResourcePolicy, &policy_name(scope.project));
    let start = out.scope_start;
    let mut groups = vec![name.clone()];
    let existing = out.resources[start..]
        .iter()
        .position(|r| r.addr == policy_addr);
    if let Some(i) = existing {
        let held = &out.resources[start + i].props["policy"]["Statement"][0]["Resource"];
        groups.extend(held.as_array().into_iter().flatten().filter_map(|arn| {
            let arn = arn.as_str()?.strip_suffix(":*")?;
            Some(arn.split_once(":log-group:")?.1.to_string())
        }));
    }
    let policy = events_policy::logs_write_policy(partition, scope.region, &account, &groups);
    if policy.to_string().len() > MAX_DOCUMENT_CHARS {
        out.problems.push(
            Diagnostic::error(
                &scope.loaded.source,
                Some(&group.span()),
                format!(
                    "the log groups event rules target in account `{}`, {} are too many for one CloudWatch Logs resource policy ({MAX_DOCUMENT_CHARS} characters)",
                    scope.target.name, scope.region
                ),
            )
            .field("event_rules")
            .help("send the rules to fewer log groups (one group can take several rules)"),
        );
    }
    match existing {
        Some(i) => out.resources[start + i].props["policy"] = policy,
        None => out.resources.push(DesiredResource {
            addr: policy_addr.clone(),
            props: json!({"policy": policy}),
            depends_on: Vec::new(),
            origin,
        }),
    }
    let value = json!({
        "arn": format!("arn:{partition}:logs:{}:{account}:log-group:{name}", scope.region),
        "role_arn": null, "input_transformer": null, "dead_letter_arn": null,
    });
    (
        target_id("warden-logs-", &name),
        value,
        vec![addr(Kind::LogGroup, &name), policy_addr],
    )
}

/// A rule's target that is an event bus given by ARN: a role (one per bus and region) that
/// EventBridge may assume for exactly the rules of this scope that send there, and that may
/// only put events on that bus.
fn bus_target(
    scope: &Scope,
    out: &mut Expansion,
    rule: &str,
    bus: &Sp<String>,
) -> Option<(String, Value, Vec<ResourceAddr>)> {
    let problem = |message: String, help: &str| {
        Diagnostic::error(&scope.loaded.source, Some(&bus.span()), message)
            .field("event_rules")
            .help(help.to_string())
    };
    let arn = bus.get().clone();
    let Ok(parsed) = parse_bus_arn(&arn) else {
        return None; // reported by the checks
    };
    let partition = regions::partition(scope.region);
    if parsed.partition != partition {
        out.problems.push(problem(
            format!(
                "rule `{rule}` in {} ({partition}) cannot send to a bus in partition `{}`",
                scope.region, parsed.partition
            ),
            "EventBridge sends only within a partition: name a bus there",
        ));
        return None;
    }
    if parsed.account == scope.target.id
        && parsed.region == scope.region
        && parsed.name == "default"
    {
        out.problems.push(problem(
            format!(
                "rule `{rule}` is on account `{}`'s default bus in {} and would send its events back to it",
                scope.target.name, scope.region
            ),
            "name another account's bus (or another bus)",
        ));
        return None;
    }
    let account = scope.target.id.clone();
    let role = bus_role_name(scope.region, &arn);
    let role_addr = ResourceAddr::new(&scope.target.name, scope.region, Kind::IamRole, &role);
    let rule_arn = events_policy::rule_arn(partition, scope.region, &account, None, rule);
    let start = out.scope_start;
    match out.resources[start..]
        .iter_mut()
        .find(|r| r.addr == role_addr)
    {
        Some(existing) => {
            let mut arns = source_arns(&existing.props["trust_policy"], "ArnEquals");
            arns.push(rule_arn);
            existing.props["trust_policy"] =
                events_policy::target_role_trust_policy(&account, &arns);
        }
        None => out.resources.push(DesiredResource {
            addr: role_addr.clone(),
            props: json!({
                "trust_policy": events_policy::target_role_trust_policy(&account, &[rule_arn]),
                "inline_policies": {PUT_EVENTS_POLICY_NAME: events_policy::put_events_policy(&arn)},
                "tags": scope.tags(),
            }),
            depends_on: Vec::new(),
            origin: SourceFile::location(&bus.span()),
        }),
    }
    let value = json!({
        "arn": arn,
        "role_arn": format!("arn:{partition}:iam::{account}:role/{role}"),
        "input_transformer": null, "dead_letter_arn": null,
    });
    Some((
        target_id(
            "warden-bus-",
            &format!("{}-{}", parsed.account, parsed.name),
        ),
        value,
        vec![role_addr],
    ))
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
    fn log_group_and_bus_targets_are_checked_where_written() {
        let text = format!("{HEAD}event_rules:\n  - name: r\n    pattern: {{source: [aws.bedrock]}}\n    targets:\n      - log_group: \"/aws/events/a b\"\n      - event_bus: arn:aws:sns:us-east-1:222222222222:topic\n      - {{log_group: /aws/events/x, event_bus: arn:aws:events:us-east-1:222222222222:event-bus/central}}\n");
        let all = findings(&text);
        let at = |field: &str| {
            all.iter()
                .find(|d| d.field.as_deref() == Some(field))
                .unwrap_or_else(|| panic!("{field}: {all:?}"))
        };
        let group = at("event_rules[0].targets[0].log_group");
        assert!(
            group
                .message
                .contains("not a CloudWatch Logs log group name"),
            "{group:?}"
        );
        assert_eq!(group.position(), "t.yaml:10:20");
        let bus = at("event_rules[0].targets[1].event_bus");
        assert!(
            bus.message
                .contains("a `sns` ARN, not an EventBridge event bus"),
            "{bus:?}"
        );
        assert_eq!(bus.position(), "t.yaml:11:20");
        assert!(at("event_rules[0].targets[2]")
            .message
            .contains("exactly one of"));
        for (arn, says) in [
            (
                "arn:aws:events:us-east-1:2222:event-bus/x",
                "12-digit account id",
            ),
            (
                "arn:aws:events:us-east-1:222222222222:rule/x",
                "must be `event-bus/<name>`",
            ),
            ("central", "is not an ARN"),
        ] {
            assert!(
                super::parse_bus_arn(arn).unwrap_err().contains(says),
                "{arn}"
            );
        }
    }

    #[test]
    fn log_group_and_bus_targets_bring_their_policy_and_role() {
        let text = format!("{HEAD}event_rules:\n  - name: r1\n    pattern: {{source: [aws.bedrock]}}\n    targets: [{{log_group: /aws/events/bedrock}}, {{event_bus: arn:aws:events:us-east-1:222222222222:event-bus/central}}]\n  - name: r2\n    pattern: {{source: [aws.bedrock]}}\n    targets: [{{log_group: /aws/events/other}}, {{event_bus: arn:aws:events:us-east-1:222222222222:event-bus/central}}]\n");
        let loaded = load_source(SourceFile::new("t.yaml", &text), EnvMode::Strict)
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let desired = crate::model::expand(&loaded).expect("expands");
        let of = |kind: &str| -> Vec<&crate::model::desired::DesiredResource> {
            desired
                .resources
                .iter()
                .filter(|r| r.addr.kind.as_str() == kind)
                .collect()
        };
        assert_eq!(of("log_group").len(), 2);
        let policies = of("logs_resource_policy");
        assert_eq!(
            policies.len(),
            1,
            "one policy of warden's own name per scope"
        );
        assert!(policies[0].addr.name.starts_with("warden-events-"));
        let resources = &policies[0].props["policy"]["Statement"][0]["Resource"];
        assert_eq!(
            resources,
            &serde_json::json!([
                "arn:aws:logs:us-east-1:111111111111:log-group:/aws/events/bedrock:*",
                "arn:aws:logs:us-east-1:111111111111:log-group:/aws/events/other:*"
            ])
        );
        let roles = of("iam_role");
        assert_eq!(roles.len(), 1, "one role per bus and region");
        let trust = roles[0].props["trust_policy"].to_string();
        assert!(
            trust.contains("rule/r1") && trust.contains("rule/r2"),
            "{trust}"
        );
        assert_eq!(
            roles[0].props["inline_policies"]["warden-put-events"]["Statement"][0]["Resource"],
            "arn:aws:events:us-east-1:222222222222:event-bus/central",
            "events:PutEvents on that bus only"
        );
        let rule = of("event_rule")
            .into_iter()
            .find(|r| r.addr.name == "r1")
            .unwrap();
        let targets = rule.props["targets"].as_object().unwrap();
        assert_eq!(
            targets["warden-logs-aws_events_bedrock"]["arn"],
            "arn:aws:logs:us-east-1:111111111111:log-group:/aws/events/bedrock"
        );
        assert_eq!(
            targets["warden-bus-222222222222-central"]["role_arn"],
            format!("arn:aws:iam::111111111111:role/{}", roles[0].addr.name)
        );
        // its own default bus is refused, located at the ARN
        let own = text.replace(
            "222222222222:event-bus/central",
            "111111111111:event-bus/default",
        );
        let loaded = load_source(SourceFile::new("t.yaml", &own), EnvMode::Strict).unwrap();
        let Err(problems) = crate::model::expand(&loaded) else {
            panic!("a rule sending to its own default bus is refused")
        };
        assert!(
            problems
                .iter()
                .any(|d| d.message.contains("would send its events back")),
            "{problems:?}"
        );
    }

    #[test]
    fn long_target_ids_stay_unique_within_64() {
        let a = super::target_id("warden-logs-", &format!("/aws/events/{}", "x".repeat(80)));
        let b = super::target_id("warden-logs-", &format!("/aws/events/{}y", "x".repeat(79)));
        assert!(a.len() <= 64 && b.len() <= 64);
        assert_ne!(a, b);
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
