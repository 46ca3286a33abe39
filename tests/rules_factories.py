"""Calculation requests for tests: the contract's worked example (TV12), with any field replaced."""

from __future__ import annotations

import copy
from typing import Any

from cartax.rules.contract import EXAMPLE_REQUEST

TV12: dict[str, Any] = copy.deepcopy(dict(EXAMPLE_REQUEST))


def make_request(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of :data:`TV12` with top-level fields replaced."""
    request = copy.deepcopy(TV12)
    request.update(overrides)
    return request
