"""The payout context on SQLAlchemy: accounts, decisions, zero-click announcements, views, the ledger
and the day's reconciliation (:class:`SqlPayout`, the implementation of :class:`cartax.payout.Payout`).

Every change runs in one transaction with its events written to the outbox in that transaction.
Account numbers are stored AES-GCM encrypted, bound to their owner (associated data), and leave this
module only masked, except to a bank rail through :meth:`SqlPayout.account_number`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from cartax.cases import Actor, ActorKind
from cartax.infra.crypto import PiiCipher
from cartax.infra.outbox import OutboxEvent, add_events
from cartax.payout.adapters import bulk, ledger
from cartax.payout.adapters.tables import (
    ledger_entries,
    ledger_lines,
    payout_account_digests,
    payout_accounts,
    payout_announcements,
    payout_current,
    payout_instructions,
    payout_transfers,
)
from cartax.payout.banks import bank_code, bank_name, mask, normalise_account, same_holder
from cartax.payout.errors import (
    AccountRejectedError,
    PayoutConflictError,
    PayoutError,
    PayoutForbiddenError,
    PayoutNotFoundError,
)
from cartax.payout.events import (
    AccountChanged,
    OffsetPosted,
    PaymentReconciled,
    TransferFailed,
    ZeroClickAnnounced,
)
from cartax.payout.model import (
    AccountSource,
    Decided,
    Entry,
    EntryKind,
    HolderCheck,
    HoldReason,
    InstructionState,
    LedgerAccount,
    Line,
    TransferState,
    decided_entries,
    kst_day,
    reversal_entry,
)
from cartax.payout.ports import CaseGateway, Directory, HolderCheckPort
from cartax.payout.views import (
    AccountView,
    Balance,
    FailedTransferView,
    PaymentView,
    ReconciliationLine,
    ReconciliationReport,
    TransferView,
)

log = logging.getLogger("cartax.payout")
REFUSALS = {
    HolderCheck.MISMATCH: "holder_mismatch",
    HolderCheck.CLOSED: "account_closed",
    HolderCheck.NOT_FOUND: "account_not_found",
}
OFFICER_STATES = (InstructionState.RETURNED, InstructionState.OPEN)


def account_context(owner_id: str) -> str:
    """Associated data of an account number's token: the token opens only as this owner's account."""
    return f"{payout_accounts.name}.number_encrypted:{owner_id}"


def account_digest(cipher: PiiCipher, bank: str, digits: str) -> str:
    """The keyed digest of a bank account (bank code and number): equal for the same account whoever
    registered it, and telling nothing of the number without the key."""
    return cipher.fingerprint([payout_account_digests.name, bank, digits])


@dataclass
class SqlPayout:
    engine: Engine
    cipher: PiiCipher
    directory: Directory
    holder_check: HolderCheckPort
    clock: Callable[[], datetime]
    cooling_off: timedelta = timedelta(hours=72)
    objection_window: timedelta = timedelta(days=14)
    cases: CaseGateway | None = None
    reconcile_shares: int = 2
    """Transactions side by side reconciling a large day on PostgreSQL (disjoint shares of its transfers)."""
    reconcile_split_above: int = 10_000
    """A day of more transfers than this is reconciled in :attr:`reconcile_shares` shares."""

    # -- accounts -------------------------------------------------------------------------------

    def register_account(
        self, owner_id: str, bank: str, number: str, actor: Actor, *, zero_click: bool | None = None
    ) -> AccountView:
        if actor.kind is ActorKind.CITIZEN and actor.id != owner_id:
            raise PayoutForbiddenError("not_account_owner")
        source = AccountSource.OFFICER if actor.kind is ActorKind.OFFICER else AccountSource.CITIZEN
        return self._register(owner_id, bank, number, source, zero_click)

    def import_preregistered(self, owner_id: str, zero_click: bool = True) -> AccountView | None:
        """Take over the person's pre-registered refund account (환급계좌 사전등록) from the directory,
        checked with the bank. Kept even when the check fails, so the payment waits for an officer."""
        person = self.directory.person(owner_id)
        if person is None or not person.preregistered_account or not person.preregistered_bank:
            return None
        return self._register(
            owner_id, person.preregistered_bank, person.preregistered_account,
            AccountSource.PREREGISTERED, zero_click,
        )  # fmt: skip

    def _register(
        self, owner_id: str, bank: str, number: str, source: AccountSource, zero_click: bool | None
    ) -> AccountView:
        code, digits = bank_code(bank), normalise_account(number)
        person = self.directory.person(owner_id)
        if person is None:
            raise PayoutNotFoundError("unknown_person")
        answer = self.holder_check.check_holder(code, digits, person.name)
        check = answer.check
        if check is HolderCheck.VERIFIED and not same_holder(person.name, answer.holder or ""):
            check = HolderCheck.MISMATCH
        if check is not HolderCheck.VERIFIED and source is not AccountSource.PREREGISTERED:
            raise AccountRejectedError(REFUSALS[check], bank=bank_name(code), masked=mask(digits[-4:]))
        for _ in range(3):
            try:
                return self._store_account(owner_id, code, digits, check, source, zero_click)
            except IntegrityError:  # the same person's first account, registered twice at once: again
                continue
        raise PayoutConflictError("account_busy")

    def _store_account(
        self, owner_id: str, code: str, digits: str, check: HolderCheck, source: AccountSource,
        zero_click: bool | None,
    ) -> AccountView:  # fmt: skip
        now = self.clock()
        with self.engine.begin() as connection:
            current = self._current(connection, owner_id, lock=True)
            if current is not None and self._same_account(current, owner_id, code, digits, check):
                if zero_click is not None and zero_click != current.zero_click:
                    self._set_consent(connection, owner_id, zero_click, now)
                return self._view(self._current(connection, owner_id))  # type: ignore[arg-type]
            changed = current is not None and source is not AccountSource.PREREGISTERED
            held_until = now + self.cooling_off if changed and self.cooling_off else None
            account_id = connection.execute(
                insert(payout_accounts).returning(payout_accounts.c.id),
                {
                    "owner_id": owner_id,
                    "bank_code": code,
                    "number_encrypted": self.cipher.encrypt(digits, account_context(owner_id)),
                    "last4": digits[-4:],
                    "holder_check": str(check),
                    "source": str(source),
                    "registered_at": now,
                    "cooling_off_until": held_until,
                },
            ).scalar_one()
            connection.execute(
                insert(payout_account_digests),
                {"account_id": account_id, "number_digest": account_digest(self.cipher, code, digits)},
            )
            consent = zero_click if zero_click is not None else bool(current and current.zero_click)
            values = {"account_id": account_id, "zero_click": consent, "updated_at": now}
            if current is None:
                connection.execute(insert(payout_current), {"owner_id": owner_id, **values})
            else:
                connection.execute(
                    update(payout_current).where(payout_current.c.owner_id == owner_id).values(**values)
                )
            # An officer's request for another account is answered by any new account.
            connection.execute(
                update(payout_instructions)
                .where(payout_instructions.c.owner_id == owner_id)
                .where(payout_instructions.c.hold == str(HoldReason.ACCOUNT_REQUESTED))
                .values(hold=None, updated_at=now)
            )
            event = AccountChanged(
                owner_id, code, digits[-4:], current.last4 if current else None, str(source),
                check is HolderCheck.VERIFIED, held_until, now,
            )  # fmt: skip
            add_events(connection, [event], now)
            return self._view(self._current(connection, owner_id))  # type: ignore[arg-type]

    def _same_account(self, current: Row[Any], owner_id: str, code: str, digits: str, check: str) -> bool:
        if current.bank_code != code or current.last4 != digits[-4:] or current.holder_check != check:
            return False
        return self.cipher.decrypt(current.number_encrypted, account_context(owner_id)) == digits

    def current_account(self, owner_id: str) -> AccountView | None:
        with self.engine.connect() as connection:
            row = self._current(connection, owner_id)
        return self._view(row) if row is not None else None

    def others_sharing(self, owner_id: str) -> int:
        """How many other people have registered the person's current account (by its digest, whatever
        the check or the source; each person once)."""
        mine = (
            select(payout_account_digests.c.number_digest)
            .join(payout_current, payout_current.c.account_id == payout_account_digests.c.account_id)
            .where(payout_current.c.owner_id == owner_id)
            .scalar_subquery()
        )
        query = (
            select(func.count(func.distinct(payout_accounts.c.owner_id)))
            .join(payout_account_digests, payout_account_digests.c.account_id == payout_accounts.c.id)
            .where(payout_account_digests.c.number_digest == mine)
            .where(payout_accounts.c.owner_id != owner_id)
        )
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def index_accounts(self, batch: int = 5_000) -> int:
        """Give the accounts registered before their digests existed (migration 0015) theirs, a batch a
        transaction; returns how many. Running it again finds nothing more to do."""
        done = 0
        while True:
            with self.engine.begin() as connection:
                accounts = payout_accounts
                rows = connection.execute(
                    select(accounts.c.id, accounts.c.owner_id, accounts.c.bank_code,
                           accounts.c.number_encrypted)
                    .outerjoin(payout_account_digests, payout_account_digests.c.account_id == accounts.c.id)
                    .where(payout_account_digests.c.account_id.is_(None))
                    .order_by(accounts.c.id)
                    .limit(batch)
                ).all()  # fmt: skip
                if not rows:
                    return done
                connection.execute(
                    insert(payout_account_digests),
                    [
                        {"account_id": row.id, "number_digest": account_digest(
                            self.cipher, row.bank_code, self.open_number(row.number_encrypted, row.owner_id))}
                        for row in rows
                    ],
                )  # fmt: skip
            done += len(rows)

    def set_zero_click(self, owner_id: str, consent: bool, actor: Actor) -> AccountView:
        if actor.kind is ActorKind.CITIZEN and actor.id != owner_id:
            raise PayoutForbiddenError("not_account_owner")
        now = self.clock()
        with self.engine.begin() as connection:
            row = self._current(connection, owner_id, lock=True)
            if row is None:
                raise PayoutNotFoundError("no_account")
            if consent and row.holder_check != HolderCheck.VERIFIED:
                raise PayoutConflictError("consent_needs_verified_account")
            self._set_consent(connection, owner_id, consent, now)
            return self._view(self._current(connection, owner_id))  # type: ignore[arg-type]

    def account_number(self, account_id: int) -> tuple[str, str]:
        """(bank code, account number) of a stored account: for a bank rail only, never for display."""
        with self.engine.connect() as connection:
            row = connection.execute(select(payout_accounts).where(payout_accounts.c.id == account_id)).one()
        return row.bank_code, self.cipher.decrypt(row.number_encrypted, account_context(row.owner_id))

    def open_number(self, token: str, owner_id: str) -> str:
        """An account number from its token (for a bank file only, never for display)."""
        return self.cipher.decrypt(token, account_context(owner_id))

    @staticmethod
    def _set_consent(connection: Connection, owner_id: str, consent: bool, now: datetime) -> None:
        connection.execute(
            update(payout_current)
            .where(payout_current.c.owner_id == owner_id)
            .values(zero_click=consent, updated_at=now)
        )

    @staticmethod
    def _current(connection: Connection, owner_id: str, lock: bool = False) -> Row[Any] | None:
        query = (
            select(payout_accounts, payout_current.c.zero_click)
            .join(payout_current, payout_current.c.account_id == payout_accounts.c.id)
            .where(payout_current.c.owner_id == owner_id)
        )
        if lock and connection.dialect.name == "postgresql":
            query = query.with_for_update(of=payout_current)
        return connection.execute(query).first()

    @staticmethod
    def _view(row: Row[Any]) -> AccountView:
        return AccountView(
            row.owner_id, row.bank_code, row.last4, row.holder_check, row.source, _utc(row.registered_at),
            _utc(row.cooling_off_until) if row.cooling_off_until else None, bool(row.zero_click),
        )  # fmt: skip

    # -- decisions --------------------------------------------------------------------------------

    def decide(self, decided: Decided, at: datetime) -> str:
        """A payment decision becomes one instruction and its ledger entries; ``duplicate`` if known."""
        now = self.clock()
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(payout_instructions),
                    {
                        "case_key": decided.case_key,
                        "computation": decided.computation,
                        "owner_id": decided.owner_id,
                        "district": decided.district,
                        "amount": decided.payable,
                        "state": str(InstructionState.OPEN),
                        "fence": 0,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                events: list[OutboxEvent] = []
                for entry in decided_entries(decided, kst_day(at)):
                    ledger.post(connection, entry, now)
                    if entry.kind is EntryKind.OFFSET:
                        events.append(
                            OffsetPosted(
                                decided.case_key, decided.owner_id, decided.district, decided.offset, at
                            )
                        )
                add_events(connection, events, now)
        except IntegrityError:
            return "duplicate"  # the same decision delivered twice (or concurrently): one instruction
        self._adopt_preregistered(decided.owner_id)
        return "created"

    def _adopt_preregistered(self, owner_id: str) -> None:
        """A person without an account here who pre-registered a refund account (환급계좌 사전등록) is
        paid there, once the bank's holder check agrees (a failed check waits for an officer)."""
        if self.current_account(owner_id) is not None:
            return
        try:
            self.import_preregistered(owner_id, zero_click=False)
        except PayoutError as error:  # a malformed or unreachable account: the payment waits for one
            log.warning("pre-registered account of an owner not taken over: %s", error.code)

    def cancel(self, case_key: str, superseded_by: int) -> int:
        """A recomputation voided the decisions before computation ``superseded_by``: cancel their
        instructions where no money is under way and reverse their ledger entries; an instruction in
        flight or paid is left as it is (the officer sees the recomputation). Returns how many."""
        now = self.clock()
        with self.engine.begin() as connection:
            voided = (
                connection.execute(
                    update(payout_instructions)
                    .where(payout_instructions.c.case_key == case_key)
                    .where(payout_instructions.c.computation < superseded_by)
                    .where(payout_instructions.c.state.in_([str(s) for s in OFFICER_STATES]))
                    .values(state=str(InstructionState.CANCELLED), updated_at=now)
                    .returning(payout_instructions.c.computation)
                )
                .scalars()
                .all()
            )
            for computation in voided:
                for kind in (EntryKind.DECIDED, EntryKind.OFFSET):
                    key = f"{kind}:{case_key}:{computation}"
                    if connection.execute(
                        select(ledger_entries.c.id).where(ledger_entries.c.entry_key == key)
                    ).first():
                        ledger.post(connection, reversal_entry(_entry(connection, key), kst_day(now)), now)
        return len(voided)

    # -- zero-click ---------------------------------------------------------------------------------

    def announce(
        self, case_key: str, owner_id: str, district: str, amount: int, notified_at: datetime
    ) -> bool:
        """A notified case of a person with a verified account and a standing consent is announced:
        paid on the day the objection window ends, unless they object."""
        now = self.clock()
        with self.engine.begin() as connection:
            account = self._current(connection, owner_id)
            if account is None or not account.zero_click or account.holder_check != HolderCheck.VERIFIED:
                return False
            pay_at = notified_at + self.objection_window
            if account.cooling_off_until is not None:
                pay_at = max(pay_at, _utc(account.cooling_off_until))
            pay_on = kst_day(pay_at)
            if connection.execute(
                select(payout_announcements.c.case_key).where(payout_announcements.c.case_key == case_key)
            ).first():
                return False
            connection.execute(
                insert(payout_announcements),
                {"case_key": case_key, "owner_id": owner_id, "account_id": account.id, "pay_on": pay_on,
                 "announced_at": now},
            )  # fmt: skip
            event = ZeroClickAnnounced(
                case_key, owner_id, district, amount, account.bank_code, account.last4, pay_on, now
            )
            add_events(connection, [event], now)
        return True

    def settle_announcements(self, limit: int = 500) -> int:
        """Give the standing consent of every announced case whose day has come (cases checks the
        objection window and whether the person objected); returns how many were settled."""
        if self.cases is None:
            return 0
        now = self.clock()
        with self.engine.connect() as connection:
            due = connection.execute(
                select(payout_announcements)
                .where(payout_announcements.c.outcome.is_(None))
                .where(payout_announcements.c.pay_on <= kst_day(now))
                .order_by(payout_announcements.c.pay_on)
                .limit(limit)
            ).all()
        settled = 0
        for row in due:
            account = self.current_account(row.owner_id)
            verified = account is not None and account.payable_at(now)
            outcome = self.cases.auto_consent(
                row.case_key, verified, bool(account and account.zero_click_consent)
            )
            if outcome == "not_yet":
                continue
            with self.engine.begin() as connection:
                connection.execute(
                    update(payout_announcements)
                    .where(payout_announcements.c.case_key == row.case_key)
                    .values(outcome=outcome, settled_at=now)
                )
            settled += 1
        return settled

    # -- views --------------------------------------------------------------------------------------

    def payment(self, case_key: str) -> PaymentView | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(payout_instructions)
                .where(payout_instructions.c.case_key == case_key)
                .order_by(payout_instructions.c.computation.desc())
            ).first()
            return None if row is None else self._payment(connection, row)

    def payments_of(self, owner_id: str) -> list[PaymentView]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(payout_instructions)
                .where(payout_instructions.c.owner_id == owner_id)
                .order_by(payout_instructions.c.id.desc())
            ).all()
            return [self._payment(connection, row) for row in rows]

    def _payment(self, connection: Connection, row: Row[Any]) -> PaymentView:
        transfers = connection.execute(
            select(payout_transfers, payout_accounts.c.bank_code, payout_accounts.c.last4)
            .join(payout_accounts, payout_accounts.c.id == payout_transfers.c.account_id)
            .where(payout_transfers.c.instruction_id == row.id)
            .order_by(payout_transfers.c.id)
        ).all()
        announced = connection.execute(
            select(payout_announcements.c.pay_on).where(payout_announcements.c.case_key == row.case_key)
        ).scalar_one_or_none()
        hold, until = self._hold(connection, row)
        return PaymentView(
            row.case_key, row.owner_id, row.district, row.computation, row.amount, row.state, hold, until,
            announced, _utc(row.created_at),
            tuple(
                TransferView(
                    t.transfer_id, t.rail, t.state, t.amount, t.bank_code, t.last4, t.reason, t.bank_ref,
                    _utc(t.created_at), _utc(t.resolved_at) if t.resolved_at else None,
                )
                for t in transfers
            ),
            tuple(ledger.lines_of_case(connection, row.case_key)),
        )  # fmt: skip

    def _hold(self, connection: Connection, row: Row[Any]) -> tuple[str | None, datetime | None]:
        """Why an open instruction cannot be sent now (None: it can, or it is not open)."""
        if row.state not in (InstructionState.OPEN, InstructionState.RETURNED):
            return None, None
        if row.hold:
            return row.hold, None
        account = self._current(connection, row.owner_id)
        if account is None:
            return str(HoldReason.NO_ACCOUNT), None
        if account.holder_check != HolderCheck.VERIFIED:
            check = HolderCheck(account.holder_check)
            return (str(HoldReason.HOLDER_MISMATCH) if check is HolderCheck.MISMATCH
                    else str(HoldReason.ACCOUNT_CLOSED)), None  # fmt: skip
        if row.state == InstructionState.RETURNED and row.returned_account_id == account.id:
            return str(HoldReason.AWAITING_NEW_ACCOUNT), None
        if account.cooling_off_until is not None and _utc(account.cooling_off_until) > self.clock():
            return str(HoldReason.COOLING_OFF), _utc(account.cooling_off_until)
        return None, None

    def failed_transfers(self, district: str, limit: int = 100) -> list[FailedTransferView]:
        found: list[FailedTransferView] = []
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(payout_instructions)
                .where(payout_instructions.c.district == district)
                .where(payout_instructions.c.queue.in_([str(s) for s in OFFICER_STATES]))  # by its index
                .order_by(payout_instructions.c.id)
            ).yield_per(500)
            for row in rows:
                hold, _ = self._hold(connection, row)
                if row.state == InstructionState.OPEN and hold not in (
                    HoldReason.HOLDER_MISMATCH, HoldReason.ACCOUNT_CLOSED, HoldReason.ACCOUNT_REQUESTED,
                ):  # fmt: skip
                    continue
                last = connection.execute(
                    select(payout_transfers)
                    .where(payout_transfers.c.instruction_id == row.id)
                    .order_by(payout_transfers.c.id.desc())
                ).first()
                reason = (last.reason if last is not None and last.reason else None) or hold or "review"
                found.append(
                    FailedTransferView(
                        row.case_key, row.owner_id, row.district, row.amount, row.state, reason,
                        last.transfer_id if last is not None else None, _utc(row.updated_at),
                    )
                )  # fmt: skip
                if len(found) >= limit:
                    break
        return found

    def request_another_account(self, case_key: str, actor: Actor) -> PaymentView:
        if actor.kind is not ActorKind.OFFICER:
            raise PayoutForbiddenError("officer_required")
        now = self.clock()
        with self.engine.begin() as connection:
            row = connection.execute(
                select(payout_instructions)
                .where(payout_instructions.c.case_key == case_key)
                .order_by(payout_instructions.c.computation.desc())
            ).first()
            if row is None:
                raise PayoutNotFoundError("payment_not_found", case_key=case_key)
            if row.state == InstructionState.PAID:
                raise PayoutConflictError("already_paid", case_key=case_key)
            if row.state not in (InstructionState.OPEN, InstructionState.RETURNED):
                raise PayoutConflictError("payment_in_flight", case_key=case_key)
            connection.execute(
                update(payout_instructions)
                .where(payout_instructions.c.id == row.id)
                .where(payout_instructions.c.state.in_([str(s) for s in OFFICER_STATES]))
                .values(hold=str(HoldReason.ACCOUNT_REQUESTED), updated_at=now)
            )
            event = TransferFailed(row.case_key, row.owner_id, row.district, None, "account_requested", now)
            add_events(connection, [event], now)
        view = self.payment(case_key)
        if view is None:  # the instruction was read in the transaction above; it is never deleted
            raise PayoutNotFoundError("payment_not_found", case_key=case_key)
        return view

    # -- ledger and reconciliation ---------------------------------------------------------------

    def balances(self, by: str, key: str | None = None) -> list[Balance]:
        with self.engine.connect() as connection:
            value: str | date | None = date.fromisoformat(key) if by == "day" and key else key
            return ledger.balances(connection, by, value)

    def reconcile(self, day: date) -> ReconciliationReport:
        """Match every transfer of ``day`` with the bank's last result on it; flag the rest. Matched
        payments are reconciled on their case (``PaymentReconciled``), once.

        Set-based: the day's transfers and the bank's last word on each are joined by the database
        into a temporary table, where each line's status is computed; the report counts the matched
        lines and reads only the flagged ones; the reconciliations and their events are written from
        it by ``INSERT … SELECT``.

        On PostgreSQL one reconciliation runs at a time (an advisory lock held by this call's own
        transaction; SQLite's write lock does the same): a run waits for the one before it to commit,
        then reads what it reconciled. A day of more than :attr:`reconcile_split_above` transfers is
        split by transfer id into :attr:`reconcile_shares` disjoint shares reconciled side by side,
        each in a transaction of its own, while the lock is held; an interrupted run leaves whole
        shares reconciled, and running it again reconciles the rest."""
        now = self.clock()
        with self.engine.begin() as connection:
            shares = 1
            bulk.for_bulk(connection)
            if bulk.is_postgres(connection):
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECONCILE_LOCK})
                if self.reconcile_shares > 1 and _more_transfers(connection, day, self.reconcile_split_above):
                    shares = self.reconcile_shares
            if shares == 1:
                matched, flagged = _reconcile_share(connection, day, now, 1, 0)
            else:
                with ThreadPoolExecutor(max_workers=shares, thread_name_prefix="reconcile") as pool:
                    parts = list(
                        pool.map(lambda part: self._reconcile_apart(day, now, shares, part), range(shares))
                    )
                matched = sum(count for count, _ in parts)
                flagged = tuple(
                    sorted((line for _, lines in parts for line in lines), key=lambda line: line.transfer_id)
                )
            balanced = ledger.balanced(connection)
        return ReconciliationReport(day, matched, flagged, balanced)

    def _reconcile_apart(
        self, day: date, now: datetime, shares: int, part: int
    ) -> tuple[int, tuple[ReconciliationLine, ...]]:
        """One share of a split reconciliation, in its own transaction (the caller holds the lock)."""
        with self.engine.begin() as connection:
            bulk.for_bulk(connection)
            return _reconcile_share(connection, day, now, shares, part)


