"""The refund case: its states, the transitions the law and the journey allow, and its history.

A case's state is never stored: it is the target of the last row of its append-only history. Every
change appends a :class:`Transition` (who, when, why, under which rule-set version and computation);
nothing is edited in place, so the history is the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from cartax.cases.computation import Computation
from cartax.cases.errors import InvalidCaseCommandError, TransitionNotAllowedError


class CaseState(StrEnum):
    """Where a refund case stands. The allowed moves are in :data:`TRANSITIONS` right below."""

    DETECTED = "detected"  # found by detection; nobody told yet
    NOTIFIED = "notified"  # the citizen was told (환급금 발생 안내)
    ACCEPTED = "accepted"  # the citizen asked for the refund (환급 신청)
    AUTO_CONSENTED = "auto_consented"  # verified account + standing consent, objection window passed
    APPROVED = "approved"  # payment decided (지급결정), by policy or officer(s)
    PAID = "paid"  # the transfer was made
    RECONCILED = "reconciled"  # the bank confirmed it; the case is closed
    OBJECTED = "objected"  # the citizen objected to the automatic payment or the amount
    REJECTED = "rejected"  # an officer refused it, with a reason
    OFFSET = "offset"  # fully set off against arrears (충당), nothing to pay
    LAPSED = "lapsed"  # prescription ran out (소멸시효, 5 years) before payment
    RECOMPUTED = "recomputed"  # a registry correction changed the amounts; the case starts over


S = CaseState
TRANSITIONS: Mapping[CaseState, frozenset[CaseState]] = MappingProxyType(
    {
        # Offsets are computed by detection: a case is closed as offset when it opens (or is recomputed)
        # with arrears taking everything. New arrears after notification arrive as a recomputation.
        S.DETECTED: frozenset({S.NOTIFIED, S.OFFSET, S.LAPSED, S.REJECTED, S.RECOMPUTED}),
        S.NOTIFIED: frozenset({S.ACCEPTED, S.AUTO_CONSENTED, S.OBJECTED, S.LAPSED, S.REJECTED, S.RECOMPUTED}),
        # A claim (신청 or standing consent) is made in time: from here the refund no longer lapses.
        S.ACCEPTED: frozenset({S.APPROVED, S.REJECTED, S.RECOMPUTED}),
        S.AUTO_CONSENTED: frozenset({S.APPROVED, S.REJECTED, S.RECOMPUTED}),
        S.OBJECTED: frozenset({S.ACCEPTED, S.LAPSED, S.REJECTED, S.RECOMPUTED}),
        # Once the payment is decided only the payment itself or a recomputation (which voids the
        # approval) follows.
        S.APPROVED: frozenset({S.PAID, S.RECOMPUTED}),
        S.PAID: frozenset({S.RECONCILED}),
        S.RECONCILED: frozenset(),
        # A registry correction can revive a refused case; it keeps its history.
        S.REJECTED: frozenset({S.RECOMPUTED}),
        S.OFFSET: frozenset(),
        S.LAPSED: frozenset(),
        S.RECOMPUTED: frozenset({S.NOTIFIED, S.OFFSET, S.LAPSED, S.REJECTED, S.RECOMPUTED}),
    }
)
"""state → the states it may move to. Every state is a key; an empty set means final."""

FINAL_STATES = frozenset(state for state, targets in TRANSITIONS.items() if not targets)
AWAITING_APPROVAL = frozenset({S.ACCEPTED, S.AUTO_CONSENTED})


def can_transition(source: CaseState, target: CaseState) -> bool:
    """Whether the table allows ``source`` → ``target``.

    >>> can_transition(CaseState.NOTIFIED, CaseState.ACCEPTED)
    True
    >>> can_transition(CaseState.PAID, CaseState.ACCEPTED)
    False
    """
    return target in TRANSITIONS[source]


class ActorKind(StrEnum):
    CITIZEN = "citizen"
    OFFICER = "officer"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a citizen (by owner id), an officer (by staff id) or a machine (by component name).

    Ids only: never a name, a phone number or any other personal data.

    >>> str(Actor.officer("kim01"))
    'officer:kim01'
    """

    kind: ActorKind
    id: str

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 64 or not self.id.isprintable():
            raise InvalidCaseCommandError("invalid_actor")

    @classmethod
    def citizen(cls, owner_id: str) -> Actor:
        return cls(ActorKind.CITIZEN, owner_id)

    @classmethod
    def officer(cls, officer_id: str) -> Actor:
        return cls(ActorKind.OFFICER, officer_id)

    @classmethod
    def system(cls, component: str) -> Actor:
        return cls(ActorKind.SYSTEM, component)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of a case's history. ``seq`` numbers the rows of one case from 1 without gaps."""

    seq: int
    from_state: CaseState | None  # None only for the opening row
    to_state: CaseState
    actor: Actor
    at: datetime
    reason: str  # a stable code, e.g. ``citizen_accepted``; events carry only this
    note: str | None  # an officer's or citizen's own words; stays in the history, never in events
    rules_version: str
    computation: int


