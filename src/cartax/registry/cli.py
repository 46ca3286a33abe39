"""``cartax ingest``: load the registry feeds (contracts.md §2) into the platform's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from cartax.bootstrap import bootstrap, pii_cipher
from cartax.infra import make_engine, session_factory, upgrade
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.errors import FeedError
from cartax.registry.feeds import read_feeds, write_rejects
from cartax.registry.ingest import IngestReport, ingest_feeds

HEADINGS = ("피드 feed", "읽음 read", "추가 inserted", "수정 updated", "변동 없음 unchanged", "거부 rejected")


def summary_lines(report: IngestReport, rejects: Path) -> Iterator[str]:
    yield f"피드 적재 완료 (ingest #{report.ingest_id}, {report.seconds:.2f}초)"
    widths = [max(len(h), 14) for h in HEADINGS]
    yield "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(HEADINGS, widths, strict=True))
    )
    for name, c in report.counts.items():
        cells = (name, *(f"{n:,}" for n in (c.read, c.inserted, c.updated, c.unchanged, c.rejected)))
        yield "  ".join(
            v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(cells, widths, strict=True))
        )
    if report.holdings:
        yield f"보유 기간 {report.holdings:,}건을 등록 이력에서 다시 도출했습니다 (holdings derived again)."
    if report.rejected:
        yield f"거부된 행 {report.rejected:,}건은 {rejects} 에 있습니다 (feed,row,reason_code,reason)."
    if not report.inserted and not report.updated:
        yield "변경된 내용이 없습니다 (nothing new or changed)."


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        feeds: Annotated[Path, typer.Option("--feeds", help="directory with the feeds (CSV or Parquet)")],
        rejects: Annotated[
            Path | None,
            typer.Option("--rejects", help="where to write the rejected rows (default: DIR/rejects.csv)"),
        ] = None,
    ) -> None:
        """Load the feeds into the database (CARTAX_DATABASE_URL, else the embedded SQLite file).

        Idempotent: the same files twice change nothing; a corrected row is updated and the change
        recorded. Rejected rows go to the rejects file; a file that is not a feed stops the load (exit 2).
        """
        platform = bootstrap()
        settings = platform.settings
        try:
            validated = read_feeds(feeds)
        except FeedError as error:
            typer.echo(f"오류: {error.message}", err=True)
            raise typer.Exit(2) from None
        rejects_path = rejects or feeds / "rejects.csv"
        write_rejects(validated.rejects, rejects_path)
        url = settings.effective_database_url
        upgrade(url)
        engine = make_engine(url)
        cipher = pii_cipher(settings)
        try:
            report = ingest_feeds(
                validated, RegistryUnitOfWork(session_factory(engine), platform.clock), cipher
            )
        finally:
            engine.dispose()
        for line in summary_lines(report, rejects_path):
            typer.echo(line)
