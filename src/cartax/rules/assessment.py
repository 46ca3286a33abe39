"""What a whole-year holder owes: annual base, ages, half-year bills, 지방교육세, prepayment options.

Every amount that is not yet rounded is kept as an exact integer fraction (numerator over a
denominator) so that no float ever touches money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cartax.core.money import floor10
from cartax.rules.errors import RequestError
from cartax.rules.law import Bands, YearLaw
from cartax.rules.model import Category, HalfYearBill, PrepayOption, TraceStep, Use, Vehicle

REF_BASE = {
    Category.PASSENGER: "지방세법 제127조제1항제1호",
    Category.PASSENGER_OTHER: "지방세법 제127조제1항제1호",
    Category.VAN: "지방세법 제127조제1항제2호",
    Category.TRUCK: "지방세법 제127조제1항제3호",
    Category.SPECIAL: "지방세법 제127조제1항제4호",
    Category.TRICYCLE: "지방세법 제127조제1항제5호",
}
REF_AGE = ("자동차관리법 시행령 제3조", "지방세법 제127조제1항제1호", "지방세법 시행령 제122조제2항")
REF_BILL = ("지방세법 제128조제1항", "지방세법 제128조제2항")
REF_EDU = ("지방세법 제150조제7호", "지방세법 제151조제1항제7호")
REF_PREPAY = ("지방세법 제128조제3항", "지방세법 시행령 제125조제3항", "지방세법 시행령 제125조제6항")


@dataclass(frozen=True, slots=True)
class Assessment:
    """The figures of a whole-year holder of one vehicle in one tax year."""

    base: int  # A
    ages: tuple[int, int]  # n₁, n₂
    reduction_pct: tuple[int, int]  # r(n₁), r(n₂) in %
    q_num: tuple[int, int]  # unrounded half-year amounts q_k = q_num[k] / Q_DEN
    bills: tuple[int, int]
    edu_bills: tuple[int, int]
    edu_applies: bool
    half_year_basis: tuple[bool, bool]  # 영 §126 단서: prorate on the half-year for this half
    prepay_options: tuple[PrepayOption, ...]
    trace: tuple[TraceStep, ...]

    @property
    def annual_car_tax(self) -> int:
        return self.bills[0] + self.bills[1]

    @property
    def annual_edu_tax(self) -> int:
        return self.edu_bills[0] + self.edu_bills[1]

    def half_year_bills(self) -> tuple[HalfYearBill, HalfYearBill]:
        return (
            HalfYearBill(1, self.ages[0], self.reduction_pct[0], self.bills[0], self.edu_bills[0]),
            HalfYearBill(2, self.ages[1], self.reduction_pct[1], self.bills[1], self.edu_bills[1]),
        )


MEMO_LIMIT = 200_000
Q_DEN = 200  # q_k = A × (100 − r_k) / 200: half of the year, reduction in whole percent


def assess(vehicle: Vehicle, law: YearLaw) -> Assessment:
    """The whole-year figures of ``vehicle``; the part that depends only on its class and ages is memoised.

    Vehicles cluster on a few hundred displacements and twenty-odd ages, so a national batch computes
    each distinct (class, ages) once; the memo lives on the resolved year law and is bounded.
    """
    ages, age_start = vehicle_ages(vehicle, law.tax_year.year)
    key = (
        vehicle.category,
        vehicle.use,
        vehicle.displacement_cc,
        vehicle.van_class,
        vehicle.special_class,
        vehicle.load_kg,
        ages,
    )
    memo = law.memo
    found = memo.get(key)
    if found is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        found = memo[key] = _assess(vehicle, ages, law)
    reduced = vehicle.category is Category.PASSENGER and vehicle.use is Use.PRIVATE
    age_step = TraceStep(
        "vehicle_age",
        list(ages),
        REF_AGE,
        {"age_reduction": _age_params(law)} if reduced else {},
        {"age_start": age_start.isoformat(), "reduction_pct": list(found.reduction_pct)},
    )
    return Assessment(
        found.base,
        found.ages,
        found.reduction_pct,
        found.q_num,
        found.bills,
        found.edu_bills,
        found.edu_applies,
        found.half_year_basis,
        found.prepay_options,
        (found.trace[0], age_step, *found.trace[1:]),
    )


def _assess(vehicle: Vehicle, ages: tuple[int, int], law: YearLaw) -> Assessment:
    base, base_step = annual_base(vehicle, law)
    reduced = vehicle.category is Category.PASSENGER and vehicle.use is Use.PRIVATE
    reduction = (_reduction(ages[0], law) if reduced else 0, _reduction(ages[1], law) if reduced else 0)
    q = (base * (100 - reduction[0]), base * (100 - reduction[1]))  # q_k = A/2 × (1 − r_k), over Q_DEN
    bills = (floor10(q[0], Q_DEN), floor10(q[1], Q_DEN))
    edu_applies = vehicle.category.value in law.edu_categories and vehicle.use.value in law.edu_uses
    edu_bills = (education_tax(bills[0], law, edu_applies), education_tax(bills[1], law, edu_applies))
    options = prepay_options(bills, edu_bills, law)
    trace = (
        base_step,
        TraceStep(
            "half_year_bills",
            list(bills),
            REF_BILL,
            {},
            {"q": [f"{q[0]}/{Q_DEN}", f"{q[1]}/{Q_DEN}"], "rounding": "floor10"},
        ),
        TraceStep(
            "education_tax",
            list(edu_bills),
            REF_EDU,
            {"education_tax_percent": law.edu_percent if edu_applies else 0},
            {"applies": edu_applies},
        ),
        TraceStep(
            "prepay_options",
            [option.window for option in options],
            REF_PREPAY,
            {"prepay_deduction_rate": law.prepay_rate_pct, "prepay_june_formula": law.prepay_june_formula},
            {"since": law.since["prepay_deduction_rate"]},
        ),
    )
    half_basis = tuple(reduced and age >= law.age_free_until + 1 for age in ages)
    return Assessment(
        base,
        ages,
        reduction,
        q,
        bills,
        edu_bills,
        edu_applies,
        (half_basis[0], half_basis[1]),
        options,
        trace,
    )


def annual_base(vehicle: Vehicle, law: YearLaw) -> tuple[int, TraceStep]:
    """연세액 A before the age reduction, with the local rate applied (법 §127①③)."""
    use = vehicle.use.value
    params: dict[str, object] = {}
    category = vehicle.category
    if category is Category.PASSENGER:
        cc = _required(vehicle.displacement_cc, "vehicle.displacement_cc", "a passenger car's displacement")
        rate = _band(law.passenger_rate_per_cc[use], cc)
        params = {"rate_per_cc": rate, "displacement_cc": cc}
        standard = cc * rate
    elif category is Category.PASSENGER_OTHER:
        standard = law.passenger_other[use]
    elif category is Category.VAN:
        standard = _classed(law.van[use], vehicle.van_class, "vehicle.van_class", use)
        params = {"van_class": vehicle.van_class}
    elif category is Category.TRUCK:
        standard, params = _truck(vehicle, law)
    elif category is Category.SPECIAL:
        standard = _classed(law.special[use], vehicle.special_class, "vehicle.special_class", use)
        params = {"special_class": vehicle.special_class}
    else:
        standard = law.tricycle[use]
    base = standard * law.local_rate_percent // 100
    params["local_rate_percent"] = law.local_rate_percent
    return base, TraceStep("annual_base", base, (REF_BASE[category], "지방세법 제127조제3항"), params)


def vehicle_ages(vehicle: Vehicle, tax_year: int) -> tuple[tuple[int, int], date]:
    """차령 n₁, n₂ in the two half-years and the age start date (차령기산일)."""
    first = vehicle.first_registered_on
    start = first if first.year == vehicle.manufactured_year else date(vehicle.manufactured_year, 12, 31)
    years = tax_year - start.year
    if start.month <= 6:
        return (years + 1, years + 1), start
    return (years, years + 1), start


def education_tax(car_tax: int, law: YearLaw, applies: bool) -> int:
    """지방교육세 on one car-tax amount, floored to 10원."""
    return floor10(car_tax * law.edu_percent, 100) if applies else 0


def prepay_options(bills: tuple[int, int], edu: tuple[int, int], law: YearLaw) -> tuple[PrepayOption, ...]:
    """The four 연납 windows for a whole-year holder (rules.md §4)."""
    annual = (bills[0] + bills[1], edu[0] + edu[1])
    second = (bills[1], edu[1])
    rate, days = law.prepay_rate_pct, law.tax_year.days
    options = []
    for window in ("jan", "mar", "jun", "sep"):
        if window in law.prepay_counted_from:
            counted = (law.tax_year.last_day - law.prepay_counted_from[window]).days + 1
            deduction = tuple(floor10(x * counted * rate, days * 100) for x in annual)
            covered = annual
        elif window == "jun" and law.prepay_june_formula == "second_half_bill":
            deduction = tuple(floor10(x * rate, 100) for x in second)
            covered = annual
        elif window == "jun":
            deduction = tuple(floor10(x * 184 * rate, days * 100) for x in annual)
            covered = annual
        else:  # sep: the second half only
            deduction = tuple(floor10(x * 92 * rate, 184 * 100) for x in second)
            covered = second
        options.append(
            PrepayOption(
                window, deduction[0], deduction[1], covered[0] - deduction[0], covered[1] - deduction[1]
            )
        )
    return tuple(options)


def _reduction(age: int, law: YearLaw) -> int:
    if age <= law.age_free_until:
        return 0
    return law.age_percent_per_year * (min(age, law.age_cap) - law.age_free_until)


def _age_params(law: YearLaw) -> dict[str, int]:
    return {
        "free_until_age": law.age_free_until,
        "percent_per_year": law.age_percent_per_year,
        "cap_age": law.age_cap,
    }


def _band(bands: Bands, amount: int) -> int:
    for bound, value in bands:
        if bound is None or amount <= bound:
            return value
    return bands[-1][1]


def _truck(vehicle: Vehicle, law: YearLaw) -> tuple[int, dict[str, object]]:
    load = _required(vehicle.load_kg, "vehicle.load_kg", "a truck's load capacity in kg")
    use = vehicle.use.value
    bands = law.truck[use]
    top_bound, top_amount = bands[-1]
    assert top_bound is not None  # noqa: S101 - the truck table always ends at 10t
    if load <= top_bound:
        return _band(bands, load), {"load_kg": load}
    excess = load - top_bound
    blocks = (
        -(-excess // law.truck_block_kg)
        if law.truck_block_rounding == "ceil"
        else excess // law.truck_block_kg
    )
    amount = top_amount + blocks * law.truck_block_amount[use]
    return amount, {
        "load_kg": load,
        "blocks_over_10t": blocks,
        "truck_block_rounding": law.truck_block_rounding,
    }


def _classed(table: dict[str, int], value: str | None, field: str, use: str) -> int:
    if value is None:
        raise RequestError(
            "missing_field", field, f"{field} is required for this category; accepted: {_list(table)}"
        )
    if value not in table:
        raise RequestError(
            "invalid_value",
            field,
            f"{field} {value!r} does not exist for {use} vehicles; accepted: {_list(table)}",
        )
    return table[value]


def _required(value: int | None, field: str, what: str) -> int:
    if value is None:
        raise RequestError(
            "missing_field", field, f"{field} is required: give {what} as a positive whole number"
        )
    return value


def _list(table: dict[str, int]) -> str:
    return ", ".join(table)
