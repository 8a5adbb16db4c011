//! bedrock-warden: plans, diffs and applies Amazon Bedrock governance settings (invocation
//! logging, log groups, …) across AWS accounts and regions from a declarative YAML spec.

pub mod apply;
pub mod cli;
pub mod cloud;
pub mod cloudtrail;
pub mod data_protection;
pub mod deadline;
pub mod error;
pub mod events;
pub mod kinds;
pub mod model;
pub mod monitoring;
pub mod permissions;
pub mod plan;
pub mod policy;
pub mod progress;
pub mod render;
pub mod source;
pub mod spec;

#[cfg(test)]
mod engine_tests;
