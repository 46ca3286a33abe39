"""Writing the dashboards' summaries (see :mod:`cartax.cases.summaries`) and rebuilding them.

Each change of a case adds its deltas with one upsert per touched row (``ON CONFLICT DO UPDATE SET
cases = cases + excluded.cases``), in the transaction of the change, on SQLite and PostgreSQL alike:
the summaries are exactly as current as the cases. Rows hold a district × month × stage × cause, so a
busy district touches a handful of rows a day whatever its number of cases.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from cartax.cases.adapters.tables import (
    case_computations,
    case_flow_monthly,
    case_history,
    case_money_days,
    case_unclaimed,
    cases,
)
from cartax.cases.model import Actor, ActorKind, Case, CaseIdentity, CaseState, Transition
from cartax.cases.summaries import FAILED_STAGE, Deltas, deltas, main_cause, month_of

if TYPE_CHECKING:  # the unit of work's module imports this one (through the repository)
    from cartax.cases.adapters.uow import SqlCasesUnitOfWork

log = logging.getLogger(__name__)
REBUILD_BATCH = 2_000


def _upsert(connection: Connection, table: Table, keys: list[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    counters = [name for name in ("cases", "amount") if name in table.c]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    )
    # Sorted keys: two transactions touching the same rows lock them in the same order (no deadlock).
    for row in sorted(rows, key=lambda row: tuple(str(row[key]) for key in keys)):
        connection.execute(statement, row)


def apply_deltas(connection: Connection, found: Deltas) -> None:
    """Add one case's deltas to the summaries (nothing when the change adds nothing)."""
    district = found.district
    flows = [
        {"district": district, "month": month, "stage": stage, "cause": cause, "cases": n, "amount": amount}
        for (month, stage, cause), (n, amount) in found.flows.items()
        if n or amount
    ]
    stock = [
        {"district": district, "lapse_month": month, "cause": cause, "cases": n, "amount": amount}
        for (month, cause), (n, amount) in found.unclaimed.items()
        if n or amount
    ]
    money = [
        {"district": district, "month": month, "days": days, "cases": n}
        for (month, days), n in found.money_days.items()
        if n
    ]
    _upsert(connection, case_flow_monthly, ["district", "month", "stage", "cause"], flows)
    _upsert(connection, case_unclaimed, ["district", "lapse_month", "cause"], stock)
    _upsert(connection, case_money_days, ["district", "month", "days"], money)


def merge(into: Deltas, other: Deltas) -> None:
    """Add ``other`` (of the same district) to ``into``: bulk loads write each row once."""
    for flow, (n, amount) in other.flows.items():
        cell = into.flows[flow]
        cell[0], cell[1] = cell[0] + n, cell[1] + amount
    for stock, (n, amount) in other.unclaimed.items():
        cell = into.unclaimed[stock]
        cell[0], cell[1] = cell[0] + n, cell[1] + amount
    for money, count in other.money_days.items():
        into.money_days[money] += count


def summaries_missing(engine: Engine) -> bool:
    """Cases exist but no summary does (a database migrated from before the summaries)."""
    with engine.connect() as connection:
        has_cases = connection.execute(select(cases.c.id).limit(1)).first() is not None
        has_flows = connection.execute(select(case_flow_monthly.c.district).limit(1)).first() is not None
    return has_cases and not has_flows


def rebuild_summaries(engine: Engine) -> int:
    """Recompute every summary from the case tables, replaying each case's history; returns the cases."""
    with engine.begin() as connection:
        for table in (case_flow_monthly, case_unclaimed, case_money_days):
            connection.execute(delete(table))
        totals: dict[str, Deltas] = {}
        count = 0
        for case in _all_cases(connection):
            merge(
                totals.setdefault(case.identity.district, Deltas(case.identity.district)), deltas(case, True)
            )
            count += 1
        for found in totals.values():
            apply_deltas(connection, found)
    log.info("dashboard summaries rebuilt from %d cases", count)
    return count


def _all_cases(connection: Connection) -> Iterator[Case]:
    """Every case with its whole history and every computation, in batches of ids."""
    from cartax.cases.adapters.sql import _computation, utc

    last = 0
    while True:
        heads = connection.execute(
            select(cases).where(cases.c.id > last).order_by(cases.c.id).limit(REBUILD_BATCH)
        ).all()
        if not heads:
            return
        ids = [row.id for row in heads]
        last = ids[-1]
        computations: dict[int, list[Any]] = defaultdict(list)
        for row in connection.execute(
            select(case_computations)
            .where(case_computations.c.case_id.in_(ids))
            .order_by(case_computations.c.case_id, case_computations.c.version)
        ):
            computations[row.case_id].append(_computation(row))
        history: dict[int, list[Transition]] = defaultdict(list)
        for row in connection.execute(
            select(case_history)
            .where(case_history.c.case_id.in_(ids))
            .order_by(case_history.c.case_id, case_history.c.seq)
        ):
            history[row.case_id].append(_row(row, utc))
        yield from _cases(heads, computations, history, utc)


def _row(row: Any, utc: Any) -> Transition:
    return Transition(
        row.seq, row.from_state and CaseState(row.from_state), CaseState(row.to_state),
        Actor(ActorKind(row.actor_kind), row.actor_id), utc(row.at), row.reason, row.note,
        row.rules_version, row.computation,
    )  # fmt: skip


def _cases(heads: Iterable[Any], computations: Any, history: Any, utc: Any) -> Iterator[Case]:
    for head in heads:
        identity = CaseIdentity(head.case_key, head.owner_id, head.vehicle_id, head.tax_year, head.district)
        yield Case(identity, utc(head.opened_at), computations[head.id], history[head.id])


def count_cases(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(cases)).scalar_one())


NOT_A_FAILURE = frozenset({"account_requested"})
"""TransferFailed reasons that are no bank refusal (an officer asked for another account)."""
DASHBOARDS_SCOPE = "system:dashboards"


def count_failed_transfer(
    uow_factory: Callable[[], SqlCasesUnitOfWork], key: str, payload: Mapping[str, Any]
) -> None:
    """Count one failed transfer of payout's ``TransferFailed`` event in the ``failed`` stage, once per
    event (the event id is the idempotency key, claimed in the same transaction)."""
    case_key, reason, at = payload.get("case_key"), payload.get("reason"), payload.get("at")
    if not isinstance(case_key, str) or reason in NOT_A_FAILURE or not isinstance(at, str):
        return
    with uow_factory() as uow:
        if uow.idempotency.claim(DASHBOARDS_SCOPE, key, "transfer_failed") is not None:
            return
        case = uow.cases.get(case_key)
        if case is not None:
            found = Deltas(case.identity.district)
            cell = found.flows[
                (month_of(datetime.fromisoformat(at)), FAILED_STAGE, main_cause(case.computation))
            ]
            cell[0], cell[1] = 1, case.payable
            apply_deltas(uow.connection, found)
        uow.idempotency.complete(DASHBOARDS_SCOPE, key, {"counted": case is not None})
        uow.commit()
