"""Each detected case's calculation request, in the contract's own format (contracts.md §1).

Stored with the case, it makes the case reproducible: ``cartax calc`` or the explanation recomputes the
very figures, trace and plain-language explanation from it, whatever the registry says later. It holds
ids, dates and amounts only — never personal data.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cartax.detection.cases import CaseBatch


def case_requests(batch: CaseBatch, decision_on: date, cases: pl.Series | None = None) -> pl.DataFrame:
    """Columns ``case`` and ``request`` (JSON text) for the given case indexes (all when ``None``)."""
    chosen = batch.cases if cases is None else batch.cases.filter(pl.col("case").is_in(cases.implode()))
    payments = (
        batch.payments.sort(["case", "seq"])
        .group_by("case", maintain_order=True)
        .agg(
            pl.struct(
                pl.col("payment_id").alias("id"),
                "kind",
                pl.col("paid_on").dt.to_string("%Y-%m-%d"),
                "car_tax",
                "edu_tax",
                "via_grievance",
            ).alias("payments")
        )
    )
    exemptions = batch.exemptions.group_by("case", maintain_order=True).agg(
        pl.struct(
            pl.when(pl.col("rate_pct") == 100).then(1.0).otherwise(0.5).alias("rate"),
            pl.col("effective_from").dt.to_string("%Y-%m-%d"),
            pl.col("decided_on").dt.to_string("%Y-%m-%d"),
        ).alias("exemptions")
    )
    day = decision_on.isoformat()
    transfer_end = pl.col("end_event") == "transfer"
    return (
        chosen.join(payments, on="case", how="left")
        .join(exemptions, on="case", how="left")
        .select(
            "case",
            pl.struct(
                pl.col("case_key").alias("id"),
                pl.lit(batch.tax_year).alias("tax_year"),
                "district",
                pl.struct(
                    "category",
                    "use",
                    "displacement_cc",
                    "van_class",
                    "special_class",
                    "load_kg",
                    pl.col("first_registered_on").dt.to_string("%Y-%m-%d"),
                    "manufactured_year",
                ).alias("vehicle"),
                pl.struct(
                    pl.struct(
                        pl.col("start_event").fill_null("held").alias("event"),
                        pl.col("start_date").dt.to_string("%Y-%m-%d").alias("date"),
                    ).alias("start"),
                    pl.struct(
                        pl.col("end_event").fill_null("held").alias("event"),
                        pl.col("end_date").dt.to_string("%Y-%m-%d").alias("date"),
                        pl.when(transfer_end)
                        .then(pl.col("prepayment_passed_on"))
                        .alias("prepayment_passed_on"),
                    ).alias("end"),
                    pl.when(pl.col("held_no_day")).then(True).alias("held_no_day"),
                ).alias("holding"),
                pl.col("exemptions").fill_null([]),
                pl.col("payments").fill_null([]),
                pl.lit(day).alias("decision_on"),
                pl.lit(day).alias("as_of"),
            )
            .struct.json_encode()
            .alias("request"),
        )
    )
