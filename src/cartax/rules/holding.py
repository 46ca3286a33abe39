"""Who holds the car on which days of the tax year, and which of those days are exempt (rules.md §5, §7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from cartax.core.dates import ONE_DAY, inclusive_days
from cartax.rules.law import YearLaw
from cartax.rules.model import EndEvent, Exemption, Holding, StartEvent


@dataclass(frozen=True, slots=True)
class HeldDays:
    """The owner's held interval in the year and its weights per half-year.

    ``weights`` are in half-days: a held day counts 2, a day with a 50% reduction 1, an exempt day 0,
    so that ``w_k = weights[k] / 2`` stays an integer computation.
    """

    first: date | None  # None when the owner held no day of the year
    last: date | None
    held: tuple[int, int]  # held days per half-year
    weights: tuple[int, int]  # taxable half-days per half-year
    exempt_held: tuple[int, int]  # held days with any exemption, per half-year
    exemption_decisions: tuple[tuple[date, ...], tuple[date, ...]]  # decision dates covering those days
    ended_on: date | None  # the date of the end event (transfer or 말소), if the holding ended

    def whole(self, half: int) -> bool:
        return False if self.first is None else self.held[half - 1] > 0 and self.exempt_held[half - 1] == 0

    def last_held_in(self, start: date, end: date) -> bool:
        return self.last is not None and start <= self.last <= end


def held_days(holding: Holding, exemptions: tuple[Exemption, ...], law: YearLaw) -> HeldDays:
    if holding.held_no_day:
        return HeldDays(None, None, (0, 0), (0, 0), (0, 0), ((), ()), None)
    first, last = _interval(holding, law)
    if first is not None and last is not None and last < first:
        first = last = None
    held = [0, 0]
    weights = [0, 0]
    exempt = [0, 0]
    decisions: list[list[date]] = [[], []]
    for index, (start, end, _) in enumerate(law.halves):
        if first is None or last is None:
            continue
        lo, hi = max(first, start), min(last, end)
        days = inclusive_days(lo, hi)
        held[index] = days
        if days == 0:
            continue
        full, half_rate, covering = _exempt_days(exemptions, lo, hi, law)
        exempt[index] = full + half_rate
        weights[index] = 2 * days - 2 * full - half_rate
        decisions[index] = covering
    return HeldDays(
        first,
        last,
        (held[0], held[1]),
        (weights[0], weights[1]),
        (exempt[0], exempt[1]),
        (tuple(decisions[0]), tuple(decisions[1])),
        holding.end_date if holding.end_event is not EndEvent.HELD else None,
    )


def _interval(holding: Holding, law: YearLaw) -> tuple[date | None, date | None]:
    year = law.tax_year
    buyer_owns_day = law.transfer_day_owner == "buyer"
    if holding.start_event is StartEvent.HELD or holding.start_date is None:
        first = year.first_day
    elif holding.start_event is StartEvent.TRANSFER and not buyer_owns_day:
        first = holding.start_date + ONE_DAY
    else:
        first = holding.start_date
    if holding.end_event is EndEvent.HELD or holding.end_date is None:
        last = year.last_day
    elif holding.end_event is EndEvent.TRANSFER:
        last = holding.end_date - ONE_DAY if buyer_owns_day else holding.end_date
    else:
        last = holding.end_date if law.deregistration_day_taxed else holding.end_date - ONE_DAY
    if first > year.last_day or last < year.first_day:
        return None, None
    return first, last


def exemption_start(exemption: Exemption, law: YearLaw) -> date:
    if law.exemption_retroactive:
        return exemption.effective_from
    return exemption.applied_on or exemption.decided_on


def _exempt_days(
    exemptions: tuple[Exemption, ...], lo: date, hi: date, law: YearLaw
) -> tuple[int, int, list[date]]:
    """Days in [lo, hi] fully exempt, days with only a 50% reduction, and the covering decisions."""
    if not exemptions:
        return 0, 0, []
    spans: list[tuple[date, date, int, date]] = []
    for exemption in exemptions:
        start, end = max(lo, exemption_start(exemption, law)), min(hi, law.exemption_sunset)
        if start <= end:
            spans.append((start, end, exemption.rate_pct, exemption.decided_on))
    if not spans:
        return 0, 0, []
    # Sweep the distinct boundaries: on each elementary segment the larger rate applies.
    cuts = sorted({s for s, _, _, _ in spans} | {e + ONE_DAY for _, e, _, _ in spans})
    full = half = 0
    for seg_start, seg_next in pairwise(cuts):
        rates = [rate for s, e, rate, _ in spans if s <= seg_start <= e]
        if not rates:
            continue
        days = (seg_next - seg_start).days
        if max(rates) >= 100:
            full += days
        else:
            half += days
    return full, half, [decided for _, _, _, decided in spans]
