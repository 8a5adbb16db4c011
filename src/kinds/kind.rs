//! The one trait a resource kind implements: everything the generic engine needs to read,
//! compare, explain and write resources of that kind.

use serde_json::Value;

use super::Kind;
use crate::cloud::tagging::{BulkTags, TagIndex, BULK_FROM};
use crate::cloud::{AccountSession, CloudError};
use crate::model::{LiveResource, ResourceAddr};

/// Where resources of a kind live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// One set per (account, region).
    Regional,
    /// Once per account (IAM, dashboards, a multi-region trail): read and written in the
    /// account's home region (its first region in the spec), which is the address's region.
    Account,
}

/// How the engine knows a live resource is this project's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// The `warden:managed-by` tag (the kind's read fills `LiveResource::owner` from it).
    Tagged,
    /// The service has no tags: the kind marks ownership another way (e.g. a description
    /// prefix) and its read fills `LiveResource::owner` from that mark.
    Marked,
    /// One per scope, always present: owned by whichever project's spec names it.
    Singleton,
}

/// How a replace is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceOrder {
    /// Delete the old resource, then create the new one (names that must be unique).
    DeleteFirst,
    /// Create the new resource first, then delete the old one (where the name allows two).
    CreateFirst,
}

/// Names that are one per account (or wider) although the tool plans them per region: the same
/// name in two regions of one account would be one resource with two definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalName {
    /// What it is, in the error (`IAM role`).
    pub what: &'static str,
    /// How to fix the clash.
    pub help: &'static str,
}

/// Where one scope's resources of a kind live, with the kind's own client.
pub struct Scope<'a, C> {
    pub client: C,
    pub account_name: &'a str,
    pub account_id: &'a str,
    pub region: &'a str,
    /// Ownership tags in bulk (Tagging API), offered by the engine to plan reads of kinds with
    /// a `TAGGING_RESOURCE_TYPE`; `None` for re-reads that verify an apply (read directly).
    pub bulk_tags: Option<&'a BulkTags>,
}

impl<C> Scope<'_, C> {
    /// The address of the resource `name` of `kind` in this scope.
    pub fn addr(&self, kind: Kind, name: &str) -> ResourceAddr {
        ResourceAddr::new(self.account_name, self.region, kind, name)
    }

    /// The scope's ownership-tag index when the engine offers one and `needed` resources need
    /// their tags (for fewer, direct reads cost no more), or whatever their number once another
    /// kind of the scope had it read. A resource the index does not list carries no ownership
    /// tag as far as the index knows: read its tags directly if they matter. `None`: read every
    /// resource's tags directly.
    pub async fn tag_index(&self, needed: usize) -> Result<Option<&TagIndex>, CloudError> {
        match self.bulk_tags {
            Some(bulk) if needed >= BULK_FROM => bulk.index().await.map(Some),
            Some(bulk) if needed > 0 => Ok(bulk.ready()),
            _ => Ok(None),
        }
    }

    /// Whether the scope's tag index may list a resource whose ARN contains `marker` (`true`
    /// without an index): `false` lets a prune skip listing a kind of which no resource carries
    /// an ownership tag. (The index can lag a resource tagged seconds ago; the next prune finds
    /// it.)
    pub async fn index_may_hold(&self, marker: &str) -> Result<bool, CloudError> {
        Ok(match self.tag_index(BULK_FROM).await? {
            Some(index) => index.arns().any(|arn| arn.contains(marker)),
            None => true,
        })
    }
}

/// A resource a read is asked for: its name and the properties the spec wants (or the last
/// known ones; `null` when unknown), from which a kind can tell which parts it owns (e.g. the
/// names of its inline policies) without extra calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub kind: Kind,
    pub name: String,
    pub props: Value,
}

/// Everything the engine needs of one resource kind. Optional hooks have defaults; the rest
/// must be written, so a kind missing a part does not compile.
#[allow(async_fn_in_trait)]
pub trait ResourceKind {
    /// Its variant in [`Kind`].
    const KIND: Kind;
    /// Its name in addresses and plans (`log_group`); the same as `Kind`'s serde name.
    const NAME: &'static str;
    /// Dependency rank within a scope: lower ranks are created first.
    const RANK: u8;
    const PLACEMENT: Placement;
    const OWNERSHIP: Ownership;
    /// Whether `read` can find resources this project owns that the spec does not name (prune).
    const DISCOVERS: bool = false;
    /// Whether `unmanaged_note` looks at scopes whose spec does not manage this kind.
    const NOTES_UNMANAGED: bool = false;
    const REPLACE_ORDER: ReplaceOrder = ReplaceOrder::DeleteFirst;
    /// Whether `managed_note` looks at scopes whose spec manages this kind.
    const NOTES_MANAGED: bool = false;
    /// Set for regional kinds whose names are global in the account (IAM roles, S3 buckets).
    const GLOBAL_NAME: Option<GlobalName> = None;
    /// Its resource type in the Resource Groups Tagging API (`logs:log-group`), for kinds whose
    /// read takes tags from `Scope::tag_index` instead of a call each (`Tagged` kinds, and
    /// `Marked` ones that read tags where the mark is missing).
    const TAGGING_RESOURCE_TYPE: Option<&'static str> = None;

