"""The registry feeds (contracts.md §2): read, validate row by row, type, and list the rejects.

Public surface::

    feeds = read_feeds(directory)        # FeedError when a file is refused as a whole
    feeds.vehicles, feeds.registrations, feeds.owners, feeds.payments, feeds.arrears, feeds.exemptions
    write_rejects(feeds.rejects, path)   # feed,row,reason_code,reason

Validation is vectorised (Polars expressions over whole columns). Vehicles and owners are validated
first; the other feeds then accept only rows that refer to an accepted vehicle and owner. Each rejected
row yields one :class:`Reject` with the first rule it breaks (see docs/feeds.md for the codes). The
owners' personal columns are carried as read and never validated, logged or quoted.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl

from cartax.registry import feed_checks as fc
from cartax.registry import feed_rules as r
from cartax.registry.errors import FeedError
from cartax.registry.feed_checks import REASON_CODES, Check
from cartax.registry.feed_files import (
    FEED_COLUMNS,
    OPTIONAL_FEEDS,
    REQUIRED_FEEDS,
    ROW,
    RawFeed,
    locate,
    read_raw,
)

__all__ = [
    "FEED_COLUMNS",
    "OPTIONAL_FEEDS",
    "REASON_CODES",
    "REQUIRED_FEEDS",
    "FeedError",
    "Feeds",
    "Reject",
    "read_feeds",
    "write_rejects",
]

REFERRING = {
    "vehicle_id": ("registrations", "payments", "exemptions"),
    "owner_id": ("registrations", "payments", "arrears", "exemptions"),
}
"""The feeds whose rows refer to a vehicle or an owner, by the referring column."""
Columns = Callable[[pl.Schema], Sequence[pl.Expr]]
"""A feed's typed columns, from the schema of its text."""


@dataclass(frozen=True)
class Reject:
    """A row left out, with the first rule it breaks; ``row`` is the file line (header = 1)."""

    feed: str
    row: int
    reason_code: str
    reason: str


@dataclass(frozen=True)
class Feeds:
    """The accepted rows of every feed, typed; ``row`` is each row's line in its file."""

    vehicles: pl.DataFrame
    registrations: pl.DataFrame
    owners: pl.DataFrame
    payments: pl.DataFrame
    arrears: pl.DataFrame
    exemptions: pl.DataFrame
    rejects: tuple[Reject, ...]
    read: Mapping[str, int] = field(default_factory=dict)
    """Rows read per feed (accepted + rejected; blank lines are no rows; 0 for an absent feed)."""

    def rejected(self, feed: str) -> int:
        return sum(1 for reject in self.rejects if reject.feed == feed)


