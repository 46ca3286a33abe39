"""In-memory adapters for every port of the cases context, for unit tests and demos.

:class:`FakeDatabase` behaves like the real one where it matters to the domain: a unit of work sees
its own writes, commits atomically, and refuses at commit what a UNIQUE constraint would refuse (a
case_key opened twice, a history seq taken by someone else, an idempotency key claimed meanwhile, a
signature step taken twice) with :class:`ConcurrentUpdateError`.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from cartax.cases.errors import CommandInFlightError, ConcurrentUpdateError, IdempotencyKeyReusedError
from cartax.cases.events import CaseEvent
from cartax.cases.model import AWAITING_APPROVAL, Case, PolicyDecision
from cartax.cases.policy import PolicyVersion
from cartax.cases.risk import AccountFacts
from cartax.cases.views import CaseStatus, QueueItem, status_of


@dataclass
class FakeDatabase:
    cases: dict[str, Case] = field(default_factory=dict)
    keys: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = field(default_factory=dict)
    outbox: list[CaseEvent] = field(default_factory=list)
    decisions: list[tuple[str, PolicyDecision]] = field(default_factory=list)
    commits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self, case_key: str) -> Case | None:
        with self.lock:
            stored = self.cases.get(case_key)
            return copy.deepcopy(stored) if stored else None


class FakeCaseRepository:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.staged: dict[str, tuple[Case, bool]] = {}

    def get(self, case_key: str) -> Case | None:
        if case_key in self.staged:
            return self.staged[case_key][0]
        return self.db.snapshot(case_key)

    def add(self, case: Case) -> None:
        self.staged[case.case_key] = (case, True)

    def save(self, case: Case) -> None:
        self.staged[case.case_key] = (case, False)


class FakeIdempotencyStore:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.staged: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {}

    def claim(self, scope: str, key: str, fingerprint: str) -> dict[str, Any] | None:
        with self.db.lock:
            stored = self.db.keys.get((scope, key))
        if stored is None:
            self.staged[(scope, key)] = (fingerprint, None)
            return None
        stored_print, result = stored
        if stored_print != fingerprint:
            raise IdempotencyKeyReusedError()
        if result is None:
            raise CommandInFlightError()
        return result

    def complete(self, scope: str, key: str, result: dict[str, Any]) -> None:
        self.staged[(scope, key)] = (self.staged[(scope, key)][0], result)


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.cases = FakeCaseRepository(db)
        self.idempotency = FakeIdempotencyStore(db)
        self.events: list[CaseEvent] = []
        self.committed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cases.staged.clear()  # whatever was not committed is rolled back
        self.idempotency.staged.clear()
        self.events.clear()

    def emit(self, event: CaseEvent) -> None:
        self.events.append(event)

    def commit(self) -> None:
        with self.db.lock:
            self._check_constraints()
            for case, _new in self.cases.staged.values():
                stored = copy.deepcopy(case)
                self.db.decisions.extend((case.case_key, decision) for decision in case.new_decisions)
                stored.new_transitions, stored.new_computations, stored.new_approvals = [], [], []
                stored.new_decisions = []
                self.db.cases[case.case_key] = stored
            self.db.keys.update(self.idempotency.staged)
            self.db.outbox.extend(self.events)
            self.db.commits += 1
        self.committed = True

    def _check_constraints(self) -> None:
        for key in self.idempotency.staged:
            if key in self.db.keys:
                raise ConcurrentUpdateError()
        for case, new in self.cases.staged.values():
            stored = self.db.cases.get(case.case_key)
            if new and stored is not None:
                raise ConcurrentUpdateError()
            if not new and stored is not None:
                base_version = case.version - len(case.new_transitions)
                base_signatures = len(case.approvals) - len(case.new_approvals)
                if stored.version != base_version or len(stored.approvals) != base_signatures:
                    raise ConcurrentUpdateError()


class FakeCaseReader:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def status(self, case_key: str) -> CaseStatus | None:
        case = self.db.snapshot(case_key)
        return status_of(case) if case else None

    def queue(self, district: str | None, limit: int) -> list[QueueItem]:
        with self.db.lock:
            waiting = [
                case
                for case in self.db.cases.values()
                if case.state in AWAITING_APPROVAL and district in (None, case.identity.district)
            ]
        waiting.sort(key=lambda case: (case.history[-1].at, case.case_key))
        return [
            QueueItem(
                case.case_key, case.identity.district, case.state, case.history[-1].at, case.payable,
                case.computation.version, len(case.signatures()),
            )
            for case in waiting[:limit]
        ]  # fmt: skip


class FakePolicyStore:
    """The districts' policy versions in memory; a version number taken twice is refused like the PK."""

    def __init__(self) -> None:
        self.versions: dict[str, list[PolicyVersion]] = {}

    def current(self, district: str) -> PolicyVersion | None:
        versions = self.versions.get(district)
        return versions[-1] if versions else None

    def history(self, district: str, limit: int) -> list[PolicyVersion]:
        return list(reversed(self.versions.get(district, [])))[:limit]

    def publish(self, version: PolicyVersion) -> None:
        versions = self.versions.setdefault(version.district, [])
        if any(stored.version == version.version for stored in versions):
            raise ConcurrentUpdateError()
        versions.append(version)


class FakeAccounts:
    """Account facts by owner id, as the payout context would answer them."""

    def __init__(self, facts: dict[str, AccountFacts] | None = None) -> None:
        self.facts = dict(facts or {})

    def account_facts(self, owner_id: str) -> AccountFacts | None:
        return self.facts.get(owner_id)


class FakeVehicleTaxes:
    """Annual taxes by vehicle id, as the rules context would compute them."""

    def __init__(self, taxes: dict[str, int] | None = None) -> None:
        self.taxes = dict(taxes or {})

    def annual_tax(self, vehicle_id: str, tax_year: int, district: str) -> int | None:
        del tax_year, district  # one figure per vehicle is enough for the tests
        return self.taxes.get(vehicle_id)
