//! EventBridge connections (the Dynatrace API key): ownership and the token's keyed fingerprint kept in the Description, since connections have no tags and AWS never returns the token.
//!
//! Properties: `managed_by` (the project, from the Description's `warden:managed-by=` mark),
//! `authorization_type` (`API_KEY`), `api_key_name` (`Authorization`), `api_token` (never the
//! token: `(from ${env:NAME})` in the spec, `(changed)` when the live fingerprint differs,
//! `(not checked: …)` when the variable is unset at plan time), `token_fingerprint` (the HMAC
//! of [`crate::events::secret::fingerprint`]) and `token_env` (the variable's name, which apply
//! reads again). Create and update wait until the connection is `AUTHORIZED` or `DEAUTHORIZED`.
//! A connection AWS reports `DEAUTHORIZED` or `FAILED` (the endpoint refused the key) reads
//! `(refused by Dynatrace: …)`: drift, repaired by UpdateConnection with the token.

use std::time::Duration;

use aws_sdk_eventbridge::types::{ConnectionAuthorizationType, ConnectionState};
use aws_sdk_eventbridge::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::events::dynatrace;
use crate::events::secret::{fingerprint, Secret, REDACTED};
use crate::model::{Kind, LiveResource, OWNER_TAG};

pub type Scope<'a> = super::Scope<'a, Client>;

/// What `api_token` reads when the live fingerprint differs from the spec's token.
pub const CHANGED: &str = "(changed)";
/// What `api_token` reads when the connection carries no fingerprint warden wrote.
pub const UNKNOWN: &str = "(unknown: not set by warden)";
/// The prefix of `api_token` when the variable was unset at plan time.
pub const NOT_CHECKED: &str = "(not checked:";
/// The prefix of `api_token` when AWS reports the connection `DEAUTHORIZED` or `FAILED`: the
/// endpoint refused the key.
pub const REFUSED: &str = "(refused by Dynatrace:";
/// The end of that value when the spec's token is the one that was refused.
const SAME_TOKEN: &str = "; the same token)";

/// Connection states that mean the key no longer works.
fn refused_state(live: &Value) -> Option<&str> {
    live["state"]
        .as_str()
        .filter(|s| matches!(*s, "DEAUTHORIZED" | "FAILED"))
}

/// How long a connection may take to leave `CREATING`/`UPDATING`/`AUTHORIZING`.
const AUTHORIZE_WAIT: Duration = Duration::from_secs(120);

/// EventBridge connections: marked (no tags), regional.
pub struct EventConnectionKind;

/// `api_token` as the spec shows it: where the token comes from, never what it is.
pub fn token_source(variable: &str) -> String {
    format!("(from ${{env:{variable}}})")
}

/// `api_token` when the variable is not set at plan time.
pub fn token_not_checked(variable: &str) -> String {
    format!("{NOT_CHECKED} {variable} is not set; apply refuses until it is)")
}

/// The fingerprint of `token` for this connection: keyed by project, account and name.
pub fn token_fingerprint(token: &Secret, project: &str, account: &str, name: &str) -> String {
    fingerprint(token, &[project, account, name])
}

/// The Description warden writes: the ownership mark and the token's fingerprint.
fn description(project: &str, fingerprint: Option<&str>) -> String {
    match fingerprint {
        Some(fp) => format!("{OWNER_TAG}={project}; token-fingerprint={fp}"),
        None => format!("{OWNER_TAG}={project}"),
    }
}

/// The `key=value` marks of a Description written by [`description`].
fn mark<'a>(description: &'a str, key: &str) -> Option<&'a str> {
    description
        .split(';')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Replaces the token (and the header value) wherever an error message quotes it: AWS may
