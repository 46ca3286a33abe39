"""Straight-through processing: which accepted cases the machine approves and which go to officers.

The policy of a district is versioned (:class:`PolicyVersion`): an administrator of the district
publishes a new version with a stated reason, nothing is ever edited in place, and every decision the
policy makes records the version that made it. Until a district publishes one, version 0 applies: the
thresholds of the settings (``CARTAX_CASES_*``, see docs/cases.md and docs/processing.md).

Amounts are the case's ``payable`` (what would leave the treasury). Boundaries: ``payable ==
max_amount`` is still straight-through; ``payable == second_officer_above`` still needs one officer only.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime
from enum import StrEnum
from typing import Any

from cartax.cases.computation import CAUSES
from cartax.cases.errors import CasesError, catalogue
from cartax.cases.model import Case, CaseState
from cartax.cases.risk import RiskAssessment, RiskThresholds

MAX_ACCOUNT_DAYS = 365
SHARED_LIMITS = (2, 100)
FACTOR_LIMITS = (100, 1_000)
MIN_REASON = 5
MAX_REASON = 500


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
class PolicyProblem:
    """One thing wrong with a policy: the field, a stable code, and what is accepted (``params``)."""

    field: str
    code: str
    params: dict[str, Any] = default(default_factory=dict)

    def render(self, lang: str = "ko") -> str:
        return catalogue().render(f"policy.{self.code}", lang, field=self.field, **self.params)


class InvalidPolicyError(CasesError, ValueError):
    """A policy (or a new version of it) breaks the rules below: nothing was stored."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = problems
        super().__init__("invalid_policy", details="; ".join(p.render("en") for p in problems))

    def render(self, lang: str = "ko") -> str:
        return " ".join(problem.render(lang) for problem in self.problems)


def _whole(value: object, name: str, low: int, high: int | None) -> list[PolicyProblem]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [PolicyProblem(name, "not_whole", {"value": repr(value)})]
    if value < low or (high is not None and value > high):
        code = "out_of_range" if high is not None else "negative"
        return [PolicyProblem(name, code, {"value": value, "low": low, "high": high})]
    return []


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
    require_verified_account: bool = False
    """Approve straight through only when the owner's refund account is verified (예금주 확인)."""
    account_unchanged_days: int = 0
    """Risk flag when the refund account changed fewer than this many days ago (0: never)."""
    shared_account_limit: int = 3
    """Risk flag when this many other, unrelated people have registered the same account."""
    amount_factor_pct: int = 150
    """Risk flag when the refund exceeds this percentage of the vehicle's annual tax for the year."""
    block_on_risk: bool = True
    """A case with any risk flag goes to an officer."""

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidPolicyError(problems)

    def problems(self) -> list[PolicyProblem]:
        """Everything wrong with this policy (empty when it is consistent)."""
        found = _whole(self.max_amount, "max_amount", 0, None)
        found += _whole(self.second_officer_above, "second_officer_above", 0, None)
        found += _whole(self.account_unchanged_days, "account_unchanged_days", 0, MAX_ACCOUNT_DAYS)
        found += _whole(self.shared_account_limit, "shared_account_limit", *SHARED_LIMITS)
        found += _whole(self.amount_factor_pct, "amount_factor_pct", *FACTOR_LIMITS)
        if not found and self.max_amount > self.second_officer_above:
            found.append(
                PolicyProblem(
                    "max_amount",
                    "above_second_officer",
                    {"amount": self.max_amount, "threshold": self.second_officer_above},
                )
            )
        unknown = sorted(set(self.review_causes) - CAUSES)
        if unknown:
            found.append(PolicyProblem("review_causes", "unknown_causes", {"causes": ", ".join(unknown)}))
        return found

    @property
    def thresholds(self) -> RiskThresholds:
        return RiskThresholds(self.account_unchanged_days, self.shared_account_limit, self.amount_factor_pct)

    def officers_needed(self, payable: int) -> int:
        return 2 if payable > self.second_officer_above else 1

    def decide(self, case: Case, risk: RiskAssessment | None = None) -> Decision:
        """The route of a case awaiting approval (accepted or auto-consented).

        ``risk`` holds the account facts and the risk flags of the case (none known when omitted).
        """
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
        if self.require_verified_account and not (risk and risk.account_verified):
            reasons.append("account_not_verified")
        if self.block_on_risk and risk:
            reasons.extend(f"risk_{flag.code}" for flag in risk.flags)
        return Decision(Route.ONE_OFFICER if reasons else Route.STRAIGHT_THROUGH, tuple(reasons))


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """One published version of a district's policy: who published it, when and why.

    Version 0 is the settings' policy, in force until the district publishes version 1.
    """

    district: str
    version: int
    policy: StraightThroughPolicy
    author: str
    at: datetime
    reason: str

    @property
    def label(self) -> str:
        """How a decision names the version that made it, e.g. ``11680/v3``."""
        return f"{self.district}/v{self.version}"


def check_reason(reason: str) -> list[PolicyProblem]:
    """A new version says why it was made (kept with it for as long as the cases it decided)."""
    text = reason.strip()
    if not MIN_REASON <= len(text) <= MAX_REASON:
        return [PolicyProblem("reason", "reason_length", {"low": MIN_REASON, "high": MAX_REASON})]
    return []
