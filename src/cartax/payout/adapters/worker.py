"""The payment worker of the API rail: exactly-once transfers under crashes, pauses and restarts.

One round: **claim** (one transaction: take eligible instructions under a lease, bump each one's
*fence*, and write the transfer — its id fixed before the bank hears of it), then per claim **ask or
send** (a claim taken over from a dead or frozen worker first *asks the bank by the same id*; only a
bank that has never seen the id gets it, the same id, again) and **record** (one transaction, guarded
by the fence: a worker that lost its claim while frozen writes nothing). A new transfer id is made only
after the bank said the previous one failed, and the bank refuses an id it has seen (ids are unique per
day), so a frozen worker that wakes and sends cannot pay twice.

``recovery=False`` is the negative control of the crash drill: a taken-over claim is sent again under a
new id without asking, which is what pays twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from cartax.bus import describe_error
from cartax.infra.outbox import add_events
from cartax.payout.adapters import ledger
from cartax.payout.adapters.tables import (
    payout_accounts,
    payout_current,
    payout_instructions,
    payout_paid,
    payout_results,
    payout_transfers,
)
from cartax.payout.events import RefundPaid, TransferFailed
from cartax.payout.model import (
    BankOutcome,
    FailReason,
    HolderCheck,
    InstructionState,
    Rail,
    TransferState,
    kst_day,
    make_transfer_id,
    payment_entry,
)
from cartax.payout.ports import ApiRail, TransferOrder

log = logging.getLogger("cartax.payout")
CRASH_POINTS = ("after_claim", "after_bank_call", "after_commit")
"""Where a test may make a worker die: after its claim is committed, after the bank answered but
before the answer is committed, after the answer is committed."""


@dataclass(frozen=True, slots=True)
class Claim:
    instruction_id: int
    case_key: str
    owner_id: str
    district: str
    amount: int
    fence: int
    transfer_id: str
    transfer_day: date
    account_id: int
    taken_over: bool  # the claim was another worker's: ask the bank first


class CrashPoints:
    """Named crash points; production code runs with none armed."""

    def __init__(self, hook: Callable[[str, Claim], None] | None = None) -> None:
        self._hook = hook

    def reach(self, name: str, claim: Claim) -> None:
        if self._hook is not None:
            self._hook(name, claim)


def eligible(now: datetime) -> Any:
    """Instructions that may get a new transfer now: open (or returned, with another account since),
    not held, and the person's current account verified and out of its cooling-off. (By their ``queue``,
    the state while they wait, which the index of instructions awaiting work names.)"""
    account = payout_accounts
    return (
        or_(
            payout_instructions.c.queue == str(InstructionState.OPEN),
            (payout_instructions.c.queue == str(InstructionState.RETURNED))
            & (payout_instructions.c.returned_account_id != account.c.id),
        )
        & payout_instructions.c.hold.is_(None)
        & (account.c.holder_check == str(HolderCheck.VERIFIED))
        & (account.c.cooling_off_until.is_(None) | (account.c.cooling_off_until <= now))
        & (payout_instructions.c.next_try_at.is_(None) | (payout_instructions.c.next_try_at <= now))
    )


def orphaned(now: datetime) -> Any:
    """Instructions whose transfer is in flight but whose worker's lease ran out, or whose result
    was unknown and is due to be asked again (by their ``queue``, as :func:`eligible`)."""
    return (
        (payout_instructions.c.queue == str(InstructionState.SENDING))
        & (payout_instructions.c.lease_until < now)
    ) | (
        (payout_instructions.c.queue == str(InstructionState.UNKNOWN))
        & (payout_instructions.c.next_try_at.is_(None) | (payout_instructions.c.next_try_at <= now))
    )


@dataclass
class PaymentWorker:
    engine: Engine
    rail: ApiRail
    account_number: Callable[[int], tuple[str, str]]
    holder_name: Callable[[str], str]
    clock: Callable[[], datetime]
    org_code: str
    worker_id: str = "worker"
    lease: timedelta = timedelta(seconds=30)
    retry: timedelta = timedelta(seconds=60)
    batch_size: int = 100
    crash: CrashPoints = field(default_factory=CrashPoints)
    recovery: bool = True
    record_attempts: int = 5
    sleep: Callable[[float], None] = time.sleep

    def run_once(self) -> int:
        """Claim, send or ask, and record one batch; returns how many claims were worked."""
        claims = self.claim()
        for claim in claims:
            self.work(claim)
        return len(claims)

    def run(self, stop: threading.Event, idle_seconds: float = 0.5) -> None:
        """Work until ``stop`` is set; a failing database or bank is logged and retried after a pause."""
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception as error:  # the worker outlives a database restart or a bank outage
                log.warning("payout worker %s: %s; retrying", self.worker_id, describe_error(error))
                done = 0
            if not done:
                stop.wait(idle_seconds)

    # -- claim -----------------------------------------------------------------------------------

    def claim(self) -> list[Claim]:
        now = self.clock()
        with self.engine.begin() as connection:
            taken = self._select(connection, orphaned(now), join_account=False)
            fresh = self._select(
                connection, eligible(now), join_account=True, limit=self.batch_size - len(taken)
            )
            claims = [self._take_over(connection, row, now) for row in taken]
            claims += [self._start(connection, row, row.account_id, now) for row in fresh]
        return [claim for claim in claims if claim is not None]

    def _select(
        self, connection: Connection, condition: Any, join_account: bool, limit: int | None = None
    ) -> list[Row[Any]]:
        limit = self.batch_size if limit is None else limit
        if limit <= 0:
            return []
        query = select(payout_instructions)
        if join_account:
            query = (
                query.add_columns(payout_accounts.c.id.label("account_id"))
                .join(payout_current, payout_current.c.owner_id == payout_instructions.c.owner_id)
                .join(payout_accounts, payout_accounts.c.id == payout_current.c.account_id)
            )
        query = query.where(condition).order_by(payout_instructions.c.id).limit(limit)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(of=payout_instructions, skip_locked=True)
        return list(connection.execute(query).all())

    def _lease(self, connection: Connection, row: Row[Any], now: datetime) -> int:
        fence = int(row.fence) + 1
        connection.execute(
            update(payout_instructions)
            .where(payout_instructions.c.id == row.id)
            .values(
                state=str(InstructionState.SENDING), fence=fence, lease_owner=self.worker_id,
                lease_until=now + self.lease, next_try_at=None, updated_at=now,
            )
        )  # fmt: skip
        return fence

    def _start(self, connection: Connection, row: Row[Any], account_id: int, now: datetime) -> Claim:
        attempt = connection.execute(
            select(func.count())
            .select_from(payout_transfers)
            .where(payout_transfers.c.instruction_id == row.id)
        ).scalar_one()
        transfer_id = make_transfer_id(self.org_code, row.id, attempt)
        day = kst_day(now)
        connection.execute(
            insert(payout_transfers),
            {
                "transfer_id": transfer_id, "instruction_id": row.id, "account_id": account_id,
                "rail": str(Rail.API), "day": day, "amount": row.amount,
                "state": str(TransferState.PENDING), "created_at": now,
            },
        )  # fmt: skip
        fence = self._lease(connection, row, now)
        return Claim(
            row.id, row.case_key, row.owner_id, row.district, row.amount, fence, transfer_id, day,
            account_id, taken_over=False,
        )  # fmt: skip

    def _take_over(self, connection: Connection, row: Row[Any], now: datetime) -> Claim | None:
        open_transfer = connection.execute(
            select(payout_transfers)
            .where(payout_transfers.c.instruction_id == row.id)
            .where(payout_transfers.c.state.in_([str(TransferState.PENDING), str(TransferState.UNKNOWN)]))
            .order_by(payout_transfers.c.id.desc())
        ).first()
        if open_transfer is None:  # cannot happen: a sending instruction always has its transfer
            log.error("payout instruction %s is in flight without a transfer", row.id)
            return None
        if not self.recovery:
            # Negative control only: forget the transfer in flight and start another under a new id.
            connection.execute(
                update(payout_transfers)
                .where(payout_transfers.c.id == open_transfer.id)
                .values(state=str(TransferState.FAILED), reason=str(FailReason.NOT_SENT), resolved_at=now)
            )
            return self._start(connection, row, open_transfer.account_id, now)
        fence = self._lease(connection, row, now)
        return Claim(
            row.id, row.case_key, row.owner_id, row.district, row.amount, fence, open_transfer.transfer_id,
            open_transfer.day, open_transfer.account_id, taken_over=True,
        )  # fmt: skip

    # -- ask or send ----------------------------------------------------------------------------

    def work(self, claim: Claim) -> BankOutcome:
        self.crash.reach("after_claim", claim)
        outcome = self._ask_or_send(claim)
        self.crash.reach("after_bank_call", claim)
        self._record_with_retries(claim, outcome)
        self.crash.reach("after_commit", claim)
        return outcome

    def _ask_or_send(self, claim: Claim) -> BankOutcome:
        if claim.taken_over:
            outcome = self._inquire(claim)
            if outcome.status != BankOutcome.NOT_FOUND:
                return outcome
            if claim.transfer_day != kst_day(self.clock()):
                # The id's day is over and the bank never had it: a new id is safe.
                return BankOutcome(BankOutcome.FAILED, FailReason.NOT_SENT)
        outcome = self._send(claim)
        if outcome.status == BankOutcome.DUPLICATE:  # the bank had the id already: what became of it?
            outcome = self._inquire(claim)
            if outcome.status == BankOutcome.NOT_FOUND:
                outcome = BankOutcome(BankOutcome.UNKNOWN)
        return outcome

    def _inquire(self, claim: Claim) -> BankOutcome:
        """Ask by id on the transfer's day and, if the bank has nothing then, on the next day: a transfer
        claimed just before midnight may reach the bank just after it, and books on that day."""
        outcome = self.rail.inquire(claim.transfer_id, claim.transfer_day, claim.amount)
        if outcome.status == BankOutcome.NOT_FOUND:
            outcome = self.rail.inquire(
                claim.transfer_id, claim.transfer_day + timedelta(days=1), claim.amount
            )
        return outcome

    def _send(self, claim: Claim) -> BankOutcome:
        bank, number = self.account_number(claim.account_id)
        order = TransferOrder(
            claim.transfer_id, claim.transfer_day, bank, number, self.holder_name(claim.owner_id),
            claim.amount, str(claim.instruction_id), "자동차세환급",
        )  # fmt: skip
        return self.rail.transfer(order)

    # -- record ------------------------------------------------------------------------------------

    def _record_with_retries(self, claim: Claim, outcome: BankOutcome) -> None:
        for attempt in range(1, self.record_attempts + 1):
            try:
                self.record(claim, outcome)
                return
            except DBAPIError as error:
                # The database restarted or refused: try again with the same fence; after the last try
                # the lease runs out and another worker asks the bank by the same id.
                log.warning(
                    "payout record of %s failed (%d): %s", claim.transfer_id, attempt, describe_error(error)
                )
                self.sleep(min(0.2 * 2**attempt, 5.0))

    def record(self, claim: Claim, outcome: BankOutcome) -> bool:
        """Write the bank's answer, if this worker still holds the claim; False if fenced out."""
        now = self.clock()
        with self.engine.begin() as connection:
            target, transfer_state, reason = _states(outcome)
            values: dict[str, Any] = {"state": str(target), "lease_owner": None, "lease_until": None,
                                      "updated_at": now}  # fmt: skip
            if target is InstructionState.UNKNOWN:
                values["next_try_at"] = now + self.retry
            if target is InstructionState.RETURNED:
                values["returned_account_id"] = claim.account_id
            held = connection.execute(
                update(payout_instructions)
                .where(payout_instructions.c.id == claim.instruction_id)
                .where(payout_instructions.c.fence == claim.fence)
                .where(payout_instructions.c.state == str(InstructionState.SENDING))
                .values(**values)
            ).rowcount
            if not held:
                return False
            if transfer_state is TransferState.SUCCEEDED:  # the key allows one success an instruction
                connection.execute(
                    insert(payout_paid),
                    {"instruction_id": claim.instruction_id, "transfer_id": claim.transfer_id},
                )
            connection.execute(
                update(payout_transfers)
                .where(payout_transfers.c.transfer_id == claim.transfer_id)
                .values(
                    state=str(transfer_state), reason=reason and str(reason), bank_ref=outcome.bank_ref,
                    resolved_at=now if transfer_state is not TransferState.UNKNOWN else None,
                )
            )  # fmt: skip
            connection.execute(
                insert(payout_results),
                {
                    "transfer_id": claim.transfer_id, "source": "api", "status": str(transfer_state),
                    "reason": reason and str(reason), "amount": outcome.amount, "bank_ref": outcome.bank_ref,
                    "day": claim.transfer_day, "received_at": now,
                },
            )  # fmt: skip
            self._consequences(connection, claim, outcome, now)
        return True

    def _consequences(
        self, connection: Connection, claim: Claim, outcome: BankOutcome, now: datetime
    ) -> None:
        if outcome.status == BankOutcome.SUCCEEDED:
            day = kst_day(now)
            entry = payment_entry(
                claim.transfer_id, claim.case_key, claim.owner_id, claim.district, claim.amount, day
            )
            ledger.post(connection, entry, now)
            last4 = connection.execute(
                select(payout_accounts.c.last4).where(payout_accounts.c.id == claim.account_id)
            ).scalar_one()
            event = RefundPaid(
                claim.case_key,
                claim.owner_id,
                claim.district,
                claim.transfer_id,
                claim.amount,
                day,
                last4,
                now,
            )
            add_events(connection, [event], now)
        elif outcome.status == BankOutcome.FAILED and outcome.reason is not FailReason.NOT_SENT:
            reason = str(outcome.reason or FailReason.REJECTED)
            event_failed = TransferFailed(
                claim.case_key, claim.owner_id, claim.district, claim.transfer_id, reason, now
            )
            add_events(connection, [event_failed], now)


def _states(outcome: BankOutcome) -> tuple[InstructionState, TransferState, FailReason | None]:
    if outcome.status == BankOutcome.SUCCEEDED:
        return InstructionState.PAID, TransferState.SUCCEEDED, None
    if outcome.status == BankOutcome.FAILED:
        if outcome.reason is FailReason.NOT_SENT:
            return InstructionState.OPEN, TransferState.FAILED, FailReason.NOT_SENT
        return InstructionState.RETURNED, TransferState.FAILED, outcome.reason or FailReason.REJECTED
    return InstructionState.UNKNOWN, TransferState.UNKNOWN, None
