#!/usr/bin/env bash
# How long plans are for a reader: line counts of the first plan (accounts empty) of
# examples/multi-account.yaml and of a generated spec of the same shape over ACCOUNTS accounts
# (default 200; two regions each, every 50th account with a longer retention), in text and
# Markdown (and with --summary where warden has it), against a private local cloud.
#
#   scripts/plan-lines.sh [ACCOUNTS]
#
# Prints figures; asserts nothing. Used for the README's "Output" figures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ACCOUNTS=${1:-200}

cargo build --quiet --bin warden
WARDEN="$ROOT/target/debug/warden"
ENV_FILE=$(scripts/local-cloud.sh start)
trap 'scripts/local-cloud.sh stop' EXIT
# shellcheck disable=SC1090
source "$ENV_FILE"
export CUSTOMER_A_EXTERNAL_ID=demo-external-id-a CUSTOMER_B_EXTERNAL_ID=demo-external-id-b NO_COLOR=1

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; scripts/local-cloud.sh stop' EXIT
GENERATED="$WORK/accounts-$ACCOUNTS.yaml"
python3 - "$ACCOUNTS" > "$GENERATED" <<'PY'
import re, sys
n = int(sys.argv[1])
example = open("examples/multi-account.yaml").read()
# The example's baseline (everything from `log_groups:` on), with generated accounts before it.
baseline = example[example.index("\nlog_groups:") + 1:]
print("version: 1\nproject: ai-governance\ndefaults:\n  regions: [us-east-1, eu-west-1]\n"
      "  tags: {owner: platform-security}\naccounts:")
for i in range(n):
    account = "123456789012" if i == 0 else "%012d" % (300000000000 + i)
    print(f"  - name: acct-{i:03d}\n    id: \"{account}\"")
    if i:
        print(f"    role_arn: arn:aws:iam::{account}:role/bedrock-warden")
    if i and i % 50 == 0:
        print("    overrides:\n      - log_groups:\n          - name: /aws/bedrock/invocations\n"
              "            retention_days: 3653")
print(baseline)
PY

lines() { # lines LABEL SPEC args...
    local label=$1 spec=$2; shift 2
    local n
    n=$("$WARDEN" plan -f "$spec" "$@" | wc -l)
    printf '%-60s %8s lines\n' "$label" "$n"
}
for spec in examples/multi-account.yaml "$GENERATED"; do
    name=$(basename "$spec")
    lines "$name: plan (text)" "$spec"
    lines "$name: plan -v (text)" "$spec" -v
    lines "$name: plan --format markdown" "$spec" --format markdown
    if "$WARDEN" plan --help | grep -q -- '--summary'; then
        lines "$name: plan --summary" "$spec" --summary
    fi
done
