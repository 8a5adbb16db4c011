//! What every spec section and kind shares about the spec's text: the file, spans, located diagnostics, suggestions and regions.

pub mod diagnostic;
pub mod file;
pub mod regions;
pub mod sp;
mod suggest;

pub use diagnostic::{Diagnostic, Severity};
pub use file::{Location, SourceFile};
pub use sp::Sp;
pub use suggest::did_you_mean;

/// Placeholders a name or ARN may use; replaced per account and region.
pub const PLACEHOLDERS: &[&str] = &["{account}", "{account_name}", "{region}", "{partition}"];
