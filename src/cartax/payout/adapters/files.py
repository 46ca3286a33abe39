"""The bank-file rail: transfer files for the municipality's bank (금고) and its result files.

- :func:`file_batch` claims the payable instructions into a batch and writes their transfers (ids
  fixed, state ``filed``) and commits *before* any file exists; a file is only a rendering of a
  committed batch, so writing it again (after a crash, or for the bank that lost it) yields the same
  transfers under the same ids, and the bank refuses ids it has seen.
- :func:`batch_transfers` reads a committed batch as a stream and :func:`write_batch` renders it: CSV in
  the layout of :data:`CSV_HEADER` and ISO 20022 ``pain.001.001.03`` XML in parts of
  :data:`PART_SIZE` transactions, each validated against the official XSD shipped in ``schemas/``
  (:func:`pain001` and :func:`write_csv` render a small batch held in memory).
- :func:`read_result_frame` reads the bank's answer: ``pain.002`` XML (any version) or the result CSV
  of :data:`RESULT_HEADER`; :func:`apply_results` books each result on its transfer, once.

A million cases are one set of statements, not a million round trips: the claim is an ``INSERT …
SELECT``, results are staged in a temporary table and booked by ``UPDATE … FROM`` and ``INSERT …
SELECT`` (:mod:`cartax.payout.adapters.bulk`).
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
from lxml import etree
from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    DateTime,
    Engine,
    Select,
    String,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from cartax.payout.adapters import bulk
from cartax.payout.adapters.tables import (
    ledger_entries,
    payout_accounts,
    payout_batches,
    payout_current,
    payout_instructions,
    payout_transfers,
)
from cartax.payout.adapters.worker import eligible
from cartax.payout.errors import BankProtocolError, PayoutNotFoundError
from cartax.payout.events import RefundPaid, TransferFailed
from cartax.payout.model import (
    MAX_ATTEMPTS,
    EntryKind,
    FailReason,
    InstructionState,
    LedgerAccount,
    Rail,
    TransferState,
    kst_day,
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


class FiledTransfer(NamedTuple):
    """One line of a bank file (a tuple: a million are made for a large batch)."""

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


PART_SIZE = 100_000
"""Transactions per ``pain.001`` file: a larger batch is written as several files (parts), each a
document of its own (group header with its own message id, count and control sum), each validated."""
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


PARALLEL = 2
"""Transactions that claim a batch, or book a result file, side by side on PostgreSQL (one a core)."""


def file_batch(
    engine: Engine,
    org_code: str,
    clock: Callable[[], datetime],
    limit: int = 1_000_000,
    parallel: int = PARALLEL,
) -> str | None:
    """Claim up to ``limit`` payable instructions into a new batch; its ref, or None if none is payable.

    Set-based: the transfers are written by ``INSERT … SELECT`` (their ids computed by the database
    exactly as :func:`cartax.payout.model.make_transfer_id` does) and the instructions filed by one
    ``UPDATE``, in the same transaction. On PostgreSQL the instructions are taken ``FOR UPDATE SKIP
    LOCKED`` and the work is split by instruction id over ``parallel`` transactions side by side, each
    committing its share of the batch with the batch's count and total; on SQLite one transaction holds
    the write lock from its start. Every transfer is committed before any file is written.
    """
    now = clock()
    day = kst_day(now)
    with engine.begin() as connection:
        last = connection.execute(select(func.max(payout_batches.c.id))).scalar()
        batch_ref = f"{org_code}-{day:%Y%m%d}-{(last or 0) + 1:06d}"
        batch_id = connection.execute(
            insert(payout_batches).returning(payout_batches.c.id),
            {"batch_ref": batch_ref, "day": day, "count": 0, "total": 0, "created_at": now},
        ).scalar_one()
    shares = max(1, parallel) if engine.dialect.name == "postgresql" else 1
    claim = _Claim(engine, org_code, now, day, batch_id, batch_ref)
    try:
        if shares == 1:
            count = claim.share(limit, 1, 0)
        else:
            with ThreadPoolExecutor(max_workers=shares, thread_name_prefix="claim") as pool:
                size = -(-limit // shares)
                count = sum(pool.map(lambda part: claim.share(size, shares, part), range(shares)))
    finally:
        with engine.begin() as connection:  # a batch nothing was claimed into is not kept
            connection.execute(
                delete(payout_batches)
                .where(payout_batches.c.id == batch_id)
                .where(payout_batches.c.count == 0)
            )
    return batch_ref if count else None


@dataclass(frozen=True)
class _Claim:
    engine: Engine
    org_code: str
    now: datetime
    day: date
    batch_id: int
    batch_ref: str

    def share(self, limit: int, shares: int, part: int) -> int:
        """Claim the payable instructions whose id is ``part`` modulo ``shares`` (up to ``limit``) into
        the batch, in one transaction that also adds them to the batch's count and total."""
        with self.engine.begin() as connection:
            try:
                if connection.dialect.name == "postgresql":
                    count, total = self._postgres(connection, limit, shares, part)
                else:
                    count, total = self._sqlite(connection, limit)
            except IntegrityError as error:
                raise ValueError(
                    f"an instruction of batch {self.batch_ref} reached {MAX_ATTEMPTS} attempts or the "
                    "largest transfer number; it needs an officer"
                ) from error
            if count:
                connection.execute(
                    update(payout_batches)
                    .where(payout_batches.c.id == self.batch_id)
                    .values(count=payout_batches.c.count + count, total=payout_batches.c.total + total)
                )
        return int(count)

    def _picked(self, limit: int) -> Select[Any]:
        """The payable instructions with their current account and how many transfers each already had."""
        attempt = (
            select(func.count())
            .select_from(payout_transfers)
            .where(payout_transfers.c.instruction_id == payout_instructions.c.id)
            .scalar_subquery()
        )
        return (
            select(
                payout_instructions.c.id,
                payout_instructions.c.amount,
                payout_accounts.c.id.label("account_id"),
                attempt.label("attempt"),
            )
            .join(payout_current, payout_current.c.owner_id == payout_instructions.c.owner_id)
            .join(payout_accounts, payout_accounts.c.id == payout_current.c.account_id)
            .where(eligible(self.now))
            .order_by(payout_instructions.c.id)
            .limit(limit)
        )

    def _transfers(self, source: Any) -> Any:
        columns = ("transfer_id", "instruction_id", "account_id", "rail", "day", "amount", "state",
                   "batch_id", "created_at")  # fmt: skip
        name = source.name
        rows = select(
            transfer_id_sql(self.org_code, f"{name}.id", f"{name}.attempt").label("transfer_id"),
            source.c.id,
            source.c.account_id,
            literal(str(Rail.FILE)),
            literal(self.day, Date),
            source.c.amount,
            literal(str(TransferState.FILED)),
            literal(self.batch_id, BigInteger),
            literal(self.now, DateTime(timezone=True)),
        ).order_by(source.c.id)
        return insert(payout_transfers).from_select(columns, rows)

    def _postgres(self, connection: Connection, limit: int, shares: int, part: int) -> tuple[int, int]:
        """One statement: lock the share's instructions, file them, write their transfers."""
        bulk.for_bulk(connection)
        picked = (
            self._picked(limit)
            .where(payout_instructions.c.id % shares == part)
            .with_for_update(of=payout_instructions, skip_locked=True)
            .cte("picked")
        )
        filed = (
            update(payout_instructions)
            .where(payout_instructions.c.id == picked.c.id)
            .values(state=str(InstructionState.FILED), updated_at=self.now)
            .returning(picked.c.id, picked.c.amount, picked.c.account_id, picked.c.attempt)
            .cte("filed")
        )
        written = self._transfers(filed).returning(payout_transfers.c.amount).cte("written")
        count, total = connection.execute(
            select(func.count(), func.coalesce(func.sum(written.c.amount), 0))
        ).one()
        return int(count), int(total)

    def _sqlite(self, connection: Connection, limit: int) -> tuple[int, int]:
        """The transfers first, then their instructions filed (the transaction holds the write lock)."""
        connection.execute(self._transfers(self._picked(limit).subquery("picked")))
        mine = payout_transfers.c.batch_id == self.batch_id
        connection.execute(
            update(payout_instructions)
            .where(payout_instructions.c.id.in_(select(payout_transfers.c.instruction_id).where(mine)))
            .values(state=str(InstructionState.FILED), updated_at=self.now)
        )
        count, total = connection.execute(
            select(func.count(), func.coalesce(func.sum(payout_transfers.c.amount), 0)).where(mine)
        ).one()
        return int(count), int(total)


