"""A plain, hand-written, loop-free NumPy computation of the annual tax: the baseline cartax is compared to.

Whole-column expressions as one would first write them (np.select over categories, np.digitize over
bands, int64 throughout), with the law's figures read from the same ``YearLaw``; no chunking, no
threads, no look-up tables.
"""

from __future__ import annotations

import numpy as np

from cartax.rules.law import Bands, YearLaw
from cartax.rules.vectorised import VehicleColumns, codes


def _banded(bands: Bands, values: np.ndarray) -> np.ndarray:
    bounds = [bound for bound, _ in bands if bound is not None]
    amounts = np.array([amount for _, amount in bands] + [bands[-1][1]] * (len(bounds) + 1 - len(bands)))
    return amounts[np.digitize(values, bounds, right=True)]


def _classed(table: dict[str, int], names: tuple[str, ...], values: np.ndarray) -> np.ndarray:
    known = [name for name in names if name in table]
    return np.select([values == names.index(name) for name in known], [table[name] for name in known], -1)


def annual_tax(law: YearLaw, v: VehicleColumns) -> dict[str, np.ndarray]:
    private = v.use == codes.PRIVATE
    cc = v.displacement_cc.astype(np.int64)
    load = v.load_kg.astype(np.int64)
    rate = np.where(
        private,
        _banded(law.passenger_rate_per_cc["private"], cc),
        _banded(law.passenger_rate_per_cc["business"], cc),
    )
    top = law.truck["private"][-1][0] or 0
    blocks = -(-np.maximum(load - top, 0) // law.truck_block_kg)
    truck = np.where(private, _banded(law.truck["private"], load), _banded(law.truck["business"], load))
    truck = truck + blocks * np.where(
        private, law.truck_block_amount["private"], law.truck_block_amount["business"]
    )
    van = np.where(
        private,
        _classed(law.van["private"], codes.VAN_CLASSES, v.van_class),
        _classed(law.van["business"], codes.VAN_CLASSES, v.van_class),
    )
    special = np.where(
        private,
        _classed(law.special["private"], codes.SPECIAL_CLASSES, v.special_class),
        _classed(law.special["business"], codes.SPECIAL_CLASSES, v.special_class),
    )
    category = v.category
    passenger_other = np.where(private, law.passenger_other["private"], law.passenger_other["business"])
    categories = (codes.PASSENGER, codes.PASSENGER_OTHER, codes.VAN, codes.TRUCK, codes.SPECIAL)
    standard = np.select(
        [category == code for code in categories],
        [cc * rate, passenger_other, van, truck, special],
        np.where(private, law.tricycle["private"], law.tricycle["business"]),
    )
    base = standard * law.local_rate_percent // 100
    first = v.first_registered_on
    first_year = first.astype("datetime64[Y]").astype(np.int64) + 1970
    first_month = first.astype("datetime64[M]").astype(np.int64) % 12 + 1
    made = v.manufactured_year.astype(np.int64)
    age_h2 = law.tax_year.year - made + 1
    age_h1 = age_h2 - ~((first_year == made) & (first_month <= 6))
    reduced = (category == codes.PASSENGER) & private
    edu = np.isin(category, [codes.CATEGORIES.index(c) for c in law.edu_categories]) & private
    out = {"base": base, "age_h1": age_h1, "age_h2": age_h2}
    for half, age in (("h1", age_h1), ("h2", age_h2)):
        years = np.clip(age, law.age_free_until, law.age_cap) - law.age_free_until
        reduction = np.where(reduced, law.age_percent_per_year * years, 0)
        bill = base * (100 - reduction) // 2000 * 10
        out[f"reduction_pct_{half}"] = reduction
        out[f"bill_{half}"] = bill
        out[f"edu_{half}"] = np.where(edu, bill * law.edu_percent // 1000 * 10, 0)
    return out
