"""A fake bank for development, the demo and tests: account-holder checks and transfers by id, with
fault modes (timeout before or after the transfer, duplicate ids accepted or refused, delayed results,
wrong holder name, closed account). Thread-safe; the crash drill serves it over HTTP
(:mod:`cartax.payout.adapters.fake_openbanking`) so that many worker processes share one bank.

Like a real bank, it keeps every transfer it executed (its *statement*); tests and the drill read it to
count what was really paid: the bank's statement, not our database, is the truth about money.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from cartax.payout.model import BankOutcome, FailReason, HolderCheck
from cartax.payout.ports import HolderAnswer, TransferOrder

CLOSED_SUFFIX = "0000"
"""Open-world mode: an unknown account whose number ends so is closed (a demo fault trigger)."""
OTHER_HOLDER_SUFFIX = "9999"
"""Open-world mode: an unknown account whose number ends so is someone else's (a demo fault trigger)."""
OTHER_HOLDER = "홍길동"


class BankTimeoutError(Exception):
    """The fake bank did not answer in time (the caller cannot know whether it acted)."""


@dataclass
class FakeAccount:
    holder: str
    closed: bool = False


@dataclass(frozen=True)
class Executed:
    """A transfer the bank executed (or refused), as on its statement."""

    transfer_id: str
    day: date
    bank_code: str
    account: str
    amount: int
    client_ref: str
    status: str  # succeeded | failed
    reason: FailReason | None
    bank_ref: str


@dataclass
class Faults:
    """Probabilities (0..1) of each fault, drawn from a seeded generator, and fixed behaviours."""

    timeout_before: float = 0.0  # no answer, nothing done
    timeout_after: float = 0.0  # done, but the answer is lost
    delayed: float = 0.0  # accepted, result "processing" for ``delay_inquiries`` inquiries
    delay_inquiries: int = 2
    accept_duplicate_ids: bool = False  # a careless bank: executes an id it has seen again
    inquiry_timeout: float = 0.0


