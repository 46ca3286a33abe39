"""``cartax ingest``: validated feeds into the registry tables, idempotently, corrections recorded.

Each feed's accepted rows are compared, whole columns at a time, with what is stored under the same key:
a new key is inserted, a key whose values differ is updated — with a ``registry_changes`` row naming the
fields and a :class:`RegistryCorrected` event — and an identical row is left alone, so loading the same
files twice changes nothing. Rows absent from a later file are kept: feeds add and correct, they do not
delete. Everything happens in one transaction: a failure stores nothing.

Owners' personal values are compared through a keyed fingerprint; only the rows whose fingerprint moved
are decrypted, to name which personal fields changed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl
from sqlalchemy import Table

from cartax.infra.crypto import PiiCipher
from cartax.registry.adapters import tables as t
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.events import FeedsIngested, RegistryCorrected
from cartax.registry.feed_files import FEED_COLUMNS, ROW
from cartax.registry.feeds import Feeds
from cartax.registry.holdings import derive_holdings

PII = ("rrn", "phone", "email", "address", "refund_account")
"""Owners' columns stored only encrypted (as ``<column>_encrypted``)."""
FEED_ORDER = ("vehicles", "owners", "registrations", "payments", "arrears", "exemptions")
_FIELDS = "__fields"
_STORED = "__stored"


