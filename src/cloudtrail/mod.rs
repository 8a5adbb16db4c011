//! CloudTrail audit trail groundwork (issue 11): the Bedrock data-event catalog, event selectors, and the trail's policy documents.
//!
//! Pure: nothing here calls AWS. The trail kind builds on it:
//!
//! * [`catalog`]: the Bedrock resource types (data, in `bedrock_data_events.txt`), lookup with
//!   "did you mean", `all` expansion.
//! * [`selectors`]: advanced event selectors from a [`SelectorIntent`], the 500-value limit,
//!   the canonical form compared by meaning, and differences in words.
//! * [`policy`]: the bucket's `AWSCloudTrailAclCheck`/`AWSCloudTrailWrite` statements and the
//!   CloudWatch Logs delivery role's trust and permission policies.
//! * [`convert`]: JSON selectors ↔ `aws_sdk_cloudtrail::types::AdvancedEventSelector`.
//!
//! ```
//! use bedrock_warden::cloudtrail::{catalog, selectors};
//!
//! let intent = selectors::SelectorIntent {
//!     data_types: catalog::expand(&["Guardrail".to_string()]),
//!     ..Default::default()
//! };
//! let desired = selectors::normalize(&selectors::generate(&intent)).unwrap();
//! let live = selectors::normalize(&selectors::generate(&Default::default())).unwrap();
//! assert_eq!(
//!     selectors::describe_differences(&live, &desired),
//!     ["data events for Guardrail are no longer recorded"]
//! );
//! ```

pub mod catalog;
pub mod convert;
pub mod policy;
pub mod selectors;

pub use selectors::{
    CanonicalSelectors, ManagementEvents, SelectorError, SelectorIntent, MAX_CONDITION_VALUES,
};
