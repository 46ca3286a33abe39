"""What each feed's rows must satisfy (contracts.md §2), in priority order, and their typed columns.

Every function takes the feed's frame (or its schema): a column read from a typed Parquet file (whole
numbers, dates, booleans) is checked and typed as such, a text column through its text form.
"""

from __future__ import annotations

import polars as pl

from cartax.registry import feed_checks as fc
from cartax.registry.feed_checks import Check, References
from cartax.registry.feed_files import FEED_COLUMNS, ROW

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
ARREARS_SCHEMA = {"owner_id": pl.String, "district": pl.String, "amount": pl.Int64}
EXEMPTIONS_SCHEMA = {
    "owner_id": pl.String,
    "vehicle_id": pl.String,
    "rate_pct": pl.Int64,
    "effective_from": pl.Date,
    "decided_on": pl.Date,
    ROW: pl.Int64,
}


def _is(column: str, value: str) -> pl.Expr:
    return pl.col(column) == value


def vehicle_checks(frame: pl.DataFrame) -> list[Check]:
    s = frame.schema
    passenger, van, special, truck = (_is("category", c) for c in ("passenger", "van", "special", "truck"))
    made = pl.col("manufactured_year").cast(pl.Int64, strict=False)
    return fc.chain(
        fc.required_id("vehicle_id"),
        fc.unique("vehicle_id", frame),
        fc.required("category"),
        fc.one_of("category", CATEGORIES),
        fc.required("use"),
        fc.one_of("use", USES),
        fc.required("first_registered_on"),
        fc.real_date("first_registered_on", s),
        fc.whole_number("manufactured_year", s),
        fc.required("displacement_cc", passenger, " for a passenger vehicle"),
        fc.whole_number("displacement_cc", s, passenger),
        fc.positive("displacement_cc", passenger),
        fc.required("van_class", van, " for a van"),
        fc.one_of("van_class", VAN_CLASSES, van),
        Check(
            fc.INVALID_VALUE,
            "van_class",
            "van_class express, large_charter and small_charter are for business vans; "
            "a private van is large or small",
            van & _is("use", "private") & pl.col("van_class").is_in(list(BUSINESS_ONLY_VAN_CLASSES)),
        ),
        fc.required("special_class", special, " for a special vehicle"),
        fc.one_of("special_class", SPECIAL_CLASSES, special),
        fc.required("load_kg", truck, " for a truck"),
        fc.whole_number("load_kg", s, truck),
        fc.positive("load_kg", truck),
        Check(
            fc.INCONSISTENT,
            "manufactured_year",
            "manufactured_year is after the year of first_registered_on; it must be that year or earlier",
            made > fc.parsed_date("first_registered_on", s).dt.year(),
        ),
    )


def vehicle_columns(s: pl.Schema) -> list[pl.Expr]:
    first = fc.parsed_date("first_registered_on", s)

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
        pl.col("manufactured_year").cast(pl.Int64).fill_null(first.dt.year().cast(pl.Int64)),
    ]


def owner_checks(frame: pl.DataFrame) -> list[Check]:
    return fc.chain(
        fc.required_id("owner_id"),
        fc.unique("owner_id", frame),
        fc.required("kind"),
        fc.one_of("kind", OWNER_KINDS),
        fc.district("district"),
    )


def owner_columns(schema: pl.Schema) -> list[pl.Expr]:
    # Personal columns are carried exactly as read (when read at all): never validated, so never quoted.
    return [pl.col(column) for column in FEED_COLUMNS["owners"] if column in schema]


def registration_checks(frame: pl.DataFrame, refs: References) -> list[Check]:
    s = frame.schema
    gives_owner = pl.col("event").is_in(["new_registration", "transfer"])
    deregistration = _is("event", "deregistration")
    return fc.chain(
        fc.required_id("event_id"),
        refs.unique("registrations", "event_id", frame),
        fc.required("vehicle_id"),
        refs.check("registrations", "vehicle_id"),
        fc.required("event"),
        fc.one_of("event", EVENTS),
        fc.required("date"),
        fc.real_date("date", s),
        fc.required("owner_id", gives_owner, " for a new registration or a transfer (the new owner)"),
        refs.check("registrations", "owner_id", gives_owner),
        fc.boolean("prepayment_passed_on", s),
        fc.required("reason", deregistration, " for a deregistration"),
        fc.one_of("reason", DEREGISTRATION_REASONS, deregistration),
    )


