"""The embedded demo's straight-through policy: the demo district's administrator (``demo.admin``)
publishes version 1, so the policy page shows a version with its author and reason, and every claim
the demo's citizens make is decided under it (and records it).

Version 1 keeps the settings' limits and adds the vehicle-tax risk flag at 150%; it waits no days after
an account change, because the demo's people register their accounts when the demo starts. Idempotent:
a district that has published a version keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from cartax.bootstrap import Platform, pii_cipher
from cartax.cases import CasesSettings
from cartax.cases.adapters.policies import SqlPolicyStore
from cartax.cases.processing import Processing
from cartax.identity.adapters.sql import SqlIdentity
from cartax.infra import SqlUnitOfWork, session_factory

DEMO_ADMIN = "demo.admin"
REASON = "시연 구청의 자동 처리 기준: 50만 원 이하, 위험 신호가 없는 신청은 자동 승인 (demo policy)"


def publish_demo_policy(
    platform: Platform, engine: Engine, district: str, say: Callable[[str], object]
) -> None:
    settings = CasesSettings()
    policy = settings.policy()
    processing = Processing(policy, SqlPolicyStore(engine, policy.second_officer_above))
    if processing.policy_of(district).version:
        return
    with SqlUnitOfWork(session_factory(engine), platform.clock) as uow:
        admin = SqlIdentity(uow.session, pii_cipher(platform.settings)).officers.by_username(DEMO_ADMIN)
    if admin is None:
        return
    changes = {"max_amount": policy.max_amount, "amount_factor_pct": 150, "block_on_risk": True}
    version = processing.publish(district, changes, admin.officer_id, REASON, 0, platform.clock())
    say(f"자동 처리 기준 제{version.version}판 (straight-through policy v{version.version}): /console/policy")
