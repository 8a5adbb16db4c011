//! The `event_forwarding` section: Bedrock events forwarded to Dynatrace (connection → API destination → role → dead-letter queue → one rule per preset) and to people (SNS topics), with located checks, per-account overrides and expansion.
//!
//! The token is never part of a desired resource: the connection's properties carry the
//! variable's name and a keyed fingerprint of its value (see `kinds::event_connection`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::notify::{self, Publisher, TopicSpec};
use super::{effective, is_set, resolve, Expansion, Merge, Scope, Section};
use crate::events::dynatrace::{self, EnvironmentUrl};
use crate::events::pattern::EventPattern;
use crate::events::policy as events_policy;
use crate::events::presets;
use crate::events::secret::Secret;
use crate::kinds::event_connection::{token_fingerprint, token_not_checked, token_source};
use crate::kinds::sqs_queue::queue_arn;
use crate::model::addr::{Kind, ResourceAddr};
use crate::model::desired::DesiredResource;
use crate::source::{regions, Location, SourceFile, Sp};
use crate::spec::check::Checker;
use crate::spec::types::{Override, Spec};

/// Default name of the connection, the API destination and the prefix of the rules.
pub const DEFAULT_NAME: &str = "warden-dynatrace";
/// Default name of the dead-letter queue.
pub const DEFAULT_DEAD_LETTER: &str = "warden-events-dead-letter";
/// Id of the Dynatrace target on a rule.
pub const DYNATRACE_TARGET_ID: &str = "warden-dynatrace";
/// Name of the inline policy of the target role.
pub const ROLE_POLICY_NAME: &str = "warden-invoke-api-destination";
/// Sid of warden's statement in the dead-letter queue's policy.
pub const DEAD_LETTER_SID: &str = "WardenEventBridgeDeadLetter";
/// Prefix of the rules that notify people.
pub const NOTIFY_PREFIX: &str = "warden-notify-";
/// Default name of the operations account's bus with `via`.
pub const DEFAULT_BUS: &str = "warden-bedrock-events";
/// Id of the target that sends to the operations bus.
pub const OPS_BUS_TARGET_ID: &str = "warden-ops-bus";
/// Name of the inline policy of a governed account's forwarding role with `via`.
pub const PUT_EVENTS_POLICY_NAME: &str = "warden-put-events";
/// Undelivered events are kept 14 days (SQS's maximum).
const DEAD_LETTER_RETENTION_SECONDS: i64 = 1_209_600;

/// Bedrock events forwarded to Dynatrace and to people.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventForwarding {
    /// Forwarding to Dynatrace business events (one token; an API destination per account and
    /// region). An override replaces this block as a whole.
    #[serde(default)]
    pub dynatrace: Option<Dynatrace>,
    /// Events that a person is told about by email through an SNS topic. An override replaces
    /// this list as a whole.
    #[serde(default)]
    pub notify: Option<Vec<Notify>>,
    /// Only in overrides: no event forwarding in this account (or its listed regions).
    #[serde(default)]
    pub skip: Option<Sp<bool>>,
}

/// The Dynatrace side.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dynatrace {
    /// The environment URL, e.g. `https://abc12345.live.dynatrace.com` (Managed:
    /// `https://<host>/e/<environment id>`), or `${env:DT_ENV_URL}`. warden appends
    /// `/api/v2/bizevents/ingest`.
    pub environment_url: Sp<String>,
    /// The API token (scope `bizevents.ingest`), always as `${env:NAME}`: a token written in
    /// the spec would be in version control and in saved plans. Never printed; a keyed
    /// fingerprint tells whether it changed.
    pub api_token: Sp<String>,
    /// The business event's `type`, what the OpenPipeline route matches. Default
    /// `gen_ai.auditing`.
    #[serde(default)]
    pub event_type: Option<Sp<String>>,
    /// Presets to forward: `bedrock_configuration`, `bedrock_api_calls`,
    /// `governance_tampering` (one rule each).
    #[serde(default)]
    pub events: Vec<Sp<String>>,
    /// Calls per second the API destination makes at most (default: AWS's 300).
    #[serde(default)]
    pub invocation_rate_per_second: Option<Sp<i64>>,
    /// An SQS queue keeping (14 days) the events that could not be delivered: `{}` or
    /// `{name: …}` (default name `warden-events-dead-letter`).
    #[serde(default)]
    pub dead_letter: Option<DeadLetter>,
    /// Name of the connection and API destination, prefix of the rules. Default
    /// `warden-dynatrace`.
    #[serde(default)]
    pub name: Option<Sp<String>>,
    /// The name of the operations account (in `accounts`) that alone holds the Dynatrace
    /// connection: every other account's matching events go to an event bus there (its policy
    /// lets exactly the governed accounts put events), each by a rule with a role; the events
    /// keep their source account. One token to rotate. Without it, each account forwards
    /// directly.
    #[serde(default)]
    pub via: Option<Sp<String>>,
    /// The operations account's bus with `via` (default `warden-bedrock-events`).
    #[serde(default)]
    pub bus: Option<Sp<String>>,
}

/// The dead-letter queue.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadLetter {
    /// Queue name (1-80 letters, digits, `-`, `_`). Default `warden-events-dead-letter`.
    #[serde(default)]
    pub name: Option<Sp<String>>,
}

/// Events a person is told about.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// Presets, e.g. `[governance_tampering]` (one rule each, `warden-notify-<preset>`).
    pub events: Vec<Sp<String>>,
    /// The SNS topic (created; its policy lets only this account's rules publish; emails are
    /// subscribed and stay pending until confirmed).
    pub sns_topic: TopicSpec,
}

/// An override's fields replace the baseline's, `dynatrace` and `notify` each as a whole.
impl Merge for EventForwarding {
    fn merged<'a>(base: Cow<'a, Self>, over: &'a Self) -> Cow<'a, Self> {
        let base = base.into_owned();
        Cow::Owned(EventForwarding {
            dynatrace: over.dynatrace.clone().or(base.dynatrace),
            notify: over.notify.clone().or(base.notify),
            skip: over.skip.clone().or(base.skip),
        })
    }
}

