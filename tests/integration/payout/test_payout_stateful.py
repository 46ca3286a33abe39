"""A stateful property test (hypothesis) over decide / change account / pay / bank faults / crash /
reconcile, on SQLite. Invariants after every step: paid at most once, paid amount = decided amount,
never to an unverified account or one in its cooling-off, the ledger sums to zero."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import Engine, select

from cartax.cases import Actor
from cartax.infra import make_engine, upgrade
from cartax.payout import AccountRejectedError
from cartax.payout.adapters.fake_bank import Executed, FakeBank, Faults
from cartax.payout.adapters.ledger import ledger_total
from cartax.payout.adapters.tables import payout_instructions
from cartax.payout.adapters.wiring import Payouts
from cartax.payout.adapters.worker import Claim, CrashPoints
from cartax.payout.model import kst_day
from payout_factories import Clock, People, make_decided, make_payouts

OWNERS = ("o1", "o2", "o3")


class SimulatedCrashError(Exception):
    """The worker process died here."""


class PayoutMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="payout-stateful-")
        url = f"sqlite:///{Path(self.folder) / 'payout.db'}"
        upgrade(url)
        self.engine: Engine = make_engine(url)
        self.clock = Clock()
        self.people = People()
        for n, owner in enumerate(OWNERS):
            self.people.add(owner, f"시민{n}")
        self.bank = FakeBank(faults=Faults(), seed=1, on_transfer=self.observe)
        self.crash_at: str | None = None
        self.payouts: Payouts = make_payouts(
            self.engine, clock=self.clock, bank=self.bank, people=self.people, cooling_off_hours=24,
            lease_seconds=30, crash=CrashPoints(self.maybe_crash),
        )  # fmt: skip
        self.decided: dict[str, int] = {}
        self.owner_of: dict[str, str] = {}
        self.payable_from: dict[tuple[str, str], datetime | None] = {}  # (owner, number) → cooling-off end
        self.paid: list[Executed] = []
        self.accounts = 0
        self.violations: list[str] = []

    def maybe_crash(self, name: str, _claim: Claim) -> None:
        if self.crash_at == name:
            self.crash_at = None
            raise SimulatedCrashError(name)

    def observe(self, executed: Executed) -> None:
        if executed.status != "succeeded":
            return
        self.paid.append(executed)
        owner = next((o for (o, number) in self.payable_from if number == executed.account), None)
        until = self.payable_from.get((owner or "", executed.account), "unverified")
        if until == "unverified" or (isinstance(until, datetime) and until > self.clock()):
            self.violations.append(f"paid {executed.transfer_id} to an account not payable then")

    @rule(owner=st.sampled_from(OWNERS), state=st.sampled_from(["open", "closed", "someone_else"]))
    def change_account(self, owner: str, state: str) -> None:
        self.accounts += 1
        number = f"11023456{self.accounts:04d}"
        holder = self.people.people[owner].name if state != "someone_else" else "홍길동"
        self.bank.open_account("088", number, holder, closed=state == "closed")
        had = self.payouts.service.current_account(owner) is not None
        try:
            view = self.payouts.service.register_account(owner, "088", number, Actor.citizen(owner))
        except AccountRejectedError:
            assert state != "open"
            return
        assert state == "open"
        self.payable_from[(owner, number)] = view.cooling_off_until
        assert (view.cooling_off_until is not None) == had

    @rule(owner=st.sampled_from(OWNERS), amount=st.integers(1, 3_000_000), offset=st.integers(0, 500))
    def approve(self, owner: str, amount: int, offset: int) -> None:
        case_key = f"case{len(self.decided) + 1}"
        decided = make_decided(
            case_key=case_key, owner_id=owner, refund=amount, interest=0, offset=min(offset, amount - 1)
        )
        assert self.payouts.service.decide(decided, self.clock()) == "created"
        assert self.payouts.service.decide(decided, self.clock()) == "duplicate"
        self.decided[case_key] = decided.payable
        self.owner_of[case_key] = owner

    @rule(point=st.sampled_from([None, "after_claim", "after_bank_call", "after_commit"]))
    def pay(self, point: str | None) -> None:
        self.crash_at = point
        try:
            self.payouts.worker.run_once()
        except SimulatedCrashError:
            self.clock.advance(seconds=31)  # the dead worker's lease runs out; another takes over
        self.crash_at = None

    @rule(timeout_after=st.booleans(), timeout_before=st.booleans(), delayed=st.booleans())
    def bank_faults(self, timeout_after: bool, timeout_before: bool, delayed: bool) -> None:
        self.bank.faults = Faults(
            timeout_after=0.5 * timeout_after, timeout_before=0.5 * timeout_before, delayed=0.5 * delayed
        )

    @precondition(lambda self: self.accounts > 0)
    @rule()
    def bank_closes_an_account(self) -> None:
        (bank, number) = sorted(self.bank.accounts)[-1]
        self.bank.close_account(bank, number)

    @rule(hours=st.integers(1, 30))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    @rule()
    def reconcile(self) -> None:
        report = self.payouts.service.reconcile(kst_day(self.clock()))
        assert report.ledger_balanced
        assert not [line for line in report.flagged if line.status in ("amount_mismatch", "unknown_to_us")]

    @invariant()
    def paid_at_most_once_with_the_decided_amount(self) -> None:
        if not hasattr(self, "paid"):
            return
        per_case = Counter(executed.client_ref for executed in self.paid)
        assert all(n == 1 for n in per_case.values()), per_case
        for executed in self.paid:
            payment = self._payment_of(executed.client_ref)
            assert executed.amount == self.decided[payment]
        assert not self.violations, self.violations

    @invariant()
    def ledger_sums_to_zero(self) -> None:
        if hasattr(self, "engine"):
            with self.engine.connect() as connection:
                assert ledger_total(connection) == 0

    def _payment_of(self, instruction_id: str) -> str:
        with self.engine.connect() as connection:
            return str(
                connection.execute(
                    select(payout_instructions.c.case_key).where(
                        payout_instructions.c.id == int(instruction_id)
                    )
                ).scalar_one()
            )

    def teardown(self) -> None:
        if hasattr(self, "engine"):
            self.engine.dispose()


PayoutMachine.TestCase.settings = settings(
    max_examples=10, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestPayoutStateful = PayoutMachine.TestCase
