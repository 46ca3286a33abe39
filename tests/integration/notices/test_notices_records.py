"""Issued documents on SQLite and PostgreSQL: a case of the platform rendered, recorded once per content
and template, verified; a district printed in one file and recorded; the records refuse to change; the
public verification page accepts a genuine code and refuses unknown and malformed ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from cartax.cases import AcceptRefund, Actor, ApproveRefund, CaseState, case_status
from cartax.notices import DocumentNotApplicableError, VerificationOutcome
from cartax.notices.adapters.tables import issued_documents
from notices_factories import page_texts
from web_factories import World, make_world

DISTRICT = "11680"


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> World:
    return make_world(db_url, tmp_path)


def count_records(world: World) -> int:
    with world.services.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(issued_documents)).scalar_one())


def test_a_refund_notice_of_a_case_is_recorded_once_and_verifies(world: World) -> None:
    key = world.open_case(case_key="C-N-1", owner_id="P-1", district=DISTRICT, payable=250_040)
    notices = world.services.notices

    first = notices.render("refund_notice", key)
    again = notices.render("refund_notice", key)

    text_of = " ".join(" ".join(page_texts(first.pdf)).split())
    assert "지방세 환급금 통지서" in text_of
    assert "250,040원" in text_of
    assert "서울특별시 강남구청장" in text_of
    assert again.record.code == first.record.code
    assert [d.document_id for d in notices.issued_for(key)] == [first.record.document_id]
    assert count_records(world) == 1
    check = notices.verify(first.record.code.lower())
    assert check.outcome is VerificationOutcome.GENUINE
    assert check.record is not None
    assert check.record.summary["payable"] == 250_040
    assert check.record.template_version.startswith("refund_notice@1+")
    assert notices.verify("ABCD-EFGH-JKMN-PQRS-TVW0").outcome is VerificationOutcome.UNKNOWN


def test_a_payment_decision_waits_for_the_decision(world: World) -> None:
    key = world.open_case(case_key="C-N-2", owner_id="P-2", district=DISTRICT, payable=30_000)
    with pytest.raises(DocumentNotApplicableError) as refused:
        world.services.notices.render("payment_decision", key)
    assert "지급결정 전" in refused.value.render("ko")

    service = world.services.cases.service
    service.execute(AcceptRefund(key), Actor.citizen("P-2"), "accept-1")
    if case_status(world.services.cases.reader, key).state is not CaseState.APPROVED:
        # not approved straight through by the processing policy: an officer decides
        service.execute(ApproveRefund(key), Actor.officer("off-1"), "approve-1")
    assert case_status(world.services.cases.reader, key).state is CaseState.APPROVED
    document = world.services.notices.render("payment_decision", key)
    assert document.record.summary["decided_on"] == "2026-11-25"
    printed = "".join("".join(page_texts(document.pdf)).split())
    assert "2026년11월25일에30,000원을지급하기로결정하였습니다." in printed


def test_a_district_prints_into_one_file_and_a_rerun_records_nothing_twice(
    world: World, tmp_path: Path
) -> None:
    keys = [
        world.open_case(case_key=f"C-B-{n}", owner_id=f"P-B-{n}", district=DISTRICT, payable=10_000 + n)
        for n in range(5)
    ]
    world.open_case(case_key="C-OTHER", owner_id="P-O", district="11110", payable=5_000)
    notices = world.services.notices
    out = tmp_path / "gangnam.pdf"

    assert notices.batch_size(DISTRICT, "refund_notice") == 5
    seen: list[int] = []
    result = notices.print_batch(DISTRICT, "refund_notice", out, progress=seen.append)
    notices.print_batch(DISTRICT, "refund_notice", tmp_path / "again.pdf")

    assert (result.documents, result.pages) == (5, 5)
    assert sum(seen) == 5
    texts = page_texts(out)
    assert [next(k for k in keys if k in page) for page in texts] == sorted(keys)
    assert count_records(world) == 5


def test_issued_documents_refuse_to_be_changed_or_removed(world: World) -> None:
    key = world.open_case(case_key="C-N-3", owner_id="P-3", district=DISTRICT)
    world.services.notices.render("refund_notice", key)
    for statement in ("UPDATE issued_documents SET content_digest = 'x'", "DELETE FROM issued_documents"):
        with pytest.raises(DBAPIError, match="append_only"), world.services.engine.begin() as connection:
            connection.execute(text(statement))
    assert count_records(world) == 1


def test_the_verification_page_shows_a_genuine_document_masked(world: World) -> None:
    key = world.open_case(case_key="C-N-4", owner_id="P-4", district=DISTRICT, payable=250_040)
    code = world.services.notices.render("refund_notice", key).record.code
    client = world.client()

    page = client.get(f"/verify/documents/{code}")
    english = client.get(f"/verify/documents/{code}?lang=en")

    assert page.status_code == 200
    assert "진본입니다" in page.text
    assert "250,040원" in page.text
    assert "환급금 통지서" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "noindex" in page.headers["x-robots-tag"]
    assert english.status_code == 200
    assert "Genuine" in english.text


def test_the_verification_page_refuses_unknown_and_malformed_codes(world: World) -> None:
    key = world.open_case(case_key="C-N-5", owner_id="P-5", district=DISTRICT)
    code = world.services.notices.render("refund_notice", key).record.code
    forged = ("0" if code[0] != "0" else "1") + code[1:]
    client = world.client()

    unknown = client.get(f"/verify/documents/{forged}")
    malformed = client.get("/verify/documents/not-a-code")
    typed = client.get("/verify/documents", params={"code": code.lower()}, follow_redirects=False)

    assert unknown.status_code == 404
    assert "발급 기록이 없습니다" in unknown.text
    assert "250,040" not in unknown.text
    assert malformed.status_code == 400
    assert "<title>오류:" in malformed.text
    assert typed.status_code == 303
    assert typed.headers["location"] == f"/verify/documents/{code}"
