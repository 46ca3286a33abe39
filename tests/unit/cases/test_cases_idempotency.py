"""Idempotency semantics: repeats have no second effect and get the original answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from cases_factories import World, make_payload

from cartax.cases import (
    AcceptRefund,
    Actor,
    ApproveRefund,
    CaseState,
    ConcurrentUpdateError,
    IdempotencyKeyReusedError,
    InvalidCaseCommandError,
    MarkNotified,
    ObjectToRefund,
    OpenCase,
    RejectRefund,
    StraightThroughPolicy,
    TransitionNotAllowedError,
    parse_refund_detected,
)
from cartax.cases.adapters.fake import FakeUnitOfWork
from cartax.cases.service import CaseService, fingerprint

KEY = "c0ffee00c0ffee00c0ff"
CITIZEN = Actor.citizen("o1")


def notified_world(**kwargs: object) -> World:
    world = World(**kwargs)  # type: ignore[arg-type]  # test-only keyword passthrough
    world.service.execute(OpenCase(parse_refund_detected(make_payload())), Actor.system("test"))
    world.service.execute(MarkNotified(KEY, "msg-1"), Actor.system("notify"))
    return world


def test_repeat_returns_the_original_result_without_a_second_effect() -> None:
    world = notified_world(policy=StraightThroughPolicy(enabled=False))
    first = world.service.execute(AcceptRefund(KEY), CITIZEN, "accept-1")
    outbox, commits = len(world.db.outbox), world.db.commits
    world.service.execute(RejectRefund(KEY, "중복"), Actor.officer("kim01"))  # the case moves on meanwhile
    again = world.service.execute(AcceptRefund(KEY), CITIZEN, "accept-1")
    assert (again.case_key, again.state, again.seq, again.outcome) == (
        first.case_key, first.state, first.seq, first.outcome,
    )  # fmt: skip
    assert (first.replayed, again.replayed) == (False, True)
    assert len(world.db.cases[KEY].history) == 4  # detected, notified, accepted, rejected: no second accept
    assert world.db.commits == commits + 1
    assert len(world.db.outbox) == outbox + 1


def test_same_key_with_a_different_request_is_refused_and_writes_nothing() -> None:
    world = notified_world()
    world.service.execute(ObjectToRefund(KEY, "금액이 다릅니다"), CITIZEN, "k")
    before = (len(world.db.cases[KEY].history), len(world.db.outbox), dict(world.db.keys))
    with pytest.raises(IdempotencyKeyReusedError) as caught:
        world.service.execute(ObjectToRefund(KEY, "계좌가 다릅니다"), CITIZEN, "k")
    assert caught.value.code == "idempotency_key_reused"
    assert not caught.value.retryable
    assert "새 번호" in caught.value.render("ko")
    assert (len(world.db.cases[KEY].history), len(world.db.outbox), dict(world.db.keys)) == before


def test_keys_are_scoped_by_actor() -> None:
    world = notified_world(policy=StraightThroughPolicy(enabled=False))
    world.service.execute(AcceptRefund(KEY), CITIZEN, "same")
    result = world.service.execute(ApproveRefund(KEY), Actor.officer("kim01"), "same")
    assert result.state is CaseState.APPROVED


def test_a_failed_command_stores_nothing_under_its_key() -> None:
    world = notified_world()
    with pytest.raises(TransitionNotAllowedError):
        world.service.execute(ApproveRefund(KEY), Actor.officer("kim01"), "k")
    assert world.db.keys == {}


def test_malformed_key_is_refused() -> None:
    with pytest.raises(InvalidCaseCommandError) as caught:
        notified_world().service.execute(AcceptRefund(KEY), CITIZEN, "한글 키")
    assert caught.value.code == "invalid_key"


def test_fingerprint_tells_requests_apart() -> None:
    assert fingerprint(ObjectToRefund(KEY, "a")) == fingerprint(ObjectToRefund(KEY, "a"))
    assert fingerprint(ObjectToRefund(KEY, "a")) != fingerprint(ObjectToRefund(KEY, "b"))
    assert fingerprint(AcceptRefund(KEY)) != fingerprint(ApproveRefund(KEY))


def test_concurrent_duplicates_have_one_effect_and_one_answer() -> None:
    world = notified_world()
    barrier = threading.Barrier(20)
    service = CaseService(
        lambda: FakeUnitOfWork(world.db), world.clock, max_attempts=50, backoff_seconds=0.0001
    )

    def accept(_: int) -> tuple[str, int]:
        barrier.wait()
        result = service.execute(AcceptRefund(KEY), CITIZEN, "double-click")
        return str(result.state), result.seq

    with ThreadPoolExecutor(20) as pool:
        answers = set(pool.map(accept, range(20)))
    assert answers == {("approved", 4)}
    assert [str(row.to_state) for row in world.db.cases[KEY].history].count("accepted") == 1


class AlwaysConflicting(FakeUnitOfWork):
    def commit(self) -> None:
        raise ConcurrentUpdateError()


def test_conflicts_are_retried_boundedly_with_growing_jittered_waits() -> None:
    world = notified_world()
    service = CaseService(lambda: AlwaysConflicting(world.db), world.clock, sleep=world.sleeps.append)
    with pytest.raises(ConcurrentUpdateError) as caught:
        service.execute(AcceptRefund(KEY), CITIZEN, "k")
    assert caught.value.retryable
    assert len(world.sleeps) == service.max_attempts - 1
    base = service.backoff_seconds
    for attempt, wait in enumerate(world.sleeps):  # exponential, each with ±50 % jitter
        assert base * 2**attempt * 0.5 <= wait <= base * 2**attempt * 1.5
    assert world.db.keys == {}
