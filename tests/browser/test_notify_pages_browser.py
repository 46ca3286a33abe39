"""The notify pages in a real browser: /verify (empty, a genuine code, an unknown code, a malformed
code), an invalid link, and the demo inbox; each passes axe-core with no serious or critical finding,
on a desktop and on a 360×640 phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from browser.conftest import axe_violations
from notify_web_factories import notify_app, send_case_opened

PHONE = {"width": 360, "height": 640}


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_verify_page_states_pass_axe(
    page: Page, serve: Callable[[FastAPI], str], tmp_path: Path, viewport: dict[str, int] | None
) -> None:
    if viewport:
        page.set_viewport_size(viewport)
    app, service = notify_app(tmp_path)
    code = send_case_opened(service)
    base = serve(app)
    page.goto(f"{base}/verify")
    expect(page).to_have_title("이 메시지가 진짜인지 확인하기 | " + page.title().split(" | ")[1])
    assert axe_violations(page) == []

    page.get_by_label("확인 코드").fill(code.lower())
    page.get_by_role("button", name="확인하기").click()
    expect(page.get_by_role("heading", name="저희가 보낸 메시지가 맞습니다")).to_be_visible()
    expect(page.locator("main")).to_contain_text("카카오 알림톡")
    assert axe_violations(page) == []

    page.get_by_label("확인 코드").fill("ZZZZ-ZZZZ")
    page.get_by_role("button", name="확인하기").click()
    expect(page.get_by_role("heading", name="저희가 보낸 메시지가 아닙니다")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("확인 코드").fill("12")
    page.get_by_role("button", name="확인하기").click()
    assert page.title().startswith("오류:")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("확인 코드")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []


def test_verify_page_in_english(page: Page, serve: Callable[[FastAPI], str], tmp_path: Path) -> None:
    app, _ = notify_app(tmp_path)
    page.goto(f"{serve(app)}/verify?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check that a message is really from us")
    assert axe_violations(page) == []


def test_an_invalid_link_explains_itself(page: Page, serve: Callable[[FastAPI], str], tmp_path: Path) -> None:
    app, _ = notify_app(tmp_path)
    response = page.goto(f"{serve(app)}/l/{'A' * 32}")
    assert response is not None
    assert response.status == 404
    assert page.title().startswith("오류:")
    expect(page.locator("main")).to_contain_text("올바르지 않습니다")
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_demo_inbox_shows_a_persons_messages(
    page: Page, serve: Callable[[FastAPI], str], tmp_path: Path, viewport: dict[str, int] | None
) -> None:
    if viewport:
        page.set_viewport_size(viewport)
    app, service = notify_app(tmp_path)
    send_case_opened(service)
    base = serve(app)
    page.goto(f"{base}/demo/inbox")
    assert axe_violations(page) == []
    page.get_by_role("button", name="메시지 보기").click()
    expect(page.get_by_role("heading", name="자동차세 환급금이 있습니다")).to_be_visible()
    expect(page.locator(".notify-body")).to_contain_text("250,040원")
    link = page.get_by_role("link", name="메시지의 링크 열기")
    expect(link).to_have_attribute("href", re.compile(r"^/l/[0-9A-Z]{32}$"))
    assert axe_violations(page) == []
    opened = page.request.get(base + str(link.get_attribute("href")), max_redirects=0)
    assert opened.status == 303
    assert opened.headers["location"] == "/refunds/C-DEMO-1"
