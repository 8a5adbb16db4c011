//! The AWS regions a spec may name, and the ARN partition each belongs to (kept as data in regions.txt).

const REGIONS: &str = include_str!("regions.txt");

fn entries() -> impl Iterator<Item = (&'static str, &'static str)> {
    REGIONS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
}

pub fn all() -> impl Iterator<Item = &'static str> {
    entries().map(|(region, _)| region)
}

pub fn is_known(region: &str) -> bool {
    all().any(|r| r == region)
}

/// The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`, …); `aws` for unknown regions.
pub fn partition(region: &str) -> &'static str {
    entries()
        .find(|(r, _)| *r == region)
        .map(|(_, p)| p)
        .unwrap_or("aws")
}

#[cfg(test)]
mod tests {
    #[test]
    fn knows_regions_and_partitions() {
        assert!(super::is_known("eu-central-1"));
        assert!(!super::is_known("us-east1"));
        assert_eq!(super::partition("cn-north-1"), "aws-cn");
        assert_eq!(super::partition("us-east-1"), "aws");
    }
}
