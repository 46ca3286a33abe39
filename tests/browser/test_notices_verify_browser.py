"""The document-verification page in a real browser, desktop and phone: genuine, unknown and mistyped
codes read plainly, the form works with the keyboard, and axe-core finds nothing serious."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from playwright.sync_api import Page, expect

from browser.conftest import axe_violations
from web_factories import make_world


def test_a_reader_checks_a_notice_by_its_qr_address_and_by_typing_its_code(
    page: Page, serve: Callable[[FastAPI], str], tmp_path: Path
) -> None:
    world = make_world(f"sqlite:///{tmp_path / 'verify.db'}", tmp_path)
    key = world.open_case(case_key="C-BROWSER-1", owner_id="P-B-1", district="11680", payable=250_040)
    code = world.services.notices.render("refund_notice", key).record.code
    base = serve(world.app)

    for width, height in ((1280, 900), (360, 640)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base}/verify/documents/{code}")
        expect(page.get_by_role("heading", level=2, name="진본입니다")).to_be_visible()
        expect(page.locator("table")).to_contain_text("250,040원")
        assert axe_violations(page) == []

    page.goto(f"{base}/verify/documents")
    page.get_by_label("문서확인번호").fill("not a code")
    page.keyboard.press("Enter")
    expect(page).to_have_title("오류: 문서 진위 확인 | 자동차세 환급")
    assert axe_violations(page) == []

    page.get_by_label("문서확인번호").fill("ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    page.get_by_role("button", name="확인하기").click()
    expect(page.get_by_role("heading", level=2, name="발급 기록이 없습니다")).to_be_visible()
    assert axe_violations(page) == []

    page.goto(f"{base}/verify/documents/{code}?lang=en")
    expect(page.get_by_role("heading", level=2, name="Genuine")).to_be_visible()
