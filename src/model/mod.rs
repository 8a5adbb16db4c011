//! The desired state: addresses, accounts to reach, and the expansion of a spec into resources.

pub mod addr;
pub mod change;
pub mod desired;
pub mod expand;
pub mod live;
pub use crate::spec::sections::invocation_logging::expand as logging;

pub use addr::{Kind, ResourceAddr};
pub use change::{Action, FieldChange, ResourceChange, ScopeError, ScopeNote};
pub use desired::{AccountTarget, Desired, DesiredResource, OWNER_TAG};
pub use expand::{count_resources, expand, MAX_RESOURCES};
pub use live::LiveResource;
