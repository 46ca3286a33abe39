"""Cases as the documents about them need them: where each stands, its current computation with the
refund lines, and the day its payment was decided. Read-only; one round trip per call, a district paged
by case key (keyset pagination), so a bulk print reads a hundred thousand cases in steady pages.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, func, select

from cartax.cases.adapters.sql import _computation, utc
from cartax.cases.adapters.tables import case_computations, case_history, cases
from cartax.cases.computation import Computation
from cartax.cases.model import CaseState


@dataclass(frozen=True, slots=True)
class CaseDocument:
    case_key: str
    owner_id: str
    vehicle_id: str
    tax_year: int
    district: str
    state: CaseState
    computation: Computation
    decided_at: datetime | None
    """When the payment was last decided (the last move into ``approved``), if ever."""


class SqlCaseDocuments:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, case_key: str) -> CaseDocument | None:
        found = self._run(_documents().where(cases.c.case_key == case_key))
        return found[0] if found else None

    def of_district(
        self, district: str, states: Collection[str], after: str | None, limit: int
    ) -> list[CaseDocument]:
        """Up to ``limit`` cases of ``district`` in ``states``, by case key after ``after``."""
        query = _documents().where(cases.c.district == district, case_history.c.to_state.in_(list(states)))
        if after is not None:
            query = query.where(cases.c.case_key > after)
        return self._run(query.order_by(cases.c.case_key).limit(limit))

    def count(self, district: str, states: Collection[str]) -> int:
        last_seq = _last_seq()
        query = (
            select(func.count())
            .select_from(cases)
            .join(case_history, (case_history.c.case_id == cases.c.id) & (case_history.c.seq == last_seq))
            .where(cases.c.district == district, case_history.c.to_state.in_(list(states)))
        )
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def _run(self, query: Select[Any]) -> list[CaseDocument]:
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            CaseDocument(
                r.case_key, r.owner_id, r.vehicle_id, r.tax_year, r.district, CaseState(r.to_state),
                _computation(r), utc(r.decided_at) if r.decided_at is not None else None,
            )
            for r in rows
        ]  # fmt: skip


def _last_seq() -> Any:
    history = case_history.alias("h")
    return select(func.max(history.c.seq)).where(history.c.case_id == cases.c.id).scalar_subquery()


def _documents() -> Select[Any]:
    """Each case with its last history row, its current computation and its last approval time."""
    versions = case_computations.alias("v")
    approvals = case_history.alias("a")
    latest = select(func.max(versions.c.version)).where(versions.c.case_id == cases.c.id).scalar_subquery()
    decided = (
        select(func.max(approvals.c.at))
        .where(approvals.c.case_id == cases.c.id, approvals.c.to_state == CaseState.APPROVED.value)
        .scalar_subquery()
    )
    return (
        select(
            cases.c.case_key, cases.c.owner_id, cases.c.vehicle_id, cases.c.tax_year, cases.c.district,
            case_history.c.to_state, case_computations.c.version, case_computations.c.rules_version,
            case_computations.c.refund, case_computations.c.interest, case_computations.c.offset_amount,
            case_computations.c.payable, case_computations.c.refunds, case_computations.c.recorded_at,
            decided.label("decided_at"),
        )
        .select_from(cases)
        .join(case_history, (case_history.c.case_id == cases.c.id) & (case_history.c.seq == _last_seq()))
        .join(
            case_computations,
            (case_computations.c.case_id == cases.c.id) & (case_computations.c.version == latest),
        )
    )  # fmt: skip
