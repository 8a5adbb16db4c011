//! Tests across the engine and the kinds: the generic diff with the real kinds (moved from
//! plan/diff.rs, since the engine names no kind), and the engine's generic paths (replace,
//! account-scoped placement) with the test-only kind.

use serde_json::{json, Value};

use crate::kinds::test_kind::{CallLog, TestKind};
use crate::kinds::*;
use crate::model::{AccountTarget, Action, LiveResource, ResourceChange};
use crate::model::{DesiredResource, FieldChange, Kind, ResourceAddr, OWNER_TAG};
use crate::plan::diff::diff_scope;

fn desired(name: &str, props: Value) -> DesiredResource {
    DesiredResource {
        addr: ResourceAddr::new("ops", "us-east-1", Kind::LogGroup, name),
        props,
        depends_on: vec![],
        origin: None,
    }
}

fn live(name: &str, props: Value, owner: Option<&str>) -> LiveResource {
    LiveResource {
        addr: ResourceAddr::new("ops", "us-east-1", Kind::LogGroup, name),
        props,
        owner: owner.map(str::to_string),
    }
}

fn group(retention: Value, owner: &str) -> Value {
    json!({"retention_days": retention, "kms_key_id": null, "tags": {OWNER_TAG: owner}})
}

#[test]
fn plans_create_update_noop_adopt_and_prune() {
    let want = [
        desired("/new", group(json!(30), "p")),
        desired("/same", group(json!(30), "p")),
        desired("/changed", group(json!(1827), "p")),
        desired("/foreign", group(json!(30), "p")),
    ];
    let refs: Vec<&DesiredResource> = want.iter().collect();
    let have = [
        live("/same", group(json!(30), "p"), Some("p")),
        live("/changed", group(json!(30), "p"), Some("p")),
        live(
            "/foreign",
            json!({"retention_days": 30, "kms_key_id": null, "tags": {}}),
            None,
        ),
        live("/orphan", group(json!(7), "p"), Some("p")),
    ];
    let (changes, errors) = diff_scope("p", "123456789012", &refs, &have, true);
    assert!(errors.is_empty());
    let actions: Vec<(&str, Action)> = changes
        .iter()
        .map(|c| (c.address.name.as_str(), c.action))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("/new", Action::Create),
            ("/same", Action::NoOp),
            ("/changed", Action::Update),
            ("/foreign", Action::Adopt),
            ("/orphan", Action::Delete),
        ]
    );
    assert_eq!(
        changes[2].fields,
        vec![FieldChange {
            path: "retention_days".into(),
            before: json!(30),
            after: json!(1827)
        }]
    );
    assert_eq!(changes[3].fields[0].path, "tags.warden:managed-by");
}

#[test]
fn adopting_a_group_says_when_it_loses_its_key() {
    let want = [desired("/keyed", group(json!(30), "p"))];
    let refs: Vec<&DesiredResource> = want.iter().collect();
    let have = [live(
        "/keyed",
        json!({"retention_days": 30, "kms_key_id": "arn:aws:kms:us-east-1:1:key/k", "tags": {}}),
        None,
    )];
    let (changes, _) = diff_scope("p", "1", &refs, &have, false);
    assert_eq!(changes[0].action, Action::Adopt);
    let reason = changes[0].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("REMOVES its KMS key"), "{reason}");
}

#[test]
fn without_prune_orphans_stay_and_other_projects_are_not_taken_over() {
    let want = [desired("/theirs", group(json!(30), "p"))];
    let refs: Vec<&DesiredResource> = want.iter().collect();
    let have = [
        live("/theirs", group(json!(30), "q"), Some("q")),
        live("/orphan", group(json!(7), "p"), Some("p")),
    ];
    let (changes, errors) = diff_scope("p", "1", &refs, &have, false);
    assert!(changes.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("another warden project `q`"));
}

#[test]
fn groups_the_spec_still_points_at_are_not_pruned() {
    let mut logging = desired("default", json!({"cloudwatch": {"log_group": "/in-use"}}));
    logging.addr.kind = Kind::InvocationLogging;
    let have = [
        live("/in-use", group(json!(7), "p"), Some("p")),
        live("/unused", group(json!(7), "p"), Some("p")),
    ];
    let (changes, _) = diff_scope("p", "1", &[&logging], &have, true);
    let deleted: Vec<&str> = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address.name.as_str())
        .collect();
    assert_eq!(deleted, vec!["/unused"]);
}

#[test]
fn unmanaged_groups_are_never_pruned() {
    let have = [live("/hand-made", group(json!(7), "p"), None)];
    let (changes, _) = diff_scope("p", "1", &[], &have, true);
    assert!(changes.is_empty());
}