def transfer_id_sql(org_code: str, instruction: str, attempt: str) -> Any:
    """:func:`make_transfer_id` in SQL (both databases): ``org_code``, ``U`` and the 9 base-36 digits of
    ``instruction × MAX_ATTEMPTS + attempt``; NULL (refused by the NOT NULL column) where the Python
    function would raise."""
    if not org_code.isalnum():
        raise ValueError("the institution code is letters and digits")
    number = f"(({instruction}) * {MAX_ATTEMPTS} + ({attempt}))"
    digits = " || ".join(
        f"substr('{_BASE36}', CAST(({number} / {36**k}) % 36 + 1 AS INTEGER), 1)" for k in range(8, -1, -1)
    )
    return literal_column(
        f"CASE WHEN ({attempt}) < {MAX_ATTEMPTS} AND {number} < {36**9} THEN '{org_code}U' || {digits} END",
        String,
    )


@dataclass(frozen=True, slots=True)
class BatchHead:
    """A committed batch: its ref, day, creation, number of transfers and their total."""

    id: int
    batch_ref: str
    day: date
    created_at: datetime
    count: int
    total: int


@dataclass(frozen=True, slots=True)
class Debtor:
    """The paying municipality as written in bank files."""

    name: str
    account: str
    bank: str


def batch_head(engine: Engine, batch_ref: str) -> BatchHead:
    with engine.connect() as connection:
        head = connection.execute(
            select(payout_batches).where(payout_batches.c.batch_ref == batch_ref)
        ).first()
    if head is None:
        raise PayoutNotFoundError("batch_not_found", batch=batch_ref)
    row = head._mapping  # ``count`` is also a method of a row
    return BatchHead(row["id"], row["batch_ref"], row["day"], row["created_at"], row["count"], row["total"])


