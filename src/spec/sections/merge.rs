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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::spec::{load_source, EnvMode};

    #[test]
    fn overrides_apply_in_order_limited_by_regions_and_a_scope_without_overrides_borrows() {
        let text = r#"
version: 1
defaults:
  regions: [us-east-1, eu-west-1]
accounts:
  - name: a
    id: "111111111111"
    overrides:
      - regions: [eu-west-1]
        invocation_logging:
          data: { image: false, text: false }
      - invocation_logging:
          data: { text: true }
  - name: b
    id: "222222222222"
invocation_logging:
  s3: { bucket: "logs-{account}-{region}" }
  data: { text: false, video: false }
"#;
        let loaded = load_source(SourceFile::new("t.yaml", text), EnvMode::Strict)
            .unwrap_or_else(|e| panic!("spec rejected: {:?}", e.diagnostics));
        let spec = &loaded.spec;
        let flags = |account: usize, region: &str| {
            let merged = effective(
                spec.invocation_logging.as_ref(),
                &spec.accounts[account],
                region,
                |o| o.invocation_logging.as_ref(),
            )
            .expect("set");
            let data = merged.data.clone().expect("data");
            let flag = |f: Option<Sp<bool>>| f.map(|v| *v.get());
            (
                matches!(merged, Cow::Borrowed(_)),
                [data.text, data.image, data.video].map(flag),
            )
        };
        assert_eq!(
            flags(0, "us-east-1"),
            (false, [Some(true), None, Some(false)])
        );
        assert_eq!(
            flags(0, "eu-west-1"),
            (false, [Some(true), Some(false), Some(false)])
        );
        assert_eq!(
            flags(1, "us-east-1"),
            (true, [Some(false), None, Some(false)])
        );
    }
}
