"""The officers' console in a real browser: sign in with password and code, review, maker-checker with a
second officer in another browser, bulk approval and export; axe-core finds nothing serious or critical
on any console page (sign-in and its error, queues, search, case, bulk preview and result, export)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from browser.conftest import axe_violations
from cartax.identity import Role
from console_factories import DISTRICT, seed_district
from identity_factories import PASSWORD, code_at
from web_factories import NOW, World, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = make_world(f"sqlite:///{tmp_path / 'cartax.db'}", tmp_path)
    seed_district(built, tmp_path / "feeds")
    yield built
    built.services.close()


def _sign_in(page: Page, base: str, world: World, role: Role = Role.APPROVER) -> None:
    _, username, secret = world.add_officer((DISTRICT, role))
    page.goto(f"{base}/console")
    expect(page).to_have_url(f"{base}/console/login")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("인증 코드").fill(code_at(secret, NOW))
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("업무 목록")


def _clean(page: Page) -> None:
    assert axe_violations(page) == [], page.url


def test_review_and_maker_checker_with_a_second_officer(
    page: Page, chromium: Browser, serve: Callable[[FastAPI], str], world: World
) -> None:
    base = serve(world.app)
    page.goto(f"{base}/console/login")
    page.get_by_label("아이디").fill("nobody")
    page.get_by_label("비밀번호").fill("wrong-password")
    page.get_by_label("인증 코드").fill("000000")
    page.get_by_role("button", name="로그인").click()
    expect(page).to_have_title("오류: 담당자 로그인 | 자동차세 환급 업무")
    _clean(page)

    _sign_in(page, base, world)
    _clean(page)
    page.get_by_role("link", name="c-huge").click()
    expect(page.get_by_text("서로 다른 담당자 두 명이 승인해야")).to_be_visible()
    _clean(page)
    page.get_by_role("button", name="승인하기").click()
    expect(page.get_by_role("status")).to_contain_text("다른 담당자가 2차 승인해야")
    page.go_back()
    page.reload()  # back and refresh never approve twice: the maker is not offered a second signature
    expect(page.get_by_role("button", name="2차 승인하기")).to_have_count(0)

    context = chromium.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    checker = context.new_page()
    try:
        _sign_in(checker, base, world)
        checker.get_by_role("link", name="2차 승인 대기").click()
        _clean(checker)
        checker.get_by_role("link", name="c-huge").click()
        checker.get_by_role("button", name="2차 승인하기").click()
        expect(checker.get_by_role("status")).to_contain_text("지급이 결정되었습니다")
        _clean(checker)
    finally:
        context.close()

    page.get_by_role("link", name="업무 목록", exact=True).first.click()
    page.get_by_label("찾는 방법").select_option("plate")
    page.get_by_label("찾을 값").fill("34나5678")
    page.get_by_label("조회 사유").fill("전화 문의 확인")
    page.get_by_role("button", name="찾기").click()
    expect(page.get_by_role("link", name="c-large")).to_be_visible()
    _clean(page)


def test_bulk_approval_after_a_preview_and_an_export(
    page: Page, serve: Callable[[FastAPI], str], world: World
) -> None:
    base = serve(world.app)
    _sign_in(page, base, world)
    page.get_by_label("최대 금액(원)").fill("1000000")
    page.get_by_role("button", name="조건 적용").click()
    page.get_by_role("link", name="이 목록 내려받기").click()
    _clean(page)
    page.get_by_label("내려받는 사유").fill("월간 보고 자료")
    with page.expect_download() as download:
        page.get_by_role("button", name="내려받기").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.get_by_role("link", name="목록으로 돌아가기").click()
    page.get_by_role("link", name="이 목록 일괄 승인").click()
    expect(page.get_by_text("1,500,000원").first).to_be_visible()
    _clean(page)
    page.get_by_role("button", name="2건, 1,500,000원 승인하기").click()
    expect(page.get_by_role("status")).to_contain_text("지급 결정: 2건")
    _clean(page)
    page.reload()  # the browser posts the same form again: nothing is approved twice
    expect(page.get_by_role("status")).to_contain_text("이미 처리되어 다시 하지 않음: 2건")


def test_printing_the_notices_shows_its_progress_then_the_file(
    page: Page, serve: Callable[[FastAPI], str], world: World
) -> None:
    base = serve(world.app)
    _sign_in(page, base, world)
    page.get_by_role("link", name="통지서 인쇄").click()
    _clean(page)
    page.get_by_text("환급금 통지서 (대상 3건)").click()  # KRDS draws the radio over its label
    page.get_by_label("인쇄 사유").fill("정기 발송분 인쇄")
    page.get_by_role("button", name="인쇄 파일 만들기").click()
    _clean(page)
    download_link = page.get_by_role("link", name="인쇄 파일(PDF) 내려받기")
    expect(download_link).to_be_visible(timeout=60_000)  # the page's script follows the job to its end
    expect(page.locator("#print-progress")).to_have_attribute("value", "100")
    _clean(page)
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".pdf")
