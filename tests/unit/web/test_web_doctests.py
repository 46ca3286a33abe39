"""The examples in the web edge's docstrings are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name", ["cartax.web.calc_form", "cartax.web.i18n", "cartax.web.csrf", "cartax.web.ratelimit"]
)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
