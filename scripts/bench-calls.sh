#!/usr/bin/env bash
# What a steady-state plan costs in AWS API calls, per resource kind: for each SPEC, a fresh
# local cloud, `warden apply`, then `warden plan --format json`, and its `api_calls` printed in
# total, per operation, and per alarm and per dashboard (the operations that read them divided
# by how many the plan holds). Prints figures; asserts nothing.
#
#   scripts/bench-calls.sh [SPEC...]   (default examples/multi-account.yaml examples/event-forwarding.yaml)
#
# Environment: WARDEN_BIN (a warden binary to measure instead of building target/debug/warden),
# WARDEN_TEST_PYTHON (the local cloud's python). External ids and the Dynatrace token the
# examples reference are set to local placeholders here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ "$#" -eq 0 ]; then set -- examples/multi-account.yaml examples/event-forwarding.yaml; fi
if [ -z "${WARDEN_BIN:-}" ]; then cargo build --quiet --bin warden; WARDEN_BIN="$ROOT/target/debug/warden"; fi
PY=${WARDEN_TEST_PYTHON:-$(scripts/local-cloud.sh python)}
WORK=$(mktemp -d)
SERVER_PID=""
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi; }
trap 'stop_server; rm -rf "$WORK"' EXIT
start_server() { # a fresh local cloud; exports AWS_* for warden
  stop_server
  : > "$WORK/port"
  "$PY" tests/harness/moto_server.py --port 0 > "$WORK/port" 2> "$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do grep -q '^PORT ' "$WORK/port" && break; sleep 0.1; done
  PORT=$(sed -n 's/^PORT //p' "$WORK/port")
  [ -n "$PORT" ] || { cat "$WORK/server.log" >&2; exit 1; }
  export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
         AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
}
export CUSTOMER_A_EXTERNAL_ID=bench-external-id-a CUSTOMER_B_EXTERNAL_ID=bench-external-id-b \
       DT_BIZEVENTS_TOKEN=dt0c01.BENCHTOKEN000000000000000.benchsecret

for spec in "$@"; do
  start_server
  "$WARDEN_BIN" apply -f "$spec" --auto-approve --format json > "$WORK/apply.json" || {
    echo "$spec: apply failed (exit $?)" >&2; exit 1; }
  "$WARDEN_BIN" plan -f "$spec" --format json > "$WORK/plan.json"
  python3 - "$spec" "$WORK/plan.json" <<'PY'
import json, sys
spec, path = sys.argv[1], sys.argv[2]
plan = json.load(open(path))
changes = plan["changes"]
pending = [c for c in changes if c["action"] != "no-op"]
kinds = {}
for c in changes:
    kind = c["address"].split("/")[2]
    kinds[kind] = kinds.get(kind, 0) + 1
calls = plan["api_calls"]
ops = {(o["service"], o["operation"]): o["calls"] for o in calls["operations"]}
print(f"== {spec}: steady-state plan, {len(changes)} resources ({len(pending)} pending), "
      f"{calls['total_calls']} calls ({calls['total_calls'] / max(len(changes), 1):.2f} per resource)")
for (service, op), n in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"  {n:6d}  {service}:{op}")
alarms = kinds.get("metric_alarm", 0) + kinds.get("composite_alarm", 0)
dashboards = kinds.get("dashboard", 0)
def per(label, count, names):
    if not count:
        return
    n = sum(ops.get(k, 0) for k in names)
    print(f"  per {label}: {n} calls for {count} ({n / count:.2f} each: "
          + ", ".join(f"{op} {ops.get((s, op), 0)}" for s, op in names) + ")")
per("alarm", alarms, [("cloudwatch", "DescribeAlarms"), ("cloudwatch", "ListTagsForResource")])
per("dashboard", dashboards, [("cloudwatch", "GetDashboard")])
PY
done
