//! Pacing: every request waits for its slot in a token bucket per account, region and
//! operation, set below AWS's quota for that operation, so a large account finishes at the
//! quota's rate instead of in a storm of throttled retries, and without slowing the others.
//!
//! The quotas are data (`quotas.txt`), raised per operation by `defaults.quotas` in the spec.
//! An interceptor reserves the slot right before each attempt is sent (retries too) and puts
//! the wait on the request; the HTTP client wrapper sleeps it before handing the request on.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;
use tokio::time::Instant;

use super::counter::iam_prefix;

/// The documented quotas, one `service:Operation requests-per-second` per line.
const QUOTAS: &str = include_str!("quotas.txt");

/// Share of the quota warden uses: below it, so a call that arrives a little early (network
/// jitter) or another tool's call in the same account does not tip it over.
const SHARE: f64 = 0.9;

/// Requests per second by `service:Operation`.
pub fn documented_quotas() -> HashMap<String, f64> {
    QUOTAS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let key = words.next()?;
            let rate = words.next()?.parse::<f64>().ok()?;
            Some((key.to_string(), rate))
        })
        .collect()
}

/// The per-(account, region, operation) buckets of a run; clone it freely.
#[derive(Clone)]
pub struct Pacer {
    inner: Arc<Inner>,
}

struct Inner {
    quotas: RwLock<HashMap<String, f64>>,
    /// Theoretical arrival time of the next request per (account, region, operation) (GCRA).
    next: Mutex<HashMap<(String, String, String), Instant>>,
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pacer")
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(documented_quotas())
    }
}

