//! Typed errors from AWS calls: callers can tell not-found from access-denied from throttling.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What went wrong with an AWS call, in categories the engine acts on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CloudError {
    #[error("{operation}: not found: {message}")]
    NotFound { operation: String, message: String },
    /// The resource a create call names exists already (the caller may re-read and update it).
    #[error("{operation}: already exists: {message}")]
    AlreadyExists { operation: String, message: String },
    #[error("{operation}: access denied: {message}")]
    AccessDenied { operation: String, message: String },
    #[error("{operation}: throttled after retries: {message}")]
    Throttled { operation: String, message: String },
    #[error("{operation}: {code}: {message}")]
    Service {
        operation: String,
        code: String,
        message: String,
    },
    #[error("{operation}: timed out")]
    Timeout { operation: String },
    #[error("{operation}: could not reach AWS: {message}")]
    Network { operation: String, message: String },
    #[error("credentials for account {account}: {message}")]
    Credentials { account: String, message: String },
    #[error("the credentials belong to account {actual}, but the spec says account `{name}` is {expected}")]
    WrongAccount {
        name: String,
        expected: String,
        actual: String,
    },
    #[error("{operation}: {message}")]
    Unexpected { operation: String, message: String },
    /// The run's time limit passed before or while the work ran.
    #[error("not read: {0}")]
    Deadline(#[from] crate::deadline::DeadlineReached),
}

impl CloudError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, CloudError::NotFound { .. })
    }

    pub fn is_already_exists(&self) -> bool {
        matches!(self, CloudError::AlreadyExists { .. })
    }

    /// The AWS error code, when AWS sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CloudError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn unexpected(operation: &str, message: impl Into<String>) -> Self {
        CloudError::Unexpected {
            operation: operation.to_string(),
            message: message.into(),
        }
    }
}

/// Classifies an SDK error for `operation` (e.g. `logs:CreateLogGroup`).
pub fn classify<E, R>(operation: &str, error: SdkError<E, R>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let operation = operation.to_string();
    match &error {
        SdkError::TimeoutError(_) => CloudError::Timeout { operation },
        SdkError::DispatchFailure(failure) => {
            if failure.is_timeout() {
                CloudError::Timeout { operation }
            } else {
                CloudError::Network {
                    operation,
                    message: source_chain(&error),
                }
            }
        }
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().unwrap_or("Unknown").to_string();
            let message = err.message().unwrap_or("").to_string();
            // `BucketAlreadyExists` is a bucket of another account: not ours to re-read.
            if code == "ResourceAlreadyExistsException"
                || code == "EntityAlreadyExists"
                || code == "BucketAlreadyOwnedByYou"
                || code == "TrailAlreadyExistsException"
            {
                CloudError::AlreadyExists { operation, message }
            } else if code.contains("NotFound") || code == "NoSuchEntity" || code == "NoSuchBucket"
            {
                CloudError::NotFound { operation, message }
            } else if code.contains("AccessDenied") || code == "UnauthorizedOperation" {
                CloudError::AccessDenied { operation, message }
            } else if code.contains("Throttl")
                || code == "TooManyRequestsException"
                || code == "RequestLimitExceeded"
            {
                CloudError::Throttled { operation, message }
            } else {
                CloudError::Service {
                    operation,
                    code,
                    message,
                }
            }
        }
        _ => CloudError::Unexpected {
            operation,
            message: source_chain(&error),
        },
    }
}

/// The error and its causes on one line (SDK errors keep the useful part in `source()`).
/// Many errors repeat their cause in their own text: a cause already said is not said again.
pub(crate) fn source_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        current = cause.source();
    }
    line
}
