//! A secret value (the Dynatrace API token) that never prints: Debug, Display and Serialize redact it.
//!
//! The only way to the text is [`Secret::expose`], called where the value goes to AWS (the
//! connection's `ApiKeyValue`). Anything that derives `Debug` or `Serialize` over a `Secret`
//! (a plan, an error, a log line) shows [`REDACTED`] instead.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a secret looks like wherever it is printed or serialized.
pub const REDACTED: &str = "(secret)";

/// A secret string. Equality compares the values (so a plan can tell "changed" from "same"
/// without printing either); there is deliberately no `Deref`, `AsRef` or `Into<String>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place it must be sent (an AWS request).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A new secret made from this one's value (e.g. `Api-Token <token>`), still redacted.
    pub fn map(&self, f: impl FnOnce(&str) -> String) -> Secret {
        Secret(f(&self.0))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

/// Reading a secret (from a spec value already resolved from the environment) is allowed;
/// only writing it out is redacted.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// Hex characters of a [`fingerprint`] (64 bits of the HMAC: enough to tell one token from
/// another, too few to test guesses against offline at any useful rate of certainty).
pub const FINGERPRINT_CHARS: usize = 16;

/// A keyed fingerprint of a secret: HMAC-SHA256 of the value, keyed by `key_parts` (e.g.
/// project, account and connection name, so the same token has a different fingerprint in
/// every connection and a fingerprint cannot be looked up in a table made for another),
/// truncated to [`FINGERPRINT_CHARS`] hex characters. It tells whether the token changed
/// without revealing anything useful about it; it is what warden keeps with the connection,
/// since AWS never returns the token.
pub fn fingerprint(secret: &Secret, key_parts: &[&str]) -> String {
    use hmac::{KeyInit, Mac};
    let key = format!(
        "bedrock-warden/token-fingerprint/v1\0{}",
        key_parts.join("\0")
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(secret.expose().as_bytes());
    let digest = mac.finalize().into_bytes();
    digest
        .iter()
        .take(FINGERPRINT_CHARS / 2)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "dt0c01.CANARYCANARYCANARY12.secretsecretsecretsecret";

    #[derive(Debug, Serialize)]
    struct Holder {
        name: &'static str,
        token: Secret,
        tokens: Vec<Secret>,
        header: Option<Secret>,
    }

    fn holder() -> Holder {
        let token = Secret::new(CANARY);
        Holder {
            name: "dynatrace",
            header: Some(token.map(|t| format!("Api-Token {t}"))),
            tokens: vec![token.clone()],
            token,
        }
    }

    #[test]
    fn a_token_never_appears_in_debug_display_or_json() {
        let h = holder();
        let outputs = [
            format!("{h:?}"),
            format!("{h:#?}"),
            format!("{}", h.token),
            format!("{:>40}", h.token),
            h.token.to_string(),
            serde_json::to_string(&h).unwrap(),
            serde_json::to_string_pretty(&h).unwrap(),
            serde_json::to_value(&h).unwrap().to_string(),
        ];
        for out in &outputs {
            assert!(!out.contains(CANARY), "token leaked: {out}");
            assert!(!out.contains("CANARY"), "part of the token leaked: {out}");
            assert!(out.contains(REDACTED), "no redaction marker: {out}");
        }
        assert_eq!(serde_json::to_value(&h).unwrap()["token"], REDACTED);
    }

    #[test]
    fn a_deserialized_secret_serializes_redacted() {
        let s: Secret = serde_json::from_str(&format!("\"{CANARY}\"")).unwrap();
        assert_eq!(s.expose(), CANARY);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{REDACTED}\"")
        );
    }

    #[test]
    fn the_value_is_reachable_only_through_expose() {
        let h = holder();
        assert_eq!(h.token.expose(), CANARY);
        assert_eq!(h.header.unwrap().expose(), format!("Api-Token {CANARY}"));
        assert_eq!(Secret::new("a"), Secret::new("a"));
        assert_ne!(Secret::new("a"), Secret::new("b"));
        assert!(Secret::new("").is_empty());
    }

    #[test]
    fn fingerprints_are_keyed_stable_and_reveal_nothing_of_the_token() {
        let token = Secret::new(CANARY);
        let fp = fingerprint(&token, &["p", "111111111111", "warden-dynatrace"]);
        assert_eq!(fp.len(), FINGERPRINT_CHARS);
        assert!(fp.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            fp,
            fingerprint(&token, &["p", "111111111111", "warden-dynatrace"])
        );
        // another key (account, project or connection) gives another fingerprint
        assert_ne!(
            fp,
            fingerprint(&token, &["p", "222222222222", "warden-dynatrace"])
        );
        assert_ne!(
            fp,
            fingerprint(
                &Secret::new("other"),
                &["p", "111111111111", "warden-dynatrace"]
            )
        );
        assert!(!CANARY.contains(&fp));
    }
}
