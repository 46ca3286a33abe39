"""The owner behind a case, for staff: masked unless a role that may see a value in full states a reason,
which is recorded before the value is shown. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import insert

from cartax.audit import AccessAction
from cartax.bootstrap import pii_cipher
from cartax.identity import Role
from cartax.registry.adapters.tables import owners
from web_factories import NOW, World, audit_rows

OWNER = "P11110-0000001"
RRN, ACCOUNT = "900101-1234567", "110-123-456789"


def _store_owner(world: World) -> None:
    cipher = pii_cipher(world.platform.settings)

    def sealed(column: str, value: str) -> str:
        return cipher.encrypt(value, f"registry_owners.{column}_encrypted:{OWNER}")

    row = {
        "owner_id": OWNER, "kind": "person", "name": "홍길동", "rrn_encrypted": sealed("rrn", RRN),
        "rrn_index": cipher.blind_index(RRN), "phone_encrypted": sealed("phone", "010-1234-5678"),
        "email_encrypted": sealed("email", "hong@example.kr"), "address_encrypted": sealed("address", "서울"),
        "district": "11110", "refund_bank": "088",
        "refund_account_encrypted": sealed("refund_account", ACCOUNT),
        "refund_account_holder": "홍길동", "pii_fingerprint": "f" * 64, "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip
    with world.services.engine.begin() as connection:
        connection.execute(insert(owners).values(**row))


def test_staff_see_the_owner_masked_and_the_read_is_audited(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    _store_owner(world)
    response = world.officer(("11110", Role.VIEWER)).get(f"/api/v1/cases/{case_key}/owner")
    assert response.status_code == 200
    body = response.json()
    assert (body["rrn"], body["refund_account"]) == ("900101-1******", "****-**-6789")
    assert (body["name"], body["phone"], body["email"]) == ("홍*동", "010-****-5678", "ho**@example.kr")
    assert RRN not in response.text
    assert "456789" not in response.text
    reads = [row for row in audit_rows(world) if row[0] == AccessAction.READ_PERSONAL_DATA]
    assert (f"case:{case_key}:owner", OWNER) in {(row[2], row[3]) for row in reads}


def test_a_value_in_full_needs_the_role_and_a_reason_and_is_audited_first(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    _store_owner(world)
    url = f"/api/v1/cases/{case_key}/owner/reveal"
    viewer = world.officer(("11110", Role.VIEWER))
    reviewer = world.officer(("11110", Role.REVIEWER))
    refused = viewer.post(url, json={"field": "rrn", "reason": "민원 2026-77 확인"})
    short = reviewer.post(url, json={"field": "rrn", "reason": "왜"})
    leaky = reviewer.post(url, json={"field": "rrn", "reason": f"주민번호 {RRN} 확인"})
    shown = reviewer.post(url, json={"field": "refund_account", "reason": "민원 2026-77 확인"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert short.status_code == 422
    assert (leaky.status_code, leaky.json()["code"]) == (422, "invalid_reason")
    assert RRN not in leaky.text
    assert shown.json() == {"field": "refund_account", "value": ACCOUNT}
    reveals = [row for row in audit_rows(world) if row[0] == AccessAction.REVEAL_PERSONAL_DATA]
    assert [(row[2], row[3]) for row in reveals] == [(f"case:{case_key}:owner:refund_account", OWNER)]


def test_an_owner_the_registry_does_not_hold_is_said_so(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    response = world.officer(("11110", Role.VIEWER)).get(f"/api/v1/cases/{case_key}/owner")
    assert (response.status_code, response.json()["code"]) == (404, "owner_not_found")
