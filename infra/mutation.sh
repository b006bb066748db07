#!/usr/bin/env bash
# Mutation testing (mutmut 3) of the modules that hold the promises, one module at a time, each against only the
# fast unit tests that cover it (no influxd, no browser). A habit, not a CI gate: CI never runs this.
#
#   infra/mutation.sh                 every module below, in this order
#   infra/mutation.sh machine spool   just those (names from the table below)
#
# Per module: a fresh copy of the code in mutation-results/work/NAME/ (setup.cfg's [mutmut] section plus this
# module's files and tests), `mutmut run`, then a table (mutants, killed, survived, timeout, score) and
# mutation-results/NAME.json with every survivor's diff. Score = killed (timeouts count as killed) / mutants.
# Inspect a survivor by hand: cd mutation-results/work/NAME && ../../../.venv/bin/mutmut show MUTANT
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# NAME|files to mutate (space separated)|pytest arguments, separated by ";" (test paths, then -m/-k filters that
# keep out influxd, PostgreSQL, browsers and slow retry tests: the selection must stay fast, it runs once per mutant;
# a module whose code never touches the metadata database needs not its PostgreSQL variants)
MODULES=(
  "machine|statusmon/alerts/machine.py|tests/alerting/test_machine.py"
  "lineprotocol|statusmon/store/lineprotocol.py|tests/store/test_lineprotocol.py;-m;not influx"
  "webhooks|statusmon/webhooks.py|tests/alerting/test_webhook_policy.py;tests/alerting/test_transports.py;tests/alerting/test_services.py;-k;webhook_policy or allowlist or hosts or self_hosted or private or address or localhost or never_show"
  "auth|api/auth.py statusmon/meta/api_tokens.py statusmon/meta/tokens.py|tests/api/test_tokens.py;tests/api/test_access.py;tests/api/test_access_settings.py::test_allowed_origins_admit_those_origins_for_changes_and_no_others;tests/grafana/test_auth.py;tests/api/test_report_bad_input.py::test_report_without_a_valid_token_is_401;tests/api/test_report_bad_input.py::test_a_valid_token_of_another_client_writes_only_to_that_client"
  "spool|agent/spool.py|tests/agent/test_spool.py"
  "http|statusmon/notify/http.py|tests/alerting/test_transports.py;-m;not influx and not postgres"
  "report|statusmon/report.py api/schemas.py|tests/api/test_report_contract.py;tests/api/test_report_bad_input.py;-m;not influx and not postgres"
  # fastcheck: the contract's explicit probes (every field at and beyond its bounds, null, absent, wrong kinds, and
  # the samples built) kill what the hypothesis suite does in a second instead of ~15 s per survivor
  "fastcheck|api/fastcheck.py|tests/api/test_report_contract.py;tests/api/test_fastcheck.py::test_a_typical_agent_batch_takes_the_fast_path"
)

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; printf 'modules:'; for m in "${MODULES[@]}"; do printf ' %s' "${m%%|*}"; done; echo; exit 2; }

[ -x "$VENV/bin/mutmut" ] || { echo "no mutmut in $VENV: run ./infra/test.sh first (it installs the dev extra)" >&2; exit 1; }
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || for m in "${MODULES[@]}"; do wanted+=("${m%%|*}"); done

out="$ROOT/mutation-results"
mkdir -p "$out/work"
for name in "${wanted[@]}"; do
  spec=""
  for m in "${MODULES[@]}"; do [ "${m%%|*}" = "$name" ] && spec="$m"; done
  [ -n "$spec" ] || { echo "unknown module: $name" >&2; usage; }
  IFS='|' read -r _ files tests <<<"$spec"
  work="$out/work/$name"
  rm -rf "$work"; mkdir -p "$work"
  # tracked and new files, nothing ignored (no .venv, no caches); api/static is built and ignored, the API's tests need it
  git ls-files -z --cached --others --exclude-standard statusmon api agent alerting tests setup.cfg pyproject.toml | xargs -0 cp --parents -t "$work"
  [ -d api/static ] && cp -r api/static "$work/api/"
  {
    echo "only_mutate ="; for f in $files; do echo "    $f"; done
    echo "pytest_add_cli_args_test_selection ="
    IFS=';' read -ra args <<<"$tests"
    for a in "${args[@]}"; do echo "    $a"; done
  } >>"$work/setup.cfg"
  echo "==> $name: mutating $files against ${tests//;/ }"
  start=$(date +%s)
  (cd "$work" && "$VENV/bin/mutmut" run --max-children "${MUTATION_JOBS:-2}" >"$work/mutmut.log" 2>&1) || {
    echo "mutmut failed for $name; the last lines of $work/mutmut.log:" >&2; tail -20 "$work/mutmut.log" >&2; exit 1; }
  secs=$(( $(date +%s) - start ))
  (cd "$work" && "$VENV/bin/python" "$ROOT/infra/mutation_summary.py" "$name" "$secs" "$out/$name.json")
done
"$VENV/bin/python" "$ROOT/infra/mutation_summary.py" --table "$out" "${wanted[@]}"
