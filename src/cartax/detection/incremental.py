"""Incremental detection: recompute only the cases that the registry's latest changes can touch.

A change to a vehicle (its registration events, payments or exemptions) can change every case on that
vehicle; a change to an owner's arrears, or to any of their cases, can move the offsets across all of that
owner's cases of the year. Nothing else joins one case to another: an owner without arrears has cases
that are independent of each other. So the scope is: every (owner, vehicle) with a payment of the year on
a changed vehicle, widened to every case of the owners involved who have arrears and of owners whose
arrears changed. Inside that
scope the computation is the full one, so an incremental run and a full run agree case by case.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from cartax.registry.feeds import Feeds

PAIR = ("owner_id", "vehicle_id")


def scope_of(
    feeds: Feeds, tax_year: int, changed_vehicles: Iterable[str], changed_owners: Iterable[str] = ()
) -> pl.DataFrame:
    """The (owner_id, vehicle_id) pairs of ``tax_year`` whose cases the changes can touch."""
    vehicles = pl.Series("vehicle_id", list(changed_vehicles), dtype=pl.String)
    owners = pl.Series("owner_id", list(changed_owners), dtype=pl.String)
    pairs = feeds.payments.filter(pl.col("tax_year") == tax_year).select(PAIR).unique()
    on_changed = pairs.filter(pl.col("vehicle_id").is_in(vehicles.implode()))
    involved = pl.concat([on_changed["owner_id"], owners]).unique()
    debtors = involved.filter(involved.is_in(feeds.arrears["owner_id"].implode()))
    return pairs.filter(pl.col("owner_id").is_in(debtors.implode())).vstack(on_changed).unique().sort(PAIR)


def restrict(feeds: Feeds, scope: pl.DataFrame) -> Feeds:
    """The feeds cut down to what the cases in ``scope`` need (whole histories of their vehicles)."""
    vehicles = scope["vehicle_id"].unique().implode()
    owners = scope["owner_id"].unique().implode()
    return Feeds(
        vehicles=feeds.vehicles.filter(pl.col("vehicle_id").is_in(vehicles)),
        registrations=feeds.registrations.filter(pl.col("vehicle_id").is_in(vehicles)),
        owners=feeds.owners.filter(pl.col("owner_id").is_in(owners)),
        payments=feeds.payments.join(scope, on=list(PAIR), how="semi"),
        arrears=feeds.arrears.filter(pl.col("owner_id").is_in(owners)),
        exemptions=feeds.exemptions.join(scope, on=list(PAIR), how="semi"),
        rejects=(),
        read=feeds.read,
    )
