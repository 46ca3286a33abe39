"""The law as dated data: parameters with values by effective date, and the rule set they form.

A parameter file says, for each parameter, what it is (description, unit, legal reference) and its
values keyed by the date from which each is in force. Nothing here reads files; the YAML source in
``adapters`` builds a :class:`RuleSet`.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cartax.rules.errors import ParameterError


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter of the law and its history.

    >>> p = Parameter("rate", "공제율", "%", "영 §125", ((date(2020, 1, 1), 10), (date(2024, 1, 1), 5)))
    >>> p.at(date(2023, 6, 1)), p.at(date(2024, 1, 1)), p.since(date(2025, 1, 1))
    (10, 5, datetime.date(2024, 1, 1))
    """

    name: str
    description: str
    unit: str
    reference: str
    values: tuple[tuple[date, Any], ...]
    _starts: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = tuple(start for start, _ in self.values)
        if not starts:
            raise ParameterError(f"parameter {self.name!r} has no values; give at least one dated value")
        if list(starts) != sorted(set(starts)):
            raise ParameterError(f"parameter {self.name!r}: effective dates must be distinct and ascending")
        object.__setattr__(self, "_starts", starts)

    def _index(self, day: date) -> int:
        index = bisect.bisect_right(self._starts, day) - 1
        if index < 0:
            raise ParameterError(
                f"parameter {self.name!r} has no value in force on {day.isoformat()}; "
                f"its first value takes effect on {self._starts[0].isoformat()}"
            )
        return index

    def at(self, day: date) -> Any:
        """The value in force on ``day``."""
        return self.values[self._index(day)][1]

    def since(self, day: date) -> date:
        """The effective date of the value in force on ``day``."""
        return self._starts[self._index(day)]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """An exact, versioned set of parameters: the law the engine computes.

    ``version`` is the human version ("2026.1") returned with every result; ``digest`` is a hash of
    the parameter files' contents, so two deployments can prove they compute with the same law.
    """

    version: str
    digest: str
    first_year: int
    last_year: int
    parameters: Mapping[str, Parameter]

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise ParameterError(f"the rule set {self.version} has no parameter {name!r}") from None

    def covers(self, tax_year: int) -> bool:
        return self.first_year <= tax_year <= self.last_year
