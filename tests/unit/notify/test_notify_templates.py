"""Templates: Korean first and English, versioned, and never containing or asking for an account number
or a resident registration number."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartax.notify import CURRENT_TEMPLATES, Topic, UnsafeContentError
from cartax.notify.links import new_code
from cartax.notify.templates import check_safe, render

PARAMS = {
    "amount": 250_040,
    "tax_year": 2025,
    "pay_on": date(2026, 7, 1),
    "object_by": date(2026, 6, 30),
    "paid_on": date(2026, 7, 1),
    "lapse_on": date(2030, 1, 31),
    "last4": "5678",
}
LINK = "https://refunds.example.kr/l/0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@pytest.mark.parametrize("topic", list(Topic))
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_topic_renders_with_link_code_and_the_never_ask_line(topic: Topic, lang: str) -> None:
    template = CURRENT_TEMPLATES[topic]
    code = new_code()
    rendered = render(
        template, lang, PARAMS, link=LINK, code=code, verify_url="https://refunds.example.kr/verify"
    )
    assert rendered.template == f"{topic}/v1"
    assert LINK in rendered.body
    assert code in rendered.body
    assert "/verify" in rendered.body
    never = (
        "계좌번호나 주민등록번호를 절대 묻지 않습니다"
        if lang == "ko"
        else "never ask for your account number"
    )
    assert never in rendered.body


def test_korean_is_written_the_korean_way() -> None:
    template = CURRENT_TEMPLATES[Topic.ZERO_CLICK_ANNOUNCED]
    body = render(template, "ko", PARAMS, link=LINK, code="K7Q2-M9XP", verify_url="https://x/verify").body
    assert "2026년 7월 1일에 250,040원을 자동으로 보내 드립니다" in body
    assert "2026년 6월 30일까지" in body


def test_a_missing_value_is_named() -> None:
    with pytest.raises(Exception, match="amount"):
        render(
            CURRENT_TEMPLATES[Topic.PAID],
            "ko",
            {"paid_on": date(2026, 7, 1)},
            link=LINK,
            code="X",
            verify_url="v",
        )


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("주민등록번호 900101-1234567 확인", "resident number"),
        ("9001011234567", "resident number"),
        ("입금 계좌 110-234-567890", "account number"),
        ("계좌 3333 01 2345678", "account number"),
        ("환급을 받으려면 계좌번호를 회신해 주세요", "a request for a secret"),
        ("Reply with your account number", "a request for a secret"),
        ("주민 등록 번호를 입력하세요", "a request for a secret"),
    ],
)
def test_the_guard_refuses_secrets_and_requests_for_them(text: str, what: str) -> None:
    with pytest.raises(UnsafeContentError) as refused:
        check_safe(text, "t/v1")
    assert refused.value.params["what"] == what


@given(amount=st.integers(min_value=0, max_value=10**12), year=st.integers(min_value=2000, max_value=2100))
def test_no_amount_or_year_makes_a_message_look_like_a_secret(amount: int, year: int) -> None:
    for lang in ("ko", "en"):
        params = {**PARAMS, "amount": amount, "tax_year": year}
        for template in CURRENT_TEMPLATES.values():
            render(template, lang, params, link=LINK, code="K7Q2-M9XP", verify_url="https://x/verify")


def test_template_codes_fit_the_kakao_limit_and_are_distinct() -> None:
    codes = [template.alimtalk_code for template in CURRENT_TEMPLATES.values()]
    assert all(len(code) <= 20 for code in codes)
    assert len(set(codes)) == len(codes)
