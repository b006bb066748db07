#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine (venv + packages, npm packages, Debian's influxdb, redis-server,
# chromium, systemd-analyze and docker-compose), then runs ruff, mypy, the import contracts, the dashboard's unit tests and the
# whole pytest suite. Extra arguments go to pytest (e.g. ./infra/test.sh -k contract).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

apt_install_missing influxd:influxdb /usr/bin/chromium:chromium systemd-analyze:systemd \
  docker-compose:docker-compose /usr/bin/pg_ctlcluster:postgresql redis-server:redis-server
python_env dev
build_dashboard
if [ -f tests/grafana/flux/package-lock.json ]; then  # Flux's own parser, to check the README's Flux examples
  npm --prefix tests/grafana/flux ci --no-audit --no-fund --loglevel=error
fi

echo "==> ruff"
"$VENV/bin/ruff" check .
echo "==> mypy"
"$VENV/bin/mypy"
echo "==> import contracts (lint-imports: the layers in README.md, Architecture)"
"$VENV/bin/lint-imports" --no-cache
if [ -f dashboards/web/package.json ]; then
  echo "==> dashboard: tsc --noEmit and unit tests"
  npm --prefix dashboards/web run typecheck
  npm --prefix dashboards/web test
fi
echo "==> pytest"
# --durations: the slowest tests, to keep the suite within its budget (about 30 minutes in CI)
"$VENV/bin/python" -m pytest -p no:cacheprovider -q -rfEs --durations=15 "$@"
