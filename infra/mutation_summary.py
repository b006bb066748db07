"""Summarises one mutmut run for infra/mutation.sh (run inside the module's work copy), or prints the table of
several runs' JSON (``--table DIR NAME...``).

Score = (killed + timeout) / mutants: a mutant that makes the tests hang is caught too (mutmut's timeout is
15x the tests' own time). "no tests" mutants (code no selected test reaches) count against the score.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from difflib import unified_diff
from pathlib import Path

COLUMNS = ("mutants", "killed", "survived", "timeout", "no_tests", "other", "score", "seconds")


def summarise(name: str, seconds: int, out: Path) -> dict:
    from mutmut.configuration import config
    from mutmut.stats import status_by_exit_code

    files = config().only_mutate
    statuses: dict[str, str] = {}
    file_of: dict[str, str] = {}
    for f in files:
        meta = Path("mutants") / (f + ".meta")
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            statuses[key] = status_by_exit_code[code]
            file_of[key] = f
    counts = Counter(statuses.values())
    total = len(statuses)
    killed, timeout = counts["killed"], counts["timeout"]
    survivors = sorted(k for k, s in statuses.items() if s not in ("killed", "timeout"))
    diffs = survivor_diffs(survivors, file_of, statuses)
    row = {"module": name, "files": files, "mutants": total, "killed": killed, "survived": counts["survived"],
           "timeout": timeout, "no_tests": counts["no tests"],
           "other": total - killed - timeout - counts["survived"] - counts["no tests"],
           "score": round(100.0 * (killed + timeout) / total, 1) if total else None, "seconds": seconds,
           "survivors": {k: {"status": statuses[k], "diff": diffs[k]} for k in survivors}}
    out.write_text(json.dumps(row, indent=2) + "\n")
    for k in survivors:
        print(f"--- {statuses[k]}: {k}\n{diffs[k].strip()}")
    return row


def survivor_diffs(survivors: list[str], file_of: dict[str, str], statuses: dict[str, str]) -> dict[str, str]:
    """Each survivor's diff, as `mutmut show` prints it, in one pass: every mutated file is parsed once.

    `mutmut show` per survivor starts Python and parses the whole mutated file each time (seconds per survivor;
    minutes for a module with 200 survivors). A survivor this cannot read falls back to `mutmut show`.
    """
    from mutmut.mutation.diff_apply import read_mutant_function, read_mutants_module, read_original_function

    modules: dict[str, object] = {}
    diffs: dict[str, str] = {}
    for k in survivors:
        f = file_of[k]
        try:
            if f not in modules:
                modules[f] = read_mutants_module(f)
            module = modules[f]
            orig, mutant = (cst_module_code(fn) for fn in (read_original_function(module, k),  # type: ignore[arg-type]
                                                           read_mutant_function(module, k)))  # type: ignore[arg-type]
            diff = "\n".join(unified_diff(orig.split("\n"), mutant.split("\n"), fromfile=f, tofile=f, lineterm=""))
            diffs[k] = f"# {k}: {statuses[k]}\n{diff}\n"
        except Exception:  # noqa: BLE001 - any trouble reading the mutated file: let mutmut itself say it
            diffs[k] = subprocess.run([sys.executable, "-m", "mutmut", "show", k], capture_output=True,
                                      text=True).stdout
    return diffs


def cst_module_code(function: object) -> str:
    import libcst as cst

    return cst.Module([function]).code.strip()  # type: ignore[list-item]


def table(directory: Path, names: list[str]) -> None:
    print(f"{'module':<14}" + "".join(f"{c:>10}" for c in COLUMNS))
    for name in names:
        row = json.loads((directory / f"{name}.json").read_text())
        print(f"{name:<14}" + "".join(f"{'' if row[c] is None else row[c]:>10}" for c in COLUMNS))


if __name__ == "__main__":
    if sys.argv[1] == "--table":
        table(Path(sys.argv[2]), sys.argv[3:])
    else:
        summarise(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
