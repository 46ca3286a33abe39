"""QR codes: every module of the symbols made here equals segno's for the same text, version, level
and mask; the SVG draws exactly those modules; texts too long for version 10 go to segno."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cartax.notices.adapters.qr import QUIET_ZONE, SegnoQrCodes, qr_code, qr_matrix

URL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHJKMNPQRSTVWXYZ0123456789:/.-_?=&%"


def reference(text: str) -> np.ndarray:
    return np.array(qr_code(text).matrix, dtype=np.uint8)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=URL_CHARS, min_size=1, max_size=230))
def test_symbols_equal_segnos_module_for_module(text: str) -> None:
    assert np.array_equal(qr_matrix(text), reference(text))


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_any_unicode_text_is_encoded_as_its_utf8_bytes_like_segno(text: str) -> None:
    assert np.array_equal(qr_matrix(text), reference(text))


def test_verification_addresses_of_every_length_a_district_may_use() -> None:
    for length in range(20, 215, 7):
        url = ("https://cartax.example.go.kr/verify/documents/" + "K" * length)[:length]
        assert np.array_equal(qr_matrix(url), reference(url)), length


def test_the_svg_draws_exactly_the_modules() -> None:
    text = "https://cartax.test/verify/documents/ABCDEFGHJKMNPQRSTVW0"
    svg = SegnoQrCodes().svg(text)
    matrix = qr_matrix(text)
    drawn = np.zeros_like(matrix)
    for x, y, run in re.findall(r"M(\d+) (\d+)\.5h(\d+)", svg):
        row, col = int(y) - QUIET_ZONE, int(x) - QUIET_ZONE
        drawn[row, col : col + int(run)] = 1
    assert np.array_equal(drawn, matrix)
    size = len(matrix) + 2 * QUIET_ZONE
    assert f'viewBox="0 0 {size} {size}"' in svg


def test_texts_beyond_version_ten_are_made_by_segno() -> None:
    text = "https://cartax.test/" + "x" * 300
    assert np.array_equal(qr_matrix(text), reference(text))
    assert qr_code(text).version > 10
