"""Risk flags: what makes a refund case worth a person's look, each with its reason in plain words.

Four flags, computed from the case, the facts of the owner's refund account (from payout, through the
:class:`cartax.cases.ports.AccountFactsSource` port) and the vehicle's annual tax (from the rules,
through :class:`cartax.cases.ports.VehicleTaxSource`):

- ``account_recently_changed``: the refund account changed fewer than N days ago (documented refund
  frauds redirect a refund by changing the account just before payment);
- ``account_shared``: the same account is registered by several other, unrelated people;
- ``amount_above_vehicle``: the refund is far above what the vehicle owes in a whole year;
- ``payer_not_holder``: a payment was made by someone who held the vehicle no day of its span (R4).

The thresholds belong to the district's straight-through policy (docs/processing.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from cartax.cases.errors import catalogue
from cartax.cases.model import Case

KST = timezone(timedelta(hours=9), "KST")
PAYER_NOT_HOLDER_CAUSE = "R4"  # rules.md §6.3: the payer held no day of the payment's span


class RiskCode(StrEnum):
    ACCOUNT_RECENTLY_CHANGED = "account_recently_changed"
    ACCOUNT_SHARED = "account_shared"
    AMOUNT_ABOVE_VEHICLE = "amount_above_vehicle"
    PAYER_NOT_HOLDER = "payer_not_holder"


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the cases context needs to know of an owner's refund account. No bank, no number.

    ``changed_at`` is when the account was registered or last replaced; ``others_sharing`` counts the
    other, unrelated people who registered the same account.
    """

    verified: bool
    changed_at: datetime | None
    others_sharing: int = 0


@dataclass(frozen=True, slots=True)
class RiskThresholds:
    account_unchanged_days: int = 0
    shared_account_limit: int = 3
    amount_factor_pct: int = 150


@dataclass(frozen=True, slots=True)
class RiskFlag:
    """One flag: a stable code and the figures its reason names."""

    code: RiskCode
    params: dict[str, Any] = field(default_factory=dict)

    def reason(self, lang: str = "ko") -> str:
        return catalogue().render(f"risk.{self.code}", lang, **self.params)


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """The account facts known at the time and the flags they raise."""

    account: AccountFacts | None
    flags: tuple[RiskFlag, ...]

    @property
    def account_verified(self) -> bool:
        return self.account is not None and self.account.verified

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(str(flag.code) for flag in self.flags)


def assess_risk(
    case: Case,
    account: AccountFacts | None,
    annual_tax: int | None,
    limits: RiskThresholds,
    now: datetime,
) -> RiskAssessment:
    """The flags of ``case`` now. Facts that are unknown (no account, no vehicle) raise no flag.

    ``annual_tax`` is the car tax plus education tax a whole-year holder of the vehicle owes for the
    case's tax year (the rules context's figure).
    """
    today = now.astimezone(KST).date()
    flags = [
        *_account_flags(account, limits, today),
        *_amount_flags(case, annual_tax, limits),
        *_payer_flags(case),
    ]
    return RiskAssessment(account, tuple(flags))


def _account_flags(account: AccountFacts | None, limits: RiskThresholds, today: date) -> list[RiskFlag]:
    if account is None:
        return []
    flags = []
    if account.changed_at is not None and limits.account_unchanged_days > 0:
        changed_on = account.changed_at.astimezone(KST).date()
        days = (today - changed_on).days
        if days < limits.account_unchanged_days:
            flags.append(
                RiskFlag(
                    RiskCode.ACCOUNT_RECENTLY_CHANGED,
                    {"day": changed_on, "days": days, "limit": limits.account_unchanged_days},
                )
            )
    if account.others_sharing >= limits.shared_account_limit:
        flags.append(RiskFlag(RiskCode.ACCOUNT_SHARED, {"others": account.others_sharing}))
    return flags


def _amount_flags(case: Case, annual_tax: int | None, limits: RiskThresholds) -> list[RiskFlag]:
    if not annual_tax or annual_tax <= 0:
        return []
    refund = case.computation.totals.refund
    # Integer comparison: refund / annual > factor% ⇔ refund × 100 > annual × factor.
    if refund * 100 <= annual_tax * limits.amount_factor_pct:
        return []
    return [
        RiskFlag(
            RiskCode.AMOUNT_ABOVE_VEHICLE,
            {"amount": refund, "annual": annual_tax, "pct": limits.amount_factor_pct},
        )
    ]


def _payer_flags(case: Case) -> list[RiskFlag]:
    lines = [line for line in case.computation.refunds if line.cause == PAYER_NOT_HOLDER_CAUSE]
    if not lines:
        return []
    return [RiskFlag(RiskCode.PAYER_NOT_HOLDER, {"payments": len(lines)})]
