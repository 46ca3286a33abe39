"""Portal test helpers: an owner known to the registry with a refund account, cases moved along."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import insert

from cartax.bootstrap import bootstrap, connect, pii_cipher
from cartax.cases import Actor, ApproveRefund, CaseState, RecordPayment, RecordReconciliation, case_status
from cartax.registry.adapters.tables import owners
from cartax.settings import Environment, Settings
from cartax.web import create_app
from web_factories import GENEROUS, NOW, REPO, World

ACCOUNT = "110-234-567890"
MASKED_ACCOUNT = "****-**-7890"


def register_owner(
    world: World, owner_id: str, *, bank: str | None = "신한은행", account: str = ACCOUNT
) -> None:
    """The registry's record of ``owner_id`` with (or without) a refund account, encrypted as ingest does."""
    cipher = pii_cipher(world.platform.settings)
    sealed = cipher.encrypt(account, f"registry_owners.refund_account_encrypted:{owner_id}") if bank else None
    with world.services.engine.begin() as connection:
        connection.execute(
            insert(owners).values(
                owner_id=owner_id,
                kind="person",
                name="김민준",
                district="11110",
                refund_bank=bank,
                refund_account_encrypted=sealed,
                refund_account_holder="김민준" if bank else None,
                pii_fingerprint="f" * 64,
                created_at=NOW,
                updated_at=NOW,
            )
        )


def pay_out(world: World, case_key: str) -> None:
    """Approve (unless straight-through processing did), pay and reconcile an accepted case, as an officer,
    payout and the bank would."""
    service = world.services.cases.service
    if case_status(world.services.cases.reader, case_key).state is CaseState.ACCEPTED:
        service.execute(ApproveRefund(case_key), Actor.officer("off-approver"), f"approve-{case_key}")
    service.execute(RecordPayment(case_key, f"T-{case_key}"), Actor.system("payout"), f"pay-{case_key}")
    service.execute(
        RecordReconciliation(case_key, f"B-{case_key}"), Actor.system("payout"), f"rec-{case_key}"
    )


def portal_world(data_dir: Path, public_url: str, cases: Sequence[tuple[str, str]]) -> World:
    """The platform on SQLite at ``public_url`` (the demo sign-in redirects there), with ``cases``
    ((case key, owner id), notified, each owner with a registered account) opened before the app is
    built, so the demo identity provider offers their owners."""
    settings = Settings(
        environment=Environment.TEST,
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'cartax.db'}",
        krds_dir=REPO / "node_modules" / "krds-uiux",
        public_url=public_url,
    )
    platform = bootstrap(settings, clock=lambda: NOW)
    services = connect(platform)
    world = World(platform, services, FastAPI())
    for case_key, owner_id in cases:
        world.open_case(case_key=case_key, owner_id=owner_id)
        register_owner(world, owner_id)
    services.close()
    world.services = connect(platform)
    world.app = create_app(platform, services=world.services, rate_limits=GENEROUS, relay_in_background=False)
    return world
