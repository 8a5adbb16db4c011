//! The apply lease: at most one `warden apply` per project, account and region at a time, kept in
//! that scope's CloudWatch Logs (nothing but AWS needed) and expiring on its own if a run dies.
//!
//! Where it lives: log group `/warden/leases/<project>` in the scope (tagged `warden:lease`, never
//! `warden:managed-by`, so plans and `--prune` never see it), one log stream per generation
//! (`gen-0000000001`, …). Taking the lease is `CreateLogStream` of the next generation, which AWS
//! makes atomic (a second creator gets `ResourceAlreadyExistsException`); the holder record is the
//! stream's first event. Releasing deletes the stream; a stream nobody released stays held until
//! its record's `expires_at` (or, before the record is written, until its creation time + TTL).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::types::{InputLogEvent, OrderBy};
use aws_sdk_cloudwatchlogs::Client;
use serde::{Deserialize, Serialize};

use futures::{stream, StreamExt};

use crate::cloud::{classify, CloudError};
use crate::plan::read::{Reader, ScopeKey};
use crate::plan::ScopeNote;

/// How long a lease lasts without being released when its record does not say (a stream whose
/// record was never written): a dead run blocks the scope for at most this long.
pub const LEASE_TTL: Duration = Duration::from_secs(3600);
/// A lease a run takes lasts until the run's time limit (`--timeout`) has passed, plus this
/// margin: the run has stopped by then, so a dead run blocks a scope no longer than that.
const LEASE_MARGIN: Duration = Duration::from_secs(300);
/// The tag on the lease log group (its value is the project).
pub const LEASE_TAG: &str = "warden:lease";
/// Events in the lease group are kept for a day (they are only ever read while a lease is live).
const LEASE_RETENTION_DAYS: i32 = 1;
/// How often a waiting run looks again.
const POLL: Duration = Duration::from_secs(2);
const PREFIX: &str = "gen-";

/// The lease log group of a project.
pub fn group_name(project: &str) -> String {
    format!("/warden/leases/{project}")
}

fn stream_name(generation: u64) -> String {
    format!("{PREFIX}{generation:010}")
}

fn generation_of(stream: &str) -> Option<u64> {
    stream.strip_prefix(PREFIX)?.parse().ok()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Who holds a lease: the first event of its generation's stream, as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    /// The local user (`$USER`) and host.
    pub holder: String,
    pub pid: u32,
    pub command: String,
    pub run_id: String,
    /// Unix seconds.
    pub acquired_at: u64,
    pub expires_at: u64,
}

impl Holder {
    /// This process, taking a lease now.
    pub fn this_run(run_id: &str, ttl: Duration) -> Holder {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown-host".into());
        let command: Vec<String> = std::env::args()
            .enumerate()
            .map(|(i, a)| if i == 0 { "warden".to_string() } else { a })
            .collect();
        let now = now_secs();
        Holder {
            holder: format!("{user}@{host}"),
            pid: std::process::id(),
            command: command.join(" "),
            run_id: run_id.to_string(),
            acquired_at: now,
            expires_at: now + ttl.as_secs(),
        }
    }
}

/// A run id unique enough to tell two runs apart in a lease record.
pub fn new_run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}-{:x}", nanos, std::process::id())
}

fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// The newest generation's stream as read from AWS.
#[derive(Debug, Clone, PartialEq)]
pub struct Newest {
    pub generation: u64,
    /// Stream creation time, epoch milliseconds.
    pub created_ms: i64,
    /// Its holder record, if written (and readable).
    pub record: Option<Holder>,
}

/// Another run's live lease.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldBy {
    pub generation: u64,
    pub holder: Option<Holder>,
    /// Unix seconds.
    pub until: u64,
}

impl HeldBy {
    /// "`alice@ci-3` (pid 4242, run …, `warden apply -f spec.yaml`) since …, until …"
    pub fn describe(&self) -> String {
        match &self.holder {
            Some(h) => format!(
                "`{}` (pid {}, run {}, `{}`) since {}, until {}",
                h.holder,
                h.pid,
                h.run_id,
                h.command,
                rfc3339(h.acquired_at),
                rfc3339(self.until)
            ),
            None => format!(
                "a run that has not written its holder record yet (generation {}), until {}",
                self.generation,
                rfc3339(self.until)
            ),
        }
    }
}

/// What the newest generation means now.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Free: the next generation to take, and the expired one to clean up after taking it.
    Free {
        next: u64,
        expired: Option<u64>,
    },
    Held(HeldBy),
}

