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
from pathlib import Path

import polars as pl

from cartax.registry import feed_checks as fc
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

CATEGORIES = ("passenger", "passenger_other", "van", "truck", "special", "tricycle")
USES = ("private", "business")
VAN_CLASSES = ("express", "large_charter", "small_charter", "large", "small")
BUSINESS_ONLY_VAN_CLASSES = ("express", "large_charter", "small_charter")
SPECIAL_CLASSES = ("large", "small")
EVENTS = ("new_registration", "transfer", "deregistration")
DEREGISTRATION_REASONS = ("scrap", "export", "theft", "other")
OWNER_KINDS = ("person", "company")
PAYMENT_KINDS = ("bill_h1", "bill_h2", "prepay_jan", "prepay_mar", "prepay_jun", "prepay_sep", "june_lump")
RATES = {"1": 100, "1.0": 100, "0.5": 50}
PERSONAL_COLUMNS = (
    "name",
    "rrn",
    "phone",
    "email",
    "address",
    "refund_bank",
    "refund_account",
    "refund_account_holder",
)


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


def read_feeds(directory: Path) -> Feeds:
    """Read and validate the feeds in ``directory``; raise :class:`FeedError` when a file is refused."""
    if not directory.is_dir():
        raise FeedError(None, "the feeds directory does not exist or is not a directory")
    raws = _read_all(directory)
    rejects: list[Reject] = []
    vehicles, vehicle_ids = _accept(
        raws["vehicles"], _vehicle_checks, _vehicle_columns(), rejects, "vehicle_id"
    )
    owners, owner_ids = _accept(raws["owners"], _owner_checks, _owner_columns(), rejects, "owner_id")

    def registration_checks(frame: pl.DataFrame) -> list[Check]:
        return _registration_checks(frame, vehicle_ids, owner_ids)

    def payment_checks(frame: pl.DataFrame) -> list[Check]:
        return _payment_checks(frame, vehicle_ids, owner_ids)

    registrations, _ = _accept(raws["registrations"], registration_checks, _registration_columns(), rejects)
    payments, _ = _accept(raws["payments"], payment_checks, _payment_columns(), rejects)
    arrears = _arrears(raws.get("arrears"), owner_ids, rejects)
    exemptions = _exemptions(raws.get("exemptions"), vehicle_ids, owner_ids, rejects)
    read = {name: raws[name].frame.height if name in raws else 0 for name in REQUIRED_FEEDS + OPTIONAL_FEEDS}
    return Feeds(vehicles, registrations, owners, payments, arrears, exemptions, tuple(rejects), read)


