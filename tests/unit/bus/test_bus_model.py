"""What an operator reads about a failure: class, code, first line only."""

from __future__ import annotations

import doctest

import cartax.bus.model
from cartax.bus import describe_error
from cartax.cases import CaseNotFoundError


def test_doctests() -> None:
    result = doctest.testmod(cartax.bus.model)
    assert result.attempted > 0
    assert result.failed == 0


def test_a_context_error_shows_its_code() -> None:
    assert describe_error(CaseNotFoundError("k1")) == (
        "CaseNotFoundError [case_not_found]: "
        "There is no refund case k1; check the reference given in the notice."
    )


def test_database_statements_and_parameters_are_left_out() -> None:
    error = RuntimeError(
        "duplicate key value\n[SQL: INSERT INTO x VALUES (%(a)s)]\n[parameters: {'a': 'secret'}]"
    )
    assert "secret" not in describe_error(error)
    assert len(describe_error(RuntimeError("x" * 2000))) == 500
