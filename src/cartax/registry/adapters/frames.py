"""Reading the stored registry back as the feeds' typed frames, for detection from the database.

Personal columns are never read here: detection needs ids, dates and amounts only. Same-day events of a
vehicle, and payments made on the same day, keep their order of arrival: the load, then the line in its file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Table, select, union

from cartax.infra.bulk import KeyTable, key_table
from cartax.registry.adapters import tables as t
from cartax.registry.adapters.store import SqlRegistryStore
from cartax.registry.feeds import Feeds

ROW_SPAN = 10_000_000_000
"""Lines per load in the synthetic ``row`` order (load × span + line): far above any file's length."""

VEHICLES = {
    "vehicle_id": pl.String(), "plate": pl.String(), "category": pl.String(), "use": pl.String(),
    "displacement_cc": pl.Int64(), "van_class": pl.String(), "special_class": pl.String(),
    "load_kg": pl.Int64(), "first_registered_on": pl.Date(), "manufactured_year": pl.Int64(),
}  # fmt: skip
REGISTRATIONS = {
    "event_id": pl.String(), "vehicle_id": pl.String(), "event": pl.String(), "date": pl.Date(),
    "owner_id": pl.String(), "prepayment_passed_on": pl.Boolean(), "reason": pl.String(),
    "ingest_id": pl.Int64(), "file_row": pl.Int64(),
}  # fmt: skip
PAYMENTS = {
    "payment_id": pl.String(), "vehicle_id": pl.String(), "owner_id": pl.String(), "tax_year": pl.Int64(),
    "kind": pl.String(), "paid_on": pl.Date(), "car_tax": pl.Int64(), "edu_tax": pl.Int64(),
    "district": pl.String(), "via_grievance": pl.Boolean(), "ingest_id": pl.Int64(), "file_row": pl.Int64(),
}  # fmt: skip
OWNERS = {"owner_id": pl.String(), "kind": pl.String(), "district": pl.String()}
ARREARS = {"owner_id": pl.String(), "district": pl.String(), "amount": pl.Int64()}
EXEMPTIONS = {
    "owner_id": pl.String(), "vehicle_id": pl.String(), "rate_pct": pl.Int64(), "effective_from": pl.Date(),
    "decided_on": pl.Date(), "id": pl.Int64(),
}  # fmt: skip


def stored_feeds(connection: Connection, drop: Unread = None) -> Feeds:
    """Everything the registry holds, as the typed frames of :class:`Feeds` (no rejects: it was validated).

    ``drop`` names, per feed, columns the caller does not read; they are not fetched (as in ``read_feeds``).
    """
    store = SqlRegistryStore(connection)
    schemas = _schemas(drop)
    registrations = store.load(t.registrations, schemas["registrations"]).with_columns(_arrival())
    payments = store.load(t.payments, schemas["payments"]).with_columns(_arrival())
    return Feeds(
        vehicles=_numbered(store.load(t.vehicles, schemas["vehicles"])),
        registrations=registrations.drop("ingest_id", "file_row"),
        owners=_numbered(store.load(t.owners, schemas["owners"])),
        payments=payments.drop("ingest_id", "file_row"),
        arrears=store.load(t.arrears, schemas["arrears"]),
        exemptions=store.load(t.exemptions, schemas["exemptions"]).rename({"id": "row"}),
        rejects=(),
    )


Unread = Mapping[str, Sequence[str]] | None


def _schemas(drop: Unread) -> dict[str, Mapping[str, pl.DataType]]:
    feeds: dict[str, Mapping[str, pl.DataType]] = {
        "vehicles": VEHICLES, "registrations": REGISTRATIONS, "owners": OWNERS, "payments": PAYMENTS,
        "arrears": ARREARS, "exemptions": EXEMPTIONS,
    }  # fmt: skip
    unread = drop or {}
    return {
        feed: {name: dtype for name, dtype in schema.items() if name not in unread.get(feed, ())}
        for feed, schema in feeds.items()
    }


