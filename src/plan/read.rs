//! Reads live state for many (account, region) scopes concurrently, with one credential
//! session per account shared by every region and by a later apply.

use std::collections::{BTreeMap, HashMap};

use futures::{stream, StreamExt};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::ScopeError;
use crate::cloud::{AccountSession, CloudContext, CloudError};
use crate::kinds::{self, Named};
use crate::model::{AccountTarget, Kind, LiveResource, ResourceAddr};
use crate::progress::Progress;

/// (account name, region)
pub type ScopeKey = (String, String);

/// One scope's read: the live resources, or the error and whether it came from connecting.
type ScopeRead = Result<Vec<LiveResource>, (bool, CloudError)>;

/// Connects to accounts on first use and reads scopes.
pub struct Reader<'a> {
    ctx: &'a CloudContext,
    accounts: Vec<AccountTarget>,
    project: String,
    sessions: HashMap<String, OnceCell<Result<AccountSession, CloudError>>>,
    parallelism: usize,
    progress: &'a dyn Progress,
    leases: crate::apply::lease::Leases,
}

/// The result of reading some scopes.
#[derive(Debug, Default)]
pub struct LiveRead {
    pub live: BTreeMap<ScopeKey, Vec<LiveResource>>,
    pub errors: Vec<ScopeError>,
}

impl<'a> Reader<'a> {
    pub fn new(
        ctx: &'a CloudContext,
        accounts: &[AccountTarget],
        project: &str,
        parallelism: usize,
        progress: &'a dyn Progress,
    ) -> Self {
        Reader {
            ctx,
            accounts: accounts.to_vec(),
            project: project.to_string(),
            sessions: accounts
                .iter()
                .map(|a| (a.name.clone(), OnceCell::new()))
                .collect(),
            parallelism: parallelism.max(1),
            progress,
            leases: Default::default(),
        }
    }

    pub fn api_calls(&self) -> crate::cloud::ApiCallReport {
        self.ctx.counter().report()
    }

    /// The run's pacing below each operation's quota.
    pub fn pacer(&self) -> &crate::cloud::pace::Pacer {
        self.ctx.pacer()
    }

    /// The run's time limit.
    pub fn deadline(&self) -> &crate::deadline::Deadline {
        self.ctx.deadline()
    }

    /// The apply leases this run took or found held (see `apply::lease`).
    pub fn leases(&self) -> &crate::apply::lease::Leases {
        &self.leases
    }

    pub fn project(&self) -> &str {
        &self.project
    }

    pub fn parallelism(&self) -> usize {
        self.parallelism
    }

    pub fn progress(&self) -> &dyn Progress {
        self.progress
    }

    /// The account's session, connecting (and proving the account id) on first use.
    pub async fn session(&self, account: &str) -> Result<AccountSession, CloudError> {
        let target = self
            .accounts
            .iter()
            .find(|a| a.name == account)
            .ok_or_else(|| {
                CloudError::unexpected("connect", format!("unknown account `{account}`"))
            })?;
        let cell = &self.sessions[account];
        cell.get_or_init(|| self.ctx.connect(target)).await.clone()
    }

    /// Reads the given resources in every listed scope (scopes without names are still
    /// connected to, and with `discover_owner` searched for resources that project owns).
    pub async fn read(
        &self,
        scopes: &[ScopeKey],
        names: &HashMap<ScopeKey, Vec<Named>>,
        discover_owner: Option<&str>,
    ) -> LiveRead {
        self.read_scopes(scopes, names, discover_owner, true).await
    }

    /// The same read without progress events (re-reads inside a larger step, e.g. verification).
    pub async fn read_quietly(
        &self,
        scopes: &[ScopeKey],
        names: &HashMap<ScopeKey, Vec<Named>>,
    ) -> LiveRead {
        self.read_scopes(scopes, names, None, false).await
    }

    /// For each (kind, scope) whose spec does not manage that kind, the kind's note about its
    /// live state there (e.g. a setting left alone). Best effort: a scope whose look fails (no
    /// permission, service not offered in the region) is left out, since nothing depends on it.
    pub async fn observe_unmanaged(&self, wanted: &[(Kind, ScopeKey)]) -> Vec<(ScopeKey, String)> {
        stream::iter(wanted.iter().cloned())
            .map(|(kind, key)| async move {
                let session = self.session(&key.0).await.ok()?;
                let note = kinds::unmanaged_note(kind, &session, &key.0, &key.1)
                    .await
                    .ok()??;
                Some((key, note))
            })
            .buffer_unordered(self.parallelism)
            .filter_map(|found| async move { found })
            .collect()
            .await
    }

