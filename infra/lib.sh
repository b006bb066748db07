# Shared by infra/run.sh and infra/test.sh: install what the project needs on a fresh Debian/Ubuntu machine.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${STATUSMON_VENV:-$ROOT/.venv}"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}

# apt_install_missing CMD:PACKAGE ...: installs PACKAGE when CMD is not found.
apt_install_missing() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "${pair%%:*}" ] || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "missing ${missing[*]} and no apt-get: install them by hand" >&2; return 1
  fi
  echo "==> installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python_env() {  # python_env EXTRAS
  apt_install_missing python3:python3 npm:npm node:nodejs
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    python3 -m venv "$VENV" || { apt_install_missing "/usr/lib/python3/dist-packages/ensurepip:python3-venv" \
      && python3 -m venv "$VENV"; }
  fi
  echo "==> installing Python packages ($1)"
  "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v -i "warning" || true
  "$VENV/bin/python" -m pip install -q -e "$ROOT[$1]" 2>&1 | grep -v -i "warning" || true
  "$VENV/bin/python" -c "import statusmon" || { echo "pip install failed" >&2; return 1; }
}

build_dashboard() {
  local web="$ROOT/dashboards/web"
  [ -f "$web/package.json" ] || { echo "==> no dashboard source yet"; return 0; }
  echo "==> building the dashboard"
  if [ -f "$web/package-lock.json" ]; then npm --prefix "$web" ci --no-audit --no-fund --loglevel=error
  else npm --prefix "$web" install --no-audit --no-fund --loglevel=error; fi
  npm --prefix "$web" run build
}
