"""Synthetic data for the rules benchmarks: a national fleet and prepaid-then-transferred holdings.

Deterministic for a seed; generated in blocks into compact arrays so that generating 26.4 million
vehicles needs little more memory than the columns themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartax.rules import default_law
from cartax.rules.law import YearLaw
from cartax.rules.model import CalcRequest, Holding, Payment
from cartax.rules.vectorised import (
    CaseColumns,
    PaymentColumns,
    VehicleColumns,
    assess_columns,
    codes,
    vehicle_at,
)

BLOCK = 1 << 20
# (category, use, share): about the Korean register (2024): 4 in 5 private passenger cars.
MIX = (
    (codes.PASSENGER, codes.PRIVATE, 0.760),
    (codes.PASSENGER, codes.BUSINESS, 0.040),
    (codes.PASSENGER_OTHER, codes.PRIVATE, 0.027),
    (codes.PASSENGER_OTHER, codes.BUSINESS, 0.003),
    (codes.VAN, codes.PRIVATE, 0.018),
    (codes.VAN, codes.BUSINESS, 0.007),
    (codes.TRUCK, codes.PRIVATE, 0.110),
    (codes.TRUCK, codes.BUSINESS, 0.025),
    (codes.SPECIAL, codes.PRIVATE, 0.002),
    (codes.SPECIAL, codes.BUSINESS, 0.003),
    (codes.TRICYCLE, codes.PRIVATE, 0.004),
    (codes.TRICYCLE, codes.BUSINESS, 0.001),
)
CC_CENTRES = np.array([998, 1368, 1591, 1598, 1999, 2151, 2359, 2497, 2999, 3342, 3470])
CC_WEIGHTS = np.array([0.12, 0.05, 0.14, 0.10, 0.22, 0.06, 0.09, 0.08, 0.07, 0.04, 0.03])
LOADS = np.array([500, 1000, 1400, 2500, 3500, 5000, 8000, 9500, 15000, 25500, 40000, 99999])
LOAD_WEIGHTS = np.array([0.05, 0.55, 0.08, 0.08, 0.05, 0.06, 0.04, 0.03, 0.03, 0.015, 0.01, 0.005])


def synthetic_fleet(n: int, tax_year: int, seed: int = 2026) -> VehicleColumns:
    """``n`` vehicles of the mix above, aged 0–20 years in ``tax_year``."""
    rng = np.random.default_rng(seed)
    out = {
        "category": np.empty(n, np.uint8),
        "use": np.empty(n, np.uint8),
        "displacement_cc": np.zeros(n, np.int32),
        "load_kg": np.zeros(n, np.int32),
        "van_class": np.full(n, codes.NO_CLASS, np.uint8),
        "special_class": np.full(n, codes.NO_CLASS, np.uint8),
        "first_registered_on": np.empty(n, "datetime64[D]"),
        "manufactured_year": np.empty(n, np.int16),
    }
    shares = np.array([share for _, _, share in MIX])
    kinds = np.array([(category, use) for category, use, _ in MIX], np.uint8)
    for start in range(0, n, BLOCK):
        rows = slice(start, min(start + BLOCK, n))
        m = rows.stop - rows.start
        pick = rng.choice(len(MIX), m, p=shares / shares.sum())
        category, use = kinds[pick, 0], kinds[pick, 1]
        out["category"][rows], out["use"][rows] = category, use
        cc = rng.choice(CC_CENTRES, m, p=CC_WEIGHTS) + rng.integers(-3, 4, m)
        out["displacement_cc"][rows] = np.where(category == codes.PASSENGER, cc, 0)
        load = rng.choice(LOADS, m, p=LOAD_WEIGHTS / LOAD_WEIGHTS.sum())
        out["load_kg"][rows] = np.where(category == codes.TRUCK, load, 0)
        van = np.where(use == codes.PRIVATE, rng.integers(3, 5, m), rng.integers(0, 5, m))
        out["van_class"][rows] = np.where(category == codes.VAN, van, codes.NO_CLASS)
        special = rng.integers(0, 2, m)
        out["special_class"][rows] = np.where(category == codes.SPECIAL, special, codes.NO_CLASS)
        made = tax_year - rng.integers(0, 21, m)
        late = rng.random(m) < 0.08  # registered the year after manufacture
        first_year = np.minimum(made + late, tax_year)
        day = rng.integers(0, 365, m)
        jan1 = (first_year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        out["first_registered_on"][rows] = jan1 + day
        out["manufactured_year"][rows] = made
    return VehicleColumns(**out)


@dataclass(frozen=True)
class Transfers:
    vehicles: VehicleColumns
    cases: CaseColumns
    payments: PaymentColumns


def prepaid_transfers(n: int, law: YearLaw, seed: int = 7) -> Transfers:
    """``n`` owners who prepaid the year in January (4 in 5) or March, paying exactly the amount due,
    and sold (9 in 10) or scrapped the car during the year; 3% let the buyer take over the
    prepayment. The payment decision is made on 15 February of the next year."""
    rng = np.random.default_rng(seed)
    year = law.tax_year.year
    vehicles = synthetic_fleet(n, year - 1, seed)
    options = assess_columns(law, vehicles).prepay_options()
    march = rng.random(n) < 0.2
    car = np.where(march, options["mar"].due_car_tax, options["jan"].due_car_tax)
    edu = np.where(march, options["mar"].due_edu_tax, options["jan"].due_edu_tax)
    first_day = np.datetime64(f"{year}-01-01")
    paid_on = first_day + np.where(march, rng.integers(74, 90, n), rng.integers(15, 31, n))
    decision = np.full(n, np.datetime64(f"{year + 1}-02-15"), "datetime64[D]")
    sold = rng.random(n) < 0.9
    cases = CaseColumns(
        start_event=np.full(n, codes.START_HELD, np.uint8),
        start_date=np.full(n, np.datetime64("NaT"), "datetime64[D]"),
        end_event=np.where(sold, codes.END_TRANSFER, codes.END_DEREGISTRATION).astype(np.uint8),
        end_date=first_day + rng.integers(1, 365, n),
        prepayment_passed_on=sold & (rng.random(n) < 0.03),
        decision_on=decision,
        as_of=decision,
    )
    kind = np.where(march, codes.PAYMENT_KINDS.index("prepay_mar"), codes.PAYMENT_KINDS.index("prepay_jan"))
    payments = PaymentColumns(
        case=np.arange(n, dtype=np.int32),
        kind=kind.astype(np.uint8),
        paid_on=paid_on,
        car_tax=car.astype(np.int64),
        edu_tax=edu.astype(np.int64),
        via_grievance=np.zeros(n, np.bool_),
    )
    return Transfers(vehicles, cases, payments)


def request_at(transfers: Transfers, row: int, year: int) -> CalcRequest:
    """Case ``row`` as the scalar path's request (one payment a case), to check the vectorised figures."""
    cases, payments = transfers.cases, transfers.payments
    end_event = codes.END_EVENTS[int(cases.end_event[row])]
    passed = bool(cases.prepayment_passed_on[row])
    payment = Payment(
        "p",
        codes.PAYMENT_KINDS[int(payments.kind[row])],
        payments.paid_on[row].item(),
        int(payments.car_tax[row]),
        int(payments.edu_tax[row]),
    )
    return CalcRequest(
        id=str(row),
        tax_year=year,
        district="11110",
        vehicle=vehicle_at(transfers.vehicles, row),
        holding=Holding(
            end_event=end_event, end_date=cases.end_date[row].item(), prepayment_passed_on=passed
        ),
        exemptions=(),
        payments=(payment,),
        decision_on=cases.decision_on[row].item(),
        as_of=cases.as_of[row].item(),
    )