/// echo a request back in an error.
fn scrub(error: CloudError, token: &Secret) -> CloudError {
    let clean = |text: String| {
        if token.is_empty() {
            text
        } else {
            text.replace(token.expose(), REDACTED)
        }
    };
    match error {
        CloudError::NotFound { operation, message } => CloudError::NotFound {
            operation,
            message: clean(message),
        },
        CloudError::AlreadyExists { operation, message } => CloudError::AlreadyExists {
            operation,
            message: clean(message),
        },
        CloudError::AccessDenied { operation, message } => CloudError::AccessDenied {
            operation,
            message: clean(message),
        },
        CloudError::Throttled { operation, message } => CloudError::Throttled {
            operation,
            message: clean(message),
        },
        CloudError::Service {
            operation,
            code,
            message,
        } => CloudError::Service {
            operation,
            code,
            message: clean(message),
        },
        CloudError::Network { operation, message } => CloudError::Network {
            operation,
            message: clean(message),
        },
        CloudError::Unexpected { operation, message } => CloudError::Unexpected {
            operation,
            message: clean(message),
        },
        other => other,
    }
}

/// The token for `after`, read from its variable now, checked against the fingerprint the
/// plan was made with (a token changed between plan and apply is refused, not sent).
fn token_for(scope: &Scope<'_>, name: &str, after: &Value) -> Result<Secret, CloudError> {
    let operation = "events:CreateConnection";
    let variable = after["token_env"].as_str().unwrap_or_default();
    let Some(value) = std::env::var(variable).ok().filter(|v| !v.is_empty()) else {
        return Err(CloudError::unexpected(
            operation,
            format!("the Dynatrace token variable `{variable}` is not set: export it and run apply again"),
        ));
    };
    let token = Secret::new(value);
    let project = after["managed_by"].as_str().unwrap_or_default();
    let fp = token_fingerprint(&token, project, scope.account_id, name);
    if after["token_fingerprint"].as_str() != Some(fp.as_str()) {
        return Err(CloudError::unexpected(
            operation,
            format!(
                "the token in `{variable}` is not the one the plan was made with: make a new plan"
            ),
        ));
    }
    Ok(token)
}

async fn wait_until_settled(scope: &Scope<'_>, name: &str) -> Result<(), CloudError> {
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        let out = scope
            .client
            .describe_connection()
            .name(name)
            .send()
            .await
            .map_err(|e| classify("events:DescribeConnection", e))?;
        match out.connection_state() {
            Some(ConnectionState::Authorized) | Some(ConnectionState::Deauthorized) => {
                return Ok(())
            }
            state if started.elapsed() + delay > AUTHORIZE_WAIT => {
                return Err(CloudError::unexpected(
                    "events:DescribeConnection",
                    format!(
                        "connection `{name}` is still {} after {}s",
                        state.map_or("in no state", |s| s.as_str()),
                        AUTHORIZE_WAIT.as_secs()
                    ),
                ))
            }
            _ => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// One connection as a live resource, or None when it does not exist.
async fn read_one(scope: &Scope<'_>, name: &str) -> Result<Option<LiveResource>, CloudError> {
    let out = match scope.client.describe_connection().name(name).send().await {
        Ok(out) => out,
        Err(e) => match classify("events:DescribeConnection", e) {
            e if e.is_not_found() => return Ok(None),
            e => return Err(e),
        },
    };
    let desc = out.description().unwrap_or_default();
    let owner = mark(desc, OWNER_TAG).map(str::to_string);
    let key_name = out
        .auth_parameters()
        .and_then(|p| p.api_key_auth_parameters())
        .and_then(|k| k.api_key_name());
    Ok(Some(LiveResource {
        addr: scope.addr(Kind::EventConnection, name),
        owner: owner.clone(),
        props: json!({
            "managed_by": owner,
            "authorization_type": out.authorization_type().map(|t| t.as_str()),
            "api_key_name": key_name,
            "api_token": null,
            "token_fingerprint": mark(desc, "token-fingerprint"),
            "token_env": null,
            "state": out.connection_state().map(|s| s.as_str()),
        }),
    }))
}

/// The names of every connection of the scope.
async fn list_names(scope: &Scope<'_>) -> Result<Vec<String>, CloudError> {
    super::all_pages(|token| async move {
        let out = scope
            .client
            .list_connections()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("events:ListConnections", e))?;
        let names = out
            .connections()
            .iter()
            .filter_map(|c| c.name().map(str::to_string))
            .collect();
        Ok((names, out.next_token().map(str::to_string)))
    })
    .await
}

/// The API destinations that use the connection `arn` (by name).
async fn destinations_using(scope: &Scope<'_>, arn: &str) -> Result<Vec<String>, CloudError> {
    super::all_pages(|token| async move {
        let out = scope
            .client
            .list_api_destinations()
            .connection_arn(arn)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("events:ListApiDestinations", e))?;
        let names = out
            .api_destinations()
            .iter()
            .filter(|d| d.connection_arn() == Some(arn))
            .filter_map(|d| d.name().map(str::to_string))
            .collect();
        Ok((names, out.next_token().map(str::to_string)))
    })
    .await
}

