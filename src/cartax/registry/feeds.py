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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
    scan_raw,
)

__all__ = [
    "FEED_COLUMNS",
    "OPTIONAL_FEEDS",
    "REASON_CODES",
    "REQUIRED_FEEDS",
    "FeedError",
    "FeedParts",
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


Part = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]
"""One partition's accepted vehicles, registration events, payments and exemptions."""
UNIQUE_IN_PARTS = {"registrations": "event_id", "payments": "payment_id"}
"""Ids of the partitioned feeds other than the vehicle's: their uniqueness is checked over the whole file."""


class FeedParts:
    """The feeds read one partition of vehicles at a time, for runs larger than memory.

    The vehicles are split into ``count`` ranges of their ids (bounds taken from a sample of the vehicles
    feed; fewer when there are fewer distinct ids); each partition is read from the files with only its
    own rows of vehicles, registrations, payments and exemptions, validated and typed, so memory holds
    one partition, the accepted owner ids and the arrears, whatever the number of vehicles. A range is a
    filter the Parquet reader checks against each row group's statistics: a feed written in order of
    vehicle, or of anything that keeps a vehicle's neighbours together (district, say), is read about
    once in all instead of once per partition; any other order costs one scan per partition. The answer
    is the whole read's: a vehicle's rows all fall in its partition, the owners and arrears are read
    whole, and the ids that must be unique across a whole file (events, payments) and the references to
    owners are checked over the whole files first (the accepted owners' ids are hashed once for all the
    feeds, not once per partition). ``rejects`` and ``read`` are complete once every partition has been
    read.
    """

    def __init__(
        self, directory: Path, count: int, *, drop: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        if not directory.is_dir():
            raise FeedError(None, "the feeds directory does not exist or is not a directory")
        self.count = count
        self.rejects: list[Reject] = []
        self.read: dict[str, int] = dict.fromkeys(REQUIRED_FEEDS + OPTIONAL_FEEDS, 0)
        self._paths = _locate_all(directory)
        self._unread = drop or {}
        raw = self._raw("owners", leave_out=r.PERSONAL_COLUMNS)
        _, self._owners = _accept(raw, r.owner_checks, r.owner_columns, self.rejects, "owner_id")
        del raw
        self._later = {
            (name, column): self._later_uses(name, column) for name, column in UNIQUE_IN_PARTS.items()
        }
        self._no_owner: dict[str, pl.Series] = {}  # the arrears' owners are looked up as they are read
        self.arrears = pl.DataFrame(schema=r.ARREARS_SCHEMA)
        if "arrears" in self._paths:
            no_vehicles = fc.Known(pl.Series(dtype=pl.String), pl.Series(dtype=pl.String))
            self.arrears = (
                self._accepted("arrears", r.arrears_checks, r.arrears_columns, no_vehicles)
                .group_by("owner_id", "district", maintain_order=True)
                .agg(pl.col("amount").sum())
            )
        self._no_owner = self._unknown_owners(
            [name for name in REFERRING["owner_id"] if name in self._paths and name in PARTITIONED]
        )
        self._bounds = self._vehicle_bounds()

    def __iter__(self) -> Iterator[Part]:
        for keep in _ranges(pl.col("vehicle_id"), self._bounds):
            raw = self._raw("vehicles", keep=keep)
            vehicles, known = _accept(raw, r.vehicle_checks, r.vehicle_columns, self.rejects, "vehicle_id")
            del raw
            registrations = self._accepted(
                "registrations", r.registration_checks, r.registration_columns, known, keep
            )
            payments = self._accepted("payments", r.payment_checks, r.payment_columns, known, keep)
            exemptions = pl.DataFrame(schema=r.EXEMPTIONS_SCHEMA)
            if "exemptions" in self._paths:
                exemptions = self._accepted(
                    "exemptions", r.exemption_checks, r.exemption_columns, known, keep
                )
            yield self._lean("vehicles", vehicles), registrations, payments, exemptions

    def _raw(self, name: str, *, leave_out: Sequence[str] = (), keep: pl.Expr | None = None) -> RawFeed:
        feed = read_raw(name, self._paths[name], leave_out, keep)
        self.read[name] += feed.frame.height
        return feed

    def _accepted(
        self,
        name: str,
        checks: Callable[..., Sequence[Check]],
        columns: Columns,
        vehicles: fc.Known,
        keep: pl.Expr | None = None,
    ) -> pl.DataFrame:
        feed = self._raw(name, keep=keep)
        unknown_owners = None
        if name in self._no_owner:
            unknown_owners = feed.frame.get_column(ROW).is_in(self._no_owner[name].implode())
        refs = _references(name, feed, vehicles, self._owners, self._later, unknown_owners)
        frame, _ = _accept(feed, partial(checks, refs=refs), columns, self.rejects)
        return self._lean(name, frame)

    def _lean(self, name: str, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.drop(self._unread.get(name, ()))

    def _later_uses(self, name: str, column: str) -> pl.Series:
        """The lines of ``name`` whose ``column`` repeats an earlier line's, over the whole file."""
        others = [other for other in FEED_COLUMNS[name] if other != column]
        frame = read_raw(name, self._paths[name], others).frame
        return frame.get_column(ROW).filter(fc.later_duplicates(frame.get_column(column)))

    def _vehicle_bounds(self) -> list[str]:
        """Where the vehicle ids are cut into ``count`` ranges of about as many vehicles each: quantiles of
        a sample of the vehicles feed's ids (as text), each bound the first id of a range."""
        others = [column for column in FEED_COLUMNS["vehicles"] if column != "vehicle_id"]
        ids = read_raw("vehicles", self._paths["vehicles"], others).frame.get_column("vehicle_id")
        sample = ids.drop_nulls().gather_every(max(1, ids.len() // BOUND_SAMPLE)).sort()
        cuts = (sample[sample.len() * index // self.count] for index in range(1, self.count))
        return sorted({str(cut) for cut in cuts}) if sample.len() else []

    def _unknown_owners(self, names: Sequence[str]) -> dict[str, pl.Series]:
        """Per feed, the lines whose (non-empty) ``owner_id`` names no accepted owner, over the whole files:
        one streamed anti-join of every feed's owner ids, so the accepted owners are hashed once."""
        owner = pl.col("owner_id")
        scans = [
            scan_raw(name, self._paths[name], [c for c in FEED_COLUMNS[name] if c != "owner_id"])
            .lazy.filter(owner.is_not_null() & (owner.str.len_bytes() > 0))
            .select(ROW, owner, pl.lit(index, dtype=pl.UInt8).alias(_FEED))
            for index, name in enumerate(names)
        ]
        if not scans:
            return {}
        unknown = (
            pl.concat(scans)
            .join(pl.LazyFrame({"owner_id": self._owners.valid}), on="owner_id", how="anti")
            .select(ROW, _FEED)
            .collect(engine="streaming")
        )
        return {
            name: unknown.filter(pl.col(_FEED) == index).get_column(ROW) for index, name in enumerate(names)
        }


PARTITIONED = ("vehicles", "registrations", "payments", "exemptions")
"""The feeds split by vehicle; owners and arrears are read whole."""
BOUND_SAMPLE = 100_000
"""About how many vehicle ids the partitions' bounds are taken from."""
_FEED = "__feed"


def _ranges(vehicle: pl.Expr, bounds: Sequence[str]) -> Iterator[pl.Expr]:
    """One filter per partition: the ids from a bound (included) to the next (excluded); the first range
    also takes the rows without a vehicle id. Plain comparisons, which a Parquet scan checks against the
    row groups' statistics to skip those with no row in the range."""
    lows: list[str | None] = [None, *bounds]
    highs: list[str | None] = [*bounds, None]
    for low, high in zip(lows, highs, strict=True):
        if low is None:
            yield pl.lit(True) if high is None else vehicle.is_null() | (vehicle < high)
        elif high is None:
            yield vehicle >= low
        else:
            yield (vehicle >= low) & (vehicle < high)


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


def _references(
    name: str,
    feed: RawFeed,
    vehicles: fc.Known,
    owners: fc.Known,
    later: Mapping[tuple[str, str], pl.Series] | None = None,
    unknown_owners: pl.Series | None = None,
) -> fc.References:
    """Which rows of a referring feed name no accepted vehicle or owner (``unknown_owners``: the owners'
    mask when it is already known)."""
    unknown: dict[tuple[str, str], pl.Series] = {}
    for column, known in (("vehicle_id", vehicles), ("owner_id", owners)):
        if name in REFERRING[column]:
            if column == "owner_id" and unknown_owners is not None:
                unknown[(name, column)] = unknown_owners
                continue
            (mask,) = fc.unknown_references([feed.frame.get_column(column)], known.valid)
            unknown[(name, column)] = mask
    return fc.References(vehicles, owners, unknown, dict(later or {}))


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
