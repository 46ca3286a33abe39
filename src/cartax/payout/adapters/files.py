"""The bank-file rail: transfer files for the municipality's bank (금고) and its result files.

- :func:`file_batch` claims the payable instructions into a batch and writes their transfers (ids
  fixed, state ``filed``) and commits *before* any file exists; a file is only a rendering of a
  committed batch, so writing it again (after a crash, or for the bank that lost it) yields the same
  transfers under the same ids, and the bank refuses ids it has seen.
- :func:`write_csv` and :func:`write_pain001` render a batch: CSV in the layout of :data:`CSV_HEADER`,
  or ISO 20022 ``pain.001.001.03`` XML, validated against the official XSD shipped in ``schemas/``.
- :func:`read_results` reads the bank's answer: ``pain.002`` XML (any version) or the result CSV of
  :data:`RESULT_HEADER`; :func:`apply_results` books each result on its transfer, once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree
from lxml.builder import ElementMaker  # type: ignore[import-not-found]  # lxml-stubs lack the builder
from sqlalchemy import Engine, func, insert, select, update

from cartax.infra.outbox import OutboxEvent, add_events
from cartax.payout.adapters import ledger
from cartax.payout.adapters.tables import (
    payout_accounts,
    payout_batches,
    payout_current,
    payout_instructions,
    payout_results,
    payout_transfers,
)
from cartax.payout.adapters.worker import eligible
from cartax.payout.errors import BankProtocolError
from cartax.payout.events import RefundPaid, TransferFailed
from cartax.payout.model import (
    FailReason,
    InstructionState,
    Rail,
    TransferState,
    kst_day,
    make_transfer_id,
    payment_entry,
)

PAIN001 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
CSV_HEADER = ("transfer_id", "bank_code", "account", "holder", "amount", "memo")
RESULT_HEADER = ("transfer_id", "status", "reason", "amount", "bank_ref")
RESULT_STATUS = {"OK": "succeeded", "FAIL": "failed"}
# ISO 20022 status reason codes the bank uses, as our stable reasons.
ISO_REASONS = {
    "AC04": FailReason.ACCOUNT_CLOSED,
    "AC06": FailReason.ACCOUNT_CLOSED,
    "BE01": FailReason.HOLDER_MISMATCH,
    "AC01": FailReason.ACCOUNT_NOT_FOUND,
}
REASON_CODES = {
    FailReason.ACCOUNT_CLOSED: "AC04",
    FailReason.HOLDER_MISMATCH: "BE01",
    FailReason.ACCOUNT_NOT_FOUND: "AC01",
    FailReason.REJECTED: "MS03",
}
MEMO = "자동차세환급"


@dataclass(frozen=True, slots=True)
class FiledTransfer:
    transfer_id: str
    bank_code: str
    account: str
    holder: str
    amount: int


@dataclass(frozen=True, slots=True)
class Batch:
    batch_ref: str
    day: date
    created_at: datetime
    transfers: tuple[FiledTransfer, ...]

    @property
    def total(self) -> int:
        return sum(t.amount for t in self.transfers)


@dataclass(frozen=True, slots=True)
class BankResult:
    transfer_id: str
    status: str  # succeeded | failed
    reason: FailReason | None
    amount: int | None
    bank_ref: str | None


def file_batch(
    engine: Engine, org_code: str, clock: Callable[[], datetime], limit: int = 1_000_000
) -> str | None:
    """Claim up to ``limit`` payable instructions into a new batch (committed); its ref, or None."""
    now = clock()
    day = kst_day(now)
    with engine.begin() as connection:
        query = (
            select(
                payout_instructions.c.id,
                payout_instructions.c.amount,
                payout_accounts.c.id.label("account_id"),
            )
            .join(payout_current, payout_current.c.owner_id == payout_instructions.c.owner_id)
            .join(payout_accounts, payout_accounts.c.id == payout_current.c.account_id)
            .where(eligible(now))
            .order_by(payout_instructions.c.id)
            .limit(limit)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(of=payout_instructions, skip_locked=True)
        rows = connection.execute(query).all()
        if not rows:
            return None
        count = connection.execute(select(payout_batches.c.id).order_by(payout_batches.c.id.desc())).first()
        batch_ref = f"{org_code}-{day:%Y%m%d}-{(count.id if count else 0) + 1:06d}"
        batch_id = connection.execute(
            insert(payout_batches).returning(payout_batches.c.id),
            {"batch_ref": batch_ref, "day": day, "count": len(rows), "total": sum(r.amount for r in rows),
             "created_at": now},
        ).scalar_one()  # fmt: skip
        attempts = _attempts(connection, [row.id for row in rows])
        connection.execute(
            insert(payout_transfers),
            [
                {
                    "transfer_id": make_transfer_id(org_code, row.id, attempts.get(row.id, 0)),
                    "instruction_id": row.id, "account_id": row.account_id, "rail": str(Rail.FILE),
                    "day": day, "amount": row.amount, "state": str(TransferState.FILED),
                    "batch_id": batch_id, "created_at": now,
                }
                for row in rows
            ],
        )  # fmt: skip
        ids = [row.id for row in rows]
        for start in range(0, len(ids), 10_000):
            connection.execute(
                update(payout_instructions)
                .where(payout_instructions.c.id.in_(ids[start : start + 10_000]))
                .values(state=str(InstructionState.FILED), updated_at=now)
            )
    return batch_ref


def _attempts(connection: Any, ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        for row in connection.execute(
            select(payout_transfers.c.instruction_id, func.count().label("n"))
            .where(payout_transfers.c.instruction_id.in_(chunk))
            .group_by(payout_transfers.c.instruction_id)
        ):
            counts[row.instruction_id] = row.n
    return counts


def load_batch(
    engine: Engine,
    batch_ref: str,
    open_number: Callable[[str, str], str],
    holder_name: Callable[[str], str],
) -> Batch:
    """A committed batch with its transfers' accounts decrypted (``open_number(token, owner_id)``),
    ready to render; one query for the whole batch."""
    with engine.connect() as connection:
        head = connection.execute(
            select(payout_batches).where(payout_batches.c.batch_ref == batch_ref)
        ).first()
        if head is None:
            raise BankProtocolError("bad_bank_file", where=batch_ref, problem="no such batch")
        rows = connection.execute(
            select(payout_transfers.c.transfer_id, payout_transfers.c.amount, payout_accounts.c.bank_code,
                   payout_accounts.c.number_encrypted, payout_accounts.c.owner_id)
            .join(payout_accounts, payout_accounts.c.id == payout_transfers.c.account_id)
            .where(payout_transfers.c.batch_id == head.id)
            .order_by(payout_transfers.c.id)
        ).all()  # fmt: skip
    transfers = tuple(
        FiledTransfer(
            row.transfer_id,
            row.bank_code,
            open_number(row.number_encrypted, row.owner_id),
            holder_name(row.owner_id),
            row.amount,
        )
        for row in rows
    )
    return Batch(head.batch_ref, head.day, head.created_at, transfers)


# -- rendering ------------------------------------------------------------------------------------


def write_csv(batch: Batch, out: Path) -> Path:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for t in batch.transfers:
            writer.writerow((t.transfer_id, t.bank_code, t.account, t.holder, t.amount, MEMO))
    return out


def pain001(batch: Batch, debtor_name: str, debtor_account: str, debtor_bank: str) -> bytes:
    """The batch as a ``pain.001.001.03`` document (one payment information block, KRW amounts)."""
    e = ElementMaker(namespace=PAIN001, nsmap={None: PAIN001})
    created = batch.created_at.replace(microsecond=0).isoformat()
    transactions = [
        e.CdtTrfTxInf(
            e.PmtId(e.EndToEndId(t.transfer_id)),
            e.Amt(e.InstdAmt(str(t.amount), Ccy="KRW")),
            e.CdtrAgt(e.FinInstnId(e.ClrSysMmbId(e.MmbId(t.bank_code)))),
            e.Cdtr(e.Nm(t.holder[:140])),
            e.CdtrAcct(e.Id(e.Othr(e.Id(t.account)))),
            e.RmtInf(e.Ustrd(MEMO)),
        )
        for t in batch.transfers
    ]
    count, total = str(len(batch.transfers)), str(batch.total)
    document = e.Document(
        e.CstmrCdtTrfInitn(
            e.GrpHdr(e.MsgId(batch.batch_ref), e.CreDtTm(created), e.NbOfTxs(count), e.CtrlSum(total),
                     e.InitgPty(e.Nm(debtor_name))),
            e.PmtInf(
                e.PmtInfId(batch.batch_ref), e.PmtMtd("TRF"), e.NbOfTxs(count), e.CtrlSum(total),
                e.ReqdExctnDt(batch.day.isoformat()), e.Dbtr(e.Nm(debtor_name)),
                e.DbtrAcct(e.Id(e.Othr(e.Id(debtor_account)))),
                e.DbtrAgt(e.FinInstnId(e.ClrSysMmbId(e.MmbId(debtor_bank)))),
                *transactions,
            ),
        )
    )  # fmt: skip
    validate_pain001(document)
    return bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def write_pain001(batch: Batch, out: Path, debtor_name: str, debtor_account: str, debtor_bank: str) -> Path:
    out.write_bytes(pain001(batch, debtor_name, debtor_account, debtor_bank))
    return out


_SCHEMA: list[etree.XMLSchema] = []


def schema() -> etree.XMLSchema:
    """The official ISO 20022 ``pain.001.001.03`` schema, shipped in the package (parsed once)."""
    if not _SCHEMA:
        source = resources.files("cartax.payout.adapters") / "schemas" / "pain.001.001.03.xsd"
        _SCHEMA.append(etree.XMLSchema(etree.fromstring(source.read_bytes())))
    return _SCHEMA[0]


def validate_pain001(document: Any) -> None:
    """Refuse a document that breaks the XSD, saying where (no values: they hold account numbers)."""
    checker = schema()
    if not checker.validate(document):
        log: Any = checker.error_log  # lxml's stubs do not type the log as a sequence
        first = log[0]
        raise BankProtocolError("bad_bank_file", where=f"pain.001 line {first.line}", problem=first.type_name)


# -- results ----------------------------------------------------------------------------------


def read_results(path: Path) -> list[BankResult]:
    """The bank's result file: ``pain.002`` XML or the result CSV, told apart by content."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"<"):
        return list(_pain002(data, path.name))
    return list(_result_csv(data.decode("utf-8-sig"), path.name))


