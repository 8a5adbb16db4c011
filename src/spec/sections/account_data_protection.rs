//! The `account_data_protection` section: one account-wide CloudWatch Logs data-protection policy
//! per account and region (its types live in `crate::data_protection`, shared with log groups).

use std::borrow::Cow;

use serde_json::json;

use super::{effective, is_set, Expansion, Merge, Scope, Section};
use crate::data_protection::{self, DataProtectionSpec};
use crate::model::addr::{Kind, ResourceAddr};
use crate::model::desired::DesiredResource;
use crate::spec::check::Checker;
use crate::spec::sections::invocation_logging::expand::SINGLETON;
use crate::spec::types::{Override, Spec};

/// An override's policy replaces the baseline's wholesale.
impl Merge for DataProtectionSpec {
    fn merged<'a>(_base: Cow<'a, Self>, over: &'a Self) -> Cow<'a, Self> {
        Cow::Borrowed(over)
    }
}

/// The section in the registry of [`super::SECTIONS`].
pub struct AccountDataProtection;

fn pick(block: &Override) -> Option<&DataProtectionSpec> {
    block.account_data_protection.as_ref()
}

impl Section for AccountDataProtection {
    fn check_baseline(&self, spec: &Spec, checker: &mut Checker) {
        if let Some(protection) = &spec.account_data_protection {
            checker.data_protection(protection, "account_data_protection");
        }
    }

    fn check_override(&self, _spec: &Spec, block: &Override, field: &str, checker: &mut Checker) {
        if let Some(protection) = &block.account_data_protection {
            checker.data_protection(protection, &format!("{field}.account_data_protection"));
        }
    }

    fn count(&self, spec: &Spec) -> u64 {
        let baseline = spec.account_data_protection.as_ref();
        super::scopes(spec)
            .filter(|(account, region)| is_set(baseline, account, region, pick))
            .count() as u64
    }

    fn expand(&self, scope: &Scope, out: &mut Expansion) {
        let baseline = scope.spec().account_data_protection.as_ref();
        let Some(protection) = effective(baseline, scope.account, scope.region, pick) else {
            return;
        };
        let (target, region) = (scope.target, scope.region);
        let fill = |t: &str| scope.fill(t);
        let policy = data_protection::desired_props(&protection, &fill);
        // A findings log group in the spec is created before the policy that names it.
        let group_names = out.created_here(Kind::LogGroup);
        let depends_on = policy["findings"]["log_group"]
            .as_str()
            .filter(|g| group_names.iter().any(|n| n == g))
            .map(|g| vec![ResourceAddr::new(&target.name, region, Kind::LogGroup, g)])
            .unwrap_or_default();
        out.resources.push(DesiredResource {
            addr: ResourceAddr::new(&target.name, region, Kind::AccountDataProtection, SINGLETON),
            props: json!({ "policy": policy }),
            depends_on,
            origin: None,
        });
    }
}
