#!/usr/bin/env bash
# Runs the product on this machine: the API and dashboard (SQLite by default), the alerting worker and a local
# agent, each logging to $STATUSMON_DATA_DIR/logs/. Data lives in ./data (STATUSMON_DATA_DIR overrides), the
# address is 127.0.0.1:8080 (STATUSMON_BIND). It says "running" once /healthz answers and the alerting worker
# has finished a cycle. When one of the three dies, it stops the others, prints the end of that one's log and
# exits non-zero; Ctrl-C stops all three. Run it again on the same data: same password, same client.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

python_env server agent alerting
build_dashboard

export STATUSMON_DATA_DIR="${STATUSMON_DATA_DIR:-$ROOT/data}"
export STATUSMON_BIND="${STATUSMON_BIND:-127.0.0.1:8080}"
mkdir -p "$STATUSMON_DATA_DIR/logs"
STATUSMON_DATA_DIR="$(cd "$STATUSMON_DATA_DIR" && pwd)"
LOGS="$STATUSMON_DATA_DIR/logs"
START_TIMEOUT="${STATUSMON_START_TIMEOUT:-60}"
SM="$VENV/bin/statusmon"
PY="$VENV/bin/python"

# -- first start: the admin password and this machine's client (both kept for the next start) ------------------
password_file="$STATUSMON_DATA_DIR/admin-password.txt"
if [ -z "${STATUSMON_ADMIN_PASSWORD:-}" ] && [ ! -s "$password_file" ]; then
  (umask 077; "$PY" -c "import secrets; print(secrets.token_urlsafe(12))" > "$password_file.new")
  "$SM" admin set-password --password-stdin < "$password_file.new" >/dev/null
  mv "$password_file.new" "$password_file"  # only once it is the password: a failed start leaves none behind
fi

host="$("$PY" -c 'import socket; print(socket.gethostname().split(".")[0] or "localhost")')"
token_file="$STATUSMON_DATA_DIR/local-agent.token"
client_id="$("$SM" client list --json | "$PY" -c '
import json, sys
print(next((c["id"] for c in json.load(sys.stdin) if c["hostname"] == sys.argv[1]), ""))' "$host")"
new_token() { awk '/^(new )?token:/ {print $NF}' | (umask 077; cat > "$token_file.new") && mv "$token_file.new" "$token_file"; }
if [ -z "$client_id" ]; then
  echo "==> registering this machine as client $host"
  "$SM" client add "$host" | new_token
elif [ ! -s "$token_file" ]; then  # the client exists but its token is lost: a new token, not a second client
  echo "==> client $host exists but $token_file is missing: rotating its token"
  "$SM" client rotate-token "$client_id" | new_token
fi
[ -s "$token_file" ] || { echo "could not get an agent token for $host" >&2; exit 1; }

# -- the processes ---------------------------------------------------------------------------------------------
names=() pids=() stopping=0
start() {  # start NAME CMD...: in its own session (so stopping it stops whatever it forked), logging to LOGS
  local name="$1"; shift
  echo "==> starting statusmon $name (log: $LOGS/$name.log)"
  setsid "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
  names+=("$name"); pids+=($!)
}
stop_all() {  # TERM to every process group still there; KILL after 20 s
  local pid i
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for i in $(seq 200); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
died() {  # died I: process I ended: stop the rest, show why, exit non-zero
  local rc=0
  wait "${pids[$1]}" 2>/dev/null || rc=$?
  echo >&2
  echo "==> statusmon ${names[$1]} stopped (exit status $rc); stopping the others." \
    "Last lines of $LOGS/${names[$1]}.log:" >&2
  tail -n 30 "$LOGS/${names[$1]}.log" >&2
  stop_all
  trap - EXIT
  exit 1
}
check_alive() {  # exits through died() when a process is gone
  local i
  for i in "${!pids[@]}"; do kill -0 "${pids[$i]}" 2>/dev/null || died "$i"; done
}
on_signal() { stopping=1; echo; echo "==> stopping"; stop_all; trap - EXIT; exit 0; }
trap on_signal INT TERM
trap stop_all EXIT

healthz() {
  "$PY" - "$STATUSMON_BIND" <<'EOF'
import sys, urllib.request
port = sys.argv[1].rsplit(":", 1)[-1]
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
        sys.exit(0 if resp.status == 200 else 1)
except OSError:
    sys.exit(1)
EOF
}
worker_cycled_since() {  # the alerting worker's heartbeat says a cycle that began at or after $1 succeeded
  "$PY" - "$STATUSMON_DATA_DIR/meta.db" "$1" <<'EOF'
import sqlite3, sys
try:
    conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=2)
    row = conn.execute("SELECT last_cycle_at, last_error FROM alert_worker WHERE id = 1").fetchone()
except sqlite3.Error:
    sys.exit(1)
sys.exit(0 if row and row[0] is not None and float(row[0]) >= float(sys.argv[2]) and not row[1] else 1)
EOF
}
wait_for() {  # wait_for WHAT CHECK...: until CHECK passes, a process dies (exit) or START_TIMEOUT passes (exit)
  local what="$1" deadline=$((SECONDS + START_TIMEOUT)); shift
  until "$@"; do
    check_alive
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "==> no $what after $START_TIMEOUT s; stopping. Logs in $LOGS" >&2
      for name in "${names[@]}"; do echo "--- $name.log" >&2; tail -n 30 "$LOGS/$name.log" >&2; done
      stop_all; trap - EXIT; exit 1
    fi
    sleep 0.2
  done
}

start server "$SM" server
wait_for "answer on http://$STATUSMON_BIND/healthz" healthz
since="$(date +%s)"
start alerting "$SM" alerting
start agent env STATUSMON_AGENT_SERVER="http://$STATUSMON_BIND" STATUSMON_AGENT_TOKEN="$(cat "$token_file")" \
  STATUSMON_AGENT_SPOOL_DIR="$STATUSMON_DATA_DIR/agent-spool" "$SM" agent
wait_for "finished cycle of the alerting worker" worker_cycled_since "$since"
check_alive

echo
echo "  Status Monitor is running: http://$STATUSMON_BIND/   ($SECONDS s after ./infra/run.sh started)"
if [ -n "${STATUSMON_ADMIN_PASSWORD:-}" ]; then echo "  admin password: the one in STATUSMON_ADMIN_PASSWORD"
else echo "  admin password: $(cat "$password_file")  (in $password_file)"; fi
echo "  the server, the alerting worker and a local agent ($host, reporting every 10 s); logs in $LOGS/"
echo "  Ctrl-C stops all three"
echo
while :; do
  wait -n 2>/dev/null || true  # returns when a process ends (or a signal's trap ran)
  [ "$stopping" = 1 ] && exit 0
  check_alive
done
