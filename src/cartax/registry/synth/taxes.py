"""Tax amounts for synthetic payments, taken from the rules engine, never re-derived here.

The engine is scalar; a district holds tens of thousands of vehicles but only a few thousand distinct tax
classes (category, use, cc or class, age start), so each class is assessed once by
:func:`cartax.rules.assessment.assess` and its figures are broadcast to every vehicle of the class.
Prorated bills (a holding that starts inside a half-year, an exemption) go through the engine's own
holding and liability functions, memoised on their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from cartax.core.money import floor10
from cartax.rules import Law
from cartax.rules.assessment import Assessment, assess, education_tax
from cartax.rules.holding import held_days
from cartax.rules.law import YearLaw
from cartax.rules.model import Category, Exemption, Holding, StartEvent, Use, Vehicle
from cartax.rules.refunds import gross_liability

I64 = npt.NDArray[np.int64]
EPOCH = date(1970, 1, 1)
CATEGORIES = tuple(Category)
USES = (Use.PRIVATE, Use.BUSINESS)
VAN_CLASSES = ("express", "large_charter", "small_charter", "large", "small")
SPECIAL_CLASSES = ("large", "small")
WINDOWS = ("jan", "mar", "jun", "sep")


def day(days: int) -> date:
    return EPOCH + timedelta(days=int(days))


def pack_class(
    category: npt.NDArray[np.int8],
    use: npt.NDArray[np.int8],
    cc: npt.NDArray[np.int32],
    van: npt.NDArray[np.int8],
    special: npt.NDArray[np.int8],
    load: npt.NDArray[np.int32],
    start_year: npt.NDArray[np.int32],
    start_h1: npt.NDArray[np.bool_],
) -> I64:
    """One integer per vehicle naming everything the assessment depends on (classes are 0 when absent)."""
    key = category.astype(np.int64)
    key = key << 1 | use
    key = key << 14 | cc
    key = key << 3 | (van + 1)
    key = key << 2 | (special + 1)
    key = key << 17 | load
    key = key << 9 | (start_year - 1800)
    return key << 1 | start_h1


def unpack_vehicle(key: int) -> Vehicle:
    """A vehicle of the class ``key`` names, registered on the first day of its age-start half-year."""
    start_h1, key = key & 1, key >> 1
    start_year, key = (key & 0x1FF) + 1800, key >> 9
    load, key = key & 0x1FFFF, key >> 17
    special, key = (key & 0x3) - 1, key >> 2
    van, key = (key & 0x7) - 1, key >> 3
    cc, key = key & 0x3FFF, key >> 14
    use, category = key & 1, CATEGORIES[key >> 1]
    return Vehicle(
        category=category,
        use=USES[use],
        first_registered_on=date(start_year, 1 if start_h1 else 7, 1),
        manufactured_year=start_year,
        displacement_cc=cc if category is Category.PASSENGER else None,
        van_class=VAN_CLASSES[van] if van >= 0 else None,
        special_class=SPECIAL_CLASSES[special] if special >= 0 else None,
        load_kg=load if category is Category.TRUCK else None,
    )


@dataclass(frozen=True, slots=True)
class WholeYear:
    """The engine's figures for a whole-year holder, one row per vehicle."""

    cls: I64  # index of the vehicle's class in ``keys``
    keys: I64
    base: I64
    bills: tuple[I64, I64]
    edu: tuple[I64, I64]
    due_car: dict[str, I64]  # by prepayment window
    due_edu: dict[str, I64]
    edu_applies: npt.NDArray[np.bool_]


class TaxTable:
    """The engine's amounts for one tax year, memoised across the districts a process generates."""

    def __init__(self, law: Law, tax_year: int) -> None:
        self.law = law
        self.tax_year = tax_year
        self._classes: dict[tuple[int, int], Assessment] = {}
        self._prorated: dict[tuple[object, ...], tuple[int, int]] = {}

    def year_law(self, district: str) -> YearLaw:
        return self.law.year(self.tax_year, district)

    def assessment(self, year_law: YearLaw, key: int) -> Assessment:
        # Districts differ only by their local rate (법 §127③), so classes are shared on (rate, class).
        memo_key = (year_law.local_rate_percent, key)
        found = self._classes.get(memo_key)
        if found is None:
            found = self._classes[memo_key] = assess(unpack_vehicle(key), year_law)
        return found

    def whole_year(self, year_law: YearLaw, packed: I64) -> WholeYear:
        keys, inverse = np.unique(packed, return_inverse=True)
        found = [self.assessment(year_law, int(key)) for key in keys]

        def column(values: list[int]) -> I64:
            return np.asarray(values, dtype=np.int64)[inverse]

        options = [{o.window: o for o in a.prepay_options} for a in found]
        return WholeYear(
            cls=inverse.astype(np.int64),
            keys=keys,
            base=column([a.base for a in found]),
            bills=(column([a.bills[0] for a in found]), column([a.bills[1] for a in found])),
            edu=(column([a.edu_bills[0] for a in found]), column([a.edu_bills[1] for a in found])),
            due_car={w: column([o[w].due_car_tax for o in options]) for w in WINDOWS},
            due_edu={w: column([o[w].due_edu_tax for o in options]) for w in WINDOWS},
            edu_applies=np.asarray([a.edu_applies for a in found], dtype=np.bool_)[inverse],
        )

    def bill(
        self,
        year_law: YearLaw,
        key: int,
        half: int,
        start: tuple[StartEvent, date] | None,
        exemption: tuple[int, date, date] | None = None,
    ) -> tuple[int, int]:
        """Car tax and 지방교육세 the engine finds due for half-year ``half`` (1 or 2).

        ``start`` is the event and date the holding began with, None for a vehicle held before the year;
        ``exemption`` is (rate %, effective_from, decided_on). The holding runs to the end of the year.
        """
        # Many classes share the figures proration reads (A, q_k, the basis of 영 §126, 지방교육세), so the
        # memo is keyed on those: a national run asks the engine a few hundred thousand times, not millions.
        a = self.assessment(year_law, key)
        index = half - 1
        signature = (a.base, a.q_num[index], a.half_year_basis[index], a.edu_applies)
        memo_key = (year_law.local_rate_percent, signature, half, start, exemption)
        found = self._prorated.get(memo_key)
        if found is None:
            found = self._prorated[memo_key] = self._bill(year_law, key, half, start, exemption)
        return found

    def _bill(
        self,
        year_law: YearLaw,
        key: int,
        half: int,
        start: tuple[StartEvent, date] | None,
        exemption: tuple[int, date, date] | None,
    ) -> tuple[int, int]:
        assessment = self.assessment(year_law, key)
        holding = Holding() if start is None else Holding(start_event=start[0], start_date=start[1])
        exemptions = () if exemption is None else (Exemption(exemption[0], exemption[1], exemption[2]),)
        held = held_days(holding, exemptions, year_law)
        span = 1 << (half - 1)  # the engine's span mask: 1 = 제1기분, 2 = 제2기분
        liability = gross_liability(span, assessment, held, year_law)
        car = floor10(liability.gross_num, liability.gross_den)
        return car, education_tax(car, year_law, assessment.edu_applies)
