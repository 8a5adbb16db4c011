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
# The same four runs (plan against empty accounts, apply, steady-state plan, drift --prune) go
# first against the plain local cloud, then against a fresh one with AWS-like latency and quotas
# (tests/harness/moto_pace.py): wall time, peak RSS, calls, retries (warden's retried attempts),
# throttled calls (as the local cloud counted them) and the ratio of wall time to the floor.
# Environment: WARDEN_BENCH_PROFILE=release|debug, WARDEN_BENCH_LATENCY (ms, default 50),
# WARDEN_BENCH_PARALLELISM (default 8), WARDEN_TEST_PYTHON (the local cloud's python).
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
PROFILE=${WARDEN_BENCH_PROFILE:-release}     # debug: skip the ~15 min release build (times differ, calls do not)
LATENCY=${WARDEN_BENCH_LATENCY:-50}          # ms per request in the AWS-like run
PARALLELISM=${WARDEN_BENCH_PARALLELISM:-8}   # --parallelism of every run

if [ "$PROFILE" = release ]; then cargo build --quiet --release --bin warden; else cargo build --quiet --bin warden; fi
WARDEN="$ROOT/target/$PROFILE/warden"
PY=${WARDEN_TEST_PYTHON:-$(scripts/local-cloud.sh python)}
WORK=$(mktemp -d)
SERVER_PID=""
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi; }
trap 'stop_server; rm -rf "$WORK"' EXIT
start_server() { # start_server [ENV=VALUE...]: a fresh local cloud; exports AWS_* for warden
  stop_server
  : > "$WORK/port"
  env "$@" "$PY" tests/harness/moto_server.py --port 0 > "$WORK/port" 2> "$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do grep -q '^PORT ' "$WORK/port" && break; sleep 0.1; done
  PORT=$(sed -n 's/^PORT //p' "$WORK/port")
  [ -n "$PORT" ] || { cat "$WORK/server.log" >&2; exit 1; }
  export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
         AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
}

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

# run LABEL LATENCY_MS args...: one figure line from the JSON plan/report, /usr/bin/time and the
# local cloud's throttling counts. The floor is the issue's "physical floor": the longer of the
# longest chain of dependent calls × the latency, and, for the busiest account-region, its calls
# of an operation ÷ that operation's quota (src/cloud/quotas.txt), over all operations.
run() {
    local label=$1 latency=$2; shift 2
    local out="$WORK/$label.json" timing="$WORK/$label.time"
    curl -s "$AWS_ENDPOINT_URL/moto-api/warden/pace" > "$WORK/pace-before.json"
    set +e
    /usr/bin/time -f "%e %M" -o "$timing" "$WARDEN" "$@" --parallelism "$PARALLELISM" --format json > "$out"
    set -e
    curl -s "$AWS_ENDPOINT_URL/moto-api/warden/pace" > "$WORK/pace-after.json"
    python3 - "$label" "$out" "$timing" "$latency" "$ACCOUNTS" "$REGIONS" "$LOG_GROUPS" "$WORK" "$ROOT/src/cloud/quotas.txt" <<'PY'
import json, math, sys
label, out, timing, latency, accounts, regions, groups, work, quotas_file = sys.argv[1:10]
latency, accounts, regions, groups = float(latency) / 1000, int(accounts), int(regions), int(groups)
data = json.load(open(out))
resources = len((data.get("plan") or data)["changes"])
calls = data["report"]["api_calls"] if "report" in data else data["api_calls"]
secs, rss_kb = open(timing).read().split()[-2:]
secs = float(secs)
before, after = (json.load(open(f"{work}/pace-{w}.json")) for w in ("before", "after"))
throttled = sum(after["throttled"].values()) - sum(before["throttled"].values())
quotas = {}
for line in open(quotas_file):
    words = line.split()
    if words and not line.startswith("#"):
        quotas[words[0]] = float(words[1])
scopes = accounts * regions
# Longest chain of dependent calls per scope (the engine reads scopes and notes concurrently):
# credentials → DescribeLogGroups pages → tagging pages; an apply adds the lease (look, group
# the first time, stream, record), create → retention, the verifying re-read and the release.
describe = math.ceil((groups + 1) / 50)
chain = {"plan-empty": 1 + describe, "plan-steady": 1 + describe + 1, "drift-prune": 1 + describe + 1,
         "apply": 5 + 1 + describe + 2 + describe + 1 + 1}[label.split(":")[-1]]
per_scope = 0.0
for op in calls["operations"]:
    key = f"{op['service']}:{op['operation']}"
    if key in quotas:
        share = accounts if op["service"] in ("sts", "iam") else scopes
        per_scope = max(per_scope, op["calls"] / share / quotas[key])
floor = max(chain * latency, per_scope) if latency > 0 else 0  # the plain run has no physical floor
ops = ", ".join(f"{o['service']}:{o['operation']}={o['calls']}" for o in calls["operations"])
ratio = f"{secs / floor:5.1f}x" if floor > 0 else "    -"
print(f"{label:<17} {resources:>6} res  {secs:7.2f} s  {int(rss_kb)/1024:6.1f} MiB  {calls['total_calls']:>6} calls "
      f"({calls['total_calls']/resources:4.2f}/res)  {calls['total_attempts']-calls['total_calls']:>4} retries  "
      f"{throttled:>4} throttled  floor {floor:6.2f} s  {ratio}")
print(f"{'':<17} {ops}")
PY
}

both() { # both MODE LATENCY: the four runs on a fresh local cloud
    local mode=$1 latency=$2
    run "$mode:plan-empty"  "$latency" plan  -f "$SPEC"
    run "$mode:apply"       "$latency" apply -f "$SPEC" --auto-approve
    run "$mode:plan-steady" "$latency" plan  -f "$SPEC"
    run "$mode:drift-prune" "$latency" drift -f "$SPEC" --prune
}

echo "bench: $ACCOUNTS accounts × $REGIONS regions × $LOG_GROUPS log groups${CHAIN:+ + invocation-logging chain and a protected group per scope} ($PROFILE build, --parallelism $PARALLELISM)"
start_server
echo "plain local cloud (no latency, no quotas):"
both plain 0
start_server WARDEN_MOTO_LATENCY="$LATENCY" WARDEN_MOTO_QUOTAS=aws
echo "AWS-like: ${LATENCY} ms per request, documented quotas per account, region and operation:"
both aws "$LATENCY"