def _pain002(data: bytes, name: str) -> Iterator[BankResult]:
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise BankProtocolError("bad_bank_file", where=name, problem=f"not XML ({error.msg})") from None
    if not etree.QName(root).namespace or "pain.002" not in (etree.QName(root).namespace or ""):
        raise BankProtocolError("bad_bank_file", where=name, problem="not a pain.002 status report")
    for item in root.iter("{*}TxInfAndSts"):
        transfer_id = item.findtext("{*}OrgnlEndToEndId")
        status = item.findtext("{*}TxSts")
        if not transfer_id or status not in ("ACSC", "ACCP", "ACSP", "RJCT"):
            raise BankProtocolError("bad_bank_file", where=name, problem=f"transaction status {status!r}")
        amount_text = item.findtext("{*}OrgnlTxRef/{*}Amt/{*}InstdAmt")
        amount = int(Decimal(amount_text)) if amount_text else None
        if status == "RJCT":
            code = item.findtext("{*}StsRsnInf/{*}Rsn/{*}Cd") or ""
            yield BankResult(transfer_id, "failed", ISO_REASONS.get(code, FailReason.REJECTED), amount, None)
        else:
            yield BankResult(transfer_id, "succeeded", None, amount, item.findtext("{*}AcctSvcrRef"))


