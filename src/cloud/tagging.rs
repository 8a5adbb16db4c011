//! Ownership tags of many resources in one call per 100: the Resource Groups Tagging API
//! (`GetResources`, filtered by the ownership tag key and the kinds' resource types), so a
//! plan does not read tags one resource at a time (`ListTagsForResource` at 5 per second).
//!
//! The Tagging API is eventually consistent right after tagging: the engine uses it for plan
//! reads only; re-reads that verify an apply or re-check an owner read each resource directly.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_resourcegroupstagging::types::TagFilter;
use tokio::sync::OnceCell;

use super::{classify, CloudError};
use crate::model::OWNER_TAG;

/// `GetResources` returns at most 100 resources per page.
const RESOURCES_PER_PAGE: i32 = 100;

/// Below this many resources whose tags a kind needs, reading them one by one costs no more
/// than the bulk read (which is at least one call and may still leave some to read directly).
pub const BULK_FROM: usize = 2;

/// Every resource of some types in one account and region that carries the ownership tag key
/// (whatever its value), with all its tags, by ARN.
#[derive(Debug, Default, Clone)]
pub struct TagIndex {
    by_arn: HashMap<String, BTreeMap<String, String>>,
}

impl TagIndex {
    /// The tags of the resource `arn`, when it carries the ownership tag key. `None` means the
    /// index does not know it: no ownership tag, or tagged too recently to be listed yet, so a
    /// caller that needs its tags reads them directly.
    pub fn tags(&self, arn: &str) -> Option<&BTreeMap<String, String>> {
        self.by_arn.get(arn)
    }

    /// The ARNs in the index (resources carrying the ownership tag key).
    pub fn arns(&self) -> impl Iterator<Item = &str> {
        self.by_arn.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.by_arn.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_arn.is_empty()
    }

    #[cfg(test)]
    pub fn from_entries(entries: Vec<(String, BTreeMap<String, String>)>) -> Self {
        TagIndex {
            by_arn: entries.into_iter().collect(),
        }
    }
}

/// A scope's tag index, read on first use (at most once, shared by every kind of the scope).
pub struct BulkTags {
    client: aws_sdk_resourcegroupstagging::Client,
    resource_types: Vec<&'static str>,
    index: OnceCell<Result<TagIndex, CloudError>>,
}

impl BulkTags {
    /// For the given Tagging API resource types (`logs:log-group`, …) of one scope.
    pub fn new(
        client: aws_sdk_resourcegroupstagging::Client,
        resource_types: Vec<&'static str>,
    ) -> Self {
        BulkTags {
            client,
            resource_types,
            index: OnceCell::new(),
        }
    }

    /// The index if it was read already (successfully), without reading it.
    pub fn ready(&self) -> Option<&TagIndex> {
        self.index.get().and_then(|r| r.as_ref().ok())
    }

    /// The index, read with `GetResources` the first time it is asked for.
    pub async fn index(&self) -> Result<&TagIndex, CloudError> {
        self.index
            .get_or_init(|| read_index(&self.client, &self.resource_types))
            .await
            .as_ref()
            .map_err(Clone::clone)
    }
}

async fn read_index(
    client: &aws_sdk_resourcegroupstagging::Client,
    resource_types: &[&'static str],
) -> Result<TagIndex, CloudError> {
    let mut pages = client
        .get_resources()
        .tag_filters(TagFilter::builder().key(OWNER_TAG).build())
        .set_resource_type_filters(Some(resource_types.iter().map(|t| t.to_string()).collect()))
        .resources_per_page(RESOURCES_PER_PAGE)
        .into_paginator()
        .send();
    let mut index = TagIndex::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("tagging:GetResources", e))?;
        for mapping in page.resource_tag_mapping_list() {
            let Some(arn) = mapping.resource_arn() else {
                continue;
            };
            let tags = mapping
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            index.by_arn.insert(arn.to_string(), tags);
        }
    }
    Ok(index)
}
