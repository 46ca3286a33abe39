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
from cartax.bootstrap import bootstrap, pii_cipher
from cartax.infra import make_engine
from cartax.infra.crypto import VERSION, DecryptionError
from cartax.infra.rotation import encrypted_columns, rotate_column


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
    _register_keys(app)


def _register_keys(app: typer.Typer) -> None:
    keys = typer.Typer(
        help="개인정보 암호화 키 (keys that encrypt personal data at rest).", no_args_is_help=True
    )
    app.add_typer(keys, name="keys")

    @keys.command("rotate")
    def rotate_command(
        batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="rows per short transaction")] = 500,
    ) -> None:
        """Re-encrypt every encrypted column under CARTAX_PII_KEY, keeping CARTAX_PII_OLD_KEYS for reading.

        Safe while the platform serves, idempotent, and resumable: run it again after an interruption.
        Remove a retired key from CARTAX_PII_OLD_KEYS only after a run that rotated nothing more.
        """
        settings = bootstrap().settings
        cipher = pii_cipher(settings)
        prefix = f"{VERSION}.{cipher.key_id}."
        engine = make_engine(settings.effective_database_url)
        try:
            for target in encrypted_columns():
                report = rotate_column(engine, cipher, prefix, target, batch_size=batch_size)
                typer.echo(
                    f"{report.column}: {report.rotated:,}건 재암호화, {report.skipped:,}건 동시 변경 "
                    f"(re-encrypted under key {cipher.key_id})"
                )
        except DecryptionError as error:
            typer.echo(f"오류: {error}", err=True)
            raise typer.Exit(2) from None
        finally:
            engine.dispose()


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
