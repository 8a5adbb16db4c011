//! `--shard K/N`: splits a spec's accounts into N parts for a CI matrix (GitHub Actions
//! `matrix`, GitLab `parallel`), each job running one part side by side with the others.
//!
//! An account's shard depends on its id alone (a fixed 64-bit FNV-1a hash, modulo N), so the
//! assignment is the same on every machine and run, and adding or removing an account never
//! moves the others.

use std::fmt;
use std::str::FromStr;

/// Part `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether the account with this id is in this shard.
    pub fn holds(&self, account_id: &str) -> bool {
        fnv1a(account_id.as_bytes()) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let help = "write K/N with 1 <= K <= N, e.g. --shard 2/4 for the second of four jobs";
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not K/N ({help})"))?;
        let (index, count) = match (k.trim().parse::<u32>(), n.trim().parse::<u32>()) {
            (Ok(k), Ok(n)) => (k, n),
            _ => return Err(format!("`{text}` is not K/N ({help})")),
        };
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard {text} does not exist ({help})"));
        }
        Ok(Shard { index, count })
    }
}

/// 64-bit FNV-1a: small, fixed by its specification (unlike std's hasher, which may change
/// between Rust releases), good enough to spread account ids.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u64) -> Vec<String> {
        (0..n)
            .map(|i| format!("{:012}", 100_000_000_000 + i))
            .collect()
    }

    #[test]
    fn every_account_is_in_exactly_one_shard_and_shards_are_balanced() {
        let shards: Vec<Shard> = (1..=4).map(|k| Shard { index: k, count: 4 }).collect();
        let mut sizes = [0usize; 4];
        for id in ids(1000) {
            let holders: Vec<usize> = (0..4).filter(|&s| shards[s].holds(&id)).collect();
            assert_eq!(holders.len(), 1, "{id}: {holders:?}");
            sizes[holders[0]] += 1;
        }
        assert!(sizes.iter().all(|&s| (200..=300).contains(&s)), "{sizes:?}");
    }

    #[test]
    fn an_accounts_shard_depends_on_its_id_only() {
        // Fixed values: a change of the hash would move accounts between CI jobs.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let shard = Shard { index: 1, count: 3 };
        let first: Vec<bool> = ids(50).iter().map(|id| shard.holds(id)).collect();
        let again: Vec<bool> = ids(50).iter().map(|id| shard.holds(id)).collect();
        assert_eq!(first, again);
    }

    #[test]
    fn shard_arguments_are_checked() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1/0", "a/b", "3", "-1/2"] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains("K/N"), "{bad}: {err}");
        }
    }
}
