//! Assume-role credentials per account: one AssumeRole per account, cached and renewed before
//! expiry, made through the tool's own STS client so the call is counted like every other.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials};
use aws_credential_types::Credentials;
use tokio::sync::Mutex;

use super::error::{classify, CloudError};

/// Renew this long before the credentials expire (long applies outlive a 1-hour session).
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);
const SESSION_SECONDS: i32 = 3600;

/// Credentials obtained by assuming a role, renewed on demand.
#[derive(Debug)]
pub struct AssumedRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    external_id: Option<String>,
    session_name: String,
    cached: Mutex<Option<Credentials>>,
    renewing: Mutex<()>,
}

impl AssumedRole {
    pub fn new(
        sts: aws_sdk_sts::Client,
        role_arn: String,
        external_id: Option<String>,
        session_name: String,
    ) -> Self {
        AssumedRole {
            sts,
            role_arn,
            external_id,
            session_name,
            cached: Mutex::new(None),
            renewing: Mutex::new(()),
        }
    }

    /// Assumes the role now; returns the account id of the assumed-role session.
    pub async fn assume(&self) -> Result<String, CloudError> {
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .duration_seconds(SESSION_SECONDS)
            .send()
            .await
            .map_err(|e| classify("sts:AssumeRole", e))?;
        let creds = out
            .credentials()
            .ok_or_else(|| CloudError::unexpected("sts:AssumeRole", "no credentials returned"))?;
        let expiry = SystemTime::try_from(*creds.expiration()).ok();
        let credentials = Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_string()),
            expiry,
            "warden-assume-role",
        );
        *self.cached.lock().await = Some(credentials);
        let account = out
            .assumed_role_user()
            .map(|u| u.arn())
            .and_then(|arn| arn.split(':').nth(4))
            .unwrap_or_default()
            .to_string();
        Ok(account)
    }

    async fn fresh_cached(&self) -> Option<Credentials> {
        let cached = self.cached.lock().await;
        cached
            .as_ref()
            .filter(|c| is_fresh(c, SystemTime::now()))
            .cloned()
    }

    async fn current(&self) -> Result<Credentials, CloudError> {
        if let Some(c) = self.fresh_cached().await {
            return Ok(c);
        }
        // One renewal at a time: clients of every region wait for it instead of each
        // calling AssumeRole.
        let _renewing = self.renewing.lock().await;
        if let Some(c) = self.fresh_cached().await {
            return Ok(c);
        }
        self.assume().await?;
        self.cached
            .lock()
            .await
            .clone()
            .ok_or_else(|| CloudError::unexpected("sts:AssumeRole", "no credentials cached"))
    }
}

/// Whether cached credentials can still be handed out at `now`: they are renewed
/// `RENEW_BEFORE` their expiry, so a call never starts with credentials about to lapse.
fn is_fresh(credentials: &Credentials, now: SystemTime) -> bool {
    credentials
        .expiry()
        .is_none_or(|expiry| expiry > now + RENEW_BEFORE)
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.current()
                .await
                .map_err(CredentialsError::provider_error)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expiring_in(now: SystemTime, seconds: u64) -> Credentials {
        Credentials::new(
            "AKID",
            "secret",
            Some("token".into()),
            Some(now + Duration::from_secs(seconds)),
            "test",
        )
    }

    #[test]
    fn credentials_are_renewed_five_minutes_before_they_expire() {
        let now = SystemTime::now();
        assert!(is_fresh(&expiring_in(now, 3600), now));
        assert!(is_fresh(&expiring_in(now, 301), now));
        assert!(!is_fresh(&expiring_in(now, 299), now));
        assert!(!is_fresh(&expiring_in(now, 0), now));
        let forever = Credentials::new("AKID", "secret", None, None, "test");
        assert!(is_fresh(&forever, now));
    }
}
