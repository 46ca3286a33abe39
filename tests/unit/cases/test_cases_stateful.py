"""Random sequences of every command, by the right and the wrong people, at random times, with repeats of
earlier requests: the case's invariants hold after every step (hypothesis stateful testing)."""

from __future__ import annotations

from typing import Any

from cases_factories import World, make_line, make_payload
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cartax.cases import (
    TRANSITIONS,
    AcceptRefund,
    Actor,
    ApproveRefund,
    AutoConsent,
    CasesError,
    CaseState,
    Command,
    CommandResult,
    LapseCase,
    MarkNotified,
    ObjectToRefund,
    OpenCase,
    RecomputeCase,
    RecordPayment,
    RecordReconciliation,
    RejectRefund,
    StraightThroughPolicy,
    parse_refund_detected,
    parse_refund_recomputed,
)

KEY = "c0ffee00c0ffee00c0ff"
THRESHOLD = 2_000_000
PEOPLE = [Actor.citizen("o1"), Actor.citizen("o2"), Actor.officer("kim01"), Actor.officer("lee02"),
          Actor.officer("park03"), Actor.system("payout")]  # fmt: skip
AMOUNTS = st.sampled_from([10_000, 500_000, 500_001, 2_000_000, 2_000_001, 9_000_000])


def detected(amount: int, offset: int = 0) -> dict[str, Any]:
    return make_payload(lines=[make_line(refund_car_tax=amount, refund_edu_tax=0, interest=0)], offset=offset)


class CaseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        policy = StraightThroughPolicy(max_amount=500_000, second_officer_above=THRESHOLD)
        self.world = World(policy=policy)
        self.answers: dict[tuple[str, str], tuple[Command, CommandResult]] = {}
        self.keys = 0

    def run(self, command: Command, actor: Actor, keyed: bool) -> None:
        key = None
        if keyed:
            self.keys += 1
            key = f"k{self.keys}"
        try:
            result = self.world.service.execute(command, actor, key)
        except CasesError:
            return  # a refusal is an answer too; the invariants say nothing was half-done
        if key is not None:
            self.answers[(str(actor), key)] = (command, result)

    @rule(amount=AMOUNTS, offset=st.sampled_from([0, 0, 0, 0, 50_000_000]))
    def open_case(self, amount: int, offset: int) -> None:
        self.run(OpenCase(parse_refund_detected(detected(amount, offset))), Actor.system("detection"), False)

    @rule()
    def notify(self) -> None:
        self.run(MarkNotified(KEY, "msg"), Actor.system("notify"), True)

    @rule(actor=st.sampled_from(PEOPLE), keyed=st.booleans())
    def accept(self, actor: Actor, keyed: bool) -> None:
        self.run(AcceptRefund(KEY), actor, keyed)

    @rule(actor=st.sampled_from(PEOPLE))
    def object_to(self, actor: Actor) -> None:
        self.run(ObjectToRefund(KEY, "이의"), actor, True)

    @rule(actor=st.sampled_from(PEOPLE), keyed=st.booleans(), refuse=st.sampled_from([False] * 5 + [True]))
    def decide(self, actor: Actor, keyed: bool, refuse: bool) -> None:
        # Mostly approvals: refusals end the journey early and would leave the rest unexplored.
        self.run(RejectRefund(KEY, "사유") if refuse else ApproveRefund(KEY), actor, keyed)

    @rule(verified=st.booleans(), days=st.integers(0, 30))
    def auto_consent(self, verified: bool, days: int) -> None:
        self.world.clock.advance(days=days)
        self.run(AutoConsent(KEY, verified, True), Actor.system("payout"), True)

    @rule()
    def pay(self) -> None:
        self.run(RecordPayment(KEY, "T-1"), Actor.system("payout"), True)

    @rule()
    def reconcile(self) -> None:
        self.run(RecordReconciliation(KEY, "B-1"), Actor.system("payout"), True)

    @rule(years=st.sampled_from([0, 0, 0, 0, 6]))
    def lapse(self, years: int) -> None:
        self.world.clock.advance(days=365 * years)
        self.run(LapseCase(KEY), Actor.system("prescription"), False)

    @rule(amount=st.one_of(st.none(), st.none(), st.none(), AMOUNTS))
    def recompute(self, amount: int | None) -> None:
        case = self.world.db.cases.get(KEY)
        if case is None or amount is None:  # corrections are rare: mostly nothing happens
            return
        totals = case.computation.totals
        previous = {"refund": totals.refund, "interest": totals.interest, "offset": totals.offset,
                    "payable": totals.payable}  # fmt: skip
        payload = detected(amount) | {"previous_totals": previous}
        self.run(RecomputeCase(parse_refund_recomputed(payload)), Actor.system("detection"), False)

    @rule(data=st.data())
    def repeat_an_earlier_request(self, data: st.DataObject) -> None:
        if not self.answers:
            return
        (actor_text, key), (command, first) = data.draw(st.sampled_from(sorted(self.answers.items())))
        actor = next(person for person in [*PEOPLE, Actor.system("notify")] if str(person) == actor_text)
        before = len(self.world.db.outbox)
        again = self.world.service.execute(command, actor, key)
        assert (again.state, again.seq, again.outcome, again.replayed) == (
            first.state, first.seq, first.outcome, True,
        )  # fmt: skip
        assert len(self.world.db.outbox) == before

    @invariant()
    def history_follows_the_table(self) -> None:
        case = self.world.db.cases.get(KEY)
        if case is None:
            return
        assert [row.seq for row in case.history] == list(range(1, len(case.history) + 1))
        assert case.history[0].from_state is None
        for earlier, later in zip(case.history, case.history[1:], strict=False):
            assert later.from_state is earlier.to_state
            assert later.to_state in TRANSITIONS[earlier.to_state]

    @invariant()
    def large_payments_have_two_different_officers(self) -> None:
        case = self.world.db.cases.get(KEY)
        if case is None:
            return
        amounts = {c.version: c.totals.payable for c in case.computations}
        for row in case.history:
            if row.to_state is CaseState.APPROVED and amounts[row.computation] > THRESHOLD:
                signers = [a.officer_id for a in case.approvals if a.computation == row.computation]
                assert len(signers) == 2
                assert len(set(signers)) == 2

    @invariant()
    def one_decision_event_per_approval(self) -> None:
        case = self.world.db.cases.get(KEY)
        approvals = sum(row.to_state is CaseState.APPROVED for row in case.history) if case else 0
        assert len(self.world.events("RefundApproved")) == approvals
        assert len(self.world.events("CaseStateChanged")) == (len(case.history) if case else 0)


TestCaseMachine = CaseMachine.TestCase
TestCaseMachine.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
