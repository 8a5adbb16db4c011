//! Groups a plan's identical changes across accounts and regions, so a plan over 200 accounts
//! reads as the few distinct changes it makes, with the places that differ shown apart. Works
//! for any kind: a change's content is compared after its account id, account name and region
//! are put back as placeholders (`bedrock-logs-{account}-{region}` groups).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::kinds::Placement;
use crate::model::Kind;
use crate::plan::{Action, FieldChange, Plan, ResourceChange, Summary};

/// Where one change happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub account: String,
    pub account_id: String,
    pub region: String,
}

impl Place {
    fn of(change: &ResourceChange) -> Self {
        Place {
            account: change.address.account.clone(),
            account_id: change.account_id.clone(),
            region: change.address.region.clone(),
        }
    }

    /// `ops/us-east-1`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.account, self.region)
    }
}

/// A change with its account and region put back as placeholders: what is compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Templated {
    pub kind: Kind,
    pub action: Action,
    pub name: String,
    pub reason: Option<String>,
    pub fields: Vec<FieldChange>,
    pub forces_replacement: Vec<String>,
    /// The desired state, templated the same way (for creations in words).
    pub after: Option<Value>,
}

impl Templated {
    fn of(change: &ResourceChange) -> Self {
        let place = Place::of(change);
        let text = |s: &str| templated(s, &place);
        Templated {
            kind: change.address.kind,
            action: change.action,
            name: text(&change.address.name),
            reason: change.reason.as_deref().map(text),
            fields: change
                .fields
                .iter()
                .map(|f| FieldChange {
                    path: text(&f.path),
                    before: templated_value(&f.before, &place),
                    after: templated_value(&f.after, &place),
                })
                .collect(),
            forces_replacement: change.forces_replacement.iter().map(|p| text(p)).collect(),
            after: change.after.as_ref().map(|v| templated_value(v, &place)),
        }
    }

    /// What makes two changes the same change (the desired state beyond the changed fields
    /// does not: the reader sees fields and reason).
    fn key(&self) -> String {
        serde_json::json!([self.name, self.reason, self.fields, self.forces_replacement])
            .to_string()
    }
}

/// Changes that are the same in several places.
#[derive(Debug, Clone)]
pub struct Variant<'a> {
    pub places: Vec<Place>,
    /// What the variant's changes have in common (see `Templated::key`).
    key: String,
    /// The first change of the variant, as it is (real names and values).
    pub first: &'a ResourceChange,
    pub templated: Templated,
}

/// All changes of one kind and action to resources of the same (templated) name: the most
/// common variant first, then the exceptions.
#[derive(Debug, Clone)]
pub struct Family<'a> {
    pub variants: Vec<Variant<'a>>,
}

impl Family<'_> {
    pub fn main(&self) -> &Variant<'_> {
        &self.variants[0]
    }

    pub fn exceptions(&self) -> &[Variant<'_>] {
        &self.variants[1..]
    }

    /// How many changes the family stands for.
    pub fn len(&self) -> usize {
        self.variants.iter().map(|v| v.places.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.variants.is_empty()
    }

    /// Whether it is a single change in a single place (shown as before, under its account).
    pub fn is_single(&self) -> bool {
        self.len() == 1
    }
}

/// The pending changes of `plan` in families, in the order of their first change in the plan
/// (by account and region, each scope in dependency order).
pub fn families(plan: &Plan) -> Vec<Family<'_>> {
    let mut order: Vec<(Kind, Action, String)> = Vec::new();
    let mut by_family: HashMap<(Kind, Action, String), Vec<Variant<'_>>> = HashMap::new();
    for change in plan.pending() {
        let templated = Templated::of(change);
        let family_key = (change.address.kind, change.action, templated.name.clone());
        let variants = by_family.entry(family_key.clone()).or_insert_with(|| {
            order.push(family_key);
            Vec::new()
        });
        let key = templated.key();
        match variants.iter_mut().find(|v| v.key == key) {
            Some(variant) => variant.places.push(Place::of(change)),
            None => variants.push(Variant {
                places: vec![Place::of(change)],
                key,
                first: change,
                templated,
            }),
        }
    }
    order
        .into_iter()
        .filter_map(|key| by_family.remove(&key))
        .map(|mut variants| {
            // The most common variant is the rule; ties keep plan order (stable sort).
            variants.sort_by_key(|v| std::cmp::Reverse(v.places.len()));
            Family { variants }
        })
        .collect()
}

/// Exceptions that differ from the rule in the same fields, more than this many times, are
/// folded into one line (values that vary per account, such as an account's own tag); `-v`
/// shows each.
pub const FOLDED_AFTER: usize = 3;

