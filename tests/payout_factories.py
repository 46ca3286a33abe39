"""Keyword-only factories for the payout tests: a payout context on a database with a fake bank, a
directory of people, a settable clock and decided payments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from cartax.infra.crypto import PiiCipher
from cartax.payout.adapters.fake_bank import FakeBank, FakeRail, Faults
from cartax.payout.adapters.wiring import Payouts, build_payout
from cartax.payout.adapters.worker import CrashPoints
from cartax.payout.model import Decided
from cartax.payout.ports import Person
from cartax.payout.settings import PayoutSettings

START = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)
CIPHER = PiiCipher.from_secrets("payout-test-key", "payout-test-index-key")


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class People:
    """The directory: owner id → name (and a pre-registered account)."""

    people: dict[str, Person] = field(default_factory=dict)

    def add(self, owner_id: str, name: str, bank: str | None = None, account: str | None = None) -> None:
        self.people[owner_id] = Person(owner_id, name, bank, account)

    def person(self, owner_id: str) -> Person | None:
        return self.people.get(owner_id)


def make_payouts(
    engine: Engine,
    *,
    clock: Clock | None = None,
    bank: FakeBank | None = None,
    people: People | None = None,
    cooling_off_hours: int = 72,
    lease_seconds: float = 30.0,
    crash: CrashPoints | None = None,
    recovery: bool = True,
    worker_id: str = "w1",
    cases: object | None = None,
) -> Payouts:
    settings = PayoutSettings(
        cooling_off_hours=cooling_off_hours, lease_seconds=lease_seconds, retry_seconds=1
    )
    bank = bank or FakeBank()
    return build_payout(
        engine, settings, CIPHER, people or People(), clock or Clock(), cases,  # type: ignore[arg-type]
        timedelta(days=14), bank=bank, rail=FakeRail(bank), holder_check=bank, crash=crash,
        worker_id=worker_id, recovery=recovery,
    )  # fmt: skip


def make_decided(
    *,
    case_key: str = "case0001",
    computation: int = 1,
    owner_id: str = "o1",
    district: str = "11680",
    refund: int = 250_040,
    interest: int = 930,
    offset: int = 0,
) -> Decided:
    return Decided(
        case_key, computation, owner_id, district, refund, interest, offset, refund + interest - offset
    )


def make_bank(*, faults: Faults | None = None, seed: int = 0) -> FakeBank:
    return FakeBank(faults=faults or Faults(), seed=seed)
