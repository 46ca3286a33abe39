"""Bulk reads and writes (cartax.infra.bulk) give back exactly what was written, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, MetaData, String, Table, select

from cartax.infra import bulk, make_engine, session_factory
from cartax.infra.bulk import insert_frame, key_table, read_frame
from cartax.infra.outbox import EncodedEvents, list_events, ordered_event_ids, outbox
from cartax.infra.uow import SqlUnitOfWork

metadata = MetaData()
things = Table(
    "bulk_things",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("owner", String(16), nullable=False),
    Column("note", String(40), nullable=True),
    Column("on_day", Date, nullable=True),
    Column("flag", Boolean, nullable=True),
    Column("amount", BigInteger, nullable=False),
    Column("at", DateTime(timezone=True), nullable=True),
)
SCHEMA = {"id": pl.String(), "owner": pl.String(), "note": pl.String(), "on_day": pl.Date(),
          "flag": pl.Boolean(), "amount": pl.Int64()}  # fmt: skip
ROWS = pl.DataFrame(
    {
        "id": ["a", "b", "c", "d"],
        "owner": ["o1", "o1", "o2", "o3"],
        "note": ['쉼표, 그리고 "따옴표"', "", None, "줄\n바꿈"],
        "on_day": [date(2026, 1, 31), None, date(2026, 12, 1), date(2025, 2, 28)],
        "flag": [True, False, None, True],
        "amount": [250_040, 0, -1, 9_000_000_000],
    },
    schema=SCHEMA,
)


def test_a_frame_written_in_bulk_reads_back_the_same(migrated_db_url: str) -> None:
    engine = make_engine(migrated_db_url)
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            insert_frame(connection, things, ROWS)
            back = read_frame(
                connection, select(*(things.c[name] for name in SCHEMA)).order_by(things.c.id), SCHEMA
            )
            assert back.equals(ROWS)
            with key_table(connection, ["o1", "o3", "nobody", "o1"]) as owners:
                found = owners.rows(things, SCHEMA, "owner").sort("id")
                assert found["id"].to_list() == ["a", "b", "d"]
                assert found.equals(ROWS.filter(pl.col("owner") != "o2"))
                with key_table(connection, ["b"]) as wanted, key_table(connection) as widened:
                    # the owners of the wanted rows, then every row of theirs with an amount of 0 only
                    widened.add_joined(wanted, things, "owner", "id")
                    assert sorted(widened.rows(things, {"id": pl.String()}, "owner")["id"]) == ["a", "b"]
                    assert widened.rows(things, {"id": pl.String()}, "owner", amount=0)["id"].to_list() == [
                        "b"
                    ]
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_reads_by_key_come_in_slices_and_an_empty_read_keeps_its_types(
    migrated_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "_SLICE", 2)  # SQLite reads the keys' rows two keys at a time
    engine = make_engine(migrated_db_url)
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            insert_frame(connection, things, ROWS)
            with key_table(connection, ["o3", "nobody"]) as owners:
                owners.add(pl.Series(["o2", "o3", None, "o1", "x", "o2"]))  # some known, one missing
                assert sorted(owners.keys().to_list()) == ["nobody", "o1", "o2", "o3", "x"]
                assert owners.rows(things, SCHEMA, "owner").sort("id").equals(ROWS)
            for keys in (["nobody"], []):
                with key_table(connection, keys) as nobody:
                    empty = nobody.rows(things, SCHEMA, "owner")
                    assert empty.is_empty()
                    assert empty.schema == pl.Schema(SCHEMA)
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_event_ids_made_in_bulk_are_ordered_version_7_uuids() -> None:
    ids = ordered_event_ids(50_000).to_list()
    assert ids == sorted(ids)
    assert len(set(ids)) == 50_000
    assert {uuid.UUID(value).version for value in ids} == {7}
    assert {uuid.UUID(value).variant for value in ids} == {uuid.RFC_4122}
    assert all(str(uuid.UUID(value)) == value for value in ids[:100])
    assert ordered_event_ids(0).len() == 0


def test_encoded_events_reach_the_outbox_in_order_with_single_ones(migrated_db_url: str) -> None:
    engine = make_engine(migrated_db_url)

    class Single:
        TYPE = "Single"

        def payload(self) -> dict[str, object]:
            return {"n": 0}

    try:
        uow = SqlUnitOfWork(session_factory(engine), lambda: datetime(2026, 8, 14, tzinfo=UTC))
        with uow:
            uow.emit(Single())
            uow.emit_encoded(EncodedEvents("Many", pl.Series(['{"n":1,"이름":"가"}', '{"n":2}'])))
            uow.emit(Single())
            uow.commit()
        stored = list_events(engine)
        assert [(event.type, event.payload) for event in stored] == [
            ("Single", {"n": 0}),
            ("Many", {"n": 1, "이름": "가"}),
            ("Many", {"n": 2}),
            ("Single", {"n": 0}),
        ]
        assert len({event.event_id for event in stored}) == 4
        assert all(event.occurred_at == datetime(2026, 8, 14, tzinfo=UTC) for event in stored)
        with engine.connect() as connection:
            assert connection.execute(select(outbox.c.id)).all()
    finally:
        engine.dispose()
