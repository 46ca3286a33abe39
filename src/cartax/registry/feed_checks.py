"""Row checks of the feeds as vectorised Polars expressions (contracts.md §2 "Precise readings").

A :class:`Check` is a reason (code, column, plain-words message) and an expression that is true on the
rows breaking it. A feed's checks are listed in priority order and :func:`split` keeps, per row, the
first one it breaks — one pass over the frame, no Python loop per row. Messages name the column and
what is accepted, never the value found, so that a reject carries no personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from cartax.registry.feed_files import ROW

MISSING_VALUE = "missing_value"
INVALID_VALUE = "invalid_value"
INVALID_NUMBER = "invalid_number"
INVALID_DATE = "invalid_date"
INCONSISTENT = "inconsistent"
DUPLICATE_ID = "duplicate_id"
UNKNOWN_VEHICLE = "unknown_vehicle"
UNKNOWN_OWNER = "unknown_owner"
REASON_CODES = (
    MISSING_VALUE,
    INVALID_VALUE,
    INVALID_NUMBER,
    INVALID_DATE,
    INCONSISTENT,
    DUPLICATE_ID,
    UNKNOWN_VEHICLE,
    UNKNOWN_OWNER,
)

_DIGITS = r"^[0-9]+$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DISTRICT = r"^[0-9]{5}$"
_FAILED = "__failed"


@dataclass(frozen=True)
class Check:
    """``fails`` is true on the rows breaking the check; ``helper`` is a precomputed mask it reads."""

    code: str
    column: str
    reason: str
    fails: pl.Expr
    helper: pl.Series | None = None


def present(column: str) -> pl.Expr:
    return pl.col(column).is_not_null()


def required(column: str, when: pl.Expr | None = None, why: str = "") -> Check:
    condition = pl.col(column).is_null() if when is None else when & pl.col(column).is_null()
    return Check(MISSING_VALUE, column, f"{column} is empty; it is required{why}", condition)


def required_id(column: str) -> Check:
    """An id is a non-empty string: a cell of spaces names nothing and counts as empty."""
    blank = pl.col(column).is_null() | (pl.col(column).str.strip_chars().str.len_bytes() == 0)
    return Check(MISSING_VALUE, column, f"{column} is empty; it is required", blank)


def unique(column: str, frame: pl.DataFrame, later_rows: pl.Series | None = None) -> Check:
    """No id used twice. ``later_rows`` are the file lines of the later uses when the frame holds only part
    of its file (they were found over the whole file's column); without it the frame is the whole file."""
    if later_rows is None:
        later = later_duplicates(frame.get_column(column))
    else:
        later = frame.get_column(ROW).is_in(later_rows.implode())
    return Check(
        DUPLICATE_ID,
        column,
        f"{column} is already used by an earlier row; every row needs its own {column} (the first is kept)",
        pl.col(f"__later_{column}"),
        later.alias(f"__later_{column}"),
    )


def later_duplicates(values: pl.Series) -> pl.Series:
    """True on each row whose (non-null) value appeared on an earlier row.

    Sorting 64-bit hashes shows cheaply that there is no repeat at all, the usual case; only rows whose
    hash repeats are then compared as strings, in file order, so the answer is exact.
    """
    hashes = values.hash()
    ordered = hashes.sort()
    repeats = ordered.filter(ordered == ordered.shift(1))
    if repeats.is_empty():
        return pl.repeat(False, values.len(), eager=True)
    frame = pl.DataFrame({"value": values, "hash": hashes}).with_row_index("index")
    suspects = frame.filter(pl.col("hash").is_in(repeats.unique().implode()) & pl.col("value").is_not_null())
    later = suspects.filter(~pl.col("value").is_first_distinct()).get_column("index")
    return frame.get_column("index").is_in(later.implode())


def whole_number(column: str, schema: pl.Schema, when: pl.Expr | None = None) -> Check:
    if schema[column].is_integer():
        bad = pl.col(column) < 0  # a typed Parquet integer: only its sign can break "plain digits"
    else:
        # The cast catches digit strings too long for a 64-bit integer.
        bad = ~pl.col(column).str.contains(_DIGITS) | pl.col(column).cast(pl.Int64, strict=False).is_null()
    return Check(
        INVALID_NUMBER,
        column,
        f"{column} is not a whole number written as plain digits (no sign, separators, decimals or spaces)",
        _guarded(column, when) & bad,
    )


def positive(column: str, when: pl.Expr | None = None) -> Check:
    return Check(
        INVALID_VALUE,
        column,
        f"{column} must be more than 0",
        _guarded(column, when) & (pl.col(column).cast(pl.Int64, strict=False) == 0),
    )


def real_date(column: str, schema: pl.Schema) -> list[Check]:
    if schema[column] == pl.Date:
        return []  # a typed Parquet date is a real date
    bad = ~pl.col(column).str.contains(_ISO_DATE) | parsed_date(column, schema).is_null()
    return [
        Check(
            INVALID_DATE,
            column,
            f"{column} is not a real calendar date written YYYY-MM-DD",
            present(column) & bad,
        )
    ]


def parsed_date(column: str, schema: pl.Schema) -> pl.Expr:
    if schema[column] == pl.Date:
        return pl.col(column)
    return pl.col(column).str.to_date("%Y-%m-%d", strict=False)


def one_of(column: str, accepted: Sequence[str], when: pl.Expr | None = None) -> Check:
    return Check(
        INVALID_VALUE,
        column,
        f"{column} is not one of the accepted values: {', '.join(accepted)}",
        _guarded(column, when) & ~pl.col(column).is_in(list(accepted)),
    )


def boolean(column: str, schema: pl.Schema) -> list[Check]:
    if schema[column] == pl.Boolean:
        return []
    return [
        Check(
            INVALID_VALUE,
            column,
            f"{column} is not true or false (any letter case; empty means false)",
            present(column) & ~pl.col(column).str.to_lowercase().is_in(["true", "false"]),
        )
    ]


def district(column: str) -> Check:
    return Check(
        INVALID_VALUE,
        column,
        f"{column} is not a 5-digit 시군구 code such as 11110",
        present(column) & ~pl.col(column).str.contains(_DISTRICT),
    )


@dataclass(frozen=True)
class Known:
    """Ids another feed may refer to: those accepted, and those seen only on rejected rows."""

    valid: pl.Series
    rejected: pl.Series


@dataclass(frozen=True)
class References:
    """The ids accepted in the vehicles and owners feeds, and which referring rows name none of them."""

    vehicles: Known
    owners: Known
    unknown: dict[tuple[str, str], pl.Series]
    """(feed, column) → true on the rows whose id is not accepted."""
    later: dict[tuple[str, str], pl.Series] = field(default_factory=dict)
    """(feed, id column) → the file lines that reuse an earlier row's id, when a feed is read in parts."""

    def unique(self, feed: str, column: str, frame: pl.DataFrame) -> Check:
        return unique(column, frame, self.later.get((feed, column)))

    def check(self, feed: str, column: str, when: pl.Expr | None = None) -> list[Check]:
        kind = "vehicle" if column == "vehicle_id" else "owner"
        known = self.vehicles if kind == "vehicle" else self.owners
        return refers_to(column, kind, known, self.unknown[(feed, column)], when)


def refers_to(
    column: str, kind: str, known: Known, unknown: pl.Series, when: pl.Expr | None = None
) -> list[Check]:
    """A reference to a vehicle or owner must name a row of that feed that was accepted.

    ``unknown`` is :func:`unknown_references`'s mask for this column: true where the id is not accepted.
    """
    code = UNKNOWN_VEHICLE if kind == "vehicle" else UNKNOWN_OWNER
    feed = f"{kind}s"
    noun = f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
    guard = _guarded(column, when) & pl.col(f"__unknown_{column}")
    return [
        Check(
            code,
            column,
            f"{column} refers to {noun} whose row was rejected in the {feed} feed",
            guard & pl.col(column).is_in(known.rejected.implode()),
            unknown.alias(f"__unknown_{column}"),
        ),
        Check(code, column, f"{column} refers to {noun} that is not in the {feed} feed", guard),
    ]


def unknown_references(references: Sequence[pl.Series], valid: pl.Series) -> list[pl.Series]:
    """For each column of ids, true on the rows whose (non-null) id is not in ``valid``.

    All the columns referring to one feed are looked up in one anti-join, so the accepted ids are
    hashed once however many feeds refer to them; the answer is exact.
    """
    refs = pl.concat(
        [
            pl.DataFrame({"value": values})
            .with_row_index("index")
            .with_columns(pl.lit(i, pl.UInt8).alias("source"))
            for i, values in enumerate(references)
        ]
    ).filter(pl.col("value").is_not_null())
    missing = refs.lazy().join(pl.LazyFrame({"value": valid}), on="value", how="anti").collect()
    masks = []
    for i, values in enumerate(references):
        rows = missing.filter(pl.col("source") == i).get_column("index")
        masks.append(pl.int_range(0, values.len(), dtype=pl.UInt32, eager=True).is_in(rows.implode()))
    return masks


def as_bool(column: str, schema: pl.Schema) -> pl.Expr:
    if schema[column] == pl.Boolean:
        return pl.col(column).fill_null(False)
    return pl.col(column).str.to_lowercase().eq("true").fill_null(False)


def split(frame: pl.DataFrame, checks: Sequence[Check]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows breaking no check, and (row, index of the first check broken) for the others."""
    helpers = [check.helper for check in checks if check.helper is not None]
    marked = frame.with_columns(helpers) if helpers else frame
    broken = (
        marked.lazy()
        .select(pl.any_horizontal(c.fails.fill_null(False) for c in checks))
        .collect()
        .to_series()
    )
    if not broken.any():
        return frame, pl.DataFrame(schema={ROW: pl.Int64, _FAILED: pl.UInt16})
    # Only the broken rows are examined again, to find the first check each one breaks.
    first = pl.coalesce(
        [pl.when(check.fails).then(pl.lit(i, dtype=pl.UInt16)) for i, check in enumerate(checks)]
    )
    bad = marked.filter(broken).lazy().select(pl.col(ROW), first.alias(_FAILED)).collect()
    return frame.filter(~broken), bad


def rejected_ids(column: str, good: pl.DataFrame, bad_rows: pl.DataFrame, frame: pl.DataFrame) -> pl.Series:
    """Ids that appear only on rejected rows (an id with one accepted row is known)."""
    on_bad = frame.join(bad_rows.select(ROW), on=ROW, how="semi").select(column).drop_nulls()
    if on_bad.is_empty():
        return on_bad.get_column(column)  # nothing rejected: the accepted ids need not be hashed
    return on_bad.join(good.select(column), on=column, how="anti").get_column(column).unique()


def _guarded(column: str, when: pl.Expr | None) -> pl.Expr:
    return present(column) if when is None else when & present(column)


def chain(*groups: Iterable[Check] | Check) -> list[Check]:
    """Flatten checks and lists of checks into one priority-ordered list."""
    result: list[Check] = []
    for group in groups:
        if isinstance(group, Check):
            result.append(group)
        else:
            result.extend(group)
    return result