fn thing(region: &str, name: &str, props: Value) -> DesiredResource {
    DesiredResource {
        addr: ResourceAddr::new("ops", region, Kind::TestThing, name),
        props,
        depends_on: vec![],
        origin: None,
    }
}

fn live_thing(name: &str, props: Value) -> LiveResource {
    LiveResource {
        addr: ResourceAddr::new("ops", "us-east-1", Kind::TestThing, name),
        props,
        owner: Some("p".into()),
    }
}

#[test]
fn a_field_that_cannot_change_in_place_plans_a_replace() {
    let want = [
        thing(
            "us-east-1",
            "regenerated",
            json!({"generation": 2, "size": 1}),
        ),
        thing("us-east-1", "resized", json!({"generation": 1, "size": 2})),
    ];
    let refs: Vec<&DesiredResource> = want.iter().collect();
    let have = [
        live_thing("regenerated", json!({"generation": 1, "size": 1})),
        live_thing("resized", json!({"generation": 1, "size": 1})),
    ];
    let (changes, errors) = diff_scope("p", "1", &refs, &have, false);
    assert!(errors.is_empty());
    assert_eq!(changes[0].action, Action::Replace);
    assert_eq!(
        changes[0].forces_replacement,
        vec!["generation".to_string()]
    );
    assert_eq!(
        changes[0].fields,
        vec![FieldChange {
            path: "generation".into(),
            before: json!(1),
            after: json!(2)
        }]
    );
    assert_eq!(changes[1].action, Action::Update);
    assert!(changes[1].forces_replacement.is_empty());
    let summary = crate::plan::Plan::summarize(&changes, 0);
    assert_eq!((summary.replace, summary.update), (1, 1));
}

fn replace_change() -> ResourceChange {
    ResourceChange {
        address: ResourceAddr::new("ops", "us-east-1", Kind::TestThing, "t"),
        account_id: "123456789012".into(),
        action: Action::Replace,
        before: Some(json!({"generation": 1})),
        after: Some(json!({"generation": 2})),
        fields: vec![FieldChange {
            path: "generation".into(),
            before: json!(1),
            after: json!(2),
        }],
        reason: None,
        depends_on: vec![],
        forces_replacement: vec!["generation".into()],
    }
}

#[tokio::test]
async fn a_replace_deletes_then_creates_unless_the_kind_says_create_first() {
    let scope = |client: CallLog| Scope {
        client,
        account_name: "ops",
        account_id: "123456789012",
        region: "us-east-1",
        bulk_tags: None,
    };
    let delete_first = scope(CallLog::default());
    carry_out::<TestKind<false>>(&delete_first, &replace_change())
        .await
        .unwrap();
    assert_eq!(
        *delete_first.client.lock().unwrap(),
        ["delete t", "create t"]
    );
    let create_first = scope(CallLog::default());
    carry_out::<TestKind<true>>(&create_first, &replace_change())
        .await
        .unwrap();
    assert_eq!(
        *create_first.client.lock().unwrap(),
        ["create t", "delete t"]
    );
}

fn plan_of(changes: Vec<ResourceChange>) -> crate::plan::Plan {
    let summary = crate::plan::Plan::summarize(&changes, 0);
    crate::plan::Plan {
        format_version: crate::plan::PLAN_FORMAT_VERSION,
        warden_version: "0".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        spec_file: "warden.yaml".into(),
        project: "p".into(),
        prune: false,
        accounts: vec![],
        summary,
        changes,
        errors: vec![],
        notes: vec![],
        api_calls: Default::default(),
    }
}

#[test]
fn a_replace_is_shown_as_minus_plus_with_the_field_that_forces_it() {
    let plan = plan_of(vec![replace_change()]);
    let text = crate::render::text::plan(&plan, crate::render::Mode::Plan, false);
    assert!(text.contains("-/+ test_thing t"), "{text}");
    assert!(
        text.contains("generation: 1 → 2 (forces replacement)"),
        "{text}"
    );
    assert!(text.contains("1 to replace, 0 to delete"), "{text}");
    let markdown = crate::render::markdown::plan(&plan, crate::render::Mode::Plan);
    assert!(
        markdown.contains("| create | adopt | update | replace | delete |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| -/+ | `ops/us-east-1/test_thing/t` | replace |"),
        "{markdown}"
    );
    assert!(markdown.contains("(forces replacement)"), "{markdown}");
    let json: Value = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["summary"]["replace"], 1);
    assert_eq!(
        json["changes"][0]["forces_replacement"],
        json!(["generation"])
    );
}

