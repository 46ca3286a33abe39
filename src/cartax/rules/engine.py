"""The scalar path: one owner × vehicle × tax year, computed exactly, with its explanation trace."""

from __future__ import annotations

from datetime import date

from cartax.rules.assessment import assess
from cartax.rules.holding import held_days
from cartax.rules.law import Law
from cartax.rules.model import CalcRequest, CalcResult, Totals, TraceStep
from cartax.rules.refunds import REF_OFFSET, REF_PRORATION, refund_lines


def calculate(request: CalcRequest, law: Law, today: date) -> CalcResult:
    """Compute everything the contract returns for ``request``.

    ``today`` is the day prescription is judged on when the request names neither ``as_of`` nor
    ``decision_on``; pass it from the injected clock.
    """
    year = law.year(request.tax_year, request.district)
    assessment = assess(request.vehicle, year)
    held = held_days(request.holding, request.exemptions, year)
    as_of = request.as_of or request.decision_on or today
    lines, refund_steps = refund_lines(
        request.payments, assessment, held, request.holding, year, request.decision_on, as_of
    )
    live = [line for line in lines if not line.lapsed]
    refund = sum(line.refund for line in live)
    interest = sum(line.interest for line in live)
    offset = min(max(request.arrears, 0), refund + interest)
    totals = Totals(refund, interest, offset, refund + interest - offset)
    holding_step = TraceStep(
        "holding",
        list(held.held),
        REF_PRORATION,
        {
            "transfer_day_owner": year.transfer_day_owner,
            "deregistration_day_taxed": year.deregistration_day_taxed,
            "exemption_retroactive": year.exemption_retroactive,
        },
        {
            "first_held_day": held.first.isoformat() if held.first else None,
            "last_held_day": held.last.isoformat() if held.last else None,
            "start_event": request.holding.start_event.value,
            "end_event": request.holding.end_event.value,
            "ended_on": held.ended_on.isoformat() if held.ended_on else None,
            "taxable_half_days": list(held.weights),
            "exempt_days": list(held.exempt_held),
        },
    )
    totals_step = TraceStep(
        "totals",
        {"refund": refund, "interest": interest, "offset": offset, "payable": totals.payable},
        REF_OFFSET,
        {},
        {
            "arrears": request.arrears,
            "lapsed_excluded": len(lines) - len(live),
            "as_of": as_of.isoformat(),
            "decision_on": request.decision_on.isoformat() if request.decision_on else None,
        },
    )
    return CalcResult(
        id=request.id,
        rules_version=law.version,
        base=assessment.base,
        annual_car_tax=assessment.annual_car_tax,
        annual_edu_tax=assessment.annual_edu_tax,
        half_years=assessment.half_year_bills(),
        prepay_options=assessment.prepay_options,
        refunds=lines,
        totals=totals,
        trace=(*assessment.trace, holding_step, *refund_steps, totals_step),
    )
