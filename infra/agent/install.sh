#!/bin/sh
# Install the Status Monitor agent: a venv under /opt/statusmon-agent with ONLY the agent extra, at the versions
# and hashes of requirements/agent.txt (the lock CI tested), the config in /etc/statusmon/agent.conf (root-only:
# it holds the token), the systemd unit, enabled and started.
#
#   sudo infra/agent/install.sh --server https://monitor.example.com --token TOKEN [--docker-group]
#
# --prefix DIR   install under DIR instead of / (tests, packaging); systemctl is skipped
# --repo DIR     the checkout (or unpacked release) to install from (default: this script's repository)
# --python PY    the interpreter for the venv (default: python3, 3.10 or newer)
# --pip-args S   extra arguments for pip (e.g. "--no-index --find-links /srv/wheels" on a host without PyPI;
#                fill /srv/wheels with: pip download -d /srv/wheels -r requirements/build.txt -r requirements/agent.txt)
# --docker-group let the agent read the Docker socket (root-equivalent; see statusmon-agent.service)
set -eu

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

PREFIX="" SERVER="" TOKEN="" PYTHON="python3" PIP_ARGS="" DOCKER_GROUP=0
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="${2%/}"; shift 2 ;;
    --server) SERVER="$2"; shift 2 ;;
    --token) TOKEN="$2"; shift 2 ;;
    --repo) REPO="$2"; shift 2 ;;
    --python) PYTHON="$2"; shift 2 ;;
    --pip-args) PIP_ARGS="$2"; shift 2 ;;
    --docker-group) DOCKER_GROUP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$SERVER" ] && [ -n "$TOKEN" ] || { echo "install.sh: --server and --token are required" >&2; usage; }
case "$SERVER" in http://*|https://*) ;; *) echo "install.sh: --server must be an http(s) URL" >&2; exit 2 ;; esac
case "$TOKEN$SERVER" in *[[:space:]]*) echo "install.sh: server and token must not contain spaces" >&2; exit 2 ;; esac

VENV="$PREFIX/opt/statusmon-agent"
CONF_DIR="$PREFIX/etc/statusmon"
UNIT_DIR="$PREFIX/etc/systemd/system"

for lock in build agent; do
  [ -f "$REPO/requirements/$lock.txt" ] || { echo "install.sh: no $REPO/requirements/$lock.txt (the lock)" >&2; exit 2; }
done

echo "==> venv $VENV (requirements/agent.txt, then statusmon without dependencies)"
"$PYTHON" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip --quiet --disable-pip-version-check "$@"; }
# pip, setuptools and wheel as locked: statusmon is built with them (no build isolation, which would fetch
# whatever setuptools is newest), then the agent's dependencies, hash-checked, then statusmon itself.
# shellcheck disable=SC2086 # PIP_ARGS is a list of words on purpose
pip install $PIP_ARGS --require-hashes -r "$REPO/requirements/build.txt"
# shellcheck disable=SC2086
pip install $PIP_ARGS --require-hashes -r "$REPO/requirements/agent.txt"
# shellcheck disable=SC2086
pip install $PIP_ARGS --no-deps --no-build-isolation "$REPO"

echo "==> config $CONF_DIR/agent.conf (mode 0600: it holds the token)"
mkdir -p "$CONF_DIR"
umask 077
if [ -e "$CONF_DIR/agent.conf" ]; then cp -p "$CONF_DIR/agent.conf" "$CONF_DIR/agent.conf.bak"; fi
printf '[agent]\nserver = %s\ntoken = %s\n' "$SERVER" "$TOKEN" > "$CONF_DIR/agent.conf.tmp"
mv "$CONF_DIR/agent.conf.tmp" "$CONF_DIR/agent.conf"
umask 022

echo "==> unit $UNIT_DIR/statusmon-agent.service"
mkdir -p "$UNIT_DIR"
sed "s#/opt/statusmon-agent/#$PREFIX/opt/statusmon-agent/#; s#:/etc/statusmon/#:$PREFIX/etc/statusmon/#" \
  "$REPO/infra/agent/statusmon-agent.service" > "$UNIT_DIR/statusmon-agent.service"
if [ "$DOCKER_GROUP" = 1 ]; then
  mkdir -p "$UNIT_DIR/statusmon-agent.service.d"
  printf '[Service]\n# Read access to /var/run/docker.sock (root-equivalent).\nSupplementaryGroups=docker\n' \
    > "$UNIT_DIR/statusmon-agent.service.d/docker.conf"
fi

echo "==> checking one sample"
STATUSMON_AGENT_CONFIG="$CONF_DIR/agent.conf" STATUSMON_AGENT_COLLECTORS=cpu,memory,disks \
  "$VENV/bin/statusmon" agent --once > /dev/null

if [ -n "$PREFIX" ] || ! command -v systemctl > /dev/null 2>&1 || [ ! -d /run/systemd/system ]; then
  echo "==> not enabling the service (prefix given or no systemd); to start it by hand:"
  echo "    STATUSMON_AGENT_CONFIG=$CONF_DIR/agent.conf $VENV/bin/statusmon agent"
  exit 0
fi
systemctl daemon-reload
systemctl enable --now statusmon-agent.service
echo "==> statusmon-agent is running: journalctl -u statusmon-agent -f"
