"""감면: severe disability and national-merit exemptions (특례법 §17, §29) on about 1.5% of private cars.

Eligible: private passenger cars up to 2,000cc held by a person all year. About two thirds were decided
before the tax year (in force all year: no bill, or half bills at 50%); the others are decided during
the year, often retroactively, so bills paid before the decision were paid in full (refund cause R6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cartax.registry.synth.calendar import I32, NEVER, days, uniform_in
from cartax.registry.synth.fleet import PASSENGER, PRIVATE, Fleet
from cartax.registry.synth.timeline import OwnerPool, Timeline

Flags = npt.NDArray[np.bool_]
EXEMPT_SHARE = 0.015
STANDING_SHARE = 0.65
FULL_SHARE = 0.85  # rate 1 (full exemption); the rest 0.5 (보훈보상대상자)


@dataclass(frozen=True, slots=True)
class Exemptions:
    """Per vehicle: the exemption on it, if any (``rate_pct`` 0 for none)."""

    rate_pct: npt.NDArray[np.int16]
    effective: I32
    decided: I32  # NEVER where none

    @property
    def any(self) -> Flags:
        return self.rate_pct > 0

    def standing(self, year_start: int) -> Flags:
        """Decided before the tax year: in force for the whole year."""
        return self.any & (self.decided < year_start)


def make_exemptions(
    rng: np.random.Generator, fleet: Fleet, tl: Timeline, pool: OwnerPool, tax_year: int
) -> Exemptions:
    n = len(fleet)
    private_car = (fleet.category == PASSENGER) & (fleet.use == PRIVATE)
    eligible = (
        private_car
        & (fleet.cc <= 2000)
        & ~fleet.is_new
        & (tl.t1 == NEVER)
        & (tl.d == NEVER)
        & ~pool.is_company(tl.o0)
    )
    share = EXEMPT_SHARE * private_car.sum() / max(int(eligible.sum()), 1)
    chosen = eligible & (rng.random(n) < share)
    standing = rng.random(n) < STANDING_SHARE
    year_start = tl.year_start
    # Conditions are met on the owner's car at the earliest when he acquired it.
    old_effective = np.maximum(uniform_in(rng, year_start - 8 * 365, year_start - 90, n), tl.o0_since)
    old_decided = old_effective + rng.integers(10, 60, size=n)
    new_effective = uniform_in(rng, days(tax_year - 1, 7, 1), days(tax_year, 9, 30), n)
    new_effective = np.maximum(new_effective, tl.o0_since)
    new_decided = np.maximum(new_effective, year_start + 15) + rng.integers(10, 90, size=n)
    new_decided = np.minimum(new_decided, days(tax_year, 11, 20))
    effective = np.where(standing, old_effective, new_effective).astype(np.int32)
    decided = np.where(standing, old_decided, new_decided).astype(np.int32)
    rate = np.where(rng.random(n) < FULL_SHARE, 100, 50).astype(np.int16)
    return Exemptions(
        rate_pct=np.where(chosen, rate, 0).astype(np.int16),
        effective=np.where(chosen, effective, NEVER).astype(np.int32),
        decided=np.where(chosen, decided, NEVER).astype(np.int32),
    )