impl EventForwarding {
    fn skipped(&self) -> bool {
        self.skip.as_ref().is_some_and(|s| *s.get())
    }
}

/// The section in the registry of [`super::SECTIONS`].
pub struct EventForwardingSection;

/// One notification rule being gathered: targets by Id, the topics it needs, where declared.
type NotifyRule = (BTreeMap<String, Value>, Vec<ResourceAddr>, Option<Location>);

fn pick(block: &Override) -> Option<&EventForwarding> {
    block.event_forwarding.as_ref()
}

/// Whether any block of the spec (baseline or override) forwards to Dynatrace.
pub fn is_set_anywhere(spec: &Spec) -> bool {
    spec.event_forwarding
        .iter()
        .chain(
            spec.accounts
                .iter()
                .flat_map(|a| a.overrides.iter().filter_map(pick)),
        )
        .any(|f| f.dynatrace.is_some())
}

/// `NAME` when `text` is exactly `${env:NAME}`.
fn env_reference(text: &str) -> Option<&str> {
    let name = text.strip_prefix("${env:")?.strip_suffix('}')?;
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    ok.then_some(name)
}

/// The names one Dynatrace block gives its resources in a scope.
struct Names {
    base: String,
    role: String,
    queue: Option<String>,
}

fn names(scope: &Scope, d: &Dynatrace) -> Names {
    let base = d
        .name
        .as_ref()
        .map(|n| n.get().clone())
        .unwrap_or_else(|| DEFAULT_NAME.to_string());
    Names {
        role: format!("{base}-{}", scope.region),
        queue: d.dead_letter.as_ref().map(|q| {
            q.name
                .as_ref()
                .map(|n| n.get().clone())
                .unwrap_or_else(|| DEFAULT_DEAD_LETTER.to_string())
        }),
        base,
    }
}

fn rule_arn(scope: &Scope, name: &str) -> String {
    events_policy::rule_arn(
        regions::partition(scope.region),
        scope.region,
        &scope.target.id,
        None,
        name,
    )
}

/// The SNS target of a rule.
pub fn topic_target(scope: &Scope, topic: &str) -> Value {
    json!({"arn": notify::topic_arn(scope, topic), "role_arn": null,
           "input_transformer": null, "dead_letter_arn": null})
}

/// What a rule is, besides its targets.
pub struct RuleHead<'a> {
    /// `None`: the default bus.
    pub bus: Option<&'a str>,
    pub name: &'a str,
    pub pattern: &'a EventPattern,
    pub description: String,
}

/// A rule resource (on the default bus or `head.bus`), tagged.
pub fn rule_resource(
    scope: &Scope,
    head: RuleHead,
    targets: BTreeMap<String, Value>,
    depends_on: Vec<ResourceAddr>,
    origin: Option<Location>,
) -> DesiredResource {
    let RuleHead {
        bus,
        name,
        pattern,
        description,
    } = head;
    DesiredResource {
        addr: ResourceAddr::new(&scope.target.name, scope.region, Kind::EventRule, name),
        props: json!({
            "bus": bus.unwrap_or("default"),
            "description": description,
            "pattern": pattern.as_value(),
            "state": "ENABLED",
            "targets": targets,
            "tags": scope.tags(),
        }),
        depends_on,
        origin,
    }
}

fn dead_letter_policy(scope: &Scope, queue: &str, rule_arns: &[String]) -> Value {
    let mut arns = rule_arns.to_vec();
    arns.sort();
    arns.dedup();
    let partition = regions::partition(scope.region);
    json!({
        "Version": crate::policy::POLICY_VERSION,
        "Statement": [{
            "Sid": DEAD_LETTER_SID,
            "Effect": "Allow",
            "Principal": {"Service": events_policy::EVENTS_SERVICE_PRINCIPAL},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn(partition, scope.region, &scope.target.id, queue),
            "Condition": {"ArnEquals": {"aws:SourceArn": arns}},
        }]
    })
}

/// The `aws:SourceArn` values of a policy's first statement under `condition`.
pub fn source_arns(doc: &Value, condition: &str) -> Vec<String> {
    match &doc["Statement"][0]["Condition"][condition]["aws:SourceArn"] {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Value::String(one) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// The Dynatrace target for rule `rule` in this scope, letting that rule (and only the rules
/// given this way) assume the role and write to the dead-letter queue. `None` when the scope
/// has no Dynatrace forwarding (or its resources were not declared: their errors are reported).
pub fn dynatrace_target(
    scope: &Scope,
    out: &mut Expansion,
    rule: &str,
    bus: Option<&str>,
) -> Option<(String, Value, Vec<ResourceAddr>)> {
    let forwarding = effective(
        scope.spec().event_forwarding.as_ref(),
        scope.account,
        scope.region,
        pick,
    )?;
    if forwarding.skipped() {
        return None;
    }
    let d = forwarding.dynatrace.as_ref()?;
    if via_other(scope, d).is_some() {
        return None; // this account forwards to the operations bus; it has no destination
    }
    let n = names(scope, d);
    let partition = regions::partition(scope.region);
    let account = scope.target.id.clone();
    let arn = events_policy::rule_arn(partition, scope.region, &account, bus, rule);
    let addr = |kind, name: &str| ResourceAddr::new(&scope.target.name, scope.region, kind, name);
    let start = out.scope_start;
    let role_addr = addr(Kind::IamRole, &n.role);
    let role = out.resources[start..]
        .iter_mut()
        .find(|r| r.addr == role_addr)?;
    let mut arns = source_arns(&role.props["trust_policy"], "ArnEquals");
    arns.push(arn.clone());
    role.props["trust_policy"] = events_policy::target_role_trust_policy(&account, &arns);
    let mut depends_on = vec![addr(Kind::EventApiDestination, &n.base), role_addr.clone()];
    let mut dead_letter_arn = Value::Null;
    if let Some(queue) = &n.queue {
        let queue_addr = addr(Kind::SqsQueue, queue);
        if let Some(q) = out.resources[start..]
            .iter_mut()
            .find(|r| r.addr == queue_addr)
        {
            let mut arns = source_arns(&q.props["policy"], "ArnEquals");
            arns.push(arn.clone());
            q.props["policy"] = dead_letter_policy(scope, queue, &arns);
        }
        dead_letter_arn = json!(queue_arn(partition, scope.region, &account, queue));
        depends_on.push(queue_addr);
    }
    let event_type = d
        .event_type
        .as_ref()
        .map(|t| t.get().as_str())
        .unwrap_or(dynatrace::DEFAULT_EVENT_TYPE);
    let transformer = dynatrace::business_event_transformer(event_type).ok()?;
    let target = json!({
        "api_destination": n.base,
        "role_arn": format!("arn:{partition}:iam::{account}:role/{}", n.role),
        "input_transformer": {"paths": transformer.paths, "template": transformer.template},
        "dead_letter_arn": dead_letter_arn,
    });
    Some((DYNATRACE_TARGET_ID.to_string(), target, depends_on))
}

/// The operations account this scope's events go to, when `via` names another account.
fn via_other<'a>(scope: &Scope, d: &'a Dynatrace) -> Option<&'a str> {
    d.via
        .as_ref()
        .map(|v| v.get().as_str())
        .filter(|v| *v != scope.target.name)
}

