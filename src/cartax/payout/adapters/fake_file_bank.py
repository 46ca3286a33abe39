"""The fake bank's file desk: reads a transfer file (``pain.001`` or the CSV layout), executes each
line with :class:`FakeBank` (so ids are unique per day and faults apply) and answers a ``pain.002``
status report or a result CSV. A line whose id it has executed before is answered with that first
result (a file sent twice pays nobody twice); ``withhold`` leaves some results out (a delayed answer).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime

from lxml import etree
from lxml.builder import ElementMaker  # type: ignore[import-not-found]  # lxml-stubs lack the builder

from cartax.payout.adapters.fake_bank import BankTimeoutError, FakeBank
from cartax.payout.adapters.files import CSV_HEADER, REASON_CODES, BankResult
from cartax.payout.model import BankOutcome, FailReason
from cartax.payout.ports import TransferOrder

PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"


def read_orders(data: bytes, day: date) -> tuple[str, list[TransferOrder]]:
    """(message id, orders) of a transfer file."""
    if data.lstrip().startswith(b"<"):
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        message = root.findtext(".//{*}GrpHdr/{*}MsgId") or "unknown"
        orders = [
            TransferOrder(
                tx.findtext("{*}PmtId/{*}EndToEndId") or "", day,
                tx.findtext("{*}CdtrAgt/{*}FinInstnId/{*}ClrSysMmbId/{*}MmbId") or "",
                tx.findtext("{*}CdtrAcct/{*}Id/{*}Othr/{*}Id") or "", tx.findtext("{*}Cdtr/{*}Nm") or "",
                int(tx.findtext("{*}Amt/{*}InstdAmt") or "0"), "", "",
            )
            for tx in root.iter("{*}CdtTrfTxInf")
        ]  # fmt: skip
        return message, orders
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    if tuple(rows[0]) != CSV_HEADER:
        raise ValueError("not a transfer file")
    return "csv", [TransferOrder(r[0], day, r[1], r[2], r[3], int(r[4]), "", r[5]) for r in rows[1:]]


def process(
    bank: FakeBank, data: bytes, day: date, withhold: Iterable[str] = ()
) -> tuple[str, list[BankResult]]:
    """Execute a transfer file; (message id, results) without the withheld ids."""
    message, orders = read_orders(data, day)
    held = set(withhold)
    results = []
    for order in orders:
        try:
            outcome = bank.transfer(order)
        except BankTimeoutError:
            outcome = BankOutcome(BankOutcome.UNKNOWN)
        if outcome.status in (BankOutcome.DUPLICATE, BankOutcome.UNKNOWN):
            outcome = bank.inquire(order.transfer_id, day, order.amount)
        if order.transfer_id in held or outcome.status not in (BankOutcome.SUCCEEDED, BankOutcome.FAILED):
            continue
        status = "succeeded" if outcome.status == BankOutcome.SUCCEEDED else "failed"
        results.append(BankResult(order.transfer_id, status, outcome.reason, order.amount, outcome.bank_ref))
    return message, results


def pain002(message_id: str, results: Iterable[BankResult], at: datetime) -> bytes:
    """A ``pain.002.001.03`` customer payment status report for the results."""
    e = ElementMaker(namespace=PAIN002, nsmap={None: PAIN002})
    items = []
    for r in results:
        parts = [e.OrgnlEndToEndId(r.transfer_id), e.TxSts("ACSC" if r.status == "succeeded" else "RJCT")]
        if r.status == "failed":
            parts.append(e.StsRsnInf(e.Rsn(e.Cd(REASON_CODES.get(r.reason or FailReason.REJECTED, "MS03")))))
        if r.bank_ref:
            parts.append(e.AcctSvcrRef(r.bank_ref))
        if r.amount is not None:
            parts.append(e.OrgnlTxRef(e.Amt(e.InstdAmt(str(r.amount), Ccy="KRW"))))
        items.append(e.TxInfAndSts(*parts))
    document = e.Document(
        e.CstmrPmtStsRpt(
            e.GrpHdr(e.MsgId(f"RPT-{message_id}"[:35]), e.CreDtTm(at.replace(microsecond=0).isoformat())),
            e.OrgnlGrpInfAndSts(e.OrgnlMsgId(message_id), e.OrgnlMsgNmId("pain.001.001.03")),
            e.OrgnlPmtInfAndSts(e.OrgnlPmtInfId(message_id), *items),
        )
    )
    return bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True))
