"""The vehicles of one district: categories, uses, engines and classes, ages and plates.

Shares follow the national register (국토교통부 자동차 등록현황): about 80% passenger cars (3.5% of them
electric or hydrogen), 14% trucks (most of them 1-ton), 2.5% vans, 0.6% special vehicles, a few
three-wheelers; business use (taxis, rental cars, buses, haulage) by category; an average age near ten
years; about 6.5% of the vehicles first registered during the tax year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from cartax.registry.synth.calendar import I32, NEW_MONTHS, days, in_months, uniform_in, year_starts

I8 = npt.NDArray[np.int8]
PASSENGER, PASSENGER_OTHER, VAN, TRUCK, SPECIAL, TRICYCLE = range(6)
PRIVATE, BUSINESS = 0, 1

# Plate groups: (band of the front digits, use). Bands: passenger cars, vans, trucks, special vehicles.
GROUP_SHARES = np.array(
    [
        0.82 * 0.93,
        0.82 * 0.07,
        0.025 * 0.75,
        0.025 * 0.25,
        0.145 * 0.88,
        0.145 * 0.12,
        0.006 * 0.4,
        0.006 * 0.6,
    ]
)
GROUP_SHARES = GROUP_SHARES / GROUP_SHARES.sum()
BAND_FRONTS = ((100, 600), (700, 100), (800, 180), (980, 18))  # first front number, how many
PRIVATE_HANGUL = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주"
BUSINESS_HANGUL = ("바사아자하허호", "바사아자", "바사아자", "바사아자")  # 하허호: rental cars
PLATE_STEP = 2_654_435_761  # a prime (2³² / φ), coprime with every group's plate space: scatters the ordinals

CC_TABLE = np.array(
    [
        998,
        1353,
        1368,
        1497,
        1591,
        1598,
        1995,
        1998,
        1999,
        2151,
        2199,
        2359,
        2497,
        2999,
        3342,
        3470,
        3778,
        4999,
    ]
)
CC_SHARES = np.array([10, 3, 4, 3, 7, 14, 3, 8, 17, 3, 3, 4, 7, 4, 4, 2, 3, 1], dtype=np.float64)
LOAD_TABLE = np.array(
    [1000, 1200, 1400, 2500, 3500, 4500, 5000, 8000, 9500, 11500, 14500, 16000, 22000, 25500]
)
LOAD_SHARES = np.array([55, 3, 4, 8, 5, 4, 4, 4, 4, 3, 3, 1, 1, 1], dtype=np.float64)
VAN_SHARES = {PRIVATE: np.array([0, 0, 0, 35, 65.0]), BUSINESS: np.array([12, 28, 20, 15, 25.0])}
OTHER_SHARE = 0.035  # electric and hydrogen among passenger cars
TRICYCLE_SHARE = 0.035  # three-wheelers among the truck band
NEW_SHARE = 0.065  # first registered during the tax year (≈1.7 million a year nationally)
MAX_AGE = 40


@dataclass(frozen=True, slots=True)
class Fleet:
    group: I8  # plate group
    category: I8
    use: I8
    cc: I32  # 0 where not a passenger car
    van: I8  # index in VAN_CLASSES, -1 where not a van
    special: I8
    load: I32  # 0 where not a truck
    first_reg: I32  # days since 1970-01-01
    manufactured: I32
    is_new: npt.NDArray[np.bool_]  # first registered during the tax year

    def __len__(self) -> int:
        return len(self.category)

    @property
    def age_start_year(self) -> I32:
        """Year of the age start date (차령기산일), by the rule of 자동차관리법 시행령 §3."""
        reg_year = years_of(self.first_reg)
        return np.where(reg_year == self.manufactured, reg_year, self.manufactured).astype(np.int32)

    @property
    def age_start_h1(self) -> npt.NDArray[np.bool_]:
        reg_year = years_of(self.first_reg)
        month = (self.first_reg.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12) + 1
        starts_h1: npt.NDArray[np.bool_] = (reg_year == self.manufactured) & (month <= 6)
        return starts_h1


def years_of(day: I32) -> I32:
    return (day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970).astype(np.int32)


def make_fleet(rng: np.random.Generator, group_counts: tuple[int, ...], tax_year: int) -> Fleet:
    group = rng.permutation(np.repeat(np.arange(len(group_counts), dtype=np.int8), group_counts))
    n = len(group)
    band, use = group // 2, (group % 2).astype(np.int8)
    category = np.select(
        [band == 0, band == 1, band == 2],
        [
            np.where(rng.random(n) < OTHER_SHARE, PASSENGER_OTHER, PASSENGER),
            VAN,
            np.where(rng.random(n) < TRICYCLE_SHARE, TRICYCLE, TRUCK),
        ],
        SPECIAL,
    ).astype(np.int8)
    cc = np.where(category == PASSENGER, CC_TABLE[_pick(rng, CC_SHARES, n)], 0).astype(np.int32)
    load = np.where(category == TRUCK, LOAD_TABLE[_pick(rng, LOAD_SHARES, n)], 0).astype(np.int32)
    van_kind = np.where(
        use == PRIVATE, _pick(rng, VAN_SHARES[PRIVATE], n), _pick(rng, VAN_SHARES[BUSINESS], n)
    )
    van = np.where(category == VAN, van_kind, -1).astype(np.int8)
    special = np.where(category == SPECIAL, (rng.random(n) < 0.55).astype(np.int8), -1).astype(np.int8)
    first_reg, manufactured, is_new = _registration_dates(rng, category, tax_year)
    return Fleet(group, category, use, cc, van, special, load, first_reg, manufactured, is_new)


def _pick(rng: np.random.Generator, shares: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.int64]:
    return rng.choice(len(shares), size=n, p=shares / shares.sum())


def _registration_dates(
    rng: np.random.Generator, category: I8, tax_year: int
) -> tuple[I32, I32, npt.NDArray[np.bool_]]:
    n = len(category)
    is_new = rng.random(n) < NEW_SHARE
    ages = np.arange(MAX_AGE)
    weights = np.where(ages <= 12, 1.0, 0.78 ** (ages - 12.0))
    age = rng.choice(MAX_AGE, size=n, p=weights / weights.sum())
    age = np.where(category == PASSENGER_OTHER, age % 12, age)  # electric cars are recent
    first = tax_year - MAX_AGE
    starts = year_starts(first, tax_year)
    reg_year = tax_year - 1 - age
    old = uniform_in(rng, starts[reg_year - first], starts[reg_year - first + 1] - 1, n)
    new = in_months(rng, tax_year, NEW_MONTHS, n)
    first_reg = np.where(is_new, new, old).astype(np.int32)
    reg_year = np.where(is_new, tax_year, reg_year)
    late = rng.random(n) < np.where(is_new, 0.05, 0.08)  # registered after its year of manufacture
    manufactured = (reg_year - late).astype(np.int32)
    return first_reg, manufactured, is_new


def plates(fleet: Fleet, ordinals: npt.NDArray[np.int64]) -> pl.Series:
    """Plates such as ``123가4567``: the front digits tell the category, the syllable the use.

    ``ordinals`` number the vehicles of each plate group across the whole run, so every plate of the run
    is distinct (a bijection onto the group's front × syllable × 4-digit space).
    """
    band = fleet.group // 2
    fronts = np.array([first for first, _ in BAND_FRONTS])[band]
    widths = np.array([count for _, count in BAND_FRONTS])[band]
    alphabets = [PRIVATE_HANGUL if g % 2 == PRIVATE else BUSINESS_HANGUL[g // 2] for g in range(8)]
    letters = np.array([len(a) for a in alphabets])[fleet.group]
    space = widths * letters * 9000
    x = (ordinals * PLATE_STEP + 7919) % space
    serial, x = x % 9000 + 1000, x // 9000
    letter, front = x % letters, fronts + x // letters
    flat = np.array([ch for a in alphabets for ch in a])
    offset = np.cumsum([0] + [len(a) for a in alphabets])[:-1][fleet.group]
    letters_text = pl.Series(flat.tolist()).gather(offset + letter)
    parts = pl.DataFrame({"front": front, "letter": letters_text, "serial": serial})
    return parts.select(plate=pl.concat_str("front", "letter", "serial")).to_series()


def plan_groups(rng: np.random.Generator, vehicles: int) -> tuple[int, ...]:
    """How many vehicles of each plate group a district of ``vehicles`` holds."""
    return tuple(int(c) for c in rng.multinomial(vehicles, GROUP_SHARES))


__all__ = ["Fleet", "days", "make_fleet", "plan_groups", "plates"]
