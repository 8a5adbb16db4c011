//! The `monitoring` section: alarms, anomaly bands, dashboards, saved queries and token metrics
//! built from the templates of `templates/` (and the spec's `templates_dir`), their offline
//! checks (unknown names and template problems located), override merge, and expansion into
//! `metric_alarm`, `composite_alarm`, `dashboard`, `query_definition` and `metric_filter`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{json, Value};

use super::notify::{check_topic, declare_topic, topic_arn, Publisher, TopicSpec};
use super::{effective, is_set, Expansion, Merge, Scope, Section};
use crate::kinds::dashboard::{body_props, marker_widget};
use crate::kinds::metric_alarm::marked_description;
use crate::kinds::metric_filter;
use crate::model::addr::{Kind, ResourceAddr};
use crate::model::desired::DesiredResource;
use crate::monitoring::normalize::{alarm_put_json, normalize_alarm};
use crate::monitoring::{
    prefix_names, AlarmDefinition, Bindings, Catalog, CatalogError, MetricQuery, MetricStat,
    TemplateError, Threshold,
};
use crate::source::{did_you_mean, Diagnostic, SourceFile, Sp};
use crate::spec::check::Checker;
use crate::spec::types::{Override, Spec};

/// The `AWS/Bedrock` metrics (dimension `ModelId`) an anomaly band can watch.
pub const BAND_METRICS: &[&str] = &[
    "Invocations",
    "InputTokenCount",
    "OutputTokenCount",
    "InvocationLatency",
    "InvocationThrottles",
    "InvocationClientErrors",
    "InvocationServerErrors",
    "OutputImageCount",
];
/// Band width (standard deviations) of the anomaly alarms.
pub const BAND_WIDTH: f64 = 2.0;
/// The custom namespace of the token metrics.
pub const TOKEN_NAMESPACE: &str = "BedrockWarden/TokenUse";
/// AlarmDescription's limit.
const MAX_DESCRIPTION: usize = 1024;

/// Alarms, dashboards, saved queries and token metrics from templates.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// The SNS topic alarms notify (alarm and OK actions), created in every account and region
    /// with a policy that lets only this account's CloudWatch alarms (and EventBridge rules,
    /// where a section declares them) publish: `{name: bedrock-alerts, email: [oncall@example.com]}`.
    #[serde(default)]
    pub notify: Option<TopicSpec>,
    /// Model ids that get per-model alarms and anomaly bands, or `all`: then only the packs'
    /// all-models alarms (Metrics Insights queries that cover models added later) are made.
    #[serde(default)]
    pub models: Option<Sp<ModelList>>,
    /// Alarm packs (`templates/alarms/<name>.yaml`): a name, or `{name, thresholds: {<alarm
    /// id>: <value>}}` to change thresholds (an anomaly alarm's value is its band width).
    #[serde(default)]
    pub alarm_packs: Option<Vec<Sp<PackRef>>>,
    /// `AWS/Bedrock` metrics watched by an anomaly band per model (e.g. InputTokenCount): the
    /// alarm fires above the band of 2 standard deviations in 2 of 3 five-minute periods.
    #[serde(default)]
    pub anomaly_detection: Option<Vec<Sp<String>>>,
    /// Dashboards (`templates/dashboards/<name>.json`), one per account showing every governed region.
    #[serde(default)]
    pub dashboards: Option<Vec<Sp<String>>>,
    /// Saved Logs Insights queries (`templates/queries/<name>.yaml`), saved in the folder
    /// `warden/<project>/` and scoped to the invocation log group.
    #[serde(default)]
    pub queries: Option<Vec<Sp<String>>>,
    /// Metric filters on the invocation log group publishing input and output tokens per
    /// caller identity and model into `BedrockWarden/TokenUse` (custom metrics are billed).
    #[serde(default)]
    pub token_metrics_by_caller: Option<Sp<bool>>,
    /// The invocation log group queries, dashboards and metric filters use. Default:
    /// `invocation_logging.cloudwatch.log_group`.
    #[serde(default)]
    pub log_group: Option<Sp<String>>,
    /// Put in front of the name of every alarm (packs, anomaly bands, composite alarms).
    /// Default `<project>-`, so two projects using the same pack in one account and region get
    /// alarms of their own; `""` keeps the templates' names (to adopt alarms made by hand under
    /// them).
    #[serde(default)]
    pub alarm_name_prefix: Option<Sp<String>>,
    /// Only in overrides: no monitoring in this account (or these regions).
    #[serde(default)]
    pub skip: Option<Sp<bool>>,
}

/// The longest `alarm_name_prefix` (alarm names are at most 255 characters).
const MAX_ALARM_PREFIX: usize = 128;

/// A list of model ids, or `all`.
#[derive(Debug, Clone)]
pub enum ModelList {
    All,
    Ids(Vec<Sp<String>>),
}

