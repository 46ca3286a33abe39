"""The case file of a detection run (contracts.md §2): one JSON object (or Parquet row) per case."""

from __future__ import annotations

from pathlib import Path

import polars as pl

REFUND_FIELDS = (
    "payment_id",
    "cause",
    "liability_car_tax",
    "liability_edu_tax",
    "refund_car_tax",
    "refund_edu_tax",
    "arose_on",
    "interest_from",
    "interest",
    "lapsed",
)
TOTAL_FIELDS = ("refund", "interest", "offset", "payable")
FORMATS = ("jsonl", "parquet")


def case_records(
    refunds: pl.DataFrame, cases: pl.DataFrame, totals: pl.DataFrame, tax_year: int, rules_version: str
) -> pl.DataFrame:
    """One row per case with at least one refund entry (lapsed ones included), in a stable order."""
    entries = (
        refunds.sort(["case", "seq"])
        .group_by("case", maintain_order=True)
        .agg(pl.struct(*REFUND_FIELDS).alias("refunds"))
    )
    return (
        cases.select("case", "case_key", "owner_id", "vehicle_id", "district")
        .join(entries, on="case", how="inner")
        .join(totals, on="case", how="left")
        .sort(["owner_id", "vehicle_id"])
        .select(
            "case_key",
            "owner_id",
            "vehicle_id",
            pl.lit(tax_year, dtype=pl.Int64).alias("tax_year"),
            "district",
            "refunds",
            pl.struct(*TOTAL_FIELDS).alias("totals"),
            pl.lit(rules_version).alias("rules_version"),
        )
    )


def write_cases(records: pl.DataFrame, path: Path, fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"output format {fmt!r} is not accepted; accepted: {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        records.write_parquet(path)
    else:
        records.write_ndjson(path)