/// Exceptions that differ from the rule in the same fields (e.g. a tag whose value is each
/// account's own), told as one line.
#[derive(Debug, Clone)]
pub struct Folded<'a> {
    /// The fields that differ (dotted paths; a kind's described field by its name).
    pub paths: Vec<String>,
    pub places: Vec<Place>,
    pub variants: Vec<&'a Variant<'a>>,
}

/// The exceptions of a family to show one by one, and those folded by the fields they
/// differ in (only without `verbose`, for field sets shared by more than [`FOLDED_AFTER`]).
pub fn split_exceptions<'a>(
    family: &'a Family<'a>,
    verbose: bool,
) -> (Vec<&'a Variant<'a>>, Vec<Folded<'a>>) {
    let rule = &family.main().templated;
    let mut by_paths: Vec<(Vec<String>, Vec<&'a Variant<'a>>)> = Vec::new();
    for exception in family.exceptions() {
        let paths = differing_paths(rule, &exception.templated);
        match by_paths.iter_mut().find(|(p, _)| *p == paths) {
            Some((_, list)) => list.push(exception),
            None => by_paths.push((paths, vec![exception])),
        }
    }
    let mut shown = Vec::new();
    let mut folded = Vec::new();
    for (paths, variants) in by_paths {
        if verbose || variants.len() <= FOLDED_AFTER {
            shown.extend(variants);
        } else {
            let places = variants.iter().flat_map(|v| v.places.clone()).collect();
            folded.push(Folded {
                paths,
                places,
                variants,
            });
        }
    }
    // Shown in the family's order (most common first).
    shown.sort_by_key(|v| std::cmp::Reverse(v.places.len()));
    (shown, folded)
}

/// The paths whose change differs between the rule and an exception (and `reason` when the
/// reasons differ), sorted.
fn differing_paths(rule: &Templated, exception: &Templated) -> Vec<String> {
    let rule_fields: HashMap<&str, &FieldChange> =
        rule.fields.iter().map(|f| (f.path.as_str(), f)).collect();
    let own: HashMap<&str, &FieldChange> = exception
        .fields
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    let mut paths: Vec<String> = rule_fields
        .keys()
        .chain(own.keys())
        .filter(|p| rule_fields.get(*p) != own.get(*p))
        .map(|p| p.to_string())
        .collect();
    if rule.reason != exception.reason {
        paths.push("reason".to_string());
    }
    paths.sort();
    paths.dedup();
    paths
}

/// The counts per account (changes by action, errors), in one pass over the plan.
pub fn tallies(plan: &Plan) -> HashMap<&str, Summary> {
    let mut out: HashMap<&str, Summary> = HashMap::new();
    for c in &plan.changes {
        let s = out.entry(c.address.account.as_str()).or_default();
        match c.action {
            Action::Create => s.create += 1,
            Action::Adopt => s.adopt += 1,
            Action::Update => s.update += 1,
            Action::Delete => s.delete += 1,
            Action::Replace => s.replace += 1,
            Action::NoOp => s.no_op += 1,
        }
    }
    for e in &plan.errors {
        out.entry(e.account.as_str()).or_default().errors += 1;
    }
    out
}

/// `in 6 account-regions` / `in 3 accounts` (account-scoped kinds live once per account).
pub fn count_places(kind: Kind, n: usize) -> String {
    match (kind.placement(), n) {
        (Placement::Account, 1) => "in 1 account".to_string(),
        (Placement::Account, n) => format!("in {n} accounts"),
        (Placement::Regional, 1) => "in 1 account-region".to_string(),
        (Placement::Regional, n) => format!("in {n} account-regions"),
    }
}

/// How many places are listed before `… and N more` (all of them with `-v`).
pub const SHOWN_PLACES: usize = 4;

/// The places, shortened unless `verbose`: `ops/us-east-1, ops/eu-west-1, … and 196 more (-v
/// lists them)`.
pub fn list_places(places: &[Place], verbose: bool) -> String {
    let labels: Vec<String> = places.iter().map(Place::label).collect();
    if verbose || labels.len() <= SHOWN_PLACES + 1 {
        return labels.join(", ");
    }
    format!(
        "{}, … and {} more (-v lists them)",
        labels[..SHOWN_PLACES].join(", "),
        labels.len() - SHOWN_PLACES
    )
}

