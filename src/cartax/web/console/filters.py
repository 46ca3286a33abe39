"""The console's lists: which queue, which amounts and tax year, read from a page's query or form.

A filter travels in the query string (``?queue=needs_review&min=100000``): ids and amounts only, never a
person's data, so a filtered list can be bookmarked, exported and bulk-approved by the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import urlencode

from cartax.cases import CaseState
from cartax.cases.worklists import WorkFilter

MAX_AMOUNT = 10**12
PAGE_SIZE = 50
BATCH_LIMIT = 500
"""The most cases one bulk approval, export or print run takes (narrow the filter for more)."""
LAPSE_HORIZON_DAYS = 90
"""How far ahead the "approaching lapse" queue looks."""


class Queue(StrEnum):
    NEEDS_REVIEW = "needs_review"
    SECOND_APPROVAL = "second_approval"
    FAILED_TRANSFERS = "failed_transfers"
    OBJECTIONS = "objections"
    LAPSING = "lapsing"
    ALL = "all"


BULK_QUEUES = frozenset({Queue.NEEDS_REVIEW, Queue.SECOND_APPROVAL})
"""Queues whose cases await a signature, so a filtered set of them can be approved together."""


@dataclass(frozen=True, slots=True)
class FilterProblem:
    field: str
    key: str


@dataclass(frozen=True, slots=True)
class ListFilter:
    queue: Queue = Queue.NEEDS_REVIEW
    min_payable: int | None = None
    max_payable: int | None = None
    tax_year: int | None = None

    def work_filter(self) -> WorkFilter:
        base = {
            Queue.NEEDS_REVIEW: WorkFilter.needs_review(),
            Queue.SECOND_APPROVAL: WorkFilter.awaiting_second(),
            Queue.OBJECTIONS: WorkFilter(states=frozenset({CaseState.OBJECTED})),
        }.get(self.queue, WorkFilter())
        return replace(
            base, min_payable=self.min_payable, max_payable=self.max_payable, tax_year=self.tax_year
        )

    def query(self, district: str, **extra: str) -> str:
        """The query string that shows this list again (for links, exports and the bulk preview)."""
        params = {"district": district, "queue": str(self.queue)}
        for name, value in (("min", self.min_payable), ("max", self.max_payable), ("year", self.tax_year)):
            if value is not None:
                params[name] = str(value)
        return urlencode({**params, **extra})

    @property
    def filtered(self) -> bool:
        return any(value is not None for value in (self.min_payable, self.max_payable, self.tax_year))


def read_filter(fields: Mapping[str, str]) -> tuple[ListFilter, list[FilterProblem]]:
    """The filter the fields ask for, and what is wrong with them (a wrong field is left out)."""
    problems: list[FilterProblem] = []
    queue = Queue.NEEDS_REVIEW
    asked = fields.get("queue", "").strip()
    if asked:
        try:
            queue = Queue(asked)
        except ValueError:
            problems.append(FilterProblem("queue", "filter.problem.queue"))
    low = _amount(fields, "min", problems)
    high = _amount(fields, "max", problems)
    if low is not None and high is not None and low > high:
        problems.append(FilterProblem("max", "filter.problem.range"))
        high = None
    year = _whole(fields, "year", problems, 2000, 2100, "filter.problem.year")
    return ListFilter(queue, low, high, year), problems


def _amount(fields: Mapping[str, str], name: str, problems: list[FilterProblem]) -> int | None:
    return _whole(fields, name, problems, 0, MAX_AMOUNT, "filter.problem.amount")


def _whole(
    fields: Mapping[str, str], name: str, problems: list[FilterProblem], low: int, high: int, key: str
) -> int | None:
    text = fields.get(name, "").replace(",", "").replace("원", "").strip()
    if not text:
        return None
    if not text.isdecimal() or not low <= int(text) <= high:
        problems.append(FilterProblem(name, key))
        return None
    return int(text)
