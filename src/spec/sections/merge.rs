//! The one override mechanism: a section's value for an (account, region) is its baseline with
//! every override that applies there merged on in order, each section choosing how ([`Merge`]).

use std::borrow::Cow;

use crate::source::Sp;
use crate::spec::types::{Account, Override};

/// How an override's block combines with the value so far (the baseline, or the baseline with
/// earlier overrides merged). A scope without overrides borrows the baseline: nothing is copied.
pub trait Merge: Clone {
    fn merged<'a>(base: Cow<'a, Self>, over: &'a Self) -> Cow<'a, Self>;
}

/// Whether an override applies in `region` (no `regions:` means all of the account's regions).
pub fn applies(block: &Override, region: &str) -> bool {
    block
        .regions
        .as_ref()
        .is_none_or(|only: &Vec<Sp<String>>| only.iter().any(|r| r.get() == region))
}

/// The section's effective value in one scope: the baseline, then every override of the
/// account that applies in `region` and sets the section (`pick`), in order (the last wins
/// where values conflict). `None` when neither the baseline nor an override sets it.
pub fn effective<'a, T: Merge>(
    baseline: Option<&'a T>,
    account: &'a Account,
    region: &str,
    pick: impl Fn(&'a Override) -> Option<&'a T>,
) -> Option<Cow<'a, T>> {
    let mut merged = baseline.map(Cow::Borrowed);
    for block in account.overrides.iter().filter(|o| applies(o, region)) {
        if let Some(over) = pick(block) {
            merged = Some(match merged {
                Some(base) => T::merged(base, over),
                None => Cow::Borrowed(over),
            });
        }
    }
    merged
}

/// Whether [`effective`] would find a value, without merging anything.
pub fn is_set<'a, T>(
    baseline: Option<&'a T>,
    account: &'a Account,
    region: &str,
    pick: impl Fn(&'a Override) -> Option<&'a T>,
) -> bool {
    baseline.is_some()
        || account
            .overrides
            .iter()
            .any(|o| applies(o, region) && pick(o).is_some())
}
