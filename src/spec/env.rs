//! `${env:NAME}` references in spec values, resolved from the process environment.

/// How to treat a reference to a variable that is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvMode {
    /// `validate` runs where the variables may not exist (a PR job): report, do not fail.
    Lenient,
    /// `plan`/`apply` need the real value.
    Strict,
}

/// Why a value could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvError {
    /// `${env:NAME}` names a variable that is not set.
    Missing(String),
    /// The reference is not of the form `${env:NAME}`.
    Malformed(String),
}

/// Replaces every `${env:NAME}` in `value`, reading variables through `lookup`.
pub fn interpolate(
    value: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, EnvError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| EnvError::Malformed(rest[start..].to_string()))?;
        let reference = &after[..end];
        let name = reference
            .strip_prefix("env:")
            .filter(|n| valid_name(n))
            .ok_or_else(|| EnvError::Malformed(format!("${{{reference}}}")))?;
        let resolved = lookup(name).ok_or_else(|| EnvError::Missing(name.to_string()))?;
        out.push_str(&resolved);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether the value refers to the environment at all.
pub fn has_reference(value: &str) -> bool {
    value.contains("${")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// Reads from the real process environment.
pub fn from_process(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "ACCOUNT").then(|| "111111111111".to_string())
    }

    #[test]
    fn resolves_references_inside_text() {
        assert_eq!(
            interpolate("id-${env:ACCOUNT}-x", env).unwrap(),
            "id-111111111111-x"
        );
        assert_eq!(interpolate("plain", env).unwrap(), "plain");
    }

    #[test]
    fn reports_missing_and_malformed_references() {
        assert_eq!(
            interpolate("${env:NOPE}", env),
            Err(EnvError::Missing("NOPE".into()))
        );
        assert_eq!(
            interpolate("${ACCOUNT}", env),
            Err(EnvError::Malformed("${ACCOUNT}".into()))
        );
        assert_eq!(
            interpolate("${env:A", env),
            Err(EnvError::Malformed("${env:A".into()))
        );
    }
}
