"""The examples in the cases context's docstrings are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["cartax.cases.model", "cartax.cases.computation", "cartax.cases.errors", "cartax.cases.policy",
           "cartax.cases.service", "cartax.cases.summaries", "cartax.cases.dashboards",
           "cartax.web.console.processing"]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
