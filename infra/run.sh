#!/usr/bin/env bash
# Runs the product on this machine: the API with the SQLite default, the dashboard and a local agent.
# Data lives in ./data (STATUSMON_DATA_DIR overrides). Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

python_env "server,agent,alerting"
build_dashboard

export STATUSMON_DATA_DIR="${STATUSMON_DATA_DIR:-$ROOT/data}"
export STATUSMON_BIND="${STATUSMON_BIND:-127.0.0.1:8080}"
mkdir -p "$STATUSMON_DATA_DIR"
SM="$VENV/bin/statusmon"

password_file="$STATUSMON_DATA_DIR/admin-password.txt"
if [ -z "${STATUSMON_ADMIN_PASSWORD:-}" ] && [ ! -f "$password_file" ]; then
  umask 077
  "$VENV/bin/python" -c "import secrets; print(secrets.token_urlsafe(12))" > "$password_file"
  "$SM" admin set-password --password-stdin < "$password_file" >/dev/null
fi

token_file="$STATUSMON_DATA_DIR/local-agent.token"
if [ ! -s "$token_file" ]; then
  host="$(hostname -s 2>/dev/null || echo localhost)"
  "$SM" client add "$host" | awk '/^token:/ {print $2}' > "$token_file" \
    || "$SM" client add "$host-local" | awk '/^token:/ {print $2}' > "$token_file"
fi

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
"$SM" server & pids+=($!)
for _ in $(seq 50); do curl -fs "http://$STATUSMON_BIND/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

STATUSMON_AGENT_SERVER="http://$STATUSMON_BIND" STATUSMON_AGENT_TOKEN="$(cat "$token_file")" \
  STATUSMON_AGENT_SPOOL_DIR="$STATUSMON_DATA_DIR/agent-spool" "$SM" agent & pids+=($!)

echo
echo "  Status Monitor is running: http://$STATUSMON_BIND/"
if [ -f "$password_file" ]; then echo "  admin password: $(cat "$password_file")  (in $password_file)"; fi
echo "  a local agent reports every 10 s; Ctrl-C stops both"
echo
wait -n "${pids[@]}"