def _more_transfers(connection: Connection, day: date, limit: int) -> bool:
    """Whether ``day`` has more than ``limit`` transfers (counting no further)."""
    some = select(payout_transfers.c.id).where(payout_transfers.c.day == day).limit(limit + 1).subquery()
    return int(connection.execute(select(func.count()).select_from(some)).scalar_one()) > limit


def _reconcile_share(
    connection: Connection, day: date, now: datetime, shares: int, part: int
) -> tuple[int, tuple[ReconciliationLine, ...]]:
    """Reconcile the transfer ids of share ``part`` of ``shares`` (all of them when ``shares`` is 1):
    how many lines matched, and the flagged lines."""
    share = {"shares": shares, "part": part}
    bulk.create_temporary(connection, "payout_latest", _LATEST)
    bulk.create_temporary(connection, "payout_matching", _MATCHING)
    try:
        connection.execute(
            bulk.statement(_in_share(_LATEST_SQL, shares)),
            {"day": day, "unknown": str(TransferState.UNKNOWN), **share},
        )
        bulk.analyze(connection, "payout_latest")
        connection.execute(bulk.statement(_in_share(_MATCHING_SQL, shares)), {"day": day, **share})
        bulk.analyze(connection, "payout_matching")
        matched = int(connection.execute(text(_COUNT_MATCHED)).scalar_one())
        flagged = tuple(ReconciliationLine(*row) for row in connection.execute(text(_FLAGGED)).all())
        _reconciled(connection, day, now, shares, part)
    finally:
        bulk.drop_temporary(connection, "payout_latest", "payout_matching")
    return matched, flagged


