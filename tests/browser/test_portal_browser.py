"""The citizen portal in a real browser: from the message's link through the demo sign-in to the
confirmation, the status page updated live as the money is paid, the feedback question and its error,
and the kiosk (large targets, the timeout warning, the wipe on exit). axe-core finds nothing serious or
critical on any page and state, on a desktop, on a 360×640 phone and at 200% zoom."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from browser.conftest import axe_violations
from portal_factories import pay_out, portal_world
from web_factories import World

KEY = "c0ffee0000000000beef"
OWNER = "O-portal-1"
PHONE = {"width": 360, "height": 640}


def _clean(page: Page) -> None:
    assert axe_violations(page) == [], page.url


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[World, str]]:
    """The portal served on a port known before the app is built: the demo sign-in returns to it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = f"http://localhost:{port}"
    world = portal_world(tmp_path, base, [(KEY, OWNER)])
    server = uvicorn.Server(uvicorn.Config(world.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the portal did not start"
        assert time.monotonic() < deadline, "the portal did not start in time"
        time.sleep(0.02)
    yield world, base
    server.should_exit = True
    thread.join(30)
    world.services.close()


def _sign_in(page: Page) -> None:
    page.get_by_role("link", name="간편인증으로 로그인").click()
    page.get_by_role("button", name=f"시연 시민 1 ({OWNER})").click()


def test_the_journey_from_the_link_to_the_money_arriving(page: Page, served: tuple[World, str]) -> None:
    world, base = served
    page.goto(f"{base}/refunds/{KEY}")
    expect(page.get_by_role("heading", level=1)).to_have_text("본인인증이 필요합니다")
    _clean(page)
    _sign_in(page)
    expect(page).to_have_url(f"{base}/refunds/{KEY}")  # back to the page the link opened
    expect(page.locator(".amount")).to_have_text("250,040원")
    expect(page.get_by_text("지방세기본법 제60조").first).to_be_visible()
    _clean(page)

    page.get_by_role("link", name="환급 신청하기").click()
    expect(page.get_by_label("신한은행 ****-**-7890 (등록된 계좌)")).to_be_checked()
    _clean(page)
    page.get_by_role("button", name="다음").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("신청 내용을 확인하십시오")
    _clean(page)
    page.get_by_role("button", name="환급 신청하기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("환급 신청이 접수되었습니다")
    expect(page.locator(".reference").first).to_have_text("C0FF-EE00-0000-0000-BEEF")
    _clean(page)
    page.go_back()  # back to "check your answers": it is not offered again
    expect(page).to_have_url(f"{base}/refunds/{KEY}/done")

    page.get_by_role("link", name="진행 상황 보기").click()
    expect(page.locator("#live-status")).to_contain_text("신청")
    _clean(page)
    pay_out(world, KEY)  # the officer, payout and the bank act while the page is open
    expect(page.locator("#live-status")).to_contain_text("돈이 계좌에 들어갔습니다", timeout=20_000)
    expect(page.locator("#live-status")).to_have_attribute("data-updated", "true")
    _clean(page)

    page.get_by_role("button", name="의견 보내기").click()  # no rating chosen
    assert page.title().startswith("오류:")
    expect(page.locator("#error-summary")).to_be_focused()
    _clean(page)
    page.locator("label[for=rating-5]").click()  # KRDS draws the radio on its label
    page.get_by_role("button", name="의견 보내기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("의견을 보내 주셔서 고맙습니다")
    assert [(c.journey, c.step, c.rating) for c in world.services.voc.counts()] == [("status", "arrived", 5)]


def test_the_pages_read_on_a_phone_and_at_double_size(page: Page, served: tuple[World, str]) -> None:
    _, base = served
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/")
    _clean(page)
    page.goto(f"{base}/refunds/{KEY}")
    _sign_in(page)
    expect(page.locator(".amount")).to_have_text("250,040원")
    _clean(page)
    page.get_by_role("link", name="자동 지급을 원하지 않거나 금액에 이의가 있으십니까?").click()
    page.locator("label[for=reason-other]").click()
    page.get_by_role("button", name="이의 제기하기").click()  # "other" without words: the error state
    assert page.title().startswith("오류:")
    _clean(page)
    page.set_viewport_size({"width": 640, "height": 400})
    page.evaluate("document.documentElement.style.zoom = '2'")  # 200% of a 1280×800 screen
    _clean(page)
    width = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth * 1.02")
    assert width, "the page scrolls sideways at 200% zoom"


def test_the_kiosk_has_large_targets_warns_before_the_timeout_and_forgets_everything(
    page: Page, served: tuple[World, str]
) -> None:
    _, base = served
    page.clock.install()
    page.set_viewport_size({"width": 1080, "height": 1920})
    page.goto(f"{base}/kiosk")
    _clean(page)
    page.get_by_role("link", name="본인인증하고 시작하기").click()
    page.get_by_role("button", name=f"시연 시민 1 ({OWNER})").click()
    page.get_by_role("link", name="2026년 자동차세 환급").click()
    expect(page.locator(".amount")).to_have_text("250,040원")
    _clean(page)
    small = page.evaluate(
        """() => [...document.querySelectorAll('a, button, input, label')]
            .filter((e) => e.offsetParent !== null && !e.closest('#krds-skip-link'))
            .map((e) => [e.textContent.trim() || e.id, e.getBoundingClientRect()])
            .filter(([, r]) => r.height < 44 || r.width < 44)
            .map(([name, r]) => `${name} ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )
    assert small == [], small

    page.clock.run_for(181_000)  # three minutes untouched: the screen asks, two minutes ahead
    expect(page.get_by_role("alertdialog")).to_be_visible()
    expect(page.get_by_role("button", name="계속 이용하기")).to_be_focused()
    _clean(page)
    page.clock.run_for(120_000)  # nobody answered: back to the start, signed out
    expect(page).to_have_url(f"{base}/kiosk")
    expect(page.get_by_role("link", name="본인인증하고 시작하기")).to_be_visible()
    page.goto(f"{base}/refunds/{KEY}")
    expect(page.get_by_role("heading", level=1)).to_have_text("본인인증이 필요합니다")


def _tab_to(page: Page, name: str) -> None:
    """Press Tab until the focused element's text (or value) contains ``name``; fail if it never does."""
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '')"
        )
        if name in focused:
            return
    raise AssertionError(f"Tab never reached {name!r} on {page.url}")


def _enter(page: Page) -> None:
    """Press Enter on a link or a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_whole_journey_with_the_keyboard_alone_and_every_other_page_clean(
    page: Page, served: tuple[World, str]
) -> None:
    _, base = served
    page.goto(f"{base}/")
    _tab_to(page, "내 환급금 확인하기")
    _enter(page)
    _tab_to(page, f"시연 시민 1 ({OWNER})")
    _enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("나의 자동차세 환급")
    _clean(page)
    _tab_to(page, "2026년 자동차세 환급")
    _enter(page)
    _tab_to(page, "환급 신청하기")
    _enter(page)
    _tab_to(page, "registered")  # onto the chosen account (a radio: its value)
    page.keyboard.press("ArrowDown")  # the other choice: a new account
    _tab_to(page, "다음")
    _enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("돈을 받을 계좌를 입력하십시오")
    _tab_to(page, "예금주 확인하고 등록하기")
    _enter(page)  # nothing filled in
    assert page.title().startswith("오류:")
    expect(page.locator("#error-summary")).to_be_focused()
    _clean(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the summary's first link leads to the bank field (same page)
    expect(page.locator("#bank")).to_be_focused()
    page.keyboard.press("ArrowDown")  # KDB산업은행
    _tab_to(page, "")  # onto the number
    page.keyboard.type("1002-345-678901")
    _enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("신청 내용을 확인하십시오")
    expect(page.locator("main")).to_contain_text("KDB산업은행 ****8901")
    _tab_to(page, "환급 신청하기")
    _enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("환급 신청이 접수되었습니다")

    page.goto(f"{base}/refunds/{KEY}/status?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Refund status")
    _clean(page)
    page.goto(f"{base}/feedback/thanks?lang=ko")
    _clean(page)
