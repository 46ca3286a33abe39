"""SQLAlchemy adapters: the case repository and the idempotency store on one connection (the unit of
work's transaction), and the read-side queries. SQLite and PostgreSQL alike.

Only inserts are ever written to the case tables; a UNIQUE or primary-key clash (someone else took the
case_key, the history seq, the signature step or the idempotency key first) becomes
:class:`ConcurrentUpdateError`, which the service retries in a fresh transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from cartax.cases.adapters.summaries import apply_deltas
from cartax.cases.adapters.tables import (
    case_approvals,
    case_computations,
    case_history,
    case_policy,
    case_policy_decisions,
    cases,
    idempotency_keys,
)
from cartax.cases.computation import Computation, RefundLine, Totals
from cartax.cases.errors import CommandInFlightError, ConcurrentUpdateError, IdempotencyKeyReusedError
from cartax.cases.model import (
    AWAITING_APPROVAL,
    Actor,
    ActorKind,
    Approval,
    Case,
    CaseIdentity,
    CaseState,
    PolicyDecision,
    Transition,
)
from cartax.cases.summaries import deltas
from cartax.cases.views import CaseStatus, HistoryItem, QueueItem

# SQLSTATEs a retry resolves: unique violation, serialization failure, deadlock.
RETRYABLE_SQLSTATES = frozenset({"23505", "40001", "40P01"})


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_retryable(error: DBAPIError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in RETRYABLE_SQLSTATES
    text = str(error.orig)
    # SQLite: a UNIQUE/PK clash, or the database locked by another writer beyond the busy timeout.
    return "UNIQUE constraint failed" in text or "database is locked" in text


@contextmanager
def concurrency_errors() -> Iterator[None]:
    """Turn the database's "someone else got there first" into :class:`ConcurrentUpdateError`."""
    try:
        yield
    except (IntegrityError, OperationalError) as error:
        if is_retryable(error):
            raise ConcurrentUpdateError() from error
        raise


def _latest_version() -> Any:
    """The number of a case's current computation (correlated on ``cases``)."""
    versions = case_computations.alias("v")
    return select(func.max(versions.c.version)).where(versions.c.case_id == cases.c.id).scalar_subquery()


def _latest_computation(latest: Any) -> Any:
    return (case_computations.c.case_id == cases.c.id) & (case_computations.c.version == latest)


class SqlCaseRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._ids: dict[str, int] = {}

    def get(self, case_key: str) -> Case | None:
        """The case with its current computation, its history and the signatures it awaits.

        Two round trips (three while the case awaits approval): earlier computations and earlier
        signatures stay in the tables, no use case needs them.
        """
        row = self.connection.execute(_CASE, {"case_key": case_key}).first()
        if row is None:
            return None
        self._ids[case_key] = row.id
        history = [_transition(r) for r in self.connection.execute(_HISTORY, {"case_id": row.id})]
        approvals: list[Approval] = []
        if history[-1].to_state in AWAITING_APPROVAL:
            found = self.connection.execute(_SIGNATURES, {"case_id": row.id, "computation": row.version})
            approvals = [_approval(r) for r in found]
        identity = CaseIdentity(row.case_key, row.owner_id, row.vehicle_id, row.tax_year, row.district)
        return Case(identity, utc(row.opened_at), [_computation(row)], history, approvals)

    def add(self, case: Case) -> None:
        identity = case.identity
        with concurrency_errors():
            case_id = self.connection.execute(
                insert(cases).returning(cases.c.id),
                {
                    "case_key": identity.case_key, "owner_id": identity.owner_id,
                    "vehicle_id": identity.vehicle_id, "tax_year": identity.tax_year,
                    "district": identity.district, "opened_at": case.opened_at,
                },
            ).scalar_one()  # fmt: skip
        self._ids[case.case_key] = case_id
        self.save(case)

    def save(self, case: Case) -> None:
        case_id = self._ids[case.case_key]
        with concurrency_errors():
            if case.new_computations:
                rows = [_computation_row(case_id, c) for c in case.new_computations]
                self.connection.execute(insert(case_computations), rows)
            if case.new_approvals:
                # One at a time: the second signature's foreign key names the first.
                for approval in case.new_approvals:
                    self.connection.execute(insert(case_approvals), _approval_row(case_id, approval))
            if case.new_transitions:
                rows = [_history_row(case_id, t) for t in case.new_transitions]
                self.connection.execute(insert(case_history), rows)
            if case.new_decisions:
                rows = [_decision_row(case_id, d) for d in case.new_decisions]
                self.connection.execute(insert(case_policy_decisions), rows)
            # The dashboards' summaries change in the same transaction as the case (docs/processing.md).
            apply_deltas(self.connection, deltas(case))
        case.new_computations, case.new_approvals, case.new_transitions = [], [], []
        case.new_decisions = []


