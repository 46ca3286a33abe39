"""``cartax officers add | grant | revoke | unlock | list | history``: officer accounts from the shell.

A password is never a command-line argument (it would sit in the shell history and the process list): it
is read from a hidden prompt, or from ``CARTAX_OFFICER_PASSWORD`` for scripted set-ups.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer

from cartax.bootstrap import Platform, bootstrap, pii_cipher
from cartax.identity.adapters.argon2_hasher import Argon2Hasher
from cartax.identity.adapters.sql import SqlIdentity
from cartax.identity.adapters.totp import PyotpCodes
from cartax.identity.errors import AccountError
from cartax.identity.model import Officer, Role, current_roles
from cartax.identity.officers import add_officer, grant_role, revoke_role, unlock_officer
from cartax.infra import SqlUnitOfWork, make_engine, session_factory

PASSWORD_ENV = "CARTAX_OFFICER_PASSWORD"  # noqa: S105 - the name of a variable, not a password
T = TypeVar("T")
RoleOption = Annotated[Role, typer.Option("--role", help="viewer, reviewer, approver or admin")]
DistrictOption = Annotated[str, typer.Option("--district", help="5-digit 시군구 code, e.g. 11110")]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="why (order or ticket number); kept with the history")
]
ActorOption = Annotated[str, typer.Option("--by", help="who authorises this (your officer user name)")]


@contextmanager
def _repos(platform: Platform) -> Iterator[SqlIdentity]:
    engine = make_engine(platform.settings.effective_database_url)
    try:
        with SqlUnitOfWork(session_factory(engine), platform.clock) as uow:
            yield SqlIdentity(uow.session, pii_cipher(platform.settings))
            uow.commit()
    finally:
        engine.dispose()


def _run(action: Callable[[SqlIdentity, Platform], T]) -> T:
    platform = bootstrap()
    try:
        with _repos(platform) as repos:
            return action(repos, platform)
    except AccountError as error:
        typer.echo(f"오류: {error}", err=True)
        raise typer.Exit(2) from None


def _officer(repos: SqlIdentity, username: str) -> Officer:
    officer = repos.officers.by_username(username)
    if officer is None:
        raise AccountError(f"there is no officer with the user name {username!r}; see `cartax officers list`")
    return officer


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    return str(typer.prompt("비밀번호 (password, 12+ characters)", hide_input=True, confirmation_prompt=True))


def register(app: typer.Typer) -> None:
    officers = typer.Typer(help="담당자 계정과 권한 (officer accounts and roles).", no_args_is_help=True)
    app.add_typer(officers, name="officers")

    @officers.command("add")
    def add(
        username: Annotated[str, typer.Argument(help="user name: lower-case letters, digits, . _ -")],
        name: Annotated[str, typer.Option("--name", help="display name, e.g. 김담당")],
    ) -> None:
        """Create an account; prints the TOTP enrolment URI once, for the officer's authenticator app."""
        password = _password()
        new = _run(
            lambda repos, p: add_officer(
                repos,
                Argon2Hasher(),
                PyotpCodes(),
                username=username,
                display_name=name,
                password=password,
                now=p.clock(),
            )
        )
        typer.echo(f"담당자 계정을 만들었습니다: {new.officer.username} ({new.officer.officer_id})")
        typer.echo("인증 앱에 아래 주소를 QR 코드로 등록하십시오. 다시 표시되지 않습니다.")
        typer.echo(new.totp_uri)

    @officers.command("grant")
    def grant(
        username: str, role: RoleOption, district: DistrictOption, reason: ReasonOption, by: ActorOption
    ) -> None:
        """Grant ROLE in DISTRICT; the grant, who gave it and why are kept for good."""
        row = _run(
            lambda repos, p: grant_role(
                repos,
                officer_id=_officer(repos, username).officer_id,
                district=district,
                role=role,
                actor=_officer(repos, by).officer_id,
                reason=reason,
                now=p.clock(),
            )
        )
        typer.echo(f"권한 부여: {username} {row.role} @ {row.district} ({row.grant_id})")

    @officers.command("revoke")
    def revoke(
        username: str, role: RoleOption, district: DistrictOption, reason: ReasonOption, by: ActorOption
    ) -> None:
        """Revoke ROLE in DISTRICT (a new history row); the officer's sessions end at once."""
        row = _run(
            lambda repos, p: revoke_role(
                repos,
                officer_id=_officer(repos, username).officer_id,
                district=district,
                role=role,
                actor=_officer(repos, by).officer_id,
                reason=reason,
                now=p.clock(),
            )
        )
        typer.echo(f"권한 회수: {username} {row.role} @ {row.district} ({row.grant_id})")

    @officers.command("unlock")
    def unlock(username: str) -> None:
        """Lift the lock-out after repeated failed sign-ins."""
        _run(
            lambda repos, p: unlock_officer(
                repos, officer_id=_officer(repos, username).officer_id, now=p.clock()
            )
        )
        typer.echo(f"잠금 해제: {username}")

    @officers.command("list")
    def list_officers() -> None:
        """Every officer with the roles in force and whether the account is locked."""

        def lines(repos: SqlIdentity, _: Platform) -> list[str]:
            out = []
            for officer in repos.officers.all():
                roles = sorted(
                    f"{role}@{district}"
                    for district, role in current_roles(repos.grants.for_officer(officer.officer_id))
                )
                state = "잠김" if officer.locked else ("비활성" if not officer.active else "사용")
                out.append(f"{officer.username}\t{officer.display_name}\t{state}\t{', '.join(roles) or '-'}")
            return out

        for line in _run(lines):
            typer.echo(line)

    @officers.command("history")
    def history(username: str) -> None:
        """The officer's whole grant history, oldest first."""
        rows = _run(lambda repos, _: repos.grants.for_officer(_officer(repos, username).officer_id))
        for row in rows:
            typer.echo(
                f"{row.at.isoformat()}\t{row.action}\t{row.role}@{row.district}\tby {row.actor}\t{row.reason}"
            )
