//! "Did you mean" suggestions for misspelt names (fields, regions, identifiers).

/// The closest candidate to `input`, if one is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lowered = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lowered, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn finds_near_misses_only() {
        let fields = ["name", "retention_days", "kms_key_id", "tags"];
        assert_eq!(
            did_you_mean("retension_days", fields),
            Some("retention_days")
        );
        assert_eq!(did_you_mean("kms_key", fields), Some("kms_key_id"));
        assert_eq!(did_you_mean("zzz", fields), None);
        assert_eq!(
            did_you_mean("us-east1", ["us-east-1", "eu-west-1"]),
            Some("us-east-1")
        );
    }
}
