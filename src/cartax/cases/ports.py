"""What the cases context needs from the outside world, as Protocols.

``adapters/fake.py`` implements each in memory for unit tests; ``adapters/sql.py`` with SQLAlchemy.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self

from cartax.cases.events import CaseEvent
from cartax.cases.model import Case
from cartax.cases.policy import PolicyVersion
from cartax.cases.risk import AccountFacts
from cartax.cases.views import CaseStatus, QueueItem


class CaseRepository(Protocol):
    def get(self, case_key: str) -> Case | None:
        """The case with its history, computations and approvals, or None."""

    def add(self, case: Case) -> None:
        """Store a new case; a case_key already stored raises ConcurrentUpdateError (opened meanwhile)."""

    def save(self, case: Case) -> None:
        """Append the case's new rows (history, computations, approvals); never update or delete.

        A history row whose seq another transaction took first raises ConcurrentUpdateError.
        """


class IdempotencyStore(Protocol):
    """Requests made once per key, inside the same transaction as their effect."""

    def claim(self, scope: str, key: str, fingerprint: str) -> dict[str, Any] | None:
        """Reserve ``key`` of ``scope`` for a request whose content hashes to ``fingerprint``.

        Returns None when the key is new (do the work, then :meth:`complete`), or the stored result of
        the earlier request with the same fingerprint. Raises IdempotencyKeyReusedError when the key was used
        with another fingerprint, CommandInFlightError when the earlier request has not finished.
        """

    def complete(self, scope: str, key: str, result: dict[str, Any]) -> None:
        """Store the result to answer the key's repeats with."""


class CasesUnitOfWork(Protocol):
    """One transaction: rolled back on leaving the block unless :meth:`commit` was called."""

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def emit(self, event: CaseEvent) -> None:
        """Put an event in the outbox, in this transaction."""


class CaseReader(Protocol):
    """Read-only queries for screens and APIs (no aggregate loading)."""

    def status(self, case_key: str) -> CaseStatus | None: ...

    def queue(self, district: str | None, limit: int) -> list[QueueItem]:
        """Cases awaiting an officer (accepted or auto-consented, not yet approved), oldest first."""


class AccountFactsSource(Protocol):
    """The owner's refund account as the payout context knows it (adapter wired by the composition root)."""

    def account_facts(self, owner_id: str) -> AccountFacts | None:
        """Verified or not, when registered or last changed, how many unrelated others share it; None
        when the owner has registered no account."""


class VehicleTaxSource(Protocol):
    """What a vehicle owes in a whole year, as the rules context computes it from the registry."""

    def annual_tax(self, vehicle_id: str, tax_year: int, district: str) -> int | None:
        """Car tax plus education tax of a whole-year holder; None when the vehicle is unknown."""


class PolicyStore(Protocol):
    """The published versions of the districts' straight-through policies (append-only)."""

    def current(self, district: str) -> PolicyVersion | None:
        """The district's latest version, or None when it never published one."""

    def history(self, district: str, limit: int) -> list[PolicyVersion]:
        """The district's versions, the latest first."""

    def publish(self, version: PolicyVersion) -> None:
        """Store a new version; a version number already taken raises ConcurrentUpdateError."""
