"""Run every benchmark: each ``bench/bench_*.py`` in its own process, one after the other.

Usage: ``make bench`` (all), or ``python bench/run_all.py http_calc`` for ``bench_http_calc.py`` only.
Other modules in ``bench/`` are helpers. Record the figures in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [script for script in scripts if script.stem.removeprefix("bench_") in names]
        if not scripts:
            print(f"no benchmark named {', '.join(names)}; known: {_known()}", file=sys.stderr)
            return 2
    failed = []
    summary = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        status = subprocess.run([sys.executable, str(script)], check=False).returncode
        state = "ok" if status == 0 else f"failed (exit {status})"
        summary.append(f"{script.name}: {state} in {time.perf_counter() - start:.0f} s")
        if status != 0:
            failed.append(script.name)
    print("== summary", *summary, sep="\n")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _known() -> str:
    return ", ".join(script.stem.removeprefix("bench_") for script in sorted(HERE.glob("bench_*.py")))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
