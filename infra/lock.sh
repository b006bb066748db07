#!/usr/bin/env bash
# Regenerates the dependency lock, requirements/*.txt, from setup.cfg (and pyproject.toml's build requirements):
# exact versions with sha256 hashes, for every Python setup.cfg allows (3.10+) and every platform (environment markers kept).
#
#   infra/lock.sh             after editing setup.cfg: keeps every pin setup.cfg still allows, adds/removes the rest
#   infra/lock.sh --upgrade   moves every pin to the newest version setup.cfg allows (then run ./infra/test.sh)
#
# requirements/dev.txt      server + agent + alerting + release + dev, resolved first: the test suite's environment
# requirements/server.txt   the server extra alone;  agent.txt, alerting.txt, release.txt: the same for those.
#                           Each is constrained by dev.txt, so they share its pins and install together.
# requirements/build.txt    pip, setuptools and wheel: what installs statusmon itself (--no-build-isolation)
#
# The resolver is uv (pinned below; installed into .tools/ when this exact version is not on PATH), because its
# --universal resolution keeps environment markers: pip-tools resolves for the running interpreter only.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
UV_VERSION=0.13.9
PYTHON_FLOOR=3.10  # setup.cfg's python_requires

upgrade=()
case "${1:-}" in
  "") ;;
  --upgrade) upgrade=(--upgrade) ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

uv="$(command -v uv || true)"
if [ -z "$uv" ] || [ "$("$uv" --version | awk '{print $2}')" != "$UV_VERSION" ]; then
  uv="$ROOT/.tools/uv/bin/uv"
  if [ ! -x "$uv" ] || [ "$("$uv" --version | awk '{print $2}')" != "$UV_VERSION" ]; then
    echo "==> installing uv $UV_VERSION into .tools/uv"
    python3 -m venv "$ROOT/.tools/uv"
    "$ROOT/.tools/uv/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
  fi
fi

stamp="$(python3 infra/lockstamp.py stamp)"
mkdir -p requirements

compile() {  # compile OUTPUT UV-ARGS...: one lock file, with the stamp on its first line
  local out="$1"; shift
  echo "==> $out"
  "$uv" pip compile --quiet --universal --python-version "$PYTHON_FLOOR" --generate-hashes \
    --custom-compile-command "infra/lock.sh" "${upgrade[@]}" -o "$out" "$@"
  { echo "# statusmon-lock-stamp: sha256=$stamp (setup.cfg's dependencies; infra/lock.sh refreshes this file)"
    grep -v '^# statusmon-lock-stamp:' "$out"; } > "$out.tmp"
  mv "$out.tmp" "$out"
}

compile requirements/dev.txt setup.cfg --extra server --extra agent --extra alerting --extra release --extra dev
for extra in server agent alerting release; do
  compile "requirements/$extra.txt" setup.cfg --extra "$extra" -c requirements/dev.txt
done
mkdir -p .tools
{ python3 infra/lockstamp.py build-requires; echo pip; } > .tools/build-system.in
compile requirements/build.txt .tools/build-system.in
sed -i 's#-r .tools/build-system.in#pyproject.toml [build-system], and pip#' requirements/build.txt
echo "==> done: review with git diff requirements/, then run ./infra/test.sh"
