"""The bank-file rail on SQLite and PostgreSQL: a batch committed before its files, pain.001 valid
against the official XSD, pain.002 and CSV results booked once, and the day reconciled."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine
from typer.testing import CliRunner

from cartax.cases import Actor
from cartax.cli import app
from cartax.infra.outbox import list_events
from cartax.payout import BankProtocolError
from cartax.payout.adapters.fake_file_bank import pain002, process
from cartax.payout.adapters.files import (
    BankResult,
    apply_results,
    file_batch,
    load_batch,
    pain001,
    read_results,
    result_csv,
    schema,
    write_csv,
)
from cartax.payout.adapters.ledger import ledger_total
from cartax.payout.model import FailReason, kst_day
from payout_factories import Clock, People, make_bank, make_decided, make_payouts

ORG = "M202600001"


def setup(engine: Engine):  # type: ignore[no-untyped-def]
    clock, people, bank = Clock(), People(), make_bank()
    payouts = make_payouts(engine, clock=clock, bank=bank, people=people, cooling_off_hours=0)
    for n in range(3):
        owner, number = f"o{n}", f"1102345678{n:02d}"
        people.add(owner, f"시민{n}")
        bank.open_account("088", number, f"시민{n}")
        payouts.service.register_account(owner, "088", number, Actor.citizen(owner))
        payouts.service.decide(
            make_decided(case_key=f"case{n}", owner_id=owner, refund=10_000 * (n + 1)), clock()
        )
    return payouts, bank, clock


def test_a_batch_becomes_a_valid_pain001_and_its_pain002_pays_each_case_once(
    db_engine: Engine, tmp_path: Path
) -> None:
    payouts, bank, clock = setup(db_engine)
    bank.close_account("088", "110234567801")
    ref = file_batch(db_engine, ORG, clock)
    assert ref is not None
    assert file_batch(db_engine, ORG, clock) is None  # filed instructions are not filed again
    holder = payouts.worker.holder_name
    batch = load_batch(db_engine, ref, payouts.service.open_number, holder)
    xml = pain001(batch, "서울특별시 강남구", "1005001234567", "020")
    assert schema().validate(etree.fromstring(xml))
    message, results = process(bank, xml, batch.day)
    report = tmp_path / "result.xml"
    report.write_bytes(pain002(message, results, clock()))
    read = read_results(report)
    assert sorted((r.status, r.reason) for r in read) == [
        ("failed", FailReason.ACCOUNT_CLOSED), ("succeeded", None), ("succeeded", None),
    ]  # fmt: skip
    assert apply_results(db_engine, read, clock, "pain.002") == {"succeeded": 2, "failed": 1, "ignored": 0}
    assert apply_results(db_engine, read, clock, "pain.002") == {"succeeded": 0, "failed": 0, "ignored": 3}
    # The same file sent twice: the bank answers the first results, nobody is paid twice.
    _, again = process(bank, xml, batch.day)
    assert len([r for r in bank.statement() if r.status == "succeeded"]) == 2
    assert {r.status for r in again} == {"succeeded", "failed"}
    states = {p: payouts.service.payment(p).state for p in ("case0", "case1", "case2")}  # type: ignore[union-attr]
    assert states == {"case0": "paid", "case1": "returned", "case2": "paid"}
    assert len(list_events(db_engine, event_type="RefundPaid")) == 2
    with db_engine.connect() as connection:
        assert ledger_total(connection) == 0
    report_day = payouts.service.reconcile(kst_day(clock()))
    assert report_day.matched == 3
    assert report_day.clean


def test_csv_files_round_trip_and_unknown_or_missing_results_are_flagged(
    db_engine: Engine, tmp_path: Path
) -> None:
    payouts, bank, clock = setup(db_engine)
    ref = file_batch(db_engine, ORG, clock)
    assert ref is not None
    batch = load_batch(db_engine, ref, payouts.service.open_number, payouts.worker.holder_name)
    sent = write_csv(batch, tmp_path / "transfers.csv")
    _, results = process(bank, sent.read_bytes(), batch.day, withhold=[batch.transfers[0].transfer_id])
    forged = BankResult(f"{ORG}U999999999", "succeeded", None, 5_000, "X1")
    answer = tmp_path / "result.csv"
    answer.write_text(result_csv([*results, forged]), encoding="utf-8")
    apply_results(db_engine, read_results(answer), clock, "csv")
    report = payouts.service.reconcile(kst_day(clock()))
    flagged = {line.transfer_id: line.status for line in report.flagged}
    assert flagged == {batch.transfers[0].transfer_id: "missing_result", forged.transfer_id: "unknown_to_us"}
    assert report.matched == 2
    assert not report.clean


def test_a_result_file_that_breaks_its_format_is_refused_with_where(tmp_path: Path) -> None:
    bad = tmp_path / "result.csv"
    bad.write_text("id,what\n1,2\n", encoding="utf-8")
    with pytest.raises(BankProtocolError, match="header must be"):
        read_results(bad)
    xml = tmp_path / "result.xml"
    xml.write_bytes(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.054.001.08'/>")
    with pytest.raises(BankProtocolError, match=r"not a pain\.002"):
        read_results(xml)


def test_the_operator_books_and_reconciles_a_result_file_on_the_command_line(
    db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payouts, bank, clock = setup(db_engine)
    bank.close_account("088", "110234567801")
    ref = file_batch(db_engine, ORG, clock)
    assert ref is not None
    batch = load_batch(db_engine, ref, payouts.service.open_number, payouts.worker.holder_name)
    _, results = process(bank, write_csv(batch, tmp_path / "transfers.csv").read_bytes(), batch.day)
    answer = tmp_path / "result.csv"
    answer.write_text(result_csv(results), encoding="utf-8")
    monkeypatch.setenv("CARTAX_DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    runner, day = CliRunner(), kst_day(clock()).isoformat()

    booked = runner.invoke(app, ["payout", "results", str(answer)])
    assert booked.exit_code == 0, booked.output
    assert "성공 2 · 실패 1 · 이미 반영/모르는 번호 0" in booked.output
    again = runner.invoke(app, ["payout", "results", str(answer)])  # the same file read a second time
    assert "성공 0 · 실패 0 · 이미 반영/모르는 번호 3" in again.output
    report = runner.invoke(app, ["payout", "reconcile", "--day", day])
    assert report.exit_code == 0, report.output
    assert f"{day} 대사: 일치 3건, 확인 필요 0건, 원장 균형" in report.output  # the refusal matches too
    assert len(list_events(db_engine, event_type="RefundPaid")) == 2

    # Bad input: a clear message, exit 2, and nothing booked.
    bad_day = runner.invoke(app, ["payout", "reconcile", "--day", "2026-13-01"])
    assert bad_day.exit_code == 2
    assert "YYYY-MM-DD" in bad_day.output
    broken = tmp_path / "broken.csv"
    broken.write_text("id,what\n1,2\n", encoding="utf-8")
    refused = runner.invoke(app, ["payout", "results", str(broken)])
    assert refused.exit_code == 2
    assert "은행 결과 파일을 읽을 수 없습니다" in refused.output
    assert "header must be transfer_id,status,reason,amount,bank_ref" in refused.output
    assert "Traceback" not in refused.output
    no_batch = runner.invoke(app, ["payout", "files", "--batch", "B-NONE", "--out", str(tmp_path / "o")])
    assert no_batch.exit_code == 2
    assert "B-NONE 묶음이 없습니다" in no_batch.output
    assert not (tmp_path / "o").exists()
    assert len(list_events(db_engine, event_type="RefundPaid")) == 2
