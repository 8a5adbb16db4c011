//! IAM and resource policy documents: parsing as AWS returns them, canonical comparison, the
//! Bedrock invocation-logging documents the tool writes, and plain-words differences for plans.
//!
//! Everything here is pure (no AWS calls), so the plan never shows a change for a policy that
//! only differs in layout (key order, string-vs-list, statement order, `S3:PutObject` vs
//! `s3:putobject`, URL encoding, …).
//!
//! Typical use:
//!
//! ```
//! use bedrock_warden::policy;
//!
//! // IAM returns the trust policy URL-encoded.
//! let live = policy::parse_document(
//!     "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C\
//!      %22Principal%22%3A%7B%22Service%22%3A%22bedrock.amazonaws.com%22%7D%2C\
//!      %22Action%22%3A%22sts%3AAssumeRole%22%7D%7D",
//! )
//! .unwrap();
//! let desired = policy::bedrock_logging_trust_policy("aws", "123456789012", "us-east-1");
//! assert!(!policy::equivalent(&live, &desired));
//! let changes = policy::describe_differences(&live, &desired);
//! assert!(changes.iter().any(|c| c.contains("aws:SourceAccount")));
//! ```

mod bedrock;
mod describe;
mod normalize;
mod owned;
mod parse;
mod statements;

pub use bedrock::{
    bedrock_logging_bucket_policy, bedrock_logging_role_policy, bedrock_logging_trust_policy,
    BEDROCK_LOGS_SID, BEDROCK_LOG_STREAM, BEDROCK_SERVICE_PRINCIPAL,
};
pub use describe::describe_differences;
pub use normalize::{equivalent, normalize, POLICY_VERSION};
pub use owned::{merge_owned, owned_policy, owned_sids};
pub use parse::{parse_document, PolicyError};
pub use statements::{statements_with_sid, upsert_statements};
