//! A trail's advanced event selectors: generated from a typed intent, compared by meaning, and told apart in words.
//!
//! Selectors are JSON values shaped like the CloudTrail API (`{"Name", "FieldSelectors":
//! [{"Field", "Equals", "StartsWith", …}]}`); [`super::convert`] turns them into the SDK's types
//! and back. [`normalize`] gives the canonical form in which selector order, field order, value
//! order, duplicates and selector names never show as a difference.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{json, Map, Value};
use thiserror::Error;

use super::catalog;

/// "up to a maximum of 500 values for all conditions and selectors on a trail" (PutEventSelectors).
pub const MAX_CONDITION_VALUES: usize = 500;

/// The operators of an `AdvancedFieldSelector`, in the API's order.
pub const OPERATORS: [&str; 6] = [
    "Equals",
    "StartsWith",
    "EndsWith",
    "NotEquals",
    "NotStartsWith",
    "NotEndsWith",
];

const EVENT_CATEGORY: &str = "eventCategory";
const READ_ONLY: &str = "readOnly";
const RESOURCES_TYPE: &str = "resources.type";
const RESOURCES_ARN: &str = "resources.ARN";

/// Which management events a trail records (`management_events.read_write` in a spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ManagementEvents {
    #[default]
    All,
    WriteOnly,
    ReadOnly,
    None,
}

impl ManagementEvents {
    /// The spellings a spec accepts, in this order.
    pub const NAMES: [&'static str; 4] = ["all", "write_only", "read_only", "none"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::WriteOnly => "write_only",
            Self::ReadOnly => "read_only",
            Self::None => "none",
        }
    }

    /// `all`, `write_only`, `read_only` or `none`; anything else is None (the spec layer
    /// reports it, located, with [`Self::NAMES`]).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "all" => Some(Self::All),
            "write_only" => Some(Self::WriteOnly),
            "read_only" => Some(Self::ReadOnly),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The `readOnly` condition of the management selector, if any.
    fn read_only(self) -> Option<bool> {
        match self {
            Self::ReadOnly => Some(true),
            Self::WriteOnly => Some(false),
            Self::All | Self::None => None,
        }
    }
}

impl fmt::Display for ManagementEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a trail should record, as the spec says it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectorIntent {
    pub management: ManagementEvents,
    /// CloudTrail resource types (`AWS::Bedrock::Guardrail`), see [`catalog::expand`].
    pub data_types: Vec<String>,
    /// `Some(true)`: only read-only data events; `Some(false)`: only write events; None: both.
    pub read_only: Option<bool>,
    /// `resources.ARN` StartsWith values narrowing every data selector; empty: all resources.
    pub arn_prefixes: Vec<String>,
}

/// A selector list that cannot be read as advanced event selectors, or is over the limit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectorError {
    #[error("advanced event selector {index}: {problem}")]
    Malformed { index: usize, problem: String },
    #[error(
        "the event selectors have {count} condition values; CloudTrail allows at most {MAX_CONDITION_VALUES} per trail \
         (each data type costs 2 or 3 values plus one per ARN prefix: list fewer types or prefixes)"
    )]
    TooManyValues { count: usize },
}

fn field(name: &str, operator: &str, values: &[String]) -> Value {
    json!({"Field": name, operator: values})
}

/// The advanced event selectors for `intent`: one management selector (unless `none`), then
/// one data selector per resource type (one `resources.type` value per selector, as the
/// console writes them), each with `readOnly` and `resources.ARN` StartsWith when asked.
/// Values are sorted and deduplicated; an empty list means the trail records nothing.
pub fn generate(intent: &SelectorIntent) -> Vec<Value> {
    let mut selectors = Vec::new();
    if intent.management != ManagementEvents::None {
        let mut fields = vec![field(EVENT_CATEGORY, "Equals", &["Management".into()])];
        if let Some(read_only) = intent.management.read_only() {
            fields.push(field(READ_ONLY, "Equals", &[read_only.to_string()]));
        }
        selectors.push(json!({"Name": "warden management events", "FieldSelectors": fields}));
    }
    let prefixes: Vec<String> = intent
        .arn_prefixes
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut seen = BTreeSet::new();
    for resource_type in &intent.data_types {
        if !seen.insert(resource_type) {
            continue;
        }
        let mut fields = vec![
            field(EVENT_CATEGORY, "Equals", &["Data".into()]),
            field(
                RESOURCES_TYPE,
                "Equals",
                std::slice::from_ref(resource_type),
            ),
        ];
        if let Some(read_only) = intent.read_only {
            fields.push(field(READ_ONLY, "Equals", &[read_only.to_string()]));
        }
        if !prefixes.is_empty() {
            fields.push(field(RESOURCES_ARN, "StartsWith", &prefixes));
        }
        selectors.push(json!({
            "Name": format!("warden data events {}", resource_type.replace("::", " ")),
            "FieldSelectors": fields
        }));
    }
    selectors
}