impl ResourceKind for EventConnectionKind {
    const KIND: Kind = Kind::EventConnection;
    const NAME: &'static str = "event_connection";
    const RANK: u8 = 1;
    const CONTROL: &'static str = "event forwarding";
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Marked;
    const DISCOVERS: bool = true;
    const NOTES_MANAGED: bool = true;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.events(region)
    }

    /// One DescribeConnection per named connection; the key's value is never read (AWS does
    /// not return it). With `discover_owner` (prune), also ListConnections and a
    /// DescribeConnection of each connection the spec does not name (the ownership mark is in
    /// the Description, which the list does not give): those that project marked are read too.
    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        super::read_marked(
            scope,
            wanted,
            discover_owner,
            |scope, name| async move { read_one(scope, &name).await },
            list_names,
        )
        .await
    }

    /// The token is compared by fingerprint only: the same fingerprint shows the spec's
    /// `api_token`, another one `(changed)`; a plan made without the variable checks nothing.
    fn comparable(desired: &Value, live: &Value) -> Value {
        let mut view = json!({
            "managed_by": live["managed_by"],
            "authorization_type": live["authorization_type"],
            "api_key_name": live["api_key_name"],
            "token_env": desired["token_env"],
            "token_fingerprint": desired["token_fingerprint"],
        });
        let want = desired["token_fingerprint"].as_str();
        let have = live["token_fingerprint"].as_str();
        if let Some(state) = refused_state(live) {
            let same = want.is_some() && want == have;
            view["api_token"] = json!(format!(
                "{REFUSED} {state}{}",
                if same { SAME_TOKEN } else { ")" }
            ));
            return view;
        }
        view["api_token"] = match (want, have) {
            (None, _) => desired["api_token"].clone(),
            (Some(w), Some(h)) if w == h => desired["api_token"].clone(),
            (Some(_), Some(_)) => json!(CHANGED),
            (Some(_), None) => json!(UNKNOWN),
        };
        view
    }

    /// Says, without any AWS call, which connections' tokens this plan could not check.
    async fn managed_note(
        _scope: &Scope<'_>,
        wanted: &[Named],
    ) -> Result<Option<String>, CloudError> {
        let unchecked: Vec<String> = wanted
            .iter()
            .filter(|n| n.props["token_fingerprint"].is_null())
            .map(|n| {
                format!(
                    "connection {}: the Dynatrace token could not be checked (`{}` is not set); apply refuses until it is set",
                    n.name,
                    n.props["token_env"].as_str().unwrap_or_default()
                )
            })
            .collect();
        Ok((!unchecked.is_empty()).then(|| unchecked.join("; ")))
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        let variable = after["token_env"].as_str().unwrap_or_default();
        if let Some(value) = before["api_token"]
            .as_str()
            .filter(|v| v.starts_with(REFUSED))
        {
            let state = value[REFUSED.len()..]
                .trim_end_matches(SAME_TOKEN)
                .trim_end_matches(')')
                .trim();
            let next = if value.ends_with(SAME_TOKEN) {
                format!("`{variable}` still holds that token: put a new one (scope bizevents.ingest) in it, then apply sets it with UpdateConnection")
            } else {
                format!("apply sets the token in `{variable}` with UpdateConnection")
            };
            return Some(format!(
                "the Dynatrace token was refused (the connection is {state}): rotate it; {next}"
            ));
        }
        match before["api_token"].as_str() {
            Some(CHANGED) => Some(format!(
                "the token in `{}` is not the one set at the last apply: apply rotates it (UpdateConnection)",
                after["token_env"].as_str().unwrap_or_default()
            )),
            Some(UNKNOWN) => Some("the connection carries no token fingerprint from warden: apply sets the spec's token".into()),
            _ => None,
        }
    }

    async fn create(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
        let token = token_for(scope, name, after)?;
        let auth = dynatrace::connection_auth(&token)
            .map_err(|e| CloudError::unexpected("events:CreateConnection", e.to_string()))?;
        let project = after["managed_by"].as_str().unwrap_or_default();
        scope
            .client
            .create_connection()
            .name(name)
            .description(description(project, after["token_fingerprint"].as_str()))
            .authorization_type(ConnectionAuthorizationType::ApiKey)
            .auth_parameters(auth.create_parameters())
            .send()
            .await
            .map_err(|e| scrub(classify("events:CreateConnection", e), &token))?;
        wait_until_settled(scope, name).await
    }

    /// UpdateConnection: the ownership mark, the fingerprint and the key (the rotation) in one
    /// call.
    async fn update(
        scope: &Scope<'_>,
        name: &str,
        _before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        let token = token_for(scope, name, after)?;
        let auth = dynatrace::connection_auth(&token)
            .map_err(|e| CloudError::unexpected("events:UpdateConnection", e.to_string()))?;
        let project = after["managed_by"].as_str().unwrap_or_default();
        scope
            .client
            .update_connection()
            .name(name)
            .description(description(project, after["token_fingerprint"].as_str()))
            .authorization_type(ConnectionAuthorizationType::ApiKey)
            .auth_parameters(auth.update_parameters())
            .send()
            .await
            .map_err(|e| scrub(classify("events:UpdateConnection", e), &token))?;
        wait_until_settled(scope, name).await
    }

    /// Not while an API destination (warden's are deleted first) still uses it.
    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        let arn = match scope.client.describe_connection().name(name).send().await {
            Ok(out) => out.connection_arn().unwrap_or_default().to_string(),
            Err(e) => match classify("events:DescribeConnection", e) {
                e if e.is_not_found() => return Ok(()),
                e => return Err(e),
            },
        };
        let users = destinations_using(scope, &arn).await?;
        if !users.is_empty() {
            return Err(CloudError::unexpected(
                "events:DeleteConnection",
                format!(
                    "connection {name} is still used by API destination(s) {}: not deleted",
                    users.join(", ")
                ),
            ));
        }
        match scope.client.delete_connection().name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) => match classify("events:DeleteConnection", e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }
}