@dataclass
class FakeBank:
    accounts: dict[tuple[str, str], FakeAccount] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    seed: int = 0
    open_world: bool = False
    """Unknown accounts exist and are held by whoever is expected (demo), except the fault suffixes."""
    on_transfer: Callable[[Executed], None] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        # Reproducible fault draws for tests, not secrets.
        self._random = random.Random(self.seed)  # noqa: S311  # nosec B311
        self._by_id: dict[tuple[date, str], list[Executed]] = {}
        self._pending: dict[tuple[date, str], tuple[int, Executed]] = {}
        self._statement: list[Executed] = []
        self.calls = {"check_holder": 0, "transfer": 0, "inquire": 0}

    # -- accounts --------------------------------------------------------------------------------

    def open_account(self, bank_code: str, number: str, holder: str, closed: bool = False) -> None:
        with self._lock:
            self.accounts[(bank_code, number)] = FakeAccount(holder, closed)

    def close_account(self, bank_code: str, number: str) -> None:
        with self._lock:
            self.accounts[(bank_code, number)].closed = True

    def _account(self, bank_code: str, number: str, expected: str | None) -> FakeAccount | None:
        known = self.accounts.get((bank_code, number))
        if known is not None or not self.open_world:
            return known
        if number.endswith(CLOSED_SUFFIX):
            return FakeAccount(expected or OTHER_HOLDER, closed=True)
        if number.endswith(OTHER_HOLDER_SUFFIX) or expected is None:
            return FakeAccount(OTHER_HOLDER)
        return FakeAccount(expected)

    def check_holder(self, bank_code: str, account: str, expected: str | None = None) -> HolderAnswer:
        with self._lock:
            self.calls["check_holder"] += 1
            found = self._account(bank_code, account, expected)
        if found is None:
            return HolderAnswer(HolderCheck.NOT_FOUND, None)
        if found.closed:
            return HolderAnswer(HolderCheck.CLOSED, None)
        return HolderAnswer(HolderCheck.VERIFIED, found.holder)

    # -- transfers -------------------------------------------------------------------------------

    def transfer(self, order: TransferOrder) -> BankOutcome:
        with self._lock:
            self.calls["transfer"] += 1
            if self._draw(self.faults.timeout_before):
                raise BankTimeoutError(order.transfer_id)
            key = (order.day, order.transfer_id)
            if (key in self._by_id or key in self._pending) and not self.faults.accept_duplicate_ids:
                return BankOutcome(BankOutcome.DUPLICATE)
            executed = self._execute(order)
            if executed.status == "succeeded" and self._draw(self.faults.delayed):
                self._pending[key] = (self.faults.delay_inquiries, executed)
                outcome = BankOutcome(BankOutcome.UNKNOWN)
            else:
                self._book(key, executed)
                outcome = _outcome(executed)
            if self._draw(self.faults.timeout_after):
                raise BankTimeoutError(order.transfer_id)
            return outcome

    def inquire(self, transfer_id: str, day: date, amount: int) -> BankOutcome:  # noqa: ARG002 - finds by id
        with self._lock:
            self.calls["inquire"] += 1
            if self._draw(self.faults.inquiry_timeout):
                raise BankTimeoutError(transfer_id)
            key = (day, transfer_id)
            if key in self._pending:
                left, executed = self._pending[key]
                if left > 1:
                    self._pending[key] = (left - 1, executed)
                    return BankOutcome(BankOutcome.UNKNOWN)
                del self._pending[key]
                self._book(key, executed)
            done = self._by_id.get(key)
            if not done:
                return BankOutcome(BankOutcome.NOT_FOUND)
            return _outcome(done[0])

    def _execute(self, order: TransferOrder) -> Executed:
        account = self._account(order.bank_code, order.account, order.holder)
        reason: FailReason | None = None
        if account is None:
            reason = FailReason.ACCOUNT_NOT_FOUND
        elif account.closed:
            reason = FailReason.ACCOUNT_CLOSED
        elif "".join(account.holder.split()) != "".join(order.holder.split()):
            reason = FailReason.HOLDER_MISMATCH
        status = "failed" if reason else "succeeded"
        bank_ref = f"FB{order.day:%Y%m%d}{len(self._statement) + len(self._pending) + 1:010d}"
        return Executed(
            order.transfer_id, order.day, order.bank_code, order.account, order.amount, order.client_ref,
            status, reason, bank_ref,
        )  # fmt: skip

    def _book(self, key: tuple[date, str], executed: Executed) -> None:
        self._by_id.setdefault(key, []).append(executed)
        self._statement.append(executed)
        if self.on_transfer is not None:
            self.on_transfer(executed)

    def _draw(self, probability: float) -> bool:
        return probability > 0 and self._random.random() < probability

    # -- what the bank knows ------------------------------------------------------------------------

    def statement(self, day: date | None = None) -> list[Executed]:
        """Every transfer executed (pending delayed ones are executed too: the money has moved)."""
        with self._lock:
            rows = self._statement + [executed for _, executed in self._pending.values()]
        return [row for row in rows if day is None or row.day == day]


def _outcome(executed: Executed) -> BankOutcome:
    if executed.status == "succeeded":
        return BankOutcome(BankOutcome.SUCCEEDED, None, executed.bank_ref, executed.amount)
    return BankOutcome(BankOutcome.FAILED, executed.reason, executed.bank_ref, executed.amount)


@dataclass
class FakeRail:
    """The fake bank as an :class:`cartax.payout.ports.ApiRail`: a timeout is an unknown outcome."""

    bank: FakeBank

    def transfer(self, order: TransferOrder) -> BankOutcome:
        try:
            return self.bank.transfer(order)
        except BankTimeoutError:
            return BankOutcome(BankOutcome.UNKNOWN)

    def inquire(self, transfer_id: str, day: date, amount: int) -> BankOutcome:
        try:
            return self.bank.inquire(transfer_id, day, amount)
        except BankTimeoutError:
            return BankOutcome(BankOutcome.UNKNOWN)