/// One part of what a change shows: words for a field the kind describes, or a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    Words(String),
    Field(&'a FieldChange),
    /// A field the rule changes that this exception leaves as it is (or, for a creation,
    /// does not set).
    Unchanged(&'a str),
}

/// The top-level field a dotted path belongs to.
fn top(path: &str) -> &str {
    path.split('.').next().unwrap_or(path)
}

/// What to show for a change: for a creation, the fields the kind says in words are replaced by
/// those words (with `verbose`, the fields follow as well); other changes show their fields.
pub fn items<'a>(
    kind: Kind,
    action: Action,
    after: Option<&Value>,
    fields: &'a [FieldChange],
    verbose: bool,
) -> Vec<Item<'a>> {
    let described: BTreeMap<&'static str, String> = match (action, after) {
        (Action::Create, Some(after)) => crate::kinds::describe(kind, after).into_iter().collect(),
        _ => BTreeMap::new(),
    };
    let mut out = Vec::new();
    let mut said = Vec::new();
    for field in fields {
        let part = top(&field.path);
        if let Some(words) = described.get(part) {
            if !said.contains(&part) {
                said.push(part);
                out.push(Item::Words(words.clone()));
            }
            if !verbose {
                continue;
            }
        }
        out.push(Item::Field(field));
    }
    out
}

/// What an exception shows: only what differs from the rule — its own words for a described
/// field that differs, its own value for a plain field, "unchanged" (not set, for a creation)
/// for a field only the rule has.
pub fn exception_items<'a>(
    rule: &'a Templated,
    exception: &'a Templated,
    verbose: bool,
) -> Vec<Item<'a>> {
    let rule_fields: HashMap<&str, &FieldChange> =
        rule.fields.iter().map(|f| (f.path.as_str(), f)).collect();
    let own_fields: HashMap<&str, &FieldChange> = exception
        .fields
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    let words_of = |t: &Templated| -> BTreeMap<&'static str, String> {
        match (t.action, t.after.as_ref()) {
            (Action::Create, Some(after)) => {
                crate::kinds::describe(t.kind, after).into_iter().collect()
            }
            _ => BTreeMap::new(),
        }
    };
    let (rule_words, own_words) = (words_of(rule), words_of(exception));
    let differing = exception
        .fields
        .iter()
        .chain(
            rule.fields
                .iter()
                .filter(|f| !own_fields.contains_key(f.path.as_str())),
        )
        .map(|f| f.path.as_str())
        .filter(|path| rule_fields.get(path) != own_fields.get(path));
    let mut out = Vec::new();
    let mut said: Vec<&str> = Vec::new();
    for path in differing {
        let part = top(path);
        if rule_words.contains_key(part) || own_words.contains_key(part) {
            if !said.contains(&part) {
                said.push(part);
                out.push(Item::Words(
                    own_words
                        .get(part)
                        .cloned()
                        .unwrap_or_else(|| format!("{part}: (none)")),
                ));
            }
            if !verbose {
                continue;
            }
        }
        out.push(match own_fields.get(path) {
            Some(field) => Item::Field(field),
            None => Item::Unchanged(path),
        });
    }
    out
}

/// `text` with the place's account id, region and account name as placeholders.
/// Account names are ordinary words, so they are only replaced where they stand as a name
/// would: three characters or more, and not next to a `:` (where `logs` in `arn:aws:logs:…` or
/// `logs:PutLogEvents` is a service, not an account called `logs`).
pub fn templated(text: &str, place: &Place) -> String {
    let mut out = replace_bounded(text, &place.account_id, "{account}", false);
    out = replace_bounded(&out, &place.region, "{region}", false);
    if place.account.len() >= 3 {
        out = replace_bounded(&out, &place.account, "{account_name}", true);
    }
    out
}

