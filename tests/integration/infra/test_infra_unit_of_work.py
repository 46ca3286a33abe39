"""The unit of work: the change and its events are stored together on commit, and nothing otherwise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select

from cartax.infra import SqlUnitOfWork, list_events, mark_published, session_factory

NOW = datetime(2026, 8, 14, 9, 30, tzinfo=UTC)
probe_metadata = MetaData()
probe = Table(
    "uow_probe", probe_metadata, Column("id", Integer, primary_key=True), Column("note", String(20))
)


@dataclass(frozen=True)
class ProbeChanged:
    TYPE: ClassVar[str] = "ProbeChanged"
    probe_id: int
    on: date

    def payload(self) -> dict[str, Any]:
        return {"probe_id": self.probe_id, "on": self.on}


@dataclass(frozen=True)
class Unstorable:
    TYPE: ClassVar[str] = "Unstorable"

    def payload(self) -> dict[str, Any]:
        return {"what": object()}


@pytest.fixture
def engine(db_engine: Engine) -> Engine:
    probe_metadata.create_all(db_engine)
    return db_engine


def unit_of_work(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory(engine), lambda: NOW)


def probes(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(probe)).scalar_one()


def test_commit_stores_the_change_and_its_event(engine: Engine) -> None:
    with unit_of_work(engine) as uow:
        uow.connection.execute(insert(probe).values(id=1, note="a"))
        uow.emit(ProbeChanged(1, date(2026, 7, 1)))
        uow.commit()
    assert probes(engine) == 1
    [event] = list_events(engine)
    assert (event.type, event.payload, event.occurred_at) == (
        "ProbeChanged",
        {"probe_id": 1, "on": "2026-07-01"},
        NOW,
    )
    assert event.published_at is None
    assert len(event.event_id) == 36


def test_leaving_without_commit_rolls_back_the_change_and_the_event(engine: Engine) -> None:
    with unit_of_work(engine) as uow:
        uow.connection.execute(insert(probe).values(id=1, note="a"))
        uow.emit(ProbeChanged(1, date(2026, 7, 1)))
    assert probes(engine) == 0
    assert list_events(engine) == []


def change_then(engine: Engine, event: Any, finish: Callable[[SqlUnitOfWork], object]) -> None:
    with unit_of_work(engine) as uow:
        uow.connection.execute(insert(probe).values(id=1, note="a"))
        uow.emit(event)
        finish(uow)


def test_an_error_rolls_back(engine: Engine) -> None:
    with pytest.raises(ZeroDivisionError):
        change_then(engine, ProbeChanged(1, date(2026, 7, 1)), lambda _: 1 / 0)
    assert probes(engine) == 0
    assert list_events(engine) == []


def test_an_event_that_cannot_be_stored_stops_the_commit(engine: Engine) -> None:
    with pytest.raises(TypeError, match="no JSON form"):
        change_then(engine, Unstorable(), SqlUnitOfWork.commit)
    assert probes(engine) == 0
    assert list_events(engine) == []


def test_events_of_a_rolled_back_step_are_dropped(engine: Engine) -> None:
    with unit_of_work(engine) as uow:
        uow.emit(ProbeChanged(1, date(2026, 7, 1)))
        uow.rollback()
        uow.emit(ProbeChanged(2, date(2026, 7, 2)))
        uow.commit()
    assert [event.payload["probe_id"] for event in list_events(engine)] == [2]


def test_emit_outside_the_block_is_refused(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="inside a `with` block"):
        unit_of_work(engine).emit(ProbeChanged(1, date(2026, 7, 1)))


def test_listing_filters_and_publishing(engine: Engine) -> None:
    with unit_of_work(engine) as uow:
        for number in range(3):
            uow.emit(ProbeChanged(number, date(2026, 7, 1)))
        uow.commit()
    events = list_events(engine)
    assert [event.payload["probe_id"] for event in events] == [0, 1, 2]
    with engine.begin() as connection:
        mark_published(connection, [events[0].id], NOW)
    assert [event.payload["probe_id"] for event in list_events(engine, unpublished=True)] == [1, 2]
    assert [e.payload["probe_id"] for e in list_events(engine, after_id=events[1].id)] == [2]
    assert list_events(engine, event_type="Other") == []
    assert len(list_events(engine, limit=2)) == 2
