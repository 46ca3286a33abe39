from __future__ import annotations

import pytest

from cartax.core.masking import MaskingError, mask_account, mask_email, mask_name, mask_phone, mask_rrn


@pytest.mark.parametrize(
    ("rrn", "masked"), [("900101-1234567", "900101-1******"), (" 0501014123456 ", "050101-4******")]
)
def test_resident_numbers_keep_birth_date_and_sex_digit(rrn: str, masked: str) -> None:
    assert mask_rrn(rrn) == masked


@pytest.mark.parametrize(
    ("account", "masked"),
    [("110-123-456789", "****-**-6789"), ("1002-345-678901", "****-**-8901"), ("12345678", "****-**-5678")],
)
def test_accounts_keep_only_the_last_four_digits_in_one_shape(account: str, masked: str) -> None:
    assert mask_account(account) == masked


@pytest.mark.parametrize(
    ("masker", "value"),
    [
        (mask_rrn, "800101-123456"),
        (mask_rrn, "900101_1234567"),
        (mask_account, "1234567"),
        (mask_account, "110-123-45678a"),
        (mask_account, "１１０１２３４５６７８９"),
        (mask_phone, "12-3456-7890"),
        (mask_email, "no-at-sign"),
    ],
)
def test_malformed_values_are_refused_without_echoing_them(masker: object, value: str) -> None:
    with pytest.raises(MaskingError) as caught:
        masker(value)  # type: ignore[operator]
    assert value.strip() not in str(caught.value)


def test_an_empty_name_is_refused() -> None:
    with pytest.raises(MaskingError, match="empty"):
        mask_name("  ")


def test_phone_name_and_email() -> None:
    assert mask_phone("01012345678") == "010-****-5678"
    assert mask_phone("02-123-4567") == "02-***-4567"
    assert mask_name("홍길동") == "홍*동"
    assert mask_email("ab@example.kr") == "ab*@example.kr"
