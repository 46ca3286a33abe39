"""What each change of a case adds to the dashboards' summaries (pure; the adapters write it).

Three summaries, all additive so that a change only touches a few small rows:

- **flows**: cases entering a stage (a state, or ``straight_through`` for an approval the policy made),
  by district, month of the Korean calendar and main refund cause, with the amount concerned;
- **unclaimed**: the stock of refunds nobody has claimed yet (detected, notified, objected or
  recomputed and not closed), by the month their 5-year prescription ends: +1 on entering, -1 on leaving;
- **money days**: paid cases by month of payment and whole days from detection to the money.

Replaying a case's whole history through :func:`deltas` gives exactly what its changes added one by
one, which is how the summaries are rebuilt and how the benchmark loads them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from cartax.cases.computation import Computation
from cartax.cases.model import Case, CaseState

KST = timezone(timedelta(hours=9), "KST")
STRAIGHT_THROUGH_STAGE = "straight_through"
FAILED_STAGE = "failed"
NO_CAUSE = "--"
UNCLAIMED = frozenset({CaseState.DETECTED, CaseState.NOTIFIED, CaseState.OBJECTED, CaseState.RECOMPUTED})

Flows = dict[tuple[date, str, str], list[int]]  # (month, stage, cause) → [cases, amount]
Stock = dict[tuple[date, str], list[int]]  # (lapse month, cause) → [cases, amount]
MoneyDays = dict[tuple[date, int], int]  # (month paid, days) → cases


@dataclass
class Deltas:
    district: str
    flows: Flows = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    unclaimed: Stock = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    money_days: MoneyDays = field(default_factory=lambda: defaultdict(int))

    def __bool__(self) -> bool:
        return bool(self.flows or self.unclaimed or self.money_days)


def month_of(moment: datetime | date) -> date:
    """The first day of the Korean-calendar month of ``moment``.

    >>> month_of(datetime(2026, 6, 30, 15, 30, tzinfo=timezone.utc))
    datetime.date(2026, 7, 1)
    """
    day = moment.astimezone(KST).date() if isinstance(moment, datetime) else moment
    return day.replace(day=1)


def main_cause(computation: Computation) -> str:
    """The cause of the largest refund line (the first of equals); ``--`` without lines."""
    lines = computation.refunds
    if not lines:
        return NO_CAUSE
    return max(lines, key=lambda line: line.refund + line.interest).cause


def stage_amount(stage: CaseState, computation: Computation) -> int:
    """The amount a stage is counted with: the offset for an offset, what lapsed for a lapse, else payable."""
    if stage is CaseState.OFFSET:
        return computation.totals.offset
    if stage is CaseState.LAPSED and computation.nothing_to_pay:
        return sum(line.refund + line.interest for line in computation.refunds if line.lapsed)
    return computation.totals.payable


def deltas(case: Case, replay: bool = False) -> Deltas:
    """What the case's new history rows (all rows with ``replay``) add to the summaries."""
    found = Deltas(case.identity.district)
    by_version = {computation.version: computation for computation in case.computations}
    start = 0 if replay else len(case.history) - len(case.new_transitions)
    opened_on = case.opened_at.astimezone(KST).date()
    for index in range(start, len(case.history)):
        row = case.history[index]
        computation = by_version[row.computation]
        month, cause = month_of(row.at), main_cause(computation)
        _add(found.flows[(month, str(row.to_state), cause)], 1, stage_amount(row.to_state, computation))
        if row.to_state is CaseState.APPROVED and row.reason == STRAIGHT_THROUGH_STAGE:
            _add(found.flows[(month, STRAIGHT_THROUGH_STAGE, cause)], 1, computation.totals.payable)
        if index > 0 and case.history[index - 1].to_state in UNCLAIMED:
            before = by_version.get(case.history[index - 1].computation)
            if before is not None:
                _unclaimed(found, before, -1)
        if row.to_state in UNCLAIMED:
            _unclaimed(found, computation, 1)
        if row.to_state is CaseState.PAID:
            days = (row.at.astimezone(KST).date() - opened_on).days
            found.money_days[(month, days)] += 1
    return found


def _unclaimed(found: Deltas, computation: Computation, sign: int) -> None:
    last_day = computation.lapses_after()
    if last_day is None or computation.totals.payable <= 0:
        return
    _add(
        found.unclaimed[(month_of(last_day), main_cause(computation))],
        sign,
        sign * computation.totals.payable,
    )


def _add(cell: list[int], cases: int, amount: int) -> None:
    cell[0] += cases
    cell[1] += amount
