"""Rules engine benchmarks: vectorised annual tax and refunds at national scale, beside OpenFisca and a
plain NumPy baseline; the scalar path per call and through ``cartax calc``; a profile of the scalar path.

Each measurement runs in a fresh process of its own, so its peak memory (``ru_maxrss``) is its own.
``python bench/bench_rules.py`` runs them all and writes bench/out/bench_rules.json;
``python bench/bench_rules.py --part annual`` runs one (see ``--help``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
OPENFISCA_PYTHON = BENCH / ".venv-openfisca" / "bin" / "python"
sys.path.insert(0, str(BENCH))

from cartax.rules import calculate, default_law, parse_request  # noqa: E402
from cartax.rules.vectorised import assess_columns, refund_columns, refund_lines_by_case  # noqa: E402
from rules_baseline import annual_tax  # noqa: E402
from rules_data import calc_requests, prepaid_transfers, request_at, synthetic_fleet  # noqa: E402

YEAR = 2026
OUTPUTS = (
    "base",
    "age_h1",
    "age_h2",
    "reduction_pct_h1",
    "reduction_pct_h2",
    "bill_h1",
    "bill_h2",
    "edu_h1",
    "edu_h2",
)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sums(columns: Callable[[str], Any]) -> dict[str, int]:
    return {name: int(np.asarray(columns(name), np.int64).sum()) for name in OUTPUTS}


@dataclass
class Timing:
    """Wall-clock and CPU seconds (all threads) of the first call (cold: fresh memory) and of the
    fastest of the calls after it (warm)."""

    first: float = 0.0
    first_cpu: float = 0.0
    best: float = float("inf")
    best_cpu: float = float("inf")

    def as_dict(self) -> dict[str, float]:
        return {
            "seconds_first": self.first,
            "cpu_first": self.first_cpu,
            "seconds_best": self.best,
            "cpu_best": self.best_cpu,
        }


def timed(task: Callable[[], Any], repeat: int) -> tuple[Timing, Any]:
    """Call ``task`` once, then ``repeat`` more times; the timing and the last result."""
    timing = Timing()
    result = None
    for run in range(repeat + 1):
        del result
        wall, cpu = time.perf_counter(), time.process_time()
        result = task()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if run == 0:
            timing.first, timing.first_cpu = wall, cpu
        elif wall < timing.best:
            timing.best, timing.best_cpu = wall, cpu
    if repeat == 0:
        timing.best, timing.best_cpu = timing.first, timing.first_cpu
    return timing, result


def part_annual(args: argparse.Namespace) -> dict[str, Any]:
    law = default_law().year(YEAR, "11110")
    start = time.perf_counter()
    fleet = synthetic_fleet(args.rows, YEAR)
    generated = time.perf_counter() - start
    inputs = peak_mb()
    timing, result = timed(lambda: assess_columns(law, fleet), args.repeat)
    checksum = sums(partial(getattr, result))
    money = str(result.base.dtype)
    del result
    single, _ = timed(lambda: assess_columns(law, fleet, workers=1), 1)
    return {
        "rows": args.rows,
        "generate_s": generated,
        **timing.as_dict(),
        "seconds_best_one_thread": single.best,
        "cpu_best_one_thread": single.best_cpu,
        "rss_inputs_mb": inputs,
        "peak_rss_mb": peak_mb(),
        "money_dtype": money,
        "sums": checksum,
    }


def part_baseline(args: argparse.Namespace) -> dict[str, Any]:
    law = default_law().year(YEAR, "11110")
    fleet = synthetic_fleet(args.rows, YEAR)
    inputs = peak_mb()
    timing, result = timed(lambda: annual_tax(law, fleet), args.repeat)
    return {
        "rows": args.rows,
        **timing.as_dict(),
        "rss_inputs_mb": inputs,
        "peak_rss_mb": peak_mb(),
        "sums": sums(lambda name: result[name]),
    }


def part_refunds(args: argparse.Namespace) -> dict[str, Any]:
    law = default_law().year(YEAR, "11110")
    data = prepaid_transfers(args.holdings, law)
    inputs = peak_mb()

    def run() -> Any:
        assessment = assess_columns(law, data.vehicles)
        return refund_columns(law, assessment, data.cases, data.payments)

    timing, refunds = timed(run, args.repeat)
    # Check a sample against the scalar path, line by line.
    rng = np.random.default_rng(3)
    sample = rng.choice(args.holdings, min(args.check, args.holdings), replace=False)
    lines = refund_lines_by_case(refunds, data.payments, ["p"] * args.holdings, args.holdings)
    mismatches = sum(
        calculate(request_at(data, int(row), YEAR), default_law(), date(YEAR + 1, 2, 15)).refunds
        != lines[row]
        for row in sample
    )
    return {
        "holdings": args.holdings,
        **timing.as_dict(),
        "rss_inputs_mb": inputs,
        "peak_rss_mb": peak_mb(),
        "refund_lines": int(refunds.has_refund.sum()),
        "refund_won": int((refunds.refund_car_tax + refunds.refund_edu_tax).sum()),
        "interest_won": int(refunds.interest.sum()),
        "checked_against_scalar": len(sample),
        "mismatches": mismatches,
    }


def profile(task: Callable[[], Any], order: str, rows: int = 15) -> list[dict[str, Any]]:
    """The top functions of one run of ``task`` under cProfile, by ``order`` (tottime or cumtime)."""
    profiler = cProfile.Profile()
    profiler.enable()
    task()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]  # pstats keeps the total on the instance
    column = {"tottime": 2, "cumtime": 3}[order]
    items = sorted(stats.stats.items(), key=lambda item: item[1][column], reverse=True)[:rows]  # type: ignore[attr-defined]
    if order == "cumtime":  # shares of the whole run: the outermost call's cumulative time
        total = items[0][1][3]
    return [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "calls": calls,
            "tottime_s": round(tottime, 4),
            "cumtime_s": round(cumtime, 4),
            "share_pct": round(100 * (tottime if order == "tottime" else cumtime) / total, 1),
        }
        for (file, line, name), (_, calls, tottime, cumtime, _) in items
    ]


def part_scalar(args: argparse.Namespace) -> dict[str, Any]:
    law = default_law()
    requests = [parse_request(raw, 2020, 2027) for raw in calc_requests(args.requests, YEAR)]
    today = date(YEAR + 1, 2, 15)

    def run() -> None:
        for request in requests:
            calculate(request, law, today)

    timing, _ = timed(run, args.repeat)
    top = profile(run, "tottime")
    return {
        "requests": args.requests,
        "seconds": timing.best,
        "cpu": timing.best_cpu,
        "per_second": args.requests / timing.best,
        "per_cpu_second": args.requests / timing.best_cpu,
        "profile": top,
    }


def part_cli(args: argparse.Namespace) -> dict[str, Any]:
    OUT.mkdir(exist_ok=True)
    source, sink = OUT / "calc_input.jsonl", OUT / "calc_output.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for raw in calc_requests(args.lines, YEAR):
            handle.write(json.dumps(raw, ensure_ascii=False) + "\n")
    cartax = Path(sys.executable).with_name("cartax")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([str(cartax), "calc", "--input", str(source), "--output", str(sink)], check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    with sink.open(encoding="utf-8") as handle:
        answered = sum(1 for _ in handle)
    start = time.perf_counter()
    subprocess.run(
        [str(cartax), "calc"], input="", text=True, check=True, capture_output=True
    )  # start-up only
    startup = time.perf_counter() - start
    # Where a line's time goes, in-process: JSON in, parse, calculate, response with its trace, JSON out.
    from cartax.rules.cli import run_lines  # here, so that the other parts run whatever the CLI needs

    sample = "".join(source.read_text(encoding="utf-8").splitlines(keepends=True)[: min(args.lines, 20_000)])
    law = default_law()
    top = profile(
        lambda: run_lines(io.StringIO(sample), io.BytesIO(), law, date(YEAR + 1, 2, 15)), "cumtime", 12
    )
    return {
        "lines": args.lines,
        "seconds": seconds,
        "cpu": cpu,
        "startup_seconds": startup,
        "exit_status": done.returncode,
        "answered": answered,
        "profile": top,
    }


PARTS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "annual": part_annual,
    "baseline": part_baseline,
    "refunds": part_refunds,
    "scalar": part_scalar,
    "cli": part_cli,
}

TARGETS = {
    "annual_s": 2.5,
    "annual_peak_mb": 3 * 1024,
    "refunds_s": 2.0,
    "scalar_per_s": 20_000,
    "cli_s": 15.0,
}


def machine() -> dict[str, Any]:
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        memory_kb = int(handle.readline().split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024**2, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def run_part(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode:
        return {
            "error": done.stderr.strip().splitlines()[-1]
            if done.stderr.strip()
            else f"exit {done.returncode}"
        }
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    options = [
        f"--rows={args.rows}",
        f"--holdings={args.holdings}",
        f"--requests={args.requests}",
        f"--lines={args.lines}",
        f"--repeat={args.repeat}",
        f"--check={args.check}",
    ]
    results: dict[str, Any] = {"machine": machine()}
    for name in PARTS:
        print(f"rules: {name} …", flush=True)
        results[name] = run_part([sys.executable, __file__, "--part", name, *options])
    print("rules: openfisca …", flush=True)
    if OPENFISCA_PYTHON.exists():
        script = str(BENCH / "openfisca" / "run.py")
        results["openfisca"] = run_part(
            [
                str(OPENFISCA_PYTHON),
                script,
                f"--rows={args.openfisca_rows or args.rows}",
                f"--repeat={args.repeat}",
            ]
        )
    else:
        results["openfisca"] = {"error": "bench/.venv-openfisca is missing; `make bench` creates it"}
    results["summary"] = summary(results)
    return results


def summary(results: dict[str, Any]) -> dict[str, Any]:
    annual, baseline, openfisca = results["annual"], results["baseline"], results["openfisca"]
    refunds, scalar, cli = results["refunds"], results["scalar"], results["cli"]
    out: dict[str, Any] = {}
    if "error" not in annual:
        out |= {
            "annual_rows": annual["rows"],
            "annual_s_first": round(annual["seconds_first"], 2),
            "annual_s_warm": round(annual["seconds_best"], 2),
            "annual_s_warm_one_thread": round(annual["seconds_best_one_thread"], 2),
            "annual_cpu_s_warm": round(annual["cpu_best"], 2),
            "annual_peak_mb": round(annual["peak_rss_mb"]),
            "annual_ok": annual["seconds_first"] <= TARGETS["annual_s"]
            and annual["peak_rss_mb"] <= TARGETS["annual_peak_mb"],
        }
        for name, other in (("baseline", baseline), ("openfisca", openfisca)):
            if "error" in other:
                out[f"vs_{name}"] = other["error"]
                continue
            scale = annual["rows"] / other["rows"]
            out[f"{name}_s_first"] = round(other["seconds_first"], 2)
            out[f"{name}_s_warm"] = round(other["seconds_best"], 2)
            out[f"{name}_peak_mb"] = round(other["peak_rss_mb"])
            out[f"vs_{name}_x_first"] = round(other["seconds_first"] * scale / annual["seconds_first"], 1)
            out[f"vs_{name}_x_warm"] = round(other["seconds_best"] * scale / annual["seconds_best"], 1)
            out[f"vs_{name}_x_cpu"] = round(other["cpu_best"] * scale / annual["cpu_best"], 1)
            out[f"{name}_same_figures"] = other["rows"] == annual["rows"] and _same(
                annual["sums"], other["sums"]
            )
    if "error" not in refunds:
        out |= {
            "refunds_s_first": round(refunds["seconds_first"], 2),
            "refunds_s_warm": round(refunds["seconds_best"], 2),
            "refunds_cpu_s_warm": round(refunds["cpu_best"], 2),
            "refunds_peak_mb": round(refunds["peak_rss_mb"]),
            "refunds_ok": refunds["seconds_first"] <= TARGETS["refunds_s"] and refunds["mismatches"] == 0,
        }
    if "error" not in scalar:
        out |= {
            "scalar_per_s": round(scalar["per_second"]),
            "scalar_per_cpu_s": round(scalar["per_cpu_second"]),
            "scalar_ok": scalar["per_second"] >= TARGETS["scalar_per_s"],
        }
    if "error" not in cli:
        out |= {
            "cli_s": round(cli["seconds"], 1),
            "cli_cpu_s": round(cli["cpu"], 1),
            "cli_startup_s": round(cli["startup_seconds"], 1),
            "cli_ok": cli["seconds"] <= TARGETS["cli_s"] and cli["exit_status"] == 0,
        }
    for name in (*PARTS, "openfisca"):
        if "error" in results[name]:
            out[f"{name}_error"] = results[name]["error"]
    return out


def _same(ours: dict[str, int], theirs: dict[str, int]) -> bool:
    renamed = {"annual_base" if name == "base" else name: value for name, value in ours.items()}
    return all(theirs.get(name, theirs.get("base")) == value for name, value in renamed.items())


def report(results: dict[str, Any]) -> None:
    print(json.dumps(results["machine"]))
    for name in (*PARTS, "openfisca"):
        part = {key: value for key, value in results[name].items() if key != "profile"}
        print(f"{name}: {json.dumps(part)}")
    for name, label in (("scalar", "calculate(), by own time"), ("cli", "run_lines(), by cumulative time")):
        print(f"profile of {label}:")
        for row in results[name].get("profile", []):
            times = f"{row['tottime_s']:7.3f}s own {row['cumtime_s']:7.3f}s cumulative"
            print(f"  {row['share_pct']:5.1f}%  {times}  {row['calls']:>8} calls  {row['function']}")
    print("summary:", json.dumps(results["summary"]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=sorted(PARTS), help="run one measurement and print it as JSON")
    parser.add_argument("--rows", type=int, default=26_400_000, help="vehicles for the annual tax")
    parser.add_argument("--holdings", type=int, default=1_500_000, help="prepaid-then-transferred holdings")
    parser.add_argument("--requests", type=int, default=20_000, help="requests for the scalar library call")
    parser.add_argument("--lines", type=int, default=100_000, help="lines for cartax calc")
    parser.add_argument("--repeat", type=int, default=2, help="warm runs after the first")
    parser.add_argument(
        "--check", type=int, default=2_000, help="refund cases checked against the scalar path"
    )
    parser.add_argument(
        "--openfisca-rows", type=int, default=0, help="vehicles for OpenFisca (default: --rows)"
    )
    args = parser.parse_args()
    if args.part:
        print(json.dumps(PARTS[args.part](args)))
        return
    results = run_all(args)
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_rules.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    report(results)


if __name__ == "__main__":
    main()