def _in_share(sql_text: str, shares: int) -> str:
    """``sql_text`` with each ``{share:COLUMN}`` made a condition that the transfer id in ``COLUMN`` is
    in share ``:part`` of ``:shares`` (PostgreSQL; nothing when there is one share)."""
    return re.sub(
        r"\{share:([a-z_.]+)\}",
        lambda found: "" if shares == 1 else f" AND (hashtext({found[1]}) & 2147483647) % :shares = :part",
        sql_text,
    )


RECONCILE_LOCK = 0x7061796F75740001
"""The PostgreSQL advisory lock a reconciliation holds for its transaction ("payout" and 1)."""

_MATCHING = {
    "transfer_id": "VARCHAR(20)",
    "state": "VARCHAR(10)",
    "amount": "BIGINT",
    "bank_ref": "VARCHAR(64)",
    "case_key": "VARCHAR(64)",
    "bank_status": "VARCHAR(10)",
    "bank_amount": "BIGINT",
    "bank_result_ref": "VARCHAR(64)",
}
# The bank's last word on a transfer id: its latest result other than "unknown", among the results of the
# day and any result on the day's transfers. Our transfers without one, and results on ids we never sent,
# each make a row too.
_LATEST = {
    "transfer_id": "VARCHAR(20) PRIMARY KEY",
    "status": "VARCHAR(10)",
    "amount": "BIGINT",
    "bank_ref": "VARCHAR(64)",
}
_LATEST_SQL = (
    "INSERT INTO payout_latest "
    "WITH candidates AS (SELECT id, transfer_id, status, amount, bank_ref FROM payout_results "
    "WHERE day = :day AND status <> :unknown{share:transfer_id} UNION ALL SELECT r.id, r.transfer_id, "
    "r.status, r.amount, r.bank_ref FROM payout_results r JOIN payout_transfers t ON t.transfer_id = "
    "r.transfer_id WHERE t.day = :day AND r.day <> :day AND r.status <> :unknown{share:t.transfer_id}), "
    "ranked AS (SELECT transfer_id, status, amount, bank_ref, "
    "row_number() OVER (PARTITION BY transfer_id ORDER BY id DESC) AS place FROM candidates) "
    "SELECT transfer_id, status, amount, bank_ref FROM ranked WHERE place = 1"
)
_MATCHING_SQL = (
    "INSERT INTO payout_matching "
    "SELECT t.transfer_id, t.state, t.amount, t.bank_ref, i.case_key, latest.status, latest.amount, "
    "latest.bank_ref FROM payout_transfers t JOIN payout_instructions i ON i.id = t.instruction_id "
    "LEFT JOIN payout_latest latest ON latest.transfer_id = t.transfer_id "
    "WHERE t.day = :day{share:t.transfer_id} "
    "UNION ALL SELECT latest.transfer_id, NULL, NULL, NULL, NULL, latest.status, latest.amount, "
    "latest.bank_ref FROM payout_latest latest WHERE NOT EXISTS "
    "(SELECT 1 FROM payout_transfers t3 WHERE t3.transfer_id = latest.transfer_id AND t3.day = :day)"
)
# Each line's status: ours unknown to the bank's file, no result from the bank, different states, or (for a
# payment) a different amount; otherwise matched.
_STATUS = (
    "CASE WHEN state IS NULL THEN 'unknown_to_us' WHEN bank_status IS NULL THEN 'missing_result' "
    "WHEN state <> bank_status THEN 'status_mismatch' WHEN bank_status = 'succeeded' "
    "AND bank_amount IS NOT NULL AND bank_amount <> amount THEN 'amount_mismatch' ELSE 'matched' END"
)
_COUNT_MATCHED = f"SELECT count(*) FROM payout_matching WHERE {_STATUS} = 'matched'"  # noqa: S608  # nosec B608 - SQL of our own
_FLAGGED = (
    "SELECT transfer_id, status, state, bank_status, amount, bank_amount FROM "  # noqa: S608  # nosec B608 - SQL of our own
    f"(SELECT m.*, {_STATUS} AS status FROM payout_matching m) lines WHERE status <> 'matched' "
    "ORDER BY transfer_id"
)
# Matched payments: both sides say succeeded and the bank's amount, if it gave one, is ours.
_MATCHED = (
    "FROM payout_matching m WHERE m.state = 'succeeded' AND m.bank_status = 'succeeded' "
    "AND (m.bank_amount IS NULL OR m.bank_amount = m.amount)"
)