/// The lease decision, without AWS: no generation → free; a record whose `expires_at` is past →
/// free (a dead run); a stream without a record → held until its creation time + TTL.
pub fn decide(newest: Option<&Newest>, now: u64) -> State {
    let Some(n) = newest else {
        return State::Free {
            next: 1,
            expired: None,
        };
    };
    let until = match &n.record {
        Some(h) => h.expires_at,
        None => (n.created_ms.max(0) as u64) / 1000 + LEASE_TTL.as_secs(),
    };
    if until > now {
        State::Held(HeldBy {
            generation: n.generation,
            holder: n.record.clone(),
            until,
        })
    } else {
        State::Free {
            next: n.generation + 1,
            expired: Some(n.generation),
        }
    }
}

/// Reads the newest generation (one DescribeLogStreams, plus one GetLogEvents when there is one).
/// `None` for the group: it does not exist yet.
async fn newest(client: &Client, project: &str) -> Result<Option<Option<Newest>>, CloudError> {
    let group = group_name(project);
    let out = match client
        .describe_log_streams()
        .log_group_name(&group)
        .log_stream_name_prefix(PREFIX)
        .order_by(OrderBy::LogStreamName)
        .descending(true)
        .limit(1)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => match classify("logs:DescribeLogStreams", e) {
            e if e.is_not_found() => return Ok(None),
            e => return Err(e),
        },
    };
    let Some((name, generation, created_ms)) = out.log_streams().iter().find_map(|s| {
        let name = s.log_stream_name()?;
        Some((
            name.to_string(),
            generation_of(name)?,
            s.creation_time().unwrap_or_default(),
        ))
    }) else {
        return Ok(Some(None));
    };
    let record = match client
        .get_log_events()
        .log_group_name(&group)
        .log_stream_name(&name)
        .start_from_head(true)
        .limit(1)
        .send()
        .await
    {
        Ok(out) => out
            .events()
            .first()
            .and_then(|e| e.message())
            .and_then(|m| serde_json::from_str::<Holder>(m).ok()),
        // Released (deleted) between the two calls.
        Err(e) => match classify("logs:GetLogEvents", e) {
            e if e.is_not_found() => return Ok(Some(None)),
            e => return Err(e),
        },
    };
    Ok(Some(Some(Newest {
        generation,
        created_ms,
        record,
    })))
}

/// The scope's lease as `plan` shows it (read only).
pub async fn observe(client: &Client, project: &str) -> Result<State, CloudError> {
    let newest = newest(client, project).await?.flatten();
    Ok(decide(newest.as_ref(), now_secs()))
}

/// A lease this run holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub group: String,
    pub generation: u64,
}

/// The result of trying to take a scope's lease.
#[derive(Debug, Clone, PartialEq)]
pub enum Acquired {
    Ours(Lease),
    Held(HeldBy),
}

/// Takes the scope's lease for this run, waiting up to `wait` for another run's to end.
pub async fn acquire(
    client: &Client,
    project: &str,
    run_id: &str,
    wait: Duration,
    ttl: Duration,
) -> Result<Acquired, CloudError> {
    let group = group_name(project);
    let deadline = std::time::Instant::now() + wait;
    let mut races = 0;
    loop {
        let newest = match newest(client, project).await? {
            None => {
                create_group(client, &group, project).await?;
                None
            }
            Some(n) => n,
        };
        let (next, expired) = match decide(newest.as_ref(), now_secs()) {
            State::Free { next, expired } => (next, expired),
            State::Held(held) => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Ok(Acquired::Held(held));
                }
                tokio::time::sleep(left.min(POLL)).await;
                continue;
            }
        };
        match client
            .create_log_stream()
            .log_group_name(&group)
            .log_stream_name(stream_name(next))
            .send()
            .await
        {
            Ok(_) => {}
            // Another run took this generation first: look again (it is held now).
            Err(e) => match classify("logs:CreateLogStream", e) {
                e if e.is_already_exists() => {
                    races += 1;
                    if races >= 3 {
                        // The listing keeps missing the generation that exists: count it held.
                        return Ok(Acquired::Held(HeldBy {
                            generation: next,
                            holder: None,
                            until: now_secs() + LEASE_TTL.as_secs(),
                        }));
                    }
                    continue;
                }
                e => return Err(e),
            },
        }
        let record = Holder::this_run(run_id, ttl);
        let lease = Lease {
            group: group.clone(),
            generation: next,
        };
        let written = client
            .put_log_events()
            .log_group_name(&group)
            .log_stream_name(stream_name(next))
            .log_events(
                InputLogEvent::builder()
                    .timestamp(record.acquired_at as i64 * 1000)
                    .message(serde_json::to_string(&record).unwrap_or_default())
                    .build()
                    .map_err(|e| CloudError::unexpected("logs:PutLogEvents", e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| classify("logs:PutLogEvents", e));
        if let Err(e) = written {
            release(client, &lease).await;
            return Err(e);
        }
        // The dead run's generation is no longer needed (best effort: it is expired anyway).
        if let Some(old) = expired {
            let _ = client
                .delete_log_stream()
                .log_group_name(&group)
                .log_stream_name(stream_name(old))
                .send()
                .await;
        }
        return Ok(Acquired::Ours(lease));
    }
}

