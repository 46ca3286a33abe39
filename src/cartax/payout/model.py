"""The payout model: refund accounts, payment instructions, transfers to the bank, and ledger entries.

- An *account* is a person's refund account as registered (append-only: a change adds a row). It is
  payable once the bank's account-holder check (예금주 조회) found the entitled person's name, and,
  after a change, once the cooling-off period is over.
- An *instruction* is the decision to pay one computation of one case (from ``RefundApproved``). It is
  paid at most once: every attempt is a *transfer* with its own transfer id, written (committed)
  before the bank hears of it; a new transfer is made only after the bank said the previous one failed.
- The *ledger* is double-entry and append-only: every entry's lines sum to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

KST = timezone(timedelta(hours=9), "KST")


def kst_day(moment: datetime) -> date:
    """The Korean calendar day of a moment (bank days and the ledger's days are Korean days)."""
    return moment.astimezone(KST).date()


class HolderCheck(StrEnum):
    """What the bank's account-holder check answered."""

    VERIFIED = "verified"  # the holder is the entitled person
    MISMATCH = "mismatch"  # someone else's account: blocked, an officer checks
    CLOSED = "closed"  # closed or suspended account
    NOT_FOUND = "not_found"  # no such account at that bank


class AccountSource(StrEnum):
    CITIZEN = "citizen"  # the person, signed in
    OFFICER = "officer"  # an officer, at the counter
    PREREGISTERED = "preregistered"  # 환급계좌 사전등록, imported with the person's consent


class InstructionState(StrEnum):
    """Where a payment instruction stands."""

    OPEN = "open"  # decided, waiting to be sent (maybe held: see hold reasons)
    SENDING = "sending"  # claimed by a worker under a lease; its transfer is written, maybe sent
    UNKNOWN = "unknown"  # the bank's answer is unknown: ask again by the same transfer id
    FILED = "filed"  # in a bank file; waiting for the bank's result file
    PAID = "paid"  # the bank confirmed a transfer
    RETURNED = "returned"  # the bank refused the transfer: waiting for another account
    CANCELLED = "cancelled"  # a recomputation voided the decision before any money moved


OPEN_STATES = frozenset({InstructionState.OPEN, InstructionState.RETURNED})
"""Instructions no transfer is in flight for: a new transfer may be started (if the account allows)."""


class TransferState(StrEnum):
    PENDING = "pending"  # written, the bank may or may not have it
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # sent, no answer (timeout, delayed result): inquire by id
    FILED = "filed"  # in a bank file


class Rail(StrEnum):
    API = "api"  # the open-banking transfer API, one transfer per call
    FILE = "file"  # a transfer file for the municipality's bank (금고), results read back


class FailReason(StrEnum):
    """Why the bank refused a transfer (a stable code; never the bank's free text)."""

    ACCOUNT_CLOSED = "account_closed"
    HOLDER_MISMATCH = "holder_mismatch"
    ACCOUNT_NOT_FOUND = "account_not_found"
    REJECTED = "rejected"
    NOT_SENT = "not_sent"  # the bank never received it and its day has passed


class HoldReason(StrEnum):
    NO_ACCOUNT = "no_account"
    HOLDER_MISMATCH = "holder_mismatch"
    ACCOUNT_CLOSED = "account_closed"
    COOLING_OFF = "cooling_off"
    AWAITING_NEW_ACCOUNT = "awaiting_new_account"
    ACCOUNT_REQUESTED = "account_requested"


class LedgerAccount(StrEnum):
    """The chart of accounts (debits positive, credits negative)."""

    REFUND_EXPENSE = "refund_expense"  # 과오납 환급 (reduces the year's revenue)
    INTEREST_EXPENSE = "interest_expense"  # 환급가산금
    REFUNDS_PAYABLE = "refunds_payable"  # 지급할 환급금 (owed to the citizen)
    ARREARS_RECEIVABLE = "arrears_receivable"  # 체납액 (owed by the citizen)
    BANK = "bank"  # the municipality's account at its bank (금고)


class EntryKind(StrEnum):
    DECIDED = "decided"  # 지급결정: refund and interest owed
    OFFSET = "offset"  # 충당: set off against arrears
    PAYMENT = "payment"  # the bank paid
    REVERSAL = "reversal"  # an entry undone (a recomputation voided the decision)


@dataclass(frozen=True, slots=True)
class Line:
    account: LedgerAccount
    amount: int  # 원; debit > 0, credit < 0


@dataclass(frozen=True, slots=True)
class Entry:
    """One journal entry; ``key`` makes posting it idempotent (a UNIQUE column)."""

    key: str
    kind: EntryKind
    case_key: str
    owner_id: str
    district: str
    day: date
    lines: tuple[Line, ...]
    transfer_id: str | None = None

    def __post_init__(self) -> None:
        if sum(line.amount for line in self.lines) != 0:
            raise ValueError(f"ledger entry {self.key} does not balance: its lines sum to non-zero")
        if not self.lines or any(line.amount == 0 for line in self.lines):
            raise ValueError(f"ledger entry {self.key} needs non-zero lines")


@dataclass(frozen=True, slots=True)
class Decided:
    """The amounts of a decided payment (one computation of one case)."""

    case_key: str
    computation: int
    owner_id: str
    district: str
    refund: int
    interest: int
    offset: int
    payable: int

    def __post_init__(self) -> None:
        if min(self.refund, self.interest, self.offset) < 0 or self.payable <= 0:
            raise ValueError("decided amounts are non-negative and the payable is positive")
        if self.refund + self.interest - self.offset != self.payable:
            raise ValueError("payable must equal refund + interest - offset")


def decided_entries(decided: Decided, day: date) -> list[Entry]:
    """The entries of a payment decision: the refund and interest owed, then the offset if any.

    >>> d = Decided("c1", 1, "o1", "11680", 250_040, 930, 40_000, 210_970)
    >>> entries = decided_entries(d, date(2026, 8, 1))
    >>> [(e.kind.value, sum(line.amount for line in e.lines if line.amount > 0)) for e in entries]
    [('decided', 250970), ('offset', 40000)]
    """
    owed = decided.refund + decided.interest
    where = (decided.case_key, decided.owner_id, decided.district, day)
    lines = [Line(LedgerAccount.REFUND_EXPENSE, decided.refund)]
    if decided.interest:
        lines.append(Line(LedgerAccount.INTEREST_EXPENSE, decided.interest))
    lines.append(Line(LedgerAccount.REFUNDS_PAYABLE, -owed))
    key = f"{decided.case_key}:{decided.computation}"
    entries = [Entry(f"decided:{key}", EntryKind.DECIDED, *where, tuple(lines))]
    if decided.offset:
        offset = (
            Line(LedgerAccount.REFUNDS_PAYABLE, decided.offset),
            Line(LedgerAccount.ARREARS_RECEIVABLE, -decided.offset),
        )
        entries.append(Entry(f"offset:{key}", EntryKind.OFFSET, *where, offset))
    return entries


def payment_entry(
    transfer_id: str, case_key: str, owner_id: str, district: str, amount: int, day: date
) -> Entry:
    """The bank paid ``amount``: the debt to the citizen is settled from the bank account."""
    lines = (Line(LedgerAccount.REFUNDS_PAYABLE, amount), Line(LedgerAccount.BANK, -amount))
    return Entry(
        f"payment:{transfer_id}", EntryKind.PAYMENT, case_key, owner_id, district, day, lines, transfer_id
    )


def reversal_entry(entry: Entry, day: date) -> Entry:
    """The mirror of ``entry`` (entries are never changed; a mistake is undone by another entry)."""
    lines = tuple(Line(line.account, -line.amount) for line in entry.lines)
    return Entry(
        f"reversal:{entry.key}", EntryKind.REVERSAL, entry.case_key, entry.owner_id, entry.district, day,
        lines, entry.transfer_id,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class BankOutcome:
    """What the bank said about one transfer id.

    ``status``: ``succeeded``, ``failed`` (with ``reason``), ``unknown`` (no answer, or still being
    processed: ask again later), ``not_found`` (the bank has no transfer under this id), or
    ``duplicate`` (the id was used before: ask for that transfer's result).
    """

    status: str
    reason: FailReason | None = None
    bank_ref: str | None = None
    amount: int | None = None

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"


MAX_ATTEMPTS = 64
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def make_transfer_id(org_code: str, instruction_id: int, attempt: int) -> str:
    """The transfer id of an instruction's ``attempt`` (0, 1, … after each definite failure).

    Shaped like the open-banking ``bank_tran_id``: the 10-character institution code, ``U``, and 9
    characters unique to this institution (here for ever, so also per day).

    >>> make_transfer_id("M202600001", 1, 0), make_transfer_id("M202600001", 1, 1)
    ('M202600001U00000001S', 'M202600001U00000001T')
    """
    if not 0 <= attempt < MAX_ATTEMPTS:
        raise ValueError(f"attempt {attempt} out of 0..{MAX_ATTEMPTS - 1}")
    number = instruction_id * MAX_ATTEMPTS + attempt
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
    if len(digits) > 9:
        raise ValueError("instruction id too large for a 9-character transfer number")
    return f"{org_code}U{digits.rjust(9, '0')}"