def registration_columns(s: pl.Schema) -> list[pl.Expr]:
    event = pl.col("event")
    return [
        pl.col("event_id"),
        pl.col("vehicle_id"),
        event,
        fc.parsed_date("date", s).alias("date"),
        pl.when(event == "deregistration").then(None).otherwise(pl.col("owner_id")).alias("owner_id"),
        (fc.as_bool("prepayment_passed_on", s) & (event == "transfer")).alias("prepayment_passed_on"),
        pl.when(event == "deregistration").then(pl.col("reason")).otherwise(None).alias("reason"),
    ]


def payment_checks(frame: pl.DataFrame, refs: References) -> list[Check]:
    s = frame.schema
    return fc.chain(
        fc.required_id("payment_id"),
        refs.unique("payments", "payment_id", frame),
        fc.required("vehicle_id"),
        refs.check("payments", "vehicle_id"),
        fc.required("owner_id"),
        refs.check("payments", "owner_id"),
        fc.required("tax_year"),
        fc.whole_number("tax_year", s),
        fc.required("kind"),
        fc.one_of("kind", PAYMENT_KINDS),
        fc.required("paid_on"),
        fc.real_date("paid_on", s),
        fc.required("car_tax"),
        fc.whole_number("car_tax", s),
        fc.required("edu_tax"),
        fc.whole_number("edu_tax", s),
        fc.required("district"),
        fc.district("district"),
        fc.boolean("via_grievance", s),
    )


def payment_columns(s: pl.Schema) -> list[pl.Expr]:
    return [
        pl.col("payment_id"),
        pl.col("vehicle_id"),
        pl.col("owner_id"),
        pl.col("tax_year").cast(pl.Int64),
        pl.col("kind"),
        fc.parsed_date("paid_on", s).alias("paid_on"),
        pl.col("car_tax").cast(pl.Int64),
        pl.col("edu_tax").cast(pl.Int64),
        pl.col("district"),
        fc.as_bool("via_grievance", s).alias("via_grievance"),
    ]


def arrears_checks(frame: pl.DataFrame, refs: References) -> list[Check]:
    return fc.chain(
        fc.required("owner_id"),
        refs.check("arrears", "owner_id"),
        fc.required("district"),
        fc.district("district"),
        fc.required("amount"),
        fc.whole_number("amount", frame.schema),
    )


def arrears_columns(_schema: pl.Schema) -> list[pl.Expr]:
    return [pl.col("owner_id"), pl.col("district"), pl.col("amount").cast(pl.Int64)]


def exemption_checks(frame: pl.DataFrame, refs: References) -> list[Check]:
    s = frame.schema
    return fc.chain(
        fc.required("owner_id"),
        refs.check("exemptions", "owner_id"),
        fc.required("vehicle_id"),
        refs.check("exemptions", "vehicle_id"),
        fc.required("rate"),
        Check(
            fc.INVALID_VALUE,
            "rate",
            "rate is not 1, 1.0 (full exemption) or 0.5 (50% reduction)",
            fc.present("rate") & ~pl.col("rate").is_in(list(RATES)),
        ),
        fc.required("effective_from"),
        fc.real_date("effective_from", s),
        fc.required("decided_on"),
        fc.real_date("decided_on", s),
    )


def exemption_columns(s: pl.Schema) -> list[pl.Expr]:
    return [
        pl.col("owner_id"),
        pl.col("vehicle_id"),
        pl.col("rate").replace_strict(RATES, return_dtype=pl.Int64).alias("rate_pct"),
        fc.parsed_date("effective_from", s).alias("effective_from"),
        fc.parsed_date("decided_on", s).alias("decided_on"),
    ]
