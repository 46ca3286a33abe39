"""An incremental run reads only the stored rows its changes bear on, and finds what reading all finds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from cartax.detection import detect
from cartax.detection.incremental import restrict, scope_of
from cartax.detection.run import UNREAD
from cartax.infra import make_engine, session_factory
from cartax.infra.crypto import PiiCipher
from cartax.registry import scoped_feeds, stored_feeds
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feeds import read_feeds
from cartax.registry.ingest import ingest_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.rules import default_law

DECIDED = date(2026, 11, 20)
CIPHER = PiiCipher.from_secrets("test-pii-key", "test-index-key", [])


def test_the_scoped_read_finds_what_the_whole_registry_finds(migrated_db_url: str, tmp_path: Path) -> None:
    districts = select_districts(["11680"], nation_by_default=False)
    synthesize(SynthOptions(out=tmp_path, districts=districts, vehicles=3_000, seed=9))
    feeds = read_feeds(tmp_path)
    # Payments of the year before on every vehicle: a run of 2026 never reads them.
    earlier = feeds.payments.with_columns(
        pl.col("payment_id") + "-2025",
        pl.lit(2025, pl.Int64).alias("tax_year"),
        pl.col("paid_on").dt.offset_by("-1y"),
        pl.col("row") + feeds.payments.height,
    )
    feeds = replace(feeds, payments=pl.concat([feeds.payments, earlier]))
    engine = make_engine(migrated_db_url)
    clock = lambda: datetime(2026, 11, 20, 9, tzinfo=UTC)  # noqa: E731
    ingest_feeds(feeds, RegistryUnitOfWork(session_factory(engine), clock), CIPHER)
    transferred = feeds.registrations.filter(pl.col("event") == "transfer")["vehicle_id"].unique().sort()
    vehicles = transferred.head(40).to_list()
    owners = feeds.arrears["owner_id"].head(5).to_list()
    try:
        with engine.connect() as connection:
            everything = stored_feeds(connection)
            scoped = scoped_feeds(connection, 2026, vehicles, owners)
            unread = scoped_feeds(connection, 2026, vehicles, owners, drop=UNREAD)
    finally:
        engine.dispose()

    assert set(everything.payments["tax_year"]) == {2025, 2026}
    assert set(scoped.payments["tax_year"]) == {2026}
    # Only the owners' ids asked for: the same owners, numbered alike, without reading their table.
    assert unread.owners.equals(scoped.owners.select("row", "owner_id"))
    assert scoped.vehicles.height < everything.vehicles.height / 5, (
        "only the part the changes bear on is read"
    )
    wide, narrow = scope_of(everything, 2026, vehicles, owners), scope_of(scoped, 2026, vehicles, owners)
    assert narrow.equals(wide)
    assert wide.height > len(vehicles), "owners' other cars widen the scope"
    law = default_law()
    from_all = detect(restrict(everything, wide), 2026, DECIDED, law)
    from_scope = detect(restrict(scoped, narrow), 2026, DECIDED, law)
    assert from_all.records.height > 0
    assert from_scope.records.equals(from_all.records)
    assert from_scope.summary.cases_considered == from_all.summary.cases_considered
