"""Who held each vehicle when: its registration history up to the tax year and the year's events.

Every vehicle starts with a ``new_registration`` to its first owner; older vehicles changed hands a few
times before the year (about one sale per fourteen years held). In the tax year about 13.6% of vehicles
are sold (≈3.6 million of 26.4 million nationally, more in spring and December, a few sold twice, rarely
twice the same day) and about 3.8% are deregistered (≈1 million, older ones far more often).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cartax.registry.synth.calendar import EVENT_MONTHS, I32, NEVER, days, in_months, uniform_in
from cartax.registry.synth.fleet import Fleet

I64 = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
REASONS = ("scrap", "export", "theft", "other")
REASON_SHARES = np.array([0.80, 0.15, 0.005, 0.045])
# Share of companies among first owners, by category × use (rental fleets, buses, hauliers, 법인차).
COMPANY_SHARE = np.array([0.04, 0.75, 0.08, 0.80, 0.30, 0.90, 0.12, 0.70, 0.60, 0.90, 0.02, 0.30])
TRANSFER_RATE = (
    0.1365  # sold at least once in the year; 5% of those twice: ≈13.6% transfers a vehicle overall
)
TWICE_RATE = 0.05
DEREGISTRATION_RATE = 0.040  # of vehicles held on 1 January: ≈3.8% of all vehicles
PRIOR_SALES_PER_YEAR = 0.07


@dataclass(frozen=True, slots=True)
class OwnerPool:
    """Owner codes of a district: persons are 0 … persons-1, companies follow."""

    persons: int
    companies: int

    @classmethod
    def for_fleet(cls, vehicles: int) -> OwnerPool:
        return cls(persons=max(8, vehicles * 9 // 10), companies=max(4, vehicles * 3 // 200))

    @property
    def size(self) -> int:
        return self.persons + self.companies

    def draw(self, rng: np.random.Generator, company: Flags) -> I64:
        """Persons uniformly; companies concentrated (a few fleets own many vehicles)."""
        person = rng.integers(0, self.persons, size=len(company))
        firm = self.persons + (rng.random(len(company)) ** 2.5 * self.companies).astype(np.int64)
        return np.where(company, firm, person)

    def is_company(self, codes: I64) -> Flags:
        return codes >= self.persons

    def differ(self, codes: I64, other: I64) -> I64:
        """``codes`` with any owner equal to ``other`` moved to the next owner (nobody sells to himself)."""
        return np.where(codes == other, (codes + 1) % self.size, codes)


@dataclass(frozen=True, slots=True)
class Timeline:
    year_start: int
    year_end: int
    s0: I32  # first day o0 holds in the year: 1 January, or the first registration
    o0: I64  # holder on 1 January (or first owner of a vehicle new in the year)
    t1: I32  # first transfer in the year (NEVER if none) and its buyer
    o1: I64
    t2: I32
    o2: I64
    d: I32  # deregistration (NEVER if none) and its reason
    reason: npt.NDArray[np.int8]
    o0_since: I32  # the day o0 acquired the vehicle (first registration or his purchase)
    first_owner: I64
    prior_vehicle: I64  # transfers before the year: vehicle row, date, buyer, order
    prior_date: I32
    prior_owner: I64
    prior_seq: I64

    def rank(self, day: int | I32) -> I64:
        """Which holder holds on ``day``: 0 = o0, 1 = o1, 2 = o2 (the buyer owns the transfer day)."""
        return np.where(self.t2 <= day, 2, np.where(self.t1 <= day, 1, 0)).astype(np.int64)

    def holder(self, day: int | I32) -> I64:
        rank = self.rank(day)
        return np.where(rank == 2, self.o2, np.where(rank == 1, self.o1, self.o0))

    def holder_start(self, day: int | I32) -> I32:
        rank = self.rank(day)
        return np.where(rank == 2, self.t2, np.where(rank == 1, self.t1, self.s0)).astype(np.int32)

    def registered(self, day: int | I32) -> Flags:
        """On the register that day: registered already and not deregistered yet."""
        return (self.s0 <= day) & (np.asarray(day) < self.d)


def make_timeline(rng: np.random.Generator, fleet: Fleet, pool: OwnerPool, tax_year: int) -> Timeline:
    n = len(fleet)
    year_start, year_end = days(tax_year, 1, 1), days(tax_year, 12, 31)
    company = rng.random(n) < COMPANY_SHARE[fleet.category.astype(np.int64) * 2 + fleet.use]
    o0 = pool.draw(rng, company)
    prior = _prior_transfers(rng, fleet, pool, o0, year_start)
    t1, t2, d, reason = _year_events(rng, fleet, tax_year, year_end)
    o1 = pool.differ(pool.draw(rng, rng.random(n) < 0.12), o0)
    o2 = pool.differ(pool.draw(rng, rng.random(n) < 0.12), o1)
    s0 = np.where(fleet.is_new, fleet.first_reg, year_start).astype(np.int32)
    since = fleet.first_reg.copy()
    np.maximum.at(since, prior[1], prior[2])
    return Timeline(
        year_start,
        year_end,
        s0,
        o0,
        t1,
        np.where(t1 != NEVER, o1, -1),
        t2,
        np.where(t2 != NEVER, o2, -1),
        d,
        reason,
        since,
        *prior,
    )


def _prior_transfers(
    rng: np.random.Generator, fleet: Fleet, pool: OwnerPool, o0: I64, year_start: int
) -> tuple[I64, I64, I32, I64, I64]:
    n = len(fleet)
    held_years = (year_start - fleet.first_reg) / 365.25
    count = np.minimum(rng.poisson(PRIOR_SALES_PER_YEAR * np.maximum(held_years, 0)), 4)
    count = np.where(fleet.is_new | (year_start - fleet.first_reg < 2), 0, count)
    vehicle = np.repeat(np.arange(n, dtype=np.int64), count)
    starts = np.cumsum(count) - count
    seq = np.arange(len(vehicle), dtype=np.int64) - np.repeat(starts, count) + 1  # 1 … count
    fraction = rng.random(len(vehicle))
    fraction = fraction[np.lexsort((fraction, vehicle))]  # ascending within each vehicle
    lo = fleet.first_reg[vehicle].astype(np.int64) + 1
    date = (lo + (fraction * (year_start - lo)).astype(np.int64)).astype(np.int32)
    is_last = seq == np.repeat(count, count)
    dealers = rng.random(len(vehicle)) < 0.2  # 매매업자 buy and resell
    buyer = np.where(is_last, np.repeat(o0, count), pool.draw(rng, dealers))
    first_owner = np.where(count > 0, pool.draw(rng, rng.random(n) < 0.1), o0)
    # No owner sells to himself: compare each buyer with the owner before him.
    before = np.where(seq == 1, first_owner[vehicle], np.roll(buyer, 1))
    clash = (buyer == before) & ~is_last
    buyer = np.where(clash, (buyer + 1) % pool.size, buyer)
    clash_first = np.zeros(n, dtype=np.bool_)
    first_buyer = np.where(seq == 1)[0]
    clash_first[vehicle[first_buyer]] = buyer[first_buyer] == first_owner[vehicle[first_buyer]]
    first_owner = np.where(clash_first, (first_owner + 1) % pool.size, first_owner)
    return first_owner, vehicle, date, buyer, seq


def _year_events(
    rng: np.random.Generator, fleet: Fleet, tax_year: int, year_end: int
) -> tuple[I32, I32, I32, npt.NDArray[np.int8]]:
    n = len(fleet)
    new = fleet.is_new
    sold = rng.random(n) < np.where(new, 0.03, TRANSFER_RATE)
    twice = sold & (rng.random(n) < TWICE_RATE)
    age = np.maximum(tax_year - fleet.manufactured, 0).astype(np.float64)
    weight = 1.0 + age
    scale = DEREGISTRATION_RATE / max(float(weight[~new].mean()) if (~new).any() else 1.0, 1.0)
    dereg = rng.random(n) < np.where(new, 0.002, np.minimum(scale * weight, 0.5))
    seasonal = np.stack([in_months(rng, tax_year, EVENT_MONTHS, n) for _ in range(3)], axis=1)
    after_new = np.stack([uniform_in(rng, fleet.first_reg, year_end, n) for _ in range(3)], axis=1)
    dates = np.sort(np.where(new[:, None], after_new, seasonal), axis=1)
    t1 = np.where(sold, dates[:, 0], NEVER)
    t2 = np.where(twice, dates[:, 1], NEVER)
    t2 = np.where(twice & (rng.random(n) < 0.02), t1, t2)  # a dealer's same-day resale
    last = np.where(twice, 2, np.where(sold, 1, 0))
    d = np.where(dereg, dates[np.arange(n), last], NEVER)
    reason = np.where(dereg, rng.choice(len(REASONS), size=n, p=REASON_SHARES), -1).astype(np.int8)
    return t1.astype(np.int32), t2.astype(np.int32), d.astype(np.int32), reason