/// How many condition values the selectors hold (every value of every operator counts,
/// `eventCategory` too), the number CloudTrail limits to [`MAX_CONDITION_VALUES`].
pub fn count_values(selectors: &[Value]) -> usize {
    selectors
        .iter()
        .filter_map(|s| s.get("FieldSelectors").and_then(Value::as_array))
        .flatten()
        .map(|f| {
            OPERATORS
                .iter()
                .filter_map(|op| f.get(*op).and_then(Value::as_array))
                .map(Vec::len)
                .sum::<usize>()
        })
        .sum()
}

/// The value count, or [`SelectorError::TooManyValues`] over the limit.
pub fn check_limit(selectors: &[Value]) -> Result<usize, SelectorError> {
    let count = count_values(selectors);
    if count > MAX_CONDITION_VALUES {
        return Err(SelectorError::TooManyValues { count });
    }
    Ok(count)
}

/// Why `prefix` cannot narrow this account's Bedrock data events, or None when it can: it
/// must be the beginning of a Bedrock ARN of `partition` (`arn:<partition>:bedrock:…`), and
/// once the account field is written, that field must be `account`, empty (foundation models:
/// `arn:aws:bedrock:us-east-1::foundation-model/…`) or `aws` (AWS-owned resources such as
/// Data Automation profiles). The region field is not checked here (the spec layer knows the
/// account's regions).
pub fn arn_prefix_problem(prefix: &str, partition: &str, account: &str) -> Option<String> {
    let parts: Vec<&str> = prefix.split(':').collect();
    let expected = ["arn", partition, "bedrock"];
    for (i, want) in expected.iter().enumerate() {
        let Some(got) = parts.get(i) else {
            return Some(format!(
                "{prefix:?} is too short: a Bedrock ARN prefix starts with arn:{partition}:bedrock:<region>:{account}:"
            ));
        };
        if got != want {
            return Some(format!(
                "{prefix:?} is not a Bedrock ARN of partition {partition} (it should start with arn:{partition}:bedrock:)"
            ));
        }
    }
    // parts[3] is the region; parts[4], once complete (followed by ':'), is the account.
    let complete = parts.len() > 5;
    let fits = |owner: &str| {
        if complete {
            parts[4] == owner
        } else {
            owner.starts_with(parts[4])
        }
    };
    if parts.len() > 4 && !(fits(account) || fits("aws") || (complete && parts[4].is_empty())) {
        return Some(format!(
            "{prefix:?} names account {} but this is account {account}: only this account's events reach its trail",
            parts[4]
        ));
    }
    None
}

/// Operator → values of one field, in canonical (sorted, deduplicated) form.
pub type Conditions = BTreeMap<String, BTreeSet<String>>;

/// One selector by meaning: field → its conditions. No name, no order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CanonicalSelector {
    pub fields: BTreeMap<String, Conditions>,
}

impl CanonicalSelector {
    fn equals(&self, field: &str) -> Option<&BTreeSet<String>> {
        self.fields.get(field).and_then(|c| c.get("Equals"))
    }

    /// The `eventCategory` this selector is for, when it names exactly one.
    fn category(&self) -> Option<&str> {
        single(self.equals(EVENT_CATEGORY)?)
    }

    /// `Some(Some(b))`: `readOnly` equals b; `Some(None)`: no readOnly condition; None: a
    /// readOnly condition that is not a plain Equals.
    fn read_only(&self) -> Option<Option<bool>> {
        match self.fields.get(READ_ONLY) {
            None => Some(None),
            Some(c) if c.len() == 1 => match single(c.get("Equals")?)? {
                "true" => Some(Some(true)),
                "false" => Some(Some(false)),
                _ => None,
            },
            Some(_) => None,
        }
    }

