"""The officers' console over HTTP, on SQLite and PostgreSQL: sign-in with two factors, the district's
queues, search with a stated reason, the case page, decisions once per form, maker-checker, bulk approval
with a preview, exports; another district's officer gets 404, and every look-up leaves an access record."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cartax.audit import AccessAction
from cartax.bootstrap import pii_cipher
from cartax.cases import Actor, OpenCase, RecomputeCase, parse_refund_detected, parse_refund_recomputed
from cartax.identity import Role
from console_factories import DISTRICT, ELSEWHERE, claimed_case, seed_district
from identity_factories import PASSWORD, code_at
from registry_factories import FAKE_RRN
from web_factories import NOW, World, audit_rows, refund_payload


@pytest.fixture
def seeded(world: World, tmp_path: Path) -> World:
    return seed_district(world, tmp_path / "feeds")


def _key(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert found, "the page carries an idempotency key in its form"
    return found.group(1)


def test_nobody_signed_in_is_sent_to_sign_in(world: World) -> None:
    answer = world.client().get("/console", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")
    page = world.client().get("/console/login")
    assert page.status_code == 200
    assert "인증 코드" in page.text


def test_an_officer_signs_in_with_password_and_code_and_sees_the_queue(seeded: World) -> None:
    _, username, secret = seeded.add_officer((DISTRICT, Role.APPROVER))
    client = seeded.client()
    client.get("/console/login")
    client.headers["X-CSRF-Token"] = client.cookies["__Host-cartax-csrf"]
    wrong = client.post("/console/login", data={"username": username, "password": "nope", "code": "000000"})
    assert wrong.status_code == 401
    assert "<title>오류:" in wrong.text
    good = {"username": username, "password": PASSWORD, "code": code_at(secret, NOW)}
    signed = client.post("/console/login", data=good, follow_redirects=False)
    assert (signed.status_code, signed.headers["location"]) == (303, "/console")
    queue = client.get("/console")
    assert queue.status_code == 200
    assert re.findall(r'href="/console/cases/([^"]+)"', queue.text) == ["c-huge", "c-large", "c-small"]
    assert "홍*동" in queue.text
    assert "홍길동" not in queue.text
    assert "12가3456" in queue.text


def test_another_districts_officer_gets_404(seeded: World) -> None:
    officer = seeded.officer((ELSEWHERE, Role.APPROVER))
    assert officer.get("/console/cases/c-small").status_code == 404
    assert officer.get(f"/console?district={DISTRICT}").status_code == 404
    assert "c-small" not in officer.get("/console").text
    assert (
        officer.post("/console/cases/c-small/approve", data={"idempotency_key": "k" * 20}).status_code == 404
    )


def test_the_case_page_shows_the_person_masked_vehicle_payments_and_history(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.REVIEWER))
    page = officer.get("/console/cases/c-small")
    assert page.status_code == 200
    text = page.text
    assert "900101" not in text
    assert FAKE_RRN not in text
    assert "991231-1******" in text
    assert "12가3456" in text
    assert "P1" in text
    assert "환급 신청됨" in text  # the history and the state
    assert "승인하기" not in text  # a reviewer may not approve
    assert page.headers["cache-control"] == "no-store"
    rows = audit_rows(seeded)
    assert ("read_personal_data", rows[-1][1], "case:c-small", "O1") == rows[-1]


def test_approving_twice_with_one_form_decides_once(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.APPROVER))
    key = _key(officer.get("/console/cases/c-small").text)
    first = officer.post(
        "/console/cases/c-small/approve", data={"idempotency_key": key}, follow_redirects=False
    )
    again = officer.post(
        "/console/cases/c-small/approve", data={"idempotency_key": key}, follow_redirects=False
    )
    assert first.headers["location"].endswith("?done=approved")
    assert again.headers["location"].endswith("?done=replayed")
    status = seeded.services.cases.reader.status("c-small")
    assert status is not None
    assert [h.to_state for h in status.history].count("approved") == 1
    decisions = [row for row in audit_rows(seeded) if row[0] == str(AccessAction.DECISION)]
    assert len(decisions) == 2  # both requests recorded, one decision made


def test_a_large_refund_needs_a_second_different_officer(seeded: World) -> None:
    maker = seeded.officer((DISTRICT, Role.APPROVER))
    checker = seeded.officer((DISTRICT, Role.APPROVER))
    page = maker.get("/console/cases/c-huge").text
    assert "두 명이 승인해야" in page
    first = maker.post("/console/cases/c-huge/approve", data={"idempotency_key": _key(page)})
    assert "다른 담당자가 2차 승인해야" in first.text
    assert "2차 승인하기" not in first.text  # the maker is not offered a second signature
    assert "c-huge" in checker.get("/console?queue=second_approval").text
    second = checker.post(
        "/console/cases/c-huge/approve",
        data={"idempotency_key": _key(checker.get("/console/cases/c-huge").text)},
    )
    assert "지급이 결정되었습니다" in second.text
    status = seeded.services.cases.reader.status("c-huge")
    assert status is not None
    assert str(status.state) == "approved"


def test_rejecting_needs_a_reason_from_the_list(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.APPROVER))
    key = _key(officer.get("/console/cases/c-large").text)
    refused = officer.post("/console/cases/c-large/reject", data={"idempotency_key": key, "reason": "whim"})
    assert refused.status_code == 422
    assert "거부 사유를 목록에서" in refused.text
    done = officer.post(
        "/console/cases/c-large/reject",
        data={"idempotency_key": key, "reason": "registry_error", "note": "말소일 확인 필요"},
    )
    assert done.status_code == 200
    assert "환급을 거부했습니다" in done.text
    assert "[registry_error] 말소일 확인 필요" in done.text


def test_search_by_resident_number_needs_a_reason_and_records_the_blind_index(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.REVIEWER))
    missing = officer.post("/console/search", data={"kind": "person", "value": FAKE_RRN, "reason": ""})
    assert missing.status_code == 422
    assert "조회 사유" in missing.text
    found = officer.post(
        "/console/search", data={"kind": "person", "value": FAKE_RRN, "reason": "민원 2026-1123 상담"}
    )
    assert found.status_code == 200
    assert re.findall(r'href="/console/cases/([^"]+)"', found.text) == ["c-huge", "c-small"]
    assert FAKE_RRN not in found.text
    assert "991231-1******" in found.text
    search = [row for row in audit_rows(seeded) if row[2] == "search:person"]
    index = pii_cipher(seeded.platform.settings).blind_index(FAKE_RRN)
    assert search == [("read_personal_data", search[0][1], "search:person", index)]
    by_plate = officer.post(
        "/console/search", data={"kind": "plate", "value": "34나5678", "reason": "전화 문의 확인"}
    )
    assert re.findall(r'href="/console/cases/([^"]+)"', by_plate.text) == ["c-large"]


def test_bulk_approval_previews_totals_and_acts_once(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.APPROVER))
    preview = officer.get(f"/console/bulk?district={DISTRICT}&queue=needs_review&max=1000000")
    assert preview.status_code == 200
    assert "1,500,000원" in preview.text  # 600,000 + 900,000; the 3,000,000 case is filtered out
    cases = re.findall(r'name="case" value="([^"]+)"', preview.text)
    form = {"district": DISTRICT, "idempotency_key": _key(preview.text), "case": cases}
    done = officer.post("/console/bulk", data=form)
    assert "지급 결정: 2건" in done.text
    again = officer.post("/console/bulk", data=form)
    assert "이미 처리되어 다시 하지 않음: 2건" in again.text
    away = officer.post("/console/bulk", data={**form, "idempotency_key": "x" * 20, "case": ["c-away"]})
    assert "승인하지 못함: 1건" in away.text


def test_exports_need_a_reason_and_hold_only_what_the_list_shows(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.APPROVER))
    form = {"district": DISTRICT, "queue": "needs_review", "format": "csv"}
    refused = officer.post("/console/export", data={**form, "reason": ""})
    assert refused.status_code == 422
    answer = officer.post("/console/export", data={**form, "reason": "월간 보고 자료"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][0] == "환급 건 번호"
    assert [row[0] for row in rows[1:]] == ["c-huge", "c-large", "c-small"]
    assert "홍길동" not in answer.text
    assert "홍*동" in answer.text
    xlsx = officer.post("/console/export", data={**form, "format": "xlsx", "reason": "월간 보고 자료"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)][1:] == ["c-huge", "c-large", "c-small"]
    exports = [row for row in audit_rows(seeded) if row[0] == str(AccessAction.EXPORT)]
    assert len(exports) == 2
    assert all(row[3] == "*" for row in exports)
    reviewer = seeded.officer((DISTRICT, Role.REVIEWER))
    assert reviewer.post("/console/export", data={**form, "reason": "월간 보고 자료"}).status_code == 403


def test_the_case_page_shows_the_payment_and_asks_for_another_account(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.APPROVER))
    key = _key(officer.get("/console/cases/c-small").text)
    officer.post("/console/cases/c-small/approve", data={"idempotency_key": key})
    assert seeded.services.relay is not None
    seeded.services.relay.drain()  # the decision reaches payout
    page = officer.get("/console/cases/c-small")
    assert "아직 지급이 결정되지 않았습니다" not in page.text
    assert "다른 계좌 요청하기" in page.text
    asked = officer.post("/console/cases/c-small/request-account", follow_redirects=False)
    assert asked.headers["location"].endswith("?done=account_requested")
    decisions = [row[2] for row in audit_rows(seeded) if row[0] == str(AccessAction.DECISION)]
    assert decisions.count("case:c-small") == 2
    viewer = seeded.officer((DISTRICT, Role.VIEWER))
    assert viewer.post("/console/cases/c-small/request-account").status_code == 403


@pytest.mark.parametrize(
    ("queue", "shown"),
    [
        ("needs_review", ["c-huge", "c-large", "c-small"]),
        ("second_approval", []),
        ("failed_transfers", []),
        ("objections", []),
        ("lapsing", []),
        ("all", ["c-huge", "c-large", "c-small"]),
    ],
)
def test_every_queue_lists_the_districts_cases_it_holds(seeded: World, queue: str, shown: list[str]) -> None:
    officer = seeded.officer((DISTRICT, Role.VIEWER))
    page = officer.get(f"/console?queue={queue}")
    assert page.status_code == 200
    assert re.findall(r'href="/console/cases/([^"]+)"', page.text) == shown
    assert "이 목록 일괄 승인" not in page.text  # a viewer cannot approve


def test_a_wrong_filter_is_named_on_the_page(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.APPROVER))
    page = officer.get("/console?queue=needs_review&min=lots")
    assert page.status_code == 422
    assert "<title>오류:" in page.text
    assert "금액은 0 이상의 정수" in page.text


def test_printing_the_notices_runs_in_the_background_and_offers_the_file_to_its_officer(
    seeded: World,
) -> None:
    officer = seeded.officer((DISTRICT, Role.APPROVER))
    form = officer.get("/console/notices")
    assert "환급금 통지서 (대상 3건)" in form.text
    refused = officer.post("/console/notices", data={"district": DISTRICT, "kind": "refund_notice"})
    assert refused.status_code == 422
    started = officer.post(
        "/console/notices",
        data={"district": DISTRICT, "kind": "refund_notice", "reason": "정기 발송분 인쇄"},
        follow_redirects=False,
    )
    job = started.headers["location"]
    deadline = time.monotonic() + 120
    while officer.get(f"{job}/status").json()["state"] == "running":
        assert time.monotonic() < deadline, "the print job did not finish"
        time.sleep(0.2)
    assert officer.get(f"{job}/status").json() == {"state": "finished", "done": 3, "total": 3, "percent": 100}
    assert "통지서 3건" in officer.get(job).text
    pdf = officer.get(f"{job}/file")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    someone_else = seeded.officer((DISTRICT, Role.APPROVER))
    assert someone_else.get(f"{job}/file").status_code == 404
    exports = [row for row in audit_rows(seeded) if row[0] == str(AccessAction.EXPORT)]
    assert [row[2] for row in exports] == [f"notices:{DISTRICT}:refund_notice"]


def test_a_recomputed_case_shows_its_old_amounts_beside_the_new(seeded: World) -> None:
    old = refund_payload(case_key="c-large", owner_id="O2", district=DISTRICT, payable=900_000)
    new = refund_payload(case_key="c-large", owner_id="O2", district=DISTRICT, payable=700_000)
    new |= {"vehicle_id": "V2", "previous_totals": old["totals"]}
    command = RecomputeCase(parse_refund_recomputed(new))
    seeded.services.cases.service.execute(command, Actor.system("detection"))
    page = seeded.officer((DISTRICT, Role.VIEWER)).get("/console/cases/c-large").text
    assert "등록원부 정정으로 다시 계산됨" in page
    assert "900,000원" in page
    assert "700,000원" in page
    assert "−200,000원" in page
    assert "등록원부 정정으로 재계산" in page  # the history says why


def test_the_lapsing_queue_lists_unclaimed_cases_by_their_last_day(seeded: World) -> None:
    payload = refund_payload(case_key="c-old", owner_id="O2", district=DISTRICT, payable=80_000)
    payload["refunds"][0]["arose_on"] = "2021-12-31"
    payload["vehicle_id"] = "V2"
    service = seeded.services.cases.service
    service.execute(OpenCase(parse_refund_detected(payload)), Actor.system("detection"))
    page = seeded.officer((DISTRICT, Role.VIEWER)).get("/console?queue=lapsing")
    assert re.findall(r'href="/console/cases/([^"]+)"', page.text) == ["c-old"]
    assert "2026년 12월 31일" in page.text


def test_recomputing_applies_the_registrys_corrections_and_says_what_changed(seeded: World) -> None:
    viewer = seeded.officer((DISTRICT, Role.VIEWER))
    assert "등록원부 정정 반영하여 다시 계산" not in viewer.get("/console/cases/c-small").text
    assert viewer.post("/console/cases/c-small/recompute").status_code == 403
    reviewer = seeded.officer((DISTRICT, Role.REVIEWER))
    answer = reviewer.post("/console/cases/c-small/recompute", follow_redirects=False)
    assert answer.headers["location"] == "/console/cases/c-small?done=unchanged"
    assert "금액은 바뀌지 않았습니다" in reviewer.get(answer.headers["location"]).text
    decisions = [row for row in audit_rows(seeded) if row[0] == str(AccessAction.DECISION)]
    assert [row[2] for row in decisions] == ["case:c-small"]


def test_the_case_page_shows_risk_flags_and_why_the_policy_sent_it_to_officers(seeded: World) -> None:
    claimed_case(seeded, "c-payer", owner="O2", vehicle="V2", payable=300_000, cause="R4")
    page = seeded.officer((DISTRICT, Role.VIEWER)).get("/console/cases/c-payer").text
    assert "납부한 사람이 그 기간에 차량을 소유하지 않았습니다" in page
    assert "담당자 검토" in page
    assert "소유자가 아닌 납부자" in page
    assert (
        "지금 이 건에는 위험 신호가 없습니다"
        in seeded.officer((DISTRICT, Role.VIEWER)).get("/console/cases/c-small").text
    )


def test_the_console_speaks_english_when_asked(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.APPROVER))
    queue = officer.get("/console?lang=en")
    assert "<h1>Work queues</h1>" in queue.text
    assert 'lang="en"' in queue.text
    case = officer.get("/console/cases/c-huge")  # the choice is remembered
    assert "Above KRW 2,000,000: two different officers must approve" in case.text


def test_an_officer_without_a_district_is_told_to_ask_for_one(world: World) -> None:
    nobody = world.officer()
    page = nobody.get("/console")
    assert page.status_code == 403
    assert "담당 관할이 없습니다" in page.text


def test_a_number_typed_as_a_case_number_is_refused_before_it_reaches_the_audit_trail(seeded: World) -> None:
    officer = seeded.officer((DISTRICT, Role.REVIEWER))
    refused = officer.post(
        "/console/search", data={"kind": "case", "value": "9912311000001", "reason": "민원 상담"}
    )
    assert refused.status_code == 422
    assert "환급 건 번호는 안내문에 적힌 대로" in refused.text
    assert all("9912311000001" not in row[2] for row in audit_rows(seeded))
