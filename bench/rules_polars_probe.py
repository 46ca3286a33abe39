"""Probe behind docs/adr (vectorised path in NumPy): the annual tax as Polars expressions against cartax's
NumPy kernel, on the same synthetic fleet, same figures checked. Not part of `make bench`.

    .venv/bin/python bench/rules_polars_probe.py --rows 26400000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cartax.rules import default_law
from cartax.rules.law import Bands, YearLaw
from cartax.rules.vectorised import VehicleColumns, assess_columns, codes
from rules_data import synthetic_fleet

USES = ("private", "business")


def banded(column: str, bands: Bands) -> pl.Expr:
    expression = pl.when(pl.lit(value=False)).then(0)
    for bound, amount in bands:
        expression = expression.when(
            pl.col(column) <= bound if bound is not None else pl.lit(value=True)
        ).then(amount)
    return expression.otherwise(bands[-1][1])


def by_use(expressions: dict[str, pl.Expr]) -> pl.Expr:
    return (
        pl.when(pl.col("use") == codes.PRIVATE)
        .then(expressions["private"])
        .otherwise(expressions["business"])
    )


def classed(column: str, table: dict[str, int], names: tuple[str, ...]) -> pl.Expr:
    mapping = {names.index(name): amount for name, amount in table.items()}
    return pl.col(column).replace_strict(mapping, default=-1, return_dtype=pl.Int64)


def annual(law: YearLaw) -> list[pl.Expr]:
    cat = pl.col("category")
    top = law.truck["private"][-1][0] or 0
    blocks = ((pl.col("load_kg") - top).clip(lower_bound=0) + law.truck_block_kg - 1) // law.truck_block_kg
    standard = (
        pl.when(cat == codes.PASSENGER)
        .then(
            pl.col("displacement_cc")
            * by_use({u: banded("displacement_cc", law.passenger_rate_per_cc[u]) for u in USES})
        )
        .when(cat == codes.PASSENGER_OTHER)
        .then(by_use({u: pl.lit(law.passenger_other[u]) for u in USES}))
        .when(cat == codes.VAN)
        .then(by_use({u: classed("van_class", law.van[u], codes.VAN_CLASSES) for u in USES}))
        .when(cat == codes.TRUCK)
        .then(
            by_use({u: banded("load_kg", law.truck[u]) for u in USES})
            + blocks * by_use({u: pl.lit(law.truck_block_amount[u]) for u in USES})
        )
        .when(cat == codes.SPECIAL)
        .then(by_use({u: classed("special_class", law.special[u], codes.SPECIAL_CLASSES) for u in USES}))
        .otherwise(by_use({u: pl.lit(law.tricycle[u]) for u in USES}))
        .cast(pl.Int64)
    )
    base = (standard * law.local_rate_percent // 100).alias("base")
    first = pl.col("first_registered_on")
    made = pl.col("manufactured_year").cast(pl.Int64)
    age_h2 = law.tax_year.year - made + 1
    in_h2 = ~((first.dt.year() == made) & (first.dt.month() <= 6))
    age_h1 = age_h2 - in_h2.cast(pl.Int64)
    reduced = (cat == codes.PASSENGER) & (pl.col("use") == codes.PRIVATE)
    edu = cat.is_in([codes.PASSENGER, codes.PASSENGER_OTHER]) & (pl.col("use") == codes.PRIVATE)
    out = [base]
    for half, age in (("h1", age_h1), ("h2", age_h2)):
        years = age.clip(law.age_free_until, law.age_cap) - law.age_free_until
        reduction = pl.when(reduced).then(law.age_percent_per_year * years).otherwise(0)
        bill = base * (100 - reduction) // 2000 * 10
        out += [
            bill.alias(f"bill_{half}"),
            pl.when(edu).then(bill * law.edu_percent // 1000 * 10).otherwise(0).alias(f"edu_{half}"),
        ]
    return out


def frame(fleet: VehicleColumns) -> pl.DataFrame:
    return pl.DataFrame({name: getattr(fleet, name) for name in VehicleColumns.__slots__})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=26_400_000)
    args = parser.parse_args()
    law = default_law().year(2026, "11110")
    fleet = synthetic_fleet(args.rows, 2026)
    data = frame(fleet)
    expressions = annual(law)
    for label, task in (
        ("numpy (cartax)", lambda: assess_columns(law, fleet)),
        ("polars", lambda: data.select(expressions)),
    ):
        walls, cpus = [], []
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            task()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(f"{label}: first {walls[0]:.2f} s, best {min(walls):.2f} s wall, {min(cpus):.2f} s CPU")
    ours, theirs = assess_columns(law, fleet), data.select(expressions)
    same = all(np.array_equal(getattr(ours, name), theirs[name].to_numpy()) for name in theirs.columns)
    print(f"same figures: {same}")


if __name__ == "__main__":
    main()
