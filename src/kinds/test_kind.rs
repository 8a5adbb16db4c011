//! A kind that exists only in unit tests: account-scoped, with a field that forces a replace,
//! writing to a call log instead of AWS, so the engine's generic paths can be tested.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::{Kind, Named, Ownership, Placement, ReplaceOrder, ResourceKind, Scope};
use crate::cloud::{AccountSession, CloudError};
use crate::model::LiveResource;

/// The calls a test kind made, in order (`create x`, `delete x`, …).
pub type CallLog = Arc<Mutex<Vec<String>>>;

/// Account-scoped, tagged; `generation` cannot change in place. `CREATE_FIRST` picks the
/// replace order (the registry holds the delete-first one).
pub struct TestKind<const CREATE_FIRST: bool>;

impl<const CREATE_FIRST: bool> ResourceKind for TestKind<CREATE_FIRST> {
    const KIND: Kind = Kind::TestThing;
    const NAME: &'static str = "test_thing";
    const RANK: u8 = 0;
    const PLACEMENT: Placement = Placement::Account;
    const OWNERSHIP: Ownership = Ownership::Tagged;
    const REPLACE_ORDER: ReplaceOrder = if CREATE_FIRST {
        ReplaceOrder::CreateFirst
    } else {
        ReplaceOrder::DeleteFirst
    };
    type Client = CallLog;

    fn client(_session: &AccountSession, _region: &str) -> CallLog {
        CallLog::default()
    }

    async fn read(
        _scope: &Scope<'_, CallLog>,
        _wanted: &[Named],
        _discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        Ok(Vec::new())
    }

    fn comparable(_desired: &Value, live: &Value) -> Value {
        live.clone()
    }

    fn forces_replacement(path: &str) -> bool {
        path == "generation"
    }

    async fn create(
        scope: &Scope<'_, CallLog>,
        name: &str,
        _after: &Value,
    ) -> Result<(), CloudError> {
        scope.client.lock().unwrap().push(format!("create {name}"));
        Ok(())
    }

    async fn update(
        scope: &Scope<'_, CallLog>,
        name: &str,
        _before: &Value,
        _after: &Value,
    ) -> Result<(), CloudError> {
        scope.client.lock().unwrap().push(format!("update {name}"));
        Ok(())
    }

    async fn delete(
        scope: &Scope<'_, CallLog>,
        name: &str,
        _before: &Value,
    ) -> Result<(), CloudError> {
        scope.client.lock().unwrap().push(format!("delete {name}"));
        Ok(())
    }
}