#[test]
fn plans_without_a_replace_keep_their_json_and_summary_line() {
    let mut update = replace_change();
    update.action = Action::Update;
    update.forces_replacement.clear();
    let plan = plan_of(vec![update]);
    let json: Value = serde_json::to_value(&plan).unwrap();
    assert!(json["summary"].get("replace").is_none(), "{json}");
    assert!(json["changes"][0].get("forces_replacement").is_none());
    let text = crate::render::text::plan(&plan, crate::render::Mode::Plan, false);
    assert!(text.contains("1 to update, 0 to delete"), "{text}");
    assert!(!text.contains("forces replacement"), "{text}");
}

#[test]
fn account_scoped_kinds_live_in_the_home_region_and_are_applied_around_regional_ones() {
    assert_eq!(Kind::TestThing.placement(), Placement::Account);
    let account = AccountTarget {
        name: "ops".into(),
        id: "123456789012".into(),
        role_arn: None,
        external_id: None,
        regions: vec!["eu-west-1".into(), "us-east-1".into()],
    };
    assert_eq!(home_region(&account), Some("eu-west-1"));

    // A regional log group in us-east-1 that needs the account-wide thing (in eu-west-1, the
    // home region), and an account-wide thing that leaves the spec.
    let change = |region: &str, kind: Kind, name: &str, action: Action, deps: Vec<ResourceAddr>| {
        ResourceChange {
            address: ResourceAddr::new("ops", region, kind, name),
            action,
            depends_on: deps,
            ..replace_change()
        }
    };
    let wide = ResourceAddr::new("ops", "eu-west-1", Kind::TestThing, "wide");
    let changes = vec![
        change(
            "us-east-1",
            Kind::LogGroup,
            "/g",
            Action::Create,
            vec![wide.clone()],
        ),
        change("eu-west-1", Kind::TestThing, "old", Action::Delete, vec![]),
        change("eu-west-1", Kind::LogGroup, "/h", Action::Update, vec![]),
        change("eu-west-1", Kind::TestThing, "wide", Action::Create, vec![]),
    ];
    let phases = crate::apply::phases(changes.iter());
    let names: Vec<Vec<(String, Vec<&str>)>> = phases
        .iter()
        .map(|phase| {
            phase
                .iter()
                .map(|((_, region), cs)| {
                    (
                        region.clone(),
                        cs.iter().map(|c| c.address.name.as_str()).collect(),
                    )
                })
                .collect()
        })
        .collect();
    assert_eq!(
        names,
        vec![
            vec![("eu-west-1".to_string(), vec!["wide"])],
            vec![
                ("eu-west-1".to_string(), vec!["/h"]),
                ("us-east-1".to_string(), vec!["/g"])
            ],
            vec![("eu-west-1".to_string(), vec!["old"])],
        ]
    );
    // Shown in the plan in its home scope, before what ranks after it there.
    let ordered = crate::plan::build::in_dependency_order(changes);
    let shown: Vec<&str> = ordered.iter().map(|c| c.address.name.as_str()).collect();
    assert_eq!(shown, vec!["wide", "/h", "old", "/g"]);
}

#[test]
fn account_scoped_change_that_needs_regional_resources_is_not_applied_before_them() {
    // A trail (account-scoped) needs its bucket (regional, same scope): phase 0 would create
    // it before the bucket exists. It is applied with its scope's regional changes instead.
    let change = |kind: Kind, name: &str, deps: Vec<ResourceAddr>| ResourceChange {
        address: ResourceAddr::new("ops", "eu-west-1", kind, name),
        action: Action::Create,
        depends_on: deps,
        ..replace_change()
    };
    let bucket = ResourceAddr::new("ops", "eu-west-1", Kind::LogGroup, "/needed");
    let changes = [
        change(Kind::LogGroup, "/needed", vec![]),
        change(Kind::TestThing, "needs-bucket", vec![bucket]),
        change(Kind::TestThing, "free", vec![]),
    ];
    let phases = crate::apply::phases(changes.iter());
    let names: Vec<Vec<&str>> = phases
        .iter()
        .map(|phase| {
            phase
                .values()
                .flatten()
                .map(|c| c.address.name.as_str())
                .collect()
        })
        .collect();
    assert_eq!(names, vec![vec!["free"], vec!["/needed", "needs-bucket"]]);
}

#[test]
fn every_registered_kind_has_its_serde_name_as_its_address_name() {
    for kind in Kind::ALL {
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            json!(kind.as_str()),
            "{kind:?}"
        );
        assert_eq!(kind.as_str().parse::<Kind>().unwrap(), *kind);
    }
}
