"""The law as code: automobile tax and its refunds (rules.md), scalar and vectorised.

Public surface::

    law = default_law()
    result = calculate(parse_request(obj, law.rule_set.first_year, law.rule_set.last_year), law, today)
    body = result_to_json(result)

or, for one JSON value of the contract, ``evaluate(obj, law, today)``.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from cartax.rules.adapters.yaml_source import load_rule_set
from cartax.rules.contract import error_to_json, parse_request, request_id_of, result_to_json
from cartax.rules.engine import calculate
from cartax.rules.errors import ParameterError, RequestError, RulesError
from cartax.rules.law import Law, YearLaw
from cartax.rules.model import CalcRequest, CalcResult
from cartax.rules.params import Parameter, RuleSet

__all__ = [
    "CalcRequest",
    "CalcResult",
    "Law",
    "Parameter",
    "ParameterError",
    "RequestError",
    "RuleSet",
    "RulesError",
    "YearLaw",
    "calculate",
    "default_law",
    "evaluate",
    "load_rule_set",
    "parse_request",
    "result_to_json",
]


@lru_cache(maxsize=1)
def default_law() -> Law:
    """The rule set shipped with this version of cartax."""
    return Law(load_rule_set())


def evaluate(raw: object, law: Law, today: date) -> dict[str, Any]:
    """One contract request (decoded JSON) to one contract response: a result or an error object."""
    try:
        request = parse_request(raw, law.rule_set.first_year, law.rule_set.last_year)
        return result_to_json(calculate(request, law, today))
    except RequestError as error:
        return error_to_json(request_id_of(raw), error)
