#!/bin/sh
# Install the Status Monitor agent: a venv /opt/statusmon-agent/releases/<version> with ONLY the agent extra, at the
# versions and hashes of requirements/agent.txt (the lock CI tested), /opt/statusmon-agent/current pointing at it,
# the config in /etc/statusmon/agent.conf (root-only: it holds the token), the systemd unit, enabled and started;
# with --root-metadata, the pinned TUF root and the daily update timer too. An install in the old flat layout
# (a venv directly in /opt/statusmon-agent) is migrated.
#
#   sudo infra/agent/install.sh --server https://monitor.example.com --token TOKEN [--root-metadata root.json]
#        [--label env=prod --label role=gpu ...]
#
# --label K=V    a label of this host (repeatable), written to the config and sent with every report; keys:
#                a-z 0-9 _ . - (a letter first), values: A-Z a-z 0-9 _ . - : / (1-63 characters each)
# --prefix DIR   install under DIR instead of / (tests, packaging); systemctl is skipped
# --repo DIR     the checkout (or unpacked release) to install from (default: this script's repository)
# --python PY    the interpreter for the venv (default: python3, 3.10 or newer)
# --pip-args S   extra arguments for pip (e.g. "--no-index --find-links /srv/wheels" on a host without PyPI;
#                fill /srv/wheels with: pip download -d /srv/wheels -r requirements/build.txt -r requirements/agent.txt)
# --docker-group let the agent read the Docker socket (root-equivalent; see statusmon-agent.service)
# --root-metadata FILE  the release repository's metadata/root.json, obtained out of band (the trust anchor of
#                agent updates: README, "Agent updates"); installs statusmon-agent-update.timer. Without it the
#                host is not updated automatically.
set -eu

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

PREFIX="" SERVER="" TOKEN="" PYTHON="python3" PIP_ARGS="" DOCKER_GROUP=0 ROOT_METADATA="" LABELS=""
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
    --root-metadata) ROOT_METADATA="$2"; shift 2 ;;
    --label)
      # The rule of statusmon/labels.py, checked here too so that a typo fails before anything is installed.
      printf '%s\n' "$2" | grep -Eqx '[a-z][a-z0-9_.-]{0,62}=[A-Za-z0-9][A-Za-z0-9_.:/-]{0,62}' || {
        echo "install.sh: --label must be key=value (key: a-z 0-9 _ . -, a letter first; value: A-Z a-z 0-9 _ . - : /; 1-63 characters each), got '$2'" >&2
        exit 2; }
      case ",$LABELS," in *",${2%%=*}="*) echo "install.sh: label ${2%%=*} given twice" >&2; exit 2 ;; esac
      LABELS="${LABELS:+$LABELS,}$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$SERVER" ] && [ -n "$TOKEN" ] || { echo "install.sh: --server and --token are required" >&2; usage; }
case "$SERVER" in http://*|https://*) ;; *) echo "install.sh: --server must be an http(s) URL" >&2; exit 2 ;; esac
case "$TOKEN$SERVER" in *[[:space:]]*) echo "install.sh: server and token must not contain spaces" >&2; exit 2 ;; esac

[ -z "$ROOT_METADATA" ] || [ -f "$ROOT_METADATA" ] || { echo "install.sh: no $ROOT_METADATA" >&2; exit 2; }
VERSION="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$REPO/statusmon/__init__.py")"
[ -n "$VERSION" ] || { echo "install.sh: cannot read the version from $REPO/statusmon/__init__.py" >&2; exit 2; }
INSTALL_ROOT="$PREFIX/opt/statusmon-agent"
VENV="$INSTALL_ROOT/releases/$VERSION"
CONF_DIR="$PREFIX/etc/statusmon"
UNIT_DIR="$PREFIX/etc/systemd/system"

for lock in build agent; do
  [ -f "$REPO/requirements/$lock.txt" ] || { echo "install.sh: no $REPO/requirements/$lock.txt (the lock)" >&2; exit 2; }
done

echo "==> venv $VENV (requirements/agent.txt, then statusmon without dependencies)"
mkdir -p "$INSTALL_ROOT/releases"
rm -rf "$VENV"
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
echo "$VERSION" > "$VENV/.statusmon-release-complete"  # what agent/update/updater.py checks a release by

echo "==> $INSTALL_ROOT/current -> releases/$VERSION"
ln -sfn "releases/$VERSION" "$INSTALL_ROOT/.current.tmp"
mv -Tf "$INSTALL_ROOT/.current.tmp" "$INSTALL_ROOT/current"  # one rename: the service sees old or new
if [ -f "$INSTALL_ROOT/pyvenv.cfg" ]; then
  echo "==> migrating the old layout: removing the flat venv in $INSTALL_ROOT"
  rm -rf "$INSTALL_ROOT/bin" "$INSTALL_ROOT/lib" "$INSTALL_ROOT/lib64" "$INSTALL_ROOT/include" \
    "$INSTALL_ROOT/share" "$INSTALL_ROOT/pyvenv.cfg"
fi
if [ -n "$ROOT_METADATA" ]; then
  echo "==> pinned TUF root $INSTALL_ROOT/trusted/root.json"
  mkdir -p "$INSTALL_ROOT/trusted"
  cp "$ROOT_METADATA" "$INSTALL_ROOT/trusted/root.json"
  rm -rf "$INSTALL_ROOT/state/tuf"  # a new trust anchor: forget metadata verified under the old one
fi

echo "==> config $CONF_DIR/agent.conf (mode 0600: it holds the token)"
mkdir -p "$CONF_DIR"
umask 077
if [ -e "$CONF_DIR/agent.conf" ]; then cp -p "$CONF_DIR/agent.conf" "$CONF_DIR/agent.conf.bak"; fi
printf '[agent]\nserver = %s\ntoken = %s\n' "$SERVER" "$TOKEN" > "$CONF_DIR/agent.conf.tmp"
if [ -n "$LABELS" ]; then printf 'labels = %s\n' "$LABELS" >> "$CONF_DIR/agent.conf.tmp"; fi
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

if [ -n "$ROOT_METADATA" ]; then
  for unit in statusmon-agent-update.service statusmon-agent-update.timer; do
    echo "==> unit $UNIT_DIR/$unit"
    sed "s#/opt/statusmon-agent/#$PREFIX/opt/statusmon-agent/#; s#/opt/statusmon-agent\$#$PREFIX/opt/statusmon-agent#; s#:/etc/statusmon/#:$PREFIX/etc/statusmon/#" \
      "$REPO/infra/agent/$unit" > "$UNIT_DIR/$unit"
  done
fi

echo "==> checking one sample"
STATUSMON_AGENT_CONFIG="$CONF_DIR/agent.conf" STATUSMON_AGENT_COLLECTORS=cpu,memory,disks \
  "$INSTALL_ROOT/current/bin/statusmon" agent --once > /dev/null

if [ -n "$PREFIX" ] || ! command -v systemctl > /dev/null 2>&1 || [ ! -d /run/systemd/system ]; then
  echo "==> not enabling the service (prefix given or no systemd); to start it by hand:"
  echo "    STATUSMON_AGENT_CONFIG=$CONF_DIR/agent.conf $INSTALL_ROOT/current/bin/statusmon agent"
  exit 0
fi
systemctl daemon-reload
systemctl enable statusmon-agent.service
systemctl restart statusmon-agent.service  # a migrated install runs the new layout from now on
if [ -n "$ROOT_METADATA" ]; then
  systemctl enable --now statusmon-agent-update.timer
fi
echo "==> statusmon-agent is running: journalctl -u statusmon-agent -f"
