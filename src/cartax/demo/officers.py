"""The embedded demo's officers: two accounts of the demo district, so maker-checker can be tried.

Their password is printed at start (it is a demo); their second factor is a real TOTP secret, whose
current code ``cartax demo-code USERNAME`` prints — the demo stands in for the officer's phone. None of
this exists when the environment is production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import pyotp
import typer
from sqlalchemy import Engine

from cartax.bootstrap import Platform, bootstrap, pii_cipher
from cartax.identity.adapters.argon2_hasher import Argon2Hasher
from cartax.identity.adapters.sql import SqlIdentity
from cartax.identity.adapters.totp import PyotpCodes
from cartax.identity.model import Role
from cartax.identity.officers import add_officer, grant_role
from cartax.infra import SqlUnitOfWork, make_engine, session_factory
from cartax.settings import Environment

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed on purpose: the demo's shared password
DEMO_ACTOR = "system:demo"


@dataclass(frozen=True)
class DemoOfficer:
    username: str
    display_name: str
    roles: tuple[Role, ...]


DEMO_OFFICERS = (
    DemoOfficer("demo.reviewer", "김시연 주무관", (Role.REVIEWER, Role.APPROVER)),
    DemoOfficer("demo.approver", "박시연 팀장", (Role.APPROVER,)),
    DemoOfficer("demo.admin", "이시연 관리자", (Role.ADMIN,)),  # edits the straight-through policy
)


def add_demo_officers(
    platform: Platform, engine: Engine, district: str, say: Callable[[str], object]
) -> None:
    """Create the demo officers of ``district`` (once) and say how to sign in as them."""
    now = platform.clock()
    with SqlUnitOfWork(session_factory(engine), platform.clock) as uow:
        repos = SqlIdentity(uow.session, pii_cipher(platform.settings))
        for officer in DEMO_OFFICERS:
            if repos.officers.by_username(officer.username) is not None:
                continue
            created = add_officer(
                repos,
                Argon2Hasher(),
                PyotpCodes(),
                username=officer.username,
                display_name=officer.display_name,
                password=DEMO_PASSWORD,
                now=now,
            )
            for role in officer.roles:
                grant_role(
                    repos,
                    officer_id=created.officer.officer_id,
                    district=district,
                    role=role,
                    actor=DEMO_ACTOR,
                    reason="시연 계정 (demo account)",
                    now=now,
                )
        uow.commit()
    names = ", ".join(officer.username for officer in DEMO_OFFICERS)
    say(f"시연 담당자 계정 (demo officers): {names} / 비밀번호 (password) {DEMO_PASSWORD}")
    say("두 번째 인증 코드 (second factor): cartax demo-code USERNAME")


def current_code(platform: Platform, username: str, at: datetime) -> str:
    if platform.settings.environment is Environment.PRODUCTION:
        raise RuntimeError("demo codes are never shown in production")
    if username not in {officer.username for officer in DEMO_OFFICERS}:
        raise LookupError(
            f"{username!r} is not a demo officer; accepted: {', '.join(o.username for o in DEMO_OFFICERS)}"
        )
    engine = make_engine(platform.settings.effective_database_url)
    try:
        with SqlUnitOfWork(session_factory(engine), platform.clock) as uow:
            officer = SqlIdentity(uow.session, pii_cipher(platform.settings)).officers.by_username(username)
    finally:
        engine.dispose()
    if officer is None:
        raise LookupError(f"{username!r} does not exist yet; start the demo first with `make run`")
    return str(pyotp.TOTP(officer.totp_secret).at(at))


def register(app: typer.Typer) -> None:
    @app.command("demo-code")
    def demo_code(username: Annotated[str, typer.Argument(help="demo.reviewer or demo.approver")]) -> None:
        """Print a demo officer's current second-factor code (the demo stands in for their phone)."""
        platform = bootstrap()
        try:
            typer.echo(current_code(platform, username, platform.clock()))
        except (LookupError, RuntimeError) as error:
            typer.echo(f"오류: {error}", err=True)
            raise typer.Exit(2) from None