/// Creates the lease group (tagged `warden:lease`, events kept a day); one already there is fine.
async fn create_group(client: &Client, group: &str, project: &str) -> Result<(), CloudError> {
    match client
        .create_log_group()
        .log_group_name(group)
        .tags(LEASE_TAG, project)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) => match classify("logs:CreateLogGroup", e) {
            e if e.is_already_exists() => return Ok(()),
            e => return Err(e),
        },
    }
    // Best effort: without it the records are merely kept longer.
    let _ = client
        .put_retention_policy()
        .log_group_name(group)
        .retention_in_days(LEASE_RETENTION_DAYS)
        .send()
        .await;
    Ok(())
}

/// Gives the lease back (best effort: if this fails, the lease expires on its own).
pub async fn release(client: &Client, lease: &Lease) {
    let _ = client
        .delete_log_stream()
        .log_group_name(&lease.group)
        .log_stream_name(stream_name(lease.generation))
        .send()
        .await;
}

/// What happened to one scope's lease in this run.
#[derive(Debug, Clone)]
pub enum Slot {
    Ours(Lease),
    Held(HeldBy),
    /// The lease could not be read or written (e.g. no permission on the lease group).
    Failed(String),
}

/// The leases of one run (apply takes them; plan and drift only look).
#[derive(Debug, Default)]
pub struct Leases {
    taken: std::sync::atomic::AtomicBool,
    slots: std::sync::Mutex<BTreeMap<ScopeKey, Slot>>,
}