def write_rejects(rejects: Iterable[Reject], path: Path) -> None:
    """Write the rejects as CSV (UTF-8) with the header ``feed,row,reason_code,reason``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("feed", "row", "reason_code", "reason"))
        writer.writerows((r.feed, r.row, r.reason_code, r.reason) for r in rejects)


def _read_all(directory: Path) -> dict[str, RawFeed]:
    raws: dict[str, RawFeed] = {}
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
        raws[name] = read_raw(name, path)
    return raws


def _accept(
    raw: RawFeed,
    checks_for: Callable[[pl.DataFrame], Sequence[Check]],
    columns: Sequence[pl.Expr],
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
    return good.select(*columns, pl.col(ROW)), known


# -- vehicles -----------------------------------------------------------------------------------------

_CLASS_COLUMN = {
    "passenger": "displacement_cc",
    "van": "van_class",
    "special": "special_class",
    "truck": "load_kg",
}


def _is(column: str, value: str) -> pl.Expr:
    return pl.col(column) == value


def _vehicle_checks(frame: pl.DataFrame) -> list[Check]:
    passenger, van, special, truck = (_is("category", c) for c in ("passenger", "van", "special", "truck"))
    private_van = van & _is("use", "private")
    made = pl.col("manufactured_year").cast(pl.Int64, strict=False)
    return fc.chain(
        fc.required_id("vehicle_id"),
        fc.unique("vehicle_id", frame),
        fc.required("category"),
        fc.one_of("category", CATEGORIES),
        fc.required("use"),
        fc.one_of("use", USES),
        fc.required("first_registered_on"),
        fc.real_date("first_registered_on"),
        fc.whole_number("manufactured_year"),
        fc.required("displacement_cc", passenger, " for a passenger vehicle"),
        fc.whole_number("displacement_cc", passenger),
        fc.positive("displacement_cc", passenger),
        fc.required("van_class", van, " for a van"),
        fc.one_of("van_class", VAN_CLASSES, van),
        Check(
            fc.INVALID_VALUE,
            "van_class",
            "van_class express, large_charter and small_charter are for business vans; "
            "a private van is large or small",
            private_van & pl.col("van_class").is_in(list(BUSINESS_ONLY_VAN_CLASSES)),
        ),
        fc.required("special_class", special, " for a special vehicle"),
        fc.one_of("special_class", SPECIAL_CLASSES, special),
        fc.required("load_kg", truck, " for a truck"),
        fc.whole_number("load_kg", truck),
        fc.positive("load_kg", truck),
        Check(
            fc.INCONSISTENT,
            "manufactured_year",
            "manufactured_year is after the year of first_registered_on; it must be that year or earlier",
            made > fc.parsed_date("first_registered_on").dt.year(),
        ),
    )


def _vehicle_columns() -> list[pl.Expr]:
    first = fc.parsed_date("first_registered_on")
    made = pl.col("manufactured_year").cast(pl.Int64)

    def only_for(category: str, value: pl.Expr) -> pl.Expr:
        # Class columns of other categories are ignored, as in the calculation contract.
        return pl.when(_is("category", category)).then(value).otherwise(None)

    return [
        pl.col("vehicle_id"),
        pl.col("plate"),
        pl.col("category"),
        pl.col("use"),
        only_for("passenger", pl.col("displacement_cc").cast(pl.Int64)).alias("displacement_cc"),
        only_for("van", pl.col("van_class")).alias("van_class"),
        only_for("special", pl.col("special_class")).alias("special_class"),
        only_for("truck", pl.col("load_kg").cast(pl.Int64)).alias("load_kg"),
        first.alias("first_registered_on"),
        made.fill_null(first.dt.year().cast(pl.Int64)).alias("manufactured_year"),
    ]


# -- owners -------------------------------------------------------------------------------------------


def _owner_checks(frame: pl.DataFrame) -> list[Check]:
    return fc.chain(
        fc.required_id("owner_id"),
        fc.unique("owner_id", frame),
        fc.required("kind"),
        fc.one_of("kind", OWNER_KINDS),
        fc.district("district"),
    )


def _owner_columns() -> list[pl.Expr]:
    # Personal columns are carried exactly as read: never validated, so never quoted in a reject.
    return [pl.col(column) for column in FEED_COLUMNS["owners"]]


# -- registrations ------------------------------------------------------------------------------------


def _registration_checks(frame: pl.DataFrame, vehicles: fc.Known, owners: fc.Known) -> list[Check]:
    gives_owner = pl.col("event").is_in(["new_registration", "transfer"])
    deregistration = _is("event", "deregistration")
    return fc.chain(
        fc.required_id("event_id"),
        fc.unique("event_id", frame),
        fc.required("vehicle_id"),
        fc.refers_to("vehicle_id", "vehicle", frame, vehicles),
        fc.required("event"),
        fc.one_of("event", EVENTS),
        fc.required("date"),
        fc.real_date("date"),
        fc.required("owner_id", gives_owner, " for a new registration or a transfer (the new owner)"),
        fc.refers_to("owner_id", "owner", frame, owners, gives_owner),
        fc.boolean("prepayment_passed_on"),
        fc.required("reason", deregistration, " for a deregistration"),
        fc.one_of("reason", DEREGISTRATION_REASONS, deregistration),
    )


def _registration_columns() -> list[pl.Expr]:
    event = pl.col("event")
    return [
        pl.col("event_id"),
        pl.col("vehicle_id"),
        event,
        fc.parsed_date("date").alias("date"),
        pl.when(event == "deregistration").then(None).otherwise(pl.col("owner_id")).alias("owner_id"),
        (fc.as_bool("prepayment_passed_on") & (event == "transfer")).alias("prepayment_passed_on"),
        pl.when(event == "deregistration").then(pl.col("reason")).otherwise(None).alias("reason"),
    ]


# -- payments -----------------------------------------------------------------------------------------


def _payment_checks(frame: pl.DataFrame, vehicles: fc.Known, owners: fc.Known) -> list[Check]:
    return fc.chain(
        fc.required_id("payment_id"),
        fc.unique("payment_id", frame),
        fc.required("vehicle_id"),
        fc.refers_to("vehicle_id", "vehicle", frame, vehicles),
        fc.required("owner_id"),
        fc.refers_to("owner_id", "owner", frame, owners),
        fc.required("tax_year"),
        fc.whole_number("tax_year"),
        fc.required("kind"),
        fc.one_of("kind", PAYMENT_KINDS),
        fc.required("paid_on"),
        fc.real_date("paid_on"),
        fc.required("car_tax"),
        fc.whole_number("car_tax"),
        fc.required("edu_tax"),
        fc.whole_number("edu_tax"),
        fc.required("district"),
        fc.district("district"),
        fc.boolean("via_grievance"),
    )


def _payment_columns() -> list[pl.Expr]:
    return [
        pl.col("payment_id"),
        pl.col("vehicle_id"),
        pl.col("owner_id"),
        pl.col("tax_year").cast(pl.Int64),
        pl.col("kind"),
        fc.parsed_date("paid_on").alias("paid_on"),
        pl.col("car_tax").cast(pl.Int64),
        pl.col("edu_tax").cast(pl.Int64),
        pl.col("district"),
        fc.as_bool("via_grievance").alias("via_grievance"),
    ]


# -- arrears and exemptions (optional) ----------------------------------------------------------------

ARREARS_SCHEMA = {"owner_id": pl.String, "district": pl.String, "amount": pl.Int64}
EXEMPTIONS_SCHEMA = {
    "owner_id": pl.String,
    "vehicle_id": pl.String,
    "rate_pct": pl.Int64,
    "effective_from": pl.Date,
    "decided_on": pl.Date,
    ROW: pl.Int64,
}


def _arrears(raw: RawFeed | None, owners: fc.Known, rejects: list[Reject]) -> pl.DataFrame:
    if raw is None:
        return pl.DataFrame(schema=ARREARS_SCHEMA)
    frame = raw.frame
    checks = fc.chain(
        fc.required("owner_id"),
        fc.refers_to("owner_id", "owner", frame, owners),
        fc.required("district"),
        fc.district("district"),
        fc.required("amount"),
        fc.whole_number("amount"),
    )
    columns = [pl.col("owner_id"), pl.col("district"), pl.col("amount").cast(pl.Int64)]
    accepted, _ = _accept(raw, lambda _: checks, columns, rejects)
    # Several rows of one owner and district add up (contracts.md §2).
    return accepted.group_by("owner_id", "district", maintain_order=True).agg(pl.col("amount").sum())


def _exemptions(
    raw: RawFeed | None, vehicles: fc.Known, owners: fc.Known, rejects: list[Reject]
) -> pl.DataFrame:
    if raw is None:
        return pl.DataFrame(schema=EXEMPTIONS_SCHEMA)
    frame = raw.frame
    checks = fc.chain(
        fc.required("owner_id"),
        fc.refers_to("owner_id", "owner", frame, owners),
        fc.required("vehicle_id"),
        fc.refers_to("vehicle_id", "vehicle", frame, vehicles),
        fc.required("rate"),
        Check(
            fc.INVALID_VALUE,
            "rate",
            "rate is not 1, 1.0 (full exemption) or 0.5 (50% reduction)",
            fc.present("rate") & ~pl.col("rate").is_in(list(RATES)),
        ),
        fc.required("effective_from"),
        fc.real_date("effective_from"),
        fc.required("decided_on"),
        fc.real_date("decided_on"),
    )
    columns = [
        pl.col("owner_id"),
        pl.col("vehicle_id"),
        pl.col("rate").replace_strict(RATES, return_dtype=pl.Int64).alias("rate_pct"),
        fc.parsed_date("effective_from").alias("effective_from"),
        fc.parsed_date("decided_on").alias("decided_on"),
    ]
    accepted, _ = _accept(raw, lambda _: checks, columns, rejects)
    return accepted
