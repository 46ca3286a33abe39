"""The lines of the console's lists, as shown, exported and approved in bulk: a case's ids, plate,
masked owner name, state and amounts. The same lines everywhere, so a file holds nothing the screen
did not show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cartax.cases.worklists import WorkFilter, WorkLine
from cartax.web.console.deps import ConsoleDeps, masked_name
from cartax.web.console.filters import LAPSE_HORIZON_DAYS, ListFilter, Queue
from cartax.web.console.related import Labels, failed_transfers


@dataclass(frozen=True, slots=True)
class Listed:
    """A case as a list found it, with what that list adds: the last day before it lapses, or why its
    transfer failed."""

    line: WorkLine
    last_day: date | None = None
    note: str = ""


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
    note: str = ""
    """Failed transfers: why the bank refused it, or why it waits."""


def load_lines(
    deps: ConsoleDeps, district: str, wanted: ListFilter, after: str | None, limit: int, lang: str = "ko"
) -> list[Listed]:
    """The district's cases that the filter selects (at most ``limit``)."""
    work = wanted.work_filter()
    if wanted.queue is Queue.LAPSING:
        until = deps.platform.today() + timedelta(days=LAPSE_HORIZON_DAYS)
        found = deps.services.case_lists.lapsing(district, until, limit * 4)
        return [
            Listed(item.line, item.last_day)
            for item in found
            if _within(item.line, work.min_payable, work.max_payable, work.tax_year)
        ][:limit]
    if wanted.queue is Queue.FAILED_TRANSFERS:
        return _failed(deps, district, work, limit, lang)
    return [Listed(line) for line in deps.services.case_lists.worklist(district, work, after, limit)]


def _failed(deps: ConsoleDeps, district: str, work: WorkFilter, limit: int, lang: str) -> list[Listed]:
    """The district's failed (or held) transfers, oldest first, with payout's reason in its words."""
    failed = failed_transfers(deps.services, district, limit)
    keys = tuple(item.case_key for item in failed)
    lines = deps.services.case_lists.worklist(district, WorkFilter(case_keys=keys), None, len(keys) or 1)
    by_key = {line.case_key: line for line in lines}
    labels = Labels(lang)
    return [
        Listed(by_key[item.case_key], None, labels.payout(f"reason.{item.reason}"))
        for item in failed
        if item.case_key in by_key
        and _within(by_key[item.case_key], work.min_payable, work.max_payable, work.tax_year)
    ]


def _within(line: WorkLine, low: int | None, high: int | None, year: int | None) -> bool:
    return (
        (low is None or line.payable >= low)
        and (high is None or line.payable <= high)
        and (year is None or line.tax_year == year)
    )


def rows_of(deps: ConsoleDeps, listed: Sequence[Listed]) -> list[Row]:
    vehicles = deps.services.vehicles
    plates = vehicles.plates([item.line.vehicle_id for item in listed])
    names = vehicles.owner_names([item.line.owner_id for item in listed])
    return [
        Row(
            item.line.case_key,
            plates.get(item.line.vehicle_id, "—"),
            masked_name(names.get(item.line.owner_id)),
            item.line.tax_year,
            str(item.line.state),
            item.line.since,
            item.line.payable,
            item.line.signatures,
            item.last_day,
            item.note,
        )
        for item in listed
    ]
