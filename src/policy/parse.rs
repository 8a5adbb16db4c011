//! Reads policy documents as AWS hands them back: plain JSON, or URL-encoded JSON (IAM).

use serde_json::Value;

/// Errors parsing a policy document.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The text is empty or only whitespace.
    #[error("the policy document is empty")]
    Empty,
    /// The text is not JSON, and not URL-encoded JSON either.
    #[error("the policy document is not valid JSON: {source}")]
    InvalidJson {
        #[source]
        source: serde_json::Error,
    },
    /// The text looks URL-encoded but has a `%` not followed by two hexadecimal digits.
    #[error("the URL-encoded policy document has an invalid %-escape at byte {offset}")]
    InvalidEscape {
        /// Byte offset of the `%` in the (trimmed) text.
        offset: usize,
    },
    /// The text, once URL-decoded, is not UTF-8.
    #[error("the URL-decoded policy document is not valid UTF-8: {source}")]
    DecodedNotUtf8 {
        #[source]
        source: std::string::FromUtf8Error,
    },
    /// The text, once URL-decoded, is not JSON.
    #[error("the URL-decoded policy document is not valid JSON: {source}")]
    DecodedInvalidJson {
        #[source]
        source: serde_json::Error,
    },
    /// The text is JSON, but not a JSON object (a policy document always is one).
    #[error("a policy document must be a JSON object, but this one is {found}")]
    NotAnObject {
        /// What was found instead, e.g. `"an array"`.
        found: &'static str,
    },
}

/// Parses a policy document as AWS returns it: plain JSON, or URL-encoded JSON (IAM returns
/// `AssumeRolePolicyDocument` and `GetRolePolicy` documents percent-encoded).
///
/// Plain JSON is tried first, so a plain document whose strings contain `%` is never decoded.
/// URL-decoding is RFC 3986 (`%XX` only, `+` stays `+`); only if that does not give JSON is
/// `+` read as a space (form encoding), as a fallback.
pub fn parse_document(text: &str) -> Result<Value, PolicyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PolicyError::Empty);
    }
    let value = match serde_json::from_str::<Value>(text) {
        Ok(value) => value,
        Err(plain_error) => {
            if !text.contains('%') {
                return Err(PolicyError::InvalidJson {
                    source: plain_error,
                });
            }
            match parse_url_encoded(text) {
                Ok(value) => value,
                // Something that does not even start like URL-encoded text is more likely
                // broken JSON: report the JSON error, which is the more useful one.
                Err(_) if !text.starts_with('%') => {
                    return Err(PolicyError::InvalidJson {
                        source: plain_error,
                    })
                }
                Err(decode_error) => return Err(decode_error),
            }
        }
    };
    if value.is_object() {
        Ok(value)
    } else {
        Err(PolicyError::NotAnObject {
            found: kind_of(&value),
        })
    }
}