impl Pacer {
    pub fn new(quotas: HashMap<String, f64>) -> Self {
        Pacer {
            inner: Arc::new(Inner {
                quotas: RwLock::new(quotas),
                next: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Replaces the quota of each given `service:Operation` (raised quotas from the spec).
    pub fn raise(&self, quotas: &std::collections::BTreeMap<String, f64>) {
        if let Ok(mut table) = self.inner.quotas.write() {
            for (key, rate) in quotas {
                table.insert(key.clone(), *rate);
            }
        }
    }

    /// The quota of `service:Operation`, if it is paced.
    pub fn quota(&self, key: &str) -> Option<f64> {
        self.inner.quotas.read().ok()?.get(key).copied()
    }

    /// Reserves the next slot for one request and returns how long to wait for it. A bucket
    /// holds half a second's worth of the quota (at least one request) and refills at
    /// `SHARE` of it: whatever the concurrency, the requests of one account, region and
    /// operation never arrive faster than AWS refills its own bucket.
    pub fn reserve(&self, account: &str, region: &str, key: &str, now: Instant) -> Duration {
        let Some(quota) = self.quota(key) else {
            return Duration::ZERO;
        };
        let rate = quota * SHARE;
        let interval = Duration::from_secs_f64(1.0 / rate);
        let burst = (quota / 2.0).floor().max(1.0);
        let tolerance = interval.mul_f64(burst - 1.0);
        let Ok(mut next) = self.inner.next.lock() else {
            return Duration::ZERO;
        };
        let tat = next
            .entry((account.to_string(), region.to_string(), key.to_string()))
            .or_insert(now);
        let arrival = (*tat).max(now);
        let earliest = arrival.checked_sub(tolerance).unwrap_or(now);
        let wait = earliest.saturating_duration_since(now);
        *tat = arrival + interval;
        wait
    }

    /// The interceptor a client of `account` in `region` gets.
    pub fn tag(&self, account: &str, region: &str) -> PaceInterceptor {
        PaceInterceptor {
            pacer: self.clone(),
            account: account.to_string(),
            region: region.to_string(),
        }
    }
}

/// How long a request waits for its slot, carried on the request to the HTTP client.
#[derive(Debug, Clone, Copy)]
struct Wait(Duration);

/// Reserves each attempt's slot (an SDK interceptor on every client).
#[derive(Debug)]
pub struct PaceInterceptor {
    pacer: Pacer,
    account: String,
    region: String,
}

impl Intercept for PaceInterceptor {
    fn name(&self) -> &'static str {
        "WardenPace"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let key = format!("{}:{}", iam_prefix(metadata.service()), metadata.name());
        let wait = self
            .pacer
            .reserve(&self.account, &self.region, &key, Instant::now());
        if !wait.is_zero() {
            context.request_mut().add_extension(Wait(wait));
        }
        Ok(())
    }
}

/// The HTTP client, which waits for a request's slot before sending it.
#[derive(Debug, Clone)]
pub struct PacedHttpClient {
    inner: SharedHttpClient,
}

impl PacedHttpClient {
    pub fn new(inner: SharedHttpClient) -> Self {
        PacedHttpClient { inner }
    }

    /// Around the SDK's default HTTPS client (what a client gets when none is configured:
    /// hyper 1 with rustls and aws-lc, a proxy from the environment).
    pub fn around_default() -> Self {
        use aws_smithy_http_client::proxy::ProxyConfig;
        use aws_smithy_http_client::{tls, Builder, ConnectorBuilder};
        let inner = Builder::new().build_with_connector_fn(|settings, runtime_components| {
            let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ));
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = runtime_components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        });
        PacedHttpClient { inner }
    }
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector(
            self.inner.http_connector(settings, components),
        ))
    }

    fn validate_base_client_config(
        &self,
        runtime_components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner
            .validate_base_client_config(runtime_components, cfg)
    }

    fn validate_final_config(
        &self,
        runtime_components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_final_config(runtime_components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct PacedConnector(SharedHttpConnector);

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let wait = request.extension::<Wait>().copied();
        let inner = self.0.clone();
        HttpConnectorFuture::new(async move {
            if let Some(Wait(wait)) = wait {
                tokio::time::sleep(wait).await;
            }
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_table_parses_and_names_documented_figures() {
        let table = documented_quotas();
        assert_eq!(table.get("logs:ListTagsForResource"), Some(&5.0));
        assert_eq!(table.get("logs:DescribeLogGroups"), Some(&10.0));
        assert_eq!(table.get("cloudwatch:PutMetricAlarm"), Some(&3.0));
        let lines = QUOTAS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(table.len(), lines, "a line did not parse, or a key repeats");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_of_one_operation_are_spaced_below_its_quota_after_a_small_burst() {
        let pacer = Pacer::default();
        let now = Instant::now();
        // ListTagsForResource: 5 per second → a burst of 2, then one every 1/4.5 s.
        let waits: Vec<Duration> = (0..6)
            .map(|_| pacer.reserve("111111111111", "us-east-1", "logs:ListTagsForResource", now))
            .collect();
        assert_eq!(waits[0], Duration::ZERO);
        assert_eq!(waits[1], Duration::ZERO);
        let interval = Duration::from_secs_f64(1.0 / 4.5);
        for (i, wait) in waits.iter().enumerate().skip(2) {
            let want = interval.mul_f64(i as f64 - 1.0);
            assert!(
                wait.abs_diff(want) < Duration::from_millis(1),
                "{i}: {wait:?} vs {want:?}"
            );
        }
        // In any second after the start, at most 2 + 4.5 requests: under AWS's 5 + 5.
        // Other accounts, regions and operations have their own buckets.
        for other in [
            ("222222222222", "us-east-1", "logs:ListTagsForResource"),
            ("111111111111", "eu-west-1", "logs:ListTagsForResource"),
            ("111111111111", "us-east-1", "logs:DescribeLogGroups"),
        ] {
            assert_eq!(
                pacer.reserve(other.0, other.1, other.2, now),
                Duration::ZERO
            );
        }
        // Operations not in the table are not paced.
        for _ in 0..100 {
            assert_eq!(
                pacer.reserve("111111111111", "us-east-1", "s3:HeadBucket", now),
                Duration::ZERO
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_raised_quota_from_the_spec_replaces_the_documented_one() {
        let pacer = Pacer::default();
        pacer.raise(&[("logs:ListTagsForResource".to_string(), 50.0)].into());
        let now = Instant::now();
        let waits: Vec<Duration> = (0..25)
            .map(|_| pacer.reserve("1", "r", "logs:ListTagsForResource", now))
            .collect();
        assert!(waits.iter().all(|w| w.is_zero()), "{waits:?}");
    }
}
