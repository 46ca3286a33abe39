"""Detected cases are stored and announced once; a correction is an explicit recomputation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from cartax.detection.adapters.store import store_run
from cartax.detection.adapters.tables import detected_cases, detection_recomputations, detection_runs
from cartax.detection.run import detect
from cartax.infra import session_factory
from cartax.infra.outbox import list_events
from cartax.infra.uow import SqlUnitOfWork
from cartax.registry.feed_files import FEED_COLUMNS
from cartax.registry.feeds import read_feeds
from cartax.rules import default_law, evaluate

DECIDED = date(2026, 8, 14)
NOW = datetime(2026, 8, 14, 9, 0, tzinfo=UTC)
HEADER = {name: ",".join(FEED_COLUMNS[name]) for name in ("vehicles", "registrations", "owners", "payments")}


def feeds_with(directory: Path, transfer_day: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    rows = {
        "vehicles": ["v1,12가3456,passenger,private,1999,,,,2025-03-10,2025"],
        "registrations": ["e1,v1,new_registration,2025-03-10,o,,", f"e2,v1,transfer,{transfer_day},b,false,"],
        "owners": ["o,person,가상인,,,,,11110,,,", "b,person,가상인,,,,,11110,,,"],
        "payments": ["p1,v1,o,2026,prepay_jan,2026-01-25,381510,114460,11110,false"],
    }
    for name, header in HEADER.items():
        (directory / f"{name}.csv").write_text("\n".join([header, *rows[name]]) + "\n", encoding="utf-8")
    return directory


def run_and_store(engine: Engine, feeds: Path) -> tuple[int, int, int]:
    law = default_law()
    result = detect(read_feeds(feeds), 2026, DECIDED, law)
    stored = store_run(SqlUnitOfWork(session_factory(engine), lambda: NOW), result, law, DECIDED, NOW)
    return stored.new, stored.recomputed, stored.unchanged


def test_detect_store_redetect_and_correct(db_engine: Engine, tmp_path: Path) -> None:
    assert run_and_store(db_engine, feeds_with(tmp_path / "a", "2026-07-01")) == (1, 0, 0)
    assert run_and_store(db_engine, feeds_with(tmp_path / "a", "2026-07-01")) == (0, 0, 1)
    events = list_events(db_engine, event_type="RefundDetected")
    assert len(events) == 1
    assert events[0].payload["totals"] == {"refund": 250040, "interest": 930, "offset": 0, "payable": 250970}
    assert events[0].payload["owner_id"] == "o"

    # the registry is corrected: the transfer was registered on 1 June, not 1 July
    assert run_and_store(db_engine, feeds_with(tmp_path / "b", "2026-06-01")) == (0, 1, 0)
    (recomputed,) = list_events(db_engine, event_type="RefundRecomputed")
    assert recomputed.payload["previous_totals"]["refund"] == 250040
    assert recomputed.payload["totals"]["refund"] > 250040
    with db_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(detection_runs)).scalar_one() == 3
        assert (
            connection.execute(select(func.count()).select_from(detection_recomputations)).scalar_one() == 1
        )
        row = connection.execute(select(detected_cases)).one()
    assert row.refund == recomputed.payload["totals"]["refund"]
    assert row.first_run_id == 1
    assert row.last_run_id == 3


def test_a_stored_case_reproduces_its_figures_and_trace(db_engine: Engine, tmp_path: Path) -> None:
    run_and_store(db_engine, feeds_with(tmp_path / "a", "2026-07-01"))
    with db_engine.connect() as connection:
        row = connection.execute(select(detected_cases)).one()
    response = evaluate(json.loads(row.request), default_law(), DECIDED)
    assert response["refunds"] == json.loads(row.record)["refunds"]
    assert response["trace"]
    assert response["rules_version"] == row.rules_version


def test_a_case_that_no_longer_has_a_refund_is_recomputed_to_zero(db_engine: Engine, tmp_path: Path) -> None:
    run_and_store(db_engine, feeds_with(tmp_path / "a", "2026-07-01"))
    assert run_and_store(db_engine, feeds_with(tmp_path / "b", "2027-01-01")) == (0, 1, 0)
    (recomputed,) = list_events(db_engine, event_type="RefundRecomputed")
    assert recomputed.payload["totals"] == {"refund": 0, "interest": 0, "offset": 0, "payable": 0}
    assert recomputed.payload["refunds"] == []
    assert run_and_store(db_engine, feeds_with(tmp_path / "b", "2027-01-01")) == (0, 0, 0)


def test_the_database_keeps_a_stored_case_to_runs_that_exist(db_engine: Engine, tmp_path: Path) -> None:
    """Whatever the code does (foreign keys on SQLite, triggers over each statement on PostgreSQL)."""
    run_and_store(db_engine, feeds_with(tmp_path / "a", "2026-07-01"))
    with db_engine.connect() as connection:
        case = dict(connection.execute(select(detected_cases)).one()._mapping)
    orphan = {**case, "case_key": "0" * 20, "first_run_id": 1, "last_run_id": 99}
    for statement in (
        insert(detected_cases).values(orphan),
        update(detected_cases).values(last_run_id=99),
        delete(detection_runs),
        update(detection_runs).values(id=detection_runs.c.id + 100),
    ):
        with pytest.raises(DBAPIError), db_engine.begin() as connection:
            connection.execute(statement)
    with db_engine.begin() as connection:  # a run no case names may go; one a case names stays
        run = dict(connection.execute(select(detection_runs)).one()._mapping)
        connection.execute(insert(detection_runs).values({**run, "id": 7}))
        connection.execute(delete(detection_runs).where(detection_runs.c.id == 7))
        assert connection.execute(select(func.count()).select_from(detection_runs)).scalar_one() == 1
