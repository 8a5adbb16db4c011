//! Alarm packs (`templates/alarms/*.yaml`): parsing with located errors, validation against
//! PutMetricAlarm's rules, and rendering into the definitions the `metric_alarm` kind writes.

use std::collections::BTreeMap;

use marked_yaml::Spanned;
use serde::{Deserialize, Serialize};

use super::placeholders::{self, Bindings};
use super::{did_you_mean, TemplateError};

const COMPARISONS: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];
const BAND_COMPARISONS: &[&str] = &[
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];
const STATISTICS: &[&str] = &["Sum", "Average", "Minimum", "Maximum", "SampleCount"];
const MISSING: &[&str] = &["breaching", "notBreaching", "ignore", "missing"];
/// Placeholders allowed in names / descriptions.
const NAME_PLACEHOLDERS: &[&str] = &["account", "region", "model_id", "pack"];
const DESCRIPTION_PLACEHOLDERS: &[&str] = &[
    "account",
    "region",
    "model_id",
    "pack",
    "threshold",
    "log_group",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    description: Spanned<String>,
    alarms: Vec<AlarmFile>,
    #[serde(default)]
    composites: Vec<CompositeFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlarmFile {
    id: Spanned<String>,
    name: Spanned<String>,
    scope: Spanned<String>,
    #[serde(default)]
    schema: Option<Vec<Spanned<String>>>,
    namespace: Spanned<String>,
    metric: Spanned<String>,
    statistic: Spanned<String>,
    period: Spanned<u32>,
    evaluation_periods: Spanned<u32>,
    #[serde(default)]
    datapoints_to_alarm: Option<Spanned<u32>>,
    comparison: Spanned<String>,
    #[serde(default)]
    threshold: Option<Spanned<f64>>,
    #[serde(default)]
    anomaly_band: Option<Spanned<f64>>,
    treat_missing_data: Spanned<String>,
    description: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompositeFile {
    id: Spanned<String>,
    name: Spanned<String>,
    any_of: Vec<Spanned<String>>,
    description: Spanned<String>,
}

/// Whether an alarm template yields one alarm per model or one for every model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmScope {
    /// One alarm per model of the spec, dimension `ModelId` = `{model_id}`.
    PerModel,
    /// One alarm on a Metrics Insights query over `SCHEMA(namespace, schema…)`: models added
    /// later are covered without a new alarm (SEARCH is not allowed in alarms; metric math
    /// over a fixed list would not cover them).
    AllModels,
}

/// A validated alarm pack.
#[derive(Debug, Clone)]
pub struct AlarmPack {
    pub name: String,
    pub file: String,
    pub description: String,
    alarms: Vec<AlarmFile>,
    composites: Vec<CompositeFile>,
}

/// How an alarm decides: a static threshold, or an anomaly band (ThresholdMetricId).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    Static(f64),
    Band {
        threshold_metric_id: String,
        width: f64,
    },
}

/// One entry of PutMetricAlarm's `Metrics`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricQuery {
    pub id: String,
    /// Metric math, `ANOMALY_DETECTION_BAND(...)` or a Metrics Insights `SELECT`.
    pub expression: Option<String>,
    /// A MetricStat query.
    pub metric_stat: Option<MetricStat>,
    pub period: Option<u32>,
    pub return_data: bool,
}

/// The `MetricStat` of a query (its `Period` is the query's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricStat {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    pub stat: String,
}

/// Everything PutMetricAlarm needs for one alarm (the kind adds actions and tags).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmDefinition {
    pub pack: String,
    /// The template's `id` (the override key).
    pub id: String,
    pub model_id: Option<String>,
    pub alarm_name: String,
    pub alarm_description: String,
    /// Single-metric form (per-model static alarms); `None` when `metrics` is used.
    pub namespace: Option<String>,
    pub metric_name: Option<String>,
    pub dimensions: Vec<(String, String)>,
    pub statistic: Option<String>,
    pub extended_statistic: Option<String>,
    pub period: Option<u32>,
    /// Metrics form (Metrics Insights and anomaly-band alarms).
    pub metrics: Vec<MetricQuery>,
    pub comparison_operator: String,
    pub threshold: Threshold,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: Option<u32>,
    pub treat_missing_data: String,
}

/// A composite alarm: ALARM of any member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompositeDefinition {
    pub pack: String,
    pub id: String,
    pub alarm_name: String,
    pub alarm_description: String,
    /// The member alarms' names, in the rule's order.
    pub members: Vec<String>,
    pub alarm_rule: String,
}

