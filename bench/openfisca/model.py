"""The annual automobile tax (rules.md §1–§3) as an OpenFisca tax-benefit system, for comparison.

One entity, the vehicle; inputs are the same integer codes as cartax's vectorised columns; the
parameters are built from cartax's own rule set (bands as OpenFisca ``single_amount`` scales), so
both engines compute with the same law. Runs in its own virtualenv (bench/.venv-openfisca).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import DateUnit
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

from cartax.rules.law import Bands, YearLaw
from cartax.rules.vectorised import codes

Vehicle = build_entity(key="vehicle", plural="vehicles", label="자동차", is_person=True)
SINCE = "2020-01-01"


def _value(value: Any) -> dict[str, Any]:
    return {SINCE: {"value": value}}


def _scale(bands: Bands) -> dict[str, Any]:
    """A band table as a single-amount scale: thresholds are lower bounds, brackets (low, high]."""
    lows = [0] + [bound for bound, _ in bands[:-1] if bound is not None]
    return {
        "metadata": {"type": "single_amount"},
        "brackets": [
            {"threshold": _value(low), "amount": _value(amount)}
            for low, (_, amount) in zip(lows, bands, strict=True)
        ],
    }


def parameters(law: YearLaw) -> ParameterNode:
    uses = ("private", "business")
    data = {
        "passenger_rate_per_cc": {use: _scale(law.passenger_rate_per_cc[use]) for use in uses},
        "passenger_other": {use: _value(law.passenger_other[use]) for use in uses},
        "van": {use: {name: _value(amount) for name, amount in law.van[use].items()} for use in uses},
        "truck": {use: _scale(law.truck[use]) for use in uses},
        "truck_top": _value(law.truck["private"][-1][0]),
        "truck_block_kg": _value(law.truck_block_kg),
        "truck_block": {use: _value(law.truck_block_amount[use]) for use in uses},
        "special": {use: {name: _value(amount) for name, amount in law.special[use].items()} for use in uses},
        "tricycle": {use: _value(law.tricycle[use]) for use in uses},
        "local_rate_percent": _value(law.local_rate_percent),
        "age_free_until": _value(law.age_free_until),
        "age_percent_per_year": _value(law.age_percent_per_year),
        "age_cap": _value(law.age_cap),
        "edu_percent": _value(law.edu_percent),
    }
    return ParameterNode("", data=data)


def _input(name: str, label: str, value_type: Any = int) -> type[Variable]:
    """An input variable (OpenFisca reads a variable's attributes from its own class body)."""
    body = {"value_type": value_type, "entity": Vehicle, "definition_period": DateUnit.YEAR, "label": label}
    return type(name, (Variable,), body)


category = _input("category", "차종 코드")
use = _input("use", "비영업용 0, 영업용 1")
van_class = _input("van_class", "승합 종류 코드")
special_class = _input("special_class", "특수 종류 코드")
displacement_cc = _input("displacement_cc", "배기량")
load_kg = _input("load_kg", "적재정량")
manufactured_year = _input("manufactured_year", "제작연도")
first_registered_on = _input("first_registered_on", "최초 신규등록일", date)


def _by_class(nodes: Any, names: tuple[str, ...], codes_: Any) -> Any:
    known = [name for name in names if name in set(nodes)]  # the classes this use has
    return np.select([codes_ == names.index(name) for name in known], [nodes[name] for name in known], -1)


class annual_base(Variable):  # noqa: N801
    value_type = int
    entity = Vehicle
    definition_period = DateUnit.YEAR
    label = "연세액 A"

    def formula(vehicle: Any, period: Any, parameters: Any) -> Any:  # noqa: N805 - OpenFisca's signature
        p = parameters(period)
        cat, private = vehicle("category", period), vehicle("use", period) == codes.PRIVATE
        cc, load = vehicle("displacement_cc", period), vehicle("load_kg", period)

        def by_use(node: Any) -> Any:
            return np.where(private, node.private, node.business)

        rate = np.where(
            private,
            p.passenger_rate_per_cc.private.calc(cc, right=True),
            p.passenger_rate_per_cc.business.calc(cc, right=True),
        )
        band = np.where(
            private, p.truck.private.calc(load, right=True), p.truck.business.calc(load, right=True)
        )
        blocks = np.ceil(np.maximum(load - p.truck_top, 0) / p.truck_block_kg)
        van = np.where(
            private,
            _by_class(p.van.private, codes.VAN_CLASSES, vehicle("van_class", period)),
            _by_class(p.van.business, codes.VAN_CLASSES, vehicle("van_class", period)),
        )
        special = np.where(
            private,
            _by_class(p.special.private, codes.SPECIAL_CLASSES, vehicle("special_class", period)),
            _by_class(p.special.business, codes.SPECIAL_CLASSES, vehicle("special_class", period)),
        )
        standard = np.select(
            [
                cat == codes.PASSENGER,
                cat == codes.PASSENGER_OTHER,
                cat == codes.VAN,
                cat == codes.TRUCK,
                cat == codes.SPECIAL,
            ],
            [cc * rate, by_use(p.passenger_other), van, band + blocks * by_use(p.truck_block), special],
            by_use(p.tricycle),
        )
        return standard.astype(np.int64) * p.local_rate_percent // 100


class age_h2(Variable):  # noqa: N801
    value_type = int
    entity = Vehicle
    definition_period = DateUnit.YEAR
    label = "제2기분 차령"

    def formula(vehicle: Any, period: Any) -> Any:  # noqa: N805
        return period.start.year - vehicle("manufactured_year", period) + 1


class age_h1(Variable):  # noqa: N801
    value_type = int
    entity = Vehicle
    definition_period = DateUnit.YEAR
    label = "제1기분 차령"

    def formula(vehicle: Any, period: Any) -> Any:  # noqa: N805
        first = vehicle("first_registered_on", period)
        year = first.astype("datetime64[Y]").astype(int) + 1970
        month = first.astype("datetime64[M]").astype(int) % 12 + 1
        starts_in_h1 = (year == vehicle("manufactured_year", period)) & (month <= 6)
        return vehicle("age_h2", period) - np.where(starts_in_h1, 0, 1)


def _reduction(vehicle: Any, period: Any, parameters: Any, age: str) -> Any:
    p = parameters(period)
    reduced = (vehicle("category", period) == codes.PASSENGER) & (vehicle("use", period) == codes.PRIVATE)
    years = np.clip(vehicle(age, period), p.age_free_until, p.age_cap) - p.age_free_until
    return np.where(reduced, p.age_percent_per_year * years, 0)


class reduction_pct_h1(Variable):  # noqa: N801
    value_type = int
    entity = Vehicle
    definition_period = DateUnit.YEAR
    label = "제1기분 경감률"

    def formula(vehicle: Any, period: Any, parameters: Any) -> Any:  # noqa: N805
        return _reduction(vehicle, period, parameters, "age_h1")


class reduction_pct_h2(Variable):  # noqa: N801
    value_type = int
    entity = Vehicle
    definition_period = DateUnit.YEAR
    label = "제2기분 경감률"

    def formula(vehicle: Any, period: Any, parameters: Any) -> Any:  # noqa: N805
        return _reduction(vehicle, period, parameters, "age_h2")


def _bill(vehicle: Any, period: Any, reduction: str) -> Any:
    return vehicle("annual_base", period).astype(np.int64) * (100 - vehicle(reduction, period)) // 2000 * 10


def _edu(vehicle: Any, period: Any, parameters: Any, bill: str) -> Any:
    applies = np.isin(vehicle("category", period), (codes.PASSENGER, codes.PASSENGER_OTHER)) & (
        vehicle("use", period) == codes.PRIVATE
    )
    amount = vehicle(bill, period).astype(np.int64) * parameters(period).edu_percent // 1000 * 10
    return np.where(applies, amount, 0)


class bill_h1(Variable):  # noqa: N801
    value_type = int
    entity = Vehicle
    definition_period = DateUnit.YEAR
    label = "제1기분 자동차세"

    def formula(vehicle: Any, period: Any) -> Any:  # noqa: N805
        return _bill(vehicle, period, "reduction_pct_h1")


class bill_h2(Variable):  # noqa: N801
    value_type = int
    entity = Vehicle
    definition_period = DateUnit.YEAR
    label = "제2기분 자동차세"

    def formula(vehicle: Any, period: Any) -> Any:  # noqa: N805
        return _bill(vehicle, period, "reduction_pct_h2")


class edu_h1(Variable):  # noqa: N801
    value_type = int
    entity = Vehicle
    definition_period = DateUnit.YEAR
    label = "제1기분 지방교육세"

    def formula(vehicle: Any, period: Any, parameters: Any) -> Any:  # noqa: N805
        return _edu(vehicle, period, parameters, "bill_h1")


class edu_h2(Variable):  # noqa: N801
    value_type = int
    entity = Vehicle
    definition_period = DateUnit.YEAR
    label = "제2기분 지방교육세"

    def formula(vehicle: Any, period: Any, parameters: Any) -> Any:  # noqa: N805
        return _edu(vehicle, period, parameters, "bill_h2")


INPUTS = (
    category,
    use,
    van_class,
    special_class,
    displacement_cc,
    load_kg,
    manufactured_year,
    first_registered_on,
)
OUTPUTS = (annual_base, age_h1, age_h2, reduction_pct_h1, reduction_pct_h2, bill_h1, bill_h2, edu_h1, edu_h2)


class AutomobileTax(TaxBenefitSystem):
    def __init__(self, law: YearLaw) -> None:
        super().__init__([Vehicle])
        for variable in (*INPUTS, *OUTPUTS):
            self.add_variable(variable)
        self.parameters = parameters(law)