def batch_transfers(
    engine: Engine,
    head: BatchHead,
    open_number: Callable[[str, str], str],
    holder_names: Callable[[Sequence[str]], Mapping[str, str]],
    size: int = PART_SIZE,
) -> Iterator[tuple[FiledTransfer, ...]]:
    """The batch's transfers in their order, ``size`` at a time, accounts decrypted
    (``open_number(token, owner_id)``) and holders named (``holder_names(owner_ids)``, one call per
    chunk). One query, read as a stream."""
    query = (
        select(payout_transfers.c.transfer_id, payout_transfers.c.amount, payout_accounts.c.bank_code,
               payout_accounts.c.number_encrypted, payout_accounts.c.owner_id)
        .join(payout_accounts, payout_accounts.c.id == payout_transfers.c.account_id)
        .where(payout_transfers.c.batch_id == head.id)
        .order_by(payout_transfers.c.id)
    )  # fmt: skip
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=size).execute(query)
        for rows in result.partitions(size):
            names = holder_names(list({row.owner_id for row in rows}))
            yield tuple(
                FiledTransfer(
                    transfer_id, bank_code, open_number(token, owner_id), names.get(owner_id, ""), amount
                )
                for transfer_id, amount, bank_code, token, owner_id in rows
            )


def load_batch(
    engine: Engine,
    batch_ref: str,
    open_number: Callable[[str, str], str],
    holder_name: Callable[[str], str],
) -> Batch:
    """A committed batch with its transfers' accounts decrypted, whole in memory (for small batches;
    :func:`write_batch` renders a large one as a stream)."""
    head = batch_head(engine, batch_ref)

    def names(owners: Sequence[str]) -> dict[str, str]:
        return {owner: holder_name(owner) for owner in owners}

    transfers = tuple(t for chunk in batch_transfers(engine, head, open_number, names) for t in chunk)
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
    """The batch as one ``pain.001.001.03`` document (one payment information block, KRW amounts),
    validated against the XSD."""
    created = batch.created_at.replace(microsecond=0).isoformat()
    debtor = Debtor(debtor_name, debtor_account, debtor_bank)
    data = _pain001_document(batch.batch_ref, created, batch.day, batch.transfers, debtor)
    validate_pain001_bytes(data, batch.batch_ref)
    return data


def write_batch(
    head: BatchHead,
    chunks: Iterable[Sequence[FiledTransfer]],
    out: Path,
    formats: Sequence[str],
    debtor: Debtor,
    part_size: int = PART_SIZE,
) -> list[Path]:
    """Write a committed batch's files from its transfers in order (as :func:`batch_transfers` yields
    them): ``<ref>.csv`` and the ``pain.001`` document ``<ref>.xml`` or, for more than ``part_size``
    transfers, ``<ref>-01.xml``, ``<ref>-02.xml`` …, each a document of at most ``part_size``
    transactions with its own message id (``<ref>-01``), count and control sum.

    Each document is parsed back and validated against the XSD in another thread while the next one is
    made. The files take their names only once every one is valid; a refused one leaves none behind.
    """
    out.mkdir(parents=True, exist_ok=True)
    parts = max(1, -(-head.count // part_size))
    width = max(2, len(str(parts)))
    created = head.created_at.replace(microsecond=0).isoformat()
    written: list[Path] = []
    try:
        with ExitStack() as stack:
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=2, thread_name_prefix="pain001"))
            writer = None
            if "csv" in formats:
                written.append(out / f"{head.batch_ref}.csv")
                handle = stack.enter_context(_temporary(written[-1]).open("w", encoding="utf-8", newline=""))
                writer = csv.writer(handle)
                writer.writerow(CSV_HEADER)
            pending: list[Future[None]] = []
            for number, transfers in enumerate(_parts(chunks, part_size), start=1):
                if writer is not None:
                    writer.writerows((*t, MEMO) for t in transfers)
                if "pain001" in formats:
                    name = head.batch_ref if parts == 1 else f"{head.batch_ref}-{number:0{width}d}"
                    data = _pain001_document(name, created, head.day, transfers, debtor)
                    written.append(out / f"{name}.xml")
                    while len(pending) >= 2:  # at most two documents waiting besides the one being made
                        pending.pop(0).result()
                    pending.append(pool.submit(_validate_and_write, data, name, _temporary(written[-1])))
            for future in pending:
                future.result()
    except BaseException:
        for path in written:
            _temporary(path).unlink(missing_ok=True)
        raise
    for path in written:
        _temporary(path).replace(path)
    return written


