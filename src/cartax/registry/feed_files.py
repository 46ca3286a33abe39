"""Finding a feed in a directory and reading it with every column as text (contracts.md §2).

Nothing is typed here: every cell is read as a string so that ``1,000``, ``1000.0`` or a date in another
form reach validation as written instead of being coerced silently. A file that is not a feed at all
(absent, empty, not UTF-8, not CSV or Parquet, a column missing) raises :class:`FeedError` naming the
feed; the message never quotes a cell, so it is safe to log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cartax.registry.errors import FeedError

FEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "vehicles": (
        "vehicle_id",
        "plate",
        "category",
        "use",
        "displacement_cc",
        "van_class",
        "special_class",
        "load_kg",
        "first_registered_on",
        "manufactured_year",
    ),
    "registrations": (
        "event_id",
        "vehicle_id",
        "event",
        "date",
        "owner_id",
        "prepayment_passed_on",
        "reason",
    ),
    "owners": (
        "owner_id",
        "kind",
        "name",
        "rrn",
        "phone",
        "email",
        "address",
        "district",
        "refund_bank",
        "refund_account",
        "refund_account_holder",
    ),
    "payments": (
        "payment_id",
        "vehicle_id",
        "owner_id",
        "tax_year",
        "kind",
        "paid_on",
        "car_tax",
        "edu_tax",
        "district",
        "via_grievance",
    ),
    "arrears": ("owner_id", "district", "amount"),
    "exemptions": ("owner_id", "vehicle_id", "rate", "effective_from", "decided_on"),
}
REQUIRED_FEEDS = ("vehicles", "owners", "registrations", "payments")
OPTIONAL_FEEDS = ("arrears", "exemptions")
INTEGER_COLUMNS = frozenset(
    {"displacement_cc", "load_kg", "manufactured_year", "tax_year", "car_tax", "edu_tax", "amount"}
)
DATE_COLUMNS = frozenset({"first_registered_on", "date", "paid_on", "effective_from", "decided_on"})
BOOLEAN_COLUMNS = frozenset({"prepayment_passed_on", "via_grievance"})
ROW = "row"
"""The column added to every feed: the file's line number (header = 1), or index + 2 for Parquet."""

_CHUNK = 1 << 24
# Parquet types that have one obvious text form; anything nested or binary is not a feed column.
_SCALAR_TYPES = (pl.String, pl.Categorical, pl.Enum, pl.Boolean, pl.Date, pl.Null, pl.Decimal)
# UInt64 may hold values beyond Int64: it takes the text path, where the range is checked.
_EXACT_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32)


@dataclass(frozen=True)
class RawFeed:
    """One feed as text: the contract's columns (empty cells null) plus :data:`ROW`; blank lines left out."""

    name: str
    path: Path
    frame: pl.DataFrame


def locate(directory: Path, name: str) -> Path | None:
    """``<name>.csv`` or ``<name>.parquet`` in ``directory``; both at once is ambiguous and refused."""
    found = [path for path in (directory / f"{name}.csv", directory / f"{name}.parquet") if path.is_file()]
    if len(found) > 1:
        raise FeedError(
            name,
            f"both {name}.csv and {name}.parquet are in the feeds directory; keep exactly one of them",
        )
    return found[0] if found else None


def read_raw(name: str, path: Path, leave_out: Sequence[str] = (), keep: pl.Expr | None = None) -> RawFeed:
    """Read one feed file (CSV or Parquet by its suffix) with every contract column as text.

    ``leave_out`` names columns the caller does not need and that no rule reads (the owners' personal
    columns, for detection): a Parquet file does not even load them. ``keep`` (an expression over the
    raw columns) reads only the rows it is true on, each still numbered by its line in the file; from a
    Parquet file the others are dropped as each row group is read, so they never take memory at once.
    """
    if path.suffix == ".parquet":
        frame = _read_parquet(name, path, leave_out, keep)
    else:
        frame = _read_csv(name, path).drop(leave_out)
        if keep is not None:
            frame = frame.filter(keep.fill_null(False))
    return RawFeed(name, path, frame)


