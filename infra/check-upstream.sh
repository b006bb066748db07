#!/usr/bin/env bash
# Are the newest releases setup.cfg allows still fine? Installs each extra alone, ignoring the lock
# (`pip install '.[server]'` and so on: what a plain pip install resolves today), and runs the same smoke tests
# CI runs on the lock (tests/install/test_extras.py): the server answers /healthz under gunicorn's gevent worker,
# `statusmon agent --once` prints a sample, the alerting worker completes a cycle. Not part of CI's gating run:
# run it weekly and before a release. It ends with what differs from the lock.
#
# When it fails: cap or pin the upstream that broke in setup.cfg (e.g. `gunicorn[gevent]>=22,<28`, with a comment
# saying why), run infra/lock.sh, then ./infra/test.sh, commit, and file an issue to lift the cap.
# When it passes and versions differ: infra/lock.sh --upgrade takes them into the lock (then ./infra/test.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

python_env dev
rm -f test-artifacts/upstream/versions.txt
rc=0
STATUSMON_SMOKE_UNLOCKED=1 "$VENV/bin/python" -m pytest -p no:cacheprovider -q -rfE tests/install/test_extras.py \
  "$@" || rc=$?
echo
echo "==> newest releases setup.cfg allows, against requirements/ (the lock):"
cat test-artifacts/upstream/versions.txt 2>/dev/null || echo "(no venv got that far)"
if [ "$rc" = 0 ]; then echo "==> upstream OK"; else
  echo "==> upstream BROKE Status Monitor: cap the release that broke it in setup.cfg, infra/lock.sh, file an issue"
fi
exit "$rc"
