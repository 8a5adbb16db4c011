//! The CloudWatch Logs managed data identifiers a policy may name, kept as data in identifiers.txt.

use crate::source::did_you_mean;

const IDENTIFIERS: &str = include_str!("identifiers.txt");

/// Where AWS lists the managed identifiers; quoted in help texts.
pub const DOCS_URL: &str =
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL-managed-data-identifiers.html";

/// Every managed identifier name, in file order.
pub fn all() -> impl Iterator<Item = &'static str> {
    IDENTIFIERS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether `name` is a managed identifier, spelled exactly as AWS spells it.
pub fn is_managed(name: &str) -> bool {
    all().any(|n| n == name)
}

/// The managed identifier `name` was probably meant to be (`OpenSSHPrivateKey` →
/// `OpenSshPrivateKey`), if one is close enough.
pub fn suggest(name: &str) -> Option<&'static str> {
    if let Some(exact) = all().find(|n| n.eq_ignore_ascii_case(name)) {
        return Some(exact);
    }
    // A country code is rarely the typo: prefer identifiers for the same country.
    let same_code = name.rsplit_once('-').and_then(|(_, code)| {
        did_you_mean(
            name,
            all().filter(|n| {
                n.rsplit_once('-')
                    .is_some_and(|(_, c)| c.eq_ignore_ascii_case(code))
            }),
        )
    });
    same_code.or_else(|| did_you_mean(name, all()))
}

/// The country-specific forms of an identifier written without its code
/// (`PhoneNumber` → `PhoneNumber-BR`, `PhoneNumber-DE`, …); empty when there are none.
pub fn regional_variants(base: &str) -> Vec<&'static str> {
    all()
        .filter(|n| {
            n.rsplit_once('-')
                .is_some_and(|(stem, _)| stem.eq_ignore_ascii_case(base))
        })
        .collect()
}

/// `arn:<partition>:dataprotection::aws:data-identifier/<name>`.
pub fn arn(partition: &str, name: &str) -> String {
    format!("arn:{partition}:dataprotection::aws:data-identifier/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_catalog_is_well_formed() {
        let names: Vec<&str> = all().collect();
        assert_eq!(names.len(), 99);
        let unique: HashSet<&str> = names.iter().copied().collect();
        assert_eq!(
            unique.len(),
            names.len(),
            "duplicate lines in identifiers.txt"
        );
        for name in &names {
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "`{name}` has characters an identifier ARN does not use"
            );
            if let Some((_, code)) = name.rsplit_once('-') {
                assert!(
                    code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()),
                    "`{name}` should end in a two-letter code"
                );
            }
        }
    }

    #[test]
    fn keeps_aws_spelling() {
        assert!(is_managed("OpenSshPrivateKey"));
        assert!(!is_managed("OpenSSHPrivateKey"));
        assert!(is_managed("DriversLicense-US"));
        assert!(is_managed("EmailAddress"));
        assert!(!is_managed("emailaddress"));
        assert!(!is_managed("PhoneNumber"));
    }

    #[test]
    fn suggests_near_misses() {
        assert_eq!(suggest("OpenSSHPrivateKey"), Some("OpenSshPrivateKey"));
        assert_eq!(suggest("EmailAdress"), Some("EmailAddress"));
        assert_eq!(suggest("ipaddress"), Some("IpAddress"));
        assert_eq!(suggest("DriversLicence-US"), Some("DriversLicense-US"));
        assert_eq!(suggest("Zzzzz"), None);
    }

    #[test]
    fn lists_regional_variants() {
        let phones = regional_variants("PhoneNumber");
        assert_eq!(phones.len(), 7);
        assert!(phones.contains(&"PhoneNumber-US"));
        assert!(regional_variants("EmailAddress").is_empty());
        assert_eq!(regional_variants("ssn"), vec!["Ssn-ES", "Ssn-US"]);
    }

    #[test]
    fn builds_arns() {
        assert_eq!(
            arn("aws-cn", "IpAddress"),
            "arn:aws-cn:dataprotection::aws:data-identifier/IpAddress"
        );
    }
}
