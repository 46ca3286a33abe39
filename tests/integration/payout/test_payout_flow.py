"""From a decided payment to money at the bank, on SQLite and PostgreSQL: accounts checked with the
bank, held while cooling off, paid once, failed transfers returned, the ledger balanced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import DBAPIError

from cartax.cases import Actor
from cartax.infra.outbox import list_events
from cartax.payout import AccountRejectedError, PayoutForbiddenError
from cartax.payout.adapters.ledger import ledger_total
from cartax.payout.adapters.tables import payout_accounts, payout_instructions
from payout_factories import CIPHER, Clock, People, make_bank, make_decided, make_payouts

ACCOUNT = "110-234-567890"


def setup(engine: Engine, **options: object):  # type: ignore[no-untyped-def]
    clock = Clock()
    people = People()
    people.add("o1", "김민준")
    bank = make_bank()
    bank.open_account("088", "110234567890", "김민준")
    bank.open_account("088", "110234567891", "김민준")
    bank.open_account("004", "22233344455", "이서연")
    payouts = make_payouts(engine, clock=clock, bank=bank, people=people, **options)  # type: ignore[arg-type]
    return payouts, bank, clock


def test_a_verified_account_is_paid_once_and_the_ledger_balances(db_engine: Engine) -> None:
    payouts, bank, clock = setup(db_engine)
    view = payouts.service.register_account("o1", "신한은행", ACCOUNT, Actor.citizen("o1"))
    assert (view.masked, view.bank, view.verified, view.cooling_off_until) == (
        "****7890",
        "신한은행",
        True,
        None,
    )
    assert payouts.service.decide(make_decided(offset=40_000), clock()) == "created"
    assert payouts.service.decide(make_decided(offset=40_000), clock()) == "duplicate"

    assert payouts.worker.run_once() == 1
    assert payouts.worker.run_once() == 0

    paid = [row for row in bank.statement() if row.status == "succeeded"]
    assert [(row.account, row.amount) for row in paid] == [("110234567890", 210_970)]
    payment = payouts.service.payment("case0001")
    assert payment is not None
    assert payment.state == "paid"
    assert payment.paid is not None
    with db_engine.connect() as connection:
        assert ledger_total(connection) == 0
    [case] = payouts.service.balances("case", "case0001")
    assert case.by_account["refunds_payable"] == 0
    assert case.by_account["bank"] == -210_970
    assert case.by_account["arrears_receivable"] == -40_000
    types = [event.type for event in list_events(db_engine)]
    assert types.count("RefundPaid") == 1
    assert types.count("OffsetPosted") == 1


def test_an_account_number_is_stored_encrypted_and_leaves_only_masked(db_engine: Engine) -> None:
    payouts, _, _ = setup(db_engine)
    payouts.service.register_account("o1", "088", ACCOUNT, Actor.citizen("o1"))
    with db_engine.connect() as connection:
        stored = connection.execute(select(payout_accounts.c.number_encrypted)).scalar_one()
    assert "567890" not in stored
    assert CIPHER.decrypt(stored, "payout_accounts.number_encrypted:o1") == "110234567890"
    for event in list_events(db_engine):
        assert "110234567890" not in str(event.payload)
        assert "김민준" not in str(event.payload)


def test_someone_elses_account_is_refused_and_nothing_is_registered(db_engine: Engine) -> None:
    payouts, _, _ = setup(db_engine)
    with pytest.raises(AccountRejectedError) as refused:
        payouts.service.register_account("o1", "004", "22233344455", Actor.citizen("o1"))
    assert refused.value.code == "holder_mismatch"
    assert "****4455" in refused.value.render()
    assert "22233344455" not in refused.value.render()
    assert payouts.service.current_account("o1") is None
    with pytest.raises(PayoutForbiddenError):
        payouts.service.register_account("o1", "088", ACCOUNT, Actor.citizen("o2"))


def test_a_changed_account_holds_payouts_for_the_cooling_off_period(db_engine: Engine) -> None:
    payouts, bank, clock = setup(db_engine, cooling_off_hours=72)
    payouts.service.register_account("o1", "088", ACCOUNT, Actor.citizen("o1"))
    changed = payouts.service.register_account("o1", "088", "110-234-567891", Actor.citizen("o1"))
    assert changed.cooling_off_until == clock() + timedelta(hours=72)
    payouts.service.decide(make_decided(), clock())
    assert payouts.worker.run_once() == 0
    payment = payouts.service.payment("case0001")
    assert payment is not None
    assert payment.hold == "cooling_off"
    clock.advance(hours=72)
    assert payouts.worker.run_once() == 1
    assert [row.account for row in bank.statement()] == ["110234567891"]
    changes = [event.payload for event in list_events(db_engine, event_type="AccountChanged")]
    assert [(c["last4"], c["previous_last4"]) for c in changes] == [("7890", None), ("7891", "7890")]


def test_a_closed_account_returns_the_case_and_another_account_pays_it(db_engine: Engine) -> None:
    payouts, bank, clock = setup(db_engine, cooling_off_hours=0)
    payouts.service.register_account("o1", "088", ACCOUNT, Actor.citizen("o1"))
    payouts.service.decide(make_decided(), clock())
    bank.close_account("088", "110234567890")
    payouts.worker.run_once()
    payment = payouts.service.payment("case0001")
    assert payment is not None
    assert payment.state == "returned"
    assert payment.hold == "awaiting_new_account"
    assert [f.reason for f in payouts.service.failed_transfers("11680")] == ["account_closed"]
    [failed] = list_events(db_engine, event_type="TransferFailed")
    assert failed.payload["reason"] == "account_closed"
    assert payouts.worker.run_once() == 0  # never again to the same account
    payouts.service.register_account("o1", "088", "110-234-567891", Actor.citizen("o1"))
    assert payouts.worker.run_once() == 1
    statement = bank.statement()
    assert [(r.account, r.status) for r in statement] == [
        ("110234567890", "failed"),
        ("110234567891", "succeeded"),
    ]
    assert len({r.transfer_id for r in statement}) == 2


def test_the_application_cannot_change_or_delete_ledger_rows(db_engine: Engine) -> None:
    payouts, _, clock = setup(db_engine)
    payouts.service.decide(make_decided(), clock())
    for statement in ("UPDATE ledger_lines SET amount = amount + 1", "DELETE FROM ledger_entries"):
        with pytest.raises(DBAPIError, match="append_only"), db_engine.begin() as connection:
            connection.execute(text(statement))
    with db_engine.connect() as connection:
        assert ledger_total(connection) == 0


def test_the_database_refuses_a_ledger_line_of_no_entry(db_engine: Engine) -> None:
    with pytest.raises(DBAPIError, match="ledger_orphan_line"), db_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ledger_lines (entry_id, account, amount) "
                "VALUES (4242, 'refund_expense', 100), (4242, 'refunds_payable', -100)"
            )
        )


def test_the_database_refuses_a_second_success_on_an_instruction(db_engine: Engine) -> None:
    """Whatever the code does: a transfer succeeds only with its payout_paid row, one an instruction."""
    payouts, _, clock = setup(db_engine)
    payouts.service.register_account("o1", "088", ACCOUNT, Actor.citizen("o1"))
    payouts.service.decide(make_decided(), clock())
    with db_engine.begin() as connection:
        instruction = connection.execute(text("SELECT id FROM payout_instructions")).scalar_one()
        account = connection.execute(text("SELECT id FROM payout_accounts")).scalar_one()
    transfer = (
        "INSERT INTO payout_transfers (transfer_id, instruction_id, account_id, rail, day, amount, state, "
        "created_at) VALUES (:t, :i, :a, 'api', '2026-08-14', 100, :state, '2026-08-14 01:00:00')"
    )
    paid = "INSERT INTO payout_paid (instruction_id, transfer_id) VALUES (:i, :t)"
    first = {"t": "T1", "i": instruction, "a": account}
    with db_engine.begin() as connection:
        connection.execute(text(transfer), {**first, "state": "pending"})
    for statement, values in (
        ("UPDATE payout_transfers SET state = 'succeeded' WHERE transfer_id = 'T1'", {}),
        (transfer, {"t": "T0", "i": instruction, "a": account, "state": "succeeded"}),
    ):
        with pytest.raises(DBAPIError, match="payout_success_unrecorded"), db_engine.begin() as connection:
            connection.execute(text(statement), values)
    with db_engine.begin() as connection:
        connection.execute(text(paid), first)
        connection.execute(text("UPDATE payout_transfers SET state = 'succeeded' WHERE transfer_id = 'T1'"))
    second = {"t": "T2", "i": instruction, "a": account}
    with db_engine.begin() as connection:
        connection.execute(text(transfer), {**second, "state": "pending"})
    with pytest.raises(DBAPIError), db_engine.begin() as connection:
        connection.execute(text(paid), second)  # the instruction's key is taken
    with pytest.raises(DBAPIError, match="payout_success_unrecorded"), db_engine.begin() as connection:
        connection.execute(text("UPDATE payout_transfers SET state = 'succeeded' WHERE transfer_id = 'T2'"))
    with pytest.raises(DBAPIError, match="append_only"), db_engine.begin() as connection:
        connection.execute(text("DELETE FROM payout_paid"))
    # A transfer's instruction and account exist, never change, and outlive it.
    for statement, values, refusal in (
        (transfer, {"t": "T3", "i": instruction + 1, "a": account, "state": "pending"}, "transfer_orphan"),
        (transfer, {"t": "T3", "i": instruction, "a": account + 1, "state": "pending"}, "transfer_orphan"),
        ("UPDATE payout_transfers SET account_id = :a WHERE transfer_id = 'T2'", {"a": account + 1},
         "payout_transfer_fixed"),
        ("DELETE FROM payout_instructions", {}, "payout_referenced"),
    ):  # fmt: skip
        with pytest.raises(DBAPIError, match=refusal), db_engine.begin() as connection:
            connection.execute(text(statement), values)


@pytest.mark.postgres
def test_postgresql_refuses_an_entry_whose_lines_do_not_sum_to_zero(db_engine: Engine) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("the balance check is PostgreSQL's trigger on every statement writing lines")
    with db_engine.begin() as connection:
        entry = connection.execute(
            text(
                "INSERT INTO ledger_entries (entry_key, kind, case_key, owner_id, district, day, posted_at) "
                "VALUES ('decided:x:1', 'decided', 'x', 'o1', '11680', '2026-08-14', now()) RETURNING id"
            )
        ).scalar_one()
    lines = "INSERT INTO ledger_lines (entry_id, account, amount) VALUES "
    with pytest.raises(DBAPIError, match="ledger_unbalanced"), db_engine.begin() as connection:
        connection.execute(text(lines + "(:e, 'refund_expense', 100)"), {"e": entry})
    with pytest.raises(DBAPIError, match="ledger_unbalanced"), db_engine.begin() as connection:
        # Refused when the statement ends, even if a later statement would have balanced it.
        connection.execute(
            text(lines + "(:e, 'refund_expense', 100), (:e, 'refunds_payable', -99)"), {"e": entry}
        )
    with db_engine.begin() as connection:
        connection.execute(
            text(lines + "(:e, 'refund_expense', 100), (:e, 'refunds_payable', -100)"), {"e": entry}
        )
        assert ledger_total(connection) == 0
    # Lines added later to the balanced entry: refused unless they balance among themselves, in the
    # statement and together with another entry's lines.
    with pytest.raises(DBAPIError, match="ledger_unbalanced"), db_engine.begin() as connection:
        connection.execute(text(lines + "(:e, 'interest_expense', 7)"), {"e": entry})
    with db_engine.begin() as connection:
        other = connection.execute(
            text(
                "INSERT INTO ledger_entries (entry_key, kind, case_key, owner_id, district, day, posted_at) "
                "VALUES ('decided:y:1', 'decided', 'y', 'o2', '11680', '2026-08-14', now()) RETURNING id"
            )
        ).scalar_one()
    with pytest.raises(DBAPIError, match="ledger_unbalanced"), db_engine.begin() as connection:
        connection.execute(
            text(lines + "(:e, 'interest_expense', 7), (:o, 'refunds_payable', -7)"), {"e": entry, "o": other}
        )
    with pytest.raises(DBAPIError, match="ledger_orphan_line"), db_engine.begin() as connection:
        connection.execute(
            text(lines + "(:e, 'interest_expense', 7), (:e, 'refunds_payable', -7), (:x, 'bank', 0 + 5)"),
            {"e": entry, "x": other + 1000},
        )
    with db_engine.begin() as connection:
        connection.execute(
            text(lines + "(:e, 'interest_expense', 7), (:e, 'refunds_payable', -7)"), {"e": entry}
        )
        assert ledger_total(connection) == 0


def test_an_instructions_queue_is_its_state_while_it_awaits_work(db_engine: Engine) -> None:
    """The column that the indexes of instructions awaiting work name (migration 0021), computed."""
    states = ("open", "sending", "unknown", "filed", "paid", "returned", "cancelled")
    with db_engine.begin() as connection:
        at = datetime(2026, 8, 14, tzinfo=UTC)
        connection.execute(
            insert(payout_instructions),
            [{"case_key": f"case{n}", "computation": 1, "owner_id": "o1", "district": "11680", "amount": 100,
              "state": state, "created_at": at, "updated_at": at} for n, state in enumerate(states)],
        )  # fmt: skip
        connection.execute(text("UPDATE payout_instructions SET state = 'paid' WHERE state = 'sending'"))
        queues = dict(connection.execute(text("SELECT case_key, queue FROM payout_instructions")).all())
    assert queues == {"case0": "open", "case1": None, "case2": "unknown", "case3": None, "case4": None,
                      "case5": "returned", "case6": None}  # fmt: skip