/// Replaces `needle` where it is not part of a longer word (letters and digits around it);
/// with `not_by_colon`, also not where a `:` touches it.
fn replace_bounded(text: &str, needle: &str, with: &str, not_by_colon: bool) -> String {
    if needle.is_empty() || !text.contains(needle) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut previous: Option<char> = None;
    while let Some(at) = rest.find(needle) {
        let before = rest[..at].chars().next_back().or(previous);
        let after = rest[at + needle.len()..].chars().next();
        let apart = |c: Option<char>| {
            !c.is_some_and(|c| c.is_ascii_alphanumeric() || (not_by_colon && c == ':'))
        };
        let bounded = apart(before) && apart(after);
        out.push_str(&rest[..at]);
        out.push_str(if bounded { with } else { needle });
        previous = needle.chars().next_back();
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

fn templated_value(value: &Value, place: &Place) -> Value {
    match value {
        Value::String(s) => Value::String(templated(s, place)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| templated_value(v, place)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (templated(k, place), templated_value(v, place)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ResourceAddr;
    use serde_json::json;

    fn place(account: &str, id: &str, region: &str) -> Place {
        Place {
            account: account.into(),
            account_id: id.into(),
            region: region.into(),
        }
    }

    #[test]
    fn account_ids_regions_and_names_become_placeholders_only_as_whole_words() {
        let p = place("ops", "111111111111", "us-east-1");
        assert_eq!(
            templated("bedrock-logs-111111111111-us-east-1", &p),
            "bedrock-logs-{account}-{region}"
        );
        assert_eq!(
            templated("arn:aws:iam::111111111111:role/ops-reader", &p),
            "arn:aws:iam::{account}:role/{account_name}-reader"
        );
        // Part of a longer word or number: left alone.
        assert_eq!(
            templated("1111111111112 operations us-east-1a", &p),
            "1111111111112 operations us-east-1a"
        );
        // A service in an ARN or an action is not the account `logs`.
        let logs = place("logs", "111111111111", "us-east-1");
        assert_eq!(
            templated(
                "arn:aws:logs:us-east-1:111111111111:log-group:/logs/x logs:PutLogEvents",
                &logs
            ),
            "arn:aws:logs:{region}:{account}:log-group:/{account_name}/x logs:PutLogEvents"
        );
        // Short names are too likely to be ordinary words.
        assert_eq!(templated("a b", &place("a", "1", "r")), "a b");
    }

    fn create(account: &str, id: &str, region: &str, retention: u32) -> ResourceChange {
        let bucket = format!("logs-{id}-{region}");
        ResourceChange {
            address: ResourceAddr::new(account, region, Kind::LogGroup, "/aws/bedrock/invocations"),
            account_id: id.into(),
            action: Action::Create,
            before: None,
            after: Some(json!({"retention_days": retention, "bucket": bucket})),
            fields: vec![
                FieldChange {
                    path: "bucket".into(),
                    before: Value::Null,
                    after: json!(bucket),
                },
                FieldChange {
                    path: "retention_days".into(),
                    before: Value::Null,
                    after: json!(retention),
                },
            ],
            reason: None,
            depends_on: vec![],
            forces_replacement: vec![],
        }
    }

    fn plan(changes: Vec<ResourceChange>) -> Plan {
        Plan {
            format_version: 1,
            warden_version: String::new(),
            created_at: String::new(),
            spec_file: String::new(),
            project: "p".into(),
            prune: false,
            accounts: vec![],
            summary: Plan::summarize(&changes, 0),
            changes,
            errors: vec![],
            notes: vec![],
            api_calls: Default::default(),
        }
    }

    #[test]
    fn identical_changes_group_and_the_differing_one_is_an_exception() {
        let p = plan(vec![
            create("a1", "100000000001", "us-east-1", 1827),
            create("a2", "100000000002", "us-east-1", 1827),
            create("a3", "100000000003", "eu-west-1", 3653),
            create("a4", "100000000004", "eu-west-1", 1827),
        ]);
        let families = families(&p);
        assert_eq!(families.len(), 1);
        let family = &families[0];
        assert_eq!(family.len(), 4);
        assert_eq!(family.main().places.len(), 3);
        assert_eq!(
            family.main().templated.fields[0].after,
            json!("logs-{account}-{region}")
        );
        let [exception] = family.exceptions() else {
            panic!("one exception expected")
        };
        assert_eq!(exception.places[0].label(), "a3/eu-west-1");
        let items = exception_items(&family.main().templated, &exception.templated, false);
        assert_eq!(items.len(), 1, "only the retention differs: {items:?}");
        assert!(matches!(items[0], Item::Field(f) if f.after == json!(3653)));
    }

    #[test]
    fn exceptions_differing_in_the_same_fields_are_folded_unless_verbose() {
        let mut changes: Vec<ResourceChange> = (0..8)
            .map(|i| {
                create(
                    &format!("a{i}"),
                    &format!("10000000000{i}"),
                    "us-east-1",
                    1827,
                )
            })
            .collect();
        // Five accounts with a value of their own in the same field, one real exception.
        for (i, change) in changes.iter_mut().enumerate().skip(3) {
            change.fields[1].after = json!(i);
        }
        let mut other = create("b", "200000000000", "us-east-1", 1827);
        other.fields[0].after = json!("a-bucket-of-its-own");
        changes.push(other);
        let p = plan(changes);
        let families = families(&p);
        let (shown, folded) = split_exceptions(&families[0], false);
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!(shown[0].places[0].account, "b");
        let [folded] = folded.as_slice() else {
            panic!("one fold expected: {folded:?}")
        };
        assert_eq!(folded.paths, ["retention_days"]);
        assert_eq!(folded.places.len(), 5);
        let (shown, folded) = split_exceptions(&families[0], true);
        assert_eq!((shown.len(), folded.len()), (6, 0));
    }

    #[test]
    fn place_lists_are_shortened_unless_verbose() {
        let places: Vec<Place> = (0..8)
            .map(|i| place(&format!("acct-{i}"), "1", "r"))
            .collect();
        assert_eq!(
            list_places(&places, false),
            "acct-0/r, acct-1/r, acct-2/r, acct-3/r, … and 4 more (-v lists them)"
        );
        assert_eq!(list_places(&places, true).matches(", ").count(), 7);
        assert_eq!(list_places(&places[..5], false).matches(", ").count(), 4);
    }
}
