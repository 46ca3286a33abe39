"""What the payout context needs from the outside world, as Protocols.

A *bank rail* moves money; a *holder check* answers the account-holder check (예금주 조회); the
*directory* knows the entitled person's name (to compare with the holder's) and their pre-registered
account. ``adapters/`` has the real ones (open-banking HTTP, bank files) and fakes with fault modes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

from cartax.payout.model import BankOutcome, Decided, HolderCheck


@dataclass(frozen=True, slots=True)
class HolderAnswer:
    """The bank's answer to an account-holder check; ``holder`` is compared, never stored or logged."""

    check: HolderCheck
    holder: str | None


@dataclass(frozen=True, slots=True)
class TransferOrder:
    """One transfer as the bank receives it. ``client_ref`` is the instruction id (our reference)."""

    transfer_id: str
    day: date  # the bank day the id was issued on (ids are unique per day)
    bank_code: str
    account: str
    holder: str
    amount: int
    client_ref: str
    memo: str


class HolderCheckPort(Protocol):
    def check_holder(self, bank_code: str, account: str, expected: str | None = None) -> HolderAnswer:
        """Ask the bank who holds the account; raises BankUnavailableError when it does not answer.

        ``expected``: the entitled person's name. The caller compares the answer itself; a bank may use
        it to narrow its answer (and the fake bank's open-world mode to invent the account)."""


class ApiRail(Protocol):
    """A transfer API: one transfer per call, results asked by transfer id."""

    def transfer(self, order: TransferOrder) -> BankOutcome:
        """Send; a timeout or a garbled answer is ``unknown`` (never raise for those)."""

    def inquire(self, transfer_id: str, day: date, amount: int) -> BankOutcome:
        """The result of the transfer sent under ``transfer_id`` on ``day``."""


@dataclass(frozen=True, slots=True)
class Person:
    """What the directory says of a person: their name, and a pre-registered account if any."""

    owner_id: str
    name: str
    preregistered_bank: str | None = None
    preregistered_account: str | None = None


class Directory(Protocol):
    def person(self, owner_id: str) -> Person | None: ...


@runtime_checkable
class NameBook(Protocol):
    """A directory that also names many people at once (bank files name every payee of a batch)."""

    def names(self, owner_ids: Sequence[str]) -> Mapping[str, str]:
        """Name by owner id; an unknown owner is left out."""


class CaseGateway(Protocol):
    """The cases context, as payout uses it: the decided amounts, the standing consent, and recording
    the payment and its reconciliation on the case (each idempotent)."""

    def decided(self, case_key: str, computation: int) -> Decided | None:
        """The amounts of the case's approved computation, or None if the case moved on (recomputed)."""

    def auto_consent(self, case_key: str, verified: bool, consent: bool) -> str:
        """Give the standing consent: ``consented``, ``objected``, ``declined``, ``skipped``, ``not_yet``."""

    def record_payment(self, case_key: str, transfer_id: str) -> None: ...

    def record_reconciliation(self, case_key: str, bank_ref: str) -> None: ...
