"""The examples in the notify context's docstrings are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["cartax.notify.model", "cartax.notify.links", "cartax.notify.policy", "cartax.notify.templates",
           "cartax.notify.service", "cartax.notify.adapters.solapi_sms"]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
