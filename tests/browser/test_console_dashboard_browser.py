"""The processing dashboard and the policy page in a real browser: the charts are drawn by the static
script under the strict CSP (no console error), their tables stay as the alternative, an administrator
publishes a version and sees a refusal first; axe-core finds nothing serious or critical, on a desktop
and on a 360×640 phone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from browser.conftest import axe_violations
from cartax.identity import Role
from identity_factories import PASSWORD, code_at
from processing_factories import DISTRICT, NEIGHBOUR, seed_dashboard
from web_factories import NOW, World, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = make_world(f"sqlite:///{tmp_path / 'cartax.db'}", tmp_path)
    seed_dashboard(built)
    yield built
    built.services.close()


def _sign_in(page: Page, base: str, world: World, *roles: tuple[str, Role]) -> None:
    _, username, secret = world.add_officer(*roles)
    page.goto(f"{base}/console/login")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("인증 코드").fill(code_at(secret, NOW))
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("업무 목록")


def _clean(page: Page) -> None:
    assert axe_violations(page) == [], page.url


def test_the_dashboard_draws_its_charts_beside_their_tables(
    page: Page, serve: Callable[[FastAPI], str], world: World
) -> None:
    errors: list[str] = []
    # A refused script or style shows as a console error; the browser's own favicon request is not ours.
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in str(m.location) else None,
    )
    base = serve(world.app)
    _sign_in(page, base, world, (DISTRICT, Role.VIEWER), (NEIGHBOUR, Role.VIEWER))
    page.goto(f"{base}/console/dashboard?district={DISTRICT}")
    expect(page.get_by_role("heading", level=1)).to_have_text("처리 현황: 서울특별시 강남구 (11680)")
    expect(page.locator("#straight-share")).to_contain_text("100.0%")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas').length === 3")
    drawn = page.evaluate(
        "() => Array.from(document.querySelectorAll('canvas')).map(c => !!window.Chart.getChart(c))"
    )
    assert drawn == [True, True, True]
    expect(page.get_by_role("table", name="단계별 건수와 금액 (그래프의 표 대체 내용)")).to_be_visible()
    assert errors == []  # nothing refused by the page's CSP
    _clean(page)
    page.get_by_role("link", name="시·도 합계: 서울특별시 (11)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("처리 현황: 서울특별시 (11)")
    _clean(page)
    page.set_viewport_size({"width": 360, "height": 640})
    _clean(page)


def test_an_administrator_publishes_a_version_after_a_refusal(
    page: Page, serve: Callable[[FastAPI], str], world: World
) -> None:
    base = serve(world.app)
    _sign_in(page, base, world, (DISTRICT, Role.ADMIN))
    page.goto(f"{base}/console/policy?district={DISTRICT}")
    expect(page.get_by_role("heading", level=2).first).to_have_text("지금 적용 중: 기본값(제0판, 서버 설정)")
    _clean(page)
    page.get_by_label("자동 승인 한도(원)").fill("3000000")
    page.get_by_label("변경 사유").fill("한도 상향 검토")
    page.get_by_role("button", name="새 판으로 저장").click()
    expect(page).to_have_title("오류: 자동 처리 기준 | 자동차세 환급 업무")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("2,000,000원 이하로")
    _clean(page)
    page.get_by_label("자동 승인 한도(원)").fill("300000")
    page.locator("label[for=require_verified_account]").click()  # KRDS draws the box on the label
    expect(page.get_by_label("예금주가 확인된 계좌만 자동 승인")).to_be_checked()
    page.get_by_role("button", name="새 판으로 저장").click()
    expect(page.get_by_role("status")).to_contain_text("제1판을 저장했습니다")
    expect(page.get_by_role("heading", level=2).first).to_have_text("지금 적용 중: 제1판")
    _clean(page)
    page.set_viewport_size({"width": 360, "height": 640})
    _clean(page)


@pytest.mark.parametrize("path", ["/console/dashboard", "/console/policy"])
def test_high_contrast_keeps_the_pages_clean(
    page: Page, serve: Callable[[FastAPI], str], world: World, path: str
) -> None:
    base = serve(world.app)
    _sign_in(page, base, world, (DISTRICT, Role.APPROVER))
    page.emulate_media(forced_colors="active")
    page.goto(f"{base}{path}?district={DISTRICT}")
    _clean(page)