impl Leases {
    fn slots(&self) -> std::sync::MutexGuard<'_, BTreeMap<ScopeKey, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes the lease of every scope, waiting up to `wait` where another run holds one. Scopes whose
/// account cannot be reached get no slot: they fail on their own.
///
/// First every scope is tried at once, without waiting. If some are held and `wait` is not zero,
/// the ones taken are given back and all are taken again one by one in a fixed order, each
/// waiting: a run never holds some scopes while it waits for others out of that order, so two
/// waiting runs cannot each hold what the other waits for.
pub async fn take_all(reader: &Reader<'_>, scopes: &[ScopeKey], wait: Duration) {
    let deadline = std::time::Instant::now() + wait;
    let run_id = new_run_id();
    let run_id = &run_id;
    reader
        .leases()
        .taken
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let results: Vec<(ScopeKey, Option<Slot>)> = stream::iter(scopes.iter().cloned())
        .map(|key| async move {
            let slot = take_one(reader, &key, run_id, Duration::ZERO).await;
            (key, slot)
        })
        .buffer_unordered(reader.parallelism())
        .collect()
        .await;
    let contended = results
        .iter()
        .any(|(_, slot)| matches!(slot, Some(Slot::Held(_))));
    {
        let mut slots = reader.leases().slots();
        for (key, slot) in results {
            if let Some(slot) = slot {
                slots.insert(key, slot);
            }
        }
    }
    if !contended || wait.is_zero() {
        return;
    }
    release_all(reader).await;
    let mut ordered: Vec<ScopeKey> = scopes.to_vec();
    ordered.sort();
    for key in ordered {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if let Some(slot) = take_one(reader, &key, run_id, left).await {
            reader.leases().slots().insert(key, slot);
        }
    }
}

async fn take_one(
    reader: &Reader<'_>,
    key: &ScopeKey,
    run_id: &str,
    wait: Duration,
) -> Option<Slot> {
    let session = reader.session(&key.0).await.ok()?;
    let client = session.logs(&key.1);
    // The run stops at its time limit; the lease outlives it by a margin, never less.
    let ttl = reader.deadline().limit() + LEASE_MARGIN;
    Some(
        match acquire(&client, reader.project(), run_id, wait, ttl).await {
            Ok(Acquired::Ours(lease)) => Slot::Ours(lease),
            Ok(Acquired::Held(held)) => Slot::Held(held),
            Err(e) => Slot::Failed(e.to_string()),
        },
    )
}

/// Why nothing may be changed in this scope now (another run holds its lease, or it could not be
/// taken); `None` when this run holds it (or took no leases).
pub fn blocked(reader: &Reader<'_>, key: &ScopeKey) -> Option<String> {
    match reader.leases().slots().get(key)? {
        Slot::Ours(_) => None,
        Slot::Held(held) => Some(format!(
            "another warden apply holds this project's lease in {}/{}: {}; retry after it, or wait for it with --lease-wait (e.g. --lease-wait 10m)",
            key.0,
            key.1,
            held.describe()
        )),
        Slot::Failed(e) => Some(format!(
            "this project's lease in {}/{} (log group {}) could not be taken, so nothing was changed there: {e}",
            key.0,
            key.1,
            group_name(reader.project())
        )),
    }
}

/// Gives back this run's lease of one scope, as soon as its apply is verified.
pub async fn release_scope(reader: &Reader<'_>, key: &ScopeKey) {
    let slot = reader.leases().slots().remove(key);
    if let Some(Slot::Ours(lease)) = slot {
        if let Ok(session) = reader.session(&key.0).await {
            release(&session.logs(&key.1), &lease).await;
        }
    }
}

/// Gives back every lease this run still holds (scopes without changes, a cancelled apply).
pub async fn release_all(reader: &Reader<'_>) {
    let keys: Vec<ScopeKey> = reader.leases().slots().keys().cloned().collect();
    stream::iter(keys)
        .for_each_concurrent(reader.parallelism(), |key| async move {
            release_scope(reader, &key).await
        })
        .await;
}

/// Plan notes for scopes whose lease another apply holds: from the leases this run tried to take,
/// or (plan, drift) read for the purpose, best effort.
pub async fn notes(reader: &Reader<'_>, scopes: &[ScopeKey]) -> Vec<ScopeNote> {
    let note = |key: &ScopeKey, held: &HeldBy| ScopeNote {
        account: key.0.clone(),
        region: key.1.clone(),
        message: format!("a warden apply holds the lease here: {}", held.describe()),
    };
    if reader
        .leases()
        .taken
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return reader
            .leases()
            .slots()
            .iter()
            .filter_map(|(key, slot)| match slot {
                Slot::Held(held) => Some(note(key, held)),
                _ => None,
            })
            .collect();
    }
    stream::iter(scopes.iter().cloned())
        .map(|key| async move {
            let session = reader.session(&key.0).await.ok()?;
            match observe(&session.logs(&key.1), reader.project())
                .await
                .ok()?
            {
                State::Held(held) => Some(note(&key, &held)),
                State::Free { .. } => None,
            }
        })
        .buffer_unordered(reader.parallelism())
        .filter_map(|n| async move { n })
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires_at: u64) -> Holder {
        Holder {
            holder: "alice@ci".into(),
            pid: 42,
            command: "warden apply -f spec.yaml".into(),
            run_id: "r1".into(),
            acquired_at: expires_at - LEASE_TTL.as_secs(),
            expires_at,
        }
    }

    #[test]
    fn no_generation_is_free_and_the_first_is_one() {
        assert_eq!(
            decide(None, 1_000),
            State::Free {
                next: 1,
                expired: None
            }
        );
    }

    #[test]
    fn a_live_record_is_held_until_its_expiry() {
        let newest = Newest {
            generation: 7,
            created_ms: 0,
            record: Some(record(5_000)),
        };
        match decide(Some(&newest), 4_999) {
            State::Held(held) => {
                assert_eq!(held.generation, 7);
                assert_eq!(held.until, 5_000);
                let text = held.describe();
                assert!(text.contains("`alice@ci` (pid 42, run r1"), "{text}");
                assert!(text.contains("until 1970-01-01T01:23:20Z"), "{text}");
            }
            other => panic!("expected held, got {other:?}"),
        }
    }

    #[test]
    fn an_expired_record_of_a_dead_run_is_taken_over() {
        let newest = Newest {
            generation: 7,
            created_ms: 0,
            record: Some(record(5_000)),
        };
        assert_eq!(
            decide(Some(&newest), 5_000),
            State::Free {
                next: 8,
                expired: Some(7)
            }
        );
    }

    #[test]
    fn a_stream_without_its_record_is_held_for_the_ttl_from_its_creation() {
        let newest = Newest {
            generation: 3,
            created_ms: 10_000_000,
            record: None,
        };
        let until = 10_000 + LEASE_TTL.as_secs();
        assert!(
            matches!(decide(Some(&newest), until - 1), State::Held(h) if h.until == until && h.holder.is_none())
        );
        assert_eq!(
            decide(Some(&newest), until),
            State::Free {
                next: 4,
                expired: Some(3)
            }
        );
    }

    #[test]
    fn generations_sort_by_name() {
        assert_eq!(stream_name(12), "gen-0000000012");
        assert!(stream_name(9) < stream_name(10));
        assert_eq!(generation_of(&stream_name(12)), Some(12));
        assert_eq!(generation_of("other"), None);
    }
}
