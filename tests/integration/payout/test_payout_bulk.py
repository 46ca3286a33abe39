"""The bank-file rail at scale, on SQLite and PostgreSQL: transfer ids made by the database as the model
makes them, a batch claimed in shares, its pain.001 written in parts each valid with its own count and
sum, a result file booked in shares (the first result on a transfer books it, once), and a result file
read by columns as it is read line by line."""

from __future__ import annotations

import uuid
from pathlib import Path

import polars as pl
import pytest
from lxml import etree
from sqlalchemy import Engine, select

from cartax.cases import Actor
from cartax.infra.outbox import list_events
from cartax.payout import BankProtocolError
from cartax.payout.adapters import files
from cartax.payout.adapters.fake_file_bank import process
from cartax.payout.adapters.files import (
    BankResult,
    Debtor,
    apply_results,
    batch_head,
    batch_transfers,
    file_batch,
    load_batch,
    read_result_frame,
    read_results,
    result_csv,
    result_frame,
    schema,
    transfer_id_sql,
    write_batch,
)
from cartax.payout.adapters.ledger import balanced, ledger_total
from cartax.payout.model import MAX_ATTEMPTS, FailReason, kst_day, make_transfer_id
from payout_factories import Clock, People, make_bank, make_decided, make_payouts

ORG = "M202600001"
DEBTOR = Debtor("서울특별시 강남구", "1005001234567", "020")
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def setup(engine: Engine, people: int = 7):  # type: ignore[no-untyped-def]
    clock, directory, bank = Clock(), People(), make_bank()
    payouts = make_payouts(engine, clock=clock, bank=bank, people=directory, cooling_off_hours=0)
    for n in range(people):
        owner, number = f"o{n}", f"1102345678{n:02d}"
        directory.add(owner, f"시민{n}")
        bank.open_account("088", number, f"시민{n}")
        payouts.service.register_account(owner, "088", number, Actor.citizen(owner))
        payouts.service.decide(
            make_decided(case_key=f"case{n}", owner_id=owner, refund=10_000 * (n + 1)), clock()
        )
    return payouts, bank, clock


@pytest.mark.parametrize(
    ("instruction", "attempt"),
    [(1, 0), (1, 1), (35, 63), (4_000_000, 5), (1_586_874_322_943, 63)],
)
def test_the_database_makes_the_transfer_id_the_model_makes(
    db_engine: Engine, instruction: int, attempt: int
) -> None:
    with db_engine.connect() as connection:
        made = connection.execute(select(transfer_id_sql(ORG, str(instruction), str(attempt)))).scalar()
    assert made == make_transfer_id(ORG, instruction, attempt)


