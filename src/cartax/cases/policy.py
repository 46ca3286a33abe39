"""Straight-through processing: which accepted cases the machine approves and which go to officers.

The thresholds come from settings (``CARTAX_CASES_*``, see docs/cases.md). Amounts are the case's
``payable`` (what would leave the treasury). Boundaries: ``payable == max_amount`` is still
straight-through; ``payable == second_officer_above`` still needs one officer only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cartax.cases.computation import CAUSES
from cartax.cases.model import Case, CaseState


class Route(StrEnum):
    STRAIGHT_THROUGH = "straight_through"
    ONE_OFFICER = "one_officer"
    TWO_OFFICERS = "two_officers"


@dataclass(frozen=True, slots=True)
class Decision:
    route: Route
    reasons: tuple[str, ...]  # why it is not straight-through (empty when it is)

    @property
    def officers(self) -> int:
        return {Route.STRAIGHT_THROUGH: 0, Route.ONE_OFFICER: 1, Route.TWO_OFFICERS: 2}[self.route]


@dataclass(frozen=True, slots=True)
class StraightThroughPolicy:
    """Approve automatically the ordinary cases; send the exceptions to officers.

    >>> policy = StraightThroughPolicy(max_amount=500_000, second_officer_above=2_000_000)
    >>> policy.officers_needed(2_000_000), policy.officers_needed(2_000_001)
    (1, 2)
    """

    enabled: bool = True
    max_amount: int = 500_000
    """Largest payable approved without an officer (inclusive)."""
    second_officer_above: int = 2_000_000
    """Above this payable, approval needs a second officer different from the first (maker-checker)."""
    review_causes: frozenset[str] = frozenset({"R5"})
    """Refund causes an officer always reviews (R5, over-assessment, means the bill itself was wrong)."""

    def __post_init__(self) -> None:
        for name in ("max_amount", "second_officer_above"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole, non-negative amount in 원; got {value!r}")
        if self.max_amount > self.second_officer_above:
            raise ValueError(
                f"max_amount ({self.max_amount:,}원) must not exceed second_officer_above "
                f"({self.second_officer_above:,}원): a straight-through approval would bypass maker-checker"
            )
        unknown = set(self.review_causes) - CAUSES
        if unknown:
            raise ValueError(f"review_causes {sorted(unknown)} are not refund causes; accepted: R1–R6")

    def officers_needed(self, payable: int) -> int:
        return 2 if payable > self.second_officer_above else 1

    def decide(self, case: Case) -> Decision:
        """The route of a case awaiting approval (accepted or auto-consented)."""
        if self.officers_needed(case.payable) == 2:
            return Decision(Route.TWO_OFFICERS, ("above_second_officer_threshold",))
        reasons = []
        if not self.enabled:
            reasons.append("straight_through_disabled")
        if case.payable > self.max_amount:
            reasons.append("above_straight_through_limit")
        causes = sorted({line.cause for line in case.computation.refunds} & self.review_causes)
        reasons.extend(f"cause_{cause}_reviewed" for cause in causes)
        if case.ever(CaseState.RECOMPUTED):
            reasons.append("recomputed")
        if case.ever(CaseState.OBJECTED):
            reasons.append("objected_before")
        return Decision(Route.ONE_OFFICER if reasons else Route.STRAIGHT_THROUGH, tuple(reasons))
