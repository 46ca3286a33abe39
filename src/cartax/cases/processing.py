"""The straight-through policy's versions and the cases' risk flags, for the service and the console.

:class:`Processing` answers which policy version is in force in a district (the stored latest, or
version 0 from the settings), publishes a new version for an administrator (validated, append-only,
with who, when and why), and computes a case's risk flags from the account and vehicle facts the
composition root wires in (docs/processing.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cartax.cases.errors import CaseConflictError, CaseNotFoundError, ConcurrentUpdateError
from cartax.cases.model import Case, CaseIdentity
from cartax.cases.policy import (
    InvalidPolicyError,
    PolicyProblem,
    PolicyVersion,
    StraightThroughPolicy,
    check_reason,
)
from cartax.cases.ports import AccountFactsSource, CasesUnitOfWork, PolicyStore, VehicleTaxSource
from cartax.cases.risk import AccountFacts, RiskAssessment, RiskFlag, assess_risk

SETTINGS_AUTHOR = "settings"
EDITABLE = (
    "enabled",
    "max_amount",
    "review_causes",
    "require_verified_account",
    "account_unchanged_days",
    "shared_account_limit",
    "amount_factor_pct",
    "block_on_risk",
)
"""The fields an administrator edits; the maker-checker threshold stays the settings' (the database's)."""


@dataclass(frozen=True, slots=True)
class Facts:
    """The policy version in force and the outside facts of one case, read before deciding on it."""

    version: PolicyVersion
    account: AccountFacts | None
    annual_tax: int | None

    def policy_of(self, district: str) -> PolicyVersion:
        del district  # read for this case's district
        return self.version

    def risk(self, case: Case, policy: StraightThroughPolicy, now: datetime) -> RiskAssessment:
        return assess_risk(case, self.account, self.annual_tax, policy.thresholds, now)


@dataclass
class Processing:
    base: StraightThroughPolicy
    """The settings' policy: version 0 of every district, and the maker-checker threshold of all."""
    store: PolicyStore | None = None
    accounts: AccountFactsSource | None = None
    vehicle_taxes: VehicleTaxSource | None = None
    clock: Callable[[], datetime] | None = None

    def policy_of(self, district: str) -> PolicyVersion:
        stored = self.store.current(district) if self.store is not None else None
        if stored is None:
            return PolicyVersion(district, 0, self.base, SETTINGS_AUTHOR, datetime.min, SETTINGS_AUTHOR)
        return replace(stored, policy=self._aligned(stored.policy))

    def history(self, district: str, limit: int = 50) -> list[PolicyVersion]:
        """The district's versions, latest first, ending with version 0 (the settings)."""
        stored = self.store.history(district, limit) if self.store is not None else []
        base = PolicyVersion(district, 0, self.base, SETTINGS_AUTHOR, datetime.min, SETTINGS_AUTHOR)
        return [*stored, base] if len(stored) < limit else stored

    def publish(
        self, district: str, changes: dict[str, Any], author: str, reason: str, based_on: int, at: datetime
    ) -> PolicyVersion:
        """Publish the next version of ``district``'s policy from the current one with ``changes``.

        ``based_on`` is the version the administrator edited: if someone published meanwhile, the edit
        is refused (``policy_changed_meanwhile``) rather than silently undoing theirs.
        """
        if self.store is None:
            raise CaseConflictError("policy_store_missing")
        current = self.policy_of(district)
        if based_on != current.version:
            raise CaseConflictError("policy_changed_meanwhile", version=current.version)
        problems = check_reason(reason)
        unknown = sorted(set(changes) - set(EDITABLE))
        problems += [PolicyProblem(name, "not_editable") for name in unknown]
        if problems:
            raise InvalidPolicyError(problems)
        fields = {**{name: getattr(current.policy, name) for name in EDITABLE}, **changes}
        policy = StraightThroughPolicy(second_officer_above=self.base.second_officer_above, **fields)
        version = PolicyVersion(district, current.version + 1, policy, author, at, reason.strip())
        try:
            self.store.publish(version)
        except ConcurrentUpdateError as error:
            raise CaseConflictError("policy_changed_meanwhile", version=current.version + 1) from error
        return version

    def facts(self, identity: CaseIdentity) -> Facts:
        """Everything a decision on the case reads outside its own tables, gathered before its transaction
        (on SQLite a read inside another connection's write transaction would wait for it)."""
        # Without a wired source a fact is unknown: no account is verified, no vehicle amount compared.
        account = self.accounts.account_facts(identity.owner_id) if self.accounts else None
        annual = None
        if self.vehicle_taxes is not None:
            annual = self.vehicle_taxes.annual_tax(identity.vehicle_id, identity.tax_year, identity.district)
        return Facts(self.policy_of(identity.district), account, annual)

    def risk_flags(self, uow: CasesUnitOfWork, case_key: str, now: datetime) -> tuple[RiskFlag, ...]:
        """The flags of one case now, under its district's policy (the console's case page shows them)."""
        with uow:
            case = uow.cases.get(case_key)
        if case is None:
            raise CaseNotFoundError(case_key)
        facts = self.facts(case.identity)
        return facts.risk(case, facts.version.policy, now).flags

    def _aligned(self, policy: StraightThroughPolicy) -> StraightThroughPolicy:
        """A stored version under today's maker-checker threshold (which the settings may have lowered)."""
        threshold = self.base.second_officer_above
        return replace(policy, second_officer_above=threshold, max_amount=min(policy.max_amount, threshold))
