"""The vectorised engine over a case batch: the rules engine's column path, one call per district.

The law differs between districts only by the local rate, so each district's cases go through the
vectorised path with that district's resolved year law. Every figure equals the scalar engine's
(:mod:`cartax.detection.scalar`), which the tests check on the same batches.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl
from tqdm import tqdm

from cartax.detection.cases import CaseBatch
from cartax.detection.scalar import REFUND_SCHEMA
from cartax.rules import Law
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
    """Refund lines of every case (``REFUND_SCHEMA``), computed column-wise per district."""
    frames = []
    districts = batch.cases.partition_by("district", maintain_order=True, as_dict=True)
    # A bar only where someone watches (a terminal); batch logs stay clean.
    with tqdm(total=batch.cases.height, unit=" cases", desc="환급 계산", disable=None, leave=False) as bar:
        for (district,), cases in districts.items():
            frames.append(_district(batch, cases, law, str(district), decision_on))
            bar.update(cases.height)
    if not frames:
        return pl.DataFrame(schema=REFUND_SCHEMA)
    return pl.concat(frames).sort(["case", "seq"])


def _district(
    batch: CaseBatch, cases: pl.DataFrame, law: Law, district: str, decision_on: date
) -> pl.DataFrame:
    year_law = law.year(batch.tax_year, district)
    local = cases.select("case").with_row_index("local", offset=0)
    payments = batch.payments.join(local, on="case", how="inner").sort(["local", "seq"])
    exemptions = batch.exemptions.join(local, on="case", how="inner")
    assessment = assess_columns(year_law, _vehicle_columns(cases))
    refunds = refund_columns(
        year_law,
        assessment,
        _case_columns(cases, decision_on),
        _payment_columns(payments),
        _exemption_columns(exemptions),
    )
    found = refunds.has_refund
    causes = np.array([cause.value if cause else "" for cause in codes.CAUSES], dtype=object)
    return pl.DataFrame(
        {
            "case": payments["case"].to_numpy()[found],
            "seq": payments["seq"].to_numpy()[found],
            "payment_id": payments["payment_id"].to_numpy()[found],
            "cause": causes[refunds.cause[found]],
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


def _codes(frame: pl.DataFrame, column: str, vocabulary: tuple[Any, ...]) -> np.ndarray[Any, Any]:
    mapping = {str(value): index for index, value in enumerate(vocabulary)}
    return frame[column].replace_strict(mapping, default=codes.NO_CLASS, return_dtype=pl.UInt8).to_numpy()


def _days(frame: pl.DataFrame, column: str) -> np.ndarray[Any, Any]:
    return frame[column].cast(pl.Date).to_numpy().astype("datetime64[D]")


def _vehicle_columns(cases: pl.DataFrame) -> VehicleColumns:
    return VehicleColumns(
        category=_codes(cases, "category", codes.CATEGORIES),
        use=_codes(cases, "use", codes.USES),
        displacement_cc=cases["displacement_cc"].fill_null(0).to_numpy(),
        load_kg=cases["load_kg"].fill_null(0).to_numpy(),
        van_class=_codes(cases, "van_class", codes.VAN_CLASSES),
        special_class=_codes(cases, "special_class", codes.SPECIAL_CLASSES),
        first_registered_on=_days(cases, "first_registered_on"),
        manufactured_year=cases["manufactured_year"].to_numpy(),
    )


def _case_columns(cases: pl.DataFrame, decision_on: date) -> CaseColumns:
    n = cases.height
    decided = np.full(n, np.datetime64(decision_on, "D"))
    return CaseColumns(
        start_event=_codes(
            cases.with_columns(pl.col("start_event").fill_null("held")), "start_event", codes.START_EVENTS
        ),
        start_date=_days(cases, "start_date"),
        end_event=_codes(
            cases.with_columns(pl.col("end_event").fill_null("held")), "end_event", codes.END_EVENTS
        ),
        end_date=_days(cases, "end_date"),
        prepayment_passed_on=cases["prepayment_passed_on"].to_numpy(),
        decision_on=decided,
        as_of=decided,
        held_no_day=cases["held_no_day"].to_numpy(),
    )


def _payment_columns(payments: pl.DataFrame) -> PaymentColumns:
    return PaymentColumns(
        case=payments["local"].to_numpy(),
        kind=_codes(payments, "kind", codes.PAYMENT_KINDS),
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
