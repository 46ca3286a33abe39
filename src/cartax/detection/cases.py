"""From validated feeds to the cases of one tax year: owner × vehicle × year, with what the law needs.

A case exists for every owner and vehicle with a payment of the year. The payment is matched to the
payer's holding of the vehicle in that year; a payer who held it on no day of the year has an empty
holding, and everything they paid comes back (R4, or R3 for a duplicate).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl
import polars_hash as plh

from cartax.registry.feed_checks import INCONSISTENT
from cartax.registry.feeds import Reject
from cartax.registry.holdings import derive_holdings, holdings_in_year

CASE_KEYS = ("owner_id", "vehicle_id")


@dataclass(frozen=True)
class CaseBatch:
    """The cases of one run, as columns.

    ``cases``: one row per case (``case`` index, ``case_key``, owner, vehicle, district, the vehicle's
    columns and the holding's); ``payments``: the case's payments in the law's order (paid_on, then
    file order) with ``seq``; ``exemptions``: the case's exemptions.
    """

    tax_year: int
    cases: pl.DataFrame
    payments: pl.DataFrame
    exemptions: pl.DataFrame
    rejects: tuple[Reject, ...] = ()
    """Payments the law cannot assess: of a tax year before the vehicle's first registration."""


KEY_SEPARATOR = "\x1f"
KEY_LENGTH = 20


def case_key(owner_id: str, vehicle_id: str, tax_year: int) -> str:
    """An opaque key, stable across runs and versions: SHA-256 of owner, vehicle and year (80 bits kept).

    >>> case_key("o1", "v1", 2026)
    '7285da76cf5ca5b7b583'
    """
    text = KEY_SEPARATOR.join((owner_id, vehicle_id, str(tax_year)))
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def with_case_keys(frame: pl.DataFrame, tax_year: int) -> pl.DataFrame:
    """``frame`` with a ``case_key`` column equal to :func:`case_key` row by row, computed column-wise."""
    text = pl.concat_str(
        [pl.col("owner_id"), pl.col("vehicle_id"), pl.lit(str(tax_year))], separator=KEY_SEPARATOR
    )
    return (
        frame.with_columns(text.alias("_key_text"))
        .with_columns(plh.col("_key_text").chash.sha2_256().str.slice(0, KEY_LENGTH).alias("case_key"))
        .drop("_key_text")
    )


def _position_in_pair() -> pl.Expr:
    """0, 1, 2 … within each (owner, vehicle) of a frame sorted by them (in either order); linear, no hash
    of the pairs."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    starts = (pl.col("owner_id") != pl.col("owner_id").shift(1)) | (
        pl.col("vehicle_id") != pl.col("vehicle_id").shift(1)
    )
    first = pl.when(starts.fill_null(True)).then(index).forward_fill()
    return index - first


LONGEST_HISTORY = 16
"""Holdings of one vehicle in a year above which a pair's last one is found by hashing the pairs."""


def _last_of_pairs(holdings: pl.DataFrame) -> pl.DataFrame:
    """Each (owner, vehicle)'s last holding of ``holdings``, which are in the history's order (a vehicle's
    rows together, by date and file line): the latest to begin.

    A row is dropped when a later row of the same vehicle has the same owner; a vehicle has a few holdings
    in a year, so a few shifted comparisons find them, in order and without hashing millions of pairs.
    """
    if holdings.is_empty():
        return holdings
    vehicle, owner = pl.col("vehicle_id"), pl.col("owner_id")
    longest = int(holdings.select(vehicle.rle().struct.field("len").max()).item())
    if longest > LONGEST_HISTORY:
        return holdings.unique(CASE_KEYS, keep="last", maintain_order=True)
    inside = pl.int_range(pl.len())
    later_same = pl.repeat(False, pl.len())
    for step in range(1, longest):
        same_vehicle = vehicle.shift(-step).eq_missing(vehicle) & (inside < pl.len() - step)
        later_same = later_same | (same_vehicle & owner.shift(-step).eq_missing(owner))
    return holdings.filter(~later_same)


def build_cases(
    vehicles: pl.DataFrame,
    registrations: pl.DataFrame,
    payments: pl.DataFrame,
    exemptions: pl.DataFrame,
    tax_year: int,
    *,
    keys: bool = True,
) -> CaseBatch:
    """Every case of ``tax_year`` with its vehicle, holding, payments and exemptions.

    ``keys=False`` leaves the ``case_key`` column out, for a caller that adds it (:func:`with_case_keys`)
    to the few cases it keeps: a national run has 26.5 million cases and writes 1.4 million.
    """
    # Each payment takes its vehicle's columns here, so a pair takes them from its first payment.
    vehicle_columns = [column for column in vehicles.columns if column not in ("vehicle_id", "row")]
    of_year = payments.filter(pl.col("tax_year") == tax_year).join(
        vehicles.select(pl.exclude("row"), pl.col("first_registered_on").dt.year().alias("registered_year")),
        on="vehicle_id",
        how="left",
    )
    too_early = of_year.filter(pl.col("registered_year") > tax_year)
    rejects = tuple(
        Reject(
            "payments",
            row,
            INCONSISTENT,
            "tax_year is before the year of the vehicle's first_registered_on; a vehicle owes no tax "
            "before it is registered",
        )
        for row in too_early["row"].to_list()
    )
    year_payments = (
        of_year.filter(pl.col("registered_year") <= tax_year)
        .drop("registered_year")
        # Vehicle first: a payments feed written in order of vehicle (or of district) is then already
        # in order of the first key, which the sort checks and uses; owner and vehicle as strings cost
        # three times as much. The cases' order is no part of the output (the records are sorted).
        .sort(["vehicle_id", "owner_id", "paid_on", "row"])
        .with_columns(_position_in_pair().alias("seq"))
    )
    # Sorted by vehicle and owner, a pair's first payment (seq 0) opens it: the pairs are in that order.
    pairs = year_payments.filter(pl.col("seq") == 0).select(*CASE_KEYS, "district", *vehicle_columns)
    year_payments = year_payments.drop(vehicle_columns)
    holdings = _last_of_pairs(holdings_in_year(derive_holdings(registrations), tax_year))
    held = [column for column in holdings.columns if column not in CASE_KEYS]
    cases = (
        pairs.join(holdings, on=CASE_KEYS, how="left", maintain_order="left")
        .select(*CASE_KEYS, "district", *held, *vehicle_columns)
        .with_columns(
            pl.col("start_event").is_null().alias("held_no_day"),
            pl.col("prepayment_passed_on").fill_null(False),
        )
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("case"))
    )
    if keys:
        cases = with_case_keys(cases, tax_year)
    # Every pair is one case (a pair has one holding at most), numbered in the payments' order: each
    # payment's case is the count of pairs opened up to it, and the payments are in order of case and seq.
    payments_of_cases = year_payments.with_columns(
        ((pl.col("seq") == 0).cum_sum().cast(pl.Int64) - 1).alias("case")
    )
    index = cases.select("case", *CASE_KEYS)
    return CaseBatch(
        tax_year,
        cases,
        payments_of_cases,
        exemptions.join(index, on=CASE_KEYS, how="inner").sort(["case", "effective_from"]),
        rejects,
    )
