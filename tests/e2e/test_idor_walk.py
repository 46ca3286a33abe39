"""Every operation of the OpenAPI document that names an object in its path, called as someone who must
not reach that object: another citizen, and officers of another district. Each gets 403 or 404, never
the object and never a 5xx, and the object is unchanged afterwards.

The walk is generated from ``app.openapi()``, so a new route is walked as soon as it is documented; a
path parameter the walk does not know how to fill fails the test until it is taught.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from cartax.identity import Role
from web_factories import World

OWNER, INTRUDER = "P11110-0000001", "P26110-0000009"
DISTRICT, OTHER_DISTRICT = "11110", "26110"
CASE_KEY = "a1b2c3d4e5f6a7b8c9d0"
PARAM = re.compile(r"\{(\w+)\}")
WALKED_AT_LEAST = {
    "/api/v1/cases/{case_id}",
    "/api/v1/cases/{case_id}/accept",
    "/api/v1/cases/{case_id}/object",
    "/api/v1/cases/{case_id}/approve",
    "/api/v1/cases/{case_id}/reject",
    "/api/v1/districts/{district}/cases",
    "/api/v1/cases/{case_id}/owner",
    "/api/v1/cases/{case_id}/owner/reveal",
}


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        if PARAM.search(path)
        for method, operation in item.items()
    ]


def _url(path: str) -> str:
    values = {"case_id": CASE_KEY, "district": DISTRICT}
    unknown = set(PARAM.findall(path)) - set(values)
    assert not unknown, f"teach the IDOR walk how to fill {unknown} in {path}"
    return PARAM.sub(lambda match: values[match.group(1)], path)


def _call(client: TestClient, method: str, path: str, operation: dict[str, Any], n: int) -> Any:
    headers = {"Idempotency-Key": f"idor-{n}"}
    body = {"reason": "남의 사건을 건드려 봅니다"} if "requestBody" in operation else None
    return client.request(method.upper(), _url(path), json=body, headers=headers)


def test_nobody_reaches_another_persons_case_or_another_districts_cases(world: World) -> None:
    world.open_case(case_key=CASE_KEY, owner_id=OWNER, district=DISTRICT)
    owner = world.citizen(OWNER)
    before = owner.get(f"/api/v1/cases/{CASE_KEY}").json()
    intruders = {
        "another citizen": world.citizen(INTRUDER),
        "a viewer of another district": world.officer((OTHER_DISTRICT, Role.VIEWER)),
        "an approver of another district": world.officer((OTHER_DISTRICT, Role.APPROVER)),
        "an administrator of another district": world.officer((OTHER_DISTRICT, Role.ADMIN)),
    }
    bearer = world.client()
    bearer.headers["Authorization"] = f"Bearer {world.token(OTHER_DISTRICT, Role.APPROVER)}"
    intruders["a machine token of another district"] = bearer
    walked, n = set(), 0
    for path, method, operation in _operations(world.app.openapi()):
        walked.add(path)
        for who, client in intruders.items():
            n += 1
            response = _call(client, method, path, operation, n)
            assert response.status_code in (403, 404), (
                f"{who}: {method.upper()} {path} → {response.status_code}"
            )
            assert response.headers["content-type"].startswith("application/problem+json")
            assert OWNER not in response.text
            assert "totals" not in response.text
    assert walked >= WALKED_AT_LEAST
    assert owner.get(f"/api/v1/cases/{CASE_KEY}").json() == before


def test_the_walk_would_see_a_leak(world: World) -> None:
    """Negative control: the owner and an officer of the district do reach the case on the same walk."""
    world.open_case(case_key=CASE_KEY, owner_id=OWNER, district=DISTRICT)
    reached = [
        _call(client, "get", "/api/v1/cases/{case_id}", {}, 0).status_code
        for client in (world.citizen(OWNER), world.officer((DISTRICT, Role.VIEWER)))
    ]
    assert reached == [200, 200]
