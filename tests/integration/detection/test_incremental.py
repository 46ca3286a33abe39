"""An incremental run after registry changes leaves exactly what a full run on the changed data leaves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, select

from cartax.detection import detect, store_run
from cartax.detection.adapters.tables import detected_cases
from cartax.detection.incremental import restrict, scope_of
from cartax.infra import SqlUnitOfWork, make_engine, session_factory, upgrade
from cartax.infra.outbox import list_events
from cartax.registry.feeds import Feeds, read_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.rules import default_law

DECIDED = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def stored(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(select(detected_cases.c.case_key, detected_cases.c.fingerprint)).all()
    return dict(rows)  # type: ignore[arg-type]


def store_full(engine: Engine, feeds: Feeds) -> None:
    result = detect(feeds, 2026, DECIDED, default_law())
    store_run(SqlUnitOfWork(session_factory(engine), lambda: NOW), result, default_law(), DECIDED, NOW)


def corrected(feeds: Feeds, vehicles: list[str]) -> Feeds:
    """The registry corrected: those vehicles' transfers of the year were registered ten days earlier."""
    this_year = (pl.col("date").dt.year() == 2026) & (pl.col("date").dt.ordinal_day() > 15)
    moved = pl.col("vehicle_id").is_in(vehicles) & (pl.col("event") == "transfer") & this_year
    earlier = pl.when(moved).then(pl.col("date") - timedelta(days=10)).otherwise(pl.col("date"))
    arrears = feeds.arrears.with_columns(
        pl.when(pl.int_range(pl.len()) < 5)
        .then(pl.col("amount") * 2)
        .otherwise(pl.col("amount"))
        .alias("amount")
    )
    return replace(
        feeds, registrations=feeds.registrations.with_columns(earlier.alias("date")), arrears=arrears
    )


def test_incremental_equals_full(tmp_path: Path, migrated_db_url: str) -> None:
    districts = select_districts(["11680"], nation_by_default=False)
    synthesize(SynthOptions(out=tmp_path / "feeds", districts=districts, vehicles=6_000, seed=5))
    before = read_feeds(tmp_path / "feeds")
    transferred = (
        before.registrations.filter((pl.col("event") == "transfer") & (pl.col("date").dt.year() == 2026))[
            "vehicle_id"
        ]
        .unique()
        .sort()
        .head(40)
        .to_list()
    )
    after = corrected(before, transferred)
    changed_owners = before.arrears.head(5)["owner_id"].to_list()

    incremental = make_engine(migrated_db_url)
    store_full(incremental, before)
    scope = scope_of(after, 2026, transferred, changed_owners)
    result = detect(restrict(after, scope), 2026, DECIDED, default_law())
    uow = SqlUnitOfWork(session_factory(incremental), lambda: NOW)
    run = store_run(uow, result, default_law(), DECIDED, NOW, mode="incremental", scope=scope)
    assert run.recomputed > 0

    full_url = f"sqlite:///{tmp_path / 'full.db'}"
    upgrade(full_url)
    full = make_engine(full_url)
    store_full(full, after)
    expected = stored(full)
    got = stored(incremental)
    # cases the change emptied are kept with an empty record; every case the full run has is identical
    assert {key: got[key] for key in expected} == expected
    emptied = set(got) - set(expected)
    recomputed = list_events(incremental, event_type="RefundRecomputed")
    assert all(e.payload["totals"]["refund"] == 0 for e in recomputed if e.payload["case_key"] in emptied)
    full.dispose()
    incremental.dispose()
