"""The lines of the console's lists, as shown, exported and approved in bulk: a case's ids, plate,
masked owner name, state and amounts. The same lines everywhere, so a file holds nothing the screen
did not show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cartax.cases.worklists import WorkLine
from cartax.web.console.deps import ConsoleDeps, masked_name
from cartax.web.console.filters import LAPSE_HORIZON_DAYS, ListFilter, Queue


@dataclass(frozen=True, slots=True)
class Row:
    case_key: str
    plate: str
    owner: str
    """The owner's name, masked."""
    tax_year: int
    state: str
    since: datetime
    payable: int
    signatures: int
    last_day: date | None = None
    """Approaching lapse: the last day the refunds can be paid."""


def load_lines(
    deps: ConsoleDeps, district: str, wanted: ListFilter, after: str | None, limit: int
) -> list[tuple[WorkLine, date | None]]:
    """The district's lines that the filter selects (at most ``limit``), with their last day if lapsing."""
    lists = deps.services.case_lists
    if wanted.queue is Queue.LAPSING:
        until = deps.platform.today() + timedelta(days=LAPSE_HORIZON_DAYS)
        work = wanted.work_filter()
        found: list[tuple[WorkLine, date | None]] = [
            (item.line, item.last_day)
            for item in lists.lapsing(district, until, limit * 4)
            if _within(item.line, work.min_payable, work.max_payable, work.tax_year)
        ]
        return found[:limit]
    if wanted.queue is Queue.FAILED_TRANSFERS:
        return []
    return [(line, None) for line in lists.worklist(district, wanted.work_filter(), after, limit)]


def _within(line: WorkLine, low: int | None, high: int | None, year: int | None) -> bool:
    return (
        (low is None or line.payable >= low)
        and (high is None or line.payable <= high)
        and (year is None or line.tax_year == year)
    )


def rows_of(deps: ConsoleDeps, lines: Sequence[tuple[WorkLine, date | None]]) -> list[Row]:
    vehicles = deps.services.vehicles
    plates = vehicles.plates([line.vehicle_id for line, _ in lines])
    names = vehicles.owner_names([line.owner_id for line, _ in lines])
    return [
        Row(
            line.case_key,
            plates.get(line.vehicle_id, "—"),
            masked_name(names.get(line.owner_id)),
            line.tax_year,
            str(line.state),
            line.since,
            line.payable,
            line.signatures,
            last_day,
        )
        for line, last_day in lines
    ]
