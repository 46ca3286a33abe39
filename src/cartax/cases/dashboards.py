"""The dashboards' read model: what a district's or a province's officers see of their cases.

Figures come from the summaries of :mod:`cartax.cases.summaries` (kept current with every change), so a
dashboard costs a few small grouped reads whatever the number of cases behind it.

Definitions (docs/processing.md): the *claim rate* is the cases claimed (accepted or auto-consented)
over the cases notified; the *straight-through share* is the approvals the policy made over all
approvals; *time to money* counts whole Korean-calendar days from detection to the transfer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

STAGES = (
    "detected",
    "notified",
    "accepted",
    "auto_consented",
    "approved",
    "straight_through",
    "paid",
    "failed",
    "offset",
    "lapsed",
)
"""The stages a dashboard counts, in the order of the journey (``failed``: transfers the bank refused)."""
CLAIMED = ("accepted", "auto_consented")
AGEING_BUCKETS = (3, 6, 12, 24, 36, 48, 60)
"""Upper bounds, in months until the refund lapses, of the ageing buckets (the last takes the rest)."""


@dataclass(frozen=True, slots=True)
class Figure:
    cases: int = 0
    amount: int = 0


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: date
    stages: Mapping[str, Figure]
    median_days: int | None

    def cases(self, stage: str) -> int:
        return self.stages.get(stage, Figure()).cases


@dataclass(frozen=True, slots=True)
class CauseRow:
    cause: str
    stages: Mapping[str, Figure]

    def cases(self, stage: str) -> int:
        return self.stages.get(stage, Figure()).cases

    @property
    def claim_rate(self) -> float | None:
        return rate(sum(self.cases(stage) for stage in CLAIMED), self.cases("notified"))


@dataclass(frozen=True, slots=True)
class AgeingRow:
    """Unclaimed refunds lapsing within ``up_to_months`` (and beyond the previous bucket); 0: already due."""

    up_to_months: int
    figure: Figure


@dataclass(frozen=True, slots=True)
class Dashboard:
    districts: tuple[str, ...]
    today: date
    totals: Mapping[str, Figure]
    months: Sequence[MonthRow]
    causes: Sequence[CauseRow]
    ageing: Sequence[AgeingRow]
    median_days: int | None
    p90_days: int | None
    paid_counted: int
    unclaimed: Figure = field(default_factory=Figure)

    def total(self, stage: str) -> Figure:
        return self.totals.get(stage, Figure())

    @property
    def claim_rate(self) -> float | None:
        return rate(sum(self.total(stage).cases for stage in CLAIMED), self.total("notified").cases)

    @property
    def straight_through_share(self) -> float | None:
        return rate(self.total("straight_through").cases, self.total("approved").cases)


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide by.

    >>> rate(1, 4), rate(3, 0)
    (0.25, None)
    """
    return part / whole if whole else None


def percentile(histogram: Mapping[int, int], fraction: float) -> int | None:
    """The smallest value with at least ``fraction`` of the counts at or below it (nearest rank).

    >>> percentile({3: 1, 5: 2, 40: 1}, 0.5), percentile({3: 1, 5: 2, 40: 1}, 0.9), percentile({}, 0.5)
    (5, 40, None)
    """
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-int(total * fraction * 1_000_000) // 1_000_000))  # ceil without floats drifting
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def months_between(today: date, month: date) -> int:
    """Whole months from ``today``'s month to ``month`` (negative when it is past).

    >>> months_between(date(2026, 8, 14), date(2027, 2, 1))
    6
    """
    return (month.year - today.year) * 12 + month.month - today.month


def ageing(stock: Mapping[date, Figure], today: date) -> list[AgeingRow]:
    """Unclaimed refunds in buckets of months until they lapse; bucket 0 holds those already due."""
    buckets: dict[int, list[int]] = {bound: [0, 0] for bound in (0, *AGEING_BUCKETS)}
    for month, figure in stock.items():
        ahead = months_between(today, month)
        bound = 0 if ahead < 0 else next((b for b in AGEING_BUCKETS if ahead < b), AGEING_BUCKETS[-1])
        buckets[bound][0] += figure.cases
        buckets[bound][1] += figure.amount
    return [AgeingRow(bound, Figure(*cell)) for bound, cell in buckets.items()]
