"""The citizen portal through the web app: the journey from the refund explained to the confirmation,
its guards (only the owner, CSRF, no second request on a repeat), the objection, the status with its live
stream, the feedback question and kiosk mode. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cartax.cases import AcceptRefund, Actor, ApproveRefund, CaseState, case_status
from cartax.identity.adapters.web import SESSION_COOKIE
from cartax.web.csrf import CSRF_COOKIE
from cartax.web.portal.deps import KIOSK_COOKIE, NEXT_COOKIE
from portal_factories import ACCOUNT, MASKED_ACCOUNT, pay_out, register_owner
from web_factories import World, make_world

OWNER = "O-portal-1"
OTHER = "O-portal-2"
KEY = "c0ffee0000000000beef"
OTHERS_KEY = "c0ffee0000000000dead"


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    built = make_world(db_url, tmp_path)
    built.open_case(case_key=KEY, owner_id=OWNER)
    built.open_case(case_key=OTHERS_KEY, owner_id=OTHER)
    register_owner(built, OWNER)
    yield built
    built.services.close()


def page(client: TestClient, path: str) -> str:
    answer = client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.text


def post(client: TestClient, path: str, **fields: str) -> tuple[int, str]:
    """A form post as the page sends it (the CSRF token in the form field); (status, Location or body)."""
    data = {"csrf_token": client.cookies[CSRF_COOKIE], **fields}
    answer = client.post(path, data=data, headers={"Accept": "text/html"}, follow_redirects=False)
    return answer.status_code, answer.headers.get("location", answer.text)


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1).strip()


def test_the_whole_journey_explains_asks_for_the_account_checks_and_accepts_once(world: World) -> None:
    citizen = world.citizen(OWNER)
    explained = page(citizen, f"/refunds/{KEY}")
    assert "250,040원" in explained
    assert "지방세기본법 제60조" in explained  # every figure with the article behind it
    assert f'href="/refunds/{KEY}/account"' in explained

    account = page(citizen, f"/refunds/{KEY}/account")
    assert f"신한은행 {MASKED_ACCOUNT}" in account
    assert ACCOUNT not in account
    assert ACCOUNT.replace("-", "") not in account
    assert post(citizen, f"/refunds/{KEY}/account", account="registered") == (303, f"/refunds/{KEY}/check")

    check = page(citizen, f"/refunds/{KEY}/check")
    assert f'action="/refunds/{KEY}/accept"' in check
    assert MASKED_ACCOUNT in check

    assert post(citizen, f"/refunds/{KEY}/accept") == (303, f"/refunds/{KEY}/done")
    history = len(case_status(world.services.cases.reader, KEY).history)
    # a double click, a resubmitted form after "back": the same answer, nothing asked twice
    assert post(citizen, f"/refunds/{KEY}/accept") == (303, f"/refunds/{KEY}/done")
    assert (
        citizen.get(f"/refunds/{KEY}/check", follow_redirects=False).headers["location"]
        == f"/refunds/{KEY}/done"
    )
    status = case_status(world.services.cases.reader, KEY)
    # accepted, and approved at once when the straight-through policy lets it through
    assert str(status.state) in {"accepted", "approved"}
    assert len(status.history) == history

    done = page(citizen, f"/refunds/{KEY}/done")
    assert "C0FF-EE00-0000-0000-BEEF" in done  # the reference number
    assert "환급 신청이 접수되었습니다" in title(done)
    assert 'action="/feedback"' in done


def test_the_account_question_says_what_is_missing_and_the_title_starts_with_error(world: World) -> None:
    citizen = world.citizen(OWNER)
    code, body = post(citizen, f"/refunds/{KEY}/account")
    assert code == 422
    assert title(body).startswith("오류:")
    assert 'href="#account-registered"' in body
    assert "돈을 받을 계좌를 고르십시오" in body


def test_a_new_account_is_checked_with_the_bank_and_then_shown_masked_only(world: World) -> None:
    citizen = world.citizen(OWNER)
    assert post(citizen, f"/refunds/{KEY}/account", account="new") == (303, f"/refunds/{KEY}/account/new")
    form = page(citizen, f"/refunds/{KEY}/account/new")
    assert 'name="number"' in form
    assert 'name="holder"' not in form  # the office knows whose account it must be

    code, body = post(citizen, f"/refunds/{KEY}/account/new", bank="088", number="3333-01-0009999")
    assert code == 422
    assert title(body).startswith("오류:")
    assert "****9999" in body  # the bank's answer names the account by its last digits only
    assert "33330100" not in body

    code, body = post(citizen, f"/refunds/{KEY}/account/new", bank="", number="12")
    assert code == 422
    assert 'href="#bank"' in body
    assert 'href="#number"' in body

    assert post(citizen, f"/refunds/{KEY}/account/new", bank="088", number="3333-01-0004321") == (
        303,
        f"/refunds/{KEY}/check",
    )
    check = page(citizen, f"/refunds/{KEY}/check")
    assert "신한은행 ****4321" in check


def test_without_a_known_account_the_check_page_sends_back_to_the_account_question(world: World) -> None:
    register_owner(world, OTHER, bank=None)
    citizen = world.citizen(OTHER)
    answer = citizen.get(f"/refunds/{OTHERS_KEY}/check", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, f"/refunds/{OTHERS_KEY}/account")
    assert post(citizen, f"/refunds/{OTHERS_KEY}/accept") == (303, f"/refunds/{OTHERS_KEY}/account")
    assert str(case_status(world.services.cases.reader, OTHERS_KEY).state) == "notified"


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/account",
        "/account/new",
        "/check",
        "/done",
        "/status",
        "/objection",
        "/notice.pdf",
        "/status/events",
    ],
)
def test_another_citizens_case_is_not_found_on_every_page(world: World, path: str) -> None:
    citizen = world.citizen(OWNER)
    answer = citizen.get(f"/refunds/{OTHERS_KEY}{path}", headers={"Accept": "text/html"})
    assert answer.status_code == 404
    assert OTHER not in answer.text


def test_another_citizens_case_cannot_be_accepted_or_objected_to(world: World) -> None:
    citizen = world.citizen(OWNER)
    assert post(citizen, f"/refunds/{OTHERS_KEY}/accept")[0] == 404
    assert post(citizen, f"/refunds/{OTHERS_KEY}/objection", reason="no_auto")[0] == 404
    assert str(case_status(world.services.cases.reader, OTHERS_KEY).state) == "notified"


def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    citizen = world.citizen(OWNER)
    del citizen.headers["X-CSRF-Token"]
    answer = citizen.post(f"/refunds/{KEY}/accept", data={}, follow_redirects=False)
    assert answer.status_code == 403
    assert str(case_status(world.services.cases.reader, KEY).state) == "notified"


def test_somebody_not_signed_in_is_asked_to_sign_in_and_comes_back_to_the_case(world: World) -> None:
    anonymous = world.client()
    answer = anonymous.get(f"/refunds/{KEY}", headers={"Accept": "text/html"})
    assert answer.status_code == 200
    assert 'href="/login/citizen"' in answer.text
    assert "250,040" not in answer.text
    assert answer.cookies[NEXT_COOKIE] == KEY

    citizen = world.citizen(OWNER)
    citizen.cookies.set(NEXT_COOKIE, KEY)
    home = citizen.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, f"/refunds/{KEY}")


def test_the_home_page_lists_the_signed_in_citizens_own_refunds_only(world: World) -> None:
    home = page(world.citizen(OWNER), "/")
    assert f'href="/refunds/{KEY}"' in home
    assert OTHERS_KEY not in home
    assert "250,040원" in home


def test_an_objection_stops_the_automatic_payment_once(world: World) -> None:
    citizen = world.citizen(OWNER)
    code, body = post(citizen, f"/refunds/{KEY}/objection", reason="other", other="")
    assert code == 422
    assert title(body).startswith("오류:")
    assert post(citizen, f"/refunds/{KEY}/objection", reason="amount") == (
        303,
        f"/refunds/{KEY}/objection/done",
    )
    assert post(citizen, f"/refunds/{KEY}/objection", reason="amount") == (
        303,
        f"/refunds/{KEY}/objection/done",
    )
    status = case_status(world.services.cases.reader, KEY)
    assert str(status.state) == "objected"
    assert [str(item.to_state) for item in status.history].count("objected") == 1
    assert "이의 제기가 접수되었습니다" in page(citizen, f"/refunds/{KEY}/objection/done")
    assert "이의 제기로 멈춰 있습니다" in page(citizen, f"/refunds/{KEY}/status")


def test_the_status_page_shows_each_step_and_the_stream_sends_it_until_the_money_arrived(
    world: World,
) -> None:
    citizen = world.citizen(OWNER)
    assert post(citizen, f"/refunds/{KEY}/accept")[0] == 303
    status = page(citizen, f"/refunds/{KEY}/status")
    assert 'data-events="/refunds/' + KEY + '/status/events"' in status
    assert 'class="progress-step active" aria-current="step"' in status

    pay_out(world, KEY)
    stream = citizen.get(f"/refunds/{KEY}/status/events")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert "event: status" in stream.text
    assert "event: end" in stream.text
    assert "돈이 계좌에 들어갔습니다" in stream.text
    assert "입금 확인" in page(citizen, f"/refunds/{KEY}/status")


def test_the_feedback_answer_is_kept_without_anything_that_names_the_person(world: World) -> None:
    citizen = world.citizen(OWNER)
    code, body = post(citizen, "/feedback", journey="accept", step="done")
    assert code == 422
    assert title(body).startswith("오류:")
    assert "만족도를 하나 고르십시오" in body
    assert post(citizen, "/feedback", journey="accept", step="done", rating="4", difficulty="account") == (
        303,
        "/feedback/thanks",
    )
    counts = world.services.voc.counts()
    assert [(c.journey, c.step, c.rating, c.count) for c in counts] == [("accept", "done", 4, 1)]
    assert "고맙습니다" in page(citizen, "/feedback/thanks")


def test_the_kiosk_needs_no_keyboard_and_its_exit_wipes_the_session(world: World) -> None:
    citizen = world.citizen(OWNER)
    start = citizen.get("/kiosk")
    assert start.cookies[KIOSK_COOKIE] == "1"
    assert 'class="portal kiosk"' in start.text
    assert 'src="/kiosk/qr.svg"' in start.text
    new_account = page(citizen, f"/refunds/{KEY}/account/new")
    assert "<input" not in new_account.split('<main id="main"')[1].split("</main>")[0]
    objection = page(citizen, f"/refunds/{KEY}/objection")
    assert "<textarea" not in objection
    qr = citizen.get("/kiosk/qr.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text.lstrip().startswith("<svg")

    session = citizen.cookies[SESSION_COOKIE]
    code, location = post(citizen, "/kiosk/exit")
    assert (code, location) == (303, "/kiosk")
    again = world.client()
    again.cookies.set(SESSION_COOKIE, session)
    assert "250,040" not in again.get(f"/refunds/{KEY}", headers={"Accept": "text/html"}).text


def test_the_kiosk_exit_asks_the_browser_to_clear_everything_of_the_site(world: World) -> None:
    citizen = world.citizen(OWNER)
    citizen.get("/kiosk")
    answer = citizen.post(
        "/kiosk/exit", data={"csrf_token": citizen.cookies[CSRF_COOKIE]}, follow_redirects=False
    )
    assert answer.headers["clear-site-data"] == '"cache", "cookies", "storage"'
    removed = [value for name, value in answer.headers.items() if name == "set-cookie"]
    assert any(value.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in value for value in removed)


def test_english_is_one_switch_away_and_amounts_read_the_english_way(world: World) -> None:
    citizen = world.citizen(OWNER)
    english = page(citizen, f"/refunds/{KEY}?lang=en")
    assert '<html lang="en">' in english
    assert "KRW 250,040" in english
    assert '<html lang="en">' in page(citizen, f"/refunds/{KEY}/status")  # the choice is remembered


def test_no_portal_address_carries_personal_data(world: World) -> None:
    citizen = world.citizen(OWNER)
    html = page(citizen, f"/refunds/{KEY}") + page(citizen, f"/refunds/{KEY}/account")
    for href in re.findall(r'(?:href|action|src)="([^"]+)"', html):
        assert OWNER not in href
        assert "7890" not in href
        assert "김민준" not in href


def test_a_payment_held_for_want_of_an_account_says_so_and_takes_a_new_one(world: World) -> None:
    register_owner(world, OTHER, bank=None)
    service = world.services.cases.service
    service.execute(AcceptRefund(OTHERS_KEY), Actor.citizen(OTHER), "api-accept")
    if case_status(world.services.cases.reader, OTHERS_KEY).state is CaseState.ACCEPTED:
        service.execute(ApproveRefund(OTHERS_KEY), Actor.officer("off-approver"), "approve")
    assert world.services.relay is not None
    world.services.relay.drain()  # payout learns of the decision: nowhere to pay it
    citizen = world.citizen(OTHER)
    status = page(citizen, f"/refunds/{OTHERS_KEY}/status")
    assert "지급이 잠시 멈춰 있습니다" in status
    assert "환급계좌 없음" in status
    assert f'href="/refunds/{OTHERS_KEY}/account/new"' in status
    assert post(citizen, f"/refunds/{OTHERS_KEY}/account/new", bank="088", number="3333-01-0004321") == (
        303,
        f"/refunds/{OTHERS_KEY}/status",
    )