def read_feeds(
    directory: Path, *, personal: bool = True, drop: Mapping[str, Sequence[str]] | None = None
) -> Feeds:
    """Read and validate the feeds in ``directory``; raise :class:`FeedError` when a file is refused.

    ``personal=False`` leaves the owners' personal columns out (detection needs none of them): the
    same rows are accepted and rejected, and nobody's name or number is even loaded. ``drop`` names,
    per feed, validated columns the caller will not read: they are checked like any other and left out
    of the accepted rows as soon as each feed is typed.
    """
    if not directory.is_dir():
        raise FeedError(None, "the feeds directory does not exist or is not a directory")
    paths = _locate_all(directory)
    leave_out = () if personal else r.PERSONAL_COLUMNS
    rejects: list[Reject] = []
    read: dict[str, int] = dict.fromkeys(REQUIRED_FEEDS + OPTIONAL_FEEDS, 0)

    unread = drop or {}

    def lean(name: str, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.drop(unread.get(name, ()))

    def raw(name: str) -> RawFeed:
        # One feed's text at a time: each is typed and its text let go before the next is read, so the
        # peak is the typed feeds plus the largest text, not every feed as text at once.
        feed = read_raw(name, paths[name], leave_out if name == "owners" else ())
        read[name] = feed.frame.height
        return feed

    vehicles, vehicle_ids = _accept(
        raw("vehicles"), r.vehicle_checks, r.vehicle_columns, rejects, "vehicle_id"
    )
    vehicles = lean("vehicles", vehicles)
    owners, owner_ids = _accept(raw("owners"), r.owner_checks, r.owner_columns, rejects, "owner_id")
    owners = lean("owners", owners)

    def accepted(name: str, checks: Callable[..., Sequence[Check]], columns: Columns) -> pl.DataFrame:
        feed = raw(name)
        refs = _references(name, feed, vehicle_ids, owner_ids)
        frame, _ = _accept(feed, partial(checks, refs=refs), columns, rejects)
        return lean(name, frame)

    registrations = accepted("registrations", r.registration_checks, r.registration_columns)
    payments = accepted("payments", r.payment_checks, r.payment_columns)
    arrears = pl.DataFrame(schema=r.ARREARS_SCHEMA)
    if "arrears" in paths:
        # Several rows of one owner and district add up (contracts.md §2).
        arrears = (
            accepted("arrears", r.arrears_checks, r.arrears_columns)
            .group_by("owner_id", "district", maintain_order=True)
            .agg(pl.col("amount").sum())
        )
    exemptions = pl.DataFrame(schema=r.EXEMPTIONS_SCHEMA)
    if "exemptions" in paths:
        exemptions = accepted("exemptions", r.exemption_checks, r.exemption_columns)
    return Feeds(vehicles, registrations, owners, payments, arrears, exemptions, tuple(rejects), read)


def write_rejects(rejects: Iterable[Reject], path: Path) -> None:
    """Write the rejects as CSV (UTF-8) with the header ``feed,row,reason_code,reason``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("feed", "row", "reason_code", "reason"))
        writer.writerows((reject.feed, reject.row, reject.reason_code, reject.reason) for reject in rejects)


def _locate_all(directory: Path) -> dict[str, Path]:
    """Every feed file present; a required feed missing is refused before anything is read."""
    paths: dict[str, Path] = {}
    for name in REQUIRED_FEEDS + OPTIONAL_FEEDS:
        path = locate(directory, name)
        if path is None:
            if name in REQUIRED_FEEDS:
                raise FeedError(
                    name,
                    f"the {name} feed is missing: put {name}.csv or {name}.parquet in the feeds directory "
                    f"(required feeds: {', '.join(REQUIRED_FEEDS)})",
                )
            continue
        paths[name] = path
    return paths


def _references(name: str, feed: RawFeed, vehicles: fc.Known, owners: fc.Known) -> fc.References:
    """Which rows of a referring feed name no accepted vehicle or owner."""
    unknown: dict[tuple[str, str], pl.Series] = {}
    for column, known in (("vehicle_id", vehicles), ("owner_id", owners)):
        if name in REFERRING[column]:
            (mask,) = fc.unknown_references([feed.frame.get_column(column)], known.valid)
            unknown[(name, column)] = mask
    return fc.References(vehicles, owners, unknown)


def _accept(
    raw: RawFeed,
    checks_for: Callable[[pl.DataFrame], Sequence[Check]],
    columns_for: Columns,
    rejects: list[Reject],
    id_column: str | None = None,
) -> tuple[pl.DataFrame, fc.Known]:
    """Split a feed into typed accepted rows and rejects; the ids it offers to other feeds."""
    checks = checks_for(raw.frame)
    good, bad = fc.split(raw.frame, checks)
    rejects.extend(
        Reject(raw.name, row, checks[index].code, checks[index].reason) for row, index in bad.iter_rows()
    )
    if id_column is None:
        known = fc.Known(pl.Series(dtype=pl.String), pl.Series(dtype=pl.String))
    else:
        known = fc.Known(good.get_column(id_column), fc.rejected_ids(id_column, good, bad, raw.frame))
    return good.select(*columns_for(raw.frame.schema), pl.col(ROW)), known
