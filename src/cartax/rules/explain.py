"""A plain-language explanation of a result, generated from its trace and nothing else.

Each line carries the articles of law behind it, so a screen or a notice can cite them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from cartax.core.dates import add_years_clamped
from cartax.core.i18n import Catalogue, load_catalogue
from cartax.rules.model import CalcResult, TraceStep


@dataclass(frozen=True, slots=True)
class ExplanationLine:
    text: str
    refs: tuple[str, ...]


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return load_catalogue("cartax.rules")


def explain(result: CalcResult, lang: str = "ko") -> tuple[ExplanationLine, ...]:
    """Explain ``result`` step by step in ``lang`` ("ko" or "en")."""
    messages = catalogue()
    lines: list[ExplanationLine] = []

    def say(key: str, refs: tuple[str, ...], **params: Any) -> None:
        text = messages.render(key, lang, **params)
        lines.append(ExplanationLine(text[:1].upper() + text[1:], refs))

    def label(prefix: str, value: str) -> str:
        return messages.render(f"{prefix}.{value}", lang)

    steps = {step.step: step for step in result.trace}
    _base(steps["annual_base"], result, say, label)
    _age(steps["vehicle_age"], say)
    bills = steps["half_year_bills"]
    say("bills", bills.refs, bill1=bills.value[0], bill2=bills.value[1])
    edu = steps["education_tax"]
    if edu.facts.get("applies"):
        say(
            "edu", edu.refs, percent=edu.params["education_tax_percent"], edu1=edu.value[0], edu2=edu.value[1]
        )
    _holding(steps["holding"], say, label)
    for step in result.trace:
        if step.step == "refund":
            _refund(step, steps["holding"].facts, result, say, label)
    _totals(steps["totals"], say)
    return tuple(lines)


def _base(step: TraceStep, result: CalcResult, say: Any, label: Any) -> None:
    params = step.params
    if "rate_per_cc" in params:
        say(
            "base.passenger",
            step.refs,
            cc=params["displacement_cc"],
            rate=params["rate_per_cc"],
            base=result.base,
        )
    elif params.get("blocks_over_10t"):
        say(
            "base.truck_heavy",
            step.refs,
            load=params["load_kg"],
            blocks=params["blocks_over_10t"],
            base=result.base,
        )
    else:
        say("base.fixed", step.refs, category=label("category", _category_of(step)), base=result.base)
    if params.get("local_rate_percent", 100) != 100:
        say("base.local_rate", ("지방세법 제127조제3항",), percent=params["local_rate_percent"])


def _category_of(step: TraceStep) -> str:
    params = step.params
    if "van_class" in params:
        return "van"
    if "special_class" in params:
        return "special"
    if "load_kg" in params:
        return "truck"
    article = step.refs[0]
    return "tricycle" if article.endswith("제5호") else "passenger_other"


def _age(step: TraceStep, say: Any) -> None:
    reductions = step.facts.get("reduction_pct", [0, 0])
    n1, n2 = step.value
    if any(reductions) and n1 == n2:
        say("age.reduction_same", step.refs, n=n1, r=reductions[0])
    elif any(reductions):
        say("age.reduction", step.refs, n1=n1, n2=n2, r1=reductions[0], r2=reductions[1])
    elif step.params:
        say("age.none", step.refs, n2=n2)


def _holding(step: TraceStep, say: Any, label: Any) -> None:
    facts = step.facts
    if facts["first_held_day"] is None:
        say("holding.none", step.refs)
        return
    if facts["start_event"] != "held":
        say(
            "holding.start",
            step.refs,
            day=date.fromisoformat(facts["first_held_day"]),
            event=label("event", facts["start_event"]),
        )
    if facts["ended_on"] is not None:
        say(
            "holding.end",
            step.refs,
            day=date.fromisoformat(facts["ended_on"]),
            event=label("event", facts["end_event"]),
        )
    say("holding.days", step.refs, days=sum(step.value))


def _refund(step: TraceStep, holding: Mapping[str, Any], result: CalcResult, say: Any, label: Any) -> None:
    facts = step.facts
    cause = facts["cause"]
    arose = date.fromisoformat(facts["arose_on"])
    ended = holding.get("ended_on")
    common = {
        "refund": step.value,
        "kind": label("kind", facts["kind"]),
        "days": facts["span_days"] - facts["held_days"],
        "held": facts["held_days"],
        "paid": date.fromisoformat(facts["paid_on"]),
        "event": label("event", holding["end_event"]) if ended else "",
        "day": date.fromisoformat(ended) if ended and cause in ("R1", "R2") else arose,
    }
    say(f"refund.{cause}", step.refs, **common)
    if facts["below_minimum"]:
        say("refund.minimum", ("지방세법 제130조제4항",))
    decision = next((s.facts.get("decision_on") for s in result.trace if s.step == "totals"), None)
    if facts["lapsed"]:
        years = step.params["prescription_years"]
        say("refund.lapsed", ("지방세기본법 제64조",), day=add_years_clamped(arose, years))
    elif facts["via_grievance"]:
        say("refund.no_interest_grievance", ("지방세기본법 제62조제3항",))
    elif facts["interest"] and facts["interest_from"] and decision:
        say(
            "refund.interest",
            ("지방세기본법 제62조", "지방세기본법 시행령 제43조"),
            interest=facts["interest"],
            start=date.fromisoformat(facts["interest_from"]),
            end=date.fromisoformat(decision),
        )


def _totals(step: TraceStep, say: Any) -> None:
    value = step.value
    if value["offset"]:
        say("totals.offset", step.refs, offset=value["offset"])
    if value["payable"]:
        say("totals.payable", step.refs, payable=value["payable"])
    elif not value["offset"]:
        say("totals.nothing", step.refs)