def calc_requests(n: int, year: int, seed: int = 11) -> list[dict[str, object]]:
    """``n`` requests of the calculation contract, a realistic mix: half whole-year holders who paid
    both bills, a quarter who prepaid in January and sold, new registrations, scrapped cars with
    both bills paid, and exempted cars with a January prepayment; decided on 15 February."""
    rng = np.random.default_rng(seed)
    vehicles = synthetic_fleet(n, year - 1, seed)
    assessment = assess_columns(default_law().year(year, "11110"), vehicles)
    jan = assessment.prepay("jan")
    story = rng.choice(5, n, p=[0.5, 0.25, 0.1, 0.1, 0.05])
    day = rng.integers(1, 364, n)
    decided = f"{year + 1}-02-15"
    requests: list[dict[str, object]] = []
    for row in range(n):
        vehicle = vehicle_at(vehicles, row)
        when = (np.datetime64(f"{year}-01-01") + int(day[row])).item().isoformat()
        bills = [
            _payment("h1", "bill_h1", f"{year}-06-28", assessment.bill_h1[row], assessment.edu_h1[row]),
            _payment("h2", "bill_h2", f"{year}-12-20", assessment.bill_h2[row], assessment.edu_h2[row]),
        ]
        prepaid = [_payment("p1", "prepay_jan", f"{year}-01-25", jan.due_car_tax[row], jan.due_edu_tax[row])]
        start: dict[str, object] = {"event": "held"}
        end: dict[str, object] = {"event": "held"}
        exemptions: list[dict[str, object]] = []
        payments = bills
        if story[row] == 1:
            end, payments = {"event": "transfer", "date": when}, prepaid
        elif story[row] == 2:
            start, payments = {"event": "new_registration", "date": when}, bills[1:]
        elif story[row] == 3:
            end = {"event": "deregistration", "date": when}
        elif story[row] == 4:
            exemptions = [{"rate": 1.0, "effective_from": when, "decided_on": decided}]
            payments = prepaid
        requests.append(
            {
                "id": f"r{row}",
                "tax_year": year,
                "district": "11110",
                "vehicle": {
                    "category": vehicle.category.value,
                    "use": vehicle.use.value,
                    "displacement_cc": vehicle.displacement_cc,
                    "van_class": vehicle.van_class,
                    "special_class": vehicle.special_class,
                    "load_kg": vehicle.load_kg,
                    "first_registered_on": vehicle.first_registered_on.isoformat(),
                    "manufactured_year": vehicle.manufactured_year,
                },
                "holding": {"start": start, "end": end},
                "exemptions": exemptions,
                "payments": payments,
                "decision_on": decided,
                "as_of": decided,
            }
        )
    return requests


def _payment(payment_id: str, kind: str, paid_on: str, car: np.integer, edu: np.integer) -> dict[str, object]:
    return {"id": payment_id, "kind": kind, "paid_on": paid_on, "car_tax": int(car), "edu_tax": int(edu)}