@pytest.mark.parametrize(("instruction", "attempt"), [(1, MAX_ATTEMPTS), (36**9 // MAX_ATTEMPTS, 0)])
def test_where_the_model_refuses_a_transfer_id_the_database_makes_none(
    db_engine: Engine, instruction: int, attempt: int
) -> None:
    with pytest.raises(ValueError, match=r"attempt|too large"):
        make_transfer_id(ORG, instruction, attempt)
    with db_engine.connect() as connection:
        assert (
            connection.execute(select(transfer_id_sql(ORG, str(instruction), str(attempt)))).scalar() is None
        )


def test_a_batch_claimed_in_shares_is_written_in_parts_each_valid_with_its_own_count_and_sum(
    db_engine: Engine, tmp_path: Path
) -> None:
    payouts, _, clock = setup(db_engine)
    ref = file_batch(db_engine, ORG, clock, parallel=3)
    assert ref is not None
    assert file_batch(db_engine, ORG, clock, parallel=3) is None  # nothing is claimed twice
    head = batch_head(db_engine, ref)
    assert (head.count, head.total) == (7, sum(10_000 * (n + 1) + 930 for n in range(7)))
    batch = load_batch(db_engine, ref, payouts.service.open_number, payouts.worker.holder_name)
    assert len({t.transfer_id for t in batch.transfers}) == 7

    chunks = batch_transfers(db_engine, head, payouts.service.open_number, payouts.holder_names, size=2)
    written = write_batch(head, chunks, tmp_path / "out", ("csv", "pain001"), DEBTOR, part_size=3)
    assert [path.name for path in written] == [
        f"{ref}.csv",
        f"{ref}-01.xml",
        f"{ref}-02.xml",
        f"{ref}-03.xml",
    ]
    assert not list((tmp_path / "out").glob(".*"))  # no partial file left
    ids, total = [], 0
    for path in written[1:]:
        document = etree.parse(str(path))
        assert schema().validate(document)
        amounts = [int(a) for a in document.xpath("//p:CdtTrfTxInf/p:Amt/p:InstdAmt/text()", namespaces=NS)]
        assert document.xpath("string(//p:GrpHdr/p:MsgId)", namespaces=NS) == path.stem
        assert int(document.xpath("string(//p:GrpHdr/p:NbOfTxs)", namespaces=NS)) == len(amounts) <= 3
        assert int(document.xpath("string(//p:GrpHdr/p:CtrlSum)", namespaces=NS)) == sum(amounts)
        assert int(document.xpath("string(//p:PmtInf/p:CtrlSum)", namespaces=NS)) == sum(amounts)
        ids += document.xpath("//p:EndToEndId/text()", namespaces=NS)
        total += sum(amounts)
    assert ids == [t.transfer_id for t in batch.transfers]
    assert total == head.total
    rows = pl.read_csv(written[0], infer_schema=False)
    assert rows["transfer_id"].to_list() == ids
    assert rows["holder"].to_list() == [t.holder for t in batch.transfers]

    # Written again, the batch's files hold the same transfers under the same ids.
    again = payouts.render_batch(ref, tmp_path / "again", ("pain001",))
    assert etree.parse(str(again[0])).xpath("//p:EndToEndId/text()", namespaces=NS) == ids


def test_a_document_the_schema_refuses_leaves_no_file_behind(db_engine: Engine, tmp_path: Path) -> None:
    payouts, _, clock = setup(db_engine, people=2)
    ref = file_batch(db_engine, ORG, clock)
    assert ref is not None
    head = batch_head(db_engine, ref)

    def names(owner_ids: list[str]) -> dict[str, str]:
        return dict.fromkeys(owner_ids, "")  # an empty creditor name breaks the XSD (Max140Text)

    chunks = batch_transfers(db_engine, head, payouts.service.open_number, names)  # type: ignore[arg-type]
    with pytest.raises(BankProtocolError, match=r"pain\.001"):
        write_batch(head, chunks, tmp_path / "out", ("csv", "pain001"), DEBTOR)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("split", [False, True], ids=["one_reconciliation", "reconciled_in_shares"])
def test_a_result_file_booked_in_shares_books_each_transfer_once(
    db_engine: Engine, tmp_path: Path, split: bool
) -> None:
    payouts, bank, clock = setup(db_engine)
    if split:  # on PostgreSQL, the day reconciled in two shares side by side however small it is
        payouts.service.reconcile_split_above = 0
    bank.close_account("088", "110234567801")
    ref = file_batch(db_engine, ORG, clock)
    assert ref is not None
    batch = load_batch(db_engine, ref, payouts.service.open_number, payouts.worker.holder_name)
    written = payouts.render_batch(ref, tmp_path / "out", ("csv",))
    _, results = process(bank, written[0].read_bytes(), batch.day)
    first = next(r for r in results if r.status == "succeeded")
    again = BankResult(first.transfer_id, "failed", FailReason.REJECTED, first.amount, None)  # a later line
    forged = BankResult(f"{ORG}U999999999", "succeeded", None, 5_000, "X1")
    answer = tmp_path / "result.csv"
    answer.write_text(result_csv([*results, again, forged]), encoding="utf-8")

    counts = apply_results(db_engine, read_result_frame(answer), clock, "csv", parallel=3)
    assert counts == {"succeeded": 6, "failed": 1, "ignored": 2}
    assert apply_results(db_engine, read_result_frame(answer), clock, "csv", parallel=3) == {
        "succeeded": 0, "failed": 0, "ignored": 9,
    }  # fmt: skip
    states = {f"case{n}": payouts.service.payment(f"case{n}").state for n in range(7)}  # type: ignore[union-attr]
    assert states == {**{f"case{n}": "paid" for n in range(7)}, "case1": "returned"}
    paid = list_events(db_engine, event_type="RefundPaid")
    assert sorted(e.payload["case_key"] for e in paid) == [f"case{n}" for n in range(7) if n != 1]
    assert {e.payload["paid_on"] for e in paid} == {kst_day(clock()).isoformat()}
    # Event ids made by the database: version 7 UUIDs, in the order of the file within a share.
    assert {uuid.UUID(e.event_id).version for e in paid} == {7}
    assert len({e.event_id for e in paid}) == len(paid)
    [refused] = list_events(db_engine, event_type="TransferFailed")
    assert (refused.payload["case_key"], refused.payload["reason"]) == ("case1", "account_closed")
    with db_engine.connect() as connection:
        assert ledger_total(connection) == 0
        assert balanced(connection)
    # The bank's last word on the first transfer contradicts the result that booked it: flagged.
    report = payouts.service.reconcile(kst_day(clock()))
    assert {line.transfer_id: line.status for line in report.flagged} == {
        first.transfer_id: "status_mismatch", forged.transfer_id: "unknown_to_us",
    }  # fmt: skip
    assert report.matched == 6
    assert [line.transfer_id for line in report.flagged] == sorted(
        line.transfer_id for line in report.flagged
    )
    reconciled = list_events(db_engine, event_type="PaymentReconciled")
    assert len(reconciled) == len({e.event_id for e in reconciled}) == 5
    assert sorted(e.payload["transfer_id"] for e in reconciled) == sorted(
        r.transfer_id for r in results if r.status == "succeeded" and r.transfer_id != first.transfer_id
    )
    if not split:  # one statement: ids in the order of the events (within each share otherwise)
        assert [e.event_id for e in reconciled] == sorted(e.event_id for e in reconciled)
    assert {uuid.UUID(e.event_id).version for e in reconciled} == {7}
    payouts.service.reconcile(kst_day(clock()))
    assert len(list_events(db_engine, event_type="PaymentReconciled")) == 5  # reconciled once


def test_a_result_csv_reads_the_same_by_columns_and_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = [
        BankResult("M202600001U000000001", "succeeded", None, 10_930, "B1"),
        BankResult("M202600001U000000002", "failed", FailReason.ACCOUNT_CLOSED, 20_930, None),
        BankResult("M202600001U000000003", "failed", FailReason.REJECTED, None, None),
    ]
    plain = tmp_path / "plain.csv"
    plain.write_text(result_csv(results), encoding="utf-8")
    quoted = tmp_path / "quoted.csv"  # a quoted field: read line by line
    quoted.write_text(result_csv(results).replace(",B1", ',"B1"'), encoding="utf-8")
    assert read_results(plain) == read_results(quoted) == results
    by_lines = read_result_frame(quoted)

    def refuse(*_: object) -> None:
        raise AssertionError("a plain file is read by columns")

    empty = tmp_path / "empty.csv"  # empty fields quoted, as Polars writes them: still read by columns
    empty.write_text(result_csv(results).replace(",,", ',"",'), encoding="utf-8")
    monkeypatch.setattr(files, "_result_csv", refuse)
    assert read_result_frame(plain).equals(by_lines)
    assert read_result_frame(empty).equals(by_lines)
    assert by_lines.equals(result_frame(results))
    unknown = tmp_path / "unknown.csv"  # an unknown reason of a refusal is "rejected"
    unknown.write_text(result_csv(results).replace("account_closed", "whatever"), encoding="utf-8")
    assert read_results(unknown)[1].reason is FailReason.REJECTED


@pytest.mark.parametrize(
    "line",
    [
        "M202600001U000000002,MAYBE,,100,",  # status
        ",OK,,100,",  # no transfer id
        "M202600001U000000002000,OK,,100,",  # id longer than a transfer id
        "M202600001U000000002,OK,,100",  # a field missing
    ],
)
def test_a_malformed_result_line_is_refused_with_its_line(tmp_path: Path, line: str) -> None:
    good = "M202600001U000000001,OK,,100,B1"
    path = tmp_path / "result.csv"
    path.write_text(f"transfer_id,status,reason,amount,bank_ref\n{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(BankProtocolError, match=r"result\.csv line 3"):
        read_result_frame(path)
