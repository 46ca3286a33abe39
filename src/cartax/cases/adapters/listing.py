"""Lists of cases for screens and the HTTP API: a citizen's own cases, a district's cases by state.

Read-only queries beside :class:`cartax.cases.adapters.sql.SqlCaseReader` (which answers one case's
status and the approval queue). Each list is one round trip; a district's list is paged by case key
(keyset pagination), so a page costs the same however far into the district it is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Select, func, select

from cartax.cases.adapters.sql import _approval, _computation, _transition
from cartax.cases.adapters.tables import case_approvals, case_computations, case_history, cases
from cartax.cases.computation import PRESCRIPTION_YEARS
from cartax.cases.model import CaseState
from cartax.cases.worklists import OPEN_UNCLAIMED, CaseRecord, LapsingLine, WorkFilter, WorkLine
from cartax.core.dates import add_years_clamped


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

    def worklist(self, district: str, wanted: WorkFilter, after: str | None, limit: int) -> list[WorkLine]:
        """The district's cases that ``wanted`` selects, by case key after ``after`` (keyset paging)."""
        query = _filtered(_work_lines().where(cases.c.district == district), wanted)
        if after is not None:
            query = query.where(cases.c.case_key > after)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(cases.c.case_key).limit(limit)).all()
        return [_work_line(row) for row in rows]

    def lapsing(self, district: str, until: date, limit: int) -> list[LapsingLine]:
        """Unclaimed cases whose refunds lapse on or before ``until``, the soonest first.

        The last day is read from each case's refund lines (arose on + 5 years), so every open case of
        the district is read once; a district's open cases are thousands, not millions.
        """
        query = _filtered(
            _work_lines(case_computations.c.refunds).where(cases.c.district == district),
            WorkFilter(states=OPEN_UNCLAIMED),
        )
        found: list[LapsingLine] = []
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                last_day = _last_day(row.refunds)
                if last_day is not None and last_day <= until:
                    found.append(LapsingLine(_work_line(row), last_day))
        found.sort(key=lambda item: (item.last_day, item.line.case_key))
        return found[:limit]

    def record(self, case_key: str) -> CaseRecord | None:
        """One case with every computation, history row (officer ids and notes included) and signature."""
        with self.engine.connect() as connection:
            case = connection.execute(select(cases).where(cases.c.case_key == case_key)).first()
            if case is None:
                return None
            where = {"case_id": case.id}
            computations = connection.execute(
                select(case_computations).filter_by(**where).order_by(case_computations.c.version)
            ).all()
            history = connection.execute(
                select(case_history).filter_by(**where).order_by(case_history.c.seq)
            ).all()
            approvals = connection.execute(
                select(case_approvals)
                .filter_by(**where)
                .order_by(case_approvals.c.computation, case_approvals.c.step)
            ).all()
        return CaseRecord(
            case.case_key, case.owner_id, case.vehicle_id, case.tax_year, case.district,
            _utc(case.opened_at), tuple(_computation(row) for row in computations),
            tuple(_transition(row) for row in history), tuple(_approval(row) for row in approvals),
        )  # fmt: skip

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


def _signatures() -> Any:
    """How many officers signed the case's current computation (correlated on the work line)."""
    return (
        select(func.count())
        .select_from(case_approvals)
        .where(
            (case_approvals.c.case_id == cases.c.id)
            & (case_approvals.c.computation == case_computations.c.version)
        )
        .correlate(cases, case_computations)
        .scalar_subquery()
    )


def _work_lines(*extra: Any) -> Select[Any]:
    """Each case with its last history row, its current computation and the signatures on it."""
    return _summaries().add_columns(_signatures().label("signatures"), *extra)


def _filtered(query: Select[Any], wanted: WorkFilter) -> Select[Any]:
    if wanted.states:
        query = query.where(case_history.c.to_state.in_(sorted(str(state) for state in wanted.states)))
    if wanted.min_payable is not None:
        query = query.where(case_computations.c.payable >= wanted.min_payable)
    if wanted.max_payable is not None:
        query = query.where(case_computations.c.payable <= wanted.max_payable)
    if wanted.tax_year is not None:
        query = query.where(cases.c.tax_year == wanted.tax_year)
    for column, values in (
        (cases.c.owner_id, wanted.owner_ids),
        (cases.c.vehicle_id, wanted.vehicle_ids),
        (cases.c.case_key, wanted.case_keys),
    ):
        if values is not None:
            query = query.where(column.in_(sorted(set(values))))
    if wanted.signatures is not None:
        signed = _signatures()
        query = query.where(signed == wanted.signatures if wanted.signatures == 0 else signed >= 1)
    return query


def _work_line(row: Any) -> WorkLine:
    return WorkLine(
        row.case_key, row.owner_id, row.vehicle_id, row.tax_year, row.district, CaseState(row.to_state),
        _utc(row.at), row.payable, row.version, row.signatures,
    )  # fmt: skip


def _last_day(refunds: list[dict[str, Any]]) -> date | None:
    """The last day any unlapsed refund can be paid, as :meth:`Computation.lapses_after` says."""
    days = [
        add_years_clamped(date.fromisoformat(line["arose_on"]), PRESCRIPTION_YEARS)
        for line in refunds
        if not line["lapsed"]
    ]
    return max(days) if days else None