def _read_csv(name: str, path: Path) -> pl.DataFrame:
    header = _csv_header(name, path)
    positions = _positions(name, path.name, header)
    try:
        frame = pl.read_csv(path, infer_schema=False, has_header=True, encoding="utf8")
    except pl.exceptions.NoDataError:
        raise FeedError(name, f"{path.name} is empty; {_expected(name)}") from None
    except pl.exceptions.ComputeError as error:
        raise _csv_error(name, path, len(header), str(error)) from None
    if frame.width != len(header):
        raise FeedError(
            name, f"{path.name} has a header row that cannot be split into columns; {_expected(name)}"
        )
    rows = _csv_rows(path, frame)
    return _normalise(frame, positions, rows)


def _csv_header(name: str, path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline(_CHUNK)
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise FeedError(name, _not_utf8(path)) from None
    text = text.removeprefix("\ufeff").rstrip("\r\n")
    if not text.strip():
        raise FeedError(name, f"{path.name} has no header row; {_expected(name)}")
    return [column.strip() for column in next(csv.reader([text]))]


def _csv_error(name: str, path: Path, width: int, message: str) -> FeedError:
    if "utf-8" in message or "utf8" in message:
        return FeedError(name, _not_utf8(path))
    if "more fields" in message:
        line = _first_long_line(path, width)
        where = f"line {line}" if line else "a line"
        return FeedError(
            name,
            f"{path.name}: {where} has more fields than the header row ({width}); quote every value that "
            "contains a comma, or remove the extra fields",
        )
    return FeedError(name, f"{path.name} could not be read as CSV; {_expected(name)}")


def _first_long_line(path: Path, width: int) -> int | None:
    """Line number (header = 1) of the first record with more fields than the header, for the message."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        line = 1
        for record in reader:
            if len(record) > width:
                return line
            line = reader.line_num + 1
    return None


def _not_utf8(path: Path) -> str:
    return (
        f"{path.name} is not UTF-8 text; save it as CSV in UTF-8 (for example 'CSV UTF-8' in a "
        "spreadsheet) and run again"
    )


def _csv_rows(path: Path, frame: pl.DataFrame) -> pl.Series:
    """The file line of each record: index + 2 unless quoted values span lines, which are counted then."""
    newlines = sum(chunk.count(b"\n") for chunk in _chunks(path))
    lines = newlines + (0 if _ends_with_newline(path) else 1)
    base = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
    if lines <= frame.height + 1:
        return base.alias(ROW)
    # Some quoted values hold line breaks: shift each record by the breaks inside the records before it.
    inside = frame.select(
        pl.sum_horizontal(pl.all().str.count_matches("\n", literal=True).fill_null(0)).cast(pl.Int64)
    ).to_series()
    shift = inside.cum_sum().shift(1, fill_value=0)
    return (base + shift).alias(ROW)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        if handle.tell() == 0:
            return False
        handle.seek(-1, io.SEEK_END)
        return handle.read(1) == b"\n"


@dataclass(frozen=True)
class RawScan:
    """A feed file as a lazy query of its raw cells (text, or typed where exact) and :data:`ROW`.

    What :func:`finish` turns into a :class:`RawFeed` once collected, whole or in parts: a query can be
    filtered, split or joined before any of it is in memory.
    """

    name: str
    path: Path
    lazy: pl.LazyFrame
    positions: dict[str, int]
    """Where each contract column sits among the query's columns (before :data:`ROW`)."""
    normalised: bool = False
    """True for a CSV file, which is read whole and normalised before it is scanned."""


def scan_raw(name: str, path: Path, leave_out: Sequence[str] = ()) -> RawScan:
    """The feed file (CSV or Parquet by its suffix) as a :class:`RawScan`, refused as by :func:`read_raw`."""
    if path.suffix != ".parquet":
        frame = _read_csv(name, path).drop(leave_out)
        return RawScan(name, path, frame.lazy(), {}, normalised=True)
    try:
        schema = pl.read_parquet_schema(path)
    except Exception:  # any failure to read the footer means the file is not Parquet
        raise FeedError(name, f"{path.name} is not a readable Parquet file; {_expected(name)}") from None
    positions = _positions(name, path.name, list(schema))
    for column in FEED_COLUMNS[name]:
        dtype = schema[column]
        if not (dtype.is_numeric() or isinstance(dtype, _SCALAR_TYPES) or dtype == pl.String):
            raise FeedError(
                name,
                f"{path.name}: column {column} has type {dtype}, which has no plain text form; "
                "use text, whole numbers, dates or booleans",
            )
    columns = [column for column in FEED_COLUMNS[name] if column not in leave_out]
    # The row index is taken as the file is scanned, so a filter is applied row group by row group.
    lazy = (
        pl.scan_parquet(path)
        .with_row_index(ROW, offset=2)
        .select(*(_as_read(column, schema[column]) for column in columns), pl.col(ROW).cast(pl.Int64))
    )
    return RawScan(
        name, path, lazy, {column: columns.index(column) for column in positions if column in columns}
    )


def finish(scan: RawScan, frame: pl.DataFrame) -> RawFeed:
    """A collected part of ``scan`` (its columns, whatever rows were kept) as a :class:`RawFeed`."""
    if scan.normalised:
        return RawFeed(scan.name, scan.path, frame)
    return RawFeed(scan.name, scan.path, _normalise(frame.drop(ROW), scan.positions, frame.get_column(ROW)))


def _read_parquet(
    name: str, path: Path, leave_out: Sequence[str] = (), keep: pl.Expr | None = None
) -> pl.DataFrame:
    scan = scan_raw(name, path, leave_out)
    # A filter drops the rows it is null on; left as it is, it can be checked against row-group statistics.
    lazy = scan.lazy if keep is None else scan.lazy.filter(keep)
    return finish(scan, lazy.collect()).frame


def _as_read(column: str, dtype: pl.DataType) -> pl.Expr:
    """A Parquet column as validation reads it: typed where the contract's type matches, else its text.

    A typed whole number, date or boolean needs no text round trip (it cannot be ``1,000`` or a 30th
    of February); any other type — a float for money, a timestamp for a date — is read as its text and
    rejected or accepted exactly as the same text in a CSV would be.
    """
    if column in INTEGER_COLUMNS and dtype in _EXACT_INTEGERS:
        return pl.col(column).cast(pl.Int64)
    if (column in DATE_COLUMNS and dtype == pl.Date) or (column in BOOLEAN_COLUMNS and dtype == pl.Boolean):
        return pl.col(column)
    return pl.col(column).cast(pl.String)


def _positions(name: str, filename: str, header: Sequence[str]) -> dict[str, int]:
    """Where each contract column sits in the header; a missing or repeated contract column aborts."""
    wanted = FEED_COLUMNS[name]
    missing = [column for column in wanted if column not in header]
    if missing:
        raise FeedError(
            name,
            f"{filename} is missing the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"{_expected(name)}",
        )
    repeated = [column for column in wanted if header.count(column) > 1]
    if repeated:
        raise FeedError(
            name, f"{filename} has the column {', '.join(repeated)} more than once; keep one of each"
        )
    return {column: header.index(column) for column in wanted}


def _normalise(frame: pl.DataFrame, positions: dict[str, int], rows: pl.Series) -> pl.DataFrame:
    """Keep the contract's columns under their names, empty cells as null, blank lines out.

    A quoted empty value (``""``) is empty too. A cell of spaces is kept as written: it is no value of
    any type, so the checks reject it with the column's own reason.
    """
    source = frame.columns
    text = [column for column, dtype in frame.schema.items() if dtype == pl.String]
    # Empty strings are rare (the CSV reader gives null for an empty field): replace only where present.
    has_empty = frame.select((pl.col(text).str.len_bytes() == 0).any()).row(0) if text else ()
    with_empty = {column for column, found in zip(text, has_empty, strict=True) if found}
    if with_empty:
        frame = frame.with_columns(
            pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).alias(c) for c in with_empty
        )
    selected = frame.select(
        *(pl.col(source[index]).alias(name) for name, index in positions.items()), rows.alias(ROW)
    )
    blank = frame.select(pl.all_horizontal(pl.col(source).is_null())).to_series()
    # Most files have no blank line: filtering would copy every column for nothing.
    return selected.filter(~blank) if blank.any() else selected


def _expected(name: str) -> str:
    columns = ", ".join(FEED_COLUMNS[name])
    return f"a {name} feed is a CSV (UTF-8, header row) or Parquet file with the columns {columns}"
