#!/usr/bin/env bash
# Benchmark: how many AWS API calls and how much time and memory a plan and an apply cost,
# against the local cloud, for a generated spec of ACCOUNTS × REGIONS × GROUPS log groups.
# Prints figures; asserts nothing (speed is measured here, never in tests).
#
#   scripts/bench.sh [ACCOUNTS] [REGIONS] [GROUPS] [chain]   (default 5 2 20 → 200 resources)
#
# With `chain`, every account and region also gets the invocation-logging chain (role, large-data
# bucket, logging configuration) and a log group with a data-protection policy.
#
# Accounts after the first are reached by AssumeRole, as in a real multi-account setup.
# Figures from the local cloud measure warden's work and call counts; AWS latency differs.
#   scripts/bench.sh validate   offline: time and memory of `validate` for 2k/4k/8k log groups
#                               with a tag each, and for the largest accepted expansion
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ "${1:-}" = validate ]; then
  cargo build --quiet --release --bin warden
  WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
  head='version: 1\nproject: p\ndefaults:\n  regions: [us-east-1]\naccounts:\n  - name: a\n    id: "123456789012"\nlog_groups:\n'
  for n in 2000 4000 8000; do
    { printf "$head"; for i in $(seq 0 $((n - 1))); do printf '  - name: /g/%d\n    tags:\n      team: t%d\n' "$i" "$i"; done; } > "$WORK/tags-$n.yaml"
    /usr/bin/time -f "validate: $n log groups with a tag each: %e s, %M KB peak" target/release/warden validate -f "$WORK/tags-$n.yaml" > /dev/null
  done
  python3 - > "$WORK/limit.yaml" <<'PY'
print("version: 1\ndefaults:\n  regions: [us-east-1]\naccounts:")
for a in range(100):
    print(f"  - name: a{a}\n    id: \"{100000000000 + a}\"")
print("log_groups:")
for g in range(1000):
    print(f"  - name: /g/{g}")
PY
  /usr/bin/time -f "validate: the largest accepted expansion (100 accounts x 1000 groups = 100,000 resources): %e s, %M KB peak" target/release/warden validate -f "$WORK/limit.yaml" > /dev/null
  exit 0
fi

ACCOUNTS=${1:-5}; REGIONS=${2:-2}; LOG_GROUPS=${3:-20}; CHAIN=${4:-}

cargo build --quiet --release --bin warden
WARDEN="$ROOT/target/release/warden"
ENV_FILE=$(scripts/local-cloud.sh start)
trap 'scripts/local-cloud.sh stop' EXIT
# shellcheck disable=SC1090
source "$ENV_FILE"

WORK=$(mktemp -d)
SPEC="$WORK/bench.yaml"
python3 - "$ACCOUNTS" "$REGIONS" "$LOG_GROUPS" "$CHAIN" > "$SPEC" <<'PY'
import sys
accounts, regions, groups = (int(a) for a in sys.argv[1:4])
chain = sys.argv[4] == "chain"
all_regions = ["us-east-1", "eu-west-1", "eu-central-1", "us-west-2", "ap-southeast-2", "ap-northeast-1"]
print("version: 1\nproject: bench\ndefaults:\n  regions: [%s]\n  tags: {owner: bench}" % ", ".join(all_regions[:regions]))
print("accounts:")
for i in range(accounts):
    account = "123456789012" if i == 0 else "%012d" % (100000000000 + i)
    print(f"  - name: acct-{i}\n    id: \"{account}\"")
    if i:
        print(f"    role_arn: arn:aws:iam::{account}:role/warden")
print("log_groups:")
for g in range(groups):
    print(f"  - name: /bench/group-{g:03d}\n    retention_days: 30\n    tags: {{index: \"{g}\"}}")
if chain:
    print("  - name: /bench/invocations\n    retention_days: 1827\n    data_protection:\n"
          "      identifiers: [EmailAddress, AwsSecretKey, IpAddress]")
    print("invocation_logging:\n  cloudwatch:\n    log_group: /bench/invocations\n    role: {}\n"
          "    large_data:\n      bucket: bench-large-{account}-{region}")
PY

run() { # run LABEL args... → prints a figure line from the JSON plan/report and /usr/bin/time
    local label=$1; shift
    local out="$WORK/$label.json" timing="$WORK/$label.time"
    set +e
    /usr/bin/time -f "%e %M" -o "$timing" "$WARDEN" "$@" --format json > "$out"
    set -e
    python3 - "$label" "$out" "$timing" <<'PY'
import json, sys
label, out, timing = sys.argv[1], sys.argv[2], sys.argv[3]
data = json.load(open(out))
resources = len((data.get("plan") or data)["changes"])
calls = (data.get("report") or data.get("plan") or data)["api_calls"] if "report" in data else data["api_calls"]
secs, rss_kb = open(timing).read().split()[-2:]
ops = ", ".join(f"{o['service']}:{o['operation']}={o['calls']}" for o in calls["operations"])
print(f"{label:<14} {resources:>5} resources  {float(secs):6.2f} s  {int(rss_kb)/1024:6.1f} MiB  "
      f"{calls['total_calls']:>6} calls  {calls['total_calls']/resources:5.2f} calls/resource  "
      f"{calls['total_attempts']-calls['total_calls']} retries")
print(f"{'':<14} {ops}")
PY
}

echo "bench: $ACCOUNTS accounts × $REGIONS regions × $LOG_GROUPS log groups${CHAIN:+ + invocation-logging chain and a protected group per scope} (release build, local cloud)"
run plan-empty  plan  -f "$SPEC" --parallelism 8
run apply       apply -f "$SPEC" --auto-approve --parallelism 8
run plan-steady plan  -f "$SPEC" --parallelism 8
run drift-prune drift -f "$SPEC" --prune --parallelism 8
