"""The examples in the docstrings of the shared kernel and the rules engine are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "cartax.core.money",
    "cartax.core.dates",
    "cartax.core.i18n",
    "cartax.rules.params",
    "cartax.detection.cases",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
