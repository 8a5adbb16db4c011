//! EventBridge API destinations (the Dynatrace business-events endpoint): endpoint, method, rate and connection, ownership marked in the Description (no tags).
//!
//! Properties: `managed_by`, `connection` (the connection's name; its ARN carries a generated
//! suffix, so the name is what the spec knows), `endpoint`, `http_method`,
//! `rate_limit_per_second` (`null`: AWS's default of 300).

use aws_sdk_eventbridge::types::ApiDestinationHttpMethod;
use aws_sdk_eventbridge::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource, OWNER_TAG};

pub type Scope<'a> = super::Scope<'a, Client>;

/// AWS's rate when none is given.
const DEFAULT_RATE: i64 = 300;

/// API destinations: marked (no tags), regional, after their connection.
pub struct EventApiDestinationKind;

/// The name in a connection ARN (`…:connection/<name>/<uuid>`).
fn connection_name(arn: &str) -> Option<&str> {
    arn.split_once(":connection/")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
}

/// The name in an API destination ARN (`…:api-destination/<name>/<uuid>`).
pub fn destination_name(arn: &str) -> Option<&str> {
    arn.split_once(":api-destination/")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
}

fn owner_of(description: &str) -> Option<String> {
    description
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == OWNER_TAG)
        .map(|(_, v)| v.trim().to_string())
}

/// The ARN of the API destination `name` (what targets and role policies need), or not found.
pub async fn arn_of(client: &Client, name: &str) -> Result<String, CloudError> {
    let out = client
        .describe_api_destination()
        .name(name)
        .send()
        .await
        .map_err(|e| classify("events:DescribeApiDestination", e))?;
    out.api_destination_arn()
        .map(str::to_string)
        .ok_or_else(|| CloudError::unexpected("events:DescribeApiDestination", "no ARN"))
}

async fn connection_arn(scope: &Scope<'_>, name: &str) -> Result<String, CloudError> {
    let out = scope
        .client
        .describe_connection()
        .name(name)
        .send()
        .await
        .map_err(|e| classify("events:DescribeConnection", e))?;
    out.connection_arn()
        .map(str::to_string)
        .ok_or_else(|| CloudError::unexpected("events:DescribeConnection", "no ARN"))
}

fn rate(after: &Value) -> Option<i32> {
    after["rate_limit_per_second"]
        .as_i64()
        .and_then(|r| i32::try_from(r).ok())
}

/// One API destination as a live resource, or None when it does not exist.
async fn read_one(scope: &Scope<'_>, name: &str) -> Result<Option<LiveResource>, CloudError> {
    let out = match scope
        .client
        .describe_api_destination()
        .name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => match classify("events:DescribeApiDestination", e) {
            e if e.is_not_found() => return Ok(None),
            e => return Err(e),
        },
    };
    let owner = owner_of(out.description().unwrap_or_default());
    Ok(Some(LiveResource {
        addr: scope.addr(Kind::EventApiDestination, name),
        owner: owner.clone(),
        props: json!({
            "managed_by": owner,
            "connection": out.connection_arn().and_then(connection_name),
            "endpoint": out.invocation_endpoint(),
            "http_method": out.http_method().map(|m| m.as_str()),
            "rate_limit_per_second": out.invocation_rate_limit_per_second(),
        }),
    }))
}

/// The names of every API destination of the scope.
async fn list_names(scope: &Scope<'_>) -> Result<Vec<String>, CloudError> {
    super::all_pages(|token| async move {
        let out = scope
            .client
            .list_api_destinations()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("events:ListApiDestinations", e))?;
        let names = out
            .api_destinations()
            .iter()
            .filter_map(|d| d.name().map(str::to_string))
            .collect();
        Ok((names, out.next_token().map(str::to_string)))
    })
    .await
}