impl<'de> Deserialize<'de> for ModelList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ModelList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of model ids, or `all`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ModelList, E> {
                if v == "all" {
                    Ok(ModelList::All)
                } else {
                    Err(E::custom(format!(
                        "`{v}` is not a list: write `[{v}]`, or `all`"
                    )))
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ModelList, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Sp<String>>()? {
                    out.push(item);
                }
                Ok(ModelList::Ids(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for ModelList {
    fn schema_name() -> Cow<'static, str> {
        "MonitoredModels".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Bedrock model ids (e.g. anthropic.claude-3-5-sonnet-20240620-v1:0), or `all`.",
            "oneOf": [
                { "type": "string", "enum": ["all"] },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
}

/// An alarm pack by name, with optional threshold overrides by alarm id.
#[derive(Debug, Clone, Default)]
pub struct PackRef {
    pub name: String,
    pub thresholds: BTreeMap<String, Sp<f64>>,
}

impl<'de> Deserialize<'de> for PackRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PackRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an alarm pack name, or {name: <pack>, thresholds: {<alarm id>: <number>}}",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PackRef, E> {
                Ok(PackRef {
                    name: v.to_string(),
                    thresholds: BTreeMap::new(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PackRef, A::Error> {
                let mut name = None;
                let mut thresholds = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => name = Some(map.next_value::<String>()?),
                        "thresholds" => thresholds = map.next_value()?,
                        other => {
                            return Err(de::Error::unknown_field(other, &["name", "thresholds"]))
                        }
                    }
                }
                let name = name.ok_or_else(|| de::Error::missing_field("name"))?;
                Ok(PackRef { name, thresholds })
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for PackRef {
    fn schema_name() -> Cow<'static, str> {
        "AlarmPack".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An alarm pack of templates/alarms (built in: bedrock-runtime, bedrock-guardrails, bedrock-agents, governance-health), or {name, thresholds: {<alarm id>: <number>}}.",
            "oneOf": [
                { "type": "string" },
                { "type": "object", "additionalProperties": false, "required": ["name"],
                  "properties": {
                    "name": { "type": "string" },
                    "thresholds": { "type": "object", "additionalProperties": { "type": "number" } }
                  } }
            ]
        })
    }
}

/// An override's fields replace the baseline's (each list as a whole).
impl Merge for Monitoring {
    fn merged<'a>(base: Cow<'a, Self>, over: &'a Self) -> Cow<'a, Self> {
        let base = base.into_owned();
        Cow::Owned(Monitoring {
            notify: over.notify.clone().or(base.notify),
            models: over.models.clone().or(base.models),
            alarm_packs: over.alarm_packs.clone().or(base.alarm_packs),
            anomaly_detection: over.anomaly_detection.clone().or(base.anomaly_detection),
            dashboards: over.dashboards.clone().or(base.dashboards),
            queries: over.queries.clone().or(base.queries),
            token_metrics_by_caller: over
                .token_metrics_by_caller
                .clone()
                .or(base.token_metrics_by_caller),
            log_group: over.log_group.clone().or(base.log_group),
            alarm_name_prefix: over.alarm_name_prefix.clone().or(base.alarm_name_prefix),
            skip: over.skip.clone().or(base.skip),
        })
    }
}

impl Monitoring {
    /// What goes in front of every alarm name: `alarm_name_prefix`, by default `<project>-`.
    pub fn alarm_prefix(&self, project: &str) -> String {
        match &self.alarm_name_prefix {
            Some(p) => p.get().clone(),
            None => format!("{project}-"),
        }
    }

    fn skipped(&self) -> bool {
        self.skip.as_ref().is_some_and(|s| *s.get())
    }

    fn model_ids(&self) -> Vec<String> {
        match self.models.as_ref().map(|m| m.get()) {
            Some(ModelList::Ids(ids)) => ids.iter().map(|m| m.get().clone()).collect(),
            _ => Vec::new(),
        }
    }

    fn names(list: &Option<Vec<Sp<String>>>) -> impl Iterator<Item = &Sp<String>> {
        list.iter().flatten()
    }

    /// Packs by name (a pack listed twice: thresholds merged, the later wins).
    fn packs(&self) -> BTreeMap<String, BTreeMap<String, f64>> {
        let mut packs: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for p in self.alarm_packs.iter().flatten() {
            let entry = packs.entry(p.get().name.clone()).or_default();
            for (id, value) in &p.get().thresholds {
                entry.insert(id.clone(), *value.get());
            }
        }
        packs
    }

    fn needs_log_group(&self) -> Option<Cow<'static, str>> {
        if self.queries.as_ref().is_some_and(|q| !q.is_empty()) {
            return Some("saved queries".into());
        }
        if self.dashboards.as_ref().is_some_and(|q| !q.is_empty()) {
            return Some("dashboards".into());
        }
        if self
            .token_metrics_by_caller
            .as_ref()
            .is_some_and(|t| *t.get())
        {
            return Some("token metrics".into());
        }
        None
    }
}

/// The section in the registry of [`super::SECTIONS`].
pub struct MonitoringSection;

fn pick(block: &Override) -> Option<&Monitoring> {
    block.monitoring.as_ref()
}

/// `templates_dir`, relative to the spec file's directory.
pub fn templates_dir(spec: &Spec, spec_path: &str) -> Option<PathBuf> {
    let dir = spec.templates_dir.as_ref()?;
    let path = Path::new(dir.get().as_str());
    if path.is_absolute() || spec_path.starts_with('<') {
        return Some(path.to_path_buf());
    }
    let base = Path::new(spec_path).parent().unwrap_or(Path::new(""));
    Some(base.join(path))
}

/// A template problem, located in the template file (its use in the spec in the help).
fn template_diagnostic(source: &SourceFile, e: &TemplateError, used_at: &str) -> Diagnostic {
    let mut d = Diagnostic::error(source, None, e.message.clone()).field(e.field.clone());
    d.file = e.file.clone();
    d.location = Some(crate::source::Location {
        line: e.line,
        column: e.column,
    });
    let used = format!("the template is used by {used_at}");
    d.help(match &e.help {
        Some(h) => format!("{h} ({used})"),
        None => used,
    })
}

impl Checker<'_> {
    fn monitoring(&mut self, spec: &Spec, m: &Monitoring, field: &str) {
        let dir = templates_dir(spec, &self.source.path);
        let catalog = match Catalog::load(dir.as_deref()) {
            Ok(c) => c,
            Err(CatalogError::Template(e)) => {
                let d = template_diagnostic(self.source, &e, "templates_dir");
                self.found.push(d);
                return;
            }
            Err(e) => {
                if let Some(at) = &spec.templates_dir {
                    self.error(
                        at.span(),
                        "templates_dir".into(),
                        e.to_string(),
                        Some("give a directory (relative to the spec file) with alarms/, dashboards/ or queries/ in it".into()),
                    );
                }
                return;
            }
        };
        if m.skip.is_some() && field == "monitoring" {
            if let Some(skip) = &m.skip {
                self.error(
                    skip.span(),
                    "monitoring.skip".into(),
                    "`skip` belongs in an account's override".into(),
                    Some("remove it here; add `overrides: [{monitoring: {skip: true}}]` to the account instead".into()),
                );
            }
        }
        if let Some(topic) = &m.notify {
            check_topic(spec, topic, &format!("{field}.notify"), self);
        }
        if let Some(prefix) = &m.alarm_name_prefix {
            let bad = prefix.chars().find(|c| c.is_control() || *c == '"');
            if let Some(c) = bad {
                self.error(
                    prefix.span(),
                    format!("{field}.alarm_name_prefix"),
                    format!("alarm names cannot contain {c:?} (composite alarm rules quote member names)"),
                    Some("use letters, digits and - _ . / : (e.g. `team-a-`)".into()),
                );
            } else if prefix.chars().count() > MAX_ALARM_PREFIX {
                self.error(
                    prefix.span(),
                    format!("{field}.alarm_name_prefix"),
                    format!("the prefix is longer than {MAX_ALARM_PREFIX} characters"),
                    Some("alarm names are at most 255 characters: use a short prefix".into()),
                );
            }
        }
        // In an override, models not given there come from the baseline.
        let models_given = m
            .models
            .as_ref()
            .or(spec.monitoring.as_ref().and_then(|b| b.models.as_ref()));
        let all_models = matches!(models_given.map(|x| x.get()), Some(ModelList::All));
        let no_models = models_given.is_none();
        if let Some(models) = &m.models {
            if let ModelList::Ids(ids) = models.get() {
                self.duplicates(
                    ids.iter().map(|i| (i.get().as_str(), i.span())),
                    &format!("{field}.models"),
                    "model",
                );
                for (i, id) in ids.iter().enumerate() {
                    if id.trim().is_empty() || id.len() > 256 || id.contains(char::is_whitespace) {
                        self.error(
                            id.span(),
                            format!("{field}.models[{i}]"),
                            format!("`{}` is not a Bedrock model id", id.get()),
                            Some("write the id as Bedrock lists it, e.g. anthropic.claude-3-5-sonnet-20240620-v1:0".into()),
                        );
                    }
                }
            }
        }
        for (i, p) in m.alarm_packs.iter().flatten().enumerate() {
            let pfield = format!("{field}.alarm_packs[{i}]");
            match catalog.alarm_pack(&p.get().name) {
                Ok(pack) => {
                    if let Err(message) =
                        pack.check_overrides(p.get().thresholds.keys().map(String::as_str))
                    {
                        self.error(
                            p.span(),
                            format!("{pfield}.thresholds"),
                            message,
                            Some("use the `id` of an alarm of the pack".into()),
                        );
                    }
                    let sample =
                        Bindings::new("123456789012", "us-east-1", "/aws/bedrock/invocations");
                    let models = if all_models {
                        Vec::new()
                    } else {
                        vec!["sample.model-v1:0".to_string()]
                    };
                    let thresholds: BTreeMap<String, f64> = p
                        .get()
                        .thresholds
                        .iter()
                        .map(|(k, v)| (k.clone(), *v.get()))
                        .collect();
                    if let Err(e) = pack.render(&sample, &models, &thresholds) {
                        let d = template_diagnostic(self.source, &e, &pfield);
                        self.found.push(d);
                    }
                    let per_model = pack
                        .render(&sample, &["m".to_string()], &BTreeMap::new())
                        .map(|(defs, _)| defs.iter().any(|d| d.model_id.is_some()))
                        .unwrap_or(false);
                    if per_model && (all_models || no_models) {
                        self.warn(
                            p.span(),
                            pfield.clone(),
                            format!("alarm pack `{}` has per-model alarms, which are made only for the models listed in `models`", p.get().name),
                            Some(if all_models {
                                "with `models: all` only its all-models alarms are made; list the models to get the others too".into()
                            } else {
                                "add `models: [<model id>, …]`".into()
                            }),
                        );
                    }
                }
                Err(e) => self.catalog_error(&e, p.span(), &pfield),
            }
        }
        for (i, metric) in Monitoring::names(&m.anomaly_detection).enumerate() {
            let afield = format!("{field}.anomaly_detection[{i}]");
            if !BAND_METRICS.contains(&metric.as_str()) {
                let hint = did_you_mean(metric, BAND_METRICS.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                self.error(
                    metric.span(),
                    afield,
                    format!(
                        "`{}` is not an AWS/Bedrock metric an anomaly band can watch",
                        metric.get()
                    ),
                    Some(format!("{hint}metrics: {}", BAND_METRICS.join(", "))),
                );
            } else if all_models || no_models {
                self.error(
                    metric.span(),
                    afield,
                    "anomaly bands are per model: they need the models listed in `models`".into(),
                    Some("write `models: [<model id>, …]` (not `all`)".into()),
                );
            }
        }
        let accounts = ["123456789012"];
        for (i, name) in Monitoring::names(&m.dashboards).enumerate() {
            let dfield = format!("{field}.dashboards[{i}]");
            match catalog.dashboard(name) {
                Ok(t) => {
                    let b = Bindings::new(accounts[0], "us-east-1", "/aws/bedrock/invocations")
                        .with("alarm_prefix", "sample-");
                    if let Err(e) = t.render(&[b]) {
                        let d = template_diagnostic(self.source, &e, &dfield);
                        self.found.push(d);
                    }
                }
                Err(e) => self.catalog_error(&e, name.span(), &dfield),
            }
        }
        for (i, name) in Monitoring::names(&m.queries).enumerate() {
            let qfield = format!("{field}.queries[{i}]");
            if let Err(e) = catalog.query(name) {
                self.catalog_error(&e, name.span(), &qfield);
            }
        }
        for (list, what) in [
            (&m.dashboards, "dashboards"),
            (&m.queries, "queries"),
            (&m.anomaly_detection, "anomaly_detection"),
        ] {
            self.duplicates(
                Monitoring::names(list).map(|n| (n.get().as_str(), n.span())),
                &format!("{field}.{what}"),
                "name",
            );
        }
        if let Some(group) = &m.log_group {
            self.placeholders(group, group, &format!("{field}.log_group"));
        }
        if field == "monitoring" && m.notify.is_none() {
            if let Some(first) = m.alarm_packs.iter().flatten().next() {
                self.warn(
                    first.span(),
                    format!("{field}.notify"),
                    "the alarms have no `notify` topic: they change state without telling anyone".into(),
                    Some("add `notify: {name: bedrock-alerts, email: [oncall@example.com]}` under `monitoring`".into()),
                );
            }
        }
        if field == "monitoring" && m.log_group.is_none() {
            let logging_group = spec
                .invocation_logging
                .as_ref()
                .and_then(|l| l.cloudwatch.as_ref())
                .is_some();
            if let (false, Some(what)) = (logging_group, m.needs_log_group()) {
                let at = m
                    .queries
                    .iter()
                    .flatten()
                    .chain(m.dashboards.iter().flatten())
                    .map(|s| s.span())
                    .chain(m.token_metrics_by_caller.iter().map(|t| t.span()))
                    .next();
                if let Some(at) = at {
                    self.error(
                        at,
                        format!("{field}.log_group"),
                        format!("the {what} need the invocation log group, and the spec names none"),
                        Some("add `log_group: /aws/bedrock/invocations` (your group) under `monitoring`, or an `invocation_logging.cloudwatch` destination".into()),
                    );
                }
            }
        }
    }

    fn catalog_error(&mut self, e: &CatalogError, at: marked_yaml::Span, field: &str) {
        match e {
            CatalogError::Unknown {
                suggestion, known, ..
            } => {
                let hint = suggestion
                    .as_ref()
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                let message = match e {
                    CatalogError::Unknown { kind, name, .. } => {
                        format!("unknown {} `{name}`", kind.noun())
                    }
                    _ => unreachable!(),
                };
                self.error(
                    at,
                    field.to_string(),
                    message,
                    Some(format!(
                        "{hint}known: {} (built in, or files in templates_dir)",
                        known.join(", ")
                    )),
                );
            }
            CatalogError::Template(t) => {
                let d = template_diagnostic(self.source, t, field);
                self.found.push(d);
            }
            CatalogError::Io { .. } => self.error(at, field.to_string(), e.to_string(), None),
        }
    }
}

impl Section for MonitoringSection {
    fn check_baseline(&self, spec: &Spec, checker: &mut Checker) {
        if let Some(m) = &spec.monitoring {
            checker.monitoring(spec, m, "monitoring");
        } else if let Some(dir) = &spec.templates_dir {
            checker.warn(
                dir.span(),
                "templates_dir".into(),
                "templates_dir is only used by `monitoring`, which this spec does not have".into(),
                None,
            );
        }
    }

    fn check_override(&self, spec: &Spec, block: &Override, field: &str, checker: &mut Checker) {
        if let Some(m) = &block.monitoring {
            checker.monitoring(spec, m, &format!("{field}.monitoring"));
        }
    }

    fn count(&self, spec: &Spec) -> u64 {
        let baseline = spec.monitoring.as_ref();
        let builtin = Catalog::builtin();
        let mut total: u64 = 0;
        for (account, region) in super::scopes(spec) {
            if !is_set(baseline, account, region, pick) {
                continue;
            }
            // The largest block that may apply here bounds the scope's resources.
            let blocks = baseline
                .into_iter()
                .chain(account.overrides.iter().filter_map(pick));
            let most = blocks
                .map(|m| {
                    let models = m.model_ids().len() as u64;
                    let packs: u64 = m
                        .packs()
                        .keys()
                        .map(|p| match builtin.alarm_pack(p) {
                            Ok(pack) => pack.ids().len() as u64 * (models + 1) + 1,
                            Err(_) => 100 * (models + 1),
                        })
                        .sum();
                    let bands = m.anomaly_detection.as_ref().map_or(0, Vec::len) as u64 * models;
                    let rest = m.dashboards.as_ref().map_or(0, Vec::len)
                        + m.queries.as_ref().map_or(0, Vec::len)
                        + 2;
                    packs + bands + rest as u64
                })
                .max()
                .unwrap_or(0);
            total = total.saturating_add(most);
        }
        total
    }

    fn expand(&self, scope: &Scope, out: &mut Expansion) {
        let set_anywhere = scope.spec().monitoring.is_some()
            || scope
                .account
                .overrides
                .iter()
                .any(|o| o.monitoring.is_some());
        if !set_anywhere {
            return;
        }
        let source = &scope.loaded.source;
        let dir = templates_dir(scope.spec(), &source.path);
        let Ok(catalog) = Catalog::load(dir.as_deref()) else {
            return; // reported by the checks
        };
        if scope.target.regions.first().map(String::as_str) == Some(scope.region) {
            expand_dashboards(scope, out, &catalog);
        }
        let Some(m) = monitoring_at(scope, scope.region) else {
            return;
        };
        let region = scope.region;
        let target = scope.target;
        let addr = |kind, name: &str| ResourceAddr::new(&target.name, region, kind, name);
        let log_group = log_group_at(scope, &m, region).unwrap_or_default();
        let group_here = out.created_here(Kind::LogGroup).contains(&log_group);
        let group_dep = || {
            if group_here {
                vec![addr(Kind::LogGroup, &log_group)]
            } else {
                Vec::new()
            }
        };
        // Alarm descriptions may name the group; without one they say what it is.
        let described_group = if log_group.is_empty() {
            "the invocation log group"
        } else {
            log_group.as_str()
        };
        let bindings = Bindings::new(&target.id, region, described_group);
        let tags = scope.tags();
        let project = scope.project;
        let has_alarms = m.alarm_packs.as_ref().is_some_and(|p| !p.is_empty())
            || m.anomaly_detection.as_ref().is_some_and(|a| !a.is_empty());
        let (topic, topic_deps): (Vec<String>, Vec<ResourceAddr>) = match &m.notify {
            Some(t) if has_alarms => {
                let at = declare_topic(scope, out, t, Publisher::CloudWatchAlarms);
                (vec![topic_arn(scope, &at.name)], vec![at])
            }
            _ => (Vec::new(), Vec::new()),
        };

        // Alarms: packs, then anomaly bands.
        let mut alarm_names: BTreeSet<String> = BTreeSet::new();
        let models = m.model_ids();
        let prefix = m.alarm_prefix(project);
        let mut alarm = |def: &AlarmDefinition, out: &mut Expansion, origin| {
            if !alarm_names.insert(def.alarm_name.clone()) {
                out.problems.push(
                    Diagnostic::error(
                        source,
                        None,
                        format!(
                            "two alarms would be named `{}` in {}/{region}",
                            def.alarm_name, target.name
                        ),
                    )
                    .field("monitoring.alarm_packs")
                    .help("give the alarms of your own packs names of their own"),
                );
                return;
            }
            if def.alarm_name.chars().count() > 255 {
                out.problems.push(
                    Diagnostic::error(source, None, format!("alarm name `{}` is longer than 255 characters", def.alarm_name))
                        .field("monitoring")
                        .help("shorten the alarm's `name` in its template (model ids are part of per-model names)"),
                );
                return;
            }
            let mut def = def.clone();
            def.alarm_description = marked_description(&def.alarm_description, project);
            if def.alarm_description.len() > MAX_DESCRIPTION {
                out.problems.push(
                    Diagnostic::error(source, None, format!("the description of alarm `{}` is longer than {MAX_DESCRIPTION} characters", def.alarm_name))
                        .field("monitoring.alarm_packs")
                        .help("shorten the description in the template (warden adds a line of about 40 characters)"),
                );
                return;
            }
            out.resources.push(DesiredResource {
                addr: addr(Kind::MetricAlarm, &def.alarm_name),
                props: json!({
                    "alarm": normalize_alarm(&alarm_put_json(&def, &topic, &topic)),
                    "tags": tags,
                }),
                depends_on: topic_deps.clone(),
                origin,
            });
        };
        for (name, thresholds) in m.packs() {
            let Ok(pack) = catalog.alarm_pack(&name) else {
                continue;
            };
            let origin = m
                .alarm_packs
                .iter()
                .flatten()
                .find(|p| p.get().name == name)
                .and_then(|p| SourceFile::location(&p.span()));
            let (mut defs, mut composites) = match pack.render(&bindings, &models, &thresholds) {
                Ok(r) => r,
                Err(e) => {
                    out.problems
                        .push(template_diagnostic(source, &e, "monitoring.alarm_packs"));
                    continue;
                }
            };
            prefix_names(&prefix, &mut defs, &mut composites);
            for def in &defs {
                alarm(def, out, origin);
            }
            for c in composites {
                let members: Vec<ResourceAddr> = c
                    .members
                    .iter()
                    .map(|name| addr(Kind::MetricAlarm, name))
                    .collect();
                let put = json!({
                    "AlarmName": c.alarm_name,
                    "AlarmDescription": marked_description(&c.alarm_description, project),
                    "AlarmRule": c.alarm_rule,
                    "ActionsEnabled": true,
                    "AlarmActions": topic,
                    "OKActions": topic,
                });
                out.resources.push(DesiredResource {
                    addr: addr(Kind::CompositeAlarm, &c.alarm_name),
                    props: json!({ "alarm": normalize_alarm(&put), "tags": tags }),
                    depends_on: members.into_iter().chain(topic_deps.clone()).collect(),
                    origin,
                });
            }
        }
        for metric in Monitoring::names(&m.anomaly_detection) {
            let origin = SourceFile::location(&metric.span());
            for model in &models {
                let mut band = band_alarm(metric, model, region);
                band.alarm_name = format!("{prefix}{}", band.alarm_name);
                alarm(&band, out, origin);
            }
        }

        // Saved queries.
        for name in Monitoring::names(&m.queries) {
            let Ok(template) = catalog.query(name) else {
                continue;
            };
            match template.render(project, &bindings) {
                Ok(q) => {
                    let mut groups = q.log_group_names.clone();
                    groups.sort();
                    out.resources.push(DesiredResource {
                        addr: addr(Kind::QueryDefinition, &q.name),
                        props: json!({ "query_string": q.query_string, "log_group_names": groups }),
                        depends_on: group_dep(),
                        origin: SourceFile::location(&name.span()),
                    });
                }
                Err(e) => out
                    .problems
                    .push(template_diagnostic(source, &e, "monitoring.queries")),
            }
        }

        // Token use by caller and model (FinOps).
        if let Some(flag) = m.token_metrics_by_caller.as_ref().filter(|t| *t.get()) {
            for (suffix, metric, field) in [
                (
                    "input-tokens-by-caller",
                    "InputTokenCount",
                    "$.input.inputTokenCount",
                ),
                (
                    "output-tokens-by-caller",
                    "OutputTokenCount",
                    "$.output.outputTokenCount",
                ),
            ] {
                let name = format!("{}{suffix}", metric_filter::folder(project));
                out.resources.push(DesiredResource {
                    addr: addr(Kind::MetricFilter, &name),
                    props: json!({
                        "log_group": log_group,
                        "filter_pattern": format!("{{ {field} >= 0 }}"),
                        "metric": {
                            "namespace": TOKEN_NAMESPACE,
                            "name": metric,
                            "value": field,
                            "dimensions": {"Caller": "$.identity.arn", "ModelId": "$.modelId"},
                        },
                    }),
                    depends_on: group_dep(),
                    origin: SourceFile::location(&flag.span()),
                });
            }
        }
    }
}

/// The account's dashboards, in its home region (its first region, the address's region), one
/// row per governed region; the list of dashboards is that of the first region with monitoring,
/// so an account whose first region skips monitoring still gets them.
fn expand_dashboards(scope: &Scope, out: &mut Expansion, catalog: &Catalog) {
    let target = scope.target;
    let source = &scope.loaded.source;
    let governed: Vec<(&str, Cow<Monitoring>)> = target
        .regions
        .iter()
        .filter_map(|r| Some((r.as_str(), monitoring_at(scope, r)?)))
        .collect();
    let Some((_, first)) = governed.first() else {
        return;
    };
    let regions: Vec<Bindings> = governed
        .iter()
        .map(|(r, m)| {
            Bindings::new(
                &target.id,
                r,
                &log_group_at(scope, m, r).unwrap_or_default(),
            )
            .with("alarm_prefix", &m.alarm_prefix(scope.project))
        })
        .collect();
    for name in Monitoring::names(&first.dashboards) {
        let Ok(template) = catalog.dashboard(name) else {
            continue;
        };
        let mut body = match template.render(&regions) {
            Ok(text) => serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
            Err(e) => {
                out.problems
                    .push(template_diagnostic(source, &e, "monitoring.dashboards"));
                continue;
            }
        };
        if let Some(widgets) = body["widgets"].as_array_mut() {
            widgets.push(marker_widget(scope.project));
        }
        out.resources.push(DesiredResource {
            addr: ResourceAddr::new(&target.name, scope.region, Kind::Dashboard, name),
            props: body_props(&body),
            depends_on: Vec::new(),
            origin: SourceFile::location(&name.span()),
        });
    }
}

/// The effective, not skipped, monitoring block of the scope's account in `region`.
fn monitoring_at<'a>(scope: &'a Scope, region: &str) -> Option<Cow<'a, Monitoring>> {
    let baseline = scope.spec().monitoring.as_ref();
    effective(baseline, scope.account, region, pick).filter(|m| !m.skipped())
}

/// The invocation log group of `region`: `monitoring.log_group`, else the invocation logging's
/// CloudWatch group there.
fn log_group_at(scope: &Scope, m: &Monitoring, region: &str) -> Option<String> {
    if let Some(g) = &m.log_group {
        return Some(super::fill(g.get(), scope.target, region));
    }
    let logging = effective(
        scope.spec().invocation_logging.as_ref(),
        scope.account,
        region,
        |o: &Override| o.invocation_logging.as_ref(),
    )?;
    let group = logging.cloudwatch.as_ref()?.log_group.get().clone();
    Some(super::fill(&group, scope.target, region))
}

/// The anomaly-band alarm on `metric` of `model`: above the band in 2 of 3 five-minute periods.
pub fn band_alarm(metric: &str, model: &str, region: &str) -> AlarmDefinition {
    AlarmDefinition {
        pack: "anomaly_detection".into(),
        id: metric.to_string(),
        model_id: Some(model.to_string()),
        alarm_name: format!("bedrock-{model}-{metric}-anomaly"),
        alarm_description: format!(
            "{metric} of {model} in {region} is above its expected band ({} standard deviations of the learned pattern) in 2 of the last 3 five-minute periods. \
             Check who is calling (saved query tokens-by-caller, or the BedrockWarden/TokenUse metrics) before raising quotas: a sudden rise can be a runaway job or leaked credentials.",
            crate::monitoring::normalize::show_number(BAND_WIDTH)
        ),
        namespace: None,
        metric_name: None,
        dimensions: Vec::new(),
        statistic: None,
        extended_statistic: None,
        period: None,
        metrics: vec![
            MetricQuery {
                id: "m1".into(),
                expression: None,
                metric_stat: Some(MetricStat {
                    namespace: "AWS/Bedrock".into(),
                    metric_name: metric.to_string(),
                    dimensions: vec![("ModelId".into(), model.to_string())],
                    stat: "Sum".into(),
                }),
                period: Some(300),
                return_data: true,
            },
            MetricQuery {
                id: "band".into(),
                expression: Some(format!(
                    "ANOMALY_DETECTION_BAND(m1, {})",
                    crate::monitoring::normalize::show_number(BAND_WIDTH)
                )),
                metric_stat: None,
                period: None,
                return_data: true,
            },
        ],
        comparison_operator: "GreaterThanUpperThreshold".into(),
        threshold: Threshold::Band {
            threshold_metric_id: "band".into(),
            width: BAND_WIDTH,
        },
        evaluation_periods: 3,
        datapoints_to_alarm: Some(2),
        treat_missing_data: "notBreaching".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::expand::expand;
    use crate::spec::{load_source, EnvMode};

    const HEAD: &str = "version: 1\nproject: p\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1, eu-west-1]\n";

    fn errors(path: &str, text: &str) -> Vec<Diagnostic> {
        match load_source(SourceFile::new(path, text), EnvMode::Lenient) {
            Ok(loaded) => loaded.warnings,
            Err(e) => e.diagnostics,
        }
    }

    #[test]
    fn an_unknown_pack_is_located_on_its_spec_line_with_a_suggestion() {
        let text = format!("{HEAD}monitoring:\n  log_group: /g\n  alarm_packs: [bedrock-runtim]\n  queries: [latest-invocation]\n");
        let found = errors("t.yaml", &text);
        let shown: Vec<String> = found
            .iter()
            .map(|d| format!("{} {} {:?}", d.position(), d.message, d.help))
            .collect();
        assert!(
            shown.iter().any(
                |s| s.starts_with("t.yaml:9:17 unknown alarm pack `bedrock-runtim`")
                    && s.contains("did you mean `bedrock-runtime`?")
            ),
            "{shown:#?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("t.yaml:10:13 unknown saved query `latest-invocation`")),
            "{shown:#?}"
        );
    }

    #[test]
    fn a_bad_user_template_is_located_in_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("dashboards")).unwrap();
        std::fs::write(
            dir.path().join("dashboards/mine.json"),
            "{\n  \"widgets\": [\n    {\"type\": \"text\", \"width\": 6, \"height\": 2,\n     \"properties\": {\"markdown\": \"{acount}\"}}\n  ]\n}\n",
        )
        .unwrap();
        let spec = dir.path().join("spec.yaml");
        let text =
            format!("{HEAD}templates_dir: .\nmonitoring:\n  log_group: /g\n  dashboards: [mine]\n");
        let found = errors(spec.to_str().unwrap(), &text);
        let d = found.iter().find(|d| d.is_error()).expect("an error");
        assert!(d.file.ends_with("dashboards/mine.json"), "{d:?}");
        assert_eq!(d.location.map(|l| l.line), Some(4), "{d:?}");
        assert!(
            d.message.contains("unknown placeholder `{acount}`"),
            "{d:?}"
        );
        assert!(
            d.help
                .as_deref()
                .unwrap()
                .contains("monitoring.dashboards[0]"),
            "{d:?}"
        );
    }