_CASE = (
    select(cases, *[column for column in case_computations.c if column.name != "case_id"])
    .select_from(cases)
    .join(case_computations, _latest_computation(_latest_version()))
    .where(cases.c.case_key == bindparam("case_key"))
)
_HISTORY = (
    select(case_history).where(case_history.c.case_id == bindparam("case_id")).order_by(case_history.c.seq)
)
_SIGNATURES = (
    select(case_approvals)
    .where(case_approvals.c.case_id == bindparam("case_id"))
    .where(case_approvals.c.computation == bindparam("computation"))
    .order_by(case_approvals.c.step)
)


class SqlIdempotencyStore:
    def __init__(self, connection: Connection, clock: Any) -> None:
        self.connection = connection
        self.clock = clock

    def claim(self, scope: str, key: str, fingerprint: str) -> dict[str, Any] | None:
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        values = {"scope": scope, "key": key, "fingerprint": fingerprint, "created_at": self.clock()}
        # A concurrent claim of the same key waits here until the first transaction ends, then does
        # nothing and reads the committed row below.
        with concurrency_errors():
            statement = dialect.insert(idempotency_keys).values(values).on_conflict_do_nothing()
            claimed = self.connection.execute(statement.returning(idempotency_keys.c.key)).first()
        if claimed is not None:
            return None
        stored = self.connection.execute(
            select(idempotency_keys.c.fingerprint, idempotency_keys.c.result).where(
                idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
            )
        ).one()
        if stored.fingerprint != fingerprint:
            raise IdempotencyKeyReusedError()
        if stored.result is None:
            raise CommandInFlightError()
        return dict(stored.result)

    def complete(self, scope: str, key: str, result: dict[str, Any]) -> None:
        self.connection.execute(
            idempotency_keys.update()
            .where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
            .values(result=result)
        )