    /// Back to the API's JSON shape (fields and values in canonical order, no name).
    pub fn to_json(&self) -> Value {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .map(|(name, conditions)| {
                let mut map = Map::new();
                map.insert("Field".into(), json!(name));
                for op in OPERATORS {
                    if let Some(values) = conditions.get(op) {
                        map.insert(op.into(), json!(values));
                    }
                }
                Value::Object(map)
            })
            .collect();
        json!({ "FieldSelectors": fields })
    }
}

fn single(values: &BTreeSet<String>) -> Option<&str> {
    if values.len() == 1 {
        values.iter().next().map(String::as_str)
    } else {
        None
    }
}

/// A selector list by meaning. Two lists that record the same events compare equal when
/// they differ only in selector order, field order, value order, duplicates, selector names,
/// a `readOnly` equal to both `true` and `false` (no condition), or several `resources.type`
/// / `eventCategory` values in one selector instead of one selector per value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CanonicalSelectors {
    pub selectors: BTreeSet<CanonicalSelector>,
}

fn strings(value: &Value, index: usize, what: &str) -> Result<BTreeSet<String>, SelectorError> {
    let malformed = || SelectorError::Malformed {
        index,
        problem: format!("{what} must be a list of strings"),
    };
    value
        .as_array()
        .ok_or_else(malformed)?
        .iter()
        .map(|v| v.as_str().map(str::to_string).ok_or_else(malformed))
        .collect()
}

fn parse_selector(index: usize, selector: &Value) -> Result<CanonicalSelector, SelectorError> {
    let malformed = |problem: &str| SelectorError::Malformed {
        index,
        problem: problem.to_string(),
    };
    let fields = selector
        .get("FieldSelectors")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("FieldSelectors must be a list"))?;
    let mut out = CanonicalSelector::default();
    for field_selector in fields {
        let name = field_selector
            .get("Field")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("every field selector needs a Field"))?;
        let conditions = out.fields.entry(name.to_string()).or_default();
        for op in OPERATORS {
            if let Some(values) = field_selector.get(op) {
                let values = strings(values, index, &format!("{name} {op}"))?;
                if !values.is_empty() {
                    conditions.entry(op.to_string()).or_default().extend(values);
                }
            }
        }
    }
    out.fields.retain(|_, conditions| !conditions.is_empty());
    // readOnly equal to true or false matches every event: the same as no condition.
    let both: BTreeSet<String> = ["false".to_string(), "true".to_string()].into();
    if out.fields.get(READ_ONLY) == Some(&BTreeMap::from([("Equals".to_string(), both.clone())])) {
        out.fields.remove(READ_ONLY);
    }
    Ok(out)
}

/// One selector per value of a multi-valued Equals on `field` (an OR, so the same meaning).
fn explode(selector: CanonicalSelector, field: &str) -> Vec<CanonicalSelector> {
    let Some(conditions) = selector.fields.get(field) else {
        return vec![selector];
    };
    let Some(values) = conditions.get("Equals").filter(|v| v.len() > 1) else {
        return vec![selector];
    };
    if conditions.len() != 1 {
        return vec![selector];
    }
    values
        .iter()
        .map(|value| {
            let mut one = selector.clone();
            one.fields.insert(
                field.to_string(),
                BTreeMap::from([("Equals".to_string(), BTreeSet::from([value.clone()]))]),
            );
            one
        })
        .collect()
}

/// The canonical form of an `AdvancedEventSelectors` list (as read from AWS or generated).
pub fn normalize(selectors: &[Value]) -> Result<CanonicalSelectors, SelectorError> {
    let mut out = CanonicalSelectors::default();
    for (index, selector) in selectors.iter().enumerate() {
        let parsed = parse_selector(index, selector)?;
        for by_category in explode(parsed, EVENT_CATEGORY) {
            out.selectors.extend(explode(by_category, RESOURCES_TYPE));
        }
    }
    Ok(out)
}

