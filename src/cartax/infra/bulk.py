"""Bulk reads and writes between a table and a Polars frame, on the caller's connection and transaction.

Writes go through ``COPY … FROM STDIN (FORMAT csv)`` on PostgreSQL, with the CSV written by Polars, and
through the driver's ``executemany`` on SQLite, with values already in SQLAlchemy's SQLite storage forms
(ISO dates, ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC moments, 0/1 booleans), so that no per-row Python conversion
runs. Reads come back as whole columns: ``COPY (SELECT …) TO STDOUT`` read by Polars on PostgreSQL, the
driver's own rows on SQLite (reads by key: each column as one JSON array built by SQLite and decoded by
Polars), typed column by column afterwards.

Reads by key go through a :class:`KeyTable`: the keys are written into a temporary table and joined on the
server, the small table leading (``CROSS JOIN`` fixes SQLite's join order; PostgreSQL plans it freely), so a
read of 50,000 keys is one query through the index instead of lists of ``IN`` parameters.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import polars as pl
from psycopg import sql
from sqlalchemy import Connection, Select, Table, insert

SQLITE_MOMENT = "%Y-%m-%d %H:%M:%S%.6f"
_CHUNK = 100_000
_SLICE = 100_000
"""Keys per query when a key table's rows are read on SQLite (each column comes as one JSON text)."""


