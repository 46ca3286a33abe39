"""Set-based work on both databases: a temporary table filled from a Polars frame (``COPY`` on
PostgreSQL, the driver's ``executemany`` on SQLite) and the SQL that lets the database itself write
outbox rows (a JSON payload, a random event id), so that a million results are booked by a handful of
statements instead of a million round trips.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Date, DateTime, bindparam, text
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeEngine

from cartax.infra.bulk import copy_in

_SLICE = 100_000


def is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def for_bulk(connection: Connection) -> None:
    """Settings of this transaction for statements over up to a million rows (PostgreSQL): memory to
    hash and sort them without spilling to disk, and no JIT compilation, which costs more than it saves
    on statements that mostly write rows (their estimated costs are high enough to trigger it, with
    optimisation and inlining, up to half a second per statement)."""
    if is_postgres(connection):
        connection.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        connection.exec_driver_sql("SET LOCAL jit = off")


def create_temporary(connection: Connection, name: str, columns: Mapping[str, str]) -> None:
    """A temporary table of this transaction (dropped at commit on PostgreSQL; by :func:`drop_temporary`
    on SQLite, whose temporary tables live as long as the connection)."""
    body = ", ".join(f"{column} {kind}" for column, kind in columns.items())
    if is_postgres(connection):
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({body}) ON COMMIT DROP")
    else:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({body})")


def drop_temporary(connection: Connection, *names: str) -> None:
    if not is_postgres(connection):
        for name in names:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")


def fill(connection: Connection, name: str, frame: pl.DataFrame) -> None:
    """Append ``frame``'s rows (its columns named as the table's) to table ``name``."""
    if frame.is_empty():
        return
    if is_postgres(connection):
        copy_in(connection, name, frame)
        return
    columns = ", ".join(frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    for part in frame.iter_slices(_SLICE):
        insert = f"INSERT INTO {name} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608 - our own table and columns
        connection.exec_driver_sql(insert, part.rows())


def analyze(connection: Connection, name: str) -> None:
    """Give PostgreSQL's planner the statistics of a temporary table just filled (autovacuum never
    looks at temporary tables)."""
    if is_postgres(connection):
        connection.exec_driver_sql(f"ANALYZE {name}")


def json_object(connection: Connection, pairs: Sequence[tuple[str, str]]) -> str:
    """SQL building a JSON object from ``(key, SQL expression)`` pairs, keys in this order."""
    function = "jsonb_build_object" if is_postgres(connection) else "json_object"
    arguments = ", ".join(f"'{key}', {value}" for key, value in pairs)
    return f"{function}({arguments})"


def text_parameter(connection: Connection, name: str) -> str:
    """A bound text parameter inside a JSON builder (PostgreSQL must be told its type)."""
    return f"CAST(:{name} AS TEXT)" if is_postgres(connection) else f":{name}"


def ordered_uuid(connection: Connection, place: str) -> str:
    """SQL making, per row, a version 7 UUID as text (RFC 9562): this moment's milliseconds, the row's
    ``place`` in the statement (an SQL integer below 2**24, as the method with a counter) and 48 random
    bits. The ids one statement makes increase with ``place``, so a unique index takes a million of
    them at its end instead of all over (random version 4 ids cost a page visit each)."""
    millis = f"{time.time_ns() // 1_000_000:012x}"
    if is_postgres(connection):
        counter = f"lpad(to_hex(({place}) % 16777216), 6, '0')"
        tail = "lpad(to_hex(floor(random() * 281474976710656)::bigint), 12, '0')"
    else:
        counter = f"printf('%06x', ({place}) % 16777216)"
        tail = "lower(hex(randomblob(6)))"
    return (
        f"('{millis[:8]}-{millis[8:]}-7' || substr({counter}, 1, 3) || '-8' || substr({counter}, 4, 3) "
        f"|| '-' || {tail})"
    )


_MOMENTS: dict[str, TypeEngine[Any]] = {"now": DateTime(timezone=True), "day": Date()}


def statement(sql_text: str) -> TextClause:
    """A textual statement whose ``:now`` (a moment) and ``:day`` (a date), where it has them, are bound
    as SQLAlchemy stores those types (SQLite keeps them as text in its own layout)."""
    used = set(re.findall(r"(?<!:):([a-z_]+)\b", sql_text))
    return text(sql_text).bindparams(
        *(bindparam(name, type_=kind) for name, kind in _MOMENTS.items() if name in used)
    )