def _parts(chunks: Iterable[Sequence[FiledTransfer]], size: int) -> Iterator[list[FiledTransfer]]:
    buffered: list[FiledTransfer] = []
    for chunk in chunks:
        buffered.extend(chunk)
        while len(buffered) >= size:
            yield buffered[:size]
            buffered = buffered[size:]
    if buffered:
        yield buffered


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _validate_and_write(data: bytes, name: str, path: Path) -> None:
    validate_pain001_bytes(data, name)
    path.write_bytes(data)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pain001_document(
    message_id: str, created: str, day: date, transfers: Sequence[FiledTransfer], debtor: Debtor
) -> bytes:
    """One ``pain.001.001.03`` document, written as text (one transaction a line); valid only once
    :func:`validate_pain001_bytes` said so."""
    count, total = len(transfers), sum(t.amount for t in transfers)
    where = f"<MmbId>{_text(debtor.bank)}</MmbId>"
    lines = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{PAIN001}">\n<CstmrCdtTrfInitn>\n'
        f"<GrpHdr><MsgId>{_text(message_id)}</MsgId><CreDtTm>{created}</CreDtTm><NbOfTxs>{count}</NbOfTxs>"
        f"<CtrlSum>{total}</CtrlSum><InitgPty><Nm>{_text(debtor.name)}</Nm></InitgPty></GrpHdr>\n"
        f"<PmtInf><PmtInfId>{_text(message_id)}</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>{count}</NbOfTxs>"
        f"<CtrlSum>{total}</CtrlSum><ReqdExctnDt>{day.isoformat()}</ReqdExctnDt>"
        f"<Dbtr><Nm>{_text(debtor.name)}</Nm></Dbtr><DbtrAcct><Id><Othr><Id>{_text(debtor.account)}</Id>"
        f"</Othr></Id></DbtrAcct><DbtrAgt><FinInstnId><ClrSysMmbId>{where}</ClrSysMmbId></FinInstnId>"
        "</DbtrAgt>\n"
    ]
    lines.extend(
        f"<CdtTrfTxInf><PmtId><EndToEndId>{_text(t.transfer_id)}</EndToEndId></PmtId>"
        f'<Amt><InstdAmt Ccy="KRW">{t.amount}</InstdAmt></Amt><CdtrAgt><FinInstnId><ClrSysMmbId>'
        f"<MmbId>{_text(t.bank_code)}</MmbId></ClrSysMmbId></FinInstnId></CdtrAgt>"
        f"<Cdtr><Nm>{_text(t.holder[:140])}</Nm></Cdtr><CdtrAcct><Id><Othr><Id>{_text(t.account)}</Id>"
        f"</Othr></Id></CdtrAcct><RmtInf><Ustrd>{MEMO}</Ustrd></RmtInf></CdtTrfTxInf>\n"
        for t in transfers
    )
    lines.append("</PmtInf>\n</CstmrCdtTrfInitn>\n</Document>\n")
    return "".join(lines).encode()


_SCHEMA_LOCK = threading.Lock()
_SCHEMAS = threading.local()


def schema() -> etree.XMLSchema:
    """The official ISO 20022 ``pain.001.001.03`` schema, shipped in the package: one validator per
    thread (a validator keeps the last document's errors on itself), each parsed while holding a lock —
    libxml2's schema parser is not safe in two threads at once, and the bank files are validated by two
    threads side by side (two first parses at the same moment failed with "not valid XML Schema")."""
    checker: etree.XMLSchema | None = getattr(_SCHEMAS, "checker", None)
    if checker is None:
        source = resources.files("cartax.payout.adapters") / "schemas" / "pain.001.001.03.xsd"
        with _SCHEMA_LOCK:
            checker = etree.XMLSchema(etree.fromstring(source.read_bytes()))
        _SCHEMAS.checker = checker
    return checker