fn bus_name(d: &Dynatrace) -> String {
    d.bus
        .as_ref()
        .map(|b| b.get().clone())
        .unwrap_or_else(|| DEFAULT_BUS.to_string())
}

/// The effective Dynatrace block of `account` in `region`, when it forwards there.
fn dynatrace_of<'a>(
    spec: &'a Spec,
    account: &'a crate::spec::types::Account,
    region: &str,
) -> Option<Dynatrace> {
    let regions = account.regions.as_ref().unwrap_or(&spec.defaults.regions);
    if !regions.iter().any(|r| r.get() == region) {
        return None;
    }
    let f = effective(spec.event_forwarding.as_ref(), account, region, pick)?;
    if f.skipped() {
        return None;
    }
    f.dynatrace.clone()
}

/// The accounts (ids, and the presets they forward) whose events go via `ops` in `region`.
fn governed_by(spec: &Spec, ops: &str, region: &str) -> (Vec<String>, Vec<String>) {
    let mut ids = Vec::new();
    let mut wanted: Vec<String> = Vec::new();
    for account in spec.accounts.iter().filter(|a| a.name.get() != ops) {
        let Some(d) = dynatrace_of(spec, account, region) else {
            continue;
        };
        if d.via.as_ref().map(|v| v.get().as_str()) != Some(ops) {
            continue;
        }
        ids.push(resolve(&account.id));
        for preset in &d.events {
            if !wanted.contains(preset.get()) {
                wanted.push(preset.get().clone());
            }
        }
    }
    (ids, wanted)
}