fn parse_url_encoded(text: &str) -> Result<Value, PolicyError> {
    let decoded = percent_decode(text, false)?;
    match serde_json::from_str::<Value>(decoded.trim()) {
        Ok(value) => Ok(value),
        Err(source) => {
            if text.contains('+') {
                if let Ok(form) = percent_decode(text, true) {
                    if let Ok(value) = serde_json::from_str::<Value>(form.trim()) {
                        return Ok(value);
                    }
                }
            }
            Err(PolicyError::DecodedInvalidJson { source })
        }
    }
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_as_space`); strict about bad escapes.
fn percent_decode(text: &str, plus_as_space: bool) -> Result<String, PolicyError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let high = bytes.get(i + 1).and_then(|b| hex_value(*b));
                let low = bytes.get(i + 2).and_then(|b| hex_value(*b));
                match (high, low) {
                    (Some(high), Some(low)) => out.push((high << 4) | low),
                    _ => return Err(PolicyError::InvalidEscape { offset: i }),
                }
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|source| PolicyError::DecodedNotUtf8 { source })
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A trust policy exactly as `iam:GetRole` returns it (RFC 3986 encoding, as AWS and moto do).
    const ENCODED_TRUST: &str = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22bedrock.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Condition%22%3A%7B%22StringEquals%22%3A%7B%22aws%3ASourceAccount%22%3A%22123456789012%22%7D%2C%22ArnLike%22%3A%7B%22aws%3ASourceArn%22%3A%22arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3A%2A%22%7D%7D%7D%5D%7D";

    fn trust() -> Value {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:us-east-1:123456789012:*"}
            }
        }]})
    }

    #[test]
    fn parses_plain_json() {
        let text = serde_json::to_string_pretty(&trust()).unwrap();
        assert_eq!(parse_document(&text).unwrap(), trust());
    }

    #[test]
    fn parses_url_encoded_json_from_iam() {
        assert_eq!(parse_document(ENCODED_TRUST).unwrap(), trust());
    }

    #[test]
    fn parses_url_encoded_pretty_json_with_encoded_whitespace() {
        let text = "%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22%2C%0A%20%20%22Statement%22%3A%20%5B%5D%0A%7D";
        assert_eq!(
            parse_document(text).unwrap(),
            json!({"Version": "2012-10-17", "Statement": []})
        );
    }

    #[test]
    fn plus_stays_plus_in_rfc3986_encoding() {
        // `+` in a resource name, as `urllib.parse.quote` leaves it when told it is safe.
        let text = "%7B%22Statement%22%3A%5B%7B%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aa+b%2F%2A%22%7D%5D%7D";
        assert_eq!(
            parse_document(text).unwrap(),
            json!({"Statement": [{"Resource": "arn:aws:s3:::a+b/*"}]})
        );
    }

    #[test]
    fn form_encoded_spaces_are_accepted_as_a_fallback() {
        let text = "%7B+%22Version%22%3A+%222012-10-17%22%2C+%22Statement%22%3A+%5B%5D+%7D";
        assert_eq!(
            parse_document(text).unwrap(),
            json!({"Version": "2012-10-17", "Statement": []})
        );
    }

    #[test]
    fn plain_json_with_percent_in_strings_is_not_decoded() {
        let text = r#"{"Statement":[{"Resource":"arn:aws:s3:::bucket/a%20b"}]}"#;
        assert_eq!(
            parse_document(text).unwrap(),
            json!({"Statement": [{"Resource": "arn:aws:s3:::bucket/a%20b"}]})
        );
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(
            parse_document(&format!("\n  {ENCODED_TRUST}\n")).unwrap(),
            trust()
        );
    }

    #[test]
    fn empty_text_is_an_error() {
        assert!(matches!(parse_document("  \n"), Err(PolicyError::Empty)));
    }

    #[test]
    fn broken_json_reports_the_json_error() {
        let err = parse_document(r#"{"Version": "2012-10-17", "Statement": [}"#).unwrap_err();
        assert!(matches!(err, PolicyError::InvalidJson { .. }), "{err:?}");
        // Even with a `%` in it, text that starts like JSON gets the JSON error.
        let err = parse_document(r#"{"Resource": "a%20b""#).unwrap_err();
        assert!(matches!(err, PolicyError::InvalidJson { .. }), "{err:?}");
    }

    #[test]
    fn bad_escape_is_reported_with_its_offset() {
        let err = parse_document("%7B%22Version%2G").unwrap_err();
        assert!(
            matches!(err, PolicyError::InvalidEscape { offset: 13 }),
            "{err:?}"
        );
        let err = parse_document("%7B%2").unwrap_err();
        assert!(
            matches!(err, PolicyError::InvalidEscape { offset: 3 }),
            "{err:?}"
        );
        // `u8::from_str_radix` would accept "+1": the decoder must not.
        let err = parse_document("%7B%+1").unwrap_err();
        assert!(
            matches!(err, PolicyError::InvalidEscape { offset: 3 }),
            "{err:?}"
        );
    }

    #[test]
    fn decoded_text_that_is_not_utf8_or_json_is_an_error() {
        let err = parse_document("%7B%FF%7D").unwrap_err();
        assert!(matches!(err, PolicyError::DecodedNotUtf8 { .. }), "{err:?}");
        let err = parse_document("%7B%22Version%22").unwrap_err();
        assert!(
            matches!(err, PolicyError::DecodedInvalidJson { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("URL-decoded"));
    }

    #[test]
    fn non_object_documents_are_rejected() {
        let err = parse_document(r#"[{"Effect": "Allow"}]"#).unwrap_err();
        assert!(
            matches!(err, PolicyError::NotAnObject { found: "an array" }),
            "{err:?}"
        );
        let err = parse_document("%22text%22").unwrap_err();
        assert!(
            matches!(err, PolicyError::NotAnObject { found: "a string" }),
            "{err:?}"
        );
    }
}