def validate_pain001(document: Any) -> None:
    """Refuse a document that breaks the XSD, saying where (no values: they hold account numbers)."""
    checker = schema()
    if not checker.validate(document):
        log: Any = checker.error_log  # lxml's stubs do not type the log as a sequence
        first = log[0]
        raise BankProtocolError("bad_bank_file", where=f"pain.001 line {first.line}", problem=first.type_name)


def validate_pain001_bytes(data: bytes, name: str) -> None:
    """Parse a written document back and validate it (lxml releases the interpreter's lock for both,
    so documents validate in parallel). A document that is not even XML is refused with its line."""
    parser = etree.XMLParser(huge_tree=True, collect_ids=False, resolve_entities=False, no_network=True)
    try:
        document = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        where = f"pain.001 {name} line {error.lineno}"
        raise BankProtocolError("bad_bank_file", where=where, problem="not well-formed XML") from None
    validate_pain001(document)


# -- results ----------------------------------------------------------------------------------


def read_results(path: Path) -> list[BankResult]:
    """The bank's result file: ``pain.002`` XML or the result CSV, told apart by content."""
    return results_of(read_result_frame(path))


def read_result_frame(path: Path) -> pl.DataFrame:
    """The bank's result file as columns (:data:`RESULT_COLUMNS`), one row a result in file order."""
    return read_result_file(path)[0]


