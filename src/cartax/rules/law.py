"""The law in force for one tax year and district, resolved once from the rule set and cached.

Resolving parameters by date is done here, not in the formulas, so the formulas read plain fields and
a calculation costs no look-ups; the effective dates are kept for the explanation trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cartax.core.dates import HalfYear, TaxYear
from cartax.rules.errors import ParameterError
from cartax.rules.params import RuleSet

Bands = tuple[tuple[int | None, int], ...]


@dataclass(frozen=True, slots=True)
class YearLaw:
    """Every figure and choice of the law in force for ``tax_year`` in ``district``."""

    version: str
    tax_year: TaxYear
    district: str
    passenger_rate_per_cc: dict[str, Bands]
    passenger_other: dict[str, int]
    van: dict[str, dict[str, int]]
    truck: dict[str, Bands]
    truck_block_kg: int
    truck_block_amount: dict[str, int]
    truck_block_rounding: str
    special: dict[str, dict[str, int]]
    tricycle: dict[str, int]
    local_rate_percent: int
    age_free_until: int
    age_percent_per_year: int
    age_cap: int
    edu_percent: int
    edu_categories: frozenset[str]
    edu_uses: frozenset[str]
    june_lump_enabled: bool
    june_lump_threshold: int
    minimum_tax: int
    prepay_rate_pct: int
    prepay_june_formula: str
    prepay_counted_from: dict[str, date]
    transfer_day_owner: str
    deregistration_day_taxed: bool
    prepaid_refund_basis: str
    interest_rounding: str
    interest_day_count: int
    interest_rates: tuple[tuple[date, int], ...]
    prescription_years: int
    exemption_retroactive: bool
    exemption_sunset: date
    since: dict[str, str]
    """Effective date (ISO) of the value used, by parameter name, for the trace."""
    references: dict[str, str]
    halves: tuple[tuple[date, date, int], tuple[date, date, int]] = field(
        init=False, compare=False, repr=False
    )
    """(first day, last day, days) of 제1기분 and 제2기분, resolved once."""
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    """Results that depend only on this year's law, memoised by the formulas that own them."""

    def __post_init__(self) -> None:
        year = self.tax_year
        bounds = tuple(
            (year.half_start(half), year.half_end(half), year.half_days(half))
            for half in (HalfYear.FIRST, HalfYear.SECOND)
        )
        object.__setattr__(self, "halves", bounds)


class Law:
    """A rule set with the per-year, per-district resolution cached."""

    def __init__(self, rule_set: RuleSet) -> None:
        self.rule_set = rule_set
        self._cache: dict[tuple[int, str], YearLaw] = {}

    @property
    def version(self) -> str:
        return self.rule_set.version

    def year(self, tax_year: int, district: str) -> YearLaw:
        key = (tax_year, district)
        law = self._cache.get(key)
        if law is None:
            law = self._cache[key] = _resolve(self.rule_set, TaxYear(tax_year), district)
        return law


def _resolve(rules: RuleSet, year: TaxYear, district: str) -> YearLaw:
    day = year.first_day
    since: dict[str, str] = {}

    def value(name: str) -> Any:
        parameter = rules[name]
        since[name] = parameter.since(day).isoformat()
        return parameter.at(day)

    def bands(raw: dict[str, list[list[int | None]]]) -> dict[str, Bands]:
        return {use: tuple((bound, int(amount or 0)) for bound, amount in rows) for use, rows in raw.items()}

    block = value("truck_over_10t_block")
    age = value("age_reduction")
    edu = value("education_tax")
    lump = value("june_lump")
    local = value("local_rate_percent")
    windows = value("prepay_windows")
    percent = int(local.get("districts", {}).get(district, local["default"]))
    if not 50 <= percent <= 150:
        raise ParameterError(f"local_rate_percent for {district} is {percent}; the law allows 50 to 150")
    interest = rules["interest_rate"]
    return YearLaw(
        version=rules.version,
        tax_year=year,
        district=district,
        passenger_rate_per_cc=bands(value("passenger_rate_per_cc")),
        passenger_other=dict(value("passenger_other")),
        van=dict(value("van")),
        truck=bands(value("truck")),
        truck_block_kg=int(block["block_kg"]),
        truck_block_amount={"business": int(block["business"]), "private": int(block["private"])},
        truck_block_rounding=_choice(
            value("truck_block_rounding"), "truck_block_rounding", {"ceil", "floor"}
        ),
        special=dict(value("special")),
        tricycle=dict(value("tricycle")),
        local_rate_percent=percent,
        age_free_until=int(age["free_until_age"]),
        age_percent_per_year=int(age["percent_per_year"]),
        age_cap=int(age["cap_age"]),
        edu_percent=int(edu["percent"]),
        edu_categories=frozenset(edu["categories"]),
        edu_uses=frozenset(edu["uses"]),
        june_lump_enabled=bool(lump["enabled"]),
        june_lump_threshold=int(lump["threshold"]),
        minimum_tax=int(value("minimum_tax")),
        prepay_rate_pct=int(value("prepay_deduction_rate")),
        prepay_june_formula=_choice(
            value("prepay_june_formula"), "prepay_june_formula", {"annual_days", "second_half_bill"}
        ),
        prepay_counted_from={
            window: date.fromisoformat(f"{year.year}-{spec['counted_from']}")
            for window, spec in windows.items()
            if "counted_from" in spec
        },
        transfer_day_owner=_choice(value("transfer_day_owner"), "transfer_day_owner", {"buyer", "seller"}),
        deregistration_day_taxed=bool(value("deregistration_day_taxed")),
        prepaid_refund_basis=_choice(
            value("prepaid_refund_basis"), "prepaid_refund_basis", {"paid", "gross"}
        ),
        interest_rounding=_choice(value("interest_rounding"), "interest_rounding", {"floor10", "floor"}),
        interest_day_count=int(value("interest_day_count")),
        interest_rates=tuple((start, int(bp)) for start, bp in interest.values),
        prescription_years=int(value("prescription_years")),
        exemption_retroactive=bool(value("exemption_retroactive")),
        exemption_sunset=value("exemption_sunset"),
        since=since,
        references={name: rules[name].reference for name in since},
    )


def _choice(raw: Any, name: str, accepted: set[str]) -> str:
    text = str(raw)
    if text not in accepted:
        raise ParameterError(f"{name} is {text!r}; accepted: {', '.join(sorted(accepted))}")
    return text
