"""The audit chain in SQLite and PostgreSQL: append-only in the database, tampering found by verify."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from cartax.audit import AccessAction, AccessEntry, ChainKeys, ChainProblem, record_access, verify
from cartax.audit.adapters.sql import SqlAuditStore

T0 = datetime(2026, 8, 14, 9, 0, tzinfo=UTC)
KEYS = ChainKeys.from_secrets(b"audit-chain-key-for-tests-only-32b")


def make_entry(n: int) -> AccessEntry:
    return AccessEntry(
        actor="off_1a2b",
        actor_role="reviewer",
        at=T0 + timedelta(minutes=n, microseconds=7),
        source="10.0.0.7",
        action=AccessAction.REVEAL_PERSONAL_DATA,
        subject=f"owner:P11110-{n:07d}",
        person_ref=f"P11110-{n:07d}",
        reason="민원 접수 본인 확인",
    )


def write_chain(engine: Engine, length: int) -> None:
    for n in range(length):
        with Session(engine) as session:
            record_access(SqlAuditStore(session), KEYS, make_entry(n))
            session.commit()


def check(engine: Engine) -> tuple[ChainProblem | None, int | None, int]:
    with Session(engine) as session:
        report = verify(SqlAuditStore(session), KEYS)
    return report.problem, report.broken_seq, report.checked


def drop_guards(engine: Engine) -> None:
    """What an insider with the database owner's rights would do first."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_records_append_only ON audit_records"))
        else:
            connection.execute(text("DROP TRIGGER audit_records_no_update"))
            connection.execute(text("DROP TRIGGER audit_records_no_delete"))


def test_a_stored_chain_verifies(db_engine: Engine) -> None:
    write_chain(db_engine, 5)
    assert check(db_engine) == (None, None, 5)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_records SET reason = 'x' WHERE seq = 2", "DELETE FROM audit_records WHERE seq = 5"],
)
def test_the_database_refuses_changes(db_engine: Engine, statement: str) -> None:
    write_chain(db_engine, 5)
    with pytest.raises(DatabaseError, match="append-only"), db_engine.begin() as connection:
        connection.execute(text(statement))
    assert check(db_engine) == (None, None, 5)


def test_one_altered_row_is_found(db_engine: Engine) -> None:
    write_chain(db_engine, 6)
    drop_guards(db_engine)
    with db_engine.begin() as connection:
        connection.execute(text("UPDATE audit_records SET person_ref = 'P11110-0000099' WHERE seq = 4"))
    assert check(db_engine) == (ChainProblem.ALTERED, 4, 3)


def test_one_removed_row_is_found(db_engine: Engine) -> None:
    write_chain(db_engine, 6)
    drop_guards(db_engine)
    with db_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_records WHERE seq = 3"))
    assert check(db_engine) == (ChainProblem.REMOVED, 3, 2)


def test_a_shifted_timestamp_is_found(db_engine: Engine) -> None:
    write_chain(db_engine, 3)
    drop_guards(db_engine)
    with db_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_records SET at = :at WHERE seq = 2"),
            {"at": T0 + timedelta(minutes=1, microseconds=8)},
        )
    assert check(db_engine) == (ChainProblem.ALTERED, 2, 1)


def test_concurrent_writers_keep_one_gapless_chain(db_engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for n in range(offset, offset + 15):
                with Session(db_engine) as session:
                    record_access(SqlAuditStore(session), KEYS, make_entry(n))
                    session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(offset,)) for offset in (0, 100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert check(db_engine) == (None, None, 30)
