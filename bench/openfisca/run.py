"""Run the OpenFisca model on the synthetic fleet; print one JSON object of timings and checksums.

Usage (inside bench/.venv-openfisca, from the repository root):
    python bench/openfisca/run.py --rows 26400000 --year 2026 --repeat 2
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench"), str(ROOT / "bench" / "openfisca")]

from model import INPUTS, OUTPUTS, AutomobileTax  # noqa: E402
from openfisca_core.simulation_builder import SimulationBuilder  # noqa: E402

from cartax.rules import default_law  # noqa: E402
from rules_data import synthetic_fleet  # noqa: E402

FIELDS = {variable.__name__: variable.__name__ for variable in INPUTS}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    law = default_law().year(args.year, "11110")
    system = AutomobileTax(law)
    fleet = synthetic_fleet(args.rows, args.year)
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times, cpu, sums = [], [], {}
    for _ in range(args.repeat + 1):
        simulation = SimulationBuilder().build_default_simulation(system, args.rows)
        period = str(args.year)
        for name in FIELDS:
            simulation.set_input(name, period, getattr(fleet, name))
        start, start_cpu = time.perf_counter(), time.process_time()
        results = {variable.__name__: simulation.calculate(variable.__name__, period) for variable in OUTPUTS}
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        sums = {name: int(np.asarray(values, np.int64).sum()) for name, values in results.items()}
        del simulation, results
    print(
        json.dumps(
            {
                "rows": args.rows,
                "seconds_first": times[0],
                "cpu_first": cpu[0],
                "seconds_best": min(times[1:] or times),
                "cpu_best": cpu[times.index(min(times[1:] or times))],
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_inputs_mb": rss_inputs,
                "sums": sums,
            }
        )
    )


if __name__ == "__main__":
    main()
