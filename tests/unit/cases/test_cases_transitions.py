"""Every allowed and every forbidden transition of the state table, through the aggregate."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cartax.cases import TRANSITIONS, Actor, CaseState, TransitionNotAllowedError, can_transition
from cartax.cases.computation import Computation, RefundLine, Totals
from cartax.cases.model import FINAL_STATES, Case, CaseIdentity, Transition

S = CaseState
AT = datetime(2026, 8, 14, tzinfo=UTC)
# Written out independently of the code, so a change to the table must be a change to this list too.
ALLOWED = {
    (S.DETECTED, S.NOTIFIED), (S.DETECTED, S.OFFSET), (S.DETECTED, S.LAPSED), (S.DETECTED, S.REJECTED),
    (S.DETECTED, S.RECOMPUTED),
    (S.NOTIFIED, S.ACCEPTED), (S.NOTIFIED, S.AUTO_CONSENTED), (S.NOTIFIED, S.OBJECTED),
    (S.NOTIFIED, S.LAPSED), (S.NOTIFIED, S.REJECTED), (S.NOTIFIED, S.RECOMPUTED),
    (S.ACCEPTED, S.APPROVED), (S.ACCEPTED, S.REJECTED), (S.ACCEPTED, S.RECOMPUTED),
    (S.AUTO_CONSENTED, S.APPROVED), (S.AUTO_CONSENTED, S.REJECTED), (S.AUTO_CONSENTED, S.RECOMPUTED),
    (S.OBJECTED, S.ACCEPTED), (S.OBJECTED, S.LAPSED), (S.OBJECTED, S.REJECTED), (S.OBJECTED, S.RECOMPUTED),
    (S.APPROVED, S.PAID), (S.APPROVED, S.RECOMPUTED),
    (S.PAID, S.RECONCILED),
    (S.REJECTED, S.RECOMPUTED),
    (S.RECOMPUTED, S.NOTIFIED), (S.RECOMPUTED, S.OFFSET), (S.RECOMPUTED, S.LAPSED),
    (S.RECOMPUTED, S.REJECTED), (S.RECOMPUTED, S.RECOMPUTED),
}  # fmt: skip
PAIRS = [(source, target) for source in CaseState for target in CaseState]


def case_in(state: CaseState) -> Case:
    line = RefundLine("p1", "R1", 0, 0, 1000, 0, date(2026, 7, 1), None, 0, False)
    computation = Computation(1, "2026.1", (line,), Totals(1000, 0, 0, 1000), AT)
    row = Transition(1, None, state, Actor.system("test"), AT, "set_up", None, "2026.1", 1)
    return Case(CaseIdentity("k1", "o1", "v1", 2026, "11110"), AT, [computation], [row])


def test_every_state_has_a_row_and_targets_are_states() -> None:
    assert set(TRANSITIONS) == set(CaseState)
    assert {pair for pair in PAIRS if can_transition(*pair)} == ALLOWED


def test_final_states_are_reconciled_offset_and_lapsed() -> None:
    assert {S.RECONCILED, S.OFFSET, S.LAPSED} == FINAL_STATES


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_allowed_transition_appends_one_history_row(source: CaseState, target: CaseState) -> None:
    case = case_in(source)
    row = case.transition(target, Actor.officer("kim01"), AT, "because")
    assert (row.seq, row.from_state, row.to_state) == (2, source, target)
    assert case.state is target
    assert [r.to_state for r in case.history] == [source, target]  # the first row is untouched
    assert case.new_transitions == [row]


@pytest.mark.parametrize(("source", "target"), [pair for pair in PAIRS if pair not in ALLOWED])
def test_forbidden_transition_is_refused_and_changes_nothing(source: CaseState, target: CaseState) -> None:
    case = case_in(source)
    with pytest.raises(TransitionNotAllowedError) as caught:
        case.transition(target, Actor.officer("kim01"), AT, "because")
    assert caught.value.code == "transition_not_allowed"
    assert case.state is source
    assert case.version == 1
    assert not case.new_transitions
    assert (caught.value.params["current_state"], caught.value.params["target_state"]) == (source, target)


def test_refusal_names_the_allowed_next_steps_in_korean_and_english() -> None:
    with pytest.raises(TransitionNotAllowedError) as caught:
        case_in(S.PAID).transition(S.ACCEPTED, Actor.officer("kim01"), AT, "because")
    assert caught.value.render("ko") == (
        "이 환급 건은 지금 '지급 완료' 상태라서 '환급 신청됨' 상태로 바꿀 수 없습니다. "
        "지금 가능한 다음 단계: 입금 확인 완료."
    )
    assert "from paid it can become: reconciled" in caught.value.render("en")


def test_a_final_state_says_nothing_follows() -> None:
    with pytest.raises(TransitionNotAllowedError) as caught:
        case_in(S.LAPSED).transition(S.NOTIFIED, Actor.officer("kim01"), AT, "because")
    assert caught.value.render("ko").endswith("다음 단계: 없음.")