    /// The AWS client the kind's calls go through.
    type Client;
    fn client(session: &AccountSession, region: &str) -> Self::Client;

    /// One batched read of the named resources of a scope (missing ones are absent from the
    /// result). With `discover_owner`, also the resources that project owns (only when
    /// `DISCOVERS`).
    async fn read(
        scope: &Scope<'_, Self::Client>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError>;

    /// The part of `live` the desired properties govern (what the diff compares).
    fn comparable(desired: &Value, live: &Value) -> Value;

    /// Plain words for how `before` (live) differs from `after` (spec).
    fn explain(_before: &Value, _after: &Value) -> Option<String> {
        None
    }

    /// A resource about to be created, in words, part by part: each entry names the top-level
    /// field it stands for and says what it means (a policy as what it allows, a data-protection
    /// policy as its identifiers). Plans show these instead of that field's flattened lines
    /// (`-v` shows both); fields without an entry are shown as they are.
    fn describe(_after: &Value) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// The name of the control this kind's resources belong to in the governance report
    /// (several kinds may share one); its `NAME` by default.
    const CONTROL: &'static str = Self::NAME;

    /// A warning the change deserves (e.g. "this REMOVES its KMS key").
    fn warnings(_before: &Value, _after: &Value) -> Option<String> {
        None
    }

    /// Resources these desired properties point at, which are therefore never pruned.
    fn references(_props: &Value, _out: &mut Vec<(Kind, String)>) {}

    /// Whether a change of the field at `path` cannot be made in place (forces a replace).
    fn forces_replacement(_path: &str) -> bool {
        false
    }

    /// A note about this kind's live state in a scope whose spec does not manage it (only
    /// called when `NOTES_UNMANAGED`).
    async fn unmanaged_note(
        _scope: &Scope<'_, Self::Client>,
    ) -> Result<Option<String>, CloudError> {
        Ok(None)
    }

    /// A note about the surroundings of the named resources of a scope that manages this kind
    /// (e.g. another trail already records the same events). Best effort; only called when
    /// `NOTES_MANAGED`.
    async fn managed_note(
        _scope: &Scope<'_, Self::Client>,
        _wanted: &[Named],
    ) -> Result<Option<String>, CloudError> {
        Ok(None)
    }

    /// A note the plan says once (not per resource) when it has a pending change of this kind
    /// towards `after` (e.g. what the resource costs to run).
    fn plan_note(_after: &Value) -> Option<String> {
        None
    }

    /// For a `Singleton`: the live value that means it is not set (what a read returns after
    /// `delete`). `warden destroy` deletes a singleton only when it reads otherwise, and a
    /// delete that reads back as this is verified. Every singleton must give one (a test checks).
    fn off() -> Option<Value> {
        None
    }

    /// What deleting the resource would destroy besides the resource itself (a bucket's
    /// objects), in words, or `None` when it holds nothing. `warden destroy` does not delete
    /// such a resource unless told to (`--force-delete-bucket-contents`).
    async fn contents(
        _scope: &Scope<'_, Self::Client>,
        _name: &str,
    ) -> Result<Option<String>, CloudError> {
        Ok(None)
    }

    /// Deletes what `contents` reports, so that `delete` can succeed (destroy with
    /// `--force-delete-bucket-contents`, after re-reading the owner).
    async fn delete_contents(
        _scope: &Scope<'_, Self::Client>,
        _name: &str,
    ) -> Result<(), CloudError> {
        Ok(())
    }

    async fn create(
        scope: &Scope<'_, Self::Client>,
        name: &str,
        after: &Value,
    ) -> Result<(), CloudError>;
    /// Brings an existing resource (also one being adopted) from `before` to `after`.
    async fn update(
        scope: &Scope<'_, Self::Client>,
        name: &str,
        before: &Value,
        after: &Value,
    ) -> Result<(), CloudError>;
    /// Deletes it; one already gone is not an error.
    async fn delete(
        scope: &Scope<'_, Self::Client>,
        name: &str,
        before: &Value,
    ) -> Result<(), CloudError>;
}