def _result_csv(text: str, name: str) -> Iterator[BankResult]:
    reader = csv.reader(io.StringIO(text))
    header = tuple(next(reader, ()))
    if header != RESULT_HEADER:
        raise BankProtocolError(
            "bad_bank_file", where=name, problem=f"header must be {','.join(RESULT_HEADER)}"
        )
    for number, row in enumerate(reader, start=2):
        if len(row) != len(RESULT_HEADER) or row[1] not in RESULT_STATUS or not row[0]:
            raise BankProtocolError("bad_bank_file", where=f"{name} line {number}", problem="malformed row")
        reason = FailReason(row[2]) if row[2] in FailReason.__members__.values() else None
        status = RESULT_STATUS[row[1]]
        if status == "failed" and reason is None:
            reason = FailReason.REJECTED
        yield BankResult(row[0], status, reason, int(row[3]) if row[3].isdigit() else None, row[4] or None)


def result_csv(results: Iterable[BankResult]) -> str:
    """Render results as the bank's CSV (the fake bank writes these)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_HEADER)
    for r in results:
        status = "OK" if r.status == "succeeded" else "FAIL"
        writer.writerow((r.transfer_id, status, r.reason or "", r.amount or "", r.bank_ref or ""))
    return out.getvalue()


def apply_results(
    engine: Engine, results: Iterable[BankResult], clock: Callable[[], datetime], source: str
) -> dict[str, int]:
    """Book the bank's results on their filed transfers (once; a result for a transfer already final,
    or for an id we never sent, is recorded for reconciliation and changes nothing else)."""
    now = clock()
    counts = {"succeeded": 0, "failed": 0, "ignored": 0}
    results = list(results)
    with engine.begin() as connection:
        events: list[OutboxEvent] = []
        known = _transfers(connection, [r.transfer_id for r in results])
        rows = []
        for result in results:
            transfer = known.get(result.transfer_id)
            day = transfer.day if transfer is not None else kst_day(now)
            rows.append({"transfer_id": result.transfer_id, "source": source, "status": result.status,
                         "reason": result.reason and str(result.reason), "amount": result.amount,
                         "bank_ref": result.bank_ref, "day": day, "received_at": now})  # fmt: skip
            if transfer is None or transfer.state != TransferState.FILED:
                counts["ignored"] += 1
                continue
            events.extend(_book(connection, transfer, result, now))
            counts[result.status] += 1
        if rows:
            connection.execute(insert(payout_results), rows)
        add_events(connection, events, now)
    return counts


def _transfers(connection: Any, ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for start in range(0, len(ids), 10_000):
        query = (
            select(payout_transfers, payout_instructions.c.case_key, payout_instructions.c.owner_id,
                   payout_instructions.c.district, payout_accounts.c.last4)
            .join(payout_instructions, payout_instructions.c.id == payout_transfers.c.instruction_id)
            .join(payout_accounts, payout_accounts.c.id == payout_transfers.c.account_id)
            .where(payout_transfers.c.transfer_id.in_(ids[start : start + 10_000]))
        )  # fmt: skip
        found.update({row.transfer_id: row for row in connection.execute(query)})
    return found


def _book(connection: Any, transfer: Any, result: BankResult, now: datetime) -> list[OutboxEvent]:
    succeeded = result.status == "succeeded"
    connection.execute(
        update(payout_transfers)
        .where(payout_transfers.c.id == transfer.id)
        .where(payout_transfers.c.state == str(TransferState.FILED))
        .values(
            state=str(TransferState.SUCCEEDED if succeeded else TransferState.FAILED),
            reason=None if succeeded else str(result.reason or FailReason.REJECTED),
            bank_ref=result.bank_ref, resolved_at=now,
        )
    )  # fmt: skip
    target = InstructionState.PAID if succeeded else InstructionState.RETURNED
    values: dict[str, Any] = {"state": str(target), "updated_at": now}
    if not succeeded:
        values["returned_account_id"] = transfer.account_id
    connection.execute(
        update(payout_instructions)
        .where(payout_instructions.c.id == transfer.instruction_id)
        .values(**values)
    )
    if succeeded:
        day = kst_day(now)
        entry = payment_entry(transfer.transfer_id, transfer.case_key, transfer.owner_id, transfer.district,
                              transfer.amount, day)  # fmt: skip
        ledger.post(connection, entry, now)
        return [RefundPaid(transfer.case_key, transfer.owner_id, transfer.district, transfer.transfer_id,
                           transfer.amount, day, transfer.last4, now)]  # fmt: skip
    reason = str(result.reason or FailReason.REJECTED)
    return [
        TransferFailed(
            transfer.case_key, transfer.owner_id, transfer.district, transfer.transfer_id, reason, now
        )
    ]
