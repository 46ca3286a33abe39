"""The published versions of the districts' straight-through policies, and the decisions they made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, insert, select

from cartax.cases.adapters.sql import concurrency_errors, utc
from cartax.cases.adapters.tables import case_policy_decisions, cases, straight_through_policies
from cartax.cases.policy import PolicyVersion, StraightThroughPolicy

T = straight_through_policies.c


class SqlPolicyStore:
    def __init__(self, engine: Engine, second_officer_above: int) -> None:
        self.engine = engine
        self.second_officer_above = second_officer_above

    def current(self, district: str) -> PolicyVersion | None:
        found = self.history(district, 1)
        return found[0] if found else None

    def history(self, district: str, limit: int) -> list[PolicyVersion]:
        query = (
            select(straight_through_policies)
            .where(T.district == district)
            .order_by(T.version.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [self._version(row) for row in connection.execute(query)]

    def publish(self, version: PolicyVersion) -> None:
        policy = version.policy
        row = {
            "district": version.district, "version": version.version, "enabled": policy.enabled,
            "max_amount": policy.max_amount, "review_causes": sorted(policy.review_causes),
            "require_verified_account": policy.require_verified_account,
            "account_unchanged_days": policy.account_unchanged_days,
            "shared_account_limit": policy.shared_account_limit,
            "amount_factor_pct": policy.amount_factor_pct, "block_on_risk": policy.block_on_risk,
            "author": version.author, "published_at": version.at, "reason": version.reason,
        }  # fmt: skip
        with concurrency_errors(), self.engine.begin() as connection:
            connection.execute(insert(straight_through_policies), row)

    def _version(self, row: Row[Any]) -> PolicyVersion:
        threshold = self.second_officer_above
        policy = StraightThroughPolicy(
            enabled=row.enabled,
            max_amount=min(row.max_amount, threshold),
            second_officer_above=threshold,
            review_causes=frozenset(row.review_causes),
            require_verified_account=row.require_verified_account,
            account_unchanged_days=row.account_unchanged_days,
            shared_account_limit=row.shared_account_limit,
            amount_factor_pct=row.amount_factor_pct,
            block_on_risk=row.block_on_risk,
        )
        return PolicyVersion(row.district, row.version, policy, row.author, utc(row.published_at), row.reason)


@dataclass(frozen=True, slots=True)
class DecisionView:
    """The policy's decision on one claim of a case, for the console."""

    seq: int
    policy_district: str
    policy_version: int
    route: str
    reasons: tuple[str, ...]
    flags: tuple[str, ...]
    at: datetime


def case_decisions(engine: Engine, case_key: str) -> list[DecisionView]:
    """Every decision the policy made on the case's claims, oldest first."""
    d = case_policy_decisions.c
    query = (
        select(d.seq, d.policy_district, d.policy_version, d.route, d.reasons, d.flags, d.decided_at)
        .join(cases, cases.c.id == d.case_id)
        .where(cases.c.case_key == case_key)
        .order_by(d.seq)
    )
    with engine.connect() as connection:
        return [
            DecisionView(
                r.seq, r.policy_district, r.policy_version, r.route, tuple(r.reasons), tuple(r.flags),
                utc(r.decided_at),
            )
            for r in connection.execute(query)
        ]  # fmt: skip
