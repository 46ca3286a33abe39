"""Banks and account numbers: the standard bank codes, normalising, checking and masking numbers.

Account numbers are personal data: this module never logs them and :func:`mask` is the only form of
a number that leaves the payout context (screens, events, files for people).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from cartax.payout.errors import InvalidAccountError

BANKS: Mapping[str, str] = MappingProxyType(
    {
        "002": "KDB산업은행",
        "003": "IBK기업은행",
        "004": "KB국민은행",
        "007": "수협은행",
        "011": "NH농협은행",
        "020": "우리은행",
        "023": "SC제일은행",
        "027": "한국씨티은행",
        "031": "iM뱅크",
        "032": "부산은행",
        "034": "광주은행",
        "035": "제주은행",
        "037": "전북은행",
        "039": "경남은행",
        "045": "새마을금고",
        "048": "신협",
        "071": "우체국",
        "081": "하나은행",
        "088": "신한은행",
        "089": "케이뱅크",
        "090": "카카오뱅크",
        "092": "토스뱅크",
    }
)
"""The standard three-digit bank codes (표준 금융기관 코드) of the banks a refund can be paid to."""

_BY_NAME = {name: code for code, name in BANKS.items()}
_DIGITS = re.compile(r"[0-9]{10,16}")
ACCOUNT_DIGITS = (10, 16)


def bank_code(value: str) -> str:
    """A bank's code from its code or its name.

    >>> bank_code("088"), bank_code("신한은행")
    ('088', '088')
    """
    value = value.strip()
    if value in BANKS:
        return value
    if value in _BY_NAME:
        return _BY_NAME[value]
    raise InvalidAccountError("unknown_bank", accepted=", ".join(f"{c} {n}" for c, n in BANKS.items()))


def bank_name(code: str) -> str:
    return BANKS.get(code, code)


def normalise_account(number: str) -> str:
    """The digits of an account number; hyphens and spaces are ignored.

    >>> normalise_account("110-234-567890")
    '110234567890'
    """
    digits = "".join(number.split()).replace("-", "")
    if not _DIGITS.fullmatch(digits):
        low, high = ACCOUNT_DIGITS
        raise InvalidAccountError("invalid_account_number", low=low, high=high)
    return digits


def last4(number: str) -> str:
    return normalise_account(number)[-4:]


def mask(digits_last4: str) -> str:
    """How an account number is shown: its last four digits only.

    >>> mask("7890")
    '****7890'
    """
    return f"****{digits_last4}"


def same_holder(expected: str, reported: str) -> bool:
    """Whether the bank's holder name is the entitled person's (spaces and case ignored).

    >>> same_holder("김 민준", "김민준"), same_holder("김민준", "김민지")
    (True, False)
    """
    return "".join(expected.split()).casefold() == "".join(reported.split()).casefold()
