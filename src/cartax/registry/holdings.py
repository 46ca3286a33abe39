"""Holdings derived from registration events: who held which vehicle from when to when (rules.md §5).

An owner's holding runs from the event that gave them the vehicle (new registration or transfer) to the
next event of that vehicle: a transfer (carrying its ``prepayment_passed_on`` flag), a deregistration,
or a new registration after a holding that was never deregistered (which ends it like a transfer).
Same-day events of a vehicle apply in file order. Day boundaries (who owns the transfer day, whether
the deregistration day is taxed) are the rules engine's business, not this module's.
"""

from __future__ import annotations

from datetime import date

import polars as pl

HOLDING_COLUMNS = (
    "vehicle_id",
    "owner_id",
    "start_event",
    "start_date",
    "end_event",
    "end_date",
    "prepayment_passed_on",
)


def derive_holdings(registrations: pl.DataFrame) -> pl.DataFrame:
    """Every holding in the registration history, one row each, open holdings with a null end.

    ``registrations`` has the validated columns of the registrations feed plus ``row`` (file order).
    """
    ordered = registrations.sort(["vehicle_id", "date", "row"], maintain_order=True)
    # Sorted by vehicle, the next event of a vehicle is the next row when it is the same vehicle: a
    # shift and a mask, linear, where a window over millions of vehicles would hash every one.
    same_vehicle = pl.col("vehicle_id").shift(-1) == pl.col("vehicle_id")
    with_next = ordered.with_columns(
        pl.when(same_vehicle).then(pl.col("event").shift(-1)).alias("next_event"),
        pl.when(same_vehicle).then(pl.col("date").shift(-1)).alias("next_date"),
        pl.when(same_vehicle).then(pl.col("prepayment_passed_on").shift(-1)).alias("next_passed"),
    )
    return with_next.filter(pl.col("event").is_in(["new_registration", "transfer"])).select(
        "vehicle_id",
        "owner_id",
        pl.col("event").alias("start_event"),
        pl.col("date").alias("start_date"),
        pl.when(pl.col("next_event") == "deregistration")
        .then(pl.lit("deregistration"))
        .when(pl.col("next_event").is_not_null())
        .then(pl.lit("transfer"))
        .otherwise(None)
        .alias("end_event"),
        pl.col("next_date").alias("end_date"),
        (pl.col("next_event") == "transfer")
        .fill_null(False)
        .and_(pl.col("next_passed").fill_null(False))
        .alias("prepayment_passed_on"),
    )


def holdings_in_year(holdings: pl.DataFrame, year: int) -> pl.DataFrame:
    """The holdings that touch tax year ``year``, described as the calculation contract does.

    A holding that began before the year starts ``held``; one that ends after it ends ``held``. A
    holding whose end event falls on 1 January is kept: its owner held no day, but the event is theirs.
    """
    first, last = date(year, 1, 1), date(year, 12, 31)
    touching = holdings.filter(
        (pl.col("start_date") <= last) & (pl.col("end_date").is_null() | (pl.col("end_date") >= first))
    )
    starts_before = pl.col("start_date") < first
    ends_after = pl.col("end_date").is_null() | (pl.col("end_date") > last)
    return touching.with_columns(
        pl.when(starts_before).then(pl.lit("held")).otherwise(pl.col("start_event")).alias("start_event"),
        pl.when(starts_before).then(None).otherwise(pl.col("start_date")).alias("start_date"),
        pl.when(ends_after).then(pl.lit("held")).otherwise(pl.col("end_event")).alias("end_event"),
        pl.when(ends_after).then(None).otherwise(pl.col("end_date")).alias("end_date"),
        pl.when(ends_after)
        .then(False)
        .otherwise(pl.col("prepayment_passed_on"))
        .alias("prepayment_passed_on"),
    )
