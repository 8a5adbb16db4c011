#!/usr/bin/env bash
# The main job, end to end against the local cloud: build warden, start a private moto server,
# then plan → apply → clean plan → a change behind the tool's back → drift (exit 2) → repair.
#
#   scripts/demo.sh [SPEC]      (default examples/quickstart.yaml)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SPEC="${1:-examples/quickstart.yaml}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
expect_exit() { # expect_exit CODE command...
    local want=$1; shift
    set +e; "$@"; local got=$?; set -e
    if [[ $got -ne $want ]]; then
        echo "demo: expected exit $want from: $*, got $got" >&2
        exit 1
    fi
    printf '\033[2m(exit %s, as expected)\033[0m\n' "$got" >&2
}

step "Building warden"
cargo build --quiet --bin warden
WARDEN="$ROOT/target/debug/warden"

step "Starting the local cloud (moto, pinned, in .local-cloud/venv)"
ENV_FILE=$(scripts/local-cloud.sh start)
trap 'scripts/local-cloud.sh stop' EXIT
# shellcheck disable=SC1090
source "$ENV_FILE"
echo "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL" >&2
# The multi-account example reads its external ids from the environment.
export CUSTOMER_A_EXTERNAL_ID="${CUSTOMER_A_EXTERNAL_ID:-demo-external-id-a}"
export CUSTOMER_B_EXTERNAL_ID="${CUSTOMER_B_EXTERNAL_ID:-demo-external-id-b}"

step "warden validate -f $SPEC   (offline)"
"$WARDEN" validate -f "$SPEC"

step "warden plan -f $SPEC --detailed-exitcode   (2 = changes pending)"
expect_exit 2 "$WARDEN" plan -f "$SPEC" --detailed-exitcode

step "warden apply -f $SPEC --auto-approve"
"$WARDEN" apply -f "$SPEC" --auto-approve -v

step "warden plan -f $SPEC --detailed-exitcode   (0 = the accounts match the spec)"
expect_exit 0 "$WARDEN" plan -f "$SPEC" --detailed-exitcode -v

step "Each account's dashboards (the console URL on AWS; here the local cloud holds them)"
"$WARDEN" plan -f "$SPEC" --format json | "$(scripts/local-cloud.sh python)" -c '
import json, sys
from urllib.parse import quote
plan = json.load(sys.stdin)
ids = {a["name"]: a["id"] for a in plan["accounts"]}
shown = 0
for change in plan["changes"]:
    account, region, kind, name = change["address"].split("/", 3)
    if kind == "dashboard":
        shown += 1
        account_id = ids.get(account, "?")
        print(f"{account} ({account_id}): https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{quote(name)}")
if not shown:
    print("(this spec has no monitoring dashboards)")
'

step "Behind the tool's back: retention of /aws/bedrock/invocations set to 30 days with boto3"
"$(scripts/local-cloud.sh python)" - <<'PY'
import boto3
boto3.client("logs").put_retention_policy(logGroupName="/aws/bedrock/invocations", retentionInDays=30)
print("retention of /aws/bedrock/invocations is now 30 days")
PY

step "warden plan -f $SPEC --detailed-exitcode   (2 = the accounts drifted from the spec)"
expect_exit 2 "$WARDEN" plan -f "$SPEC" --detailed-exitcode

step "warden drift -f $SPEC   (the scheduled job's report: 2 = drifted)"
expect_exit 2 "$WARDEN" drift -f "$SPEC"

step "warden apply -f $SPEC --auto-approve   (repair)"
"$WARDEN" apply -f "$SPEC" --auto-approve

step "warden drift -f $SPEC   (0 = in sync again)"
expect_exit 0 "$WARDEN" drift -f "$SPEC"

step "Done: every step behaved as expected."
