"""Lists of cases for screens and the HTTP API: a citizen's own cases, a district's cases by state.

Read-only queries beside :class:`cartax.cases.adapters.sql.SqlCaseReader` (which answers one case's
status and the approval queue). Each list is one round trip; a district's list is paged by case key
(keyset pagination), so a page costs the same however far into the district it is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Select, func, select

from cartax.cases.adapters.tables import case_computations, case_history, cases
from cartax.cases.model import CaseState


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One line of a list: where the case stands and what it would pay. No free text, no officer ids."""

    case_key: str
    owner_id: str
    vehicle_id: str
    tax_year: int
    district: str
    state: CaseState
    since: datetime
    payable: int
    computation: int


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SqlCaseLists:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def of_owner(self, owner_id: str, limit: int) -> list[CaseSummary]:
        """The owner's cases, the most recent tax year first."""
        query = (
            _summaries()
            .where(cases.c.owner_id == owner_id)
            .order_by(cases.c.tax_year.desc(), cases.c.case_key)
            .limit(limit)
        )
        return self._run(query)

    def of_district(
        self, district: str, states: Collection[CaseState], after: str | None, limit: int
    ) -> list[CaseSummary]:
        """The district's cases in ``states`` (all states when empty), by case key after ``after``."""
        query = _summaries().where(cases.c.district == district)
        if states:
            query = query.where(case_history.c.to_state.in_([str(state) for state in states]))
        if after is not None:
            query = query.where(cases.c.case_key > after)
        return self._run(query.order_by(cases.c.case_key).limit(limit))

    def owners(self, limit: int) -> list[str]:
        """Some owners who have a case (the embedded demo offers them as sign-in identities)."""
        query = select(cases.c.owner_id).distinct().order_by(cases.c.owner_id).limit(limit)
        with self.engine.connect() as connection:
            return [row.owner_id for row in connection.execute(query)]

    def _run(self, query: Select[Any]) -> list[CaseSummary]:
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            CaseSummary(
                r.case_key, r.owner_id, r.vehicle_id, r.tax_year, r.district, CaseState(r.to_state),
                _utc(r.at), r.payable, r.version,
            )
            for r in rows
        ]  # fmt: skip


def _summaries() -> Select[Any]:
    """Each case with its last history row and its current computation."""
    history = case_history.alias("h")
    versions = case_computations.alias("v")
    last_seq = select(func.max(history.c.seq)).where(history.c.case_id == cases.c.id).scalar_subquery()
    latest = select(func.max(versions.c.version)).where(versions.c.case_id == cases.c.id).scalar_subquery()
    return (
        select(
            cases.c.case_key, cases.c.owner_id, cases.c.vehicle_id, cases.c.tax_year, cases.c.district,
            case_history.c.to_state, case_history.c.at, case_computations.c.payable,
            case_computations.c.version,
        )
        .select_from(cases)
        .join(case_history, (case_history.c.case_id == cases.c.id) & (case_history.c.seq == last_seq))
        .join(
            case_computations,
            (case_computations.c.case_id == cases.c.id) & (case_computations.c.version == latest),
        )
    )  # fmt: skip
