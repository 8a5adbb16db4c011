//! The registry of resource kinds: one line per kind generates the `Kind` enum, its names and
//! ranks, and every dispatch from the generic engine to the kind's `ResourceKind` impl.

pub mod account_data_protection;
pub mod cloudtrail_trail;
pub mod composite_alarm;
pub mod dashboard;
pub mod event_api_destination;
pub mod event_bus;
pub mod event_connection;
pub mod event_rule;
pub mod iam_role;
pub mod invocation_logging;
pub mod kind;
pub mod log_group;
pub mod logs_resource_policy;
pub mod metric_alarm;
pub mod metric_filter;
pub mod query_definition;
pub mod s3_bucket;
pub mod sns_topic;
pub mod sqs_queue;
#[cfg(test)]
pub mod test_kind;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cloud::tagging::BulkTags;
use crate::cloud::{AccountSession, CloudError};
use crate::model::{AccountTarget, Action, LiveResource, ResourceChange};

/// Every registered kind (the engine iterates over them without naming one).
pub const ALL: &[Kind] = Kind::ALL;
pub use kind::{GlobalName, Named, Ownership, Placement, ReplaceOrder, ResourceKind, Scope};

/// Generates `Kind` and the engine's dispatch from `Variant => ImplType` lines.
macro_rules! registry {
    ($( $(#[$meta:meta])* $variant:ident => $ty:ty ),* $(,)?) => {
        // Each impl says which variant it is: registering it under another one does not compile.
        $( $(#[$meta])* const _: () = assert!(
            matches!(<$ty as ResourceKind>::KIND, Kind::$variant),
            concat!("registered as ", stringify!($variant), " but its KIND says otherwise")
        ); )*

        /// Every kind of resource the tool manages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $( $(#[$meta])* $variant, )*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[ $( $(#[$meta])* Kind::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::NAME, )* }
            }

            /// Dependency rank within a scope: lower ranks are created first.
            pub fn rank(self) -> u8 {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::RANK, )* }
            }

            pub fn placement(self) -> Placement {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::PLACEMENT, )* }
            }

            pub fn ownership(self) -> Ownership {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::OWNERSHIP, )* }
            }

            /// The governance report's control (column) for this kind.
            pub fn control(self) -> &'static str {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::CONTROL, )* }
            }

            /// Whether a read can find owned resources the spec does not name (for prune).
            pub fn discovers(self) -> bool {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::DISCOVERS, )* }
            }

            /// Whether the plan looks at this kind where the spec does not manage it.
            pub fn notes_unmanaged(self) -> bool {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::NOTES_UNMANAGED, )* }
            }

            /// Set when names are global in the account although planned per region.
            pub fn global_name(self) -> Option<GlobalName> {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::GLOBAL_NAME, )* }
            }

            /// Whether the plan looks around this kind's resources where the spec manages it.
            pub fn notes_managed(self) -> bool {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::NOTES_MANAGED, )* }
            }

            /// Its Tagging API resource type, when its reads take ownership tags in bulk.
            pub fn tagging_resource_type(self) -> Option<&'static str> {
                match self { $( $(#[$meta])* Kind::$variant => <$ty as ResourceKind>::TAGGING_RESOURCE_TYPE, )* }
            }
        }

        /// The part of `live` that the desired properties govern (what the diff compares).
        pub fn comparable(kind: Kind, desired: &Value, live: &Value) -> Value {
            match kind { $( $(#[$meta])* Kind::$variant => <$ty>::comparable(desired, live), )* }
        }

        /// Plain words for how `before` (live) differs from `after` (spec).
        pub fn explain(kind: Kind, before: &Value, after: &Value) -> Option<String> {
            match kind { $( $(#[$meta])* Kind::$variant => <$ty>::explain(before, after), )* }
        }

        /// A resource about to be created, in words: (top-level field, what it means).
        pub fn describe(kind: Kind, after: &Value) -> Vec<(&'static str, String)> {
            match kind { $( $(#[$meta])* Kind::$variant => <$ty>::describe(after), )* }
        }

        /// A warning the change deserves (e.g. it removes encryption).
        pub fn warnings(kind: Kind, before: &Value, after: &Value) -> Option<String> {
            match kind { $( $(#[$meta])* Kind::$variant => <$ty>::warnings(before, after), )* }
        }

        /// What these desired properties point at (never pruned while pointed at).
        pub fn references(kind: Kind, props: &Value, out: &mut Vec<(Kind, String)>) {
            match kind { $( $(#[$meta])* Kind::$variant => <$ty>::references(props, out), )* }
        }

        /// Whether a change of the field at `path` cannot be made in place.
        pub fn forces_replacement(kind: Kind, path: &str) -> bool {
            match kind { $( $(#[$meta])* Kind::$variant => <$ty>::forces_replacement(path), )* }
        }

        #[allow(clippy::too_many_arguments)]
        async fn read_kind(
            kind: Kind,
            session: &AccountSession,
            account_name: &str,
            region: &str,
            wanted: &[Named],
            project: &str,
            discover_owner: Option<&str>,
            bulk_tags: Option<&BulkTags>,
        ) -> Result<Vec<LiveResource>, CloudError> {
            match kind {
                $( $(#[$meta])* Kind::$variant => {
                    let mut scope = scope_of::<$ty>(session, account_name, region);
                    scope.bulk_tags = bulk_tags.filter(|_| <$ty as ResourceKind>::TAGGING_RESOURCE_TYPE.is_some());
                    read_with::<$ty>(&scope, wanted, project, discover_owner).await
                } )*
            }
        }

        /// What to tell about `kind` in a scope whose spec does not manage it (best effort).
        pub async fn unmanaged_note(
            kind: Kind,
            session: &AccountSession,
            account_name: &str,
            region: &str,
        ) -> Result<Option<String>, CloudError> {
            match kind {
                $( $(#[$meta])* Kind::$variant => {
                    <$ty>::unmanaged_note(&scope_of::<$ty>(session, account_name, region)).await
                } )*
            }
        }

        /// What to tell about the surroundings of `kind`'s named resources in a scope that
        /// manages it (best effort).
        pub async fn managed_note(
            kind: Kind,
            session: &AccountSession,
            account_name: &str,
            region: &str,
            wanted: &[Named],
        ) -> Result<Option<String>, CloudError> {
            match kind {
                $( $(#[$meta])* Kind::$variant => {
                    <$ty>::managed_note(&scope_of::<$ty>(session, account_name, region), wanted).await
                } )*
            }
        }

        /// The note a plan says once when it changes a resource of `kind` towards `after`.
        pub fn plan_note(kind: Kind, after: &Value) -> Option<String> {
            match kind { $( $(#[$meta])* Kind::$variant => <$ty>::plan_note(after), )* }
        }

        /// For a singleton kind, the live value that means it is not set.
        pub fn off(kind: Kind) -> Option<Value> {
            match kind { $( $(#[$meta])* Kind::$variant => <$ty>::off(), )* }
        }

        /// What deleting the named resource would destroy besides itself (e.g. objects).
        pub async fn contents(
            kind: Kind,
            session: &AccountSession,
            account_name: &str,
            region: &str,
            name: &str,
        ) -> Result<Option<String>, CloudError> {
            match kind {
                $( $(#[$meta])* Kind::$variant => {
                    <$ty>::contents(&scope_of::<$ty>(session, account_name, region), name).await
                } )*
            }
        }

        /// Deletes what `contents` reports.
        pub async fn delete_contents(
            kind: Kind,
            session: &AccountSession,
            account_name: &str,
            region: &str,
            name: &str,
        ) -> Result<(), CloudError> {
            match kind {
                $( $(#[$meta])* Kind::$variant => {
                    <$ty>::delete_contents(&scope_of::<$ty>(session, account_name, region), name).await
                } )*
            }
        }

        /// Carries out one planned change.
        pub async fn execute(session: &AccountSession, change: &ResourceChange) -> Result<(), CloudError> {
            let (account, region) = (&change.address.account, &change.address.region);
            match change.address.kind {
                $( $(#[$meta])* Kind::$variant => {
                    carry_out::<$ty>(&scope_of::<$ty>(session, account, region), change).await
                } )*
            }
        }
    };
}

registry! {
    LogGroup => log_group::LogGroupKind,
    IamRole => iam_role::IamRoleKind,
    S3Bucket => s3_bucket::S3BucketKind,
    InvocationLogging => invocation_logging::InvocationLoggingKind,
    AccountDataProtection => account_data_protection::AccountDataProtectionKind,
    CloudtrailTrail => cloudtrail_trail::CloudtrailTrailKind,
    EventConnection => event_connection::EventConnectionKind,
    EventApiDestination => event_api_destination::EventApiDestinationKind,
    SqsQueue => sqs_queue::SqsQueueKind,
    EventRule => event_rule::EventRuleKind,
    EventBus => event_bus::EventBusKind,
    MetricAlarm => metric_alarm::MetricAlarmKind,
    CompositeAlarm => composite_alarm::CompositeAlarmKind,
    Dashboard => dashboard::DashboardKind,
    QueryDefinition => query_definition::QueryDefinitionKind,
    MetricFilter => metric_filter::MetricFilterKind,
    SnsTopic => sns_topic::SnsTopicKind,
    LogsResourcePolicy => logs_resource_policy::LogsResourcePolicyKind,
    #[cfg(test)]
    TestThing => test_kind::TestKind<false>,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown resource kind `{s}`"))
    }
}

/// The region where an account's account-scoped resources are read and written: its first.
pub fn home_region(account: &AccountTarget) -> Option<&str> {
    account.regions.first().map(String::as_str)
}

fn scope_of<'a, K: ResourceKind>(
    session: &'a AccountSession,
    account_name: &'a str,
    region: &'a str,
) -> Scope<'a, K::Client> {
    Scope {
        client: K::client(session, region),
        account_name,
        account_id: &session.account_id,
        region,
        bulk_tags: None,
    }
}

async fn read_with<K: ResourceKind>(
    scope: &Scope<'_, K::Client>,
    wanted: &[Named],
    project: &str,
    discover_owner: Option<&str>,
) -> Result<Vec<LiveResource>, CloudError> {
    let mut live = K::read(scope, wanted, discover_owner.filter(|_| K::DISCOVERS)).await?;
    if K::OWNERSHIP == Ownership::Singleton {
        for resource in &mut live {
            resource.owner = Some(project.to_string());
        }
    }
    Ok(live)
}

/// Carries out one change of kind `K` in its scope (a replace in the order the kind says).
pub async fn carry_out<K: ResourceKind>(
    scope: &Scope<'_, K::Client>,
    change: &ResourceChange,
) -> Result<(), CloudError> {
    let null = Value::Null;
    let before = change.before.as_ref().unwrap_or(&null);
    let after = change.after.as_ref().unwrap_or(&null);
    let name = change.address.name.as_str();
    match change.action {
        Action::NoOp => Ok(()),
        Action::Create => K::create(scope, name, after).await,
        Action::Update | Action::Adopt => K::update(scope, name, before, after).await,
        Action::Delete => K::delete(scope, name, before).await,
        Action::Replace => match K::REPLACE_ORDER {
            ReplaceOrder::DeleteFirst => {
                K::delete(scope, name, before).await?;
                K::create(scope, name, after).await
            }
            ReplaceOrder::CreateFirst => {
                K::create(scope, name, after).await?;
                K::delete(scope, name, before).await
            }
        },
    }
}

/// Reads the live state of the named resources of every kind in one account and region. With
/// `discover_owner`, kinds that can also return resources that project owns and the spec does
/// not name (pruning); account-scoped kinds only in the account's home region (`home`). With
/// `bulk`, kinds with a Tagging API resource type take ownership tags from one shared index
/// of the scope (read on first need) instead of one call per resource; without it (re-reads
/// that verify an apply, where the index may lag) every resource is read directly.
#[allow(clippy::too_many_arguments)]
pub async fn read_scope(
    session: &AccountSession,
    account_name: &str,
    region: &str,
    names: &[Named],
    project: &str,
    discover_owner: Option<&str>,
    home: bool,
    bulk: bool,
) -> Result<Vec<LiveResource>, CloudError> {
    let mut reads = Vec::new();
    for kind in Kind::ALL {
        let of_kind: Vec<Named> = names.iter().filter(|n| n.kind == *kind).cloned().collect();
        let placed_here = home || kind.placement() == Placement::Regional;
        let discover = discover_owner.filter(|_| kind.discovers() && placed_here);
        if of_kind.is_empty() && discover.is_none() {
            continue;
        }
        reads.push((*kind, of_kind, discover));
    }
    // Kinds that take tags in bulk and name the most resources read first: the first to need
    // the index has it read, and kinds with a single resource then use it for free.
    if bulk {
        reads.sort_by_key(|(kind, of_kind, _)| {
            std::cmp::Reverse(kind.tagging_resource_type().map_or(0, |_| of_kind.len()))
        });
    }
    let mut types: Vec<&'static str> = reads
        .iter()
        .filter_map(|(kind, ..)| kind.tagging_resource_type())
        .collect();
    types.sort_unstable();
    types.dedup();
    let bulk_tags =
        (bulk && !types.is_empty()).then(|| BulkTags::new(session.tagging(region), types));
    let mut live = Vec::new();
    for (kind, of_kind, discover) in reads {
        live.extend(
            read_kind(
                kind,
                session,
                account_name,
                region,
                &of_kind,
                project,
                discover,
                bulk_tags.as_ref(),
            )
            .await?,
        );
    }
    Ok(live)
}

/// `live` with the object at `key` reduced to the keys `desired` has there: tags and inline
/// policies that the spec does not name are left alone, so they are not compared either.
pub fn project_keys(desired: &Value, live: &Value, key: &str) -> Value {
    let mut view = live.clone();
    let wanted: Vec<&String> = desired
        .get(key)
        .and_then(Value::as_object)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    if let Some(map) = view.get_mut(key).and_then(Value::as_object_mut) {
        map.retain(|k, _| wanted.contains(&k));
    }
    view
}

/// Where the live policy document at `pointer` means the same as the desired one (key order,
/// single values vs lists, case of actions, account-id forms), shows it in the desired spelling,
/// so equivalent documents never appear as a change.
pub fn align_policy(desired: &Value, live: &mut Value, pointer: &str) {
    let (Some(want), Some(have)) = (desired.pointer(pointer), live.pointer_mut(pointer)) else {
        return;
    };
    if !want.is_null() && !have.is_null() && crate::policy::equivalent(want, have) {
        *have = want.clone();
    }
}

/// The view of a resource whose policy the tool shares with others (bucket, topic, bus
/// policies): only the tags the spec names, and only the policy statements whose Sids the
/// desired policy has, in the desired spelling where they mean the same.
pub fn shared_policy_view(desired: &Value, live: &Value) -> Value {
    let mut view = project_keys(desired, live, "tags");
    if let Some(policy) = view.get_mut("policy") {
        *policy = crate::policy::owned_policy(
            Some(&*policy),
            &crate::policy::owned_sids(&desired["policy"]),
        );
    }
    align_policy(desired, &mut view, "/policy");
    view
}

/// The read of a kind whose resources are read one by one and owned by a mark the listing does
/// not show: the named resources (`read_one` each), then, when pruning, every listed one the
/// spec does not name, read to see its mark, kept when `owner` marked it.
pub async fn read_marked<'s, C, R, RF, L, LF>(
    scope: &'s Scope<'s, C>,
    wanted: &[Named],
    discover_owner: Option<&str>,
    read_one: R,
    list_names: L,
) -> Result<Vec<LiveResource>, CloudError>
where
    R: Fn(&'s Scope<'s, C>, String) -> RF,
    RF: std::future::Future<Output = Result<Option<LiveResource>, CloudError>>,
    L: FnOnce(&'s Scope<'s, C>) -> LF,
    LF: std::future::Future<Output = Result<Vec<String>, CloudError>>,
{
    let mut live = Vec::new();
    for Named { name, .. } in wanted {
        if let Some(found) = read_one(scope, name.clone()).await? {
            live.push(found);
        }
    }
    let Some(owner) = discover_owner else {
        return Ok(live);
    };
    for name in list_names(scope).await? {
        if wanted.iter().any(|n| n.name == name) {
            continue;
        }
        if let Some(found) = read_one(scope, name).await? {
            if found.owner.as_deref() == Some(owner) {
                live.push(found);
            }
        }
    }
    Ok(live)
}

/// Every item of a listing paged by `NextToken` for which the SDK generates no paginator (most
/// EventBridge listings): `page` asks for the page after the token it gets and answers its
/// items and the next token; no token (or an empty one) is the last page.
pub async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, CloudError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), CloudError>>,
{
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let (more, next) = page(token.take()).await?;
        items.extend(more);
        match next.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => return Ok(items),
        }
    }
}

#[cfg(test)]
mod pages_tests {
    use super::all_pages;

    #[tokio::test]
    async fn every_page_is_read_until_no_or_an_empty_token() {
        for last in [None, Some(String::new())] {
            let mut asked = Vec::new();
            let items = all_pages(|token| {
                asked.push(token.clone());
                let last = last.clone();
                async move {
                    Ok(match token.as_deref() {
                        None => (vec![1, 2], Some("p2".to_string())),
                        Some("p2") => (vec![3], last),
                        Some(other) => panic!("asked for {other}"),
                    })
                }
            })
            .await
            .unwrap();
            assert_eq!(items, [1, 2, 3]);
            assert_eq!(asked, [None, Some("p2".to_string())]);
        }
    }
}