def is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def insert_frame(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Insert every row of ``frame`` (columns named as ``table``'s) into ``table``."""
    if frame.is_empty():
        return
    if is_sqlite(connection):
        _executemany(connection, table, frame)
    else:
        copy_in(connection, table.name, frame)


def read_frame(
    connection: Connection, statement: Select[Any] | str, schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """The rows of ``statement`` (its columns in ``schema``'s order), typed as ``schema`` says.

    A textual statement is run as it is; it must not take parameters (its literals are the caller's own).
    """
    if is_sqlite(connection):
        if isinstance(statement, str):
            rows = connection.exec_driver_sql(statement).cursor.fetchall()
        else:
            compiled = statement.compile(dialect=connection.dialect)
            arguments = tuple(compiled.params[name] for name in compiled.positiontup or ())
            rows = connection.exec_driver_sql(str(compiled), arguments).cursor.fetchall()
        raw = {name: _sqlite_raw(dtype) for name, dtype in schema.items()}
        frame = pl.DataFrame(rows, schema=raw, orient="row")
    else:
        query = statement if isinstance(statement, str) else _literal(connection, statement)
        raw = {name: _csv_raw(dtype) for name, dtype in schema.items()}
        frame = pl.read_csv(_copy_out(connection, query), schema=raw, has_header=False)
    return _typed_frame(frame, schema, raw)


def _typed_frame(
    frame: pl.DataFrame, schema: Mapping[str, pl.DataType], raw: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    return frame.with_columns(
        _typed(name, dtype, raw[name]) for name, dtype in schema.items() if raw[name] != dtype
    )


class KeyTable:
    """A temporary table of distinct text keys (``id``), for joins on the server; see :func:`key_table`."""

    def __init__(self, connection: Connection, name: str) -> None:
        self.connection = connection
        self.name = name
        self._empty = True

    def add(self, keys: Iterable[str] | pl.Series) -> None:
        """Add ``keys`` not already in the table."""
        new = pl.Series("id", keys, dtype=pl.String).drop_nulls().unique()
        if new.is_empty():
            return
        if is_sqlite(self.connection):
            # One JSON array that SQLite takes apart, not a bound parameter (and a Python tuple) per key.
            each = "SELECT value FROM json_each(?) WHERE true"  # WHERE: so ON CONFLICT parses after a SELECT
            statement = f"INSERT INTO {self.name} (id) {each} ON CONFLICT DO NOTHING"
            self.connection.exec_driver_sql(statement, (orjson.dumps(new.to_list()).decode(),))
        elif self._empty:
            copy_in(self.connection, self.name, new.to_frame())
        else:
            statement = f"INSERT INTO {self.name} (id) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING"  # nosec B608
            self.connection.exec_driver_sql(statement, (new.to_list(),))
        self._settled()

    def _settled(self) -> None:
        self._empty = False
        if not is_sqlite(self.connection):
            # Temporary tables are never analysed automatically: give the planner their size.
            self.connection.exec_driver_sql(f"ANALYZE {self.name}")

    def add_joined(self, source: KeyTable, table: Table, column: str, on: str, **equal: int) -> None:
        """Add the distinct ``table.column`` of the rows whose ``on`` is a key of ``source`` (and whose
        ``equal`` columns equal their values): one step of widening a scope, on the server."""
        joined = source._joined(table, [column], on, equal, distinct=True)
        found = f"SELECT * FROM ({joined}) AS found EXCEPT SELECT id FROM {self.name}"  # noqa: S608  # nosec B608
        self.connection.exec_driver_sql(f"INSERT INTO {self.name} (id) {found}")
        self._settled()

    def keys(self) -> pl.Series:
        """The keys held, in no particular order."""
        return read_frame(self.connection, f"SELECT id FROM {self.name}", {"id": pl.String()})["id"]  # noqa: S608  # nosec B608

    def rows(self, table: Table, schema: Mapping[str, pl.DataType], on: str, **equal: int) -> pl.DataFrame:
        """The rows of ``table`` whose ``on`` is a key here: ``schema``'s columns, typed."""
        if not is_sqlite(self.connection):
            return read_frame(self.connection, self._joined(table, list(schema), on, equal), schema)
        # SQLite hands rows to Python one value at a time, an object each. Here it builds each column as
        # one JSON array instead, for one slice of the keys at a time, and Polars decodes the arrays: the
        # same values in about half the time.
        quote = self.connection.dialect.identifier_preparer.quote
        arrays = ", ".join(f"json_group_array(x.{quote(table.c[name].name)})" for name in schema)
        statement = f"SELECT {arrays} {self._source(table, on, equal)} AND k.rowid > ? AND k.rowid <= ?"
        last = self.connection.exec_driver_sql(f"SELECT max(rowid) FROM {self.name}").scalar() or 0  # noqa: S608  # nosec B608
        raw = {name: _sqlite_raw(dtype) for name, dtype in schema.items()}
        parts = [
            _decoded(self.connection.exec_driver_sql(statement, (first, first + _SLICE)).one(), raw)
            for first in range(0, int(last), _SLICE)
        ]
        return _typed_frame(pl.concat(parts) if parts else pl.DataFrame(schema=raw), schema, raw)

    def _joined(
        self,
        table: Table,
        columns: Sequence[str],
        on: str,
        equal: Mapping[str, int],
        *,
        distinct: bool = False,
    ) -> str:
        quote = self.connection.dialect.identifier_preparer.quote
        selected = ", ".join(f"x.{quote(table.c[name].name)}" for name in columns)
        return f"SELECT {'DISTINCT ' if distinct else ''}{selected} {self._source(table, on, equal)}"

    def _source(self, table: Table, on: str, equal: Mapping[str, int]) -> str:
        quote = self.connection.dialect.identifier_preparer.quote
        conditions = [f"x.{quote(table.c[on].name)} = k.id"]
        conditions += [f"x.{quote(table.c[name].name)} = {int(value)}" for name, value in equal.items()]
        # The key table's name is made here and the compared values are whole numbers: nothing outside.
        head = f"FROM {self.name} AS k CROSS JOIN {quote(table.name)} AS x"
        return f"{head} WHERE {' AND '.join(conditions)}"


def _decoded(arrays: Sequence[str], raw: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Columns sent as JSON arrays (one text each, in ``raw``'s order), decoded into ``raw``'s types."""
    return pl.DataFrame(
        [
            pl.Series([text], dtype=pl.String).str.json_decode(pl.List(dtype))[0].alias(name)
            for (name, dtype), text in zip(raw.items(), arrays, strict=True)
        ]
    )


@contextmanager
def key_table(connection: Connection, keys: Iterable[str] | pl.Series = ()) -> Iterator[KeyTable]:
    """A temporary table of keys on ``connection``, dropped on leaving the block."""
    name = f"cartax_keys_{uuid.uuid4().hex[:12]}"
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} (id VARCHAR(64) PRIMARY KEY)")
    try:
        table = KeyTable(connection, name)
        table.add(keys)
        yield table
    finally:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def _executemany(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    statement = insert(table).compile(dialect=connection.dialect, column_keys=frame.columns)
    # The compiled statement's positional parameters follow the table's column order.
    order = [column.name for column in table.columns if column.name in frame.columns]
    stored = frame.select(order).with_columns(_sqlite_stored(frame.schema))
    for chunk in stored.iter_slices(_CHUNK):
        connection.exec_driver_sql(str(statement), chunk.rows())


def copy_in(connection: Connection, table: str, frame: pl.DataFrame) -> None:
    """Append ``frame``'s rows (columns named as the table's) to PostgreSQL table ``table`` by ``COPY``."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(column) for column in frame.columns)
    )
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for chunk in frame.iter_slices(_CHUNK):
            # Polars writes null as an empty field and an empty string as "": COPY reads them so.
            copy.write(chunk.write_csv(include_header=False))


def _copy_out(connection: Connection, query: str) -> io.BytesIO:
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(sql.SQL(query))
    buffer = io.BytesIO()
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    return buffer


def _literal(connection: Connection, statement: Select[Any]) -> str:
    return str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))


def _sqlite_raw(dtype: pl.DataType) -> pl.DataType:
    # SQLite hands back dates as text and booleans as 0/1: read them so, then type them.
    if dtype == pl.Date:
        return pl.String()
    if dtype == pl.Boolean:
        return pl.Int8()
    return dtype


def _csv_raw(dtype: pl.DataType) -> pl.DataType:
    # PostgreSQL's CSV writes booleans as t/f; dates are read as text and typed, as on SQLite.
    if dtype in (pl.Date, pl.Boolean):
        return pl.String()
    return dtype


def _typed(name: str, dtype: pl.DataType, raw: pl.DataType) -> pl.Expr:
    if dtype == pl.Date:
        return pl.col(name).str.to_date("%Y-%m-%d")
    if dtype == pl.Boolean and raw == pl.String:
        return (pl.col(name) == "t").alias(name)
    return pl.col(name).cast(dtype)


def _sqlite_stored(schema: Mapping[str, pl.DataType]) -> list[pl.Expr]:
    converted: list[pl.Expr] = []
    for name, dtype in schema.items():
        if dtype == pl.Date:
            converted.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            moment = pl.col(name).dt.convert_time_zone("UTC") if dtype.time_zone else pl.col(name)
            converted.append(moment.dt.strftime(SQLITE_MOMENT))
        elif dtype == pl.Boolean:
            converted.append(pl.col(name).cast(pl.Int8))
    return converted