/// The canonical form of a basic `EventSelectors` list (`{ReadWriteType,
/// IncludeManagementEvents, DataResources: [{Type, Values}]}`), which is what a trail that
/// never had selectors put reports: the advanced selectors recording the same events.
pub fn normalize_basic(selectors: &[Value]) -> Result<CanonicalSelectors, SelectorError> {
    let mut advanced = Vec::new();
    for (index, selector) in selectors.iter().enumerate() {
        let read_only = match selector
            .get("ReadWriteType")
            .and_then(Value::as_str)
            .unwrap_or("All")
        {
            "All" => None,
            "ReadOnly" => Some(true),
            "WriteOnly" => Some(false),
            other => {
                return Err(SelectorError::Malformed {
                    index,
                    problem: format!("ReadWriteType {other:?} is not All, ReadOnly or WriteOnly"),
                })
            }
        };
        let read_only_field = read_only.map(|b| field(READ_ONLY, "Equals", &[b.to_string()]));
        if selector
            .get("IncludeManagementEvents")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            let mut fields = vec![field(EVENT_CATEGORY, "Equals", &["Management".into()])];
            fields.extend(read_only_field.clone());
            advanced.push(json!({ "FieldSelectors": fields }));
        }
        for resource in selector
            .get("DataResources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let resource_type = resource.get("Type").and_then(Value::as_str).unwrap_or("");
            let values = strings(
                resource.get("Values").unwrap_or(&json!([])),
                index,
                "DataResources Values",
            )?;
            let mut fields = vec![
                field(EVENT_CATEGORY, "Equals", &["Data".into()]),
                field(RESOURCES_TYPE, "Equals", &[resource_type.to_string()]),
            ];
            fields.extend(read_only_field.clone());
            if !values.is_empty() {
                let values: Vec<String> = values.into_iter().collect();
                fields.push(field(RESOURCES_ARN, "StartsWith", &values));
            }
            advanced.push(json!({ "FieldSelectors": fields }));
        }
    }
    normalize(&advanced)
}

impl CanonicalSelectors {
    /// The selectors in the API's JSON shape, in canonical order (for plan output).
    pub fn to_json(&self) -> Vec<Value> {
        self.selectors
            .iter()
            .map(CanonicalSelector::to_json)
            .collect()
    }

    /// What these selectors record, as far as warden's spec can say it.
    pub fn coverage(&self) -> Coverage {
        let mut management: Option<ManagementCoverage> = None;
        let mut data: BTreeMap<String, DataCoverage> = BTreeMap::new();
        let mut other = 0;
        for selector in &self.selectors {
            match selector.category() {
                Some("Management") => {
                    let simple = selector
                        .fields
                        .keys()
                        .all(|f| f == EVENT_CATEGORY || f == READ_ONLY);
                    let this = match selector.read_only() {
                        Some(read_only) if simple => ManagementCoverage::Filter(read_only),
                        _ => ManagementCoverage::Custom,
                    };
                    management = Some(match management {
                        None => this,
                        Some(before) => before.union(this),
                    });
                }
                Some("Data") => {
                    let Some(resource_type) = selector.equals(RESOURCES_TYPE).and_then(single)
                    else {
                        other += 1;
                        continue;
                    };
                    let this = DataCoverage::of(selector);
                    let merged = match data.remove(resource_type) {
                        None => this,
                        Some(before) => before.union(this),
                    };
                    data.insert(resource_type.to_string(), merged);
                }
                _ => other += 1,
            }
        }
        let management = match management {
            None => ManagementCoverage::Events(ManagementEvents::None),
            Some(ManagementCoverage::Filter(None)) => {
                ManagementCoverage::Events(ManagementEvents::All)
            }
            Some(ManagementCoverage::Filter(Some(true))) => {
                ManagementCoverage::Events(ManagementEvents::ReadOnly)
            }
            Some(ManagementCoverage::Filter(Some(false))) => {
                ManagementCoverage::Events(ManagementEvents::WriteOnly)
            }
            Some(other) => other,
        };
        Coverage {
            management,
            data,
            other,
        }
    }
}

impl Coverage {
    /// The Bedrock resource types whose data events are recorded (in any way), e.g. to note
    /// that another trail in the account already records them.
    pub fn bedrock_data_types(&self) -> Vec<&str> {
        self.data
            .keys()
            .map(String::as_str)
            .filter(|t| catalog::short_name(t).is_some())
            .collect()
    }
}

/// What a selector list records, in the spec's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub management: ManagementCoverage,
    /// Per CloudTrail resource type.
    pub data: BTreeMap<String, DataCoverage>,
    /// Selectors warden does not write (network activity, data events without a single
    /// `resources.type`, …).
    pub other: usize,
}