impl ResourceKind for EventApiDestinationKind {
    const KIND: Kind = Kind::EventApiDestination;
    const NAME: &'static str = "event_api_destination";
    const RANK: u8 = 2;
    const CONTROL: &'static str = "event forwarding";
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Marked;
    const DISCOVERS: bool = true;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.events(region)
    }

    /// One DescribeApiDestination per named destination. With `discover_owner` (prune), also
    /// ListApiDestinations and a DescribeApiDestination of each one the spec does not name (the
    /// mark is in the Description, which the list does not give): that project's are read too.
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

    /// AWS's default rate reads as "no rate given" when the spec gives none.
    fn comparable(desired: &Value, live: &Value) -> Value {
        let mut view = live.clone();
        if desired["rate_limit_per_second"].is_null()
            && view["rate_limit_per_second"].as_i64() == Some(DEFAULT_RATE)
        {
            view["rate_limit_per_second"] = Value::Null;
        }
        view
    }

    fn explain(before: &Value, after: &Value) -> Option<String> {
        let mut lines = Vec::new();
        if before["endpoint"] != after["endpoint"] {
            lines.push(format!(
                "events now go to {} instead of {}",
                before["endpoint"].as_str().unwrap_or("(none)"),
                after["endpoint"].as_str().unwrap_or("(none)")
            ));
        }
        if before["connection"] != after["connection"] {
            lines.push(format!(
                "the destination authenticates with connection {} instead of {}",
                before["connection"].as_str().unwrap_or("(none)"),
                after["connection"].as_str().unwrap_or("(none)")
            ));
        }
        (!lines.is_empty()).then(|| lines.join("; "))
    }

    async fn create(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
        let connection =
            connection_arn(scope, after["connection"].as_str().unwrap_or_default()).await?;
        scope
            .client
            .create_api_destination()
            .name(name)
            .description(format!(
                "{OWNER_TAG}={}",
                after["managed_by"].as_str().unwrap_or_default()
            ))
            .connection_arn(connection)
            .invocation_endpoint(after["endpoint"].as_str().unwrap_or_default())
            .http_method(ApiDestinationHttpMethod::from(
                after["http_method"].as_str().unwrap_or("POST"),
            ))
            .set_invocation_rate_limit_per_second(rate(after))
            .send()
            .await
            .map_err(|e| classify("events:CreateApiDestination", e))?;
        Ok(())
    }

    async fn update(
        scope: &Scope<'_>,
        name: &str,
        _before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        let connection =
            connection_arn(scope, after["connection"].as_str().unwrap_or_default()).await?;
        scope
            .client
            .update_api_destination()
            .name(name)
            .description(format!(
                "{OWNER_TAG}={}",
                after["managed_by"].as_str().unwrap_or_default()
            ))
            .connection_arn(connection)
            .invocation_endpoint(after["endpoint"].as_str().unwrap_or_default())
            .http_method(ApiDestinationHttpMethod::from(
                after["http_method"].as_str().unwrap_or("POST"),
            ))
            .invocation_rate_limit_per_second(rate(after).unwrap_or(DEFAULT_RATE as i32))
            .send()
            .await
            .map_err(|e| classify("events:UpdateApiDestination", e))?;
        Ok(())
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        match scope
            .client
            .delete_api_destination()
            .name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match classify("events:DeleteApiDestination", e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_of_arns_and_the_default_rate_is_no_rate() {
        assert_eq!(
            connection_name("arn:aws:events:us-east-1:1:connection/warden-dynatrace/0b5c-1"),
            Some("warden-dynatrace")
        );
        assert_eq!(
            destination_name("arn:aws:events:us-east-1:1:api-destination/d/0b5c"),
            Some("d")
        );
        let desired = json!({"rate_limit_per_second": null, "endpoint": "https://x/api"});
        let live = json!({"rate_limit_per_second": 300, "endpoint": "https://y/api"});
        let view = EventApiDestinationKind::comparable(&desired, &live);
        assert_eq!(view["rate_limit_per_second"], Value::Null);
        assert!(EventApiDestinationKind::explain(&view, &desired)
            .unwrap()
            .contains("events now go to https://y/api instead of https://x/api"));
    }
}
