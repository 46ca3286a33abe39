"""The vectorised engine over a case batch: the rules engine's column path, one call per district.

The law differs between districts only by the local rate, so each district's cases go through the
vectorised path with that district's resolved year law. Every figure equals the scalar engine's
(:mod:`cartax.detection.scalar`), which the tests check on the same batches.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from tqdm import tqdm

from cartax.detection.cases import CaseBatch
from cartax.detection.scalar import REFUND_SCHEMA
from cartax.rules import Law, YearLaw
from cartax.rules.vectorised import (
    CaseColumns,
    ExemptionColumns,
    PaymentColumns,
    VehicleColumns,
    assess_columns,
    codes,
    refund_columns,
)

NO_DAY = np.datetime64("NaT", "D")


def compute_vectorised(batch: CaseBatch, law: Law, decision_on: date) -> pl.DataFrame:
    """Refund lines of every case (``REFUND_SCHEMA``), computed column-wise per district's law.

    Districts whose law is the same (all but the district's name) go through the column path together,
    so a batch costs a few calls rather than one per district.
    """
    frames = []
    laws, group_of = _law_groups(law, batch.tax_year, batch.cases["district"].unique().sort().to_list())
    # The vocabularies' codes are looked up once for the batch, not once per group.
    coded = batch.cases.with_columns(
        _code("category", codes.CATEGORIES),
        _code("use", codes.USES),
        _code("van_class", codes.VAN_CLASSES),
        _code("special_class", codes.SPECIAL_CLASSES),
        _code("start_event", codes.START_EVENTS, "held"),
        _code("end_event", codes.END_EVENTS, "held"),
        pl.col("district").replace_strict(group_of, return_dtype=pl.UInt32).alias(GROUP),
    )
    groups = coded.partition_by(GROUP, maintain_order=True, as_dict=True, include_key=False)
    payments = _by_group(batch.payments.with_columns(_code("kind", codes.PAYMENT_KINDS)), coded)
    exemptions = _by_group(batch.exemptions, coded)
    # A bar only where someone watches (a terminal); batch logs stay clean.
    with tqdm(total=batch.cases.height, unit=" cases", desc="환급 계산", disable=None, leave=False) as bar:
        for (group,), cases in groups.items():
            frames.append(
                _compute(
                    laws[group],
                    cases,
                    payments.get(group, batch.payments.clear()),
                    exemptions.get(group, batch.exemptions.clear()),
                    decision_on,
                )
            )
            bar.update(cases.height)
    if not frames:
        return pl.DataFrame(schema=REFUND_SCHEMA)
    return pl.concat(frames).sort(["case", "seq"])


GROUP = "_law_group"


def _law_groups(law: Law, tax_year: int, districts: list[str]) -> tuple[list[YearLaw], dict[str, int]]:
    """The distinct laws of ``districts`` (equal but for the district's name) and each district's one."""
    laws: list[YearLaw] = []
    group_of: dict[str, int] = {}
    for district in districts:
        year_law = law.year(tax_year, district)
        same = (i for i, known in enumerate(laws) if replace(known, district=district) == year_law)
        group_of[district] = next(same, len(laws))
        if group_of[district] == len(laws):
            laws.append(year_law)
    return laws, group_of


def _by_group(rows: pl.DataFrame, cases: pl.DataFrame) -> dict[Any, pl.DataFrame]:
    """A case table's rows split by their case's law group, in one pass."""
    groups = cases.get_column(GROUP).unique()
    if groups.len() == 1:
        return {groups[0]: rows}  # one law for the whole batch: every row is the group's
    placed = rows.join(cases.select("case", GROUP), on="case", how="inner", maintain_order="left")
    parts = placed.partition_by(GROUP, as_dict=True, include_key=False)
    return {key: part for (key,), part in parts.items()}


def _compute(
    year_law: YearLaw,
    cases: pl.DataFrame,
    payments: pl.DataFrame,
    exemptions: pl.DataFrame,
    decision_on: date,
) -> pl.DataFrame:
    if _numbered_in_order(cases, payments):
        # The group is the whole batch, its cases numbered 0, 1, 2 … and the payments in their order.
        payments = payments.with_columns(pl.col("case").cast(pl.UInt32).alias("local"))
        exemptions = exemptions.with_columns(pl.col("case").cast(pl.UInt32).alias("local"))
    else:
        local = cases.select("case").with_row_index("local", offset=0)
        payments = payments.join(local, on="case", how="inner").sort(["local", "seq"])
        exemptions = exemptions.join(local, on="case", how="inner")
    assessment = assess_columns(year_law, _vehicle_columns(cases))
    refunds = refund_columns(
        year_law,
        assessment,
        _case_columns(cases, decision_on),
        _payment_columns(payments),
        _exemption_columns(exemptions),
    )
    found = refunds.has_refund
    # Text columns stay in Polars (filtered by the mask, the cause looked up from its code): turned into
    # NumPy they would be one Python string per payment, whose freed memory the interpreter keeps.
    kept = pl.Series(found)
    causes = pl.Series([cause.value if cause else "" for cause in codes.CAUSES], dtype=pl.String)
    return pl.DataFrame(
        {
            "case": payments["case"].to_numpy()[found],
            "seq": payments["seq"].to_numpy()[found],
            "payment_id": payments["payment_id"].filter(kept),
            "cause": causes.gather(refunds.cause[found]),
            "liability_car_tax": refunds.liability_car_tax[found],
            "liability_edu_tax": refunds.liability_edu_tax[found],
            "refund_car_tax": refunds.refund_car_tax[found],
            "refund_edu_tax": refunds.refund_edu_tax[found],
            "arose_on": refunds.arose_on[found],
            "interest_from": refunds.interest_from[found],
            "interest": refunds.interest[found],
            "lapsed": refunds.lapsed[found],
        },
        schema=REFUND_SCHEMA,
    )


def _numbered_in_order(cases: pl.DataFrame, payments: pl.DataFrame) -> bool:
    """True when the cases are numbered 0 … n-1 in order and the payments are in order of case and seq,
    so that a case's number is its place and the payments need neither a join nor a sort."""
    if not cases.get_column("case").equals(
        pl.int_range(cases.height, dtype=pl.Int64, eager=True), check_names=False
    ):
        return False
    case, seq = pl.col("case").cast(pl.Int64), pl.col("seq").cast(pl.Int64)
    step = (case.diff() > 0) | ((case.diff() == 0) & (seq.diff() > 0))
    ordered = payments.select(step.fill_null(True).all() & case.is_between(0, cases.height - 1).all()).item()
    return bool(ordered)


CODE = "_code"


def _code(column: str, vocabulary: tuple[Any, ...], missing: str | None = None) -> pl.Expr:
    """``column`` as its index in ``vocabulary`` (``NO_CLASS`` when absent), named ``<column>_code``."""
    mapping = {str(value): index for index, value in enumerate(vocabulary)}
    values = pl.col(column) if missing is None else pl.col(column).fill_null(missing)
    coded = values.replace_strict(mapping, default=codes.NO_CLASS, return_dtype=pl.UInt8)
    return coded.alias(column + CODE)


def _codes(frame: pl.DataFrame, column: str) -> np.ndarray[Any, Any]:
    return frame[column + CODE].to_numpy()


def _days(frame: pl.DataFrame, column: str) -> np.ndarray[Any, Any]:
    return frame[column].cast(pl.Date).to_numpy().astype("datetime64[D]")


def _vehicle_columns(cases: pl.DataFrame) -> VehicleColumns:
    return VehicleColumns(
        category=_codes(cases, "category"),
        use=_codes(cases, "use"),
        displacement_cc=cases["displacement_cc"].fill_null(0).to_numpy(),
        load_kg=cases["load_kg"].fill_null(0).to_numpy(),
        van_class=_codes(cases, "van_class"),
        special_class=_codes(cases, "special_class"),
        first_registered_on=_days(cases, "first_registered_on"),
        manufactured_year=cases["manufactured_year"].to_numpy(),
    )


def _case_columns(cases: pl.DataFrame, decision_on: date) -> CaseColumns:
    n = cases.height
    decided = np.full(n, np.datetime64(decision_on, "D"))
    return CaseColumns(
        start_event=_codes(cases, "start_event"),
        start_date=_days(cases, "start_date"),
        end_event=_codes(cases, "end_event"),
        end_date=_days(cases, "end_date"),
        prepayment_passed_on=cases["prepayment_passed_on"].to_numpy(),
        decision_on=decided,
        as_of=decided,
        held_no_day=cases["held_no_day"].to_numpy(),
    )


def _payment_columns(payments: pl.DataFrame) -> PaymentColumns:
    return PaymentColumns(
        case=payments["local"].to_numpy(),
        kind=_codes(payments, "kind"),
        paid_on=_days(payments, "paid_on"),
        car_tax=payments["car_tax"].to_numpy(),
        edu_tax=payments["edu_tax"].to_numpy(),
        via_grievance=payments["via_grievance"].to_numpy(),
    )


def _exemption_columns(exemptions: pl.DataFrame) -> ExemptionColumns:
    if exemptions.is_empty():
        return ExemptionColumns.empty()
    return ExemptionColumns(
        case=exemptions["local"].to_numpy(),
        rate_pct=exemptions["rate_pct"].to_numpy(),
        effective_from=_days(exemptions, "effective_from"),
        decided_on=_days(exemptions, "decided_on"),
        applied_on=np.full(exemptions.height, NO_DAY),
    )