def sync_policy(connection: Connection, second_officer_above: int, now: datetime) -> None:
    """Make the database's maker-checker threshold the one in settings (the trigger reads it)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(case_policy).values(
        id=1, second_officer_above=second_officer_above, updated_at=now
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={"second_officer_above": second_officer_above, "updated_at": now},
            where=case_policy.c.second_officer_above != second_officer_above,
        )
    )


class SqlCaseReader:
    """Status and queue in one round trip each, straight from the tables."""

    def __init__(self, engine: Engine) -> None:
        # One statement needs no transaction: on PostgreSQL autocommit saves the BEGIN/ROLLBACK round
        # trip of every read (SQLite's engine manages its own transactions).
        postgres = engine.dialect.name == "postgresql"
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else engine
        # Built once: the hot read path only binds the key.
        c, v, h = cases.c, case_computations.c, case_history.c
        identity = [c.case_key, c.owner_id, c.vehicle_id, c.tax_year, c.district]
        amounts = [v.version, v.rules_version, v.refund, v.interest, v.offset_amount, v.payable]
        columns = [*identity, *amounts, h.seq, h.from_state, h.to_state, h.actor_kind, h.reason, h.at]
        self._status = (
            select(*columns)
            .select_from(cases)
            .join(case_computations, _latest_computation(_latest_version()))
            .join(case_history, case_history.c.case_id == cases.c.id)
            .where(cases.c.case_key == bindparam("case_key"))
            .order_by(case_history.c.seq)
        )

    def status(self, case_key: str) -> CaseStatus | None:
        with self.engine.connect() as connection:
            rows = connection.execute(self._status, {"case_key": case_key}).all()
        if not rows:
            return None
        first, last = rows[0], rows[-1]
        return CaseStatus(
            first.case_key, first.owner_id, first.vehicle_id, first.tax_year, first.district,
            CaseState(last.to_state), utc(last.at), _totals(first), first.rules_version, first.version,
            tuple(
                HistoryItem(r.seq, r.from_state and CaseState(r.from_state), CaseState(r.to_state),
                            r.actor_kind, r.reason, utc(r.at))
                for r in rows
            ),
        )  # fmt: skip

    def queue(self, district: str | None, limit: int) -> list[QueueItem]:
        history = case_history.alias("h")
        last_seq = select(func.max(history.c.seq)).where(history.c.case_id == cases.c.id).scalar_subquery()
        latest = _latest_version()
        signatures = (
            select(func.count())
            .select_from(case_approvals)
            .where((case_approvals.c.case_id == cases.c.id) & (case_approvals.c.computation == latest))
            .correlate(cases)
            .scalar_subquery()
        )
        query = (
            select(cases.c.case_key, cases.c.district, case_history.c.to_state, case_history.c.at,
                   case_computations.c.payable, case_computations.c.version, signatures.label("signatures"))
            .select_from(cases)
            .join(case_history, (case_history.c.case_id == cases.c.id) & (case_history.c.seq == last_seq))
            .join(case_computations, _latest_computation(latest))
            .where(case_history.c.to_state.in_([str(s) for s in AWAITING_APPROVAL]))
            .order_by(case_history.c.at, cases.c.case_key)
            .limit(limit)
        )  # fmt: skip
        if district is not None:
            query = query.where(cases.c.district == district)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            QueueItem(
                r.case_key, r.district, CaseState(r.to_state), utc(r.at), r.payable, r.version, r.signatures
            )
            for r in rows
        ]


def _totals(row: Row[Any]) -> Totals:
    return Totals(row.refund, row.interest, row.offset_amount, row.payable)


def _computation(row: Row[Any]) -> Computation:
    lines = tuple(
        RefundLine(
            **{**line, "arose_on": date.fromisoformat(line["arose_on"]),
               "interest_from": line["interest_from"] and date.fromisoformat(line["interest_from"])}
        )
        for line in row.refunds
    )  # fmt: skip
    return Computation(row.version, row.rules_version, lines, _totals(row), utc(row.recorded_at))


def _computation_row(case_id: int, computation: Computation) -> dict[str, Any]:
    totals = computation.totals
    lines = [
        {
            "payment_id": line.payment_id, "cause": line.cause,
            "liability_car_tax": line.liability_car_tax, "liability_edu_tax": line.liability_edu_tax,
            "refund_car_tax": line.refund_car_tax, "refund_edu_tax": line.refund_edu_tax,
            "arose_on": line.arose_on.isoformat(),
            "interest_from": line.interest_from and line.interest_from.isoformat(),
            "interest": line.interest, "lapsed": line.lapsed,
        }
        for line in computation.refunds
    ]  # fmt: skip
    return {
        "case_id": case_id, "version": computation.version, "rules_version": computation.rules_version,
        "refund": totals.refund, "interest": totals.interest, "offset_amount": totals.offset,
        "payable": totals.payable, "refunds": lines, "recorded_at": computation.recorded_at,
    }  # fmt: skip


def _transition(row: Row[Any]) -> Transition:
    return Transition(
        row.seq, row.from_state and CaseState(row.from_state), CaseState(row.to_state),
        Actor(ActorKind(row.actor_kind), row.actor_id), utc(row.at), row.reason, row.note,
        row.rules_version, row.computation,
    )  # fmt: skip


def _history_row(case_id: int, row: Transition) -> dict[str, Any]:
    return {
        "case_id": case_id, "seq": row.seq, "from_state": row.from_state and str(row.from_state),
        "to_state": str(row.to_state), "actor_kind": str(row.actor.kind), "actor_id": row.actor.id,
        "at": row.at, "reason": row.reason, "note": row.note, "rules_version": row.rules_version,
        "computation": row.computation,
    }  # fmt: skip


def _decision_row(case_id: int, decision: PolicyDecision) -> dict[str, Any]:
    return {
        "case_id": case_id, "seq": decision.seq, "policy_district": decision.policy_district,
        "policy_version": decision.policy_version, "route": decision.route,
        "reasons": list(decision.reasons), "flags": list(decision.flags), "decided_at": decision.at,
    }  # fmt: skip


def _approval(row: Row[Any]) -> Approval:
    return Approval(row.computation, row.step, row.officer_id, row.maker_id, row.amount, utc(row.approved_at))


def _approval_row(case_id: int, approval: Approval) -> dict[str, Any]:
    return {
        "case_id": case_id, "computation": approval.computation, "step": approval.step,
        "officer_id": approval.officer_id, "maker_id": approval.maker_id, "amount": approval.amount,
        "approved_at": approval.at,
    }  # fmt: skip
