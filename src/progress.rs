//! Progress events from long multi-account runs; the CLI shows them, tests ignore them.

/// Receives progress as scopes are read or applied.
pub trait Progress: Send + Sync {
    /// What the following work is called (`reading`, `applying`).
    fn phase(&self, _verb: &'static str) {}
    /// `total` units of work will be done for `account`.
    fn account_started(&self, _account: &str, _total: usize) {}
    /// One unit of `account`'s work finished (`what` says which).
    fn advanced(&self, _account: &str, _what: &str) {}
    /// The account is finished; `ok` is false when anything in it failed.
    fn account_finished(&self, _account: &str, _ok: bool) {}
}

/// Shows nothing.
pub struct Silent;

impl Progress for Silent {}