/// Which management events are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagementCoverage {
    Events(ManagementEvents),
    /// Conditions warden does not write (an `eventSource` filter, say).
    Custom,
    /// While reading: a readOnly filter (None: none). Never in a finished [`Coverage`].
    Filter(Option<bool>),
}

impl ManagementCoverage {
    fn union(self, other: Self) -> Self {
        match (self, other) {
            (Self::Filter(a), Self::Filter(b)) if a == b => Self::Filter(a),
            (Self::Filter(_), Self::Filter(_)) => Self::Filter(None),
            _ => Self::Custom,
        }
    }
}

impl fmt::Display for ManagementCoverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Events(events) => write!(f, "{events}"),
            Self::Custom | Self::Filter(_) => f.write_str("custom filters"),
        }
    }
}

/// How the data events of one resource type are recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataCoverage {
    /// `Some(true)`: read-only events; `Some(false)`: write events; None: both.
    pub read_only: Option<bool>,
    /// `resources.ARN` StartsWith values; empty: every resource.
    pub arn_prefixes: BTreeSet<String>,
    /// Conditions warden does not write (eventName, EndsWith, …).
    pub custom: bool,
}

impl DataCoverage {
    fn of(selector: &CanonicalSelector) -> Self {
        let mut custom = false;
        let read_only = selector.read_only().unwrap_or_else(|| {
            custom = true;
            None
        });
        let mut arn_prefixes = BTreeSet::new();
        for (name, conditions) in &selector.fields {
            match name.as_str() {
                EVENT_CATEGORY | RESOURCES_TYPE | READ_ONLY => {}
                RESOURCES_ARN if conditions.keys().all(|op| op == "StartsWith") => {
                    arn_prefixes.extend(conditions["StartsWith"].iter().cloned());
                }
                _ => custom = true,
            }
        }
        Self {
            read_only,
            arn_prefixes,
            custom,
        }
    }

    /// Two selectors of the same type record the union of their events.
    fn union(self, other: Self) -> Self {
        if self.custom || other.custom {
            return Self {
                custom: true,
                ..self
            };
        }
        if self.read_only == other.read_only {
            let arn_prefixes = if self.arn_prefixes.is_empty() || other.arn_prefixes.is_empty() {
                BTreeSet::new()
            } else {
                self.arn_prefixes
                    .union(&other.arn_prefixes)
                    .cloned()
                    .collect()
            };
            return Self {
                read_only: self.read_only,
                arn_prefixes,
                custom: false,
            };
        }
        if self.arn_prefixes == other.arn_prefixes {
            return Self {
                read_only: None,
                ..self
            };
        }
        Self {
            custom: true,
            ..self
        }
    }
}

fn type_label(resource_type: &str) -> &str {
    catalog::short_name(resource_type).unwrap_or(resource_type)
}

fn read_only_words(read_only: Option<bool>) -> &'static str {
    match read_only {
        None => "read and write events",
        Some(true) => "read-only events",
        Some(false) => "write events only",
    }
}

fn resources_words(prefixes: &BTreeSet<String>) -> String {
    if prefixes.is_empty() {
        "all resources".to_string()
    } else {
        let list: Vec<&str> = prefixes.iter().map(String::as_str).collect();
        format!("ARNs starting with {}", list.join(", "))
    }
}

