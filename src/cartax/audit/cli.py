"""``cartax audit verify | anchor``: check the access-record chain, pin its head outside the database."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from cartax.audit.adapters.config import anchor_store, chain_keys
from cartax.audit.adapters.sql import SqlAuditStore
from cartax.audit.chain import ChainReport
from cartax.audit.errors import AuditError
from cartax.audit.log import take_anchor, verify
from cartax.bootstrap import bootstrap
from cartax.infra import make_engine


def _report_lines(report: ChainReport) -> list[str]:
    if report.intact:
        head = f"기록 {report.head.seq}, {report.head.hash[:16]}…" if report.head else "기록 없음 (empty)"
        return [f"감사 기록 이상 없음: {report.checked:,}건 검증 (chain intact; head: {head})"]
    return [
        f"감사 기록 손상: 기록 {report.broken_seq} ({report.problem}) — {report.detail}",
        f"(chain broken at record {report.broken_seq}: {report.problem}; "
        f"{report.checked:,} records before it verified)",
    ]


def register(app: typer.Typer) -> None:
    _register_audit(app)


def _register_audit(app: typer.Typer) -> None:
    audit = typer.Typer(help="감사 기록 (the tamper-evident access log).", no_args_is_help=True)
    app.add_typer(audit, name="audit")

    @audit.command("verify")
    def verify_command(
        use_anchors: Annotated[
            bool, typer.Option("--anchors/--no-anchors", help="also check the anchor file")
        ] = True,
    ) -> None:
        """Check every record; exit 0 when the chain is intact, 1 with the first broken record otherwise."""
        platform = bootstrap()
        engine = make_engine(platform.settings.effective_database_url)
        try:
            with Session(engine) as session:
                anchors = anchor_store(platform.settings) if use_anchors else None
                report = verify(SqlAuditStore(session), chain_keys(platform.settings), anchors)
        except AuditError as error:
            typer.echo(f"오류: {error}", err=True)
            raise typer.Exit(2) from None
        finally:
            engine.dispose()
        for line in _report_lines(report):
            typer.echo(line, err=not report.intact)
        if not report.intact:
            raise typer.Exit(1)

    @audit.command("anchor")
    def anchor_command() -> None:
        """Copy the chain's head (record number and hash) to the anchor file; run it daily from cron."""
        platform = bootstrap()
        engine = make_engine(platform.settings.effective_database_url)
        anchors = anchor_store(platform.settings)
        try:
            with Session(engine) as session:
                anchor = take_anchor(SqlAuditStore(session), anchors, platform.clock())
        finally:
            engine.dispose()
        if anchor is None:
            typer.echo("감사 기록이 아직 없습니다 (the chain is empty; nothing to anchor)")
            return
        typer.echo(f"기준점 기록: 기록 {anchor.seq}, {anchor.hash} → {anchors.path}")
