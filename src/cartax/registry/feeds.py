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
from concurrent.futures import Executor
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
    "PartPlan",
    "Reject",
    "read_feeds",
    "read_part",
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
        self,
        directory: Path,
        count: int,
        *,
        drop: Mapping[str, Sequence[str]] | None = None,
        executor: Executor | None = None,
    ) -> None:
        if not directory.is_dir():
            raise FeedError(None, "the feeds directory does not exist or is not a directory")
        self.count = count
        self.rejects: list[Reject] = []
        self.read: dict[str, int] = dict.fromkeys(REQUIRED_FEEDS + OPTIONAL_FEEDS, 0)
        self._paths = _locate_all(directory)
        self._unread = drop or {}
        referring = [name for name in REFERRING["owner_id"] if name in self._paths and name in PARTITIONED]
        if executor is None:
            owners = owner_checks(self._paths, referring, with_arrears=True)
            with_arrears = owners
            later = {key: later_uses(self._paths, *key) for key in UNIQUE_IN_PARTS.items()}
            self._bounds = self._vehicle_bounds()
        else:
            # The whole-file checks at once in the executor's processes: the look-up of the owners named by
            # the registrations, and of those named by the other feeds with the arrears, in two tasks of
            # about equal length (each accepts the owners itself); the ids used twice in two more; the
            # partitions' bounds meanwhile here.
            first, rest = referring[:1], referring[1:]
            asked = [executor.submit(owner_checks, self._paths, first, with_arrears=not rest)]
            if rest:
                asked.append(executor.submit(owner_checks, self._paths, rest, with_arrears=True))
            uses = {key: executor.submit(later_uses, self._paths, *key) for key in UNIQUE_IN_PARTS.items()}
            self._bounds = self._vehicle_bounds()
            answers = [future.result() for future in asked]
            owners, with_arrears = answers[0], answers[-1]
            for other in answers[1:]:
                owners.no_owner.update(other.no_owner)
            later = {key: future.result() for key, future in uses.items()}
        self.rejects.extend(owners.rejects)
        self.rejects.extend(with_arrears.arrears_rejects)
        self.read["owners"] += owners.read["owners"]
        self.read["arrears"] += with_arrears.read.get("arrears", 0)
        self._owners = fc.Known(pl.Series("owner_id", dtype=pl.String), owners.rejected)
        self._later = later
        self._no_owner = owners.no_owner
        self.arrears = with_arrears.arrears

    def __iter__(self) -> Iterator[Part]:
        for plan in self.plans():
            part, rejects, read = read_part(plan)
            self.rejects.extend(rejects)
            for name, rows in read.items():
                self.read[name] += rows
            yield part

    def plans(self) -> list[PartPlan]:
        """What reading each partition needs, in partition order: small enough to hand to another process,
        which :func:`read_part` turns into the partition. Their rejects and rows read are the caller's to
        add to :attr:`rejects` and :attr:`read` (iterating over the parts does it)."""
        lows: list[str | None] = [None, *self._bounds]
        highs: list[str | None] = [*self._bounds, None]
        return [
            PartPlan(index, self._paths, low, high, self._owners, self._later, self._no_owner, self._unread)
            for index, (low, high) in enumerate(zip(lows, highs, strict=True))
        ]

    def _vehicle_bounds(self) -> list[str]:
        """Where the vehicle ids are cut into ``count`` ranges of about as many vehicles each: quantiles of
        a sample of the vehicles feed's ids (as text), each bound the first id of a range."""
        others = [column for column in FEED_COLUMNS["vehicles"] if column != "vehicle_id"]
        ids = read_raw("vehicles", self._paths["vehicles"], others).frame.get_column("vehicle_id")
        sample = ids.drop_nulls().gather_every(max(1, ids.len() // BOUND_SAMPLE)).sort()
        cuts = (sample[sample.len() * index // self.count] for index in range(1, self.count))
        return sorted({str(cut) for cut in cuts}) if sample.len() else []


@dataclass(frozen=True)
class OwnerChecks:
    """The owners feed accepted, and what the other feeds' references to owners need from it."""

    rejected: pl.Series
    """The owner ids seen only on rejected rows (the accepted ones are let go once looked up)."""
    rejects: list[Reject]
    """The owners' rejects."""
    arrears_rejects: list[Reject]
    """The arrears' rejects (none when they were not read)."""
    read: dict[str, int]
    no_owner: dict[str, pl.Series]
    """Per feed asked about, the lines whose (non-empty) ``owner_id`` names no accepted owner."""
    arrears: pl.DataFrame
    """Accepted arrears summed per owner and district (empty when not asked for or absent)."""


def owner_checks(paths: Mapping[str, Path], feeds: Sequence[str], *, with_arrears: bool) -> OwnerChecks:
    """Accept the owners; find, over the whole files of ``feeds``, the lines naming no accepted owner, in
    one streamed anti-join (the accepted owners hashed once for all of them); with ``with_arrears``, also
    read and accept the arrears (whose owners are looked up as they are read)."""
    rejects: list[Reject] = []
    owners = read_raw("owners", paths["owners"], r.PERSONAL_COLUMNS)
    read = {"owners": owners.frame.height}
    _, known = _accept(owners, r.owner_checks, r.owner_columns, rejects, "owner_id")
    del owners
    arrears = pl.DataFrame(schema=r.ARREARS_SCHEMA)
    arrears_rejects: list[Reject] = []
    if with_arrears and "arrears" in paths:
        feed = read_raw("arrears", paths["arrears"])
        read["arrears"] = feed.frame.height
        no_vehicles = fc.Known(pl.Series(dtype=pl.String), pl.Series(dtype=pl.String))
        refs = _references("arrears", feed, no_vehicles, known)
        frame, _ = _accept(feed, partial(r.arrears_checks, refs=refs), r.arrears_columns, arrears_rejects)
        arrears = frame.group_by("owner_id", "district", maintain_order=True).agg(pl.col("amount").sum())
    no_owner = _unknown_owners(paths, feeds, known.valid)
    return OwnerChecks(known.rejected, rejects, arrears_rejects, read, no_owner, arrears)


def later_uses(paths: Mapping[str, Path], name: str, column: str) -> pl.Series:
    """The lines of ``name`` whose ``column`` repeats an earlier line's, over the whole file."""
    others = [other for other in FEED_COLUMNS[name] if other != column]
    frame = read_raw(name, paths[name], others).frame
    return frame.get_column(ROW).filter(fc.later_duplicates(frame.get_column(column)))


def _unknown_owners(
    paths: Mapping[str, Path], names: Sequence[str], valid: pl.Series, *, by_hash: bool = True
) -> dict[str, pl.Series]:
    """Per feed, the lines whose (non-empty) ``owner_id`` names no accepted owner, over the whole files:
    one streamed join of every feed's owner ids, so the accepted owners are hashed once.

    The join is on 64-bit hashes of the ids, cheaper than on their text (the nation's registrations: 13.2 s
    to 9.7 s of CPU), and each match is then compared as text, so the answer is exact: a line is unknown
    when no accepted owner has its hash or the one that has it is another id. That needs the accepted ids'
    hashes to be distinct; should two collide, the ids are joined as text instead.
    """
    owner = pl.col("owner_id")
    scans = [
        scan_raw(name, paths[name], [c for c in FEED_COLUMNS[name] if c != "owner_id"])
        .lazy.filter(owner.is_not_null() & (owner.str.len_bytes() > 0))
        .select(ROW, owner, pl.lit(index, dtype=pl.UInt8).alias(_FEED))
        for index, name in enumerate(names)
    ]
    if not scans:
        return {}
    lines, hashes = pl.concat(scans), valid.hash()
    if by_hash and hashes.n_unique() == hashes.len():
        lines = (
            lines.with_columns(owner.hash().alias(_HASH))
            .join(pl.LazyFrame({_HASH: hashes, _KNOWN: valid}), on=_HASH, how="left")
            .filter(pl.col(_KNOWN).is_null() | (pl.col(_KNOWN) != owner))
        )
    else:
        lines = lines.join(pl.LazyFrame({"owner_id": valid}), on="owner_id", how="anti")
    unknown = lines.select(ROW, _FEED).collect(engine="streaming")
    return {name: unknown.filter(pl.col(_FEED) == index).get_column(ROW) for index, name in enumerate(names)}


@dataclass(frozen=True)
class PartPlan:
    """What reading one partition needs, the whole-file checks' answers included: paths, the range of
    vehicle ids (``low`` included, ``high`` excluded, ``None`` open; the first range also takes the rows
    without a vehicle id), the owner ids seen only on rejected rows, the lines reusing an earlier line's id
    and the lines naming no accepted owner. Small, and picklable, so a partition can be read in another
    process."""

    index: int
    paths: Mapping[str, Path]
    low: str | None
    high: str | None
    owners: fc.Known
    later: Mapping[tuple[str, str], pl.Series]
    no_owner: Mapping[str, pl.Series]
    unread: Mapping[str, Sequence[str]]


def read_part(plan: PartPlan) -> tuple[Part, list[Reject], dict[str, int]]:
    """One partition's accepted rows of vehicles, registrations, payments and exemptions, validated and
    typed; its rejects (in feed order) and the rows read per feed."""
    keep = _range(pl.col("vehicle_id"), plan.low, plan.high)
    rejects: list[Reject] = []
    read: dict[str, int] = {}

    def raw(name: str) -> RawFeed:
        feed = read_raw(name, plan.paths[name], (), keep)
        read[name] = feed.frame.height
        return feed

    def accepted(name: str, checks: Callable[..., Sequence[Check]], columns: Columns) -> pl.DataFrame:
        feed = raw(name)
        unknown_owners = None
        if name in plan.no_owner:
            unknown_owners = feed.frame.get_column(ROW).is_in(plan.no_owner[name].implode())
        refs = _references(name, feed, known, plan.owners, plan.later, unknown_owners)
        frame, _ = _accept(feed, partial(checks, refs=refs), columns, rejects)
        return frame.drop(plan.unread.get(name, ()))

    vehicles_raw = raw("vehicles")
    vehicles, known = _accept(vehicles_raw, r.vehicle_checks, r.vehicle_columns, rejects, "vehicle_id")
    del vehicles_raw
    registrations = accepted("registrations", r.registration_checks, r.registration_columns)
    payments = accepted("payments", r.payment_checks, r.payment_columns)
    exemptions = pl.DataFrame(schema=r.EXEMPTIONS_SCHEMA)
    if "exemptions" in plan.paths:
        exemptions = accepted("exemptions", r.exemption_checks, r.exemption_columns)
    vehicles = vehicles.drop(plan.unread.get("vehicles", ()))
    return (vehicles, registrations, payments, exemptions), rejects, read


PARTITIONED = ("vehicles", "registrations", "payments", "exemptions")
"""The feeds split by vehicle; owners and arrears are read whole."""
BOUND_SAMPLE = 100_000
"""About how many vehicle ids the partitions' bounds are taken from."""
_FEED = "__feed"
_HASH = "__hash"
_KNOWN = "__known"


def _range(vehicle: pl.Expr, low: str | None, high: str | None) -> pl.Expr:
    """The filter of one partition: the ids from ``low`` (included) to ``high`` (excluded); the first range
    (no ``low``) also takes the rows without a vehicle id. Plain comparisons, which a Parquet scan checks
    against the row groups' statistics to skip those with no row in the range."""
    if low is None:
        return pl.lit(True) if high is None else vehicle.is_null() | (vehicle < high)
    if high is None:
        return vehicle >= low
    return (vehicle >= low) & (vehicle < high)


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
