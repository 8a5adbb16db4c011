//! What AWS holds now for one resource, normalized to the same shape as the desired properties.

use serde_json::Value;

use super::addr::ResourceAddr;

#[derive(Debug, Clone, PartialEq)]
pub struct LiveResource {
    pub addr: ResourceAddr,
    /// Normalized properties (same shape as `DesiredResource::props`).
    pub props: Value,
    /// The value of the ownership tag, if any: which warden project manages it.
    pub owner: Option<String>,
}
