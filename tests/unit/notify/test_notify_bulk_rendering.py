"""What bulk queueing renders is what one message at a time renders: the compiled catalogue texts, the
guard's quick path, references and codes drawn together, links signed and codes digested together."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartax.notify import UnsafeContentError
from cartax.notify.errors import catalogue
from cartax.notify.links import (
    ALPHABET,
    CODE_ALPHABET,
    LinkSigner,
    _crockford,
    _encode,
    new_codes,
    new_refs,
    normalise_code,
)
from cartax.notify.templates import check_safe

VALUES = st.fixed_dictionaries(
    {
        "amount": st.integers(min_value=0, max_value=10**12),
        "tax_year": st.integers(min_value=1990, max_value=2100),
        "pay_on": st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
        "object_by": st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
        "paid_on": st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
        "lapse_on": st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
        "last4": st.text(max_size=8),
        "link": st.text(max_size=40),
        "code": st.text(max_size=9),
        "verify_url": st.text(max_size=40),
    }
)


@pytest.mark.parametrize("lang", ["ko", "en", "fr"])
@given(values=VALUES)
def test_a_compiled_catalogue_text_is_the_rendered_one(lang: str, values: dict[str, object]) -> None:
    texts = catalogue()
    for key in texts.messages["ko"]:
        if key.startswith("tpl."):
            assert texts.compile(key, lang)(values) == texts.render(key, lang, **values), key


def _reference_check(text: str) -> str | None:
    """The guard as it reads, without its quick path: what it refuses, or None."""
    if re.search(r"\d{6}\s*-?\s*[1-8]\d{6}", text):
        return "resident number"
    if re.search(r"\d(?:[\s-]?\d){9,}", text):
        return "account number"
    words = r"계좌\s*번호|주민\s*등록\s*번호|비밀\s*번호|account number|resident registration|password"
    for line in text.splitlines():
        if re.search(words, line, re.I) and not re.search(r"묻지 않습니다|never ask", line, re.I):
            return "a request for a secret"
    return None


PIECES = st.sampled_from(
    [
        "0", "1", "7", "９", "٣", "-", " ", "\n", ",", "원", "계좌", "번호", "주민", "등록", "비밀",
        "ACCOUNT", "Account number", "account number", "reſident registration", "PASSWORD", "paſsword",
        "묻지 않습니다", "never ask", "환급금", "a", "p", "r",
    ]
)  # fmt: skip


@given(st.lists(PIECES, max_size=30).map("".join))
def test_the_guards_quick_path_refuses_exactly_what_the_full_check_refuses(text: str) -> None:
    expected = _reference_check(text)
    if expected is None:
        check_safe(text, "t/v1")
    else:
        with pytest.raises(UnsafeContentError) as refused:
            check_safe(text, "t/v1")
        assert expected in str(refused.value)


def test_references_and_codes_drawn_together_look_like_single_ones() -> None:
    refs, codes = new_refs(5000), new_codes(5000)
    assert len(set(refs)) == 5000
    assert all(len(ref) == 10 and set(ref) <= set(ALPHABET) for ref in refs)
    assert len(set(codes)) == 5000
    assert all(normalise_code(code) == code.replace("-", "") and code[4] == "-" for code in codes)
    # every character of both alphabets turns up, at every position
    for position in range(10):
        assert {ref[position] for ref in refs} == set(ALPHABET)
    for position in (0, 3, 5, 8):
        assert {code[position] for code in codes} == set(CODE_ALPHABET)


REFS = st.text(alphabet=ALPHABET, min_size=10, max_size=10)
CODES = st.text(alphabet=CODE_ALPHABET, min_size=8, max_size=8).map(lambda c: f"{c[:4]}-{c[4:]}")


@given(
    key=st.binary(min_size=32, max_size=100),
    refs=st.lists(REFS, max_size=20),
    codes=st.lists(CODES, max_size=20),
    days=st.integers(min_value=0, max_value=3000),
)
def test_links_signed_and_codes_digested_together_are_the_single_ones(
    key: bytes, refs: list[str], codes: list[str], days: int
) -> None:
    signer = LinkSigner(key)
    expires = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=days, minutes=days * 7)
    assert signer.sign_many(refs, expires) == [signer.sign(ref, expires) for ref in refs]
    assert signer.code_digests(codes) == [signer.code_digest(code) for code in codes]
    for token, ref in zip(signer.sign_many(refs, expires), refs, strict=True):
        assert signer.open(token, expires - timedelta(minutes=1)) == ref


@given(st.binary(min_size=10, max_size=10))
def test_base32_of_ten_bytes_is_the_integer_encoding(data: bytes) -> None:
    assert _crockford(data) == _encode(int.from_bytes(data), 16)