/// `ALARM("a") OR ALARM("b")`: in ALARM when any member is.
pub fn any_alarm_rule(members: &[String]) -> String {
    members
        .iter()
        .map(|m| format!("ALARM(\"{m}\")"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// A pack's rendered alarms with `prefix` in front of every name; composite rules follow
/// their members.
pub fn prefix_names(
    prefix: &str,
    alarms: &mut [AlarmDefinition],
    composites: &mut [CompositeDefinition],
) {
    if prefix.is_empty() {
        return;
    }
    for a in alarms {
        a.alarm_name = format!("{prefix}{}", a.alarm_name);
    }
    for c in composites {
        c.alarm_name = format!("{prefix}{}", c.alarm_name);
        for m in &mut c.members {
            *m = format!("{prefix}{m}");
        }
        c.alarm_rule = any_alarm_rule(&c.members);
    }
}

fn pos<T>(s: &Spanned<T>) -> (usize, usize) {
    s.span()
        .start()
        .map(|m| (m.line(), m.column()))
        .unwrap_or((1, 1))
}

fn period_ok(p: u32) -> bool {
    matches!(p, 10 | 20 | 30) || (p >= 60 && p.is_multiple_of(60))
}

fn is_percentile(stat: &str) -> bool {
    stat.strip_prefix('p')
        .and_then(|n| n.parse::<f64>().ok())
        .is_some_and(|n| (0.0..=100.0).contains(&n))
}

fn check_one_of(
    file: &str,
    field: &str,
    value: &Spanned<String>,
    allowed: &[&str],
) -> Result<(), TemplateError> {
    if allowed.contains(&value.as_str()) {
        return Ok(());
    }
    let mut e = TemplateError::at(
        file,
        pos(value),
        field,
        format!("`{}` is not one of: {}", value.as_str(), allowed.join(", ")),
    );
    if let Some(s) = did_you_mean(value, allowed.iter().copied()) {
        e = e.help(format!("did you mean `{s}`?"));
    }
    Err(e)
}

fn check_placeholders(
    file: &str,
    field: &str,
    value: &Spanned<String>,
    allowed: &[&str],
) -> Result<(), TemplateError> {
    if let Some((_, name)) = placeholders::first_unknown(value, allowed) {
        let mut e = TemplateError::at(
            file,
            pos(value),
            field,
            format!("unknown placeholder `{{{name}}}`"),
        );
        let hint = match did_you_mean(name, allowed.iter().copied()) {
            Some(s) => format!(
                "did you mean `{{{s}}}`? Allowed here: {}",
                allowed.join(", ")
            ),
            None => format!("allowed here: {}", allowed.join(", ")),
        };
        e = e.help(hint);
        return Err(e);
    }
    Ok(())
}

impl AlarmPack {
    /// Parses and validates `text` (the file `file`, pack `name`).
    pub fn parse(name: &str, file: &str, text: &str) -> Result<Self, TemplateError> {
        let parsed: PackFile = marked_yaml::from_yaml(0, text).map_err(|e| yaml_error(file, e))?;
        let mut ids = BTreeMap::new();
        for (i, a) in parsed.alarms.iter().enumerate() {
            let f = |field: &str| format!("alarms[{i}].{field}");
            if let Some(prev) = ids.insert(a.id.as_str().to_string(), i) {
                return Err(TemplateError::at(
                    file,
                    pos(&a.id),
                    f("id"),
                    format!("id `{}` is also alarms[{prev}]", a.id.as_str()),
                )
                .help("give each alarm of a pack its own id"));
            }
            check_one_of(file, &f("scope"), &a.scope, &["per_model", "all_models"])?;
            check_placeholders(file, &f("name"), &a.name, NAME_PLACEHOLDERS)?;
            check_placeholders(
                file,
                &f("description"),
                &a.description,
                DESCRIPTION_PLACEHOLDERS,
            )?;
            let per_model = a.scope.as_str() == "per_model";
            if per_model
                && !placeholders::find(&a.name)
                    .iter()
                    .any(|(_, n)| *n == "model_id")
            {
                return Err(TemplateError::at(file, pos(&a.name), f("name"), "a per_model alarm name must contain `{model_id}`")
                    .help("alarm names are unique per region: without the model, every model's alarm would overwrite the last"));
            }
            if !per_model
                && placeholders::find(&a.name)
                    .iter()
                    .any(|(_, n)| *n == "model_id")
            {
                return Err(TemplateError::at(
                    file,
                    pos(&a.name),
                    f("name"),
                    "an all_models alarm has no `{model_id}`",
                )
                .help("remove `{model_id}` or use scope: per_model"));
            }
            match (&a.schema, per_model) {
                (None, false) => {
                    return Err(TemplateError::at(file, pos(&a.scope), f("schema"), "an all_models alarm needs `schema`")
                        .help("list the dimension keys the metric is published with, e.g. schema: [ModelId]; [] for metrics without dimensions"))
                }
                (Some(s), true) if !s.is_empty() => {
                    return Err(TemplateError::at(file, pos(&s[0]), f("schema"), "`schema` is only for scope: all_models"))
                }
                _ => {}
            }
            let stat = a.statistic.as_str();
            if !STATISTICS.contains(&stat) && !is_percentile(stat) {
                return Err(TemplateError::at(
                    file,
                    pos(&a.statistic),
                    f("statistic"),
                    format!("`{stat}` is not a statistic"),
                )
                .help(format!(
                    "use one of {} or a percentile like p99",
                    STATISTICS.join(", ")
                )));
            }
            if !per_model && !STATISTICS.contains(&stat) {
                return Err(TemplateError::at(file, pos(&a.statistic), f("statistic"), "Metrics Insights queries (scope: all_models) have no percentiles")
                    .help("use scope: per_model for a percentile, or Sum/Average/Minimum/Maximum/SampleCount"));
            }
            if !period_ok(*a.period) {
                return Err(TemplateError::at(
                    file,
                    pos(&a.period),
                    f("period"),
                    format!("period {} is not 10, 20, 30 or a multiple of 60", *a.period),
                ));
            }
            if *a.evaluation_periods < 1 {
                return Err(TemplateError::at(
                    file,
                    pos(&a.evaluation_periods),
                    f("evaluation_periods"),
                    "must be at least 1",
                ));
            }
            if let Some(d) = &a.datapoints_to_alarm {
                if **d < 1 || **d > *a.evaluation_periods {
                    return Err(TemplateError::at(
                        file,
                        pos(d),
                        f("datapoints_to_alarm"),
                        format!(
                            "must be between 1 and evaluation_periods ({})",
                            *a.evaluation_periods
                        ),
                    ));
                }
            }
            check_one_of(
                file,
                &f("treat_missing_data"),
                &a.treat_missing_data,
                MISSING,
            )?;
            match (&a.threshold, &a.anomaly_band) {
                (Some(_), None) => {
                    check_one_of(file, &f("comparison"), &a.comparison, COMPARISONS)?
                }
                (None, Some(w)) => {
                    check_one_of(file, &f("comparison"), &a.comparison, BAND_COMPARISONS)?;
                    if !per_model {
                        return Err(TemplateError::at(
                            file,
                            pos(w),
                            f("anomaly_band"),
                            "anomaly bands need scope: per_model",
                        ));
                    }
                    if **w <= 0.0 || w.is_nan() {
                        return Err(TemplateError::at(
                            file,
                            pos(w),
                            f("anomaly_band"),
                            "the band width (standard deviations) must be above 0",
                        ));
                    }
                }
                (Some(t), Some(_)) => {
                    return Err(TemplateError::at(
                        file,
                        pos(t),
                        f("threshold"),
                        "give either `threshold` or `anomaly_band`, not both",
                    ))
                }
                (None, None) => {
                    return Err(TemplateError::at(
                        file,
                        pos(&a.comparison),
                        f("threshold"),
                        "missing `threshold` (or `anomaly_band`)",
                    ))
                }
            }
        }
        for (i, c) in parsed.composites.iter().enumerate() {
            check_placeholders(
                file,
                &format!("composites[{i}].name"),
                &c.name,
                &["account", "region", "pack"],
            )?;
            check_placeholders(
                file,
                &format!("composites[{i}].description"),
                &c.description,
                DESCRIPTION_PLACEHOLDERS,
            )?;
            if c.any_of.is_empty() {
                return Err(TemplateError::at(
                    file,
                    pos(&c.id),
                    format!("composites[{i}].any_of"),
                    "list at least one alarm id",
                ));
            }
            for (j, member) in c.any_of.iter().enumerate() {
                let Some(&k) = ids.get(member.as_str()) else {
                    let mut e = TemplateError::at(
                        file,
                        pos(member),
                        format!("composites[{i}].any_of[{j}]"),
                        format!("no alarm with id `{}` in this pack", member.as_str()),
                    );
                    if let Some(s) = did_you_mean(member, ids.keys().map(String::as_str)) {
                        e = e.help(format!("did you mean `{s}`?"));
                    }
                    return Err(e);
                };
                if parsed.alarms[k].scope.as_str() == "per_model" {
                    return Err(TemplateError::at(
                        file,
                        pos(member),
                        format!("composites[{i}].any_of[{j}]"),
                        "composite members must be all_models alarms (one alarm per region)",
                    ));
                }
            }
        }
        Ok(AlarmPack {
            name: name.to_string(),
            file: file.to_string(),
            description: parsed.description.as_str().to_string(),
            alarms: parsed.alarms,
            composites: parsed.composites,
        })
    }

    /// The override keys (alarm ids) of this pack.
    pub fn ids(&self) -> Vec<&str> {
        self.alarms.iter().map(|a| a.id.as_str()).collect()
    }

    /// Checks per-pack threshold overrides: an unknown id is an error naming the known ones.
    pub fn check_overrides<'k>(
        &self,
        overrides: impl IntoIterator<Item = &'k str>,
    ) -> Result<(), String> {
        for key in overrides {
            if !self.ids().contains(&key) {
                let hint = did_you_mean(key, self.ids())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "alarm pack `{}` has no alarm `{key}`{hint}; its alarms: {}",
                    self.name,
                    self.ids().join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Renders the pack for one account and region. `bindings` holds account, region,
    /// log_group; `models` the spec's model ids (per-model alarms); `thresholds` the overrides
    /// by alarm id (a static threshold, or the band width of an anomaly alarm).
    pub fn render(
        &self,
        bindings: &Bindings,
        models: &[String],
        thresholds: &BTreeMap<String, f64>,
    ) -> Result<(Vec<AlarmDefinition>, Vec<CompositeDefinition>), TemplateError> {
        self.check_overrides(thresholds.keys().map(String::as_str))
            .map_err(|m| TemplateError::at(&self.file, (1, 1), "thresholds", m))?;
        let base = bindings.with("pack", &self.name);
        let mut out = Vec::new();
        let mut names_by_id = BTreeMap::new();
        for (i, a) in self.alarms.iter().enumerate() {
            let per_model = a.scope.as_str() == "per_model";
            let targets: Vec<Option<&String>> = if per_model {
                models.iter().map(Some).collect()
            } else {
                vec![None]
            };
            for model in targets {
                let b = match model {
                    Some(m) => base.with("model_id", m),
                    None => base.clone(),
                };
                let value = thresholds.get(a.id.as_str()).copied();
                let threshold = match (&a.threshold, &a.anomaly_band) {
                    (Some(t), _) => Threshold::Static(value.unwrap_or(**t)),
                    (None, Some(w)) => Threshold::Band {
                        threshold_metric_id: "band".into(),
                        width: value.unwrap_or(**w),
                    },
                    (None, None) => unreachable!("validated in parse"),
                };
                let shown = match &threshold {
                    Threshold::Static(t) => format_number(*t),
                    Threshold::Band { width, .. } => {
                        format!("{} standard deviations", format_number(*width))
                    }
                };
                let b = b.with("threshold", &shown);
                let render = |field: &str, s: &Spanned<String>| {
                    placeholders::render(s, &b).map_err(|name| {
                        TemplateError::at(
                            &self.file,
                            pos(s),
                            format!("alarms[{i}].{field}"),
                            format!("placeholder `{{{name}}}` has no value here"),
                        )
                    })
                };
                let name = render("name", &a.name)?;
                let description = render("description", &a.description)?;
                let stat = a.statistic.as_str().to_string();
                let percentile = is_percentile(&stat);
                let dims: Vec<(String, String)> = model
                    .map(|m| vec![("ModelId".to_string(), m.clone())])
                    .unwrap_or_default();
                let mut def = AlarmDefinition {
                    pack: self.name.clone(),
                    id: a.id.as_str().to_string(),
                    model_id: model.cloned(),
                    alarm_name: name.clone(),
                    alarm_description: description,
                    namespace: None,
                    metric_name: None,
                    dimensions: vec![],
                    statistic: None,
                    extended_statistic: None,
                    period: None,
                    metrics: vec![],
                    comparison_operator: a.comparison.as_str().to_string(),
                    threshold: threshold.clone(),
                    evaluation_periods: *a.evaluation_periods,
                    datapoints_to_alarm: a.datapoints_to_alarm.as_ref().map(|d| **d),
                    treat_missing_data: a.treat_missing_data.as_str().to_string(),
                };
                match (&threshold, per_model) {
                    (Threshold::Static(_), true) => {
                        def.namespace = Some(a.namespace.as_str().to_string());
                        def.metric_name = Some(a.metric.as_str().to_string());
                        def.dimensions = dims;
                        def.period = Some(*a.period);
                        if percentile {
                            def.extended_statistic = Some(stat)
                        } else {
                            def.statistic = Some(stat)
                        }
                    }
                    (Threshold::Static(_), false) => {
                        def.metrics = vec![MetricQuery {
                            id: "q1".into(),
                            expression: Some(metrics_insights(
                                a.namespace.as_str(),
                                a.metric.as_str(),
                                &stat,
                                a.schema.as_deref().unwrap_or_default(),
                            )),
                            metric_stat: None,
                            period: Some(*a.period),
                            return_data: true,
                        }]
                    }
                    (
                        Threshold::Band {
                            width,
                            threshold_metric_id,
                        },
                        _,
                    ) => {
                        def.metrics = vec![
                            MetricQuery {
                                id: "m1".into(),
                                expression: None,
                                metric_stat: Some(MetricStat {
                                    namespace: a.namespace.as_str().to_string(),
                                    metric_name: a.metric.as_str().to_string(),
                                    dimensions: dims,
                                    stat,
                                }),
                                period: Some(*a.period),
                                return_data: true,
                            },
                            MetricQuery {
                                id: threshold_metric_id.clone(),
                                expression: Some(format!(
                                    "ANOMALY_DETECTION_BAND(m1, {})",
                                    format_number(*width)
                                )),
                                metric_stat: None,
                                period: None,
                                return_data: true,
                            },
                        ]
                    }
                }
                names_by_id.insert(a.id.as_str().to_string(), name);
                out.push(def);
            }
        }
        let mut composites = Vec::new();
        for (i, c) in self.composites.iter().enumerate() {
            let render = |field: &str, s: &Spanned<String>| {
                placeholders::render(s, &base).map_err(|name| {
                    TemplateError::at(
                        &self.file,
                        pos(s),
                        format!("composites[{i}].{field}"),
                        format!("placeholder `{{{name}}}` has no value here"),
                    )
                })
            };
            let members: Vec<String> = c
                .any_of
                .iter()
                .map(|m| names_by_id[m.as_str()].clone())
                .collect();
            let rule = any_alarm_rule(&members);
            composites.push(CompositeDefinition {
                pack: self.name.clone(),
                id: c.id.as_str().to_string(),
                alarm_name: render("name", &c.name)?,
                alarm_description: render("description", &c.description)?,
                members,
                alarm_rule: rule,
            });
        }
        Ok((out, composites))
    }
}

/// `SELECT SUM(Invocations) FROM SCHEMA("AWS/Bedrock", ModelId)`.
fn metrics_insights(
    namespace: &str,
    metric: &str,
    stat: &str,
    schema: &[Spanned<String>],
) -> String {
    let function = match stat {
        "Sum" => "SUM",
        "Average" => "AVG",
        "Minimum" => "MIN",
        "Maximum" => "MAX",
        _ => "COUNT",
    };
    let mut from = format!("SCHEMA(\"{namespace}\"");
    for key in schema {
        from.push_str(", ");
        from.push_str(key.as_str());
    }
    from.push(')');
    format!("SELECT {function}({metric}) FROM {from}")
}

/// `5` for 5.0, `0.5` for 0.5: how thresholds read in descriptions and expressions.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

pub(crate) fn yaml_error(file: &str, e: marked_yaml::FromYamlError) -> TemplateError {
    match e {
        marked_yaml::FromYamlError::ParseYaml(load) => {
            let (line, column) = load_position(&load);
            TemplateError::at(
                file,
                (line, column),
                "(file)",
                format!("not valid YAML: {load}"),
            )
        }
        marked_yaml::FromYamlError::FromNode(node) => {
            let at = node
                .start_mark()
                .map(|m| (m.line(), m.column()))
                .unwrap_or((1, 1));
            let field = node.path().unwrap_or("(file)").to_string();
            match &*node {
                marked_yaml::spanned_serde::Error::UnknownFieldError(f, expected, _) => {
                    let e = TemplateError::at(file, at, field, format!("unknown field `{f}`"));
                    e.help(match did_you_mean(f, expected.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`? Fields: {}", expected.join(", ")),
                        None => format!("fields: {}", expected.join(", ")),
                    })
                }
                other => TemplateError::at(file, at, field, other.to_string()),
            }
        }
    }
}

fn load_position(e: &marked_yaml::LoadError) -> (usize, usize) {
    use marked_yaml::LoadError as L;
    let m = match e {
        L::TopLevelMustBeMapping(m)
        | L::TopLevelMustBeSequence(m)
        | L::UnexpectedAnchor(m)
        | L::MappingKeyMustBeScalar(m)
        | L::UnexpectedTag(m)
        | L::ScanError(m, _) => Some(m),
        _ => None,
    };
    m.map(|m| (m.line(), m.column())).unwrap_or((1, 1))
}
