#!/usr/bin/env bash
# Local cloud for bedrock-warden's tests: a moto server (extended by
# tests/harness/moto_ext.py) on a free loopback port.
#
#   scripts/local-cloud.sh install   create .local-cloud/venv with tests/harness/requirements.txt
#   scripts/local-cloud.sh start     install if needed, start the server in the background,
#                                    print the path of the env file to source
#   scripts/local-cloud.sh stop      stop the server (idempotent)
#   scripts/local-cloud.sh status    say whether the server runs (exit 0) or not (exit 3)
#   scripts/local-cloud.sh python    install if needed, print the venv's python
#
# Everything lives under <repo>/.local-cloud/: venv/, server.pid, server.log, env.
# Diagnostics go to stderr; stdout carries only the printed path.
# Environment: LOCAL_CLOUD_PYTHON (base interpreter for the venv, default python3),
# LOCAL_CLOUD_PORT (default 0 = any free port), LOCAL_CLOUD_START_TIMEOUT (s, default 60),
# WARDEN_MOTO_FAULTS (passed to the server, see tests/harness/README.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$ROOT/.local-cloud"
VENV="$STATE_DIR/venv"
VENV_PY="$VENV/bin/python"
REQUIREMENTS="$ROOT/tests/harness/requirements.txt"
LAUNCHER="$ROOT/tests/harness/moto_server.py"
STAMP="$VENV/.requirements.sha256"
PID_FILE="$STATE_DIR/server.pid"
LOG_FILE="$STATE_DIR/server.log"
PORT_FILE="$STATE_DIR/server.port"
ENV_FILE="$STATE_DIR/env"
BASE_PYTHON="${LOCAL_CLOUD_PYTHON:-python3}"
START_TIMEOUT="${LOCAL_CLOUD_START_TIMEOUT:-60}"

log() { printf 'local-cloud: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

requirements_hash() { sha256sum "$REQUIREMENTS" | cut -d' ' -f1; }

is_installed() {
    [[ -x "$VENV_PY" && -f "$STAMP" ]] &&
        [[ "$(cat "$STAMP")" == "$(requirements_hash)" ]] &&
        "$VENV_PY" -c '' 2>/dev/null
}

with_lock() { # run "$@" holding .local-cloud/lock (concurrent test processes may call us)
    mkdir -p "$STATE_DIR"
    if command -v flock >/dev/null 2>&1; then
        (
            flock 9
            "$@"
        ) 9>"$STATE_DIR/lock"
    else
        "$@"
    fi
}

do_install() {
    if is_installed; then
        log "venv up to date: $VENV"
        return 0
    fi
    command -v "$BASE_PYTHON" >/dev/null 2>&1 || die "$BASE_PYTHON not found (set LOCAL_CLOUD_PYTHON)"
    if [[ ! -x "$VENV_PY" ]] || ! "$VENV_PY" -c '' 2>/dev/null; then
        log "creating venv $VENV with $BASE_PYTHON"
        rm -rf "$VENV"
        "$BASE_PYTHON" -m venv "$VENV" >&2
    fi
    rm -f "$STAMP"
    log "pip install -r ${REQUIREMENTS#"$ROOT"/} (this takes about a minute)"
    "$VENV_PY" -m pip install --disable-pip-version-check --quiet -r "$REQUIREMENTS" >&2
    local version
    version="$("$VENV_PY" -c 'import moto, flask, werkzeug; print(moto.__version__)')" ||
        die "moto does not import in $VENV"
    requirements_hash >"$STAMP.tmp" && mv "$STAMP.tmp" "$STAMP"
    log "installed moto $version in $VENV"
}

install() { with_lock do_install; }

server_pid() { # the pid of our running server, or nothing
    [[ -f "$PID_FILE" ]] || return 0
    local pid
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    # Guard against pid reuse: it must still be our launcher.
    local args
    if [[ -r "/proc/$pid/cmdline" ]]; then
        args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    else
        args="$(ps -p "$pid" -o args= 2>/dev/null || true)"
    fi
    [[ "$args" == *tests/harness/moto_server.py* ]] || return 0
    echo "$pid"
}

server_port() { # the port the launcher reported, or nothing
    [[ -f "$PORT_FILE" ]] || return 0
    sed -n 's/^PORT \([0-9][0-9]*\)$/\1/p' "$PORT_FILE" | head -n1 || true
}

answers() { # answers PORT: true once the server replies to HTTP
    "$VENV_PY" - "$1" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/data.json", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
}

do_start() {
    local pid port
    pid="$(server_pid)"
    if [[ -n "$pid" && -f "$ENV_FILE" ]]; then
        port="$(server_port)"
        if [[ -n "$port" ]] && answers "$port"; then
            log "already running (pid $pid, port $port)"
            echo "$ENV_FILE"
            return 0
        fi
    fi
    do_stop
    : >"$LOG_FILE"
    : >"$PORT_FILE" # exists before the background job opens it: no race with server_port
    log "starting moto server (log: ${LOG_FILE#"$ROOT"/})"
    nohup "$VENV_PY" "$LAUNCHER" --host 127.0.0.1 --port "${LOCAL_CLOUD_PORT:-0}" \
        </dev/null >"$PORT_FILE" 2>>"$LOG_FILE" 9>&- &
    pid=$!
    echo "$pid" >"$PID_FILE"

    local deadline=$((SECONDS + START_TIMEOUT))
    port=""
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            tail -n 20 "$LOG_FILE" >&2 || true
            die "server exited during startup (see $LOG_FILE)"
        fi
        [[ -n "$port" ]] || port="$(server_port)"
        if [[ -n "$port" ]] && answers "$port"; then
            break
        fi
        if ((SECONDS >= deadline)); then
            do_stop
            die "server did not answer within ${START_TIMEOUT}s (see $LOG_FILE)"
        fi
        sleep 0.2
    done

    cat >"$ENV_FILE.tmp" <<EOF
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
EOF
    mv "$ENV_FILE.tmp" "$ENV_FILE"
    log "moto server running (pid $pid) at http://127.0.0.1:$port"
    echo "$ENV_FILE"
}

do_stop() {
    local pid
    pid="$(server_pid)"
    if [[ -n "$pid" ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        local i
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        log "stopped moto server (pid $pid)"
    fi
    rm -f "$PID_FILE" "$ENV_FILE" "$PORT_FILE"
}

cmd="${1:-}"
case "$cmd" in
install)
    install
    ;;
start)
    install
    with_lock do_start
    ;;
stop)
    with_lock do_stop
    ;;
status)
    pid="$(server_pid)"
    if [[ -n "$pid" ]]; then
        log "running (pid $pid, port $(server_port)); env: $ENV_FILE"
    else
        log "not running"
        exit 3
    fi
    ;;
python)
    install
    echo "$VENV_PY"
    ;;
*)
    sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed -n 's/^# \{0,1\}//p' >&2
    exit 2
    ;;
esac
