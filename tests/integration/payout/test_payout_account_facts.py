"""The refund account's facts for the straight-through policy, on SQLite and PostgreSQL: how many other
people registered the same account, counted by the accounts' keyed digests (each person once, whatever
the check or the source), raises ``account_shared`` at the policy's limit and not below it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select

from cartax.cases import (
    AcceptRefund,
    Actor,
    CaseService,
    MarkNotified,
    OpenCase,
    StraightThroughPolicy,
    parse_refund_detected,
)
from cartax.cases.adapters.fake import FakeDatabase, FakeUnitOfWork
from cartax.cases.processing import Processing
from cartax.payout.adapters.account_facts import PayoutAccountFacts
from cartax.payout.adapters.fake_bank import FakeBank
from cartax.payout.adapters.sql import account_context
from cartax.payout.adapters.tables import payout_account_digests, payout_accounts
from payout_factories import CIPHER, Clock, People, make_payouts
from web_factories import refund_payload

SHARED = "110234567890"
LIMIT = 3


def claim_decision(processing: Processing, owner_id: str, case_key: str) -> tuple[str, tuple[str, ...]]:
    """The route and flags the straight-through policy decided on a claim of ``owner_id``."""
    db = FakeDatabase()
    service = CaseService(lambda: FakeUnitOfWork(db), lambda: datetime(2026, 8, 14, tzinfo=UTC),
                          StraightThroughPolicy(), timedelta(days=14))  # fmt: skip
    service.processing = processing
    payload = refund_payload(case_key=case_key, owner_id=owner_id, district="11680", payable=100_000)
    service.execute(OpenCase(parse_refund_detected(payload)), Actor.system("detection"))
    service.execute(MarkNotified(case_key, "N-2026-1"), Actor.system("notify"))
    service.execute(AcceptRefund(case_key), Actor.citizen(owner_id))
    [(_, decision)] = db.decisions
    return str(decision.route), tuple(decision.flags)


def test_an_account_registered_by_the_limit_of_other_people_is_flagged_and_not_below(
    db_engine: Engine,
) -> None:
    people = People()
    payouts = make_payouts(db_engine, clock=Clock(), bank=FakeBank(open_world=True), people=people)
    processing = Processing(
        StraightThroughPolicy(shared_account_limit=LIMIT), None, PayoutAccountFacts(payouts.service)
    )
    people.add("o1", "김민수")
    payouts.service.register_account("o1", "088", SHARED, Actor.citizen("o1"))
    for others in range(LIMIT + 1):
        assert payouts.service.others_sharing("o1") == others
        route, flags = claim_decision(processing, "o1", f"c0ffee00c0ffee0000{others:02d}")
        assert ("account_shared" in flags) is (others >= LIMIT), (others, flags)
        assert (route == "straight_through") is (others < LIMIT)
        stranger = f"p{others}"
        people.add(stranger, f"이웃{others}")
        payouts.service.register_account(stranger, "088", "1102-3456-7890", Actor.citizen(stranger))
    # The same person registering it twice, or another account of theirs, counts once; another bank's
    # account with the same number is another account.
    payouts.service.register_account("p0", "004", SHARED, Actor.citizen("p0"))
    payouts.service.register_account("p0", "088", SHARED, Actor.citizen("p0"))
    people.add("q1", "박서연")
    payouts.service.register_account("q1", "004", SHARED, Actor.citizen("q1"))
    assert payouts.service.others_sharing("o1") == LIMIT + 1
    assert payouts.service.others_sharing("q1") == 1  # p0 once held the 004 account
    assert PayoutAccountFacts(payouts.service).account_facts("nobody") is None


@pytest.mark.parametrize("rows", [1, 7])
def test_accounts_registered_before_their_digests_get_them_once(db_engine: Engine, rows: int) -> None:
    payouts = make_payouts(db_engine, clock=Clock())
    at = datetime(2026, 8, 1, tzinfo=UTC)
    with db_engine.begin() as connection:
        connection.execute(insert(payout_accounts), [
            {"owner_id": f"o{n}", "bank_code": "088", "last4": "7890", "holder_check": "verified",
             "number_encrypted": CIPHER.encrypt(SHARED, account_context(f"o{n}")), "source": "citizen",
             "registered_at": at}
            for n in range(rows)
        ])  # fmt: skip
    assert payouts.service.index_accounts(batch=3) == rows
    assert payouts.service.index_accounts(batch=3) == 0
    with db_engine.connect() as connection:
        digests = connection.execute(select(payout_account_digests.c.number_digest)).scalars().all()
    assert len(digests) == rows
    assert len(set(digests)) == 1
    assert SHARED not in digests[0]
