"""Held days and exempt days of every case (rules.md §5, §7), as :func:`cartax.rules.holding.held_days`.

Exemptions are a small table of their own. Every exemption of a case runs from its start to the
sunset, so within a half-year all of them end on the same day: the union of the full exemptions
is one interval from the earliest full one, and the union of all of them one interval from the
earliest of any. Fully exempt days and 50% days are therefore two lengths per case and half-year,
found with a minimum over the exemption rows, with no loop over cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartax.rules.law import YearLaw
from cartax.rules.vectorised import codes
from cartax.rules.vectorised.columns import CaseColumns, ExemptionColumns, Flags, Int64
from cartax.rules.vectorised.days import NAT, numbers
from cartax.rules.vectorised.tables import Calendar, calendar, sunset_day

NO_START = int(np.iinfo(np.int64).max)


@dataclass(frozen=True, slots=True)
class HeldColumns:
    """Per case. Day numbers are days since 1970-01-01; ``NAT`` marks none."""

    empty: Flags  # the owner held no day of the year
    last: Int64  # last held day (meaningless where empty)
    held: tuple[Int64, Int64]  # held days per half-year
    weights: tuple[Int64, Int64]  # taxable half-days per half-year (held day 2, 50% day 1, exempt day 0)
    exempt: tuple[Int64, Int64]  # held days with any exemption, per half-year
    decision: tuple[Int64, Int64]  # latest decision of the exemptions covering those days, or NAT
    ended_on: Int64  # date of the end event (transfer or 말소), NAT when held to the end


def held_columns(law: YearLaw, cases: CaseColumns, exemptions: ExemptionColumns) -> HeldColumns:
    days = calendar(law)
    first, last, empty = _interval(law, days, cases)
    no_day: Flags = np.asarray(cases.held_no_day, np.bool_)
    empty |= no_day
    held: list[Int64] = []
    weights: list[Int64] = []
    exempt: list[Int64] = []
    decision: list[Int64] = []
    for half in (0, 1):
        low = np.maximum(first, days.half_start[half])
        high = np.minimum(last, days.half_end[half])
        count = np.where(empty, 0, np.maximum(high - low + 1, 0))
        full, partial, decided = _exempt_days(law, exemptions, count, low, high)
        held.append(count)
        weights.append(2 * count - 2 * full - partial)
        exempt.append(full + partial)
        decision.append(decided)
    # A payer who held no day has no end event of theirs either (rules/holding.py, held_no_day).
    ended = (cases.end_event != codes.END_HELD) & ~no_day
    return HeldColumns(
        empty=empty,
        last=last,
        held=(held[0], held[1]),
        weights=(weights[0], weights[1]),
        exempt=(exempt[0], exempt[1]),
        decision=(decision[0], decision[1]),
        ended_on=np.where(ended, numbers(cases.end_date), NAT),
    )


def _interval(law: YearLaw, days: Calendar, cases: CaseColumns) -> tuple[Int64, Int64, Flags]:
    """First and last held day of each case, and whether the holding is empty (rules.md §5, §9)."""
    buyer_owns_day = law.transfer_day_owner == "buyer"
    start_held = cases.start_event == codes.START_HELD
    end_held = cases.end_event == codes.END_HELD
    start = np.where(start_held, days.first, numbers(cases.start_date))
    end = np.where(end_held, days.last, numbers(cases.end_date))
    if not buyer_owns_day:
        start = start + (cases.start_event == codes.START_TRANSFER)
    day_before = (cases.end_event == codes.END_TRANSFER) & buyer_owns_day
    if not law.deregistration_day_taxed:
        day_before |= cases.end_event == codes.END_DEREGISTRATION
    last = end - day_before
    empty = (start > days.last) | (last < days.first) | (last < start)
    return start, last, empty


def _exempt_days(
    law: YearLaw, exemptions: ExemptionColumns, held: Int64, low: Int64, high: Int64
) -> tuple[Int64, Int64, Int64]:
    """Per case, in the held part [low, high] of one half-year: days fully exempt, days with only a
    50% reduction, and the latest decision date of the exemptions covering any of its days."""
    n = len(held)
    full = np.zeros(n, np.int64)
    decided = np.full(n, NAT, np.int64)
    if not len(exemptions):
        return full, full.copy(), decided
    case = exemptions.case.astype(np.intp)
    end = np.minimum(high, sunset_day(law))
    starts = np.maximum(low[case], _exemption_start(law, exemptions))
    covers = (held[case] > 0) & (starts <= end[case])
    earliest_any = np.full(n, NO_START, np.int64)
    np.minimum.at(earliest_any, case[covers], starts[covers])
    is_full = covers & (exemptions.rate_pct >= 100)
    earliest_full = np.full(n, NO_START, np.int64)
    np.minimum.at(earliest_full, case[is_full], starts[is_full])
    np.maximum.at(decided, case[covers], numbers(exemptions.decided_on)[covers])
    any_days = np.where(earliest_any <= end, end - earliest_any + 1, 0)
    full = np.where(earliest_full <= end, end - earliest_full + 1, 0)
    return full, any_days - full, decided


def _exemption_start(law: YearLaw, exemptions: ExemptionColumns) -> Int64:
    """As :func:`cartax.rules.holding.exemption_start`: from the conditions, or from the application."""
    if law.exemption_retroactive:
        return numbers(exemptions.effective_from)
    applied = numbers(exemptions.applied_on)
    start: Int64 = np.where(np.isnat(exemptions.applied_on), numbers(exemptions.decided_on), applied)
    return start