/// What differs between the live selectors and the desired ones, in words, each line saying
/// how AWS is now compared with the spec ("data events for Guardrail are no longer recorded",
/// "management events: write_only instead of all"). Empty when they mean the same.
pub fn describe_differences(
    live: &CanonicalSelectors,
    desired: &CanonicalSelectors,
) -> Vec<String> {
    if live == desired {
        return Vec::new();
    }
    let (now, wanted) = (live.coverage(), desired.coverage());
    let mut lines = Vec::new();
    if now.management != wanted.management {
        lines.push(format!(
            "management events: {} instead of {}",
            now.management, wanted.management
        ));
    }
    for (resource_type, want) in &wanted.data {
        let label = type_label(resource_type);
        let Some(have) = now.data.get(resource_type) else {
            lines.push(format!("data events for {label} are no longer recorded"));
            continue;
        };
        if have.custom != want.custom {
            lines.push(if have.custom {
                format!("data events for {label} are filtered by conditions warden does not write")
            } else {
                format!("data events for {label} are no longer filtered as the spec says")
            });
            continue;
        }
        if have.read_only != want.read_only {
            lines.push(format!(
                "data events for {label}: {} instead of {}",
                read_only_words(have.read_only),
                read_only_words(want.read_only)
            ));
        }
        if have.arn_prefixes != want.arn_prefixes {
            lines.push(format!(
                "data events for {label}: {} instead of {}",
                resources_words(&have.arn_prefixes),
                resources_words(&want.arn_prefixes)
            ));
        }
    }
    for resource_type in now.data.keys() {
        if !wanted.data.contains_key(resource_type) {
            lines.push(format!(
                "data events for {} are also recorded (not in the spec)",
                type_label(resource_type)
            ));
        }
    }
    if now.other != wanted.other {
        lines.push(format!(
            "{} event selector(s) warden does not write instead of {}",
            now.other, wanted.other
        ));
    }
    if lines.is_empty() {
        lines.push("the event selectors differ from the spec's in their conditions".to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(types: &[&str]) -> SelectorIntent {
        SelectorIntent {
            management: ManagementEvents::All,
            data_types: types.iter().map(|t| catalog::cloudtrail_type(t)).collect(),
            read_only: None,
            arn_prefixes: Vec::new(),
        }
    }

    fn canon(selectors: &[Value]) -> CanonicalSelectors {
        normalize(selectors).unwrap()
    }

    #[test]
    fn management_names_parse_and_print() {
        for name in ManagementEvents::NAMES {
            assert_eq!(ManagementEvents::parse(name).unwrap().as_str(), name);
        }
        assert_eq!(ManagementEvents::parse("writeonly"), None);
        assert_eq!(ManagementEvents::default(), ManagementEvents::All);
    }

    #[test]
    fn generates_the_management_selector_and_one_selector_per_type() {
        let selectors = generate(&SelectorIntent {
            management: ManagementEvents::WriteOnly,
            data_types: vec![
                "AWS::Bedrock::Guardrail".into(),
                "AWS::Bedrock::AgentAlias".into(),
            ],
            read_only: Some(false),
            arn_prefixes: vec![
                "arn:aws:bedrock:us-east-1:123456789012:z".into(),
                "arn:aws:bedrock:us-east-1:123456789012:a".into(),
            ],
        });
        assert_eq!(
            selectors,
            vec![
                json!({"Name": "warden management events", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["false"]}
                ]}),
                json!({"Name": "warden data events AWS Bedrock Guardrail", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::Bedrock::Guardrail"]},
                    {"Field": "readOnly", "Equals": ["false"]},
                    {"Field": "resources.ARN", "StartsWith": [
                        "arn:aws:bedrock:us-east-1:123456789012:a",
                        "arn:aws:bedrock:us-east-1:123456789012:z"
                    ]}
                ]}),
                json!({"Name": "warden data events AWS Bedrock AgentAlias", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::Bedrock::AgentAlias"]},
                    {"Field": "readOnly", "Equals": ["false"]},
                    {"Field": "resources.ARN", "StartsWith": [
                        "arn:aws:bedrock:us-east-1:123456789012:a",
                        "arn:aws:bedrock:us-east-1:123456789012:z"
                    ]}
                ]}),
            ]
        );
        assert_eq!(count_values(&selectors), 2 + 2 * 5);
    }

    #[test]
    fn management_all_has_no_read_only_condition_and_none_has_no_selector() {
        let all = generate(&intent(&[]));
        assert_eq!(
            all,
            vec![
                json!({"Name": "warden management events", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]}
                ]})
            ]
        );
        let none = generate(&SelectorIntent {
            management: ManagementEvents::None,
            ..intent(&["Guardrail", "Guardrail"])
        });
        assert_eq!(none.len(), 1, "duplicate types give one selector: {none:?}");
        assert_eq!(none[0]["FieldSelectors"][0]["Equals"][0], "Data");
        assert!(generate(&SelectorIntent {
            management: ManagementEvents::None,
            ..intent(&[])
        })
        .is_empty());
    }

    #[test]
    fn the_whole_catalog_fits_the_limit_and_too_many_prefixes_do_not() {
        let every = SelectorIntent {
            data_types: catalog::expand(&["all".to_string()]),
            read_only: Some(true),
            ..intent(&[])
        };
        let count = check_limit(&generate(&every)).unwrap();
        assert_eq!(count, 1 + 3 * catalog::all().len());

        let prefixes: Vec<String> = (0..40)
            .map(|i| format!("arn:aws:bedrock:us-east-1:123456789012:guardrail/{i}"))
            .collect();
        let heavy = SelectorIntent {
            arn_prefixes: prefixes,
            ..every
        };
        let count = count_values(&generate(&heavy));
        assert_eq!(count, 1 + 43 * catalog::all().len());
        assert_eq!(
            check_limit(&generate(&heavy)),
            Err(SelectorError::TooManyValues { count })
        );
    }

    #[test]
    fn order_names_duplicates_and_layout_do_not_count() {
        let desired = generate(&intent(&["Guardrail", "AgentAlias"]));
        let live = vec![
            json!({"Name": "console made this", "FieldSelectors": [
                {"Field": "resources.type", "Equals": ["AWS::Bedrock::AgentAlias", "AWS::Bedrock::AgentAlias"]},
                {"Field": "eventCategory", "Equals": ["Data"]}
            ]}),
            json!({"FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": ["true", "false"]}
            ]}),
            json!({"Name": "dup", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::Bedrock::Guardrail"]},
                {"Field": "resources.ARN", "StartsWith": []}
            ]}),
            json!({"Name": "dup again", "FieldSelectors": [
                {"Field": "resources.type", "Equals": ["AWS::Bedrock::Guardrail"]},
                {"Field": "eventCategory", "Equals": ["Data"]}
            ]}),
        ];
        assert_eq!(canon(&live), canon(&desired));
        assert!(describe_differences(&canon(&live), &canon(&desired)).is_empty());
    }

    #[test]
    fn several_types_in_one_selector_mean_one_selector_per_type() {
        let combined = vec![json!({"FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::Bedrock::Guardrail", "AWS::Bedrock::AgentAlias"]},
            {"Field": "resources.ARN", "StartsWith": ["arn:aws:bedrock:us-east-1:1:b", "arn:aws:bedrock:us-east-1:1:a"]}
        ]})];
        let split = generate(&SelectorIntent {
            management: ManagementEvents::None,
            arn_prefixes: vec![
                "arn:aws:bedrock:us-east-1:1:a".into(),
                "arn:aws:bedrock:us-east-1:1:b".into(),
            ],
            ..intent(&["AgentAlias", "Guardrail"])
        });
        assert_eq!(canon(&combined), canon(&split));
    }

    #[test]
    fn a_removed_type_and_a_narrowed_management_filter_are_told_in_words() {
        let desired = canon(&generate(&intent(&["Guardrail", "KnowledgeBase"])));
        let live = canon(&generate(&SelectorIntent {
            management: ManagementEvents::WriteOnly,
            ..intent(&["KnowledgeBase", "Model"])
        }));
        assert_eq!(
            describe_differences(&live, &desired),
            vec![
                "management events: write_only instead of all",
                "data events for Guardrail are no longer recorded",
                "data events for Model are also recorded (not in the spec)",
            ]
        );
    }

    #[test]
    fn read_only_and_prefix_changes_are_told_in_words() {
        let desired = canon(&generate(&SelectorIntent {
            read_only: Some(false),
            arn_prefixes: vec!["arn:aws:bedrock:us-east-1:123456789012:guardrail/".into()],
            ..intent(&["Guardrail"])
        }));
        let live = canon(&generate(&intent(&["Guardrail"])));
        assert_eq!(
            describe_differences(&live, &desired),
            vec![
                "data events for Guardrail: read and write events instead of write events only",
                "data events for Guardrail: all resources instead of ARNs starting with arn:aws:bedrock:us-east-1:123456789012:guardrail/",
            ]
        );
    }

    #[test]
    fn read_and_write_selectors_of_one_type_cover_both() {
        let split = canon(&[
            json!({"FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::Bedrock::Guardrail"]},
                {"Field": "readOnly", "Equals": ["true"]}
            ]}),
            json!({"FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::Bedrock::Guardrail"]},
                {"Field": "readOnly", "Equals": ["false"]}
            ]}),
        ]);
        let coverage = split.coverage();
        assert_eq!(
            coverage.data["AWS::Bedrock::Guardrail"],
            DataCoverage {
                read_only: None,
                arn_prefixes: BTreeSet::new(),
                custom: false
            }
        );
        assert_eq!(
            coverage.management,
            ManagementCoverage::Events(ManagementEvents::None)
        );
    }

    #[test]
    fn conditions_warden_does_not_write_still_show_as_a_difference() {
        let desired = canon(&generate(&intent(&["Guardrail"])));
        let mut live_json = generate(&intent(&["Guardrail"]));
        live_json[1]["FieldSelectors"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Field": "eventName", "Equals": ["ApplyGuardrail"]}));
        let lines = describe_differences(&canon(&live_json), &desired);
        assert_eq!(
            lines,
            vec!["data events for Guardrail are filtered by conditions warden does not write"]
        );

        let mut network = generate(&intent(&[]));
        network.push(json!({"FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["NetworkActivity"]},
            {"Field": "eventSource", "Equals": ["bedrock.amazonaws.com"]}
        ]}));
        assert_eq!(
            describe_differences(&canon(&network), &canon(&generate(&intent(&[])))),
            vec!["1 event selector(s) warden does not write instead of 0"]
        );
    }

    #[test]
    fn the_default_basic_selector_means_all_management_events_and_no_data_events() {
        let basic = normalize_basic(&[json!({
            "ReadWriteType": "All", "IncludeManagementEvents": true,
            "DataResources": [], "ExcludeManagementEventSources": []
        })])
        .unwrap();
        assert_eq!(basic, canon(&generate(&intent(&[]))));
        let desired = canon(&generate(&intent(&["Guardrail"])));
        assert_eq!(
            describe_differences(&basic, &desired),
            vec!["data events for Guardrail are no longer recorded"]
        );
        assert!(matches!(
            normalize_basic(&[json!({"ReadWriteType": "Sometimes"})]),
            Err(SelectorError::Malformed { index: 0, .. })
        ));
    }

    #[test]
    fn malformed_selectors_are_errors_not_panics() {
        for bad in [
            json!({"Name": "x"}),
            json!({"FieldSelectors": [{"Equals": ["Data"]}]}),
            json!({"FieldSelectors": [{"Field": "eventCategory", "Equals": "Data"}]}),
            json!({"FieldSelectors": [{"Field": "eventCategory", "Equals": [1]}]}),
        ] {
            let err = normalize(&[generate(&intent(&[]))[0].clone(), bad.clone()]).unwrap_err();
            assert!(
                matches!(err, SelectorError::Malformed { index: 1, .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn arn_prefixes_must_be_bedrock_arns_of_this_account() {
        let ok = [
            "arn:aws:bedrock:us-east-1:123456789012:agent-alias/",
            "arn:aws:bedrock:us-east-1:123456789012:",
            "arn:aws:bedrock:us-east-1:1234",
            "arn:aws:bedrock:",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.",
            "arn:aws:bedrock:us-east-1:aws:data-automation-profile/",
        ];
        for prefix in ok {
            assert_eq!(
                arn_prefix_problem(prefix, "aws", "123456789012"),
                None,
                "{prefix}"
            );
        }
        let bad = [
            (
                "arn:aws:bedrock:us-east-1:999999999999:guardrail/",
                "account 999999999999",
            ),
            ("arn:aws:s3:::bucket", "not a Bedrock ARN"),
            (
                "arn:aws-cn:bedrock:cn-north-1:123456789012:",
                "not a Bedrock ARN",
            ),
            ("arn:aws", "too short"),
            ("arn:aws:bedrock:us-east-1:99", "account 99"),
            ("guardrail/abc", "not a Bedrock ARN"),
        ];
        for (prefix, says) in bad {
            let problem = arn_prefix_problem(prefix, "aws", "123456789012")
                .unwrap_or_else(|| panic!("{prefix} accepted"));
            assert!(problem.contains(says), "{prefix}: {problem}");
        }
    }

    #[test]
    fn coverage_lists_the_bedrock_types_recorded() {
        let mut selectors = generate(&intent(&["Guardrail", "Session"]));
        selectors.push(json!({"FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}
        ]}));
        assert_eq!(
            canon(&selectors).coverage().bedrock_data_types(),
            ["AWS::Bedrock::Guardrail", "AWS::Bedrock::Session"]
        );
    }

    #[test]
    fn canonical_json_round_trips() {
        let live = canon(&generate(&SelectorIntent {
            read_only: Some(true),
            ..intent(&["Guardrail", "Session"])
        }));
        assert_eq!(canon(&live.to_json()), live);
        assert_eq!(count_values(&live.to_json()), 1 + 3 * 2);
    }
}
