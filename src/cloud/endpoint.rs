//! Names the endpoint in connection failures and timeouts ("could not reach
//! https://logs.eu-west-1.amazonaws.com: connection refused"): the SDK's own message says only
//! that a connection failed, which leaves a user guessing between a wrong `AWS_ENDPOINT_URL`, a
//! proxy and an outage.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

use super::error::source_chain;

/// The scheme, host and port the last attempt was sent to.
#[derive(Debug, Clone)]
struct AttemptEndpoint(String);

impl Storable for AttemptEndpoint {
    type Storer = StoreReplace<Self>;
}

/// A failure to reach `endpoint`, with the SDK's account of it (flattened to text: the
/// original error cannot be moved out of the context).
#[derive(Debug, thiserror::Error)]
#[error("{endpoint}: {cause}")]
pub struct EndpointFailure {
    pub endpoint: String,
    cause: String,
}

/// The interceptor: remembers where each attempt goes, and puts it in front of a final
/// connection error or timeout.
#[derive(Debug, Clone, Default)]
pub struct NameEndpoint;

/// `https://host:port` of a request URI (no path or query: those can hold names, not secrets,
/// but add nothing to "where").
fn endpoint_of(uri: &str) -> String {
    match uri.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?']).next().unwrap_or(rest);
            format!("{scheme}://{authority}")
        }
        None => uri.to_string(),
    }
}

/// The same kind of connector error, with the endpoint named.
fn rewrap(error: &ConnectorError, endpoint: &str) -> ConnectorError {
    // The connector error's own text is its kind ("io error"), which the new one repeats.
    let cause = std::error::Error::source(error)
        .map(source_chain)
        .unwrap_or_else(|| error.to_string());
    let named: BoxError = Box::new(EndpointFailure {
        endpoint: endpoint.to_string(),
        cause,
    });
    if error.is_timeout() {
        ConnectorError::timeout(named)
    } else if error.is_io() {
        ConnectorError::io(named)
    } else if error.is_user() {
        ConnectorError::user(named)
    } else {
        ConnectorError::other(named, error.as_other())
    }
}

impl Intercept for NameEndpoint {
    fn name(&self) -> &'static str {
        "WardenNameEndpoint"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let endpoint = endpoint_of(context.request().uri());
        cfg.interceptor_state().store_put(AttemptEndpoint(endpoint));
        Ok(())
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(AttemptEndpoint(endpoint)) = cfg.load::<AttemptEndpoint>().cloned() else {
            return Ok(());
        };
        let Some(Err(error)) = context.output_or_error_mut() else {
            return Ok(());
        };
        if let Some(connector) = error.as_connector_error() {
            *error = OrchestratorError::connector(rewrap(connector, &endpoint));
        } else if error.is_timeout_error() {
            let named = EndpointFailure {
                endpoint,
                cause: source_chain(&*error),
            };
            *error = OrchestratorError::timeout(Box::new(named));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_scheme_host_and_port_only() {
        assert_eq!(
            endpoint_of("https://logs.eu-west-1.amazonaws.com/?Action=X"),
            "https://logs.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoint_of("http://127.0.0.1:4566/bucket/key"),
            "http://127.0.0.1:4566"
        );
    }

    #[test]
    fn a_rewrapped_error_keeps_its_kind_and_names_the_endpoint() {
        let io = ConnectorError::io("connection refused".into());
        let named = rewrap(&io, "http://127.0.0.1:9");
        assert!(named.is_io());
        assert_eq!(
            source_chain(&named),
            "io error: http://127.0.0.1:9: connection refused"
        );
        let timeout = rewrap(&ConnectorError::timeout("slow".into()), "https://x");
        assert!(timeout.is_timeout());
    }

    /// A real client against a closed port: the classified error names where it tried.
    #[tokio::test]
    async fn a_refused_connection_names_the_endpoint() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let conf = aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatchlogs::config::Region::new("eu-west-1"))
            .credentials_provider(aws_credential_types::Credentials::for_tests())
            .endpoint_url(&endpoint)
            .retry_config(aws_sdk_cloudwatchlogs::config::retry::RetryConfig::disabled())
            .interceptor(NameEndpoint)
            .build();
        let error = aws_sdk_cloudwatchlogs::Client::from_conf(conf)
            .describe_log_groups()
            .send()
            .await
            .expect_err("nothing listens there");
        let classified = crate::cloud::classify("logs:DescribeLogGroups", error);
        assert!(
            matches!(classified, crate::cloud::CloudError::Network { .. }),
            "{classified:?}"
        );
        let text = classified.to_string();
        assert!(text.contains(&endpoint), "{text}");
        assert!(text.contains("Connection refused"), "{text}");
    }
}
