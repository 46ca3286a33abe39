"""`cartax detect --from-db [--incremental]`: on the ingested registry, then only on what changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cartax.detection.database import detect_in_database
from cartax.infra import make_engine, session_factory
from cartax.infra.crypto import PiiCipher
from cartax.infra.outbox import list_events
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feed_files import FEED_COLUMNS
from cartax.registry.feeds import read_feeds
from cartax.registry.ingest import ingest_feeds
from cartax.rules import default_law

DECIDED = date(2026, 8, 14)
CIPHER = PiiCipher.from_secrets("test-pii-key", "test-index-key", [])


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 8, 14, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def feeds(directory: Path, transfer_day: str, arrears: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    rows = {
        "vehicles": ["v1,12가3456,passenger,private,1999,,,,2025-03-10,2025",
                     "v2,34나5678,van,private,,small,,,2020-05-01,2020"],
        "registrations": ["e1,v1,new_registration,2025-03-10,o,,", f"e2,v1,transfer,{transfer_day},b,false,",
                          "e3,v2,new_registration,2020-05-01,o,,"],
        "owners": ["o,person,가상인,900101-1000000,,,,11110,,,", "b,person,가상인,,,,,11110,,,"],
        "payments": ["p1,v1,o,2026,prepay_jan,2026-01-25,381510,114460,11110,false",
                     "p2,v2,o,2026,june_lump,2026-06-20,63380,19010,11110,false"],
        "arrears": [f"o,11110,{arrears}"] if arrears else [],
    }  # fmt: skip
    for name, lines in rows.items():
        text = "\n".join([",".join(FEED_COLUMNS[name]), *lines]) + "\n"
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


def ingest(url: str, folder: Path, clock: Clock) -> None:
    engine = make_engine(url)
    try:
        ingest_feeds(read_feeds(folder), RegistryUnitOfWork(session_factory(engine), clock), CIPHER)
    finally:
        engine.dispose()


def test_full_then_incremental(migrated_db_url: str, tmp_path: Path) -> None:
    clock, law = Clock(), default_law()
    ingest(migrated_db_url, feeds(tmp_path / "a", "2026-07-01"), clock)
    full = detect_in_database(migrated_db_url, law, clock, 2026, DECIDED, incremental=False)
    assert (full.mode, full.stored.new) == ("full", 1)
    assert full.result.records["totals"].struct.field("refund").to_list() == [250040]

    again = detect_in_database(migrated_db_url, law, clock, 2026, DECIDED, incremental=True)
    assert again.mode == "incremental"
    assert (again.stored.new, again.stored.recomputed, again.result.summary.cases_considered) == (0, 0, 0)

    ingest(migrated_db_url, feeds(tmp_path / "b", "2026-06-01"), clock)  # the transfer date corrected
    corrected = detect_in_database(migrated_db_url, law, clock, 2026, DECIDED, incremental=True)
    assert (corrected.stored.new, corrected.stored.recomputed) == (0, 1)
    # Owner o has no arrears, so their van's case cannot move: only the corrected car's case is examined.
    assert corrected.result.summary.cases_considered == 1
    engine = make_engine(migrated_db_url)
    (event,) = list_events(engine, event_type="RefundRecomputed")
    engine.dispose()
    assert event.payload["previous_totals"]["refund"] == 250040


def test_an_owner_with_arrears_has_all_their_cases_recomputed(migrated_db_url: str, tmp_path: Path) -> None:
    clock, law = Clock(), default_law()
    ingest(migrated_db_url, feeds(tmp_path / "a", "2026-07-01", arrears=100_000), clock)
    full = detect_in_database(migrated_db_url, law, clock, 2026, DECIDED, incremental=False)
    assert full.result.records["totals"].struct.field("offset").to_list() == [100_000]

    ingest(migrated_db_url, feeds(tmp_path / "b", "2026-06-01", arrears=100_000), clock)
    corrected = detect_in_database(migrated_db_url, law, clock, 2026, DECIDED, incremental=True)
    # Offsets join an owner's cases in a district: the corrected car and the van are examined together.
    assert corrected.result.summary.cases_considered == 2
    assert corrected.stored.recomputed == 1
    everything = detect_in_database(migrated_db_url, law, clock, 2026, DECIDED, incremental=False)
    assert everything.stored.new == everything.stored.recomputed == 0  # the incremental run agreed