def _reconciled(connection: Connection, day: date, now: datetime, shares: int, part: int) -> None:
    """Each matched payment not reconciled before: a ``payout_reconciled`` row and ``PaymentReconciled``
    (runs of the reconciliation follow one another: :meth:`SqlPayout.reconcile` takes a lock on PostgreSQL,
    and the shares of a run have no transfer id in common, so a payment is reconciled once). The events
    of share ``part`` of ``shares`` take every ``shares``-th place of the ids' counter, so no two events
    of a run are made with the same counter.

    On PostgreSQL the rows are written first, ``ON CONFLICT DO NOTHING``, and the events made from the
    rows the statement wrote: the key's own index says which payments were reconciled before, so the
    planner never weighs a look-up of its own against a table whose statistics may be stale (an
    anti-join with a table analysed while empty went quadratic on a day of a million payments)."""
    payload = bulk.json_object(
        connection,
        [("case_key", "m.case_key"), ("transfer_id", "m.transfer_id"),
         ("bank_ref", "COALESCE(m.bank_result_ref, m.bank_ref, m.transfer_id)"),
         ("day", bulk.text_parameter(connection, "day_text")), ("at", bulk.text_parameter(connection, "at"))],
    )  # fmt: skip
    parameters = {"day": day, "now": now, "day_text": day.isoformat(), "at": now.isoformat(),
                  "type": PaymentReconciled.TYPE}  # fmt: skip
    events = (
        "INSERT INTO outbox (event_id, type, payload, occurred_at) "
        f"SELECT {bulk.ordered_uuid(connection, f'm.place * {shares} + {part}')}, :type, {payload}, :now "
    )
    rows = f"INSERT INTO payout_reconciled (transfer_id, day, at) SELECT m.transfer_id, :day, :now {_MATCHED}"
    if bulk.is_postgres(connection):
        fresh = f"WITH fresh AS ({rows} ON CONFLICT (transfer_id) DO NOTHING RETURNING transfer_id) "
        placed = (
            # Any fixed order of the ids serves; "C" (bytes) sorts faster than the database's collation.
            'FROM (SELECT m.*, row_number() OVER (ORDER BY m.transfer_id COLLATE "C") AS place '
            "FROM payout_matching m JOIN fresh f ON f.transfer_id = m.transfer_id) m ORDER BY m.place"
        )
        connection.execute(bulk.statement(fresh + events + placed), parameters)
        return
    unseen = " AND NOT EXISTS (SELECT 1 FROM payout_reconciled p WHERE p.transfer_id = m.transfer_id)"
    placed = (
        "FROM (SELECT m.*, row_number() OVER (ORDER BY m.transfer_id) AS place "
        f"{_MATCHED}{unseen}) m ORDER BY m.place"
    )
    connection.execute(bulk.statement(events + placed), parameters)
    connection.execute(bulk.statement(rows + unseen), parameters)


def _entry(connection: Connection, key: str) -> Entry:
    head = connection.execute(select(ledger_entries).where(ledger_entries.c.entry_key == key)).one()
    rows = connection.execute(
        select(ledger_lines).where(ledger_lines.c.entry_id == head.id).order_by(ledger_lines.c.id)
    ).all()
    return Entry(
        head.entry_key, EntryKind(head.kind), head.case_key, head.owner_id, head.district, head.day,
        tuple(Line(LedgerAccount(r.account), r.amount) for r in rows), head.transfer_id,
    )  # fmt: skip


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
