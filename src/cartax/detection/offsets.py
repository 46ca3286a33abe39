"""Offsets against arrears (충당, 지방세기본법 §60②) across an owner's cases in one district.

The refunds of an owner's cases in a district, lapsed ones excepted, are set against that owner's
arrears there: the refund that arose first is used first, then by case key, then by payment order.
"""

from __future__ import annotations

import polars as pl


def case_totals(refunds: pl.DataFrame, cases: pl.DataFrame, arrears: pl.DataFrame) -> pl.DataFrame:
    """Per case: refund, interest (lapsed excluded), offset and payable.

    ``refunds`` has REFUND_SCHEMA, ``cases`` the columns case, case_key, owner_id, district, and
    ``arrears`` owner_id, district, amount (already summed per owner and district).

    Only the refunds of owners with arrears in the case's district are put in order and set against them:
    with nothing owed, every refund's offset is 0 (each refund and interest is 0 or more, so the running
    total of an owner's refunds never falls below the one at hand). Should a refund line ever be
    negative, every refund goes through the ordering, as the law's order then matters everywhere.
    """
    live = refunds.filter(~pl.col("lapsed")).with_columns(
        (pl.col("refund_car_tax") + pl.col("refund_edu_tax")).alias("refund"),
    )
    due = pl.col("refund") + pl.col("interest")
    owing = cases.select("case", "case_key", "owner_id", "district")
    if not live.select((due < 0).any()).item():
        owing = owing.join(arrears.select("owner_id", "district"), on=["owner_id", "district"], how="semi")
    owed = (
        live.join(owing, on="case")
        .join(
            arrears.select("owner_id", "district", pl.col("amount").alias("arrears")),
            on=["owner_id", "district"],
            how="left",
        )
        .with_columns(pl.col("arrears").fill_null(0), due.alias("due"))
        .sort(["owner_id", "district", "arose_on", "case_key", "seq"])
        .with_columns(pl.col("due").cum_sum().over(["owner_id", "district"]).alias("running"))
        .with_columns(
            pl.min_horizontal(
                pl.col("due"), (pl.col("arrears") - pl.col("running") + pl.col("due")).clip(0)
            ).alias("offset")
        )
    )
    per_case = (
        live.group_by("case")
        .agg(pl.col("refund").sum(), pl.col("interest").sum())
        .join(owed.group_by("case").agg(pl.col("offset").sum()), on="case", how="left")
    )
    return (
        cases.select("case")
        .join(per_case, on="case", how="left")
        .with_columns(pl.col("refund", "interest", "offset").fill_null(0).cast(pl.Int64))
        .with_columns((pl.col("refund") + pl.col("interest") - pl.col("offset")).alias("payable"))
    )