def scoped_feeds(
    connection: Connection, tax_year: int, vehicles: Sequence[str], owners: Sequence[str], drop: Unread = None
) -> Feeds:
    """The stored rows that changes to ``vehicles`` and to ``owners``' arrears can bear on, read through
    the tables' indexes: every (owner, vehicle) of ``tax_year`` on a changed vehicle, and, for the owners
    involved who have arrears (one of those pairs' owners, or a changed owner), every (owner, vehicle) of
    theirs, since offsets against arrears join an owner's cases; with the whole registration history of
    their vehicles and their payments of ``tax_year`` (a case of the year is made of those alone).

    An incremental run reads these instead of the whole registry; narrowed by the detection's own
    scope, they give the same cases as the whole registry does.
    """
    schemas = _schemas(drop)
    with (
        key_table(connection, vehicles) as in_scope,
        key_table(connection, owners) as people,
        key_table(connection) as debtors,
    ):
        # The scope is widened from the changed vehicles' payments, read once: the owners who paid this
        # year's tax on them, then every other vehicle that those of them with arrears (and owners whose
        # arrears changed) paid this year's tax on, found on the server, and its payments.
        paid = {**schemas["payments"], "owner_id": pl.String(), "tax_year": pl.Int64()}
        payments = in_scope.rows(t.payments, paid, "vehicle_id", tax_year=tax_year)
        people.add(payments["owner_id"])
        debtors.add_joined(people, t.arrears, "owner_id", "owner_id")
        theirs = debtors.rows(t.payments, {"vehicle_id": pl.String()}, "owner_id", tax_year=tax_year)
        more = theirs["vehicle_id"].filter(~theirs["vehicle_id"].is_in(payments["vehicle_id"].implode()))
        with key_table(connection, more) as widened:
            payments = pl.concat([payments, widened.rows(t.payments, paid, "vehicle_id", tax_year=tax_year)])
        in_scope.add(more)
        payments = payments.select(list(schemas["payments"]))
        registrations = in_scope.rows(t.registrations, schemas["registrations"], "vehicle_id")
        return Feeds(
            vehicles=_numbered(
                in_scope.rows(t.vehicles, schemas["vehicles"], "vehicle_id").sort("vehicle_id")
            ),
            registrations=registrations.with_columns(_arrival()).drop("ingest_id", "file_row"),
            owners=_numbered(_owners(people, schemas["owners"]).sort(OWNER)),
            payments=payments.with_columns(_arrival()).drop("ingest_id", "file_row"),
            arrears=people.rows(t.arrears, schemas["arrears"], "owner_id"),
            exemptions=in_scope.rows(t.exemptions, schemas["exemptions"], "vehicle_id").rename({"id": "row"}),
            rejects=(),
        )


VEHICLE, OWNER = "vehicle_id", "owner_id"


def _owners(people: KeyTable, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The owners' rows, or, when only their ids are asked for, the ids themselves: each came from a payment
    or an arrears row, whose foreign key says the owner is registered (their table, wide with encrypted
    columns, is not read)."""
    if list(schema) == [OWNER]:
        return people.keys().alias(OWNER).to_frame()
    return people.rows(t.owners, schema, OWNER)


def _numbered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index("row", offset=2).cast({"row": pl.Int64})


def _arrival() -> pl.Expr:
    """The order rows arrived in: the load, then the line of its file (rows stored before the
    payments' line was kept come first, by id)."""
    return (pl.col("ingest_id").fill_null(0) * ROW_SPAN + pl.col("file_row").fill_null(0)).alias("row")


def changed_since(connection: Connection, moment: datetime) -> tuple[Sequence[str], Sequence[str]]:
    """Vehicles and owners whose registry rows were stored or corrected after ``moment``.

    A vehicle counts when it, one of its events, payments or exemptions changed; an owner when their
    arrears changed (their other data cannot change a refund).
    """
    vehicle_sources: list[Table] = [t.vehicles, t.registrations, t.payments]
    vehicles = union(
        *(select(table.c.vehicle_id).where(table.c.updated_at > moment) for table in vehicle_sources),
        select(t.exemptions.c.vehicle_id).where(t.exemptions.c.created_at > moment),
    )
    owners = select(t.arrears.c.owner_id).where(t.arrears.c.updated_at > moment)
    return (
        [row[0] for row in connection.execute(vehicles)],
        [row[0] for row in connection.execute(owners)],
    )
