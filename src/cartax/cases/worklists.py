"""What officers work from: filtered lists of a district's cases and one case's full record.

Read models only (answered by ``SqlCaseLists``, :mod:`cartax.cases.adapters.listing`). A list line holds
ids, states and amounts, never personal data; the full record of one case adds what only staff see: who
acted at each step (officer ids), the notes given with a refusal or an objection, every computation the
case has had (so a recomputation shows old against new) and the officers' signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cartax.cases.computation import Computation
from cartax.cases.model import AWAITING_APPROVAL, Approval, CaseState, Transition

OPEN_UNCLAIMED = frozenset({CaseState.DETECTED, CaseState.NOTIFIED, CaseState.OBJECTED, CaseState.RECOMPUTED})
"""States in which no claim has been made yet, so the refunds can still lapse."""


@dataclass(frozen=True, slots=True)
class WorkFilter:
    """Which of a district's cases a list shows; every field left at None does not filter.

    ``signatures`` counts the officers' signatures on the current computation: 0 for a case nobody has
    reviewed yet, 1 for one awaiting a second officer (maker-checker).
    """

    states: frozenset[CaseState] = frozenset()
    signatures: int | None = None
    min_payable: int | None = None
    max_payable: int | None = None
    tax_year: int | None = None
    owner_ids: tuple[str, ...] | None = None
    vehicle_ids: tuple[str, ...] | None = None
    case_keys: tuple[str, ...] | None = None

    @classmethod
    def needs_review(cls) -> WorkFilter:
        return cls(states=frozenset(AWAITING_APPROVAL), signatures=0)

    @classmethod
    def awaiting_second(cls) -> WorkFilter:
        return cls(states=frozenset(AWAITING_APPROVAL), signatures=1)


@dataclass(frozen=True, slots=True)
class WorkLine:
    """One case of a list: ids, where it stands, what it would pay and how many officers signed."""

    case_key: str
    owner_id: str
    vehicle_id: str
    tax_year: int
    district: str
    state: CaseState
    since: datetime
    payable: int
    computation: int
    signatures: int


@dataclass(frozen=True, slots=True)
class LapsingLine:
    line: WorkLine
    last_day: date
    """The last day the case's refunds can still be paid (they lapse at its end)."""


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """Everything the cases context keeps of one case, for staff (the owner's own view is CaseStatus)."""

    case_key: str
    owner_id: str
    vehicle_id: str
    tax_year: int
    district: str
    opened_at: datetime
    computations: tuple[Computation, ...]
    """Every computation, the first (as detected) first; the last one is current."""
    history: tuple[Transition, ...]
    approvals: tuple[Approval, ...]
    """Every signature, on every computation."""

    @property
    def state(self) -> CaseState:
        return self.history[-1].to_state

    @property
    def computation(self) -> Computation:
        return self.computations[-1]

    @property
    def previous(self) -> Computation | None:
        """The computation the current one replaced (after a registry correction), if any."""
        return self.computations[-2] if len(self.computations) > 1 else None

    def signatures(self) -> tuple[Approval, ...]:
        """The signatures on the current computation, in order (earlier ones were voided by a recompute)."""
        current = self.computation.version
        return tuple(approval for approval in self.approvals if approval.computation == current)
