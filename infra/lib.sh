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

# pip_quiet ARGS...: pip in the venv, silent when it works, its whole output when it fails.
pip_quiet() {
  local out
  if ! out="$("$VENV/bin/python" -m pip --disable-pip-version-check "$@" 2>&1)"; then
    echo "$out" >&2; echo "pip $* failed" >&2; return 1
  fi
}

# python_env LOCK...: the venv holds requirements/LOCK.txt for each LOCK (dev, server, agent, alerting), exactly
# the versions and hashes CI tested, plus statusmon itself (editable, built with the lock's setuptools). A stamp
# in the venv skips all of it while the lock, setup.cfg and pyproject.toml are unchanged; dev.txt holds every
# other lock's pins, so a venv made for the tests serves run.sh as it is.
python_env() {
  apt_install_missing python3:python3 npm:npm node:nodejs
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || { echo "Status Monitor needs Python 3.10 or newer; python3 is $(python3 -V 2>&1)" >&2; return 1; }
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    python3 -m venv "$VENV" || { apt_install_missing "/usr/lib/python3/dist-packages/ensurepip:python3-venv" \
      && python3 -m venv "$VENV"; }
  fi
  local lock files=() stamp_file="$VENV/.statusmon-lock" want have=() had
  for lock in "$@"; do files+=(-r "$ROOT/requirements/$lock.txt"); done
  want="$(cat "$ROOT"/requirements/*.txt "$ROOT/setup.cfg" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp_file" ] && [ "$(head -n 1 "$stamp_file")" = "$want" ]; then
    read -r -a have <<< "$(sed -n 2p "$stamp_file")"
  fi
  local missing=()
  for lock in "$@"; do
    had=0; for h in "${have[@]}"; do [ "$h" = "$lock" ] || [ "$h" = dev ] && had=1; done
    [ "$had" = 1 ] || missing+=("$lock")
  done
  if [ ${#missing[@]} -eq 0 ] && "$VENV/bin/python" -c "import statusmon" 2>/dev/null; then
    echo "==> Python packages: as locked in requirements/ ($*), already installed"
    return 0
  fi
  echo "==> installing Python packages from the lock: requirements/{build,$(IFS=,; echo "$*")}.txt"
  pip_quiet install -q --require-hashes -r "$ROOT/requirements/build.txt"
  pip_quiet install -q --require-hashes "${files[@]}"
  pip_quiet install -q --no-deps --no-build-isolation -e "$ROOT"
  "$VENV/bin/python" -c "import statusmon" || { echo "statusmon does not import from $VENV" >&2; return 1; }
  printf '%s\n%s\n' "$want" "${have[*]} $*" > "$stamp_file"
}

# build_dashboard: npm ci only when package-lock.json changed since the last one (a stamp in node_modules), and
# the esbuild bundle only when a source is newer than api/static/index.html.
build_dashboard() {
  local web="$ROOT/dashboards/web" out="$ROOT/api/static/index.html" want
  [ -f "$web/package.json" ] || { echo "==> no dashboard source yet"; return 0; }
  if [ -f "$web/package-lock.json" ]; then
    want="$(sha256sum < "$web/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$web/node_modules/.statusmon-lock" 2>/dev/null)" != "$want" ]; then
      echo "==> dashboard: npm ci"
      npm --prefix "$web" ci --no-audit --no-fund --loglevel=error
      echo "$want" > "$web/node_modules/.statusmon-lock"
    fi
  else
    npm --prefix "$web" install --no-audit --no-fund --loglevel=error
  fi
  if [ -f "$out" ] && [ -z "$(find "$web" \( -name node_modules -o -name .test-build \) -prune -o -type f \
      -newer "$out" -print -quit)" ]; then
    echo "==> dashboard: api/static is up to date"
    return 0
  fi
  echo "==> building the dashboard"
  npm --prefix "$web" run build
}
