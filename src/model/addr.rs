//! Resource kinds and addresses: how a user names one resource in one account and region.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Every kind of resource the tool manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    LogGroup,
    IamRole,
    S3Bucket,
    InvocationLogging,
    AccountDataProtection,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::LogGroup,
        Kind::IamRole,
        Kind::S3Bucket,
        Kind::InvocationLogging,
        Kind::AccountDataProtection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::LogGroup => "log_group",
            Kind::IamRole => "iam_role",
            Kind::S3Bucket => "s3_bucket",
            Kind::InvocationLogging => "invocation_logging",
            Kind::AccountDataProtection => "account_data_protection",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown resource kind `{s}`"))
    }
}

/// `<account name>/<region>/<kind>/<name>`, e.g. `prod-ops/us-east-1/log_group//aws/bedrock/invocations`.
/// The name is last because it may itself contain `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceAddr {
    pub account: String,
    pub region: String,
    pub kind: Kind,
    pub name: String,
}

impl ResourceAddr {
    pub fn new(account: &str, region: &str, kind: Kind, name: &str) -> Self {
        ResourceAddr {
            account: account.to_string(),
            region: region.to_string(),
            kind,
            name: name.to_string(),
        }
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.account, self.region, self.kind, self.name
        )
    }
}

impl FromStr for ResourceAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(4, '/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(account), Some(region), Some(kind), Some(name))
                if !account.is_empty() && !region.is_empty() && !name.is_empty() =>
            {
                Ok(ResourceAddr::new(account, region, kind.parse()?, name))
            }
            _ => Err(format!(
                "`{s}` is not a resource address (<account>/<region>/<kind>/<name>)"
            )),
        }
    }
}

impl Serialize for ResourceAddr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResourceAddr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_with_slashes_in_names() {
        let addr = ResourceAddr::new("ops", "us-east-1", Kind::LogGroup, "/aws/bedrock/x");
        assert_eq!(addr.to_string(), "ops/us-east-1/log_group//aws/bedrock/x");
        assert_eq!(addr.to_string().parse::<ResourceAddr>().unwrap(), addr);
        assert!("ops/us-east-1".parse::<ResourceAddr>().is_err());
        assert!("ops/us-east-1/bucket/x".parse::<ResourceAddr>().is_err());
    }
}