def read_result_file(path: Path) -> tuple[pl.DataFrame, str]:
    """The bank's result file, read once: its results as :func:`read_result_frame` gives them, and its
    kind (``pain.002`` or ``csv``), the source the results are kept under."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"<"):
        return result_frame(_pain002(data, path.name)), "pain.002"
    return _result_csv_frame(data.removeprefix(b"\xef\xbb\xbf"), path.name), "csv"


RESULT_COLUMNS: dict[str, pl.DataType] = {
    "transfer_id": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "amount": pl.Int64(),
    "bank_ref": pl.String(),
}
_REASONS = [str(reason) for reason in FailReason]


def result_frame(results: Iterable[BankResult]) -> pl.DataFrame:
    rows = [(r.transfer_id, r.status, r.reason and str(r.reason), r.amount, r.bank_ref) for r in results]
    return pl.DataFrame(rows, schema=RESULT_COLUMNS, orient="row")


def results_of(frame: pl.DataFrame) -> list[BankResult]:
    return [
        BankResult(transfer_id, status, FailReason(reason) if reason else None, amount, bank_ref)
        for transfer_id, status, reason, amount, bank_ref in frame.select(list(RESULT_COLUMNS)).iter_rows()
    ]


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
        if (
            len(row) != len(RESULT_HEADER) or row[1] not in RESULT_STATUS or not 0 < len(row[0]) <= 20
            or len(row[4]) > 64
        ):  # fmt: skip
            raise BankProtocolError("bad_bank_file", where=f"{name} line {number}", problem="malformed row")
        reason = FailReason(row[2]) if row[2] in FailReason.__members__.values() else None
        status = RESULT_STATUS[row[1]]
        if status == "failed" and reason is None:
            reason = FailReason.REJECTED
        amount = int(row[3]) if row[3].isdigit() and len(row[3]) <= 18 else None
        yield BankResult(row[0], status, reason, amount, row[4] or None)


def _result_csv_frame(data: bytes, name: str) -> pl.DataFrame:
    """The result CSV read by Polars when every line is plain (five fields; no quotes but empty quoted
    fields, ``""``); a file with anything else is read line by line, which says where it breaks the
    format."""
    lines = data.splitlines()
    commas = len(RESULT_HEADER) - 1
    bare = (line.replace(b'""', b"") for line in lines)
    plain = bool(lines) and all(line.count(b",") == commas and b'"' not in line for line in bare)
    if not plain or tuple(lines[0].decode("utf-8", "replace").split(",")) != RESULT_HEADER:
        return result_frame(_result_csv(data.decode("utf-8"), name))
    raw = pl.read_csv(io.BytesIO(data), infer_schema=False)
    raw = raw.with_columns(pl.when(pl.all() != "").then(pl.all()).name.keep())  # "" and nothing alike
    status = pl.col("status").replace_strict(RESULT_STATUS, default=None)
    bad = raw.with_row_index("line", offset=2).filter(
        pl.col("transfer_id").is_null() | status.is_null() | (pl.col("transfer_id").str.len_chars() > 20)
        | (pl.col("bank_ref").str.len_chars() > 64)
    )  # fmt: skip
    if bad.height:
        raise BankProtocolError(
            "bad_bank_file", where=f"{name} line {bad['line'][0]}", problem="malformed row"
        )
    reason = pl.when(pl.col("reason").is_in(_REASONS)).then(pl.col("reason"))
    return raw.select(
        "transfer_id",
        status.alias("status"),
        pl.when(status == "failed")
        .then(reason.fill_null(str(FailReason.REJECTED)))
        .otherwise(reason)
        .alias("reason"),
        pl.when(pl.col("amount").str.contains(r"^[0-9]{1,18}$"))
        .then(pl.col("amount").cast(pl.Int64))
        .alias("amount"),
        "bank_ref",
    )


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
    engine: Engine,
    results: pl.DataFrame | Iterable[BankResult],
    clock: Callable[[], datetime],
    source: str,
    parallel: int | None = None,
) -> dict[str, int]:
    """Book the bank's results on their filed transfers, once.

    Every result is kept (``payout_results``). The first result on a transfer still ``filed`` books it:
    the transfer succeeded or failed, the instruction paid or returned, a payment entry in the ledger and
    ``RefundPaid`` (or ``TransferFailed``) in the outbox. A result on a transfer already final, on an id
    we never sent, or a second result on the same id in the file changes nothing else (``ignored``).

    Set-based: the results are staged into a temporary table and booked by a few ``INSERT … SELECT``
    and ``UPDATE … FROM`` statements. On PostgreSQL the file is split by transfer id into ``parallel``
    shares (by default two for a file of more than 10,000 results) booked side by side, each in its own
    transaction (a share's transfers are booked by the ``UPDATE`` that also locks them, so two files
    answering the same transfer book it once); reading a file again books what an interrupted reading
    left, and ignores the rest. On SQLite the whole file is one transaction.
    """
    frame = results if isinstance(results, pl.DataFrame) else result_frame(results)
    now = clock()
    day = kst_day(now)
    staged = (
        frame.select(list(RESULT_COLUMNS))
        .with_row_index("seq")
        .with_columns(pl.col("seq").cast(pl.Int64), pl.col("transfer_id").is_first_distinct().alias("leads"))
    )
    if parallel is None:
        parallel = PARALLEL if staged.height > 10_000 else 1
    shares = max(1, parallel) if engine.dialect.name == "postgresql" else 1
    if shares == 1:
        counts = [_apply_share(engine, staged, source, now, day)]
    else:
        parts = staged.with_columns(
            (pl.col("transfer_id").hash(seed=2026) % shares).alias("share")
        ).partition_by("share", include_key=False, maintain_order=True)
        with ThreadPoolExecutor(max_workers=shares, thread_name_prefix="results") as pool:
            counts = list(pool.map(lambda part: _apply_share(engine, part, source, now, day), parts))
    booked = {status: sum(count[status] for count in counts) for status in ("succeeded", "failed")}
    return {**booked, "ignored": staged.height - booked["succeeded"] - booked["failed"]}


def _apply_share(
    engine: Engine, staged: pl.DataFrame, source: str, now: datetime, day: date
) -> dict[str, int]:
    with engine.begin() as connection:
        bulk.for_bulk(connection)
        bulk.create_temporary(connection, "payout_staged", _STAGED)
        bulk.create_temporary(connection, "payout_booked", _BOOKED)
        try:
            bulk.fill(connection, "payout_staged", staged)
            bulk.analyze(connection, "payout_staged")
            return _book_staged(connection, source, now, day)
        finally:
            bulk.drop_temporary(connection, "payout_staged", "payout_booked")


_STAGED = {
    "seq": "BIGINT",
    "transfer_id": "VARCHAR(20)",
    "status": "VARCHAR(10)",
    "reason": "VARCHAR(24)",
    "amount": "BIGINT",
    "bank_ref": "VARCHAR(64)",
    "leads": "BOOLEAN",  # the file's first result on its transfer id
}
_BOOKED = {
    "seq": "BIGINT",
    "id": "BIGINT",
    "transfer_id": "VARCHAR(20)",
    "instruction_id": "BIGINT",
    "account_id": "BIGINT",
    "amount": "BIGINT",
    "status": "VARCHAR(10)",
    "reason": "VARCHAR(24)",
    "bank_ref": "VARCHAR(64)",
    "case_key": "VARCHAR(64)",
    "owner_id": "VARCHAR(64)",
    "district": "VARCHAR(5)",
    "last4": "VARCHAR(4)",
}


def _book_staged(connection: Connection, source: str, now: datetime, day: date) -> dict[str, int]:
    moments = {"now": now, "day": day}
    codes = {"filed": str(TransferState.FILED), "rejected": str(FailReason.REJECTED), **moments}
    instructions = {"paid": str(InstructionState.PAID), "returned": str(InstructionState.RETURNED), **moments}
    postgres = bulk.is_postgres(connection)
    if postgres:
        # The first result on each transfer still filed books it: the UPDATE locks the transfer and
        # re-reads a row a concurrent booking changed meanwhile, leaving it out. Its instruction is
        # paid or returned by the same statement, which reads the instruction's case from the row it
        # updates.
        connection.execute(bulk.statement(_BOOKED_POSTGRES), {**codes, **instructions})
    else:  # the transaction holds the database's write lock
        connection.execute(bulk.statement(_BOOKED_SQL), codes)
        connection.execute(bulk.statement(_PAID_SQL))
        connection.execute(
            bulk.statement(
                "UPDATE payout_transfers SET state = b.status, reason = b.reason, bank_ref = b.bank_ref, "
                "resolved_at = :now FROM payout_booked b WHERE payout_transfers.id = b.id"
            ),
            moments,
        )
    connection.execute(
        bulk.statement(
            "INSERT INTO payout_results (transfer_id, source, status, reason, amount, bank_ref, day, "
            "received_at) SELECT s.transfer_id, :source, s.status, s.reason, s.amount, s.bank_ref, "
            "COALESCE(t.day, :day), :now FROM payout_staged s "
            "LEFT JOIN payout_transfers t ON t.transfer_id = s.transfer_id ORDER BY s.seq"
        ),
        {"source": source, **moments},
    )
    if not postgres:
        connection.execute(bulk.statement(_INSTRUCTIONS_SQL), instructions)
    _post_payments(connection, now, day)
    _raise_events(connection, now, day)
    counts = {"succeeded": 0, "failed": 0}
    for status, count in connection.execute(
        bulk.statement("SELECT status, count(*) FROM payout_booked GROUP BY status")
    ):
        counts[status] = count
    return counts


_BOOKED_POSTGRES = (
    "WITH first AS (SELECT * FROM payout_staged WHERE leads), "
    "booked AS (UPDATE payout_transfers t SET state = first.status, "
    "reason = CASE WHEN first.status = 'succeeded' THEN NULL ELSE COALESCE(first.reason, :rejected) END, "
    "bank_ref = first.bank_ref, resolved_at = :now FROM first "
    "WHERE t.transfer_id = first.transfer_id AND t.state = :filed RETURNING first.seq, t.id, t.transfer_id, "
    "t.instruction_id, t.account_id, t.amount, t.state, t.reason, t.bank_ref), "
    "paid AS (INSERT INTO payout_paid (instruction_id, transfer_id) SELECT instruction_id, transfer_id "
    "FROM booked WHERE state = 'succeeded' ORDER BY instruction_id), "
    "instructed AS (UPDATE payout_instructions i SET state = CASE WHEN b.state = 'succeeded' THEN :paid "
    "ELSE :returned END, returned_account_id = CASE WHEN b.state = 'succeeded' THEN i.returned_account_id "
    "ELSE b.account_id END, updated_at = :now FROM booked b WHERE i.id = b.instruction_id "
    "RETURNING i.id, i.case_key, i.owner_id, i.district) "
    "INSERT INTO payout_booked SELECT b.*, x.case_key, x.owner_id, x.district, a.last4 FROM booked b "
    "JOIN instructed x ON x.id = b.instruction_id JOIN payout_accounts a ON a.id = b.account_id "
    "ORDER BY b.seq"
)
_BOOKED_SQL = (
    "INSERT INTO payout_booked SELECT s.seq, t.id, t.transfer_id, t.instruction_id, t.account_id, "
    "t.amount, s.status, CASE WHEN s.status = 'succeeded' THEN NULL ELSE COALESCE(s.reason, :rejected) END, "
    "s.bank_ref, i.case_key, i.owner_id, i.district, a.last4 FROM payout_staged s "
    "JOIN payout_transfers t ON t.transfer_id = s.transfer_id "
    "JOIN payout_instructions i ON i.id = t.instruction_id "
    "JOIN payout_accounts a ON a.id = t.account_id "
    "WHERE s.leads AND t.state = :filed ORDER BY s.seq"
)


# Each booked transfer's instruction paid or returned (SQLite; on PostgreSQL part of _BOOKED_POSTGRES).
_INSTRUCTIONS_SQL = (
    "UPDATE payout_instructions SET state = CASE WHEN b.status = 'succeeded' THEN :paid "
    "ELSE :returned END, returned_account_id = CASE WHEN b.status = 'succeeded' "
    "THEN payout_instructions.returned_account_id ELSE b.account_id END, updated_at = :now "
    "FROM payout_booked b WHERE payout_instructions.id = b.instruction_id"
)

# Each success's payout_paid row, before its transfer says succeeded (a trigger checks; the row's key
# refuses a second success on the instruction). On PostgreSQL it is part of _BOOKED_POSTGRES.
_PAID_SQL = (
    "INSERT INTO payout_paid (instruction_id, transfer_id) SELECT instruction_id, transfer_id "
    "FROM payout_booked WHERE status = 'succeeded' ORDER BY instruction_id"
)


def _post_payments(connection: Connection, now: datetime, day: date) -> None:
    """The payment entries of the transfers booked as paid, and their two lines each (lines that
    balance by construction: the amount on the payable, its opposite on the bank).

    The lines find their entry without a look-up by key: on PostgreSQL the entries' ``INSERT … RETURNING``
    feeds the lines' ``INSERT`` in the same statement; on SQLite (whose transaction holds the write lock)
    the entries written after the largest id before them are read back in order and joined with the
    booked transfers by transfer id."""
    values = {"kind": str(EntryKind.PAYMENT), "now": now, "day": day,
              "payable": str(LedgerAccount.REFUNDS_PAYABLE), "bank": str(LedgerAccount.BANK)}  # fmt: skip
    if bulk.is_postgres(connection):
        connection.execute(bulk.statement(_PAYMENTS_POSTGRES), values)
        return
    before = connection.execute(select(func.coalesce(func.max(ledger_entries.c.id), 0))).scalar_one()
    connection.execute(bulk.statement(_PAYMENT_ENTRIES), values)
    connection.execute(bulk.statement(_PAYMENT_LINES_SQL), {**values, "before": before})


_PAYMENT_ENTRIES = (
    "INSERT INTO ledger_entries (entry_key, kind, case_key, owner_id, district, day, transfer_id, "
    "posted_at) SELECT 'payment:' || b.transfer_id, :kind, b.case_key, b.owner_id, b.district, "
    ":day, b.transfer_id, :now FROM payout_booked b WHERE b.status = 'succeeded' AND NOT EXISTS "
    "(SELECT 1 FROM ledger_entries e WHERE e.entry_key = 'payment:' || b.transfer_id) ORDER BY b.seq"
)
_PAYMENTS_POSTGRES = (
    "WITH e AS (INSERT INTO ledger_entries (entry_key, kind, case_key, owner_id, district, day, transfer_id, "
    "posted_at) SELECT 'payment:' || b.transfer_id, :kind, b.case_key, b.owner_id, b.district, "
    ":day, b.transfer_id, :now FROM payout_booked b WHERE b.status = 'succeeded' ORDER BY b.seq "
    "ON CONFLICT (entry_key) DO NOTHING RETURNING id, transfer_id) "
    "INSERT INTO ledger_lines (entry_id, account, amount) SELECT e.id, x.account, x.sign * b.amount "
    "FROM e JOIN payout_booked b ON b.transfer_id = e.transfer_id "
    "CROSS JOIN (SELECT :payable AS account, 1 AS sign, 0 AS place UNION ALL SELECT :bank, -1, 1) x "
    "ORDER BY e.id, x.place"
)
_PAYMENT_LINES_SQL = (
    "INSERT INTO ledger_lines (entry_id, account, amount) SELECT e.id, x.account, x.sign * b.amount "
    "FROM ledger_entries e CROSS JOIN payout_booked b "  # SQLite: the new entries lead, in id order
    "CROSS JOIN (SELECT :payable AS account, 1 AS sign, 0 AS place UNION ALL SELECT :bank, -1, 1) x "
    "WHERE e.id > :before AND b.transfer_id = e.transfer_id ORDER BY e.id, x.place"
)


def _raise_events(connection: Connection, now: datetime, day: date) -> None:
    """``RefundPaid`` for each transfer booked as paid and ``TransferFailed`` for each refused, in the
    order of the file, their payloads as the events' own :meth:`payload` writes them."""
    at, paid_on = bulk.text_parameter(connection, "at"), bulk.text_parameter(connection, "paid_on")
    who = [("case_key", "b.case_key"), ("owner_id", "b.owner_id"), ("district", "b.district"),
           ("transfer_id", "b.transfer_id")]  # fmt: skip
    paid = bulk.json_object(
        connection, [*who, ("amount", "b.amount"), ("paid_on", paid_on), ("last4", "b.last4"), ("at", at)]
    )
    failed = bulk.json_object(connection, [*who, ("reason", "b.reason"), ("at", at)])
    statement = (
        "INSERT INTO outbox (event_id, type, payload, occurred_at) "  # noqa: S608  # nosec B608 - SQL of our own
        f"SELECT {bulk.ordered_uuid(connection, 'b.seq')}, "
        f"CASE WHEN b.status = 'succeeded' THEN :paid ELSE :failed END, "
        f"CASE WHEN b.status = 'succeeded' THEN {paid} ELSE {failed} END, :now "
        "FROM payout_booked b ORDER BY b.seq"
    )
    connection.execute(
        bulk.statement(statement),
        {"now": now, "at": now.isoformat(), "paid_on": day.isoformat(), "paid": RefundPaid.TYPE,
         "failed": TransferFailed.TYPE},
    )  # fmt: skip