    /// For each (kind, scope) whose spec manages that kind, the kind's note about what is around
    /// its named resources there. Best effort, like `observe_unmanaged`.
    pub async fn observe_managed(
        &self,
        wanted: &[(Kind, ScopeKey, Vec<Named>)],
    ) -> Vec<(ScopeKey, String)> {
        stream::iter(wanted.iter().cloned())
            .map(|(kind, key, named)| async move {
                let session = self.session(&key.0).await.ok()?;
                let note = kinds::managed_note(kind, &session, &key.0, &key.1, &named)
                    .await
                    .ok()??;
                Some((key, note))
            })
            .buffer_unordered(self.parallelism)
            .filter_map(|found| async move { found })
            .collect()
            .await
    }

    /// Whether `region` is the home region of `account` (where account-scoped kinds live).
    pub fn is_home(&self, account: &str, region: &str) -> bool {
        self.accounts
            .iter()
            .find(|a| a.name == account)
            .and_then(kinds::home_region)
            == Some(region)
    }

    async fn read_scopes(
        &self,
        scopes: &[ScopeKey],
        names: &HashMap<ScopeKey, Vec<Named>>,
        discover_owner: Option<&str>,
        report: bool,
    ) -> LiveRead {
        let silent = crate::progress::Silent;
        let progress: &dyn Progress = if report { self.progress } else { &silent };
        progress.phase("reading");
        let mut per_account: BTreeMap<&str, usize> = BTreeMap::new();
        for (account, _) in scopes {
            *per_account.entry(account).or_default() += 1;
        }
        for (account, total) in &per_account {
            progress.account_started(account, *total);
        }
        let results: Vec<(ScopeKey, ScopeRead)> = stream::iter(scopes.iter().cloned())
            .map(|key| async move {
                let wanted = names.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                let work = async {
                    match self.session(&key.0).await {
                        Err(e) => Err((true, e)),
                        Ok(session) => kinds::read_scope(
                            &session,
                            &key.0,
                            &key.1,
                            wanted,
                            &self.project,
                            discover_owner,
                            self.is_home(&key.0, &key.1),
                            // Plan reads take ownership tags in bulk; re-reads that verify
                            // (quiet ones) read each resource, as the Tagging API may lag.
                            report,
                        )
                        .await
                        .map_err(|e| (false, e)),
                    }
                };
                // At the time limit a scope's read stops; the scope is reported as not read.
                let result = self
                    .deadline()
                    .run(work)
                    .await
                    .unwrap_or_else(|reached| Err((false, reached.into())));
                progress.advanced(&key.0, &key.1);
                (key, result)
            })
            .buffer_unordered(self.parallelism)
            .collect()
            .await;
        let mut read = LiveRead::default();
        let mut failed_accounts: BTreeMap<String, bool> = BTreeMap::new();
        for ((account, region), result) in results {
            match result {
                Ok(live) => {
                    failed_accounts.entry(account.clone()).or_insert(false);
                    read.live.insert((account, region), live);
                }
                Err((connect, error)) => {
                    let already = failed_accounts.insert(account.clone(), true) == Some(true);
                    if connect && already {
                        continue;
                    }
                    read.errors.push(ScopeError {
                        account,
                        region: (!connect).then_some(region),
                        address: None,
                        message: error.to_string(),
                    });
                }
            }
        }
        for (account, failed) in failed_accounts {
            progress.account_finished(&account, !failed);
        }
        read.errors
            .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        read
    }
}

/// Groups addresses (with the properties wanted there, `null` when unknown) by scope, as
/// `Reader::read` wants them.
pub fn names_by_scope<'x>(
    addrs: impl IntoIterator<Item = (&'x ResourceAddr, &'x Value)>,
) -> HashMap<ScopeKey, Vec<Named>> {
    let mut names: HashMap<ScopeKey, Vec<Named>> = HashMap::new();
    for (addr, props) in addrs {
        names
            .entry((addr.account.clone(), addr.region.clone()))
            .or_default()
            .push(Named {
                kind: addr.kind,
                name: addr.name.clone(),
                props: props.clone(),
            });
    }
    names
}
