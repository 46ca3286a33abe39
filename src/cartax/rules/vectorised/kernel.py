"""The inner loop of the vectorised assessment: one chunk of rows, integer arithmetic only.

Everything that depends on the law and not on the row is laid out once in a :class:`Kernel`
(tables indexed by category × use, by displacement, by manufactured year), so a row costs a few
table look-ups and a handful of multiplications and floor divisions. Arithmetic runs in int32 when
the largest possible intermediate (A × 100) fits, which halves the memory traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cartax.rules.law import YearLaw
from cartax.rules.vectorised import codes
from cartax.rules.vectorised.columns import ColumnError, Flags, Int64, VehicleColumns
from cartax.rules.vectorised.days import first_day_table, numbers
from cartax.rules.vectorised.tables import CLASS_SLOTS, AssessmentTables, Banded, assessment_tables

INT32_MAX = int(np.iinfo(np.int32).max)
CC_TABLE_LIMIT = 1 << 16
"""Displacements up to this many cc are looked up in a table; beyond it, bands are compared."""
GROUPS = len(codes.CATEGORIES) * len(codes.USES)
Work = npt.NDArray[Any]  # int32 or int64, see Kernel.work


@dataclass(frozen=True, slots=True)
class Kernel:
    law: YearLaw
    tables: AssessmentTables
    vehicles: VehicleColumns
    money: type[np.signedinteger[Any]]  # dtype of the money columns returned
    work: type[np.signedinteger[Any]]  # dtype of the arithmetic
    by_cc: Work | None  # standard amount at [group * cc_stride + cc]; vans, trucks, special: 0
    cc_stride: int
    rare: Flags  # by group: vans, trucks and special vehicles, computed on their own rows
    reduced: Flags  # by group
    edu_percent: Work  # by group: the 지방교육세 percent, 0 where it does not apply
    made_from: int  # the smallest manufactured year, index 0 of the tables below
    january_first: Int64  # by manufactured year
    first_half_days: Int64  # by manufactured year: the days of its first half-year
    factor: Work  # by manufactured year (+1 for a year less of age): 100 − r(n₂) of a reduced car
    age_offset: int  # n₂ = age_offset − (manufactured year − made_from)

    @classmethod
    def build(cls, law: YearLaw, vehicles: VehicleColumns) -> Kernel:
        tables = assessment_tables(law)
        year = law.tax_year.year
        made_from, made_to = _made_range(vehicles, year)
        _check_first_registration(law, vehicles)
        cc_high = int(vehicles.displacement_cc.max()) if len(vehicles) else 0
        cc_low = int(vehicles.displacement_cc.min()) if len(vehicles) else 0
        bound = _upper_bound(law, tables, vehicles, cc_high)
        work = np.int32 if bound * 100 <= INT32_MAX else np.int64
        ages = year - made_from + 1 - np.arange(made_to - made_from + 2)
        reduction = law.age_percent_per_year * (
            np.clip(ages, law.age_free_until, law.age_cap) - law.age_free_until
        )
        groups = [(c, u) for c in range(len(codes.CATEGORIES)) for u in range(len(codes.USES))]
        use_cc_table = cc_low >= 0 and cc_high < CC_TABLE_LIMIT
        return cls(
            law=law,
            tables=tables,
            vehicles=vehicles,
            money=np.int32 if bound <= INT32_MAX else np.int64,
            work=work,
            by_cc=_cc_table(tables, cc_high, work) if use_cc_table else None,
            cc_stride=cc_high + 1,
            rare=np.array([c in (codes.VAN, codes.TRUCK, codes.SPECIAL) for c, _ in groups]),
            reduced=tables.reduced,
            edu_percent=np.where(tables.edu, law.edu_percent, 0).astype(work),
            made_from=made_from,
            january_first=first_day_table(1, made_from, made_to),
            first_half_days=first_day_table(7, made_from, made_to) - first_day_table(1, made_from, made_to),
            factor=(100 - reduction).astype(work),
            age_offset=year - made_from + 1,
        )

    def assess(self, rows: slice, out: dict[str, npt.NDArray[Any]]) -> None:
        """Compute rows ``rows`` into the output columns ``out`` (as rules/assessment.py)."""
        vehicles, law = self.vehicles, self.law
        group = (vehicles.category[rows] * np.uint8(len(codes.USES)) + vehicles.use[rows]).astype(np.intp)
        base = self._standard(rows, group)
        if law.local_rate_percent != 100:
            base = base * law.local_rate_percent // 100
        made = (vehicles.manufactured_year[rows] - self.made_from).astype(np.intp)
        since = numbers(vehicles.first_registered_on[rows]) - self.january_first[made]
        if (since < 0).any():
            self._reject(rows, np.flatnonzero(since < 0))
        # 차령 (rules.md §2): the age start is in H2 unless the car was first registered in its
        # year of manufacture before 1 July; then n₁ = n₂ − 1.
        in_second_half = since >= self.first_half_days[made]
        age_h2 = out["age_h2"][rows]
        np.subtract(self.age_offset, made, out=age_h2, casting="unsafe")
        np.subtract(age_h2, in_second_half, out=out["age_h1"][rows], casting="unsafe")
        reduced = self.reduced[group]
        factors = (
            np.where(reduced, self.factor[made + in_second_half], 100),
            np.where(reduced, self.factor[made], 100),
        )
        edu_percent = self.edu_percent[group]
        out["base"][rows] = base
        for half, factor in zip(("h1", "h2"), factors, strict=True):
            np.subtract(100, factor, out=out[f"reduction_pct_{half}"][rows], casting="unsafe")
            bill = base * factor  # floor10(q) with q = A × (100 − r) / 200
            bill //= 2000
            bill *= 10
            out[f"bill_{half}"][rows] = bill
            bill *= edu_percent  # floor10(bill × percent / 100)
            bill //= 1000
            np.multiply(bill, 10, out=out[f"edu_{half}"][rows], casting="same_kind")

    def _standard(self, rows: slice, group: npt.NDArray[np.intp]) -> Work:
        """The standard annual amount of every row (법 §127①), before the local rate."""
        vehicles = self.vehicles
        cc = vehicles.displacement_cc[rows]
        if self.by_cc is not None:
            standard: Work = self.by_cc[group * self.cc_stride + cc]
        else:
            rate = _banded(self.tables.per_cc, cc, vehicles.use[rows])
            passenger = vehicles.category[rows] == codes.PASSENGER
            fixed = self.tables.fixed[group * CLASS_SLOTS]
            standard = np.where(passenger, cc * rate, np.where(self.rare[group], 0, fixed)).astype(self.work)
        rare = np.flatnonzero(self.rare[group])
        if rare.size:
            standard[rare] = self._rare(rows, rare, group[rare])
        bad = standard <= 0
        if bad.any():
            self._reject(rows, np.flatnonzero(bad))
        return standard

    def _rare(self, rows: slice, rare: npt.NDArray[np.intp], group: npt.NDArray[np.intp]) -> Int64:
        """Vans and special vehicles by class, trucks by load (with the blocks beyond 10t)."""
        vehicles, tables = self.vehicles, self.tables
        category = vehicles.category[rows][rare]
        classes = np.where(
            category == codes.VAN, vehicles.van_class[rows][rare], vehicles.special_class[rows][rare]
        )
        amount: Int64 = tables.fixed[group * CLASS_SLOTS + classes]
        trucks = category == codes.TRUCK
        if trucks.any():
            load = vehicles.load_kg[rows][rare]
            # A load that is not positive gets 0, which the caller rejects.
            truck = np.where(load > 0, _truck(tables, load, vehicles.use[rows][rare]), 0)
            amount = np.where(trucks, truck, amount)
        return amount

    def _reject(self, rows: slice, bad: npt.NDArray[np.intp]) -> None:
        reject_row(self.law, self.vehicles, (rows.start or 0) + int(bad[0]))


def _made_range(vehicles: VehicleColumns, year: int) -> tuple[int, int]:
    made = vehicles.manufactured_year
    if not len(made):
        return year, year
    made_from, made_to = int(made.min()), int(made.max())
    if made_from < 1 or made_to > year:
        row = int(np.flatnonzero((made < 1) | (made > year))[0])
        raise ColumnError(
            f"vehicles.manufactured_year row {row} is {int(made[row])}; accepted: 1 to the tax year "
            f"{year} (and no later than the year of first registration)"
        )
    return made_from, made_to


def _check_first_registration(law: YearLaw, vehicles: VehicleColumns) -> None:
    if len(vehicles) and vehicles.first_registered_on.max() > np.datetime64(law.tax_year.last_day):
        late = vehicles.first_registered_on > np.datetime64(law.tax_year.last_day)
        reject_row(law, vehicles, int(np.flatnonzero(late)[0]))


def _upper_bound(law: YearLaw, tables: AssessmentTables, vehicles: VehicleColumns, cc_high: int) -> int:
    """The largest annual base any row can have, to choose the dtypes."""
    if not len(vehicles):
        return 0
    load = max(int(vehicles.load_kg.max()), 0)
    blocks = -(-max(load - int(tables.truck_top.min()), 0) // tables.block_kg)
    largest = max(
        max(cc_high, 0) * int(tables.per_cc.amounts.max()),
        int(tables.truck.amounts.max()) + blocks * int(tables.block_amount.max()),
        int(tables.fixed.max()),
    )
    return largest * max(law.local_rate_percent, 100) // 100


def _cc_table(tables: AssessmentTables, cc_high: int, work: type[np.signedinteger[Any]]) -> Work:
    """The standard amount of every (category, use) group for each displacement 0..cc_high."""
    cc = np.arange(cc_high + 1, dtype=np.int64)
    rows = []
    for category in range(len(codes.CATEGORIES)):
        for use in range(len(codes.USES)):
            if category == codes.PASSENGER:
                rows.append(cc * _banded(tables.per_cc, cc, np.full(len(cc), use, np.intp)))
            elif category in (codes.VAN, codes.TRUCK, codes.SPECIAL):
                rows.append(np.zeros(len(cc), np.int64))
            else:
                group = category * len(codes.USES) + use
                rows.append(np.full(len(cc), tables.fixed[group * CLASS_SLOTS], np.int64))
    return np.concatenate(rows).astype(work)


def _banded(table: Banded, values: npt.NDArray[Any], use: npt.NDArray[Any]) -> Int64:
    band = np.zeros(len(values), np.intp)
    for bound in table.bounds:
        band += values > bound
    result: Int64 = table.amounts[use * (len(table.bounds) + 1) + band]
    return result


def _truck(tables: AssessmentTables, load: npt.NDArray[np.int32], use: npt.NDArray[np.uint8]) -> Int64:
    """Truck amounts: the band's amount, plus each block of ``block_kg`` beyond 10t (rules.md §1)."""
    excess = np.maximum(load - tables.truck_top[use], 0)
    if tables.block_ceil:
        excess += tables.block_kg - 1
    blocks = excess // tables.block_kg
    result: Int64 = _banded(tables.truck, load, use) + blocks * tables.block_amount[use]
    return result


def reject_row(law: YearLaw, vehicles: VehicleColumns, row: int) -> None:
    """Raise for row ``row`` the problem the scalar path would report for it."""
    from cartax.rules.assessment import annual_base
    from cartax.rules.errors import RequestError
    from cartax.rules.vectorised.convert import vehicle_at

    vehicle = vehicle_at(vehicles, row)
    if vehicle.manufactured_year > vehicle.first_registered_on.year:
        problem = f"manufactured_year {vehicle.manufactured_year} is after the first registration"
    elif vehicle.first_registered_on.year > law.tax_year.year:
        problem = f"first registered after tax year {law.tax_year.year}"
    elif vehicle.load_kg is not None and vehicle.load_kg <= 0:
        problem = "load_kg must be a positive whole number"
    else:
        try:
            annual_base(vehicle, law)
        except RequestError as error:
            problem = error.message
        else:
            problem = "displacement_cc must be a positive whole number"
    raise ColumnError(f"vehicles row {row}: {problem}")
