"""The vectorised path of the rules engine: the scalar path's figures for millions of rows at once.

Columns in (NumPy arrays of integer codes, whole numbers and ``datetime64[D]`` dates), columns out;
every figure equals the scalar path's (:func:`cartax.rules.calculate`) row by row, which the property
tests prove. One call computes one tax year and district (one :class:`YearLaw`)::

    law = default_law().year(2026, "11110")
    assessment = assess_columns(law, vehicles)  # annual base, ages, bills, 지방교육세
    options = assessment.prepay_options()  # the four 연납 windows, computed on demand
    refunds = refund_columns(law, case_assessment, cases, payments, exemptions)
    refund, interest = case_totals(refunds, payments, len(cases))

Offsets against arrears are left to the caller (they span an owner's cases in a district), and so
is the explanation trace: recompute one row with the scalar path to explain it
(:func:`vehicle_at` gives the row back as the scalar path's objects).
"""

from cartax.rules.vectorised import codes
from cartax.rules.vectorised.assessment import AssessmentColumns, PrepayColumns, assess_columns
from cartax.rules.vectorised.columns import (
    CaseColumns,
    ColumnError,
    ExemptionColumns,
    PaymentColumns,
    VehicleColumns,
)
from cartax.rules.vectorised.convert import (
    RequestColumns,
    half_year_bills_at,
    prepay_options_at,
    refund_lines_by_case,
    request_columns,
    vehicle_at,
    vehicle_columns,
)
from cartax.rules.vectorised.refunds import RefundColumns, case_totals, refund_columns

__all__ = [
    "AssessmentColumns",
    "CaseColumns",
    "ColumnError",
    "ExemptionColumns",
    "PaymentColumns",
    "PrepayColumns",
    "RefundColumns",
    "RequestColumns",
    "VehicleColumns",
    "assess_columns",
    "case_totals",
    "codes",
    "half_year_bills_at",
    "prepay_options_at",
    "refund_columns",
    "refund_lines_by_case",
    "request_columns",
    "vehicle_at",
    "vehicle_columns",
]
