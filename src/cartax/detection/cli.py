"""``cartax detect``: find every refund case of a tax year in the feeds (contracts.md §2)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cartax.bootstrap import bootstrap
from cartax.detection.adapters.store import StoredRun, store_run
from cartax.detection.database import detect_in_database
from cartax.detection.errors import WorkerLostError
from cartax.detection.output import write_cases
from cartax.detection.run import ENGINES, STREAM_VEHICLES, RunResult, detect_feeds, summary_lines
from cartax.infra import SqlUnitOfWork, make_engine, session_factory, upgrade
from cartax.registry.errors import FeedError
from cartax.rules import default_law


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date; give it as YYYY-MM-DD, e.g. 2026-08-14") from None


def store_in_platform(result: RunResult, decision_on: date) -> StoredRun:
    """Keep a run's cases in the database the settings name, migrated to the head first."""
    platform = bootstrap()
    url = platform.settings.effective_database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        uow = SqlUnitOfWork(session_factory(engine), platform.clock)
        return store_run(uow, result, platform.law, decision_on, platform.clock())
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    @app.command()
    def detect(
        year: Annotated[int, typer.Option("--year", help="tax year to examine")],
        decision_date: Annotated[
            str, typer.Option("--decision-date", help="payment decision day (YYYY-MM-DD)")
        ],
        feeds: Annotated[
            Path | None, typer.Option("--feeds", help="directory with the feeds (CSV or Parquet)")
        ] = None,
        out: Annotated[Path | None, typer.Option("--out", help="case file to write")] = None,
        fmt: Annotated[str, typer.Option("--format", help="jsonl or parquet")] = "jsonl",
        engine: Annotated[
            str, typer.Option("--engine", help="vectorised (default) or scalar (case by case, the oracle)")
        ] = "vectorised",
        store: Annotated[
            bool,
            typer.Option(
                "--store/--no-store",
                help="also keep the cases in the platform database (CARTAX_DATABASE_URL) and announce them",
            ),
        ] = False,
        from_db: Annotated[
            bool,
            typer.Option("--from-db", help="read the registry from the platform database (after ingest)"),
        ] = False,
        incremental: Annotated[
            bool, typer.Option("--incremental", help="with --from-db: only what changed since the last run")
        ] = False,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers",
                min=1,
                help=f"processes for a --feeds run in partitions (a Parquet vehicles feed of more than "
                f"{STREAM_VEHICLES:,} vehicles; default: one per core)",
            ),
        ] = None,
    ) -> None:
        """Find every owner × vehicle × year owed a refund; rejects go to rejects.csv beside the output."""
        law = default_law()
        if not law.rule_set.covers(year):
            first, last = law.rule_set.first_year, law.rule_set.last_year
            raise typer.BadParameter(
                f"tax year {year} is not covered; accepted: {first} to {last}", param_hint="--year"
            )
        if fmt not in ("jsonl", "parquet"):
            raise typer.BadParameter(
                f"{fmt!r} is not accepted; accepted: jsonl, parquet", param_hint="--format"
            )
        if engine not in ENGINES:
            accepted = ", ".join(ENGINES)
            raise typer.BadParameter(
                f"{engine!r} is not accepted; accepted: {accepted}", param_hint="--engine"
            )
        decided = _date(decision_date)
        if from_db:
            if feeds is not None:
                message = "give either --feeds DIR or --from-db, not both"
                raise typer.BadParameter(message, param_hint="--feeds")
            if workers is not None:
                message = "--workers applies to a --feeds run only; leave it out with --from-db"
                raise typer.BadParameter(message, param_hint="--workers")
            _from_database(year, decided, incremental, out, fmt)
            return
        if feeds is None or out is None or incremental:
            raise typer.BadParameter(
                "give --feeds DIR and --out FILE, or --from-db (with --incremental for only what changed)"
            )
        try:
            result = detect_feeds(feeds, year, decided, out, fmt, law, ENGINES[engine], workers=workers)
        except FeedError as error:
            typer.echo(f"오류: {error.message}", err=True)
            raise typer.Exit(2) from None
        except WorkerLostError as error:
            typer.echo(f"오류: 탐지 작업 프로세스가 결과 없이 끝나 실행을 중단했습니다 ({error})", err=True)
            raise typer.Exit(1) from None
        for line in summary_lines(result.summary):
            typer.echo(line, err=True)
        if store:
            _echo_stored(store_in_platform(result, decided))


def _from_database(year: int, decided: date, incremental: bool, out: Path | None, fmt: str) -> None:
    platform = bootstrap()
    url = platform.settings.effective_database_url
    run = detect_in_database(url, platform.law, platform.clock, year, decided, incremental=incremental)
    if out is not None:
        write_cases(run.result.records, out, fmt)
    for line in summary_lines(run.result.summary):
        typer.echo(line, err=True)
    if run.mode == "incremental" and run.since is not None:
        typer.echo(f"  증분 실행: {run.since.isoformat(timespec='seconds')} 이후 변경분", err=True)
    _echo_stored(run.stored)


def _echo_stored(stored: StoredRun) -> None:
    counts = f"새 사건 {stored.new:,}건, 재계산 {stored.recomputed:,}건, 변동 없음 {stored.unchanged:,}건"
    typer.echo(f"  저장: {counts} (실행 번호 {stored.run_id})", err=True)