@dataclass(frozen=True, slots=True)
class Approval:
    """An officer's signature on the payment decision of one computation of a case.

    Step 1 is the first officer (maker); step 2, needed above the maker-checker threshold, is a second
    officer (checker) who must differ from the first (``maker_id``).
    """

    computation: int
    step: int
    officer_id: str
    maker_id: str | None
    amount: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """The straight-through policy's decision on a claim: which version decided, the route, and why.

    ``seq`` is the history row of the claim (accepted or auto-consented) that was decided on;
    ``reasons`` say why the case went to officers (empty when approved straight through) and ``flags``
    are the risk flags the case had then.
    """

    seq: int
    policy_district: str
    policy_version: int
    route: str
    reasons: tuple[str, ...]
    flags: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseIdentity:
    """What makes a case: one owner × vehicle × tax year, under detection's stable key."""

    case_key: str
    owner_id: str
    vehicle_id: str
    tax_year: int
    district: str


@dataclass
class Case:
    """The aggregate. Load it, call its methods, and the repository appends what is new.

    ``computations`` holds at least the current (last) computation and ``approvals`` at least the
    signatures on it: a repository need not load older ones, no rule reads them.
    """

    identity: CaseIdentity
    opened_at: datetime
    computations: list[Computation]
    history: list[Transition]
    approvals: list[Approval] = field(default_factory=list)
    new_transitions: list[Transition] = field(default_factory=list)
    new_computations: list[Computation] = field(default_factory=list)
    new_approvals: list[Approval] = field(default_factory=list)
    new_decisions: list[PolicyDecision] = field(default_factory=list)

    @classmethod
    def open(cls, identity: CaseIdentity, computation: Computation, actor: Actor, at: datetime) -> Case:
        case = cls(identity, at, [], [])
        case.add_computation(computation)
        case._append(None, CaseState.DETECTED, actor, at, "refund_detected")
        return case

    @property
    def case_key(self) -> str:
        return self.identity.case_key

    @property
    def state(self) -> CaseState:
        return self.history[-1].to_state

    @property
    def version(self) -> int:
        """The seq of the last history row: the optimistic-concurrency version of the case."""
        return self.history[-1].seq if self.history else 0

    @property
    def computation(self) -> Computation:
        return self.computations[-1]

    @property
    def payable(self) -> int:
        return self.computation.totals.payable

    def transition(
        self, target: CaseState, actor: Actor, at: datetime, reason: str, note: str | None = None
    ) -> Transition:
        if not can_transition(self.state, target):
            raise TransitionNotAllowedError(
                self.case_key, self.state, target, sorted(TRANSITIONS[self.state])
            )
        return self._append(self.state, target, actor, at, reason, note)

    def add_computation(self, computation: Computation) -> None:
        # Repositories may load only the current computation: number from it, not from the list.
        expected = self.computations[-1].version + 1 if self.computations else 1
        if computation.version != expected:
            raise ValueError(f"computation version {computation.version} given, {expected} expected")
        self.computations.append(computation)
        self.new_computations.append(computation)

    def sign(self, officer_id: str, at: datetime) -> Approval:
        """Add an officer's signature on the current computation (the caller checks the rules)."""
        signatures = self.signatures()
        approval = Approval(
            self.computation.version,
            len(signatures) + 1,
            officer_id,
            signatures[0].officer_id if signatures else None,
            self.payable,
            at,
        )
        self.approvals.append(approval)
        self.new_approvals.append(approval)
        return approval

    def record_decision(self, decision: PolicyDecision) -> None:
        """Keep the policy's decision on the current claim (written with the case's new rows)."""
        self.new_decisions.append(decision)

    def signatures(self) -> list[Approval]:
        """The officers' signatures on the current computation, in order."""
        return [a for a in self.approvals if a.computation == self.computation.version]

    def last_entry(self, state: CaseState) -> Transition | None:
        return next((row for row in reversed(self.history) if row.to_state is state), None)

    def ever(self, state: CaseState) -> bool:
        return any(row.to_state is state for row in self.history)

    def lapses_after(self) -> date | None:
        """The last day on which the case's unlapsed refunds can still be paid (None: nothing to lapse)."""
        return self.computation.lapses_after()

    def _append(
        self,
        source: CaseState | None,
        target: CaseState,
        actor: Actor,
        at: datetime,
        reason: str,
        note: str | None = None,
    ) -> Transition:
        computation = self.computation
        row = Transition(
            self.version + 1,
            source,
            target,
            actor,
            at,
            reason,
            note,
            computation.rules_version,
            computation.version,
        )
        self.history.append(row)
        self.new_transitions.append(row)
        return row