impl Checker<'_> {
    fn event_forwarding(&mut self, f: &EventForwarding, field: &str, baseline: bool) {
        if let Some(skip) = &f.skip {
            if baseline {
                self.error(
                    skip.span(),
                    format!("{field}.skip"),
                    "`skip` only means something in an account's `overrides`".into(),
                    Some("remove `event_forwarding` instead".into()),
                );
            }
        }
        if let Some(d) = &f.dynatrace {
            self.dynatrace(d, &format!("{field}.dynatrace"));
        }
        for (i, n) in f.notify.iter().flatten().enumerate() {
            let nfield = format!("{field}.notify[{i}]");
            self.presets(
                &n.events,
                &format!("{nfield}.events"),
                n.sns_topic.name.span(),
            );
            for preset in &n.events {
                let rule = format!("{NOTIFY_PREFIX}{}", preset.get());
                if dynatrace::check_name("rule", &rule).is_err() {
                    self.error(
                        preset.span(),
                        format!("{nfield}.events"),
                        format!("the rule name `{rule}` would be too long"),
                        None,
                    );
                }
            }
            // the topic's own checks (`notify::check_topic`) run in `check_baseline`/`check_override`
            let topic_field = format!("{nfield}.sns_topic");
            self.topic(&n.sns_topic, &topic_field);
        }
    }

    /// What a topic must be to be a rule's target: its Id `warden-sns-<name>` fits in 64.
    fn topic(&mut self, topic: &TopicSpec, field: &str) {
        let name = topic.name.get();
        if name.len() > 53 {
            self.error(
                topic.name.span(),
                format!("{field}.name"),
                "the topic name is too long for a target Id (`warden-sns-<name>` must fit in 64 characters)".into(),
                Some("use a topic name of at most 53 characters".into()),
            );
        }
    }

    fn presets(&mut self, events: &[Sp<String>], field: &str, at: marked_yaml::Span) {
        if events.is_empty() {
            self.error(
                at,
                field.to_string(),
                "no events are listed, so nothing would be forwarded".into(),
                Some(format!(
                    "list presets: {}",
                    presets::all()
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
        for (i, preset) in events.iter().enumerate() {
            if let Err(e) = presets::lookup(preset.get()) {
                self.error(
                    preset.span(),
                    format!("{field}[{i}]"),
                    format!("unknown event preset `{}`", preset.get()),
                    Some(match &e.suggestion {
                        Some(s) => format!("did you mean `{s}`? presets: {}", e.known.join(", ")),
                        None => format!("presets: {}", e.known.join(", ")),
                    }),
                );
            }
        }
        self.duplicates(
            events.iter().map(|e| (e.get().as_str(), e.span())),
            field,
            "preset",
        );
    }

    fn dynatrace(&mut self, d: &Dynatrace, field: &str) {
        let url_field = format!("{field}.environment_url");
        if let Some(url) = self.resolve(&d.environment_url, &url_field) {
            if let Err(e) = EnvironmentUrl::parse(&url) {
                self.error(
                    d.environment_url.span(),
                    url_field,
                    e.to_string(),
                    Some("the URL of the Dynatrace environment, e.g. https://abc12345.live.dynatrace.com".into()),
                );
            }
        }
        let token_field = format!("{field}.api_token");
        match env_reference(d.api_token.get()) {
            // an error, not a warning: a token in the spec is in version control and in every
            // saved plan (`spec_text`)
            None => {
                // Located, but without the source snippet: the line may hold the token itself.
                let mut found = crate::source::Diagnostic::error(
                    self.source,
                    None,
                    "api_token must be an environment reference such as `${env:DT_BIZEVENTS_TOKEN}`, never the token itself (the line is not shown: it may hold a secret)",
                )
                .field(token_field)
                .help("a token written in the spec ends up in version control and in saved plans: export it as a variable and write `api_token: ${env:DT_BIZEVENTS_TOKEN}`");
                found.location = SourceFile::location(&d.api_token.span());
                self.found.push(found);
            }
            Some(variable) => match std::env::var(variable).ok().filter(|v| !v.is_empty()) {
                // a warning in every command: a plan from a fork's pull request still runs
                None => self.warn(
                    d.api_token.span(),
                    token_field,
                    format!("environment variable `{variable}` is not set: the plan cannot check the Dynatrace token, and apply refuses until it is set"),
                    Some(format!("export {variable}=… (a token with scope bizevents.ingest) before `apply`")),
                ),
                Some(value) => {
                    let token = Secret::new(value);
                    if let Err(e) = dynatrace::connection_auth(&token) {
                        self.error(
                            d.api_token.span(),
                            token_field.clone(),
                            format!("the value of `{variable}`: {e}"),
                            None,
                        );
                    } else if let Some(w) = dynatrace::token_warning(&token) {
                        self.warn(
                            d.api_token.span(),
                            token_field,
                            format!("{w} (`{variable}`)"),
                            None,
                        );
                    }
                }
            },
        }
        if let Some(t) = &d.event_type {
            if let Err(e) = dynatrace::check_event_type(t.get()) {
                self.error(t.span(), format!("{field}.event_type"), e.to_string(), None);
            }
        }
        self.presets(&d.events, &format!("{field}.events"), d.api_token.span());
        if let Some(rate) = &d.invocation_rate_per_second {
            let url = EnvironmentUrl::parse("https://x.live.dynatrace.com").expect("a valid URL");
            if let Err(e) = dynatrace::api_destination(&url, Some(*rate.get())) {
                self.error(
                    rate.span(),
                    format!("{field}.invocation_rate_per_second"),
                    e.to_string(),
                    None,
                );
            }
        }
        let base = d
            .name
            .as_ref()
            .map(|n| n.get().as_str())
            .unwrap_or(DEFAULT_NAME);
        if let Some(name) = &d.name {
            if let Err(e) = dynatrace::check_name("connection", name.get()) {
                self.error(name.span(), format!("{field}.name"), e.to_string(), None);
            }
        }
        for preset in &d.events {
            let rule = format!("{base}-{}", preset.get());
            if rule.len() > dynatrace::MAX_NAME_CHARS {
                self.error(
                    preset.span(),
                    format!("{field}.events"),
                    format!("the rule name `{rule}` would be longer than 64 characters"),
                    Some("give `name` a shorter value".into()),
                );
            }
        }
        // the role `<name>-<region>` must fit IAM's 64 characters (the longest region is 14)
        if base.len() + 1 + 14 > 64 {
            if let Some(name) = &d.name {
                self.error(
                    name.span(),
                    format!("{field}.name"),
                    "the name is too long for the target role `<name>-<region>` (64 characters)"
                        .into(),
                    Some("use at most 49 characters".into()),
                );
            }
        }
        if let Some(bus) = &d.bus {
            let ok = (1..=256).contains(&bus.len())
                && bus.get() != "default"
                && bus
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !ok {
                self.error(
                    bus.span(),
                    format!("{field}.bus"),
                    format!(
                        "`{}` is not a name warden can give the operations bus",
                        bus.get()
                    ),
                    Some("use 1-256 letters, digits, `.`, `_` and `-`, not `default`".into()),
                );
            }
        }
        if let (Some(bus), None) = (&d.bus, &d.via) {
            self.warn(
                bus.span(),
                format!("{field}.bus"),
                "`bus` only matters with `via`".into(),
                Some("add `via: <operations account>` or remove `bus`".into()),
            );
        }
        if let Some(q) = d.dead_letter.as_ref().and_then(|q| q.name.as_ref()) {
            let ok = (1..=80).contains(&q.len())
                && q.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                self.error(
                    q.span(),
                    format!("{field}.dead_letter.name"),
                    format!("`{}` is not a valid SQS queue name", q.get()),
                    Some("use 1-80 letters, digits, `-` and `_`".into()),
                );
            }
        }
    }
}

/// `via` names an account of the spec.
fn check_via(spec: &Spec, f: &EventForwarding, field: &str, checker: &mut Checker) {
    let Some(via) = f.dynatrace.as_ref().and_then(|d| d.via.as_ref()) else {
        return;
    };
    if spec.accounts.iter().any(|a| a.name.get() == via.get()) {
        return;
    }
    let names = spec.accounts.iter().map(|a| a.name.as_str());
    let help = match crate::source::did_you_mean(via.get(), names) {
        Some(best) => format!("did you mean `{best}`?"),
        None => "name the operations account as it appears in `accounts`".to_string(),
    };
    checker.error(
        via.span(),
        format!("{field}.dynatrace.via"),
        format!("`{}` is not an account of this spec", via.get()),
        Some(help),
    );
}

impl Section for EventForwardingSection {
    fn check_baseline(&self, spec: &Spec, checker: &mut Checker) {
        if let Some(f) = &spec.event_forwarding {
            check_via(spec, f, "event_forwarding", checker);
            checker.event_forwarding(f, "event_forwarding", true);
            for (i, n) in f.notify.iter().flatten().enumerate() {
                notify::check_topic(
                    spec,
                    &n.sns_topic,
                    &format!("event_forwarding.notify[{i}].sns_topic"),
                    checker,
                );
            }
        }
    }

    fn check_override(&self, spec: &Spec, block: &Override, field: &str, checker: &mut Checker) {
        if let Some(f) = &block.event_forwarding {
            let field = format!("{field}.event_forwarding");
            check_via(spec, f, &field, checker);
            checker.event_forwarding(f, &field, false);
            for (i, n) in f.notify.iter().flatten().enumerate() {
                notify::check_topic(
                    spec,
                    &n.sns_topic,
                    &format!("{field}.notify[{i}].sns_topic"),
                    checker,
                );
            }
        }
    }

    fn count(&self, spec: &Spec) -> u64 {
        let size = |f: &EventForwarding| -> u64 {
            let dynatrace = f.dynatrace.as_ref().map_or(0, |d| {
                let hub = if d.via.is_some() {
                    1 + presets::all().len()
                } else {
                    0
                };
                4 + d.events.len() + hub
            });
            let notify: usize = f.notify.iter().flatten().map(|n| 1 + n.events.len()).sum();
            (dynatrace + notify) as u64
        };
        let mut total: u64 = 0;
        for (account, region) in super::scopes(spec) {
            let baseline = spec.event_forwarding.as_ref();
            if !is_set(baseline, account, region, pick) {
                continue;
            }
            let here: u64 = baseline.map_or(0, size)
                + account
                    .overrides
                    .iter()
                    .filter(|o| super::applies(o, region))
                    .filter_map(pick)
                    .map(size)
                    .sum::<u64>();
            total = total.saturating_add(here);
        }
        total
    }

    fn expand(&self, scope: &Scope, out: &mut Expansion) {
        let baseline = scope.spec().event_forwarding.as_ref();
        let Some(forwarding) = effective(baseline, scope.account, scope.region, pick) else {
            return;
        };
        if forwarding.skipped() {
            return;
        }
        if let Some(d) = &forwarding.dynatrace {
            expand_dynatrace(scope, out, d);
        }
        // One rule per preset; each topic that wants it is one of its targets.
        let mut by_preset: BTreeMap<String, NotifyRule> = BTreeMap::new();
        for n in forwarding.notify.iter().flatten() {
            let topic = notify::declare_topic(scope, out, &n.sns_topic, Publisher::EventBridge);
            for preset in &n.events {
                let entry = by_preset.entry(preset.get().clone()).or_insert_with(|| {
                    (
                        BTreeMap::new(),
                        Vec::new(),
                        SourceFile::location(&preset.span()),
                    )
                });
                entry.0.insert(
                    super::event_rules::topic_target_id(&topic.name),
                    topic_target(scope, &topic.name),
                );
                if !entry.1.contains(&topic) {
                    entry.1.push(topic.clone());
                }
            }
        }
        for (preset, (targets, depends_on, origin)) in by_preset {
            let Ok(p) = presets::lookup(&preset) else {
                continue;
            };
            let name = format!("{NOTIFY_PREFIX}{preset}");
            out.resources.push(rule_resource(
                scope,
                RuleHead {
                    bus: None,
                    name: &name,
                    pattern: &p.pattern,
                    description: format!("bedrock-warden: {preset} to people"),
                },
                targets,
                depends_on,
                origin,
            ));
        }
    }
}

/// Connection, API destination, dead-letter queue, role, then one rule per preset; with `via`,
/// the operations account also gets the bus and its rules, the others a rule per preset to it.
fn expand_dynatrace(scope: &Scope, out: &mut Expansion, d: &Dynatrace) {
    if let Some(ops) = via_other(scope, d) {
        expand_forward_to_ops(scope, out, d, ops);
        return;
    }
    expand_direct(scope, out, d);
    let me = scope.target.name.as_str();
    let (governed, presets_wanted) = governed_by(scope.spec(), me, scope.region);
    let hub = d.via.as_ref().is_some_and(|v| v.get() == me) || !governed.is_empty();
    if hub {
        expand_ops_bus(scope, out, d, &governed, &presets_wanted);
    }
}

/// The operations bus (policy: exactly the governed accounts may put events) and one rule on it
/// per preset the governed accounts forward, to Dynatrace.
fn expand_ops_bus(
    scope: &Scope,
    out: &mut Expansion,
    d: &Dynatrace,
    governed: &[String],
    wanted: &[String],
) {
    let n = names(scope, d);
    let bus = bus_name(d);
    let partition = regions::partition(scope.region);
    let bus_arn = events_policy::event_bus_arn(partition, scope.region, &scope.target.id, &bus);
    let policy = if governed.is_empty() {
        json!({"Version": crate::policy::POLICY_VERSION, "Statement": []})
    } else {
        events_policy::bus_put_events_policy(partition, &bus_arn, governed)
    };
    let origin = d.via.as_ref().and_then(|v| SourceFile::location(&v.span()));
    let bus_addr = ResourceAddr::new(&scope.target.name, scope.region, Kind::EventBus, &bus);
    out.resources.push(DesiredResource {
        addr: bus_addr.clone(),
        props: json!({"policy": policy, "tags": scope.tags()}),
        depends_on: Vec::new(),
        origin,
    });
    for preset in wanted {
        let Ok(p) = presets::lookup(preset) else {
            continue;
        };
        let name = format!("{}-accounts-{preset}", n.base);
        let Some((id, target, mut depends_on)) = dynatrace_target(scope, out, &name, Some(&bus))
        else {
            continue;
        };
        depends_on.push(bus_addr.clone());
        out.resources.push(rule_resource(
            scope,
            RuleHead {
                bus: Some(&bus),
                name: &name,
                pattern: &p.pattern,
                description: format!(
                    "bedrock-warden: {preset} of the governed accounts to Dynatrace"
                ),
            },
            BTreeMap::from([(id, target)]),
            depends_on,
            origin,
        ));
    }
}

/// A governed account with `via`: a role that may put events on the operations bus, and one
/// rule per preset sending there.
fn expand_forward_to_ops(scope: &Scope, out: &mut Expansion, d: &Dynatrace, ops: &str) {
    let spec = scope.spec();
    let source = &scope.loaded.source;
    let at = d.via.as_ref().map(|v| v.span());
    let Some(ops_account) = spec.accounts.iter().find(|a| a.name.get() == ops) else {
        return; // reported by the checks
    };
    if dynatrace_of(spec, ops_account, scope.region).is_none() {
        out.problems.push(
            crate::source::Diagnostic::error(
                source,
                at.as_ref(),
                format!(
                    "account `{}` forwards via `{ops}` in {}, but `{ops}` has no Dynatrace forwarding there",
                    scope.target.name, scope.region
                ),
            )
            .field("event_forwarding.dynatrace.via")
            .help(format!("give `{ops}` the region {} and `event_forwarding.dynatrace` there (the baseline does, unless an override removes it)", scope.region)),
        );
        return;
    }
    let n = names(scope, d);
    let partition = regions::partition(scope.region);
    let account = scope.target.id.clone();
    let ops_id = resolve(&ops_account.id);
    let bus_arn = events_policy::event_bus_arn(partition, scope.region, &ops_id, &bus_name(d));
    let origin = at.as_ref().and_then(SourceFile::location);
    let rules: Vec<(String, &'static presets::Preset)> = d
        .events
        .iter()
        .filter_map(|p| {
            Some((
                format!("{}-{}", n.base, p.get()),
                presets::lookup(p.get()).ok()?,
            ))
        })
        .collect();
    let rule_arns: Vec<String> = rules
        .iter()
        .map(|(name, _)| rule_arn(scope, name))
        .collect();
    let role_addr = ResourceAddr::new(&scope.target.name, scope.region, Kind::IamRole, &n.role);
    out.resources.push(DesiredResource {
        addr: role_addr.clone(),
        props: json!({
            "trust_policy": events_policy::target_role_trust_policy(&account, &rule_arns),
            "inline_policies": {PUT_EVENTS_POLICY_NAME: events_policy::put_events_policy(&bus_arn)},
            "tags": scope.tags(),
        }),
        depends_on: Vec::new(),
        origin,
    });
    let target = json!({
        "arn": bus_arn,
        "role_arn": format!("arn:{partition}:iam::{account}:role/{}", n.role),
        "input_transformer": null,
        "dead_letter_arn": null,
    });
    for (name, preset) in rules {
        out.resources.push(rule_resource(
            scope,
            RuleHead {
                bus: None,
                name: &name,
                pattern: &preset.pattern,
                description: format!(
                    "bedrock-warden: {} to the operations account `{ops}`",
                    preset.name
                ),
            },
            BTreeMap::from([(OPS_BUS_TARGET_ID.to_string(), target.clone())]),
            vec![role_addr.clone()],
            origin,
        ));
    }
}

/// Direct forwarding: connection, API destination, dead-letter queue, role, rules.
fn expand_direct(scope: &Scope, out: &mut Expansion, d: &Dynatrace) {
    let n = names(scope, d);
    let addr = |kind, name: &str| ResourceAddr::new(&scope.target.name, scope.region, kind, name);
    let origin = SourceFile::location(&d.environment_url.span());
    let tags = scope.tags();
    let account = scope.target.id.clone();
    let partition = regions::partition(scope.region);

    let variable = env_reference(d.api_token.get())
        .unwrap_or_default()
        .to_string();
    let token = std::env::var(&variable)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new);
    let fingerprint = token
        .as_ref()
        .map(|t| token_fingerprint(t, scope.project, &account, &n.base));
    out.resources.push(DesiredResource {
        addr: addr(Kind::EventConnection, &n.base),
        props: json!({
            "managed_by": scope.project,
            "authorization_type": "API_KEY",
            "api_key_name": dynatrace::API_KEY_NAME,
            "api_token": if fingerprint.is_some() { token_source(&variable) } else { token_not_checked(&variable) },
            "token_fingerprint": fingerprint,
            "token_env": variable,
        }),
        depends_on: Vec::new(),
        origin,
    });

    let url = resolve(&d.environment_url);
    let Ok(url) = EnvironmentUrl::parse(&url) else {
        return; // reported by the checks
    };
    let rate = d.invocation_rate_per_second.as_ref().map(|r| *r.get());
    let Ok(params) = dynatrace::api_destination(&url, rate) else {
        return;
    };
    out.resources.push(DesiredResource {
        addr: addr(Kind::EventApiDestination, &n.base),
        props: json!({
            "managed_by": scope.project,
            "connection": n.base,
            "endpoint": params.invocation_endpoint,
            "http_method": params.http_method,
            "rate_limit_per_second": params.invocation_rate_limit_per_second,
        }),
        depends_on: vec![addr(Kind::EventConnection, &n.base)],
        origin,
    });

    if let Some(queue) = &n.queue {
        out.resources.push(DesiredResource {
            addr: addr(Kind::SqsQueue, queue),
            props: json!({
                "policy": dead_letter_policy(scope, queue, &[]),
                "message_retention_seconds": DEAD_LETTER_RETENTION_SECONDS,
                "tags": tags,
            }),
            depends_on: Vec::new(),
            origin,
        });
    }

    let destinations = format!(
        "arn:{partition}:events:{}:{account}:api-destination/{}/*",
        scope.region, n.base
    );
    out.resources.push(DesiredResource {
        addr: addr(Kind::IamRole, &n.role),
        props: json!({
            "trust_policy": events_policy::target_role_trust_policy(&account, &[]),
            "inline_policies": {
                ROLE_POLICY_NAME: events_policy::invoke_api_destination_policy(&[destinations]),
            },
            "tags": tags,
        }),
        depends_on: Vec::new(),
        origin,
    });

    for preset in &d.events {
        let Ok(p) = presets::lookup(preset.get()) else {
            continue;
        };
        let name = format!("{}-{}", n.base, preset.get());
        let Some((id, target, depends_on)) = dynatrace_target(scope, out, &name, None) else {
            continue;
        };
        out.resources.push(rule_resource(
            scope,
            RuleHead {
                bus: None,
                name: &name,
                pattern: &p.pattern,
                description: format!("bedrock-warden: {} to Dynatrace", preset.get()),
            },
            BTreeMap::from([(id, target)]),
            depends_on,
            SourceFile::location(&preset.span()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::expand::expand;
    use crate::source::Diagnostic;
    use crate::spec::{load_source, EnvMode};

    const HEAD: &str = "version: 1\nproject: p\naccounts:\n  - name: a\n    id: \"111111111111\"\n    regions: [us-east-1]\n";
    /// A variable no test sets.
    const UNSET: &str = "${env:WARDEN_UNIT_TEST_NEVER_SET_TOKEN}";

    fn findings(text: &str) -> Vec<Diagnostic> {
        match load_source(SourceFile::new("t.yaml", text), EnvMode::Strict) {
            Ok(loaded) => loaded.warnings,
            Err(e) => e.diagnostics,
        }
    }

    fn one(text: &str, field: &str) -> Diagnostic {
        let all = findings(text);
        all.iter()
            .find(|d| d.field.as_deref() == Some(field))
            .unwrap_or_else(|| panic!("no finding at {field}: {all:?}"))
            .clone()
    }

    fn dynatrace(extra: &str) -> String {
        format!("{HEAD}event_forwarding:\n  dynatrace:\n    environment_url: https://abc12345.live.dynatrace.com\n    api_token: {UNSET}\n    events: [bedrock_api_calls]\n{extra}")
    }

    #[test]
    fn a_token_written_in_the_spec_is_a_located_error() {
        let text = dynatrace("").replace(UNSET, "dt0c01.ABC.DEF");
        let d = one(&text, "event_forwarding.dynatrace.api_token");
        assert!(d.is_error());
        assert!(d.message.contains("environment reference"), "{d:?}");
        assert_eq!(d.position(), "t.yaml:10:16");
        // neither the message nor the rendered error quotes the value
        assert!(!format!("{d:?}").contains("dt0c01.ABC"), "{d:?}");
        let shown = d.render(&SourceFile::new("t.yaml", &text), false);
        assert!(!shown.contains("dt0c01.ABC"), "{shown}");
    }

    #[test]
    fn an_unset_token_is_a_warning_so_a_plan_still_runs() {
        let d = one(&dynatrace(""), "event_forwarding.dynatrace.api_token");
        assert!(!d.is_error(), "{d:?}");
        assert!(d.message.contains("apply refuses"), "{d:?}");
        let loaded = load_source(SourceFile::new("t.yaml", dynatrace("")), EnvMode::Strict)
            .expect("only warnings");
        let desired = expand(&loaded).expect("expands");
        let connection = desired
            .resources
            .iter()
            .find(|r| r.addr.kind == Kind::EventConnection)
            .unwrap();
        assert_eq!(connection.props["token_fingerprint"], Value::Null);
        assert_eq!(
            crate::kinds::event_connection::unchecked_tokens(&desired.resources),
            ["WARDEN_UNIT_TEST_NEVER_SET_TOKEN"]
        );
    }

    #[test]
    fn unknown_presets_bad_urls_and_rates_are_located() {
        let text = dynatrace("    invocation_rate_per_second: 0\n")
            .replace("bedrock_api_calls", "bedrock_api_call")
            .replace(
                "https://abc12345.live.dynatrace.com",
                "http://abc12345.live.dynatrace.com",
            );
        let preset = one(&text, "event_forwarding.dynatrace.events[0]");
        assert!(preset
            .help
            .as_deref()
            .unwrap()
            .contains("did you mean `bedrock_api_calls`?"));
        assert_eq!(preset.position(), "t.yaml:11:14");
        let url = one(&text, "event_forwarding.dynatrace.environment_url");
        assert!(url.message.contains("HTTPS"), "{url:?}");
        let rate = one(
            &text,
            "event_forwarding.dynatrace.invocation_rate_per_second",
        );
        assert!(rate.is_error());
    }

    #[test]
    fn one_role_trusts_exactly_the_rules_that_forward_to_dynatrace() {
        let text = dynatrace("    events: [bedrock_api_calls, bedrock_configuration]\n    dead_letter: {}\n")
            .replace("    events: [bedrock_api_calls]\n", "")
            + "event_rules:\n  - name: guardrails\n    pattern: {source: [aws.bedrock], detail: {readOnly: [false]}}\n    targets: [{dynatrace: true}, {sns_topic: alerts}]\n";
        let loaded = load_source(SourceFile::new("t.yaml", &text), EnvMode::Strict)
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let desired = expand(&loaded).expect("expands");
        let kinds: Vec<(Kind, &str)> = desired
            .resources
            .iter()
            .map(|r| (r.addr.kind, r.addr.name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (Kind::EventConnection, "warden-dynatrace"),
                (Kind::EventApiDestination, "warden-dynatrace"),
                (Kind::SqsQueue, "warden-events-dead-letter"),
                (Kind::IamRole, "warden-dynatrace-us-east-1"),
                (Kind::EventRule, "warden-dynatrace-bedrock_api_calls"),
                (Kind::EventRule, "warden-dynatrace-bedrock_configuration"),
                (Kind::SnsTopic, "alerts"),
                (Kind::EventRule, "guardrails"),
            ]
        );
        let role = &desired.resources[3].props;
        let trusted =
            &role["trust_policy"]["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"];
        assert_eq!(
            trusted,
            &json!([
                "arn:aws:events:us-east-1:111111111111:rule/guardrails",
                "arn:aws:events:us-east-1:111111111111:rule/warden-dynatrace-bedrock_api_calls",
                "arn:aws:events:us-east-1:111111111111:rule/warden-dynatrace-bedrock_configuration",
            ])
        );
        let queue = &desired.resources[2].props;
        assert_eq!(
            queue["policy"]["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"],
            *trusted
        );
        let rule = &desired.resources[7];
        assert_eq!(
            rule.props["pattern"]["detail"]["readOnly"],
            json!([false]),
            "unquoted YAML booleans are JSON booleans in a pattern"
        );
        assert_eq!(
            rule.props["targets"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["warden-dynatrace", "warden-sns-alerts"]
        );
        assert_eq!(rule.depends_on.len(), 4, "{:?}", rule.depends_on);
    }

    #[test]
    fn overrides_replace_the_dynatrace_block_or_skip_forwarding() {
        let text = format!(
            "version: 1\naccounts:\n  - name: a\n    id: \"111111111111\"\n    regions: [us-east-1]\n    overrides:\n      - event_forwarding: {{skip: true}}\n  - name: b\n    id: \"222222222222\"\n    regions: [us-east-1]\n    overrides:\n      - event_forwarding:\n          dynatrace: {{environment_url: https://b.live.dynatrace.com, api_token: \"{UNSET}\", events: [governance_tampering], name: dt-b}}\nevent_forwarding:\n  dynatrace: {{environment_url: https://abc12345.live.dynatrace.com, api_token: \"{UNSET}\", events: [bedrock_api_calls]}}\n"
        );
        let loaded = load_source(SourceFile::new("t.yaml", &text), EnvMode::Strict)
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let desired = expand(&loaded).expect("expands");
        assert!(desired.resources.iter().all(|r| r.addr.account == "b"));
        let destination = desired
            .resources
            .iter()
            .find(|r| r.addr.kind == Kind::EventApiDestination)
            .unwrap();
        assert_eq!(destination.addr.name, "dt-b");
        assert_eq!(
            destination.props["endpoint"],
            "https://b.live.dynatrace.com/api/v2/bizevents/ingest"
        );
        assert!(desired
            .resources
            .iter()
            .any(|r| r.addr.name == "dt-b-governance_tampering"));
        assert!(crate::model::count_resources(&loaded.spec) >= desired.resources.len() as u64);
    }

    #[test]
    fn via_ops_puts_the_connection_and_the_bus_in_the_operations_account_only() {
        let text = format!(
            "version: 1\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1]\n  - name: a\n    id: \"111111111111\"\n    regions: [us-east-1]\n  - name: b\n    id: \"222222222222\"\n    regions: [us-east-1]\nevent_forwarding:\n  dynatrace: {{via: ops, environment_url: https://abc12345.live.dynatrace.com, api_token: \"{UNSET}\", events: [bedrock_api_calls]}}\n"
        );
        let loaded = load_source(SourceFile::new("t.yaml", &text), EnvMode::Strict)
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let desired = expand(&loaded).expect("expands");
        let of = |account: &str| -> Vec<(Kind, String)> {
            desired
                .resources
                .iter()
                .filter(|r| r.addr.account == account)
                .map(|r| (r.addr.kind, r.addr.name.clone()))
                .collect()
        };
        assert_eq!(
            of("a"),
            [
                (Kind::IamRole, "warden-dynatrace-us-east-1".to_string()),
                (
                    Kind::EventRule,
                    "warden-dynatrace-bedrock_api_calls".to_string()
                ),
            ]
        );
        let ops = of("ops");
        assert!(ops.contains(&(Kind::EventConnection, "warden-dynatrace".into())));
        assert!(ops.contains(&(Kind::EventBus, DEFAULT_BUS.into())));
        assert!(ops.contains(&(
            Kind::EventRule,
            "warden-dynatrace-accounts-bedrock_api_calls".into()
        )));
        let bus = desired
            .resources
            .iter()
            .find(|r| r.addr.kind == Kind::EventBus)
            .unwrap();
        assert_eq!(
            bus.props["policy"]["Statement"][0]["Principal"]["AWS"],
            json!([
                "arn:aws:iam::111111111111:root",
                "arn:aws:iam::222222222222:root"
            ]),
            "exactly the governed accounts"
        );
        let forward = desired
            .resources
            .iter()
            .find(|r| r.addr.account == "a" && r.addr.kind == Kind::EventRule)
            .unwrap();
        assert_eq!(
            forward.props["targets"][OPS_BUS_TARGET_ID]["arn"],
            "arn:aws:events:us-east-1:123456789012:event-bus/warden-bedrock-events"
        );
        let hub_rule = desired
            .resources
            .iter()
            .find(|r| r.addr.name == "warden-dynatrace-accounts-bedrock_api_calls")
            .unwrap();
        assert_eq!(hub_rule.props["bus"], DEFAULT_BUS);
        let role = desired
            .resources
            .iter()
            .find(|r| r.addr.account == "ops" && r.addr.kind == Kind::IamRole)
            .unwrap();
        assert!(role.props["trust_policy"].to_string().contains(
            "arn:aws:events:us-east-1:123456789012:rule/warden-bedrock-events/warden-dynatrace-accounts-bedrock_api_calls"
        ));
        assert!(crate::model::count_resources(&loaded.spec) >= desired.resources.len() as u64);
        let typo = text.replace("via: ops", "via: opps");
        let all = findings(&typo);
        assert!(
            all.iter()
                .any(|d| d.help.as_deref() == Some("did you mean `ops`?")),
            "{all:?}"
        );
    }
}