    #[test]
    fn anomaly_bands_need_listed_models() {
        let text = format!("{HEAD}monitoring:\n  models: all\n  anomaly_detection: [InputTokenCount, InputTokens]\n");
        let found = errors("t.yaml", &text);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("anomaly bands are per model")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`InputTokens` is not an AWS/Bedrock metric")),
            "{messages:?}"
        );
    }

    #[test]
    fn override_without_models_uses_the_baseline_models_and_is_not_warned() {
        let text = "version: 1\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1]\n    overrides:\n      - monitoring: {alarm_packs: [bedrock-runtime]}\nmonitoring:\n  notify: {name: alerts}\n  log_group: /g\n  models: [m.one-v1:0]\n  alarm_packs: [governance-health]\n";
        let found = errors("t.yaml", text);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn expansion_makes_alarms_after_their_topic_composites_after_members_and_one_dashboard_per_account(
    ) {
        let text = format!("{HEAD}monitoring:\n  notify: {{name: alerts}}\n  log_group: /g\n  models: [m.one-v1:0, m.two-v1:0]\n  alarm_packs: [governance-health, {{name: bedrock-runtime, thresholds: {{InvocationThrottles: 7}}}}]\n  anomaly_detection: [Invocations]\n  dashboards: [bedrock-overview]\n  queries: [latest-invocations]\n  token_metrics_by_caller: true\n");
        let loaded = load_source(SourceFile::new("t.yaml", &text), EnvMode::Lenient)
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let rs = expand(&loaded)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .resources;
        let count = |kind: Kind, region: &str| {
            rs.iter()
                .filter(|r| r.addr.kind == kind && r.addr.region == region)
                .count()
        };
        for region in ["us-east-1", "eu-west-1"] {
            // governance 2 + runtime 4 per model × 2 + 1 + bands 1 × 2.
            assert_eq!(count(Kind::MetricAlarm, region), 2 + 9 + 2);
            assert_eq!(count(Kind::CompositeAlarm, region), 1);
            assert_eq!(count(Kind::QueryDefinition, region), 1);
            assert_eq!(count(Kind::MetricFilter, region), 2);
            assert_eq!(count(Kind::SnsTopic, region), 1);
        }
        assert_eq!(count(Kind::Dashboard, "us-east-1"), 1);
        assert_eq!(count(Kind::Dashboard, "eu-west-1"), 0);
        let throttles = rs
            .iter()
            .find(|r| r.addr.name == "p-bedrock-m.one-v1:0-throttles")
            .unwrap();
        assert_eq!(throttles.props["alarm"]["Threshold"], 7);
        assert_eq!(throttles.depends_on[0].kind, Kind::SnsTopic);
        assert_eq!(
            throttles.props["alarm"]["AlarmActions"][0],
            "arn:aws:sns:us-east-1:123456789012:alerts"
        );
        let composite = rs
            .iter()
            .find(|r| r.addr.kind == Kind::CompositeAlarm)
            .unwrap();
        let deps: Vec<&str> = composite
            .depends_on
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            deps,
            [
                "p-bedrock-governance-cloudwatch-delivery-failure",
                "p-bedrock-governance-s3-delivery-failure",
                "alerts"
            ]
        );
        assert_eq!(
            composite.props["alarm"]["AlarmRule"],
            r#"ALARM("p-bedrock-governance-cloudwatch-delivery-failure") OR ALARM("p-bedrock-governance-s3-delivery-failure")"#
        );
        let dash = rs.iter().find(|r| r.addr.kind == Kind::Dashboard).unwrap();
        let labels: Vec<&str> = dash.props["widget_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            labels.contains(&"Invocations by model (eu-west-1)"),
            "{labels:?}"
        );
        assert!(labels
            .last()
            .unwrap()
            .starts_with("Managed by bedrock-warden (project `p`)"));
    }

    #[test]
    fn alarm_packs_alone_need_no_log_group() {
        let text = format!(
            "{HEAD}monitoring:\n  notify: {{name: alerts}}\n  alarm_packs: [governance-health]\n"
        );
        let found = errors("t.yaml", &text);
        assert!(found.is_empty(), "{found:#?}");
        let loaded = load_source(SourceFile::new("t.yaml", &text), EnvMode::Lenient).unwrap();
        let rs = expand(&loaded).unwrap().resources;
        let cw = rs
            .iter()
            .find(|r| r.addr.name == "p-bedrock-governance-cloudwatch-delivery-failure")
            .unwrap();
        let description = cw.props["alarm"]["AlarmDescription"].as_str().unwrap();
        assert!(
            description.contains("logs to the invocation log group in"),
            "{description}"
        );
    }

    /// Two projects with the same pack in one account and region used to get the same alarm
    /// names (the second saw "managed by another warden project"): names carry the project.
    #[test]
    fn two_projects_with_the_same_pack_in_one_region_get_different_alarm_names() {
        let names = |text: &str| -> BTreeSet<String> {
            let loaded = load_source(SourceFile::new("t.yaml", text), EnvMode::Lenient).unwrap();
            expand(&loaded)
                .unwrap()
                .resources
                .into_iter()
                .filter(|r| {
                    matches!(r.addr.kind, Kind::MetricAlarm | Kind::CompositeAlarm)
                        && r.addr.region == "us-east-1"
                })
                .map(|r| r.addr.name)
                .collect()
        };
        let pack = "monitoring:\n  notify: {name: alerts}\n  alarm_packs: [governance-health]\n";
        let a = names(&format!("{HEAD}{pack}"));
        let b = names(&format!(
            "{}{pack}",
            HEAD.replace("project: p", "project: q")
        ));
        assert_eq!(a.len(), 3);
        assert!(a.is_disjoint(&b), "{a:?} {b:?}");
        assert!(a.contains("p-bedrock-governance-record-broken"), "{a:?}");
        // `alarm_name_prefix: ""` keeps the templates' names (to adopt hand-made alarms); an
        // override sets its own, bands and composite rules follow.
        let text = format!("{HEAD}monitoring:\n  notify: {{name: alerts}}\n  alarm_name_prefix: \"\"\n  alarm_packs: [governance-health]\n");
        assert!(names(&text).contains("bedrock-governance-record-broken"));
        let text = "version: 1\nproject: p\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1]\n    overrides:\n      - monitoring: {alarm_name_prefix: team-a/}\nmonitoring:\n  notify: {name: alerts}\n  models: [m.one-v1:0]\n  anomaly_detection: [Invocations]\n";
        assert_eq!(
            names(text),
            BTreeSet::from(["team-a/bedrock-m.one-v1:0-Invocations-anomaly".to_string()])
        );
    }

    #[test]
    fn a_quote_in_the_alarm_name_prefix_is_a_located_error() {
        let text = format!("{HEAD}monitoring:\n  notify: {{name: alerts}}\n  alarm_name_prefix: 'a\"b-'\n  alarm_packs: [governance-health]\n");
        let found = errors("t.yaml", &text);
        let d = found.iter().find(|d| d.is_error()).expect("an error");
        assert_eq!(d.position(), "t.yaml:9:22", "{d:?}");
        assert!(d.message.contains("cannot contain"), "{d:?}");
    }

    #[test]
    fn queries_without_a_log_group_are_a_located_error() {
        let text = format!("{HEAD}monitoring:\n  queries: [latest-invocations]\n");
        let found = errors("t.yaml", &text);
        let d = found.iter().find(|d| d.is_error()).expect("an error");
        assert_eq!(d.position(), "t.yaml:8:13", "{d:?}");
        assert!(
            d.message
                .contains("saved queries need the invocation log group"),
            "{d:?}"
        );
    }

    #[test]
    fn an_account_whose_first_region_skips_monitoring_still_gets_its_dashboard() {
        let text = "version: 1\naccounts:\n  - name: ops\n    id: \"123456789012\"\n    regions: [us-east-1, eu-west-1]\n    overrides:\n      - regions: [us-east-1]\n        monitoring: {skip: true}\nmonitoring:\n  log_group: /g\n  dashboards: [bedrock-overview]\n";
        let loaded = load_source(SourceFile::new("t.yaml", text), EnvMode::Lenient)
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let rs = expand(&loaded)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .resources;
        let dash: Vec<&DesiredResource> = rs
            .iter()
            .filter(|r| r.addr.kind == Kind::Dashboard)
            .collect();
        assert_eq!(dash.len(), 1, "{rs:?}");
        assert_eq!(
            dash[0].addr.region, "us-east-1",
            "the account's home region"
        );
        let labels = dash[0].props["widget_order"].to_string();
        assert!(
            labels.contains("(eu-west-1)") && !labels.contains("(us-east-1)"),
            "{labels}"
        );
    }
}
