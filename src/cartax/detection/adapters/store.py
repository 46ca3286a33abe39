"""Storing a run's cases: new ones raise RefundDetected, changed ones are recomputed explicitly.

A case is identified by its stable key; its fingerprint is a hash of its refunds and totals. The same
data detected again changes nothing and raises nothing; a correction that changes a case's amounts
updates the stored case, writes a recomputation row (old and new totals) and raises RefundRecomputed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
import polars_hash as plh
from sqlalchemy import Engine, bindparam, func, insert, select, update

from cartax.detection.adapters.tables import detected_cases, detection_recomputations, detection_runs
from cartax.detection.cases import with_case_keys
from cartax.detection.events import RefundDetected, RefundRecomputed
from cartax.detection.requests import case_requests
from cartax.detection.run import RunResult
from cartax.infra.bulk import insert_frame, key_table, read_frame
from cartax.infra.outbox import EncodedEvents
from cartax.infra.uow import SqlUnitOfWork
from cartax.rules import Law

ZERO_TOTALS = {"refund": 0, "interest": 0, "offset": 0, "payable": 0}
EMPTY_FINGERPRINT = hashlib.sha256(
    json.dumps({"refunds": [], "totals": ZERO_TOTALS}, separators=(",", ":")).encode()
).hexdigest()


@dataclass(frozen=True)
class StoredRun:
    run_id: int
    new: int
    recomputed: int
    unchanged: int


def store_run(
    uow: SqlUnitOfWork,
    result: RunResult,
    law: Law,
    decision_on: date,
    started_at: datetime,
    mode: str = "full",
    scope: pl.DataFrame | None = None,
) -> StoredRun:
    """Persist ``result`` in one transaction with its events.

    ``scope`` lists the (owner_id, vehicle_id) pairs the run examined; a stored case of the year in
    scope that the run no longer finds is recomputed to zero. ``None`` means the whole tax year.
    """
    tax_year = result.summary.tax_year
    found = _found(result, decision_on)
    with uow:
        connection = uow.connection
        run_key = connection.execute(
            insert(detection_runs).values(
                mode=mode,
                tax_year=tax_year,
                decision_on=decision_on,
                rules_version=law.version,
                rules_digest=law.rule_set.digest,
                started_at=started_at,
                finished_at=uow.now(),
                summary=json.loads(result.summary.as_json()),
            )
        ).inserted_primary_key
        run_id = int(run_key[0]) if run_key else 0
        stored = _stored(connection, tax_year, scope)
        new, changed, vanished = _diff(found, stored)
        _insert_new(uow, new, run_id)
        _recompute(uow, changed, run_id)
        _recompute(uow, vanished, run_id)
        uow.commit()
    return StoredRun(
        int(run_id), new.height, changed.height + vanished.height, found.height - new.height - changed.height
    )


def _found(result: RunResult, decision_on: date) -> pl.DataFrame:
    records = result.records
    if records.is_empty():
        return pl.DataFrame(schema={"case_key": pl.String, "fingerprint": pl.String, "record": pl.String})
    keyed = result.batch.cases.select("case", "case_key").join(records.select("case_key"), on="case_key")
    requests = case_requests(result.batch, decision_on, keyed["case"]).join(keyed, on="case").drop("case")
    return (
        records.with_columns(
            pl.struct("case_key", "owner_id", "vehicle_id", "tax_year", "district", "refunds", "totals",
                      "rules_version").struct.json_encode().alias("record"),
            pl.struct("refunds", "totals").struct.json_encode().alias("_amounts"),
        )
        .with_columns(plh.col("_amounts").chash.sha2_256().alias("fingerprint"))
        .join(requests, on="case_key")
        .select(
            "case_key", "owner_id", "vehicle_id", "tax_year", "district", "rules_version", "fingerprint",
            pl.col("totals").struct.field("refund"), pl.col("totals").struct.field("interest"),
            pl.col("totals").struct.field("offset"), pl.col("totals").struct.field("payable"),
            "record", "request",
        )
    )  # fmt: skip


def _stored(connection: Any, tax_year: int, scope: pl.DataFrame | None) -> pl.DataFrame:
    """The stored cases of ``tax_year``: all of them, or (incremental) those of the scope, by key."""
    if scope is None:
        columns = (detected_cases.c[name] for name in _STORED)
        return read_frame(connection, select(*columns).where(detected_cases.c.tax_year == tax_year), _STORED)
    # The scope's case keys, looked up by the primary key: not every stored case of the year.
    keys = with_case_keys(scope.select("owner_id", "vehicle_id").unique(), tax_year)["case_key"]
    with key_table(connection, keys) as wanted:
        return wanted.rows(detected_cases, _STORED, "case_key")


_STORED = {
    "case_key": pl.String(), "owner_id": pl.String(), "vehicle_id": pl.String(), "fingerprint": pl.String(),
    "refund": pl.Int64(), "interest": pl.Int64(), "offset": pl.Int64(), "payable": pl.Int64(),
    "record": pl.String(),
}  # fmt: skip


def _diff(found: pl.DataFrame, stored: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    previous = stored.select(
        "case_key",
        pl.col("fingerprint").alias("previous_fingerprint"),
        pl.struct("refund", "interest", "offset", "payable").alias("previous_totals"),
    )
    joined = found.join(previous, on="case_key", how="left")
    new = joined.filter(pl.col("previous_fingerprint").is_null())
    changed = joined.filter(
        pl.col("previous_fingerprint").is_not_null()
        & (pl.col("previous_fingerprint") != pl.col("fingerprint"))
    )
    gone = stored.join(found.select("case_key"), on="case_key", how="anti").filter(
        pl.col("payable") + pl.col("refund") > 0
    )
    vanished = (
        gone.join(previous, on="case_key")
        .with_columns(
            pl.col("record").map_elements(_emptied, return_dtype=pl.String),
            pl.lit(0, pl.Int64).alias("refund"),
            pl.lit(0, pl.Int64).alias("interest"),
            pl.lit(0, pl.Int64).alias("offset"),
            pl.lit(0, pl.Int64).alias("payable"),
        )
        .with_columns(pl.lit(EMPTY_FINGERPRINT).alias("fingerprint"))
    )
    return new, changed, vanished


def _emptied(record: str) -> str:
    emptied = {**json.loads(record), "refunds": [], "totals": ZERO_TOTALS}
    return json.dumps(emptied, ensure_ascii=False, separators=(",", ":"))


def _insert_new(uow: SqlUnitOfWork, new: pl.DataFrame, run_id: int) -> None:
    if new.is_empty():
        return
    rows = new.drop("previous_fingerprint", "previous_totals").with_columns(
        pl.lit(run_id).alias("first_run_id"), pl.lit(run_id).alias("last_run_id")
    )
    insert_frame(uow.connection, detected_cases, rows)
    # RefundDetected's payload is the record with the run's id after it (RefundDetected.payload), built
    # column-wise: each record is a JSON object, so its closing brace gives way to one more member.
    payloads = pl.col("record").str.strip_suffix("}") + pl.lit(f',"run_id":{int(run_id)}}}')
    uow.emit_encoded(EncodedEvents(RefundDetected.TYPE, rows.select(payloads)["record"]))


def _recompute(uow: SqlUnitOfWork, changed: pl.DataFrame, run_id: int) -> None:
    if changed.is_empty():
        return
    now = uow.now()
    statement = (
        update(detected_cases)
        .where(detected_cases.c.case_key == bindparam("key"))
        .values(
            fingerprint=bindparam("fingerprint"),
            refund=bindparam("refund"),
            interest=bindparam("interest"),
            offset=bindparam("offset"),
            payable=bindparam("payable"),
            record=bindparam("record"),
            last_run_id=run_id,
        )
    )
    rows = changed.to_dicts()
    fields = ("fingerprint", "refund", "interest", "offset", "payable", "record")
    uow.connection.execute(statement, [{"key": r["case_key"], **{k: r[k] for k in fields}} for r in rows])
    uow.connection.execute(
        insert(detection_recomputations),
        [
            {
                "case_key": r["case_key"],
                "run_id": run_id,
                "previous_fingerprint": r["previous_fingerprint"],
                "previous_totals": r["previous_totals"],
                "totals": {k: r[k] for k in ("refund", "interest", "offset", "payable")},
                "recorded_at": now,
            }
            for r in rows
        ],
    )
    for r in rows:
        uow.emit(RefundRecomputed(json.loads(r["record"]), run_id, r["previous_totals"]))


def count_runs(bind: Engine) -> int:
    """How many detection runs the database holds."""
    with bind.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(detection_runs)).scalar_one())
