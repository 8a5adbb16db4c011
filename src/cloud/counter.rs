//! Counts every AWS API request by service and operation, so runs and benchmarks can report
//! how many calls a plan costs (an SDK interceptor, shared by every client the tool builds).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    calls: u64,
    attempts: u64,
}

/// Shared tally of API calls; clone it freely.
#[derive(Debug, Clone, Default)]
pub struct ApiCounter {
    counts: Arc<Mutex<BTreeMap<(String, String), Counts>>>,
}

/// Calls made to one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationCalls {
    pub service: String,
    pub operation: String,
    /// Operations invoked.
    pub calls: u64,
    /// HTTP requests sent, including retries.
    pub attempts: u64,
}

/// A snapshot of the tally, as shown in reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCallReport {
    pub total_calls: u64,
    pub total_attempts: u64,
    pub operations: Vec<OperationCalls>,
}

impl ApiCounter {
    pub fn new() -> Self {
        Self::default()
    }

    fn bump(&self, cfg: &ConfigBag, update: impl FnOnce(&mut Counts)) {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return;
        };
        let key = (iam_prefix(metadata.service()), metadata.name().to_string());
        if let Ok(mut counts) = self.counts.lock() {
            update(counts.entry(key).or_default());
        }
    }

    pub fn report(&self) -> ApiCallReport {
        let counts = self.counts.lock().map(|c| c.clone()).unwrap_or_default();
        let operations: Vec<OperationCalls> = counts
            .into_iter()
            .map(|((service, operation), c)| OperationCalls {
                service,
                operation,
                calls: c.calls,
                attempts: c.attempts,
            })
            .collect();
        ApiCallReport {
            total_calls: operations.iter().map(|o| o.calls).sum(),
            total_attempts: operations.iter().map(|o| o.attempts).sum(),
            operations,
        }
    }
}

/// The service as IAM action prefixes spell it (`logs`, `sts`), which users know from policies.
pub(crate) fn iam_prefix(service: &str) -> String {
    match service {
        "CloudWatch Logs" => "logs".to_string(),
        "CloudWatch" => "cloudwatch".to_string(),
        "CloudTrail" => "cloudtrail".to_string(),
        "EventBridge" => "events".to_string(),
        "Resource Groups Tagging API" => "tagging".to_string(),
        "Organizations" => "organizations".to_string(),
        other => other.to_ascii_lowercase().replace(' ', "-"),
    }
}

impl Intercept for ApiCounter {
    fn name(&self) -> &'static str {
        "WardenApiCounter"
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(cfg, |c| c.calls += 1);
        if let Some(metadata) = cfg.load::<Metadata>() {
            call_log::record(&iam_prefix(metadata.service()), metadata.name());
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(cfg, |c| c.attempts += 1);
        Ok(())
    }
}

/// `WARDEN_API_CALL_LOG=FILE`: every distinct operation a run calls is appended to FILE as
/// `<command>\t<service>:<Operation>` (the command is warden's subcommand). The permissions
/// test checks these records, made by every integration test, against `warden permissions`;
/// it also tells an operator exactly which operations a run needs.
mod call_log {
    use std::collections::HashSet;
    use std::io::Write;
    use std::sync::{Mutex, OnceLock};

    struct Log {
        file: std::fs::File,
        command: String,
        seen: HashSet<(String, String)>,
    }

    static LOG: OnceLock<Option<Mutex<Log>>> = OnceLock::new();

    fn open() -> Option<Mutex<Log>> {
        let path = std::env::var_os("WARDEN_API_CALL_LOG")?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        let command = std::env::args()
            .skip(1)
            .find(|a| !a.starts_with('-'))
            .unwrap_or_default();
        Some(Mutex::new(Log {
            file,
            command,
            seen: HashSet::new(),
        }))
    }

    pub fn record(service: &str, operation: &str) {
        let Some(log) = LOG.get_or_init(open) else {
            return;
        };
        let Ok(mut log) = log.lock() else { return };
        if log
            .seen
            .insert((service.to_string(), operation.to_string()))
        {
            let line = format!("{}\t{service}:{operation}\n", log.command);
            // One write per line, in append mode: lines of concurrent runs do not interleave.
            let _ = log.file.write_all(line.as_bytes());
        }
    }
}
