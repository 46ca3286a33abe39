"""The HTTP API fuzzed from its own OpenAPI document (schemathesis): whatever is sent, no 5xx, and every
answer conforms to the document (status code, content type, headers, body schema).

Each operation is called with generated valid and invalid input, as an officer with an API token and as
a citizen signed in by cookie (with the CSRF header), against a database holding cases of both. The
number of examples is kept small so the run stays short; the seed is fixed by hypothesis' database-less
derandomised mode, so a failure reproduces.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cartax.identity import Role
from cartax.web.csrf import CSRF_COOKIE
from web_factories import World, make_world

OWNER = "P11110-0000001"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("fuzz")
    world = make_world(f"sqlite:///{folder / 'cartax.db'}", folder)
    world.open_case(case_key="a1b2c3d4e5f6a7b8c9d0", owner_id=OWNER)
    world.open_case(case_key="big0big0big0big0big0", owner_id=OWNER, payable=3_000_000)
    yield world
    world.services.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_world: World) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_world.app)


@pytest.fixture(scope="module")
def callers(fuzz_world: World) -> dict[str, dict[str, dict[str, str]]]:
    officer = {"Authorization": f"Bearer {fuzz_world.token('11110', Role.APPROVER)}"}
    citizen = fuzz_world.citizen(OWNER)
    return {
        "officer": {"headers": officer, "cookies": {}},
        "citizen": {
            "headers": {"X-CSRF-Token": citizen.headers["X-CSRF-Token"]},
            "cookies": dict(citizen.cookies.items()) | {CSRF_COOKIE: citizen.headers["X-CSRF-Token"]},
        },
    }


# Written as an explicit loop over the document's operations (rather than schemathesis' pytest
# parametrisation, whose fixture loader does not run on this pytest) with one hypothesis run each.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_the_api_answers_every_input_as_documented(
    api_schema: schemathesis.BaseSchema, callers: dict[str, dict[str, dict[str, str]]], mode: GenerationMode
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    fuzzed, calls = 0, []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            for caller in callers.values():
                headers = {**(case.headers or {}), **caller["headers"]}
                case.call_and_validate(headers=headers, cookies=caller["cookies"], checks=CHECKS)
                calls.append(case.operation.label)

        try:
            fuzz()
        except Unsatisfiable:
            # An operation without inputs (the health check) has no invalid request to make.
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        fuzzed += 1
    # Four operations take no input at all (health, readiness, metrics, session): nothing to break.
    assert fuzzed >= len(operations) - (4 if mode is GenerationMode.NEGATIVE else 0)
    assert len(calls) >= 2 * fuzzed


def test_the_fuzz_covers_the_case_api(api_schema: schemathesis.BaseSchema) -> None:
    """Guard against a silently empty fuzz: the document lists the case operations it must reach."""
    paths = set(api_schema.raw_schema["paths"])
    assert {
        "/api/v1/me/cases",
        "/api/v1/cases/{case_id}/accept",
        "/api/v1/districts/{district}/cases",
    } <= paths