@dataclass(frozen=True)
class FeedCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class IngestReport:
    ingest_id: int
    counts: Mapping[str, FeedCounts]
    seconds: float
    holdings: int = 0
    """Holdings derived again, for the vehicles whose registration events were inserted or updated."""

    @property
    def inserted(self) -> int:
        return sum(c.inserted for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.counts.values())

    def summary(self) -> dict[str, Any]:
        return {
            "feeds": {name: asdict(c) for name, c in self.counts.items()},
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class _Entity:
    feed: str
    name: str
    table: Table
    key: tuple[str, ...]
    compared: tuple[str, ...]


VEHICLES = _Entity(
    "vehicles",
    "vehicle",
    t.vehicles,
    ("vehicle_id",),
    tuple(column for column in FEED_COLUMNS["vehicles"] if column != "vehicle_id"),
)
OWNERS = _Entity(
    "owners",
    "owner",
    t.owners,
    ("owner_id",),
    ("kind", "name", "district", "refund_bank", "refund_account_holder", "pii_fingerprint"),
)
REGISTRATIONS = _Entity(
    "registrations",
    "registration",
    t.registrations,
    ("event_id",),
    ("vehicle_id", "event", "date", "owner_id", "prepayment_passed_on", "reason"),
)
PAYMENTS = _Entity(
    "payments",
    "payment",
    t.payments,
    ("payment_id",),
    (
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
)
ARREARS = _Entity("arrears", "arrears", t.arrears, ("owner_id", "district"), ("amount",))
EXEMPTIONS = _Entity(
    "exemptions",
    "exemption",
    t.exemptions,
    ("owner_id", "vehicle_id", "rate_pct", "effective_from", "decided_on"),
    (),
)


ENTITIES = (VEHICLES, OWNERS, REGISTRATIONS, PAYMENTS, ARREARS, EXEMPTIONS)
STATISTICS_AFTER = 50_000
"""Rows inserted into a table by one load above which its planner statistics are refreshed at once."""


def ingest_feeds(feeds: Feeds, uow: RegistryUnitOfWork, cipher: PiiCipher) -> IngestReport:
    """Store the accepted rows of ``feeds`` in one transaction; return what was inserted and updated."""
    started = time.perf_counter()
    with uow:
        loader = _Loader(uow, cipher)
        counts = {
            "vehicles": loader.load(VEHICLES, feeds.vehicles.drop(ROW)),
            "owners": loader.owners(feeds.owners.drop(ROW)),
            "registrations": loader.registrations(_with_provenance(feeds.registrations, loader.ingest_id)),
            "payments": loader.load(PAYMENTS, _with_provenance(feeds.payments, loader.ingest_id)),
            "arrears": loader.load(ARREARS, feeds.arrears),
            "exemptions": loader.load(EXEMPTIONS, feeds.exemptions.drop(ROW).unique(maintain_order=True)),
        }
        counts = {name: _with_read(counts[name], feeds, name) for name in FEED_ORDER}
        report = IngestReport(loader.ingest_id, counts, time.perf_counter() - started, loader.holdings)
        if report.inserted or report.updated:
            uow.emit(
                FeedsIngested(loader.ingest_id, report.inserted, report.updated, report.rejected, loader.now)
            )
        uow.store.finish_ingest(loader.ingest_id, uow.now(), report.summary())
        # After a large load the planner's statistics are stale until autovacuum comes round; refresh
        # them now, so the next reads by key (an incremental detection) use the indexes at once.
        large = {name for name, count in counts.items() if count.inserted >= STATISTICS_AFTER}
        uow.store.refresh_statistics([entity.table for entity in ENTITIES if entity.feed in large])
        uow.commit()
    return report


def _with_provenance(frame: pl.DataFrame, ingest_id: int) -> pl.DataFrame:
    """The load and the line that write each row: they order same-day events and payments as the feed did."""
    return frame.rename({ROW: "file_row"}).with_columns(pl.lit(ingest_id, dtype=pl.Int64).alias("ingest_id"))


def _with_read(counts: FeedCounts, feeds: Feeds, name: str) -> FeedCounts:
    rejected = sum(1 for reject in feeds.rejects if reject.feed == name)
    return FeedCounts(feeds.read.get(name, 0), counts.inserted, counts.updated, counts.unchanged, rejected)


class _Loader:
    """One ingest run's writes: inserts, updates, change records and events, at one moment."""

    def __init__(self, uow: RegistryUnitOfWork, cipher: PiiCipher) -> None:
        self.uow = uow
        self.cipher = cipher
        self.now = uow.now()
        self.ingest_id = uow.store.start_ingest(self.now)
        self.holdings = 0

    def load(self, entity: _Entity, incoming: pl.DataFrame) -> FeedCounts:
        existing = self.uow.store.load(
            entity.table, {c: incoming.schema[c] for c in entity.key + entity.compared}
        )
        new, changed, unchanged = diff(incoming, existing, entity.key, entity.compared)
        self._write(entity, new, changed)
        return FeedCounts(inserted=new.height, updated=changed.height, unchanged=unchanged)

    def registrations(self, incoming: pl.DataFrame) -> FeedCounts:
        """Load the events, then derive again the holdings of every vehicle whose events changed."""
        key_and_compared = REGISTRATIONS.key + REGISTRATIONS.compared
        existing = self.uow.store.load(t.registrations, {c: incoming.schema[c] for c in key_and_compared})
        new, changed, unchanged = diff(incoming, existing, REGISTRATIONS.key, REGISTRATIONS.compared)
        self._write(REGISTRATIONS, new, changed)
        moved_from = existing.join(changed.select("event_id"), on="event_id", how="semi")
        affected = pl.concat([new["vehicle_id"], changed["vehicle_id"], moved_from["vehicle_id"]]).unique()
        self._derive_holdings(affected.sort().to_list())
        return FeedCounts(inserted=new.height, updated=changed.height, unchanged=unchanged)

    def _derive_holdings(self, vehicle_ids: list[str]) -> None:
        if not vehicle_ids:
            return
        events = self.uow.store.registrations_of(vehicle_ids)
        # Same-day events apply in feed order: the load that wrote them, then their line in its file.
        ordered = events.sort("vehicle_id", "date", "ingest_id", "file_row").with_row_index(ROW)
        stamp = pl.lit(self.now, dtype=pl.Datetime("us", "UTC")).alias("derived_at")
        derived = derive_holdings(ordered).with_columns(stamp)
        self.uow.store.replace_holdings(vehicle_ids, derived)
        self.holdings += derived.height

    def owners(self, incoming: pl.DataFrame) -> FeedCounts:
        fingerprints = [self.cipher.fingerprint(values) for values in incoming.select(PII).iter_rows()]
        incoming = incoming.with_columns(pl.Series("pii_fingerprint", fingerprints, dtype=pl.String))
        existing = self.uow.store.load(
            t.owners, {c: incoming.schema[c] for c in OWNERS.key + OWNERS.compared}
        )
        new, changed, unchanged = diff(incoming, existing, OWNERS.key, OWNERS.compared)
        changed = self._name_personal_fields(changed)
        self._write(OWNERS, self._sealed(new), self._sealed(changed))
        return FeedCounts(inserted=new.height, updated=changed.height, unchanged=unchanged)

    def _name_personal_fields(self, changed: pl.DataFrame) -> pl.DataFrame:
        """Replace ``pii_fingerprint`` in the changed fields by the personal columns that differ."""
        moved = changed.filter(pl.col(_FIELDS).list.contains("pii_fingerprint"))
        if moved.is_empty():
            return changed
        ids = moved.get_column("owner_id").to_list()
        sealed = [f"{column}_encrypted" for column in PII]
        stored = {row["owner_id"]: row for row in self.uow.store.load_keys(t.owners, "owner_id", ids, sealed)}
        named: dict[str, list[str]] = {}
        for row in moved.iter_rows(named=True):
            old = stored[row["owner_id"]]
            personal = [c for c in PII if row[c] != self._open(old[f"{c}_encrypted"], c, row["owner_id"])]
            # No personal value differs only when the fingerprint key itself changed: say so, no more.
            plain = [f for f in row[_FIELDS] if f != "pii_fingerprint"]
            named[row["owner_id"]] = plain + personal or ["pii_fingerprint"]
        fields = [
            named.get(owner, fields) for owner, fields in changed.select("owner_id", _FIELDS).iter_rows()
        ]
        return changed.with_columns(pl.Series(_FIELDS, fields, dtype=pl.List(pl.String)))

    def _open(self, token: str | None, column: str, owner_id: str) -> str | None:
        return None if token is None else self.cipher.decrypt(token, _context(column, owner_id))

    def _sealed(self, owners: pl.DataFrame) -> pl.DataFrame:
        """Owners as stored: personal columns encrypted, the resident number blind-indexed, no plaintext."""
        columns: dict[str, list[str | None]] = {f"{c}_encrypted": [] for c in PII}
        index: list[str | None] = []
        for row in owners.select("owner_id", *PII).iter_rows(named=True):
            for column in PII:
                value = row[column]
                sealed = (
                    None if value is None else self.cipher.encrypt(value, _context(column, row["owner_id"]))
                )
                columns[f"{column}_encrypted"].append(sealed)
            index.append(None if row["rrn"] is None else self.cipher.blind_index(row["rrn"]))
        encrypted = [pl.Series(name, values, dtype=pl.String) for name, values in columns.items()]
        return owners.drop(PII).with_columns(*encrypted, pl.Series("rrn_index", index, dtype=pl.String))

    def _write(self, entity: _Entity, new: pl.DataFrame, changed: pl.DataFrame) -> None:
        store = self.uow.store
        stamp = pl.lit(self.now, dtype=pl.Datetime("us", "UTC"))
        stamps = [stamp.alias("created_at")] + (
            [stamp.alias("updated_at")] if "updated_at" in entity.table.c else []
        )
        store.insert(entity.table, new.with_columns(stamps))
        if changed.is_empty():
            return
        store.update(entity.table, entity.key, changed.drop(_FIELDS).with_columns(stamp.alias("updated_at")))
        records = [self._change(entity, row) for row in changed.iter_rows(named=True)]
        store.record_changes(records)
        for record, row in zip(records, changed.iter_rows(named=True), strict=True):
            self.uow.emit(
                RegistryCorrected(
                    self.ingest_id,
                    entity.name,
                    record["entity_key"],
                    tuple(row[_FIELDS]),
                    row.get("vehicle_id"),
                    row.get("owner_id"),
                    self.now,
                )
            )

    def _change(self, entity: _Entity, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "ingest_id": self.ingest_id,
            "entity": entity.name,
            "entity_key": "/".join(str(row[column]) for column in entity.key),
            "fields": ",".join(row[_FIELDS]),
            "changed_at": self.now,
        }


def diff(
    incoming: pl.DataFrame, existing: pl.DataFrame, key: Sequence[str], compared: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Split ``incoming`` into new rows, changed rows (with the list of changed fields) and a count of
    unchanged ones, by comparing with ``existing`` under ``key`` (nulls compare equal to nulls)."""
    old = existing.rename({c: f"{c}__old" for c in compared}).with_columns(pl.lit(True).alias(_STORED))
    joined = incoming.join(old, on=list(key), how="left", nulls_equal=True, maintain_order="left")
    differs = {c: pl.col(c).ne_missing(pl.col(f"{c}__old")) for c in compared}
    fields = (
        pl.concat_list([pl.when(d).then(pl.lit(c)) for c, d in differs.items()]).list.drop_nulls()
        if compared
        else pl.lit([], dtype=pl.List(pl.String))
    )
    marked = joined.with_columns(fields.alias(_FIELDS)).drop([f"{c}__old" for c in compared])
    is_new = pl.col(_STORED).is_null()
    new = marked.filter(is_new).drop(_STORED, _FIELDS)
    changed = marked.filter(~is_new & (pl.col(_FIELDS).list.len() > 0)).drop(_STORED)
    return new, changed, incoming.height - new.height - changed.height


def _context(column: str, owner_id: str) -> str:
    """Where a token lives, ``table.column:key`` as key rotation reads it: it decrypts only there."""
    return f"{t.owners.name}.{column}_encrypted:{owner_id}"