/// The variables of connections whose token could not be checked at plan time (unset): apply
/// refuses to run with them.
pub fn unchecked_tokens(resources: &[crate::model::DesiredResource]) -> Vec<String> {
    let mut names: Vec<String> = resources
        .iter()
        .filter(|r| r.addr.kind == Kind::EventConnection)
        .filter(|r| r.props["token_fingerprint"].is_null())
        .filter_map(|r| r.props["token_env"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "dt0c01.CANARYCONNECTION0000000.secret";

    fn desired(fp: Option<&str>) -> Value {
        json!({
            "managed_by": "p",
            "authorization_type": "API_KEY",
            "api_key_name": "Authorization",
            "api_token": match fp { Some(_) => token_source("DT_TOKEN"), None => token_not_checked("DT_TOKEN") },
            "token_fingerprint": fp,
            "token_env": "DT_TOKEN",
        })
    }

    fn live(fp: Option<&str>) -> Value {
        json!({"managed_by": "p", "authorization_type": "API_KEY", "api_key_name": "Authorization",
               "api_token": null, "token_fingerprint": fp, "token_env": null, "state": "AUTHORIZED"})
    }

    #[test]
    fn the_same_fingerprint_is_no_change_and_another_reads_changed() {
        let want = desired(Some("aaaa"));
        assert_eq!(
            EventConnectionKind::comparable(&want, &live(Some("aaaa"))),
            want
        );
        let view = EventConnectionKind::comparable(&want, &live(Some("bbbb")));
        let fields = crate::plan::diff::field_changes(&view, &want);
        assert_eq!(fields.len(), 1, "{fields:?}");
        assert_eq!(fields[0].path, "api_token");
        assert_eq!(fields[0].before, json!("(changed)"));
        assert!(EventConnectionKind::explain(&view, &want)
            .unwrap()
            .contains("rotates"));
        // a plan made without the variable cannot tell, and says so in its value
        let unchecked = desired(None);
        assert_eq!(
            EventConnectionKind::comparable(&unchecked, &live(Some("bbbb"))),
            unchecked
        );
    }

    #[test]
    fn a_deauthorized_or_failed_connection_is_drift_in_words() {
        let want = desired(Some("aaaa"));
        for state in ["DEAUTHORIZED", "FAILED"] {
            let mut refused = live(Some("aaaa"));
            refused["state"] = json!(state);
            let view = EventConnectionKind::comparable(&want, &refused);
            let fields = crate::plan::diff::field_changes(&view, &want);
            assert_eq!(fields.len(), 1, "{fields:?}");
            assert_eq!(fields[0].path, "api_token");
            let words = EventConnectionKind::explain(&view, &want).unwrap();
            assert!(
                words.starts_with(&format!(
                    "the Dynatrace token was refused (the connection is {state}): rotate it"
                )),
                "{words}"
            );
            assert!(
                words.contains("`DT_TOKEN` still holds that token"),
                "{words}"
            );
        }
        // a new token in the variable: apply sets it
        let mut refused = live(Some("bbbb"));
        refused["state"] = json!("DEAUTHORIZED");
        let view = EventConnectionKind::comparable(&want, &refused);
        let words = EventConnectionKind::explain(&view, &want).unwrap();
        assert!(
            words.ends_with("apply sets the token in `DT_TOKEN` with UpdateConnection"),
            "{words}"
        );
        // a plan without the variable still says the connection is refused
        let view = EventConnectionKind::comparable(&desired(None), &refused);
        assert!(view["api_token"].as_str().unwrap().starts_with(REFUSED));
    }

    #[test]
    fn descriptions_carry_the_owner_and_the_fingerprint() {
        let d = description("proj", Some("0123abcd"));
        assert_eq!(mark(&d, OWNER_TAG), Some("proj"));
        assert_eq!(mark(&d, "token-fingerprint"), Some("0123abcd"));
        assert_eq!(mark("made by hand", OWNER_TAG), None);
        assert!(d.len() <= 512);
    }

    #[test]
    fn errors_that_echo_the_token_are_scrubbed() {
        let token = Secret::new(CANARY);
        let e = CloudError::Service {
            operation: "events:UpdateConnection".into(),
            code: "ValidationException".into(),
            message: format!("Value 'Api-Token {CANARY}' at 'authParameters' failed"),
        };
        let text = scrub(e, &token).to_string();
        assert!(!text.contains("CANARY"), "{text}");
        assert!(text.contains(REDACTED), "{text}");
    }
}
